package cognitotest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/cognitoauth/cognitotest"
	"github.com/kumo-go/kumo/internal/moto"
)

func TestMain(m *testing.M) { os.Exit(moto.Run(m)) }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// pool is what the shared cases need of a user pool: its client, its app
// client ID, and users "alice" (password "Correct-Horse-1") and "carol"
// (signed up, not confirmed).
type pool struct {
	idp      cognitoauth.IdentityProviderAPI
	life     cognitoauth.LifecycleAPI
	clientID string
}

// aliceAccess signs alice in and returns her access token.
func aliceAccess(ctx context.Context, p pool) (*string, error) {
	out, err := p.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(p.clientID), AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": "Correct-Horse-1"}})
	if err != nil {
		return nil, err
	}
	return out.AuthenticationResult.AccessToken, nil
}

func passwordAuth(ctx context.Context, p pool, clientID, user, password string) error {
	_, err := p.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": password}})
	return err
}

// sharedErrors are the user-pool errors both the fake and moto give.
var sharedErrors = []struct {
	name, code string
	call       func(context.Context, pool) error
	as         any
}{
	{"unknown user", "UserNotFoundException", func(ctx context.Context, p pool) error {
		return passwordAuth(ctx, p, p.clientID, "nobody", "Correct-Horse-1")
	}, new(*ciptypes.UserNotFoundException)},
	{"wrong password", "NotAuthorizedException", func(ctx context.Context, p pool) error {
		return passwordAuth(ctx, p, p.clientID, "alice", "wrong-Horse-1")
	}, new(*ciptypes.NotAuthorizedException)},
	{"unconfirmed user", "UserNotConfirmedException", func(ctx context.Context, p pool) error {
		return passwordAuth(ctx, p, p.clientID, "carol", "Correct-Horse-1")
	}, new(*ciptypes.UserNotConfirmedException)},
	{"unknown app client", "ResourceNotFoundException", func(ctx context.Context, p pool) error {
		return passwordAuth(ctx, p, "nosuchclient", "alice", "Correct-Horse-1")
	}, new(*ciptypes.ResourceNotFoundException)},
	{"revoked refresh token", "NotAuthorizedException", func(ctx context.Context, p pool) error {
		_, err := p.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(p.clientID), AuthFlow: ciptypes.AuthFlowTypeRefreshTokenAuth,
			AuthParameters: map[string]string{"REFRESH_TOKEN": "not-a-token"}})
		return err
	}, new(*ciptypes.NotAuthorizedException)},

	// The lifecycle calls' errors that moto 5.2.1 models (it ignores
	// confirmation codes and has no ResendConfirmationCode, RevokeToken or
	// device calls: those are in TestLifecycleErrorsAreTheSDKs).
	{"sign-up of an existing user", "UsernameExistsException", func(ctx context.Context, p pool) error {
		_, err := p.life.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(p.clientID), Username: aws.String("alice"), Password: aws.String("Correct-Horse-1")})
		return err
	}, new(*ciptypes.UsernameExistsException)},
	{"sign-up with a short password", "InvalidPasswordException", func(ctx context.Context, p pool) error {
		_, err := p.life.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(p.clientID), Username: aws.String("bob"), Password: aws.String("short")})
		return err
	}, new(*ciptypes.InvalidPasswordException)},
	{"sign-up on an unknown app client", "ResourceNotFoundException", func(ctx context.Context, p pool) error {
		_, err := p.life.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String("nosuchclient"), Username: aws.String("bob"), Password: aws.String("Correct-Horse-1")})
		return err
	}, new(*ciptypes.ResourceNotFoundException)},
	{"confirming an unknown user", "UserNotFoundException", func(ctx context.Context, p pool) error {
		_, err := p.life.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(p.clientID), Username: aws.String("nobody"), ConfirmationCode: aws.String("123456")})
		return err
	}, new(*ciptypes.UserNotFoundException)},
	{"confirming on an unknown app client", "ResourceNotFoundException", func(ctx context.Context, p pool) error {
		_, err := p.life.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String("nosuchclient"), Username: aws.String("carol"), ConfirmationCode: aws.String("123456")})
		return err
	}, new(*ciptypes.ResourceNotFoundException)},
	{"password reset on an unknown app client", "ResourceNotFoundException", func(ctx context.Context, p pool) error {
		_, err := p.life.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String("nosuchclient"), Username: aws.String("alice")})
		return err
	}, new(*ciptypes.ResourceNotFoundException)},
	{"password change with a wrong password", "NotAuthorizedException", func(ctx context.Context, p pool) error {
		access, err := aliceAccess(ctx, p)
		if err != nil {
			return err
		}
		_, err = p.life.ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: access, PreviousPassword: aws.String("wrong-Horse-1"), ProposedPassword: aws.String("Other-Horse-1")})
		return err
	}, new(*ciptypes.NotAuthorizedException)},
	{"password change with a made-up access token", "NotAuthorizedException", func(ctx context.Context, p pool) error {
		_, err := p.life.ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: aws.String("not-a-token"), PreviousPassword: aws.String("Correct-Horse-1"), ProposedPassword: aws.String("Other-Horse-1")})
		return err
	}, new(*ciptypes.NotAuthorizedException)},
	{"sign-out with a made-up access token", "NotAuthorizedException", func(ctx context.Context, p pool) error {
		_, err := p.life.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String("not-a-token")})
		return err
	}, new(*ciptypes.NotAuthorizedException)},
}

