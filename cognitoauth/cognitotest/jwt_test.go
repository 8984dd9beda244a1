package cognitotest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/cognitoauth/cognitotest"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// TestTokensVerify signs in on the fake and verifies both tokens with
// cognitoauth.Verifier, through a key rotation.
func TestTokensVerify(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	clk := &clock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	pool := cognitotest.New(func(o *cognitotest.Options) { o.Clock = clk.Now; o.JWKSCacheControl = "max-age=300" })
	pool.AddUser("alice", "Correct-Horse-1", cognitotest.User{Email: "alice@example.com", Groups: []string{"readers"}})
	srv := pool.StartJWKS()
	defer srv.Close()
	client, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions)
	require.NoError(t, err)
	idV, err := cognitoauth.NewVerifier(pool.Region(), pool.UserPoolID(), pool.VerifierOptions(srv.URL),
		func(o *cognitoauth.VerifierOptions) { o.TokenUse = cognitoauth.TokenUseID })
	require.NoError(t, err)
	accessV, err := cognitoauth.NewVerifier(pool.Region(), pool.UserPoolID(), pool.VerifierOptions(srv.URL),
		func(o *cognitoauth.VerifierOptions) {
			o.AnyGroup = []string{"readers"}
			o.Scopes = []string{"aws.cognito.signin.user.admin"}
		})
	require.NoError(t, err)

	tokens, err := client.SignIn(ctx, "alice", "Correct-Horse-1")
	require.NoError(t, err)
	id, err := idV.Verify(ctx, tokens.IDToken)
	require.NoError(t, err)
	assert.Equal(t, tokens.Claims.Subject, id.Subject)
	assert.Equal(t, "alice", id.Username)
	assert.Equal(t, "alice@example.com", id.Email)
	assert.Equal(t, pool.ClientID(), id.ClientID)
	assert.Equal(t, clk.Now().Add(time.Hour), id.Expires)
	access, err := accessV.Verify(ctx, tokens.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "alice", access.Username)
	assert.Equal(t, []string{"readers"}, access.Groups)
	assert.Equal(t, "access", access.TokenUse)

	// Rotation keeping the old key: both generations verify (after the
	// rate limit lets the Verifier see the new key).
	pool.RotateKey(true)
	clk.Advance(10 * time.Second)
	newer, err := client.SignIn(ctx, "alice", "Correct-Horse-1")
	require.NoError(t, err)
	_, err = accessV.Verify(ctx, newer.AccessToken)
	require.NoError(t, err)
	_, err = accessV.Verify(ctx, tokens.AccessToken)
	require.NoError(t, err)

	// Rotation dropping the old key: once the cached JWKS is stale, the
	// old generation fails.
	pool.RotateKey(false)
	clk.Advance(5 * time.Minute)
	_, err = accessV.Verify(ctx, tokens.AccessToken)
	require.ErrorIs(t, err, cognitoauth.ErrUnknownKey)

	// The token expires with the pool's TokenTTL.
	latest, err := client.SignIn(ctx, "alice", "Correct-Horse-1")
	require.NoError(t, err)
	_, err = idV.Verify(ctx, latest.IDToken)
	require.NoError(t, err)
	clk.Advance(time.Hour)
	_, err = idV.Verify(ctx, latest.IDToken)
	require.ErrorIs(t, err, cognitoauth.ErrTokenExpired)

	// SignToken signs claims of the test's choosing.
	tok := pool.SignToken(map[string]any{"sub": "s", "iss": pool.Issuer(), "token_use": "access", "client_id": "other",
		"iat": clk.Now().Unix(), "exp": clk.Now().Add(time.Minute).Unix()})
	_, err = accessV.Verify(ctx, tok)
	require.ErrorIs(t, err, cognitoauth.ErrWrongAudience)
}

func TestJWKSHandler(t *testing.T) {
	pool := cognitotest.New()
	srv := pool.StartJWKS()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	get := func(etag string) *http.Response {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/"+pool.UserPoolID()+"/.well-known/jwks.json", nil)
		require.NoError(t, err)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	first := get("")
	require.Equal(t, http.StatusOK, first.StatusCode)
	require.Equal(t, http.StatusNotModified, get(first.Header.Get("ETag")).StatusCode)
	pool.FailNext("JWKS", errors.New("down"))
	require.Equal(t, http.StatusServiceUnavailable, get("").StatusCode)
	require.Equal(t, 3, pool.Calls("JWKS"))
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(pool.JWKS(), &set))
	require.Len(t, set.Keys, 1)
	assert.Equal(t, "RS256", set.Keys[0]["alg"])
	assert.Equal(t, "AQAB", set.Keys[0]["e"])
	assert.Equal(t, pool.KeyID(), set.Keys[0]["kid"])
	assert.Equal(t, "RSA", set.Keys[0]["kty"])
	assert.Equal(t, "sig", set.Keys[0]["use"])
	assert.Len(t, set.Keys[0]["n"], 342)
}
