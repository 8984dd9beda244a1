package cognitoauth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/cognitoauth/cognitotest"
)

var ctx = context.Background()

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

func setup(t *testing.T, secret string, flow cognitoauth.Flow, fns ...func(*cognitoauth.Options)) (*cognitotest.Fake, *cognitoauth.Client, *clock) {
	t.Helper()
	clk := &clock{now: time.Date(2026, 11, 22, 15, 4, 5, 0, time.UTC)}
	pool := cognitotest.New(func(o *cognitotest.Options) { o.ClientSecret, o.Clock, o.AllowGuests = secret, clk.Now, true })
	pool.AddUser("alice", "Correct-Horse-1", cognitotest.User{Email: "alice@example.com", Groups: []string{"readers", "admins"}})
	c, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), append([]func(*cognitoauth.Options){pool.ClientOptions, func(o *cognitoauth.Options) { o.Flow, o.Clock = flow, clk.Now }}, fns...)...)
	require.NoError(t, err)
	return pool, c, clk
}

func TestSignInFlows(t *testing.T) {
	for _, flow := range []cognitoauth.Flow{cognitoauth.FlowSRP, cognitoauth.FlowPassword, cognitoauth.FlowAdminPassword, cognitoauth.FlowAdminNoSRP} {
		for _, secret := range []string{"", "s3cr3t-client-secret"} {
			t.Run(fmt.Sprintf("flow%d/secret=%v", flow, secret != ""), func(t *testing.T) {
				pool, c, clk := setup(t, secret, flow)
				tok, err := c.SignIn(ctx, "alice", "Correct-Horse-1")
				require.NoError(t, err)
				assert.Equal(t, "alice", tok.Claims.Username)
				assert.Equal(t, "alice@example.com", tok.Claims.Email)
				assert.Equal(t, []string{"readers", "admins"}, tok.Claims.Groups)
				assert.NotEmpty(t, tok.Claims.Subject)
				assert.Equal(t, clk.Now().Add(time.Hour), tok.Expires)
				assert.NotEmpty(t, tok.RefreshToken)

				_, err = c.SignIn(ctx, "alice", "wrong-password")
				require.ErrorIs(t, err, cognitoauth.ErrNotAuthorized)
				var apiErr smithy.APIError
				require.ErrorAs(t, err, &apiErr, "the service error stays wrapped")
				assert.Equal(t, "NotAuthorizedException", apiErr.ErrorCode())
				_, err = c.SignIn(ctx, "bob", "whatever-1")
				require.ErrorIs(t, err, cognitoauth.ErrUserNotFound)
				if flow == cognitoauth.FlowSRP {
					assert.Equal(t, 2, pool.Calls("RespondToAuthChallenge"), "the SRP proof is checked by the pool")
				}
			})
		}
	}
}

func TestUserStates(t *testing.T) {
	pool, c, _ := setup(t, "", cognitoauth.FlowSRP)
	pool.AddUser("unconfirmed", "Passw0rd-1", cognitotest.User{Unconfirmed: true})
	pool.AddUser("reset", "Passw0rd-1", cognitotest.User{ResetRequired: true})
	_, err := c.SignIn(ctx, "unconfirmed", "Passw0rd-1")
	require.ErrorIs(t, err, cognitoauth.ErrUserNotConfirmed)
	_, err = c.SignIn(ctx, "reset", "Passw0rd-1")
	require.ErrorIs(t, err, cognitoauth.ErrPasswordResetRequired)
	_, err = c.SignIn(ctx, "", "x")
	assert.Error(t, err)
}

func TestChallenges(t *testing.T) {
	pool, c, _ := setup(t, "client-secret", cognitoauth.FlowSRP)
	pool.AddUser("newbie", "Temp-Passw0rd", cognitotest.User{TemporaryPassword: true, TOTPCode: "123456"})
	_, err := c.SignIn(ctx, "newbie", "Temp-Passw0rd")
	var ce *cognitoauth.ChallengeError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "NEW_PASSWORD_REQUIRED", ce.Name)
	assert.EqualError(t, err, "cognitoauth: Cognito asks for the NEW_PASSWORD_REQUIRED challenge; set Options.ChallengeHandler to answer it")

	var seen []string
	handler := func(_ context.Context, ch cognitoauth.Challenge) (map[string]string, error) {
		seen = append(seen, ch.Name)
		switch ch.Name {
		case "NEW_PASSWORD_REQUIRED":
			return map[string]string{"NEW_PASSWORD": "Brand-New-Passw0rd"}, nil
		case "SOFTWARE_TOKEN_MFA":
			return map[string]string{"SOFTWARE_TOKEN_MFA_CODE": "123456"}, nil
		}
		return nil, errors.New("unexpected")
	}
	c2, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions, func(o *cognitoauth.Options) { o.ChallengeHandler = handler })
	require.NoError(t, err)
	tok, err := c2.SignIn(ctx, "newbie", "Temp-Passw0rd")
	require.NoError(t, err)
	assert.Equal(t, []string{"NEW_PASSWORD_REQUIRED", "SOFTWARE_TOKEN_MFA"}, seen)
	assert.Equal(t, "newbie", tok.Claims.Username)
	seen = nil
	_, err = c2.SignIn(ctx, "newbie", "Brand-New-Passw0rd")
	require.NoError(t, err, "the new password works through SRP")
	assert.Equal(t, []string{"SOFTWARE_TOKEN_MFA"}, seen)
}