func checkShared(t *testing.T, p pool) {
	for _, tc := range sharedErrors {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(testCtx(t), p)
			var apiErr smithy.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.code, apiErr.ErrorCode())
			assert.ErrorAs(t, err, tc.as, "errors.As with the SDK's type: got %T", apiErr)
		})
	}
	ctx := testCtx(t)
	out, err := p.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(p.clientID), AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": "Correct-Horse-1"}})
	require.NoError(t, err, "alice signs in")
	r := out.AuthenticationResult
	require.NotNil(t, r)
	assert.NotEmpty(t, aws.ToString(r.IdToken))
	assert.NotEmpty(t, aws.ToString(r.AccessToken))
	assert.Equal(t, "Bearer", aws.ToString(r.TokenType))
	assert.Equal(t, int32(3600), r.ExpiresIn)
	refreshed, err := p.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(p.clientID), AuthFlow: ciptypes.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(r.RefreshToken)}})
	require.NoError(t, err, "the refresh token works")
	assert.NotEmpty(t, aws.ToString(refreshed.AuthenticationResult.AccessToken))
	assert.Nil(t, refreshed.AuthenticationResult.RefreshToken, "no new refresh token without rotation")
}

func TestSharedErrorsFake(t *testing.T) {
	f := cognitotest.New()
	f.AddUser("alice", "Correct-Horse-1", cognitotest.User{})
	f.AddUser("carol", "Correct-Horse-1", cognitotest.User{Unconfirmed: true})
	checkShared(t, pool{idp: f, life: f, clientID: f.ClientID()})
}

func TestSharedErrorsMoto(t *testing.T) {
	ctx := testCtx(t)
	c := cip.NewFromConfig(moto.Config(t))
	up, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(fmt.Sprintf("kumo-errors-%d", time.Now().UnixNano()))})
	require.NoError(t, err)
	app, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: up.UserPool.Id, ClientName: aws.String("app"),
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth, ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	require.NoError(t, err)
	_, err = c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: up.UserPool.Id, Username: aws.String("alice")})
	require.NoError(t, err)
	_, err = c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: up.UserPool.Id, Username: aws.String("alice"),
		Password: aws.String("Correct-Horse-1"), Permanent: true})
	require.NoError(t, err)
	_, err = c.SignUp(ctx, &cip.SignUpInput{ClientId: app.UserPoolClient.ClientId, Username: aws.String("carol"), Password: aws.String("Correct-Horse-1")})
	require.NoError(t, err)
	checkShared(t, pool{idp: c, life: c, clientID: aws.ToString(app.UserPoolClient.ClientId)})
}

