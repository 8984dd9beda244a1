package cognitotest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/cognitoauth/cognitotest"
)

func code(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// TestCodes: codes expire with the clock, a resent code replaces the old
// one, and five wrong codes lock the code out, with Cognito's error codes.
func TestCodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	clk := &clock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	pool := cognitotest.New(func(o *cognitotest.Options) { o.Clock = clk.Now })
	in := func(name string) *cip.SignUpInput {
		return &cip.SignUpInput{ClientId: aws.String(pool.ClientID()), Username: aws.String(name), Password: aws.String("Correct-Horse-1")}
	}
	confirm := func(name, c string) error {
		_, err := pool.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(pool.ClientID()), Username: aws.String(name), ConfirmationCode: aws.String(c)})
		return err
	}

	_, err := pool.SignUp(ctx, in("ann"))
	require.NoError(t, err)
	c1, ok := pool.ConfirmationCode("ann")
	require.True(t, ok)
	assert.Len(t, c1, 6)
	clk.Advance(24 * time.Hour)
	assert.Equal(t, "ExpiredCodeException", code(confirm("ann", c1)))
	_, err = pool.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(pool.ClientID()), Username: aws.String("ann")})
	require.NoError(t, err)
	c2, _ := pool.ConfirmationCode("ann")
	if c2 != c1 {
		assert.Equal(t, "ExpiredCodeException", code(confirm("ann", c1)), "replaced")
	}
	for range 5 {
		assert.Equal(t, "CodeMismatchException", code(confirm("ann", "x")))
	}
	assert.Equal(t, "LimitExceededException", code(confirm("ann", c2)), "locked after five misses")
	_, err = pool.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(pool.ClientID()), Username: aws.String("ann")})
	require.NoError(t, err)
	c3, _ := pool.ConfirmationCode("ann")
	require.NoError(t, confirm("ann", c3), "a new code starts over")
	assert.Equal(t, "NotAuthorizedException", code(confirm("ann", c3)))

	_, err = pool.SignUp(ctx, in("ann"))
	assert.Equal(t, "UsernameExistsException", code(err))
	short := in("bob")
	short.Password = aws.String("short")
	_, err = pool.SignUp(ctx, short)
	assert.Equal(t, "InvalidPasswordException", code(err))
	assert.Equal(t, "UserNotFoundException", code(confirm("nobody", "123456")))
	_, err = pool.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String("other-client"), Username: aws.String("ann")})
	assert.Equal(t, "ResourceNotFoundException", code(err))
}

// TestSecretHashRequired: with a client secret every lifecycle call
// checks SECRET_HASH (or the secret itself for RevokeToken).
func TestSecretHashRequired(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool := cognitotest.New(func(o *cognitotest.Options) { o.ClientSecret = "the-secret" })
	pool.AddUser("ann", "Correct-Horse-1", cognitotest.User{})
	id := aws.String(pool.ClientID())
	_, err := pool.SignUp(ctx, &cip.SignUpInput{ClientId: id, Username: aws.String("bob"), Password: aws.String("Correct-Horse-1")})
	assert.Equal(t, "NotAuthorizedException", code(err))
	_, err = pool.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: id, Username: aws.String("ann"), SecretHash: aws.String("wrong")})
	assert.Equal(t, "NotAuthorizedException", code(err))
	_, err = pool.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: id, Token: aws.String("refresh-x")})
	assert.Equal(t, "NotAuthorizedException", code(err))
	_, err = pool.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: id, Username: aws.String("ann"),
		SecretHash: aws.String(cognitoauth.SecretHash("the-secret", "ann", pool.ClientID()))})
	require.NoError(t, err)
}

// TestRevocation: RevokeToken ends the refresh token, the tokens rotation
// made from it and its access tokens; an access token cannot be revoked;
// an unknown token is accepted.
func TestRevocation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool := cognitotest.New(func(o *cognitotest.Options) { o.RefreshRotation = true })
	pool.AddUser("ann", "Correct-Horse-1", cognitotest.User{})
	c, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions)
	require.NoError(t, err)
	tok, err := c.SignIn(ctx, "ann", "Correct-Horse-1")
	require.NoError(t, err)
	rotated, err := c.Refresh(ctx, tok)
	require.NoError(t, err)
	other, err := c.SignIn(ctx, "ann", "Correct-Horse-1")
	require.NoError(t, err)

	_, err = pool.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: aws.String(pool.ClientID()), Token: aws.String(tok.AccessToken)})
	assert.Equal(t, "UnsupportedTokenTypeException", code(err))
	_, err = pool.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: aws.String(pool.ClientID()), Token: aws.String("never-issued")})
	require.NoError(t, err)

	require.NoError(t, c.RevokeToken(ctx, tok))
	_, err = c.Refresh(ctx, rotated)
	require.ErrorIs(t, err, cognitoauth.ErrSessionExpired, "the rotated successor is revoked with it")
	for _, access := range []string{tok.AccessToken, rotated.AccessToken} {
		_, err = pool.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String(access)})
		assert.Equal(t, "NotAuthorizedException", code(err))
	}
	_, err = c.Refresh(ctx, other)
	require.NoError(t, err, "another session is untouched")
}

// TestConfirmDeviceChecks: ConfirmDevice needs a live access token of the
// device's user and a verifier that loads.
func TestConfirmDeviceChecks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool := cognitotest.New(func(o *cognitotest.Options) { o.DeviceTracking = true })
	pool.AddUser("ann", "Correct-Horse-1", cognitotest.User{})
	out, err := pool.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(pool.ClientID()), AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "ann", "PASSWORD": "Correct-Horse-1"}})
	require.NoError(t, err)
	md := out.AuthenticationResult.NewDeviceMetadata
	require.NotNil(t, md)
	for _, tc := range []struct {
		name, access, key, verifier, salt, want string
	}{
		{"bad access token", "nope", aws.ToString(md.DeviceKey), "AQ==", "AQ==", "NotAuthorizedException"},
		{"unknown device", aws.ToString(out.AuthenticationResult.AccessToken), "us-east-1_nope", "AQ==", "AQ==", "ResourceNotFoundException"},
		{"verifier not base64", aws.ToString(out.AuthenticationResult.AccessToken), aws.ToString(md.DeviceKey), "!!", "AQ==", "InvalidParameterException"},
		{"empty salt", aws.ToString(out.AuthenticationResult.AccessToken), aws.ToString(md.DeviceKey), "AQ==", "", "InvalidParameterException"},
	} {
		_, err := pool.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{AccessToken: aws.String(tc.access), DeviceKey: aws.String(tc.key),
			DeviceSecretVerifierConfig: &ciptypes.DeviceSecretVerifierConfigType{PasswordVerifier: aws.String(tc.verifier), Salt: aws.String(tc.salt)}})
		assert.Equal(t, tc.want, code(err), tc.name)
	}
	assert.Equal(t, []cognitotest.DeviceStatus{{Key: aws.ToString(md.DeviceKey)}}, pool.Devices("ann"), "still unconfirmed")
}
