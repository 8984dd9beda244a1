package cognitoauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/kumo-go/kumo/cognitoauth"
)

func FuzzParseClaims(f *testing.F) {
	f.Add("h.eyJzdWIiOiJhYmMiLCJjb2duaXRvOnVzZXJuYW1lIjoiYWxpY2UiLCJleHAiOjE3OTUzNTI0MDB9.s")
	f.Add("a.eyJjb2duaXRvOmdyb3VwcyI6WyJhIiwiYiJdLCJzdWIiOiJ4In0.c")
	f.Add("..")
	f.Fuzz(func(t *testing.T, tok string) {
		c, _, err := cognitoauth.ParseClaims(tok)
		if err == nil && c.Subject == "" {
			t.Fatal("accepted claims without a subject")
		}
	})
}

// FuzzVerify feeds the Verifier tokens around a valid one. Whatever it
// accepts must be that token byte for byte: a signature covers one
// encoding only. Errors must be the package's sentinels.
func FuzzVerify(f *testing.F) {
	k := testKeys()[0]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{jwkOf("k1", k)}})
	}))
	defer srv.Close()
	v, err := cognitoauth.NewVerifier(testRegion, testPool, func(o *cognitoauth.VerifierOptions) {
		o.ClientIDs, o.JWKSURL, o.Clock = []string{testClient}, srv.URL, func() time.Time { return testNow }
		o.TokenUse = cognitoauth.TokenUseAny
	})
	if err != nil {
		f.Fatal(err)
	}
	hdr := map[string]any{"kid": "k1", "alg": "RS256"}
	valid := mint(f, hdr, accessClaims(testNow), rs256(k))
	validID := mint(f, hdr, idClaims(testNow), rs256(k))
	for _, s := range []string{valid, validID, mint(f, with(hdr, "alg", "none"), accessClaims(testNow), nil),
		mint(f, hdr, with(accessClaims(testNow), "exp", 1.5e9), rs256(k)), "..", "a.b.c", valid[:len(valid)/2]} {
		f.Add(s)
	}
	sentinels := []error{cognitoauth.ErrMalformedToken, cognitoauth.ErrUnsupportedAlgorithm, cognitoauth.ErrUnknownKey,
		cognitoauth.ErrInvalidSignature, cognitoauth.ErrJWKSUnavailable, cognitoauth.ErrWrongIssuer, cognitoauth.ErrWrongTokenUse,
		cognitoauth.ErrWrongAudience, cognitoauth.ErrTokenExpired, cognitoauth.ErrTokenNotYetValid}
	f.Fuzz(func(t *testing.T, tok string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := v.Verify(ctx, tok)
		if err == nil {
			if tok != valid && tok != validID {
				t.Fatalf("accepted a token that is not one the key signed: %q", tok)
			}
			if c.Subject == "" {
				t.Fatal("accepted claims without a subject")
			}
			return
		}
		if !slices.ContainsFunc(sentinels, func(s error) bool { return errors.Is(err, s) }) {
			t.Fatalf("error of no documented kind: %v", err)
		}
	})
}