// Every error the fake returns, on the fake: errors.As finds the SDK's
// struct of the service that answers (user pool or identity pool). The
// ones moto models are also in sharedErrors; the others follow Cognito's
// API reference.
func TestEveryErrorIsTheSDKs(t *testing.T) {
	ctx := testCtx(t)
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	f := cognitotest.New(func(o *cognitotest.Options) {
		o.Clock = func() time.Time { return now }
		o.RefreshRotation = true
	})
	f.AddUser("alice", "Correct-Horse-1", cognitotest.User{})
	f.AddUser("reset", "Correct-Horse-1", cognitotest.User{ResetRequired: true})
	f.AddUser("temp", "Temp-Horse-1", cognitotest.User{TemporaryPassword: true})
	f.AddUser("mfa", "Correct-Horse-1", cognitotest.User{TOTPCode: "123456"})
	var cfg cognitoauth.Options
	f.ClientOptions(&cfg)
	auth := func(user, password string) (*cip.InitiateAuthOutput, error) {
		return f.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(f.ClientID()), AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": password}})
	}
	respond := func(user string, name ciptypes.ChallengeNameType, session *string, answers map[string]string) error {
		answers["USERNAME"] = user
		_, err := f.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(f.ClientID()), ChallengeName: name,
			Session: session, ChallengeResponses: answers})
		return err
	}
	tokens, err := auth("alice", "Correct-Horse-1")
	require.NoError(t, err)
	refresh := tokens.AuthenticationResult.RefreshToken
	signedIn, err := f.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(f.ClientID()), RefreshToken: refresh})
	require.NoError(t, err)
	require.NotNil(t, signedIn.AuthenticationResult.RefreshToken, "rotated")
	logins := map[string]string{"cognito-idp.us-east-1.amazonaws.com/" + f.UserPoolID(): aws.ToString(tokens.AuthenticationResult.IdToken)}

	for _, tc := range []struct {
		name, code, msg string
		err             func() error
		as              any
	}{
		{"reset required", "PasswordResetRequiredException", "Password reset required for the user",
			func() error { _, err := auth("reset", "Correct-Horse-1"); return err }, new(*ciptypes.PasswordResetRequiredException)},
		{"new password too short", "InvalidPasswordException", "Password does not conform to policy: Password not long enough", func() error {
			c, err := auth("temp", "Temp-Horse-1")
			require.NoError(t, err)
			return respond("temp", c.ChallengeName, c.Session, map[string]string{"NEW_PASSWORD": "short"})
		}, new(*ciptypes.InvalidPasswordException)},
		{"wrong TOTP code", "CodeMismatchException", "Invalid code received for user", func() error {
			c, err := auth("mfa", "Correct-Horse-1")
			require.NoError(t, err)
			return respond("mfa", c.ChallengeName, c.Session, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": "000000"})
		}, new(*ciptypes.CodeMismatchException)},
		{"unknown session", "NotAuthorizedException", "Invalid session for the user.", func() error {
			return respond("mfa", ciptypes.ChallengeNameTypeSoftwareTokenMfa, aws.String("nope"), map[string]string{})
		}, new(*ciptypes.NotAuthorizedException)},
		{"SRP as an admin flow", "InvalidParameterException", "USER_SRP_AUTH is not an admin flow", func() error {
			_, err := f.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(f.UserPoolID()), ClientId: aws.String(f.ClientID()),
				AuthFlow: ciptypes.AuthFlowTypeUserSrpAuth, AuthParameters: map[string]string{"USERNAME": "alice"}})
			return err
		}, new(*ciptypes.InvalidParameterException)},
		{"unknown pool", "ResourceNotFoundException", "User pool us-east-1_nope does not exist.", func() error {
			_, err := f.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String("us-east-1_nope"), ClientId: aws.String(f.ClientID()),
				AuthFlow: ciptypes.AuthFlowTypeAdminUserPasswordAuth})
			return err
		}, new(*ciptypes.ResourceNotFoundException)},
		{"rotated refresh token", "RefreshTokenReuseException", "Refresh token has been rotated and cannot be reused", func() error {
			_, err := f.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(f.ClientID()), RefreshToken: refresh})
			return err
		}, new(*ciptypes.RefreshTokenReuseException)},
		{"identity pool: unknown pool", "ResourceNotFoundException", "IdentityPool 'us-east-1:nope' not found.", func() error {
			_, err := f.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String("us-east-1:nope")})
			return err
		}, new(*citypes.ResourceNotFoundException)},
		{"identity pool: no guests", "NotAuthorizedException", "Unauthenticated access is not supported for this identity pool.", func() error {
			_, err := f.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(cfg.IdentityPoolID)})
			return err
		}, new(*citypes.NotAuthorizedException)},
		{"identity pool: unknown identity", "ResourceNotFoundException", "Identity 'us-east-1:nope' not found.", func() error {
			_, err := f.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: aws.String("us-east-1:nope"), Logins: logins})
			return err
		}, new(*citypes.ResourceNotFoundException)},
		{"identity pool: bad role", "InvalidParameterException", "CustomRoleArn is not a role ARN", func() error {
			id, err := f.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(cfg.IdentityPoolID), Logins: logins})
			require.NoError(t, err)
			_, err = f.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins, CustomRoleArn: aws.String("admin")})
			return err
		}, new(*citypes.InvalidParameterException)},
		{"identity pool: expired token", "NotAuthorizedException", "Invalid login token. Token expired: 2026-11-30T13:00:00Z", func() error {
			now = now.Add(2 * time.Hour)
			_, err := f.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(cfg.IdentityPoolID), Logins: logins})
			return err
		}, new(*citypes.NotAuthorizedException)},
	} {
		t.Run(tc.name, func(t *testing.T) { checkError(t, tc.err(), tc.code, tc.msg, tc.as) })
	}
}

