package cognitotest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/kumo-go/kumo/cognitoauth"
)

// signingKey is one of the pool's RS256 keys.
type signingKey struct {
	kid  string
	priv *rsa.PrivateKey
}

// firstKey is the key every Fake starts with, fixed so that a test binary
// does not spend a key generation per Fake. It is a test key: it signs
// nothing but cognitotest's tokens. Its PEM type says TESTING KEY (read as
// PRIVATE KEY) so that secret scanners do not take it for a leaked key,
// as net/http/internal/testcert does.
const firstKey = `
-----BEGIN TESTING KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCtktIYsvrLOUGI
4qen6Ve1kl27rvwCeKU55Fq82tMI7snThm3TfHwR9jS630T5BNfU1Ms4vJ/HUjk4
GYkGNZkGFXDBFI147W9+5btuQ4OXa+/gb+tkrX1Me6UISoetYWVX6Ta8Quyc5xHV
Shf/fBCUj36cU6hDuwEIr3gGNNFxpfq6BDx3t4mNZOxDO/Yk0UbW+UpjGxGUzdLi
mJ5ddTjAfQinV5n8QvqMoEOvqEUubZQ5QzescLJ8FEJAHiyFDkzTNQAalm5M5wll
XJ8FpTYxhAgutgmSm6Nb+WWAp8jaT4pGgbpL9miXPLrhh36b/G1zn6cmwgmF8L6y
D/enDsBVAgMBAAECggEABlhJ8nnbGGyvtuzvdgAzTZbbyE2S4Wrpl0kqq/alJObI
XUFvvahc8gckUaRxuqybpdMK2WMZGsnS/6L8qEvIm+P9atbGfnd8zjsK8/KR2oop
NZ9sZRIWdMzxm8ZQWV0oaDiai0fjAFqjWJRMdka3EHHXuKfc4cTx5RBiUc/CduYB
GL9fnsrvXXKIMS5pS7JHCMThQYJOYIez5t/ts99GGytYHDlw+rpKI/HSJ9SCCwJ3
wffQToj6DD1jvODBw4vsrGrw2/Zs5ffYCjJzghUjKmCjUfwAcco/Pq3wisj2bc54
KRmr7NRxZpNsbvEqHE0rFcXqs/mQODY1yrCnHfjqQQKBgQD0+Jdd0wnnFt2+3nLx
UXt/27MCZpNEEBF1JFJbY0V8JYknoypzShDrn8NNpuyPbaUqslYaWlBBkmmU/WuG
3UZALELPCrYHJd+XFXaqejzOWj01yik8wzVym1wNfp/XdeGzxshk7W3Tue3SoHF8
ZJDAKyNl1G1O1jC/wjzyEvPFkQKBgQC1Y1aswfg9y8cC0q3lk0zvzAQh5yJVfz3n
tWM66bJtqPBSnln5jDIt47aEOvUki/mp6rUpdy080DkWYb26PzL+DAp0bfQv1A/1
dcfsb/uYlcruwDycCH7DsTUGbqc/bKsJTZ/vDREx1tgdLpIshMr0UL+9U3E9b3s/
xpCKRFlchQKBgQCm56jZ+CvLEz1KCm3uFUI7vwicHh9ARGJgmbqzIVP6Xeiw5O7L
Vi9pGpUKlyyeHGpoSNF5awc7ZfIh3PgiDykKGB38yqNzA07vtWQAiwBa6AjEWVT3
XVlRGKEDYL6vIlYBEvL+MPafRxLOaxpnUm19QOcBPlarXCwiusijdl44wQKBgG3S
AkVAf0ry2MAVzGGF6Hv7GrloFnqLOnDSeozNt1D7it2KsFENl8f+6Z9vjsKc2QEO
cLb1R/dc3mN1tAhSgU4c/it18vUOQMdNk0jMmBjPAHnC/C9AWXekD8WgMzSMV5Wf
YOi8EaAKQviQHMJFeBep2B0JqzMWDxoS36pHLY99AoGBANe+VX5Gx7yCdthLMMVC
jWHp647a1Oyzyr1iWXEAr4UXyjEv9nM7AL11S6xEn9MG9ATMDP1tlA6xeDq5hSWl
oZtdJtOVlRXlwjKl9OlfgHsP8fXKTd8YFgAE94WEyMki4PL83mYnOdx0dmekEocX
Gwpx4qV3pr00Xon2b8IpiDus
-----END TESTING KEY-----
`

func initialKey() signingKey {
	block, _ := pem.Decode([]byte(strings.ReplaceAll(firstKey, "TESTING KEY", "PRIVATE KEY")))
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		panic("cognitotest: the built-in key does not parse: " + err.Error())
	}
	return signingKey{kid: "kumotest-key-1", priv: k.(*rsa.PrivateKey)}
}

// RotateKey makes a new 2048-bit RSA key the pool's signing key and
// returns its key ID, as Cognito does when it rotates keys. With keepOld
// the earlier keys stay in the JWKS, so tokens they signed still verify;
// without, only the new key is published.
func (f *Fake) RotateKey(keepOld bool) string {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("cognitotest: " + err.Error())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	k := signingKey{kid: "kumotest-" + randHex(8), priv: priv}
	if keepOld {
		f.keys = append(f.keys, k)
	} else {
		f.keys = []signingKey{k}
	}
	return k.kid
}

