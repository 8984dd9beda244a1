// Package cfsign makes CloudFront signed URLs and signed cookies, for
// private content behind a distribution with a trusted key group, and
// verifies them the way the edge does.
//
// URLs and policies are byte-identical to what `aws cloudfront sign` makes
// for the same inputs. Beyond aws-sdk-go-v2's feature/cloudfront/sign it
// takes ECDSA P-256 keys and SHA-256 signatures (Hash-Algorithm=SHA256),
// emits the canned CloudFront-Expires cookie, reads the PKCS#8 keys OpenSSL 3
// writes, and refuses early what the edge would refuse later: wildcards in
// a canned policy, an expiry in the past, IPv6 source ranges, a URL that
// already carries signing parameters.
//
//	key, err := cfsign.LoadPrivateKeyFile("private_key.pem")
//	signer, err := cfsign.NewSigner("K2JCJMDEHXQW5F", key)
//	u, err := signer.SignURL("https://d111111abcdef8.cloudfront.net/report.pdf", time.Now().Add(time.Hour))
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
