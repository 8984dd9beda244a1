// Package cognitoauth signs users in to a Cognito user pool and trades their
// ID token at a Cognito identity pool for AWS credentials that refresh
// themselves; runs the rest of the account lifecycle; and, for Go services
// behind Cognito, verifies the tokens they are sent.
//
//	cfg, err := config.LoadDefaultConfig(ctx)
//	if err != nil {
//		return err
//	}
//	c, err := cognitoauth.New(cognitoidentityprovider.NewFromConfig(cfg), cognitoidentity.NewFromConfig(cfg),
//		"eu-west-1_AbC123", "1example23456789", func(o *cognitoauth.Options) {
//			o.IdentityPoolID = "eu-west-1:11111111-2222-3333-4444-555555555555"
//		})
//	if err != nil {
//		return err
//	}
//	tokens, err := c.SignIn(ctx, "alice", password) // SRP by default: the password never leaves
//	if err != nil {
//		return err // errors.Is(err, cognitoauth.ErrNotAuthorized), ErrUserNotConfirmed, ...
//	}
//	s3cfg := cfg.Copy()
//	s3cfg.Credentials = aws.NewCredentialsCache(c.CredentialsProvider(tokens))
//	client := s3.NewFromConfig(s3cfg) // tokens and credentials refresh as needed
//	out, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("alice-files")})
//	if err != nil {
//		return err
//	}
//	fmt.Println(len(out.Contents), "objects, as alice")
//
// By hand that is five calls (InitiateAuth, reading IdToken, GetId,
// GetCredentialsForIdentity, building a client) and nothing refreshes.
//
// Challenges (NEW_PASSWORD_REQUIRED, SOFTWARE_TOKEN_MFA, SMS_MFA, EMAIL_OTP,
// SELECT_MFA_TYPE, MFA_SETUP, and CUSTOM_CHALLENGE with FlowCustom) go to
// Options.ChallengeHandler; without one,
// SignIn returns a *ChallengeError naming the challenge. A revoked or
// expired refresh token surfaces as ErrSessionExpired, so the app can ask
// the user to sign in again. On app clients with refresh-token rotation
// (Options.RefreshRotation, or detected when REFRESH_TOKEN_AUTH is refused
// and GetTokensFromRefreshToken works), Refresh and the provider keep the
// new refresh token each refresh returns.
//
// # Devices
//
// With Options.Devices (a [DeviceStore]; [MemoryDeviceStore] keeps them in
// memory), a sign-in on a pool that tracks devices confirms the new device
// (ConfirmDevice with an SRP verifier of a random device password, as
// amazon-cognito-identity-js makes it), later sign-ins of that user answer
// DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER with it (a remembered device
// skips MFA), and Tokens.DeviceKey goes with every refresh, which such
// pools require. [Client.RememberDevice] sets whether the pool remembers
// it. The device password signs the user in: a [Device] redacts itself
// when printed, and a DeviceStore should be kept like refresh tokens.
//
// # Account lifecycle
//
// [Client.SignUp], [Client.ConfirmSignUp], [Client.ResendConfirmationCode],
// [Client.ForgotPassword], [Client.ConfirmForgotPassword],
// [Client.ChangePassword], [Client.GlobalSignOut] and [Client.RevokeToken]
// send SECRET_HASH (or the client secret) when Options.ClientSecret is
// set, and map Cognito's errors to ErrUsernameExists, ErrCodeMismatch,
// ErrCodeExpired, ErrInvalidPassword, ErrLimitExceeded, ErrNotAuthorized
// and ErrSessionExpired, the service error still wrapped. They need a
// user-pools client with [LifecycleAPI] (cognitoidentityprovider.Client
// has it), as devices need [DeviceAPI]; both are separate from
// IdentityProviderAPI so that smaller implementations keep working.
//
// # Verifying tokens
//
// A service verifies the ID or access tokens its callers send with a
// [Verifier], shared by all requests:
//
//	v, err := cognitoauth.NewVerifier("eu-west-1", "eu-west-1_AbC123", func(o *cognitoauth.VerifierOptions) {
//		o.ClientIDs = []string{"1example23456789"} // TokenUse defaults to access tokens
//	})
//	mux.Handle("/api/", v.Middleware(api)) // api reads cognitoauth.ClaimsFromContext(r.Context())
//
// Verify accepts a token only when all of these hold, and otherwise returns
// the error named (test with errors.Is; no error quotes the token):
//   - at most 1 MiB, three base64url parts (no padding, canonical), a JSON
//     header with a kid and no crit, a JSON object of claims of Cognito's
//     types, no claim name twice and none in another letter case than the
//     claim Verify reads (ErrMalformedToken);
//   - alg RS256, and the JWKS key with that kid is an RSA key of 2048 to
//     8192 bits with an odd exponent, stating alg RS256, its kid unique in
//     the JWKS (ErrUnsupportedAlgorithm): none, HS256 and the rest are
//     refused whatever the JWKS holds;
//   - the kid is in the pool's JWKS (ErrUnknownKey) and the signature
//     verifies with that key (ErrInvalidSignature);
//   - iss is https://cognito-idp.<region>.amazonaws.com/<pool>, or
//     https://issuer-cognito-idp.<region>.amazonaws.com/<pool> for a pool
//     with the updated issuer (VerifierOptions.IssuerType) (ErrWrongIssuer;
//     NewVerifier refuses the partitions whose issuer is not of these
//     forms: China, the European Sovereign Cloud, ISO);
//   - token_use is the one asked for (ErrWrongTokenUse);
//     aud (ID tokens) or client_id (access tokens) is among ClientIDs
//     (ErrWrongAudience); sub, exp and iat are set, as Cognito always sets
//     them (ErrMalformedToken without them);
//   - now < exp + Skew (ErrTokenExpired), now >= nbf - Skew when nbf is set
//     and iat <= now + Skew (ErrTokenNotYetValid);
//   - the user is in one of AnyGroup (ErrMissingGroup) and the token has
//     every scope of Scopes (ErrMissingScope), when those are set.
//
// The JWKS is fetched on the first Verify, cached as its Cache-Control or
// Expires header says (default an hour, at most a day; revalidated with
// ETag/Last-Modified), fetched again when a token names an unknown kid, but
// never more often than MinRefetchInterval (10 s), so tokens with made-up
// key IDs cannot turn into a flood of requests. One fetch runs at a time;
// the caller's context bounds it. Responses over 64 KiB or 100 keys are
// refused, and when the endpoint fails, the keys already cached keep
// serving. ErrJWKSUnavailable reports a failed fetch. Measured bounds: a
// Verify allocates under 256 KiB plus 8 times the token's length (under
// 9 MiB) whatever a token up to 1 MiB holds (75,000 claims, 190,000
// groups, arrays nested 9,000 deep), about 1 KiB to refuse a larger one,
// and a 64 KiB JWKS under 2 MiB to fetch and parse. The 1 MiB bound is
// above any token Cognito issues (the arithmetic is in tokens.go): a user
// in 100 groups of 128 characters has an access token of about 18 KiB, and
// an ID token carries up to 50 custom attributes of 2,048 characters.
//
// The JWS layer (splitting, base64url, the RS256 check) is
// github.com/golang-jwt/jwt/v5, limited to RS256 with strict decoding; the
// claims are checked here. ParseClaims, by contrast, reads claims without
// checking anything.
//
// The sub-package cognitotest is an in-memory user pool and identity pool
// for tests, which checks SRP and device proofs for real, keeps the codes
// it sends for tests to read, and signs its tokens with RS256 keys it
// publishes as a JWKS, so services can be tested end to end.
package cognitoauth
