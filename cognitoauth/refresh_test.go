package cognitoauth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/cognitoauth/cognitotest"
)

func rotatingPool(t *testing.T, rotation bool, secret string) (*cognitotest.Fake, *clock) {
	t.Helper()
	clk := &clock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	pool := cognitotest.New(func(o *cognitotest.Options) {
		o.Clock, o.RefreshRotation, o.ClientSecret, o.AllowGuests = clk.Now, rotation, secret, true
	})
	pool.AddUser("alice", "Correct-Horse-1", cognitotest.User{})
	return pool, clk
}

func TestRefreshRotation(t *testing.T) {
	for _, secret := range []string{"", "s3cret-client"} {
		for _, explicit := range []bool{true, false} {
			name := map[bool]string{true: "option", false: "detected"}[explicit]
			if secret != "" {
				name += ", client secret"
			}
			t.Run(name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				pool, clk := rotatingPool(t, true, secret)
				c, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions, func(o *cognitoauth.Options) { o.Clock, o.RefreshRotation = clk.Now, explicit })
				require.NoError(t, err)
				first, err := c.SignIn(ctx, "alice", "Correct-Horse-1")
				require.NoError(t, err)
				pool.ResetCalls()

				second, err := c.Refresh(ctx, first)
				require.NoError(t, err)
				assert.NotEqual(t, first.RefreshToken, second.RefreshToken, "rotated")
				assert.Equal(t, "alice", second.Claims.Username)
				wantInitiate := 0
				if !explicit {
					wantInitiate = 1 // REFRESH_TOKEN_AUTH refused once, then remembered
				}
				assert.Equal(t, wantInitiate, pool.Calls("InitiateAuth"))

				third, err := c.Refresh(ctx, second)
				require.NoError(t, err)
				assert.NotEqual(t, second.RefreshToken, third.RefreshToken)
				assert.Equal(t, wantInitiate, pool.Calls("InitiateAuth"))
				assert.Equal(t, 2, pool.Calls("GetTokensFromRefreshToken"))

				// The rotated-out token is refused as a session that ended.
				_, err = c.Refresh(ctx, first)
				require.ErrorIs(t, err, cognitoauth.ErrSessionExpired)
				var apiErr smithy.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, "RefreshTokenReuseException", apiErr.ErrorCode())
			})
		}
	}
}

// TestRefreshWithoutRotation: a client that does not rotate keeps
// REFRESH_TOKEN_AUTH and its refresh token; a revoked token costs one
// extra call (the rotation probe) and is ErrSessionExpired.
func TestRefreshWithoutRotation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, clk := rotatingPool(t, false, "")
	c, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions, func(o *cognitoauth.Options) { o.Clock = clk.Now })
	require.NoError(t, err)
	tok, err := c.SignIn(ctx, "alice", "Correct-Horse-1")
	require.NoError(t, err)
	pool.ResetCalls()
	fresh, err := c.Refresh(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, tok.RefreshToken, fresh.RefreshToken)
	assert.Equal(t, map[string]int{"InitiateAuth": 1}, pool.CallCounts())

	pool.RevokeRefreshTokens("alice")
	_, err = c.Refresh(ctx, tok)
	require.ErrorIs(t, err, cognitoauth.ErrSessionExpired)
	assert.Equal(t, 1, pool.Calls("GetTokensFromRefreshToken"))

	// With the option on, GetTokensFromRefreshToken also works for a
	// client without rotation and keeps the refresh token.
	pool2, clk2 := rotatingPool(t, false, "")
	c2, err := cognitoauth.New(pool2, pool2, pool2.UserPoolID(), pool2.ClientID(), pool2.ClientOptions, func(o *cognitoauth.Options) { o.Clock, o.RefreshRotation = clk2.Now, true })
	require.NoError(t, err)
	tok2, err := c2.SignIn(ctx, "alice", "Correct-Horse-1")
	require.NoError(t, err)
	fresh2, err := c2.Refresh(ctx, tok2)
	require.NoError(t, err)
	assert.Equal(t, tok2.RefreshToken, fresh2.RefreshToken)
}

// onlyIDP hides the fake's GetTokensFromRefreshToken, as an older
// implementation of IdentityProviderAPI would.
type onlyIDP struct {
	cognitoauth.IdentityProviderAPI
}

func TestRefreshRotationNeedsTheCall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, clk := rotatingPool(t, true, "")
	_, err := cognitoauth.New(onlyIDP{pool}, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions, func(o *cognitoauth.Options) { o.RefreshRotation = true })
	require.Error(t, err)

	// Without the option and the call, a rotating client's refresh fails
	// as Cognito answers it: the session cannot be renewed.
	c, err := cognitoauth.New(onlyIDP{pool}, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions, func(o *cognitoauth.Options) { o.Clock = clk.Now })
	require.NoError(t, err)
	tok, err := c.SignIn(ctx, "alice", "Correct-Horse-1")
	require.NoError(t, err)
	_, err = c.Refresh(ctx, tok)
	require.ErrorIs(t, err, cognitoauth.ErrSessionExpired)
}

// TestProviderRotation: the provider keeps refreshing on a rotating client,
// each time with the newest refresh token.
func TestProviderRotation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, clk := rotatingPool(t, true, "")
	c, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions, func(o *cognitoauth.Options) { o.Clock = clk.Now })
	require.NoError(t, err)
	tok, err := c.SignIn(ctx, "alice", "Correct-Horse-1")
	require.NoError(t, err)
	p := c.CredentialsProvider(tok)
	seen := map[string]bool{tok.RefreshToken: true}
	for range 4 {
		clk.Advance(time.Hour)
		cr, err := p.Retrieve(ctx)
		require.NoError(t, err)
		assert.True(t, cr.CanExpire)
		rt := p.Tokens().RefreshToken
		assert.False(t, seen[rt], "a new refresh token each time")
		seen[rt] = true
	}
	assert.Equal(t, 4, pool.Calls("GetTokensFromRefreshToken"))
	_, err = aws.NewCredentialsCache(p).Retrieve(ctx)
	require.NoError(t, err)
	require.False(t, errors.Is(err, cognitoauth.ErrSessionExpired))
}
