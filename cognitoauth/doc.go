// Package cognitoauth signs users in to a Cognito user pool and trades their
// ID token at a Cognito identity pool for AWS credentials that refresh
// themselves.
//
// By hand that is five calls (InitiateAuth, reading IdToken, GetId,
// GetCredentialsForIdentity, building a client) and nothing refreshes; here:
//
//	c, err := cognitoauth.New(cognitoidentityprovider.NewFromConfig(cfg), cognitoidentity.NewFromConfig(cfg),
//		cognitoauth.Config{Region: "eu-west-1", UserPoolID: "eu-west-1_AbC123", ClientID: "1example23456789",
//			IdentityPoolID: "eu-west-1:0000-…"})
//	tokens, err := c.SignIn(ctx, "alice", password) // SRP by default: the password never leaves
//	s3cfg := cfg.Copy()
//	s3cfg.Credentials = aws.NewCredentialsCache(c.CredentialsProvider(tokens))
//	client := s3.NewFromConfig(s3cfg) // tokens and credentials refresh as needed
//
// Challenges (NEW_PASSWORD_REQUIRED, SOFTWARE_TOKEN_MFA, SMS_MFA, EMAIL_OTP,
// SELECT_MFA_TYPE, MFA_SETUP) go to Options.ChallengeHandler; without one,
// SignIn returns a *ChallengeError naming the challenge. A revoked or
// expired refresh token surfaces as ErrSessionExpired, so the app can ask
// the user to sign in again.
//
// The sub-package cognitotest is an in-memory user pool and identity pool
// for tests, which checks SRP proofs for real.
package cognitoauth