// checkError checks that errors.As finds smithy.APIError with code and
// msg, and the SDK's type as.
func checkError(t *testing.T, err error, code, msg string, as any) {
	t.Helper()
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, code, apiErr.ErrorCode())
	assert.Equal(t, msg, apiErr.ErrorMessage())
	assert.ErrorAs(t, err, as, "got %T", apiErr)
}

// The clock sets the tokens' times and the credentials' expiry.
func TestClock(t *testing.T) {
	ctx := testCtx(t)
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	f := cognitotest.New(func(o *cognitotest.Options) {
		o.Clock = func() time.Time { return now }
		o.TokenTTL, o.CredentialsTTL = 10*time.Minute, 15*time.Minute
	})
	f.AddUser("alice", "Correct-Horse-1", cognitotest.User{})
	client, err := cognitoauth.New(f, f, f.UserPoolID(), f.ClientID(), f.ClientOptions)
	require.NoError(t, err)
	tokens, err := client.SignIn(ctx, "alice", "Correct-Horse-1")
	require.NoError(t, err)
	_, exp, err := cognitoauth.ParseClaims(tokens.IDToken)
	require.NoError(t, err)
	assert.Equal(t, now.Add(10*time.Minute), exp)
	creds, err := client.Credentials(ctx, tokens)
	require.NoError(t, err)
	assert.Equal(t, now.Add(15*time.Minute), creds.Expires)
}

// The zero value of every option is its default, a nil Clock included.
func TestZeroOptionsAreDefaults(t *testing.T) {
	f := cognitotest.New(func(o *cognitotest.Options) { *o = cognitotest.Options{} })
	var o cognitoauth.Options
	f.ClientOptions(&o)
	assert.Equal(t, []string{"us-east-1", "us-east-1_KumoTest1", "kumotestclient0000000000", "us-east-1:00000000-0000-4000-8000-000000000000"},
		[]string{f.Region(), f.UserPoolID(), f.ClientID(), o.IdentityPoolID})
	f.AddUser("alice", "Correct-Horse-1", cognitotest.User{})
	client, err := cognitoauth.New(f, f, f.UserPoolID(), f.ClientID(), f.ClientOptions)
	require.NoError(t, err)
	_, err = client.SignIn(testCtx(t), "alice", "Correct-Horse-1")
	require.NoError(t, err, "a nil Clock is time.Now")
}

func TestInjectionAndLog(t *testing.T) {
	ctx := testCtx(t)
	f := cognitotest.New()
	f.AddUser("alice", "Correct-Horse-1", cognitotest.User{})
	client, err := cognitoauth.New(f, f, f.UserPoolID(), f.ClientID(), f.ClientOptions)
	require.NoError(t, err)

	throttled := &ciptypes.TooManyRequestsException{Message: aws.String("Rate exceeded")}
	f.FailNext("InitiateAuth", throttled)
	_, err = client.SignIn(ctx, "alice", "Correct-Horse-1")
	require.ErrorAs(t, err, new(*ciptypes.TooManyRequestsException))

	lost := errors.New("connection reset")
	f.LoseNext("InitiateAuth", lost)
	_, err = client.SignIn(ctx, "alice", "Correct-Horse-1")
	require.ErrorIs(t, err, lost)

	var users []string
	f.OnCall("InitiateAuth", func(in any) error {
		users = append(users, in.(*cip.InitiateAuthInput).AuthParameters["USERNAME"])
		return nil
	})
	_, err = client.SignIn(ctx, "alice", "Correct-Horse-1")
	require.NoError(t, err)
	assert.Equal(t, []string{"alice"}, users)
	log := f.Log("InitiateAuth")
	require.Len(t, log, 3)
	assert.Equal(t, "alice", log[2].(*cip.InitiateAuthInput).AuthParameters["USERNAME"])
	assert.Equal(t, 3, f.Calls("InitiateAuth"))
	f.ResetCalls()
	assert.Zero(t, f.TotalCalls())
}