func TestRefreshAndCredentials(t *testing.T) {
	pool, c, clk := setup(t, "client-secret", cognitoauth.FlowSRP, func(o *cognitoauth.Options) {})
	c2, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions, func(o *cognitoauth.Options) {
		o.CustomRoleARN = "arn:aws:iam::111122223333:role/readers"
		o.Clock = clk.Now
	})
	require.NoError(t, err)
	tok, err := c.SignIn(ctx, "alice", "Correct-Horse-1")
	require.NoError(t, err)

	clk.Advance(50 * time.Minute)
	fresh, err := c.Refresh(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, tok.RefreshToken, fresh.RefreshToken, "the refresh token is kept")
	assert.Equal(t, clk.Now().Add(time.Hour), fresh.Expires)
	assert.NotEqual(t, tok.IDToken, fresh.IDToken)

	cr, err := c2.Credentials(ctx, fresh)
	require.NoError(t, err)
	assert.True(t, cr.CanExpire)
	assert.Equal(t, clk.Now().Add(time.Hour), cr.Expires)
	_, err = c2.Credentials(ctx, fresh)
	require.NoError(t, err)
	assert.Equal(t, 1, pool.Calls("GetId"), "the identity ID is cached per user")
	assert.Equal(t, 2, pool.Calls("GetCredentialsForIdentity"))

	guest, err := c.GuestCredentials(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, cr.AccessKeyID, guest.AccessKeyID)

	clk.Advance(2 * time.Hour)
	_, err = c.Credentials(ctx, fresh)
	require.Error(t, err, "an expired ID token is refused by the identity pool")

	pool.RevokeRefreshTokens("alice")
	_, err = c.Refresh(ctx, fresh)
	require.ErrorIs(t, err, cognitoauth.ErrSessionExpired)
}

func TestProviderRefreshesOnceForConcurrentCallers(t *testing.T) {
	pool, c, clk := setup(t, "", cognitoauth.FlowSRP)
	tok, err := c.SignIn(ctx, "alice", "Correct-Horse-1")
	require.NoError(t, err)
	p := c.CredentialsProvider(tok)
	cache := aws.NewCredentialsCache(p)
	_, err = cache.Retrieve(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, pool.Calls("InitiateAuth"))

	clk.Advance(58 * time.Minute) // tokens within 5 minutes of expiry, credentials too
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := p.Retrieve(ctx)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.Equal(t, 2, pool.Calls("InitiateAuth"), "one refresh for eight concurrent callers")
	assert.Equal(t, clk.Now().Add(time.Hour), p.Tokens().Expires)

	pool.RevokeRefreshTokens("alice")
	clk.Advance(58 * time.Minute)
	_, err = p.Retrieve(ctx)
	require.ErrorIs(t, err, cognitoauth.ErrSessionExpired)
}

func TestTokensRedact(t *testing.T) {
	_, c, _ := setup(t, "", cognitoauth.FlowPassword)
	tok, err := c.SignIn(ctx, "alice", "Correct-Horse-1")
	require.NoError(t, err)
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("signed in", "tokens", *tok)
	for _, s := range []string{fmt.Sprintf("%v", *tok), fmt.Sprintf("%+v", tok), fmt.Sprintf("%#v", *tok), tok.String(), logged.String()} {
		assert.NotContains(t, s, tok.IDToken)
		assert.NotContains(t, s, tok.RefreshToken)
		assert.NotContains(t, s, tok.AccessToken)
	}
}

func TestParseClaims(t *testing.T) {
	for _, bad := range []string{"", "a.b", "a.!!!.c", "a." + "eyJ4IjoxfQ" + ".c", "a.bm90IGpzb24.c"} {
		_, _, err := cognitoauth.ParseClaims(bad)
		assert.ErrorIs(t, err, cognitoauth.ErrMalformedToken, bad)
	}
	c, exp, err := cognitoauth.ParseClaims("h.eyJzdWIiOiJhYmMiLCJjb2duaXRvOnVzZXJuYW1lIjoiYWxpY2UiLCJleHAiOjE3OTUzNTI0MDB9.s")
	require.NoError(t, err)
	assert.Equal(t, cognitoauth.Claims{Subject: "abc", Username: "alice", Expires: time.Unix(1795352400, 0).UTC(),
		Raw: []byte(`{"sub":"abc","cognito:username":"alice","exp":1795352400}`)}, c)
	assert.Equal(t, int64(1795352400), exp.Unix())
}
