// Package cfsign makes CloudFront signed URLs and signed cookies, for
// private content behind a distribution with a trusted key group, and
// verifies them the way the edge does:
//
//	key, err := cfsign.LoadPrivateKeyFile("private_key.pem")
//	if err != nil {
//		return err
//	}
//	signer, err := cfsign.New("K2JCJMDEHXQW5F", key)
//	if err != nil {
//		return err
//	}
//	u, err := signer.SignURL("https://d111111abcdef8.cloudfront.net/report.pdf", time.Now().Add(time.Hour))
//	if err != nil {
//		return err // a mistake the edge would refuse, caught here
//	}
//	// In tests, or at an origin: check u as CloudFront would.
//	keys := map[string]crypto.PublicKey{"K2JCJMDEHXQW5F": key.Public()}
//	if _, err := cfsign.Verify(u, keys); err != nil {
//		return err // ErrExpired, ErrBadSignature, ErrResourceMismatch, ...
//	}
//
// What it adds to signing:
//
//   - [Verify] and [VerifyCookies] check a signed URL or cookies as the
//     edge does (key, signature, time window, resource wildcards, source
//     IP), with errors callers can branch on, so tests and origins need no
//     CloudFront to tell a good URL from a bad one;
//   - mistakes the edge would refuse later are refused early, with the
//     reason: a wildcard in a canned policy, an expiry in the past, IPv6
//     source ranges, a URL that already carries signing parameters,
//     unencoded spaces or non-ASCII, cookie attributes net/http would drop;
//   - URLs and policies are byte-identical to what `aws cloudfront sign`
//     makes for the same inputs, and custom conditions are in the CLI's
//     order;
//   - RSA and ECDSA P-256 keys, SHA-1 and SHA-256 signatures
//     (Hash-Algorithm=SHA256), the canned CloudFront-Expires cookie, and the
//     PKCS#8 keys OpenSSL 3 writes.
//
// For many files at once, sign a [Policy] with a wildcard resource, as a URL
// ([Signer.SignURLWithPolicy]) or as cookies ([Signer.SignedCookies]). A
// policy with only an expiry and no * is canned, as the CLI signs it, even
// when its URL has a query string ([Policy.Canned]).
//
// [Verify] and [VerifyCookies] accept the signing parameters only in the
// forms CloudFront writes: Expires as plain decimal seconds (no sign, no
// leading zero), Policy and Signature in CloudFront's base64 alphabet
// (A-Z a-z 0-9 - ~ _), parameter names as they are. Values are
// percent-decoded first, as CloudFront reads a query.
//
// A Signer never prints its private key (every fmt verb, slog, JSON).
//
// ECDSA keys sign in tens of microseconds where RSA-2048 takes about a
// millisecond (see BenchmarkSignURL): prefer them for high volume.
package cfsign
