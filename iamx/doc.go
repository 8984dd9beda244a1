// Package iamx helps with IAM chores that are easy to get wrong.
//
// It covers policy documents, SAML sign-in, access-key rotation and
// console sign-in URLs.
//
// Policy documents:
//   - [Policy], [Statement], [Principal] and [Condition] read and write IAM
//     JSON faithfully: a single-object or array Statement, string-or-list
//     fields, "Principal": "*" or a map, Not-variants, condition operators
//     with IfExists and ForAnyValue:/ForAllValues:, unknown fields kept, so
//     a round trip loses nothing;
//   - [Policy.Validate] catches the common mistakes with clear messages;
//   - builders make the trust and IP-restriction policies people write by
//     hand: [SAMLTrustPolicy], [CrossAccountTrustPolicy],
//     [AllowAssumeRoleFrom], [RestrictTrustToSourceIP];
//   - [Evaluate] decides a request offline with IAM's explicit-deny, allow,
//     implicit-deny logic, wildcards and the common condition operators.
//
// SAML sign-in: [ParseSAMLResponse] reads what the IdP posts (base64, a
// form body, raw XML or the HTML page), refuses DTDs, failed and encrypted
// responses, and lists the [SAMLRole] pairs in either order;
// [SAMLAssertion.Role] picks one by name; [AssumeRoleWithSAML] refuses an
// expired assertion before calling STS and passes the response on exactly
// as signed. The assertion is a bearer credential and never prints.
//
// Console sign-in: [ConsoleURL] turns temporary credentials into a
// console URL through the sign-in federation endpoint, refusing long-term
// keys and out-of-range durations before any request; neither the
// credentials nor the request URL ever appear in its errors.
//
// Access keys: [RotateAccessKey] replaces a user's key in the only safe
// order (create, store, wait until it works, deactivate the old, delete
// it), minds IAM's two-key limit, and on any failure leaves a key that
// works and an error that says which keys exist.
package iamx
