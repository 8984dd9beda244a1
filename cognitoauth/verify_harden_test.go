package cognitoauth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/cognitoauth/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxVerifyToken is the documented bound of Verify (1 MiB).
const maxVerifyToken = 1 << 20

// mintSize mints a valid access token of exactly size bytes, by padding a
// claim and (for the lengths base64 cannot reach) the header.
func mintSize(t *testing.T, size int, k func([]byte) []byte) string {
	t.Helper()
	base := mint(t, map[string]any{"kid": "k1", "alg": "RS256"}, with(accessClaims(testNow), "x", ""), k)
	for hpad := 0; hpad < 4; hpad++ {
		hdr := map[string]any{"kid": "k1", "alg": "RS256", "x": strings.Repeat("h", hpad)}
		for n := (size-len(base))*3/4 - 8; n < (size-len(base))*3/4+8; n++ {
			if n < 0 {
				continue
			}
			c := with(accessClaims(testNow), "x", strings.Repeat("a", n))
			if len(jsonB64(t, hdr))+len(jsonB64(t, c))+2+len(b64(k(nil))) == size {
				return mint(t, hdr, c, k)
			}
		}
	}
	t.Fatalf("no token of %d bytes", size)
	return ""
}

// TestVerifyTokenSize: every token Cognito can issue is read (a user in
// 100 groups of 128-character names among them), up to the 1 MiB bound
// exactly; one byte more is refused unread.
func TestVerifyTokenSize(t *testing.T) {
	k := testKeys()[0]
	srv := newJWKSServer(t, jwkOf("k1", k))
	v := newVerifier(t, srv.URL, &clock{now: testNow})
	cases := []struct {
		name string
		size int
		ok   bool
	}{
		{"16 KiB + 1", 16<<10 + 1, true},
		{"64 KiB", 64 << 10, true},
		{"at the bound", maxVerifyToken, true},
		{"one byte over", maxVerifyToken + 1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := mintSize(t, tc.size, rs256(k))
			require.Len(t, tok, tc.size)
			var err error
			n := allocated(func() { _, err = v.Verify(testCtx(t), tok) })
			t.Logf("%d-byte token: %d bytes allocated", tc.size, n)
			require.Less(t, n, uint64(256<<10+8*tc.size), "memory per Verify stays within the documented bound")
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, cognitoauth.ErrMalformedToken)
			assert.Contains(t, err.Error(), "over 1048576")
		})
	}

	t.Run("cognitotest: 100 groups of 128 characters", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		pool := cognitotest.New()
		groups := make([]string, 100)
		for i := range groups {
			groups[i] = fmt.Sprintf("%03d-%s", i, strings.Repeat("g", 124)) // 128 characters, Cognito's longest group name
		}
		pool.AddUser("alice", "Correct-Horse-1", cognitotest.User{Groups: groups})
		jwks := pool.StartJWKS()
		defer jwks.Close()
		client, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions)
		require.NoError(t, err)
		tokens, err := client.SignIn(ctx, "alice", "Correct-Horse-1")
		require.NoError(t, err)
		require.Greater(t, len(tokens.AccessToken), 16<<10)
		for _, use := range []cognitoauth.TokenUse{cognitoauth.TokenUseAccess, cognitoauth.TokenUseID} {
			v, err := cognitoauth.NewVerifier(pool.Region(), pool.UserPoolID(), pool.VerifierOptions(jwks.URL), func(o *cognitoauth.VerifierOptions) { o.TokenUse = use })
			require.NoError(t, err)
			tok := tokens.AccessToken
			if use == cognitoauth.TokenUseID {
				tok = tokens.IDToken
			}
			c, err := v.Verify(ctx, tok)
			require.NoError(t, err, "%s token of %d bytes", use, len(tok))
			assert.Equal(t, groups, c.Groups)
		}
	})
}

// TestVerifyRefusesRepeatedClaims: a payload that names a claim twice is
// refused, whichever copy another JWT library would take, with an error
// naming the claim and not quoting the token.
func TestVerifyRefusesRepeatedClaims(t *testing.T) {
	k := testKeys()[0]
	srv := newJWKSServer(t, jwkOf("k1", k))
	v := newVerifier(t, srv.URL, &clock{now: testNow}, func(o *cognitoauth.VerifierOptions) {
		o.AnyGroup, o.Scopes = []string{"readers"}, []string{"orders/read"}
	})
	good, err := json.Marshal(with(accessClaims(testNow), "aud", testClient))
	require.NoError(t, err)
	hdr := jsonB64(t, map[string]any{"kid": "k1", "alg": "RS256"})
	sign := func(payload string) string {
		in := hdr + "." + b64([]byte(payload))
		return in + "." + b64(rs256(k)([]byte(in)))
	}
	_, err = v.Verify(testCtx(t), sign(string(good)))
	require.NoError(t, err, "the payload without a repeat verifies")

	obj := string(good[:len(good)-1]) // without the closing brace
	cases := []struct {
		name, extra, claim string
	}{
		{"exp", `"exp":1`, "exp"},
		{"token_use", `"token_use":"id"`, "token_use"},
		{"client_id", `"client_id":"evil"`, "client_id"},
		{"aud", `"aud":"evil"`, "aud"},
		{"iss", `"iss":"https://evil.example"`, "iss"},
		{"cognito:groups", `"cognito:groups":[]`, "cognito:groups"},
		{"scope", `"scope":""`, "scope"},
		{"sub", `"sub":"other"`, "sub"},
		{"the same value twice", `"exp":` + jsonOf(t, testNow.Add(time.Hour).Unix()), "exp"},
		{"escaped name", `"\u0065xp":1`, "exp"},
		{"a custom claim", `"custom:tenant":"a","custom:tenant":"b"`, "custom:tenant"},
		{"an unknown claim", `"version":2,"version":3`, "version"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := sign(obj + "," + tc.extra + "}")
			_, err := v.Verify(testCtx(t), tok)
			require.ErrorIs(t, err, cognitoauth.ErrMalformedToken)
			assert.Contains(t, err.Error(), `"`+tc.claim+`" appears twice`)
			assert.NotContains(t, err.Error(), strings.Split(tok, ".")[1])
			// Repeated before the claims Verify reads, too.
			tok = sign("{" + tc.extra + "," + obj[1:] + "}")
			_, err = v.Verify(testCtx(t), tok)
			require.ErrorIs(t, err, cognitoauth.ErrMalformedToken)
		})
	}
}

func jsonOf(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
