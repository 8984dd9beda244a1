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

// Every error the lifecycle and device calls can return, on the fake:
// errors.As finds the struct *cognitoidentityprovider.Client makes of it
// for that operation, with Cognito's code and message. RevokeToken's model
// lists neither ResourceNotFoundException nor NotAuthorizedException, so
// the client, and the fake, give those as *smithy.GenericAPIError. The
// ones moto 5.2.1 models also run against moto in sharedErrors.
func TestLifecycleErrorsAreTheSDKs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	clk := &clock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	pool := cognitotest.New(func(o *cognitotest.Options) { o.Clock, o.DeviceTracking = clk.Now, true })
	pool.AddUser("ann", "Correct-Horse-1", cognitotest.User{})
	pool.AddUser("nocode", "Correct-Horse-1", cognitotest.User{Unconfirmed: true})
	secret := cognitotest.New(func(o *cognitotest.Options) { o.ClientSecret = "the-secret" })
	id := aws.String(pool.ClientID())

	_, err := pool.SignUp(ctx, &cip.SignUpInput{ClientId: id, Username: aws.String("ben"), Password: aws.String("Correct-Horse-1")})
	require.NoError(t, err)
	signIn := func(params map[string]string) *cip.InitiateAuthOutput {
		out, err := pool.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: id, AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth, AuthParameters: params})
		require.NoError(t, err)
		return out
	}
	first := signIn(map[string]string{"USERNAME": "ann", "PASSWORD": "Correct-Horse-1"}).AuthenticationResult
	access, device := first.AccessToken, first.NewDeviceMetadata.DeviceKey
	_, err = pool.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{AccessToken: access, DeviceKey: device,
		DeviceSecretVerifierConfig: &ciptypes.DeviceSecretVerifierConfigType{PasswordVerifier: aws.String("AQ=="), Salt: aws.String("AQ==")}})
	require.NoError(t, err)
	_, err = pool.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: id, Username: aws.String("ann")})
	require.NoError(t, err)
	resetCode, _ := pool.ResetCode("ann")
	respond := func(name ciptypes.ChallengeNameType, session *string, answers map[string]string) (*cip.RespondToAuthChallengeOutput, error) {
		answers["USERNAME"] = "ann"
		return pool.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: id, ChallengeName: name, Session: session, ChallengeResponses: answers})
	}
	const expired = "Invalid code provided, please request a code again."

	for _, tc := range []struct {
		name, code, msg string
		err             func() error
		as              any
	}{
		{"sign-up without a username", "InvalidParameterException",
			"1 validation error detected: Value at 'username' failed to satisfy constraint: Member must have length greater than or equal to 1", func() error {
				_, err := pool.SignUp(ctx, &cip.SignUpInput{ClientId: id, Password: aws.String("Correct-Horse-1")})
				return err
			}, new(*ciptypes.InvalidParameterException)},
		{"sign-up without the secret hash", "NotAuthorizedException", "Unable to verify secret hash for client " + secret.ClientID(), func() error {
			_, err := secret.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(secret.ClientID()), Username: aws.String("ben"), Password: aws.String("Correct-Horse-1")})
			return err
		}, new(*ciptypes.NotAuthorizedException)},
		{"sign-up of an existing user", "UsernameExistsException", "User already exists", func() error {
			_, err := pool.SignUp(ctx, &cip.SignUpInput{ClientId: id, Username: aws.String("ann"), Password: aws.String("Correct-Horse-1")})
			return err
		}, new(*ciptypes.UsernameExistsException)},
		{"sign-up with a short password", "InvalidPasswordException", "Password does not conform to policy: Password not long enough (at least 8 characters)", func() error {
			_, err := pool.SignUp(ctx, &cip.SignUpInput{ClientId: id, Username: aws.String("cat"), Password: aws.String("short")})
			return err
		}, new(*ciptypes.InvalidPasswordException)},
		{"confirming a confirmed user", "NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED", func() error {
			_, err := pool.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: id, Username: aws.String("ann"), ConfirmationCode: aws.String("123456")})
			return err
		}, new(*ciptypes.NotAuthorizedException)},
		{"confirming with no code sent", "ExpiredCodeException", expired, func() error {
			_, err := pool.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: id, Username: aws.String("nocode"), ConfirmationCode: aws.String("123456")})
			return err
		}, new(*ciptypes.ExpiredCodeException)},
		{"confirming with a wrong code", "CodeMismatchException", "Invalid verification code provided, please try again.", func() error {
			_, err := pool.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: id, Username: aws.String("ben"), ConfirmationCode: aws.String("x")})
			return err
		}, new(*ciptypes.CodeMismatchException)},
		{"confirming after five wrong codes", "LimitExceededException", "Attempt limit exceeded, please try after some time.", func() error {
			for range 5 {
				_, _ = pool.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: id, Username: aws.String("ben"), ConfirmationCode: aws.String("x")})
			}
			code, _ := pool.ConfirmationCode("ben")
			_, err := pool.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: id, Username: aws.String("ben"), ConfirmationCode: aws.String(code)})
			return err
		}, new(*ciptypes.LimitExceededException)},
		{"resending to a confirmed user", "InvalidParameterException", "User is already confirmed.", func() error {
			_, err := pool.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: id, Username: aws.String("ann")})
			return err
		}, new(*ciptypes.InvalidParameterException)},
		{"resending to an unknown user", "UserNotFoundException", "Username/client id combination not found.", func() error {
			_, err := pool.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: id, Username: aws.String("nobody")})
			return err
		}, new(*ciptypes.UserNotFoundException)},
		{"password reset of an unknown user", "UserNotFoundException", "Username/client id combination not found.", func() error {
			_, err := pool.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: id, Username: aws.String("nobody")})
			return err
		}, new(*ciptypes.UserNotFoundException)},
		{"password reset to a short password", "InvalidPasswordException", "Password does not conform to policy: Password not long enough (at least 8 characters)", func() error {
			_, err := pool.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: id, Username: aws.String("ann"), ConfirmationCode: aws.String(resetCode), Password: aws.String("short")})
			return err
		}, new(*ciptypes.InvalidPasswordException)},
		{"password change to a short password", "InvalidPasswordException", "Password does not conform to policy: Password not long enough (at least 8 characters)", func() error {
			_, err := pool.ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: access, PreviousPassword: aws.String("Correct-Horse-1"), ProposedPassword: aws.String("short")})
			return err
		}, new(*ciptypes.InvalidPasswordException)},
		{"revoking an access token", "UnsupportedTokenTypeException", "The token type is not supported: only refresh tokens can be revoked", func() error {
			_, err := pool.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: id, Token: access})
			return err
		}, new(*ciptypes.UnsupportedTokenTypeException)},
		{"revoking on an unknown app client", "ResourceNotFoundException", "User pool client nope does not exist.", func() error {
			_, err := pool.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: aws.String("nope"), Token: first.RefreshToken})
			return err
		}, new(*smithy.GenericAPIError)},
		{"revoking without the client secret", "NotAuthorizedException", "Client " + secret.ClientID() + " is configured with secret but the secret was not received or is wrong", func() error {
			_, err := secret.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: aws.String(secret.ClientID()), Token: aws.String("refresh-x")})
			return err
		}, new(*smithy.GenericAPIError)},
		{"confirming a device without a verifier", "InvalidParameterException", "DeviceSecretVerifierConfig is required", func() error {
			_, err := pool.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{AccessToken: access, DeviceKey: device})
			return err
		}, new(*ciptypes.InvalidParameterException)},
		{"confirming an unknown device", "ResourceNotFoundException", "Device does not exist.", func() error {
			_, err := pool.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{AccessToken: access, DeviceKey: aws.String("us-east-1_nope")})
			return err
		}, new(*ciptypes.ResourceNotFoundException)},
		{"device status of an unknown device", "ResourceNotFoundException", "Device does not exist.", func() error {
			_, err := pool.UpdateDeviceStatus(ctx, &cip.UpdateDeviceStatusInput{AccessToken: access, DeviceKey: aws.String("us-east-1_nope"),
				DeviceRememberedStatus: ciptypes.DeviceRememberedStatusTypeRemembered})
			return err
		}, new(*ciptypes.ResourceNotFoundException)},
		{"device status not given", "InvalidParameterException", "DeviceRememberedStatus must be remembered or not_remembered", func() error {
			_, err := pool.UpdateDeviceStatus(ctx, &cip.UpdateDeviceStatusInput{AccessToken: access, DeviceKey: device})
			return err
		}, new(*ciptypes.InvalidParameterException)},
		{"device sign-in with another device's key", "ResourceNotFoundException", "Device does not exist.", func() error {
			c := signIn(map[string]string{"USERNAME": "ann", "PASSWORD": "Correct-Horse-1", "DEVICE_KEY": aws.ToString(device)})
			require.Equal(t, ciptypes.ChallengeNameTypeDeviceSrpAuth, c.ChallengeName)
			_, err := respond(c.ChallengeName, c.Session, map[string]string{"DEVICE_KEY": "us-east-1_other", "SRP_A": "02"})
			return err
		}, new(*ciptypes.ResourceNotFoundException)},
		{"device proof with a bad timestamp", "InvalidParameterException", "TIMESTAMP is not in the required format", func() error {
			c := signIn(map[string]string{"USERNAME": "ann", "PASSWORD": "Correct-Horse-1", "DEVICE_KEY": aws.ToString(device)})
			v, err := respond(c.ChallengeName, c.Session, map[string]string{"DEVICE_KEY": aws.ToString(device), "SRP_A": "02"})
			require.NoError(t, err)
			_, err = respond(v.ChallengeName, v.Session, map[string]string{"DEVICE_KEY": aws.ToString(device), "TIMESTAMP": "yesterday"})
			return err
		}, new(*ciptypes.InvalidParameterException)},
		{"password reset with an expired code", "ExpiredCodeException", expired, func() error {
			clk.Advance(time.Hour)
			_, err := pool.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: id, Username: aws.String("ann"), ConfirmationCode: aws.String(resetCode), Password: aws.String("Other-Horse-1")})
			return err
		}, new(*ciptypes.ExpiredCodeException)},
		{"an expired access token", "NotAuthorizedException", "Access Token has expired", func() error {
			_, err := pool.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: access})
			return err
		}, new(*ciptypes.NotAuthorizedException)},
		{"a revoked access token", "NotAuthorizedException", "Access Token has been revoked", func() error {
			fresh := signIn(map[string]string{"USERNAME": "ann", "PASSWORD": "Correct-Horse-1"}).AuthenticationResult
			_, err := pool.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: fresh.AccessToken})
			require.NoError(t, err)
			_, err = pool.ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: fresh.AccessToken, PreviousPassword: aws.String("Correct-Horse-1"), ProposedPassword: aws.String("Other-Horse-1")})
			return err
		}, new(*ciptypes.NotAuthorizedException)},
	} {
		t.Run(tc.name, func(t *testing.T) { checkError(t, tc.err(), tc.code, tc.msg, tc.as) })
	}
}

// The lifecycle calls are on the recorder like the sign-in calls: a lost
// SignUp has added the user, and its input is in the log.
func TestLifecycleRecorder(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool := cognitotest.New()
	lost := errors.New("connection reset")
	pool.LoseNext("SignUp", lost)
	in := &cip.SignUpInput{ClientId: aws.String(pool.ClientID()), Username: aws.String("ann"), Password: aws.String("Correct-Horse-1")}
	_, err := pool.SignUp(ctx, in)
	require.ErrorIs(t, err, lost)
	_, ok := pool.ConfirmationCode("ann")
	assert.True(t, ok, "the lost sign-up acted")
	_, err = pool.SignUp(ctx, in)
	assert.Equal(t, "UsernameExistsException", code(err))
	assert.Equal(t, []any{in, in}, pool.Log("SignUp"))
	pool.FailNext("RevokeToken", lost)
	_, err = pool.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: aws.String(pool.ClientID()), Token: aws.String("x")})
	require.ErrorIs(t, err, lost)
	assert.Equal(t, map[string]int{"SignUp": 2, "RevokeToken": 1}, pool.CallCounts())
}