// KeyID returns the key ID of the key that signs tokens now.
func (f *Fake) KeyID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.keys[len(f.keys)-1].kid
}

// Issuer is the pool's iss: https://cognito-idp.<region>.amazonaws.com/<pool>,
// or with Options.UpdatedIssuer
// https://issuer-cognito-idp.<region>.amazonaws.com/<pool>.
func (f *Fake) Issuer() string {
	host := "https://cognito-idp."
	if f.opts.UpdatedIssuer {
		host = "https://issuer-cognito-idp."
	}
	return host + f.opts.Region + ".amazonaws.com/" + f.opts.UserPoolID
}

// SignToken signs claims as the pool's current key does (RS256, with the
// key's kid), for tests that need tokens with claims of their choosing: an
// expired one, another client's, extra groups.
func (f *Fake) SignToken(claims map[string]any) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sign(claims)
}

// sign signs with f.mu held.
func (f *Fake) sign(claims map[string]any) string {
	k := f.keys[len(f.keys)-1]
	header, _ := json.Marshal(map[string]string{"kid": k.kid, "alg": "RS256"})
	payload, err := json.Marshal(claims)
	if err != nil {
		panic("cognitotest: claims do not marshal: " + err.Error())
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(nil, k.priv, crypto.SHA256, sum[:])
	if err != nil {
		panic("cognitotest: " + err.Error())
	}
	return input + "." + enc.EncodeToString(sig)
}

// tokenClaims are the claims Cognito puts in a user's ID or access token.
func (f *Fake) tokenClaims(u *user, use string, now time.Time) map[string]any {
	c := map[string]any{"sub": u.sub, "iss": f.Issuer(), "token_use": use, "auth_time": now.Unix(), "iat": now.Unix(),
		"exp": now.Add(f.opts.TokenTTL).Unix(), "jti": uuid(), "origin_jti": uuid(), "event_id": uuid()}
	if len(u.Groups) > 0 {
		c["cognito:groups"] = u.Groups
	}
	if use == "id" {
		c["aud"], c["cognito:username"] = f.opts.ClientID, u.name
		if u.Email != "" {
			c["email"], c["email_verified"] = u.Email, true
		}
	} else {
		c["client_id"], c["username"], c["scope"] = f.opts.ClientID, u.name, "aws.cognito.signin.user.admin"
	}
	return c
}

func uuid() string {
	h := randHex(16)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32]
}

// JWKS returns the pool's JSON Web Key Set, as Cognito serves it at
// <issuer>/.well-known/jwks.json.
func (f *Fake) JWKS() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.jwks()
}

func (f *Fake) jwks() []byte {
	type jwk struct {
		Alg string `json:"alg"`
		E   string `json:"e"`
		Kid string `json:"kid"`
		Kty string `json:"kty"`
		N   string `json:"n"`
		Use string `json:"use"`
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	enc := base64.RawURLEncoding
	for _, k := range f.keys {
		set.Keys = append(set.Keys, jwk{Alg: "RS256", E: enc.EncodeToString(big.NewInt(int64(k.priv.E)).Bytes()), Kid: k.kid, Kty: "RSA",
			N: enc.EncodeToString(k.priv.N.Bytes()), Use: "sig"})
	}
	b, _ := json.Marshal(set)
	return b
}

// JWKSHandler serves the pool's JWKS at every path, with an ETag (and 304
// to a matching If-None-Match) and Options.JWKSCacheControl. Each request
// counts as a call of "JWKS"; FailNext("JWKS", err) makes the next one
// answer 503.
func (f *Fake) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f.begin("JWKS", nil); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		body := f.jwks()
		cc := f.opts.JWKSCacheControl
		f.mu.Unlock()
		sum := sha256.Sum256(body)
		etag := `"` + hex.EncodeToString(sum[:8]) + `"`
		w.Header().Set("ETag", etag)
		if cc != "" {
			w.Header().Set("Cache-Control", cc)
		}
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
}

// StartJWKS starts an httptest server with [Fake.JWKSHandler]; its URL is
// the JWKS URL. Close it when done.
func (f *Fake) StartJWKS() *httptest.Server { return httptest.NewServer(f.JWKSHandler()) }

// VerifierOptions returns an option for cognitoauth.NewVerifier that
// accepts the pool's client, fetches keys from jwksURL (a [Fake.StartJWKS]
// server's URL), requires the pool's issuer (Options.UpdatedIssuer) and
// reads the pool's clock:
//
//	srv := pool.StartJWKS()
//	defer srv.Close()
//	v, err := cognitoauth.NewVerifier(pool.Region(), pool.UserPoolID(), pool.VerifierOptions(srv.URL))
func (f *Fake) VerifierOptions(jwksURL string) func(*cognitoauth.VerifierOptions) {
	return func(o *cognitoauth.VerifierOptions) {
		o.ClientIDs, o.JWKSURL, o.Clock = []string{f.opts.ClientID}, jwksURL, f.opts.Clock
		if f.opts.UpdatedIssuer {
			o.IssuerType = ciptypes.IssuerTypeUpdated
		}
	}
}
