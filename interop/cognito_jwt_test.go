package interop

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/cognitoauth/cognitotest"
)

type nodeJWTResult struct {
	JWKS     json.RawMessage `json:"jwks"`
	Signed   []string        `json:"signed"`
	Verified []struct {
		OK      bool           `json:"ok"`
		Payload map[string]any `json:"payload"`
		Error   string         `json:"error"`
	} `json:"verified"`
	Others map[string]string `json:"others"`
}

// nodeJWT runs node/jwt.mjs (the npm jose package) with cfg.
func nodeJWT(t *testing.T, ctx context.Context, cfg map[string]any) nodeJWTResult {
	t.Helper()
	nodeBin := need(t, "node")
	if _, err := os.Stat(filepath.Join("node", "node_modules", "jose")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("run `npm ci` in interop/node first (.ci/run does)")
		}
		t.Skip("run `npm ci` in interop/node to install jose")
	}
	arg, err := json.Marshal(cfg)
	require.NoError(t, err)
	cmd := exec.CommandContext(ctx, nodeBin, filepath.Join("node", "jwt.mjs"), string(arg))
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	require.NoError(t, cmd.Run(), "node: %s", stderr.String())
	var res nodeJWTResult
	require.NoError(t, json.Unmarshal(out.Bytes(), &res))
	return res
}

// TestCognitoTokensJose: tokens signed by jose with its own key verify
// with cognitoauth.Verifier against the JWKS jose exported, and tampered
// ones fail; cognitotest's tokens verify with jose against cognitotest's
// JWKS.
func TestCognitoTokensJose(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	pool := cognitotest.New(func(o *cognitotest.Options) { o.Clock = clock })
	pool.AddUser("alice", "Correct-Horse-1", cognitotest.User{Email: "alice@example.com", Groups: []string{"readers"}})
	client, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions)
	require.NoError(t, err)
	tokens, err := client.SignIn(ctx, "alice", "Correct-Horse-1")
	require.NoError(t, err)

	base := map[string]any{"sub": "11111111-2222-4333-8444-555555555555", "iss": pool.Issuer(), "cognito:groups": []string{"readers"},
		"auth_time": now.Unix(), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "j"}
	id := map[string]any{"token_use": "id", "aud": pool.ClientID(), "cognito:username": "bob", "email": "bob@example.com"}
	access := map[string]any{"token_use": "access", "client_id": pool.ClientID(), "username": "bob", "scope": "orders/read"}
	for k, v := range base {
		id[k], access[k] = v, v
	}
	var poolJWKS any
	require.NoError(t, json.Unmarshal(pool.JWKS(), &poolJWKS))
	otherAlgs := []string{"RS384", "RS512", "PS256", "ES256", "EdDSA"}
	res := nodeJWT(t, ctx, map[string]any{"sign": []any{id, access}, "otherAlgs": otherAlgs,
		"verify": map[string]any{"jwks": poolJWKS, "issuer": pool.Issuer(), "nowMillis": now.UnixMilli(), "tokens": []string{
			tokens.IDToken, tokens.AccessToken, tamper(tokens.AccessToken, `"username":"alice"`, `"username":"admin"`)}}})
	require.Len(t, res.Signed, 2)

	// cognitotest -> jose.
	require.Len(t, res.Verified, 3)
	require.True(t, res.Verified[0].OK, res.Verified[0].Error)
	assert.Equal(t, "alice", res.Verified[0].Payload["cognito:username"])
	assert.Equal(t, pool.ClientID(), res.Verified[0].Payload["aud"])
	require.True(t, res.Verified[1].OK, res.Verified[1].Error)
	assert.Equal(t, "access", res.Verified[1].Payload["token_use"])
	assert.False(t, res.Verified[2].OK)
	assert.Equal(t, "ERR_JWS_SIGNATURE_VERIFICATION_FAILED", res.Verified[2].Error)

	// jose -> kumo.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(res.JWKS) }))
	defer srv.Close()
	verifier := func(use cognitoauth.TokenUse) *cognitoauth.Verifier {
		v, err := cognitoauth.NewVerifier(pool.Region(), pool.UserPoolID(), func(o *cognitoauth.VerifierOptions) {
			o.ClientIDs, o.JWKSURL, o.Clock, o.TokenUse = []string{pool.ClientID()}, srv.URL, clock, use
		})
		require.NoError(t, err)
		return v
	}
	idV, accessV := verifier(cognitoauth.TokenUseID), verifier(cognitoauth.TokenUseAccess)
	c, err := idV.Verify(ctx, res.Signed[0])
	require.NoError(t, err)
	assert.Equal(t, "bob", c.Username)
	assert.Equal(t, "bob@example.com", c.Email)
	c, err = accessV.Verify(ctx, res.Signed[1])
	require.NoError(t, err)
	assert.Equal(t, []string{"orders/read"}, c.Scopes)

	tampered := []struct {
		name, token string
		want        error
	}{
		{"claims changed", tamper(res.Signed[1], `"username":"bob"`, `"username":"eve"`), cognitoauth.ErrInvalidSignature},
		{"header alg none", retag(res.Signed[1], `{"alg":"none","kid":"node-1"}`, false), cognitoauth.ErrUnsupportedAlgorithm},
		{"header alg HS256", retag(res.Signed[1], `{"alg":"HS256","kid":"node-1"}`, false), cognitoauth.ErrUnsupportedAlgorithm},
		{"signature flipped", flipSig(res.Signed[1]), cognitoauth.ErrInvalidSignature},
		{"signature dropped", retag(res.Signed[1], "", true), cognitoauth.ErrInvalidSignature},
		{"kid changed", retag(res.Signed[1], `{"alg":"RS256","kid":"node-2"}`, false), cognitoauth.ErrUnknownKey},
	}
	for _, tc := range tampered {
		_, err := accessV.Verify(ctx, tc.token)
		require.ErrorIs(t, err, tc.want, tc.name)
	}
	// Other algorithms, each key stating its own alg in the JWKS, are
	// refused: RS256 only.
	require.Len(t, res.Others, len(otherAlgs))
	for alg, tok := range res.Others {
		_, err := idV.Verify(ctx, tok)
		require.ErrorIs(t, err, cognitoauth.ErrUnsupportedAlgorithm, alg)
	}
	// The ID token is refused where access tokens are asked for.
	_, err = accessV.Verify(ctx, res.Signed[0])
	require.ErrorIs(t, err, cognitoauth.ErrWrongTokenUse)
}

// tamper replaces old with new in the token's claims, keeping the signature.
func tamper(token, old, new string) string {
	parts := strings.Split(token, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || !bytes.Contains(payload, []byte(old)) {
		panic("tamper: " + old + " not in the claims")
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(bytes.Replace(payload, []byte(old), []byte(new), 1))
	return strings.Join(parts, ".")
}

// retag replaces the header (when header is set) or drops the signature.
func retag(token, header string, dropSig bool) string {
	parts := strings.Split(token, ".")
	if header != "" {
		parts[0] = base64.RawURLEncoding.EncodeToString([]byte(header))
	}
	if dropSig {
		parts[2] = ""
	}
	return strings.Join(parts, ".")
}

func flipSig(token string) string {
	parts := strings.Split(token, ".")
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[len(sig)/2] ^= 1
	parts[2] = base64.RawURLEncoding.EncodeToString(sig)
	return strings.Join(parts, ".")
}
