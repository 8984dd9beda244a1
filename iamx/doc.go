// Package iamx helps with IAM chores that are easy to get wrong: policy
// documents checked and evaluated offline, SAML sign-in, access-key
// rotation and console sign-in URLs:
//
//	trust, err := iamx.ParsePolicy([]byte(`{
//		"Version": "2012-10-17",
//		"Statement": [{
//			"Effect": "Allow",
//			"Principal": {"AWS": "arn:aws:iam::111122223333:root"},
//			"Action": "sts:AssumeRole",
//			"Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
//		}]
//	}`))
//	if err != nil {
//		return err
//	}
//	if err := trust.Validate(); err != nil {
//		return err // names the statement, what is wrong and what is allowed
//	}
//	user := iamx.AllowAssumeRoleFrom("arn:aws:iam::111122223333:role/ops") // alice's identity policy
//	res := iamx.Evaluate(iamx.Request{
//		Action:    "sts:AssumeRole",
//		Resource:  "arn:aws:iam::111122223333:role/ops",
//		Principal: "arn:aws:iam::111122223333:user/alice",
//		Context:   map[string][]string{"aws:SourceIp": {"198.51.100.9"}},
//	}, iamx.Policies{Identity: []*iamx.Policy{user}, Resource: []*iamx.Policy{trust}})
//	fmt.Println(res.Decision, res.DecidedBy) // ImplicitDeny resource-based policy
//	fmt.Println(res)                         // the reason, matched statements, notes
//
// Policy documents:
//   - [Policy], [Statement], [Principal] and [Condition] read and write IAM
//     JSON faithfully: a single-object or array Statement, string-or-list
//     fields, "Principal": "*" or a map, Not-variants, unknown fields kept,
//     so a round trip loses nothing; a field, condition operator or
//     condition key written twice in one object is refused;
//   - [Policy.Validate] refuses what IAM would refuse, naming the
//     statement and the allowed forms;
//   - builders make the trust and IP-restriction policies people write by
//     hand: [SAMLTrustPolicy], [CrossAccountTrustPolicy],
//     [AllowAssumeRoleFrom], [RestrictTrustToSourceIP];
//   - [Evaluate] decides a request offline and explains the decision.
//
// # What Evaluate models
//
// The decision logic of the IAM User Guide's "Policy evaluation logic" and
// "Cross-account policy evaluation logic", for the policy kinds in
// [Policies]: explicit deny across every kind; RCPs and SCPs, where every
// organization level must allow; role trust policies (sts:AssumeRole*)
// and KMS key policies (kms:), which must allow the principal themselves;
// same-account resource-based grants by principal type (a user, role
// session or federated user ARN allows on its own; a role ARN is still
// limited by the permissions boundary and session policies; an account
// delegates to identity-based policies); identity-based policies within
// the permissions boundary and session policies (a federated user session
// needs one); the cross-account rule (both accounts must allow); the
// account root user's full access in its own account; callers that are
// not IAM principals (services, identity providers, anonymous), which
// only resource-based policies naming them can allow.
//
// Statements: Action and NotAction (ASCII case-insensitive, * and ?; an
// action with another character is unevaluable); Resource
// and NotResource matched per ARN component, case-sensitive; Principal and
// NotPrincipal (AWS account IDs and root ARNs, user, role and session
// ARNs, a role ARN naming the role's sessions by account and role name,
// Service, Federated and CanonicalUser by exact value, "*"; a Deny with
// NotPrincipal excepts a user only when it lists the user and its account,
// a role session only when it lists the session, its role and its account,
// as the NotPrincipal page advises, since AWS may check each; an Allow with
// NotPrincipal leaves the caller out when it lists any of them; a Deny with
// NotPrincipal applies to any principal with a permissions boundary).
//
// Conditions: every operator in the User Guide's condition-operator
// reference (String, Numeric, Date, Bool, BinaryEquals, IpAddress and
// NotIpAddress with IPv4, IPv6 and bare addresses as /32 and /128, Arn
// operators per ARN component, ArnEquals as ArnLike, Null), IfExists,
// ForAllValues: and ForAnyValue: with the documented results for a
// missing key and an empty set (true and false), policy values ORed and
// NORed for negated operators, operators and keys ANDed; key names
// case-insensitive; * and ? match characters, not bytes; numbers compare
// exactly as decimals; dates are the W3C ISO 8601 forms or epoch seconds.
//
// Policy variables, for Version 2012-10-17 only (literal text otherwise):
// any request context key, ${aws:PrincipalTag/...} included, in the
// resource part of Resource and NotResource and in String, Arn and Bool
// condition values; ${*}, ${?} and ${$}; defaults such as
// ${aws:username, 'guest'}. A variable with no value matches nothing, as
// AWS documents (so a negated operator holds, and a Deny's NotResource
// with it excludes nothing); since AWS also says such a variable may make
// the whole statement invalid, an Allow statement with one in NotResource
// does not apply. A substituted value is always literal text, never a
// wildcard. Evaluate derives aws:CurrentTime and aws:EpochTime from
// Request.Now, aws:PrincipalAccount from the principal's ARN and
// aws:username from an IAM user's ARN, when Context lacks them.
//
// Failing closed: whatever Evaluate cannot evaluate — an unknown operator
// or set prefix, a malformed value, a malformed variable, an empty Action,
// NotAction, Resource or NotResource list, a value over 65,536 characters
// once its variables are substituted, a partial
// wildcard in a principal, several context keys differing only in case,
// several values for a key used without a set operator — makes a Deny
// statement apply and an Allow statement not apply, and Result.Notes say
// so. When it cannot tell whether the principal and the resource share an
// account (S3 ARNs name none: set Request.ResourceAccount) it applies the
// cross-account rule.
//
// # What Evaluate does not model
//
// It evaluates the request context you give it: it does not know which
// keys a service puts in a request, nor which keys are single- or
// multivalued. It does not resolve principals to unique IDs (a policy
// naming a deleted and recreated user still matches), role paths in
// session ARNs, or the IAM user behind a federated user session. It has no
// service-specific rules: S3 ACLs, Block Public Access and object
// ownership, KMS grants, VPC endpoint policies, access points, AWS RAM,
// service-linked roles' exemption from SCPs, which services RCPs cover, or
// whether an ARN is a valid resource for an action. A resource-based
// policy's "Principal": "*" is treated like a role grant, limited by the
// permissions boundary and session policies. A Resource with fewer than
// six ARN parts (which AWS expands with * for some policy kinds) and
// operator names spelt other than as in the User Guide are unevaluable,
// so they fail closed. Policy size and quota limits are not checked.
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
// it), minds IAM's two-key limit, checks the new key with an STS client
// derived from the IAM client (never a silent default), never repeats a
// CreateAccessKey that may have acted (it is not idempotent) and deletes a
// key whose answer, with its secret, was lost, and on any failure leaves a
// key that works and an error that says which keys exist.
package iamx
