package cognitoauth_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/cognitoauth/cognitotest"
	"github.com/kumo-go/kumo/internal/moto"
)

// A flowBackend is a user pool the same flow tests run against: cognitotest
// and moto. Where moto 5.2.1 lacks a call or a check, the backend says so
// and the test skips that step (the comment names what moto lacks).
type flowBackend struct {
	name string
	// client returns a client for a fresh app client (with a secret or
	// not) of one pool shared by the test.
	client func(t *testing.T, secret bool, fns ...func(*cognitoauth.Options)) *cognitoauth.Client
	// signUpCode and resetCode return a code that the backend accepts for
	// username (cognitotest's real code; moto accepts any code it did not
	// make itself).
	signUpCode, resetCode func(t *testing.T, username string) string
	// checksCodes: wrong codes give CodeMismatchException. moto 5.2.1's
	// ConfirmSignUp ignores the code, and its ConfirmForgotPassword checks
	// only codes of its own "moto-confirmation-code:" form.
	checksCodes bool
	// revokes and resends: RevokeToken and ResendConfirmationCode exist.
	// moto 5.2.1 has neither (it answers "The revoke_token action has not
	// been implemented", likewise resend_confirmation_code).
	revokes, resends bool
}

func fakeBackend() flowBackend {
	clk := &clock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	pools := map[bool]*cognitotest.Fake{}
	pool := func(secret bool) *cognitotest.Fake {
		if pools[secret] == nil {
			pools[secret] = cognitotest.New(func(o *cognitotest.Options) {
				o.Clock = clk.Now
				if secret {
					o.ClientSecret = "flow-client-secret"
				}
			})
		}
		return pools[secret]
	}
	var last *cognitotest.Fake
	return flowBackend{
		name: "cognitotest",
		client: func(t *testing.T, secret bool, fns ...func(*cognitoauth.Options)) *cognitoauth.Client {
			p := pool(secret)
			last = p
			c, err := cognitoauth.New(p, p, p.UserPoolID(), p.ClientID(), append([]func(*cognitoauth.Options){p.ClientOptions,
				func(o *cognitoauth.Options) { o.Flow = cognitoauth.FlowPassword }}, fns...)...)
			require.NoError(t, err)
			return c
		},
		signUpCode: func(t *testing.T, username string) string {
			c, ok := last.ConfirmationCode(username)
			require.True(t, ok, "cognitotest keeps the code it sent")
			return c
		},
		resetCode: func(t *testing.T, username string) string {
			c, ok := last.ResetCode(username)
			require.True(t, ok)
			return c
		},
		checksCodes: true, revokes: true, resends: true,
	}
}

func motoBackend(t *testing.T) flowBackend {
	cfg := moto.Config(t)
	// moto answers calls it has not implemented (GetTokensFromRefreshToken,
	// which Refresh tries once when REFRESH_TOKEN_AUTH is refused) with a
	// server error, which the SDK retries: two attempts with a short backoff
	// keep that quick. One attempt was too few: under load the client now
	// and then fails to read one of moto's 400 answers ("use of closed
	// network connection"), a connection error the SDK retries.
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 2
			o.Backoff = retry.NewExponentialJitterBackoff(20 * time.Millisecond)
		})
	}
	idp := cip.NewFromConfig(cfg)
	up, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(fmt.Sprintf("flows-%d", time.Now().UnixNano()))})
	require.NoError(t, err)
	poolID := aws.ToString(up.UserPool.Id)
	return flowBackend{
		name: "moto",
		client: func(t *testing.T, secret bool, fns ...func(*cognitoauth.Options)) *cognitoauth.Client {
			app, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("flows"),
				GenerateSecret: secret, ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
					ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
			require.NoError(t, err)
			c, err := cognitoauth.New(idp, nil, poolID, aws.ToString(app.UserPoolClient.ClientId), append([]func(*cognitoauth.Options){
				func(o *cognitoauth.Options) {
					o.ClientSecret, o.Flow = aws.ToString(app.UserPoolClient.ClientSecret), cognitoauth.FlowPassword
				}}, fns...)...)
			require.NoError(t, err)
			return c
		},
		signUpCode: func(*testing.T, string) string { return "123456" },
		resetCode:  func(*testing.T, string) string { return "654321" },
	}
}

func flowBackends(t *testing.T) []flowBackend {
	return []flowBackend{fakeBackend(), motoBackend(t)}
}

func apiCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// TestLifecycleFlows runs sign-up, confirmation, password change and
// reset, global sign-out and revocation against cognitotest and moto, with
// and without a client secret.
func TestLifecycleFlows(t *testing.T) {
	for _, be := range flowBackends(t) {
		for _, secret := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/secret=%v", be.name, secret), func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				c := be.client(t, secret)
				user := fmt.Sprintf("carol%d", time.Now().UnixNano()%1e9)

				out, err := c.SignUp(ctx, user, "First-Passw0rd!", map[string]string{"email": user + "@example.com"})
				require.NoError(t, err)
				assert.False(t, out.UserConfirmed)
				assert.NotEmpty(t, aws.ToString(out.UserSub))

				_, err = c.SignUp(ctx, user, "First-Passw0rd!", nil)
				require.ErrorIs(t, err, cognitoauth.ErrUsernameExists)
				assert.Equal(t, "UsernameExistsException", apiCode(err))

				_, err = c.SignUp(ctx, user+"x", "short", nil)
				require.ErrorIs(t, err, cognitoauth.ErrInvalidPassword)

				_, err = c.SignIn(ctx, user, "First-Passw0rd!")
				require.ErrorIs(t, err, cognitoauth.ErrUserNotConfirmed)

				if be.checksCodes {
					require.ErrorIs(t, c.ConfirmSignUp(ctx, user, "000000x"), cognitoauth.ErrCodeMismatch)
				}
				if be.resends {
					first := be.signUpCode(t, user)
					d, err := c.ResendConfirmationCode(ctx, user)
					require.NoError(t, err)
					assert.Equal(t, ciptypes.DeliveryMediumTypeEmail, d.DeliveryMedium)
					require.ErrorIs(t, c.ConfirmSignUp(ctx, user, first), cognitoauth.ErrCodeExpired, "the resent code replaces the first")
				}
				require.NoError(t, c.ConfirmSignUp(ctx, user, be.signUpCode(t, user)))
				if be.checksCodes { // moto 5.2.1 confirms a confirmed user again
					require.ErrorIs(t, c.ConfirmSignUp(ctx, user, "123456"), cognitoauth.ErrNotAuthorized, "already confirmed")
				}

				tok, err := c.SignIn(ctx, user, "First-Passw0rd!")
				require.NoError(t, err)
				assert.Equal(t, user, tok.Claims.Username)

				err = c.ChangePassword(ctx, tok, "Wrong-Passw0rd!", "Second-Passw0rd!")
				require.ErrorIs(t, err, cognitoauth.ErrNotAuthorized)
				require.NoError(t, c.ChangePassword(ctx, tok, "First-Passw0rd!", "Second-Passw0rd!"))
				_, err = c.SignIn(ctx, user, "First-Passw0rd!")
				require.ErrorIs(t, err, cognitoauth.ErrNotAuthorized)
				tok, err = c.SignIn(ctx, user, "Second-Passw0rd!")
				require.NoError(t, err)

				_, err = c.ForgotPassword(ctx, user)
				require.NoError(t, err)
				if be.checksCodes {
					require.ErrorIs(t, c.ConfirmForgotPassword(ctx, user, "000000x", "Third-Passw0rd!"), cognitoauth.ErrCodeMismatch)
				}
				require.NoError(t, c.ConfirmForgotPassword(ctx, user, be.resetCode(t, user), "Third-Passw0rd!"))
				tok2, err := c.SignIn(ctx, user, "Third-Passw0rd!")
				require.NoError(t, err)

				if be.revokes {
					// Revoking one session's refresh token ends that session only.
					require.NoError(t, c.RevokeToken(ctx, tok))
					_, err = c.Refresh(ctx, tok)
					require.ErrorIs(t, err, cognitoauth.ErrSessionExpired)
					_, err = c.Refresh(ctx, tok2)
					require.NoError(t, err)
				}

				// GlobalSignOut ends every session: refresh and the access
				// token's own calls fail.
				fresh, err := c.Refresh(ctx, tok2)
				require.NoError(t, err)
				require.NoError(t, c.GlobalSignOut(ctx, fresh))
				_, err = c.Refresh(ctx, tok2)
				require.ErrorIs(t, err, cognitoauth.ErrSessionExpired)
				err = c.ChangePassword(ctx, fresh, "Third-Passw0rd!", "Fourth-Passw0rd!")
				require.ErrorIs(t, err, cognitoauth.ErrNotAuthorized)
				assert.Equal(t, "NotAuthorizedException", apiCode(err))
			})
		}
	}
}

// TestRefreshFlows: a refresh keeps the session and its refresh token on
// both backends; rotation is cognitotest's only, because moto 5.2.1 has no
// GetTokensFromRefreshToken (its cognitoidp responses define no
// get_tokens_from_refresh_token), so TestRefreshRotation covers it there.
func TestRefreshFlows(t *testing.T) {
	for _, be := range flowBackends(t) {
		t.Run(be.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c := be.client(t, true)
			user := fmt.Sprintf("dave%d", time.Now().UnixNano()%1e9)
			_, err := c.SignUp(ctx, user, "First-Passw0rd!", nil)
			require.NoError(t, err)
			require.NoError(t, c.ConfirmSignUp(ctx, user, be.signUpCode(t, user)))
			tok, err := c.SignIn(ctx, user, "First-Passw0rd!")
			require.NoError(t, err)
			for range 3 {
				fresh, err := c.Refresh(ctx, tok)
				require.NoError(t, err)
				assert.Equal(t, tok.RefreshToken, fresh.RefreshToken)
				assert.Equal(t, tok.Claims.Subject, fresh.Claims.Subject)
			}
		})
	}
}
