package cognitoauth_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kumo-go/kumo/cognitoauth"
)

// cachedVerifier returns a Verifier whose JWKS key is already cached (one
// Verify has run), an access token it accepts, and the token's key.
func cachedVerifier(b *testing.B) (*cognitoauth.Verifier, string, *rsa.PrivateKey) {
	k := testKeys()[0]
	srv := newJWKSServer(&testing.T{}, jwkOf("k1", k))
	b.Cleanup(srv.Close)
	v, err := cognitoauth.NewVerifier(testRegion, testPool, func(o *cognitoauth.VerifierOptions) {
		o.ClientIDs, o.JWKSURL, o.Clock = []string{testClient}, srv.URL, func() time.Time { return testNow }
	})
	if err != nil {
		b.Fatal(err)
	}
	tok := mint(b, map[string]any{"kid": "k1", "alg": "RS256"}, accessClaims(testNow), rs256(k))
	if _, err := v.Verify(context.Background(), tok); err != nil {
		b.Fatal(err)
	}
	return v, tok, k
}

// BenchmarkVerify verifies an access token whose key is cached; compare
// with BenchmarkRSAVerifyPKCS1v15, the signature check alone (SHA-256 of
// the signing input and rsa.VerifyPKCS1v15), in the same run.
func BenchmarkVerify(b *testing.B) {
	v, tok, _ := cachedVerifier(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRSAVerifyPKCS1v15(b *testing.B) {
	k := testKeys()[0]
	tok := mint(b, map[string]any{"kid": "k1", "alg": "RS256"}, accessClaims(testNow), rs256(k))
	i := strings.LastIndexByte(tok, '.')
	input := []byte(tok[:i])
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		b.Fatal(err)
	}
	pub := &k.PublicKey
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		sum := sha256.Sum256(input)
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyVsRSA alternates one Verify and one bare signature check
// (SHA-256 + rsa.VerifyPKCS1v15 of the same token) and reports the median
// of each, and the ratio rsa/verify of the medians, so that load on a
// shared machine weighs on both alike and spikes do not count. The goal is
// a ratio of at least 0.9.
func BenchmarkVerifyVsRSA(b *testing.B) {
	v, tok, k := cachedVerifier(b)
	ctx := context.Background()
	i := strings.LastIndexByte(tok, '.')
	input := []byte(tok[:i])
	sig, _ := base64.RawURLEncoding.DecodeString(tok[i+1:])
	tv, tr := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for n := range b.N {
		// Alternate which goes first, so neither always runs on a warm cache.
		for j := range 2 {
			start := time.Now()
			if (n+j)%2 == 0 {
				if _, err := v.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
				tv = append(tv, time.Since(start))
			} else {
				sum := sha256.Sum256(input)
				if err := rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
					b.Fatal(err)
				}
				tr = append(tr, time.Since(start))
			}
		}
	}
	mv, mr := median(tv), median(tr)
	b.ReportMetric(float64(mv.Nanoseconds()), "verify-p50-ns")
	b.ReportMetric(float64(mr.Nanoseconds()), "rsa-p50-ns")
	b.ReportMetric(float64(mr)/float64(mv), "rsa/verify")
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}
