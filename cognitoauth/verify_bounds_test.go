package cognitoauth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// allocated returns the bytes fn allocates (all goroutines; an upper
// bound on the extra heap it needs).
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// verifyAllocPerByte is the bound the package doc states: Verify
// allocates under 256 KiB plus this many times the token's length.
const verifyAllocPerByte = 8

// TestVerifyResourceBounds: memory per token stays bounded by the 1 MiB
// token limit, whatever the token holds, and a JWKS by the 64 KiB limit.
func TestVerifyResourceBounds(t *testing.T) {
	k := testKeys()[0]
	srv := newJWKSServer(t, jwkOf("k1", k))
	v := newVerifier(t, srv.URL, &clock{now: testNow})
	hdr := map[string]any{"kid": "k1", "alg": "RS256"}
	_, err := v.Verify(testCtx(t), mint(t, hdr, accessClaims(testNow), rs256(k)))
	require.NoError(t, err)

	// Each hostile token is just under the 1 MiB bound.
	many := map[string]any{}
	for i := range 75000 {
		many[strconv.Itoa(i)] = 1
	}
	groups := make([]string, 190000)
	for i := range groups {
		groups[i] = "g"
	}
	names := make([]string, 0, 75000)
	for i := range 75000 {
		names = append(names, `"`+strconv.Itoa(i)+`":1`)
	}
	signed := func(payload string) string {
		in := b64([]byte(`{"kid":"k1","alg":"RS256"}`)) + "." + b64([]byte(payload))
		return in + "." + b64(rs256(k)([]byte(in)))
	}
	hostile := []struct {
		name  string
		token string
	}{
		{"75,000 claims", mint(t, hdr, with(accessClaims(testNow), "x", many), rs256(k))},
		{"75,000 top-level claims, then one twice", signed("{" + strings.Join(names, ",") + `,"0":2}`)},
		{"75,000 top-level claims, one with an escape", signed(`{"\u0030x":1,` + strings.Join(names, ",") + "}")},
		{"190,000 groups", mint(t, hdr, with(accessClaims(testNow), "cognito:groups", groups), rs256(k))},
		{"arrays nested 9,000 deep", b64([]byte(`{"kid":"k1","alg":"RS256"}`)) + "." +
			b64([]byte(`{"x":`+strings.Repeat("[", 9000)+strings.Repeat("]", 9000)+`}`)) + "." + b64(make([]byte, 256))},
		{"760 KiB of padding in a claim", mint(t, hdr, with(accessClaims(testNow), "x", strings.Repeat("a", 760<<10)), rs256(k))},
		{"1 MiB + 1 token", strings.Repeat("a", 1<<20+1)},
	}
	for _, h := range hostile {
		t.Run(h.name, func(t *testing.T) {
			n := allocated(func() { _, _ = v.Verify(testCtx(t), h.token) })
			t.Logf("%d-byte token: %d bytes allocated (%.1f times)", len(h.token), n, float64(n)/float64(len(h.token)))
			require.Equal(t, h.name == "1 MiB + 1 token", len(h.token) > 1<<20, "the case tests what it says")
			require.Less(t, n, uint64(256<<10+verifyAllocPerByte*len(h.token)), "allocation per token is bounded")
		})
	}

	t.Run("JWKS at the 64 KiB limit", func(t *testing.T) {
		big, err := rsa.GenerateKey(rand.Reader, 4096)
		require.NoError(t, err)
		var keys []map[string]any
		for i := 0; ; i++ {
			keys = append(keys, jwkOf("big-"+strings.Repeat("k", 8)+string(rune('a'+i%26))+string(rune('a'+i/26)), big))
			if len(keys)*760 > 60<<10 {
				break
			}
		}
		srv := newJWKSServer(t, keys...)
		v := newVerifier(t, srv.URL, &clock{now: testNow})
		n := allocated(func() {
			_, err := v.Verify(testCtx(t), mint(t, map[string]any{"kid": keys[0]["kid"], "alg": "RS256"}, accessClaims(testNow), rs256(big)))
			require.NoError(t, err)
		})
		t.Logf("JWKS of %d 4096-bit keys: %d bytes allocated by the first Verify", len(keys), n)
		require.Less(t, n, uint64(2<<20))
	})
}
