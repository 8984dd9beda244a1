package cognitoauth_test

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cognitoauth"
)

// This file tests the Verifier with tokens and a JWKS built here, by a
// small builder independent of cognitotest's signer.

const (
	testRegion = "eu-west-1"
	testPool   = "eu-west-1_AbC123def"
	testIss    = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123def"
	testClient = "4example5client6id7abcdefg"
)

var testNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// testKeys are generated once per test binary: key generation is slow.
var testKeys = sync.OnceValue(func() []*rsa.PrivateKey {
	keys := make([]*rsa.PrivateKey, 3)
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
})

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func jsonB64(t testing.TB, v any) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b64(b)
}

// mint builds header.payload.signature, signing with sign (nil: no
// signature).
func mint(t testing.TB, header, claims map[string]any, sign func(input []byte) []byte) string {
	input := jsonB64(t, header) + "." + jsonB64(t, claims)
	var sig []byte
	if sign != nil {
		sig = sign([]byte(input))
	}
	return input + "." + b64(sig)
}

func rs256(key *rsa.PrivateKey) func([]byte) []byte {
	return func(in []byte) []byte {
		sum := sha256.Sum256(in)
		sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
		if err != nil {
			panic(err)
		}
		return sig
	}
}

func jwkOf(kid string, key *rsa.PrivateKey) map[string]any {
	return map[string]any{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
		"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes())}
}

func idClaims(now time.Time) map[string]any {
	return map[string]any{"sub": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "iss": testIss, "token_use": "id", "aud": testClient,
		"cognito:username": "alice", "email": "alice@example.com", "cognito:groups": []string{"readers"},
		"auth_time": now.Unix(), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "jti-1", "custom:tenant": "t1"}
}

func accessClaims(now time.Time) map[string]any {
	return map[string]any{"sub": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "iss": testIss, "token_use": "access", "client_id": testClient,
		"username": "alice", "cognito:groups": []string{"readers"}, "scope": "aws.cognito.signin.user.admin orders/read",
		"auth_time": now.Unix(), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "jti-2"}
}

func with(c map[string]any, kv ...any) map[string]any {
	c = maps.Clone(c)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
		} else {
			c[kv[i].(string)] = kv[i+1]
		}
	}
	return c
}

// jwksServer is a JWKS endpoint the test controls.
type jwksServer struct {
	*httptest.Server
	mu       sync.Mutex
	keys     []map[string]any
	body     []byte // when set, served instead of keys
	status   int
	header   http.Header
	fetches  atomic.Int32
	block    bool          // hold requests until their context ends
	arrived  chan struct{} // a blocked request arrived
	lastINM  string        // the last If-None-Match received
	notMod   int32         // 304s sent
	useETags bool
}

func newJWKSServer(t *testing.T, keys ...map[string]any) *jwksServer {
	s := &jwksServer{keys: keys, status: http.StatusOK, header: http.Header{}, arrived: make(chan struct{}, 16)}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) serve(w http.ResponseWriter, r *http.Request) {
	s.fetches.Add(1)
	s.mu.Lock()
	block, status, body := s.block, s.status, s.body
	if body == nil {
		body, _ = json.Marshal(map[string]any{"keys": s.keys})
	}
	maps.Copy(w.Header(), s.header)
	s.lastINM = r.Header.Get("If-None-Match")
	etag := fmt.Sprintf(`"%x"`, sha256.Sum256(body))
	useETags := s.useETags
	s.mu.Unlock()
	if block {
		s.arrived <- struct{}{}
		<-r.Context().Done()
		return
	}
	if useETags {
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			atomic.AddInt32(&s.notMod, 1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *jwksServer) set(fn func(s *jwksServer)) { s.mu.Lock(); defer s.mu.Unlock(); fn(s) }

func newVerifier(t *testing.T, url string, clk *clock, fns ...func(*cognitoauth.VerifierOptions)) *cognitoauth.Verifier {
	t.Helper()
	v, err := cognitoauth.NewVerifier(testRegion, testPool, append([]func(*cognitoauth.VerifierOptions){func(o *cognitoauth.VerifierOptions) {
		o.ClientIDs, o.JWKSURL, o.Clock = []string{"other-client", testClient}, url, clk.Now
	}}, fns...)...)
	require.NoError(t, err)
	return v
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// assertNoToken checks an error says nothing of the token: no part of it.
func assertNoToken(t *testing.T, err error, token string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, part := range strings.Split(token, ".") {
		if len(part) >= 8 {
			assert.NotContains(t, err.Error(), part, "the error quotes the token")
		}
	}
}

func TestVerifyValidTokens(t *testing.T) {
	k := testKeys()[0]
	srv := newJWKSServer(t, jwkOf("k1", k))
	clk := &clock{now: testNow}
	hdr := map[string]any{"kid": "k1", "alg": "RS256"}

	v := newVerifier(t, srv.URL, clk, func(o *cognitoauth.VerifierOptions) { o.TokenUse = cognitoauth.TokenUseID })
	idTok := mint(t, hdr, idClaims(testNow), rs256(k))
	c, err := v.Verify(testCtx(t), idTok)
	require.NoError(t, err)
	raw := c.Raw
	c.Raw = nil
	assert.Equal(t, cognitoauth.Claims{Subject: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", Username: "alice", Email: "alice@example.com",
		Groups: []string{"readers"}, Issuer: testIss, TokenUse: "id", ClientID: testClient, ID: "jti-1",
		IssuedAt: testNow, AuthTime: testNow, Expires: testNow.Add(time.Hour)}, c)
	var custom struct {
		Tenant string `json:"custom:tenant"`
	}
	require.NoError(t, json.Unmarshal(raw, &custom))
	assert.Equal(t, "t1", custom.Tenant)

	v = newVerifier(t, srv.URL, clk, func(o *cognitoauth.VerifierOptions) {
		o.Scopes = []string{"orders/read"}
		o.AnyGroup = []string{"x", "readers"}
	})
	c, err = v.Verify(testCtx(t), mint(t, hdr, accessClaims(testNow), rs256(k)))
	require.NoError(t, err)
	c.Raw = nil
	assert.Equal(t, cognitoauth.Claims{Subject: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", Username: "alice",
		Groups: []string{"readers"}, Issuer: testIss, TokenUse: "access", ClientID: testClient, ID: "jti-2",
		Scopes: []string{"aws.cognito.signin.user.admin", "orders/read"}, IssuedAt: testNow, AuthTime: testNow, Expires: testNow.Add(time.Hour)}, c)

	// TokenUseAny takes both, each checked for its own client claim.
	v = newVerifier(t, srv.URL, clk, func(o *cognitoauth.VerifierOptions) { o.TokenUse = cognitoauth.TokenUseAny })
	for _, claims := range []map[string]any{idClaims(testNow), accessClaims(testNow)} {
		_, err := v.Verify(testCtx(t), mint(t, hdr, claims, rs256(k)))
		require.NoError(t, err)
	}
	_, err = v.Verify(testCtx(t), mint(t, hdr, with(idClaims(testNow), "aud", "x"), rs256(k)))
	require.ErrorIs(t, err, cognitoauth.ErrWrongAudience)
	_, err = v.Verify(testCtx(t), mint(t, hdr, with(accessClaims(testNow), "client_id", "x"), rs256(k)))
	require.ErrorIs(t, err, cognitoauth.ErrWrongAudience)
	assert.Equal(t, int32(3), srv.fetches.Load(), "one JWKS fetch per Verifier")
}

func TestVerifyClaims(t *testing.T) {
	k := testKeys()[0]
	srv := newJWKSServer(t, jwkOf("k1", k))
	hdr := map[string]any{"kid": "k1", "alg": "RS256"}
	id, access := idClaims(testNow), accessClaims(testNow)
	const skew = 30 * time.Second
	at := func(d time.Duration) int64 { return testNow.Add(d).Unix() }
	cases := []struct {
		name   string
		use    cognitoauth.TokenUse
		claims map[string]any
		opts   func(*cognitoauth.VerifierOptions)
		want   error
	}{
		{"access valid", "", access, nil, nil},
		{"id valid", cognitoauth.TokenUseID, id, nil, nil},
		{"iss of another pool", "", with(access, "iss", "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other1"), nil, cognitoauth.ErrWrongIssuer},
		{"iss of another region", "", with(access, "iss", "https://cognito-idp.us-east-1.amazonaws.com/eu-west-1_AbC123def"), nil, cognitoauth.ErrWrongIssuer},
		{"iss with a trailing slash", "", with(access, "iss", testIss+"/"), nil, cognitoauth.ErrWrongIssuer},
		{"iss over http", "", with(access, "iss", strings.Replace(testIss, "https", "http", 1)), nil, cognitoauth.ErrWrongIssuer},
		{"no iss", "", with(access, "iss", nil), nil, cognitoauth.ErrWrongIssuer},
		{"id token where access is asked", "", id, nil, cognitoauth.ErrWrongTokenUse},
		{"access token where id is asked", cognitoauth.TokenUseID, access, nil, cognitoauth.ErrWrongTokenUse},
		{"token_use refresh", cognitoauth.TokenUseAny, with(access, "token_use", "refresh"), nil, cognitoauth.ErrWrongTokenUse},
		{"token_use ACCESS", "", with(access, "token_use", "ACCESS"), nil, cognitoauth.ErrWrongTokenUse},
		{"no token_use", "", with(access, "token_use", nil), nil, cognitoauth.ErrWrongTokenUse},
		{"token_use not a string", "", with(access, "token_use", 1), nil, cognitoauth.ErrMalformedToken},
		{"client_id of another client", "", with(access, "client_id", "stranger"), nil, cognitoauth.ErrWrongAudience},
		{"no client_id", "", with(access, "client_id", nil), nil, cognitoauth.ErrWrongAudience},
		{"access token with aud but no client_id", "", with(access, "client_id", nil, "aud", testClient), nil, cognitoauth.ErrWrongAudience},
		{"aud of another client", cognitoauth.TokenUseID, with(id, "aud", "stranger"), nil, cognitoauth.ErrWrongAudience},
		{"no aud", cognitoauth.TokenUseID, with(id, "aud", nil), nil, cognitoauth.ErrWrongAudience},
		{"empty aud list", cognitoauth.TokenUseID, with(id, "aud", []string{}), nil, cognitoauth.ErrWrongAudience},
		{"aud list holding the client", cognitoauth.TokenUseID, with(id, "aud", []string{"x", testClient}), nil, nil},
		{"id token with client_id but another aud", cognitoauth.TokenUseID, with(id, "aud", "x", "client_id", testClient), nil, cognitoauth.ErrWrongAudience},
		{"aud a number", cognitoauth.TokenUseID, with(id, "aud", 5), nil, cognitoauth.ErrMalformedToken},
		{"AnyClient takes another client", "", with(access, "client_id", "stranger"), func(o *cognitoauth.VerifierOptions) { o.ClientIDs, o.AnyClient = nil, true }, nil},
		{"no sub", "", with(access, "sub", nil), nil, cognitoauth.ErrMalformedToken},
		{"no exp", "", with(access, "exp", nil), nil, cognitoauth.ErrMalformedToken},
		{"exp a string", "", with(access, "exp", "9999999999"), nil, cognitoauth.ErrMalformedToken},
		{"exp negative", "", with(access, "exp", -1), nil, cognitoauth.ErrMalformedToken},
		{"exp past year 9999", "", with(access, "exp", 1e300), nil, cognitoauth.ErrMalformedToken},
		{"no iat", "", with(access, "iat", nil), nil, cognitoauth.ErrMalformedToken},
		{"groups not a list", "", with(access, "cognito:groups", "readers"), nil, cognitoauth.ErrMalformedToken},
		// Time, at the skew boundaries: valid while now < exp+skew, now >= nbf-skew, iat <= now+skew.
		{"exp one second ago, no skew", "", with(access, "exp", at(-time.Second)), nil, cognitoauth.ErrTokenExpired},
		{"exp now, no skew", "", with(access, "exp", at(0)), nil, cognitoauth.ErrTokenExpired},
		{"exp in a second, no skew", "", with(access, "exp", at(time.Second)), nil, nil},
		{"exp skew-1s ago", "", with(access, "exp", at(-skew+time.Second)), func(o *cognitoauth.VerifierOptions) { o.Skew = skew }, nil},
		{"exp skew ago", "", with(access, "exp", at(-skew)), func(o *cognitoauth.VerifierOptions) { o.Skew = skew }, cognitoauth.ErrTokenExpired},
		{"exp fractional, just before now", "", with(access, "exp", float64(at(0))-0.5), nil, cognitoauth.ErrTokenExpired},
		{"nbf in a second, no skew", "", with(access, "nbf", at(time.Second)), nil, cognitoauth.ErrTokenNotYetValid},
		{"nbf now", "", with(access, "nbf", at(0)), nil, nil},
		{"nbf in skew", "", with(access, "nbf", at(skew)), func(o *cognitoauth.VerifierOptions) { o.Skew = skew }, nil},
		{"nbf in skew+1s", "", with(access, "nbf", at(skew+time.Second)), func(o *cognitoauth.VerifierOptions) { o.Skew = skew }, cognitoauth.ErrTokenNotYetValid},
		{"iat in a second, no skew", "", with(access, "iat", at(time.Second)), nil, cognitoauth.ErrTokenNotYetValid},
		{"iat in skew", "", with(access, "iat", at(skew)), func(o *cognitoauth.VerifierOptions) { o.Skew = skew }, nil},
		{"iat in skew+1s", "", with(access, "iat", at(skew+time.Second)), func(o *cognitoauth.VerifierOptions) { o.Skew = skew }, cognitoauth.ErrTokenNotYetValid},
		// Groups and scopes.
		{"in a required group", "", access, func(o *cognitoauth.VerifierOptions) { o.AnyGroup = []string{"admins", "readers"} }, nil},
		{"in no required group", "", access, func(o *cognitoauth.VerifierOptions) { o.AnyGroup = []string{"admins"} }, cognitoauth.ErrMissingGroup},
		{"no groups at all", "", with(access, "cognito:groups", nil), func(o *cognitoauth.VerifierOptions) { o.AnyGroup = []string{"admins"} }, cognitoauth.ErrMissingGroup},
		{"group named by prefix only", "", access, func(o *cognitoauth.VerifierOptions) { o.AnyGroup = []string{"reader"} }, cognitoauth.ErrMissingGroup},
		{"all scopes", "", access, func(o *cognitoauth.VerifierOptions) {
			o.Scopes = []string{"orders/read", "aws.cognito.signin.user.admin"}
		}, nil},
		{"a scope missing", "", access, func(o *cognitoauth.VerifierOptions) { o.Scopes = []string{"orders/read", "orders/write"} }, cognitoauth.ErrMissingScope},
		{"scope as a substring", "", with(access, "scope", "orders/readwrite"), func(o *cognitoauth.VerifierOptions) { o.Scopes = []string{"orders/read"} }, cognitoauth.ErrMissingScope},
		{"ID tokens have no scopes", cognitoauth.TokenUseID, id, func(o *cognitoauth.VerifierOptions) { o.Scopes = []string{"openid"} }, cognitoauth.ErrMissingScope},
		// Found by an outside attack: a pre-token-generation trigger can add a
		// scope claim to an ID token; ID tokens still have no scopes.
		{"ID token with a scope claim", cognitoauth.TokenUseAny, with(id, "scope", "openid"), func(o *cognitoauth.VerifierOptions) { o.Scopes = []string{"openid"} }, cognitoauth.ErrMissingScope},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, srv.URL, &clock{now: testNow}, func(o *cognitoauth.VerifierOptions) {
				o.TokenUse = tc.use
				if tc.opts != nil {
					tc.opts(o)
				}
			})
			tok := mint(t, hdr, tc.claims, rs256(k))
			_, err := v.Verify(testCtx(t), tok)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
			assertNoToken(t, err, tok)
		})
	}
}

func TestVerifyHostileTokens(t *testing.T) {
	keys := testKeys()
	k, stranger := keys[0], keys[1]
	ecKey := map[string]any{"kty": "EC", "alg": "ES256", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"}
	rs384Key := jwkOf("rs384", k)
	rs384Key["alg"] = "RS384"
	noAlgKey := jwkOf("noalg", k)
	delete(noAlgKey, "alg")
	encKey := jwkOf("enc", k)
	encKey["use"] = "enc"
	srv := newJWKSServer(t, jwkOf("k1", k), ecKey, rs384Key, noAlgKey, encKey)
	claims := accessClaims(testNow)
	hdr := func(kv ...any) map[string]any { return with(map[string]any{"kid": "k1", "alg": "RS256"}, kv...) }
	pubDER, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	require.NoError(t, err)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hs256 := func(secret []byte) func([]byte) []byte {
		return func(in []byte) []byte { m := hmac.New(sha256.New, secret); m.Write(in); return m.Sum(nil) }
	}
	rs384 := func(in []byte) []byte {
		sum := sha512.Sum384(in)
		sig, _ := rsa.SignPKCS1v15(nil, k, crypto.SHA384, sum[:])
		return sig
	}
	ps256 := func(in []byte) []byte {
		sum := sha256.Sum256(in)
		sig, _ := rsa.SignPSS(rand.Reader, k, crypto.SHA256, sum[:], nil)
		return sig
	}
	good := mint(t, hdr(), claims, rs256(k))
	parts := strings.Split(good, ".")
	other := strings.Split(mint(t, hdr(), with(claims, "cognito:groups", []string{"admins"}), rs256(k)), ".")
	hdrSpaced := b64([]byte(`{ "kid": "k1", "alg": "RS256" }`))
	cases := []struct {
		name  string
		token string
		want  error
	}{
		{"alg none, no signature", mint(t, hdr("alg", "none"), claims, nil), cognitoauth.ErrUnsupportedAlgorithm},
		{"alg none with the real signature", b64([]byte(`{"kid":"k1","alg":"none"}`)) + "." + parts[1] + "." + parts[2], cognitoauth.ErrUnsupportedAlgorithm},
		{"alg None", mint(t, hdr("alg", "None"), claims, nil), cognitoauth.ErrUnsupportedAlgorithm},
		{"no alg", mint(t, hdr("alg", nil), claims, rs256(k)), cognitoauth.ErrUnsupportedAlgorithm},
		{"alg a number", mint(t, hdr("alg", 256), claims, rs256(k)), cognitoauth.ErrUnsupportedAlgorithm},
		{"HS256 with the public key PEM as secret", mint(t, hdr("alg", "HS256"), claims, hs256(pubPEM)), cognitoauth.ErrUnsupportedAlgorithm},
		{"HS256 with the modulus as secret", mint(t, hdr("alg", "HS256"), claims, hs256(k.N.Bytes())), cognitoauth.ErrUnsupportedAlgorithm},
		{"RS384 by the right key", mint(t, hdr("alg", "RS384"), claims, rs384), cognitoauth.ErrUnsupportedAlgorithm},
		{"PS256 by the right key", mint(t, hdr("alg", "PS256"), claims, ps256), cognitoauth.ErrUnsupportedAlgorithm},
		{"RS256 token naming an RS384 JWK", mint(t, hdr("kid", "rs384"), claims, rs256(k)), cognitoauth.ErrUnsupportedAlgorithm},
		{"RS256 token naming a JWK without alg", mint(t, hdr("kid", "noalg"), claims, rs256(k)), cognitoauth.ErrUnsupportedAlgorithm},
		{"RS256 token naming an encryption JWK", mint(t, hdr("kid", "enc"), claims, rs256(k)), cognitoauth.ErrUnsupportedAlgorithm},
		{"RS256 token naming an EC JWK", mint(t, hdr("kid", "ec"), claims, rs256(k)), cognitoauth.ErrUnsupportedAlgorithm},
		{"RS256 by a key not in the JWKS, kid of one that is", mint(t, hdr(), claims, rs256(stranger)), cognitoauth.ErrInvalidSignature},
		{"RS256 by a key not in the JWKS, its own kid", mint(t, hdr("kid", "stranger"), claims, rs256(stranger)), cognitoauth.ErrUnknownKey},
		{"jku pointing at the attacker's keys", mint(t, hdr("jku", "https://attacker.example/jwks.json"), claims, rs256(stranger)), cognitoauth.ErrInvalidSignature},
		{"jwk header carrying the attacker's key", mint(t, hdr("jwk", jwkOf("k1", stranger)), claims, rs256(stranger)), cognitoauth.ErrInvalidSignature},
		{"no kid", mint(t, hdr("kid", nil), claims, rs256(k)), cognitoauth.ErrMalformedToken},
		{"kid a number", mint(t, hdr("kid", 1), claims, rs256(k)), cognitoauth.ErrMalformedToken},
		{"crit header", mint(t, hdr("crit", []string{"exp"}), claims, rs256(k)), cognitoauth.ErrMalformedToken},
		{"payload of another token", parts[0] + "." + other[1] + "." + parts[2], cognitoauth.ErrInvalidSignature},
		{"header re-encoded with spaces", hdrSpaced + "." + parts[1] + "." + parts[2], cognitoauth.ErrInvalidSignature},
		{"signature truncated by a character", good[:len(good)-1], nil}, // either malformed or invalid: checked below
		{"signature cut", parts[0] + "." + parts[1] + ".", cognitoauth.ErrInvalidSignature},
		{"two parts", parts[0] + "." + parts[1], cognitoauth.ErrMalformedToken},
		// Found by an outside attack: Go's base64 skips line breaks, and
		// encoding/json matches field names in any letter case.
		{"line break inside the signature", parts[0] + "." + parts[1] + "." + parts[2][:10] + "\n" + parts[2][10:], cognitoauth.ErrMalformedToken},
		{"CRLF appended", good + "\r\n", cognitoauth.ErrMalformedToken},
		{"token_use only as Token_Use", mint(t, hdr(), with(claims, "token_use", nil, "Token_Use", "access"), rs256(k)), cognitoauth.ErrMalformedToken},
		{"a second token_use as Token_Use", mint(t, hdr(), with(claims, "Token_Use", "id"), rs256(k)), cognitoauth.ErrMalformedToken},
		{"iss as ISS", mint(t, hdr(), with(claims, "iss", nil, "ISS", claims["iss"]), rs256(k)), cognitoauth.ErrMalformedToken},
		{"four parts", good + ".x", cognitoauth.ErrMalformedToken},
		{"empty", "", cognitoauth.ErrMalformedToken},
		{"padding added to the payload", parts[0] + "." + parts[1] + "==" + "." + parts[2], cognitoauth.ErrMalformedToken},
		{"standard base64 alphabet in the signature", parts[0] + "." + parts[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(parts[2]) + "+/", cognitoauth.ErrMalformedToken},
		{"whitespace inside", parts[0] + " ." + parts[1] + "." + parts[2], cognitoauth.ErrMalformedToken},
		{"header not JSON", b64([]byte("not json")) + "." + parts[1] + "." + parts[2], cognitoauth.ErrMalformedToken},
		{"payload not JSON", parts[0] + "." + b64([]byte("[1,2")) + "." + parts[2], cognitoauth.ErrMalformedToken},
		{"over 1 MiB", mint(t, hdr(), with(claims, "pad", strings.Repeat("a", 800<<10)), rs256(k)), cognitoauth.ErrMalformedToken},
	}
	// A signature whose last character carries non-zero unused bits is a
	// second encoding of the same bytes: refused as malformed.
	sig := []byte(parts[2])
	last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", sig[len(sig)-1])
	if len(sig)%4 != 0 && last%4 == 0 { // 2048-bit signature: 342 chars, last holds 4 bits + 2 unused
		sig[len(sig)-1] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last+1]
		cases = append(cases, struct {
			name  string
			token string
			want  error
		}{"signature re-encoded with non-zero trailing bits", parts[0] + "." + parts[1] + "." + string(sig), cognitoauth.ErrMalformedToken})
	}
	v := newVerifier(t, srv.URL, &clock{now: testNow})
	_, err = v.Verify(testCtx(t), good)
	require.NoError(t, err)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(testCtx(t), tc.token)
			require.Error(t, err)
			if tc.want == nil {
				require.True(t, errors.Is(err, cognitoauth.ErrMalformedToken) || errors.Is(err, cognitoauth.ErrInvalidSignature), err)
			} else {
				require.ErrorIs(t, err, tc.want)
			}
			assertNoToken(t, err, tc.token)
		})
	}
}

// TestVerifyOtherPool: a token from another pool fails whether that pool's
// key is unknown here or (as with a shared test key) the same.
func TestVerifyOtherPool(t *testing.T) {
	k, otherKey := testKeys()[0], testKeys()[1]
	srv := newJWKSServer(t, jwkOf("k1", k))
	v := newVerifier(t, srv.URL, &clock{now: testNow})
	otherIss := "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other99"
	_, err := v.Verify(testCtx(t), mint(t, map[string]any{"kid": "other-k", "alg": "RS256"}, with(accessClaims(testNow), "iss", otherIss), rs256(otherKey)))
	require.ErrorIs(t, err, cognitoauth.ErrUnknownKey)
	_, err = v.Verify(testCtx(t), mint(t, map[string]any{"kid": "k1", "alg": "RS256"}, with(accessClaims(testNow), "iss", otherIss), rs256(k)))
	require.ErrorIs(t, err, cognitoauth.ErrWrongIssuer)
}

func TestVerifyKeyRotation(t *testing.T) {
	keys := testKeys()
	srv := newJWKSServer(t, jwkOf("k1", keys[0]))
	clk := &clock{now: testNow}
	v := newVerifier(t, srv.URL, clk)
	tok := func(kid string, k *rsa.PrivateKey) string {
		return mint(t, map[string]any{"kid": kid, "alg": "RS256"}, accessClaims(clk.Now()), rs256(k))
	}
	_, err := v.Verify(testCtx(t), tok("k1", keys[0]))
	require.NoError(t, err)
	require.Equal(t, int32(1), srv.fetches.Load())

	// The pool rotates: k2 appears. Within MinRefetchInterval of the last
	// fetch, an unknown kid is refused without a fetch.
	srv.set(func(s *jwksServer) { s.keys = append(s.keys, jwkOf("k2", keys[1])) })
	_, err = v.Verify(testCtx(t), tok("k2", keys[1]))
	require.ErrorIs(t, err, cognitoauth.ErrUnknownKey)
	require.Equal(t, int32(1), srv.fetches.Load())

	clk.Advance(10 * time.Second)
	_, err = v.Verify(testCtx(t), tok("k2", keys[1]))
	require.NoError(t, err)
	require.Equal(t, int32(2), srv.fetches.Load())

	// A flood of made-up kids makes no fetch within the interval, and one
	// after it.
	for i := range 200 {
		_, err = v.Verify(testCtx(t), tok(fmt.Sprintf("random-%d", i), keys[2]))
		require.ErrorIs(t, err, cognitoauth.ErrUnknownKey)
	}
	require.Equal(t, int32(2), srv.fetches.Load())
	clk.Advance(10 * time.Second)
	for i := range 200 {
		_, err = v.Verify(testCtx(t), tok(fmt.Sprintf("random-%d", i), keys[2]))
		require.ErrorIs(t, err, cognitoauth.ErrUnknownKey)
	}
	require.Equal(t, int32(3), srv.fetches.Load())

	// k1 retired: tokens it signed fail once the JWKS is fetched again.
	srv.set(func(s *jwksServer) { s.keys = s.keys[1:] })
	clk.Advance(time.Hour)
	_, err = v.Verify(testCtx(t), tok("k1", keys[0]))
	require.ErrorIs(t, err, cognitoauth.ErrUnknownKey)
	_, err = v.Verify(testCtx(t), tok("k2", keys[1]))
	require.NoError(t, err)
	require.Equal(t, int32(4), srv.fetches.Load())
}

func TestVerifyJWKSCaching(t *testing.T) {
	k := testKeys()[0]
	tokAt := func(now time.Time) string {
		return mint(t, map[string]any{"kid": "k1", "alg": "RS256"}, accessClaims(now), rs256(k))
	}
	cases := []struct {
		name    string
		header  http.Header
		advance time.Duration
		refetch bool
	}{
		{"default: an hour", nil, 59 * time.Minute, false},
		{"default: refetched after an hour", nil, time.Hour, true},
		{"max-age 60 s, within", http.Header{"Cache-Control": {"public, max-age=60"}}, 59 * time.Second, false},
		{"max-age 60 s, after", http.Header{"Cache-Control": {"public, max-age=60"}}, 60 * time.Second, true},
		{"max-age less Age", http.Header{"Cache-Control": {"max-age=600"}, "Age": {"590"}}, 15 * time.Second, true},
		{"max-age capped at a day", http.Header{"Cache-Control": {"max-age=999999999"}}, 24 * time.Hour, true},
		{"no-cache: after MinRefetchInterval", http.Header{"Cache-Control": {"no-cache"}}, 10 * time.Second, true},
		{"no-store: not before MinRefetchInterval", http.Header{"Cache-Control": {"no-store"}}, 9 * time.Second, false},
		{"Expires", http.Header{"Expires": {testNow.Add(2 * time.Minute).Format(http.TimeFormat)}}, 3 * time.Minute, true},
		{"Expires, within", http.Header{"Expires": {testNow.Add(2 * time.Minute).Format(http.TimeFormat)}}, time.Minute, false},
		{"max-age wins over Expires", http.Header{"Cache-Control": {"max-age=3600"}, "Expires": {testNow.Format(http.TimeFormat)}}, time.Minute, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newJWKSServer(t, jwkOf("k1", k))
			srv.header = tc.header
			clk := &clock{now: testNow}
			v := newVerifier(t, srv.URL, clk)
			_, err := v.Verify(testCtx(t), tokAt(testNow))
			require.NoError(t, err)
			clk.Advance(tc.advance)
			_, err = v.Verify(testCtx(t), tokAt(clk.Now()))
			require.NoError(t, err)
			want := int32(1)
			if tc.refetch {
				want = 2
			}
			require.Equal(t, want, srv.fetches.Load())
		})
	}

	t.Run("ETag: 304 keeps the keys", func(t *testing.T) {
		srv := newJWKSServer(t, jwkOf("k1", k))
		srv.useETags = true
		clk := &clock{now: testNow}
		v := newVerifier(t, srv.URL, clk)
		for range 3 {
			_, err := v.Verify(testCtx(t), tokAt(clk.Now()))
			require.NoError(t, err)
			clk.Advance(2 * time.Hour)
		}
		require.Equal(t, int32(3), srv.fetches.Load())
		require.Equal(t, int32(2), atomic.LoadInt32(&srv.notMod))
	})
}

func TestVerifyJWKSFailures(t *testing.T) {
	k := testKeys()[0]
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	tok := mint(t, map[string]any{"kid": "k1", "alg": "RS256"}, accessClaims(testNow), rs256(k))
	evenE := jwkOf("k1", k)
	evenE["e"] = b64([]byte{1, 0, 0})
	cases := []struct {
		name string
		set  func(s *jwksServer)
	}{
		{"500", func(s *jwksServer) { s.status = http.StatusInternalServerError }},
		{"404", func(s *jwksServer) { s.status = http.StatusNotFound }},
		{"not JSON", func(s *jwksServer) { s.body = []byte("<html>") }},
		{"no keys member", func(s *jwksServer) { s.body = []byte(`{"kyes":[]}`) }},
		{"keys not a list", func(s *jwksServer) { s.body = []byte(`{"keys":{}}`) }},
		{"over 64 KiB", func(s *jwksServer) {
			s.body = []byte(`{"keys":[],"pad":"` + strings.Repeat("a", 64<<10) + `"}`)
		}},
		{"over 100 keys", func(s *jwksServer) { s.body = []byte(`{"keys":[` + strings.Repeat(`{},`, 100) + `{}]}`) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newJWKSServer(t, jwkOf("k1", k))
			srv.set(tc.set)
			v := newVerifier(t, srv.URL, &clock{now: testNow})
			_, err := v.Verify(testCtx(t), tok)
			require.ErrorIs(t, err, cognitoauth.ErrJWKSUnavailable)
			assertNoToken(t, err, tok)
			// Within MinRefetchInterval the failure is remembered, not retried.
			_, err = v.Verify(testCtx(t), tok)
			require.ErrorIs(t, err, cognitoauth.ErrJWKSUnavailable)
			require.Equal(t, int32(1), srv.fetches.Load())
		})
	}

	// Keys that are unusable are refused one by one; the rest keep working.
	unusable := []struct {
		name string
		keys []map[string]any
	}{
		{"a 1024-bit key", []map[string]any{jwkOf("k1", small)}},
		{"an even exponent", []map[string]any{evenE}},
		{"a kid twice", []map[string]any{jwkOf("k1", k), jwkOf("k1", testKeys()[1])}},
	}
	for _, tc := range unusable {
		t.Run(tc.name, func(t *testing.T) {
			srv := newJWKSServer(t, append(tc.keys, jwkOf("k2", testKeys()[1]))...)
			v := newVerifier(t, srv.URL, &clock{now: testNow})
			_, err := v.Verify(testCtx(t), tok)
			require.ErrorIs(t, err, cognitoauth.ErrUnsupportedAlgorithm)
			_, err = v.Verify(testCtx(t), mint(t, map[string]any{"kid": "k2", "alg": "RS256"}, accessClaims(testNow), rs256(testKeys()[1])))
			require.NoError(t, err)
		})
	}

	t.Run("endpoint down", func(t *testing.T) {
		srv := newJWKSServer(t)
		url := srv.URL
		srv.Close()
		v := newVerifier(t, url, &clock{now: testNow})
		_, err := v.Verify(testCtx(t), tok)
		require.ErrorIs(t, err, cognitoauth.ErrJWKSUnavailable)
	})

	t.Run("down after a fetch: the stale copy serves", func(t *testing.T) {
		srv := newJWKSServer(t, jwkOf("k1", k))
		clk := &clock{now: testNow}
		v := newVerifier(t, srv.URL, clk)
		_, err := v.Verify(testCtx(t), tok)
		require.NoError(t, err)
		srv.set(func(s *jwksServer) { s.status = http.StatusBadGateway })
		clk.Advance(2 * time.Hour)
		_, err = v.Verify(testCtx(t), mint(t, map[string]any{"kid": "k1", "alg": "RS256"}, accessClaims(clk.Now()), rs256(k)))
		require.NoError(t, err)
		require.Equal(t, int32(2), srv.fetches.Load())
	})

	t.Run("slow: the context is honoured and not held against the endpoint", func(t *testing.T) {
		srv := newJWKSServer(t, jwkOf("k1", k))
		srv.block = true
		v := newVerifier(t, srv.URL, &clock{now: testNow})
		ctx, cancel := context.WithCancel(testCtx(t))
		done := make(chan error, 1)
		go func() { _, err := v.Verify(ctx, tok); done <- err }()
		<-srv.arrived
		cancel()
		err := <-done
		require.ErrorIs(t, err, cognitoauth.ErrJWKSUnavailable)
		require.ErrorIs(t, err, context.Canceled)
		srv.set(func(s *jwksServer) { s.block = false })
		_, err = v.Verify(testCtx(t), tok)
		require.NoError(t, err, "a fetch ended by the caller's context does not count against MinRefetchInterval")
	})

	t.Run("a known key does not wait for a slow refetch", func(t *testing.T) {
		srv := newJWKSServer(t, jwkOf("k1", k))
		clk := &clock{now: testNow}
		v := newVerifier(t, srv.URL, clk)
		_, err := v.Verify(testCtx(t), tok)
		require.NoError(t, err)
		srv.set(func(s *jwksServer) { s.block = true })
		clk.Advance(time.Hour) // stale: the next caller refetches
		slow, cancelSlow := context.WithCancel(testCtx(t))
		defer cancelSlow()
		done := make(chan error, 1)
		fresh := mint(t, map[string]any{"kid": "k1", "alg": "RS256"}, accessClaims(clk.Now()), rs256(k))
		go func() { _, err := v.Verify(slow, fresh); done <- err }()
		<-srv.arrived
		_, err = v.Verify(testCtx(t), fresh)
		require.NoError(t, err, "served from the stale cache while the fetch hangs")
		cancelSlow()
		require.NoError(t, <-done, "the fetching caller also falls back to the cached key")
	})

	t.Run("waiters on a slow fetch give up with their own context", func(t *testing.T) {
		srv := newJWKSServer(t, jwkOf("k1", k))
		srv.block = true
		v := newVerifier(t, srv.URL, &clock{now: testNow})
		first, cancelFirst := context.WithCancel(testCtx(t))
		defer cancelFirst()
		done := make(chan error, 1)
		go func() { _, err := v.Verify(first, tok); done <- err }()
		<-srv.arrived
		waiter, cancelWaiter := context.WithCancel(testCtx(t))
		cancelWaiter()
		_, err := v.Verify(waiter, tok)
		require.ErrorIs(t, err, context.Canceled)
		cancelFirst()
		require.ErrorIs(t, <-done, context.Canceled)
		require.Equal(t, int32(1), srv.fetches.Load())
	})
}

func TestVerifyConcurrentFetchOnce(t *testing.T) {
	k := testKeys()[0]
	srv := newJWKSServer(t, jwkOf("k1", k))
	v := newVerifier(t, srv.URL, &clock{now: testNow})
	tok := mint(t, map[string]any{"kid": "k1", "alg": "RS256"}, accessClaims(testNow), rs256(k))
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = v.Verify(testCtx(t), tok) }()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, int32(1), srv.fetches.Load())
}

// TestVerifyAttack holds what a pass over the package docs alone, looking
// for ways around the Verifier, turned up.
func TestVerifyAttack(t *testing.T) {
	k := testKeys()[0]
	hdr := map[string]any{"kid": "k1", "alg": "RS256"}

	t.Run("options changed after NewVerifier change nothing", func(t *testing.T) {
		srv := newJWKSServer(t, jwkOf("k1", k))
		clients := []string{"other-client"}
		groups := []string{"admins"}
		v, err := cognitoauth.NewVerifier(testRegion, testPool, func(o *cognitoauth.VerifierOptions) {
			o.ClientIDs, o.AnyGroup, o.JWKSURL, o.Clock = clients, groups, srv.URL, (&clock{now: testNow}).Now
		})
		require.NoError(t, err)
		clients[0], groups[0] = testClient, "readers"
		_, err = v.Verify(testCtx(t), mint(t, hdr, accessClaims(testNow), rs256(k)))
		require.ErrorIs(t, err, cognitoauth.ErrWrongAudience)
	})

	t.Run("a clock set back does not hold fetches off", func(t *testing.T) {
		srv := newJWKSServer(t, jwkOf("k1", k))
		clk := &clock{now: testNow}
		v := newVerifier(t, srv.URL, clk)
		_, err := v.Verify(testCtx(t), mint(t, hdr, accessClaims(testNow), rs256(k)))
		require.NoError(t, err)
		srv.set(func(s *jwksServer) { s.keys = append(s.keys, jwkOf("k2", testKeys()[1])) })
		clk.Advance(-time.Hour)
		_, err = v.Verify(testCtx(t), mint(t, map[string]any{"kid": "k2", "alg": "RS256"}, accessClaims(clk.Now()), rs256(testKeys()[1])))
		require.NoError(t, err)
		require.Equal(t, int32(2), srv.fetches.Load())
	})

	t.Run("a zero Verifier refuses instead of panicking", func(t *testing.T) {
		var v cognitoauth.Verifier
		_, err := v.Verify(testCtx(t), mint(t, hdr, accessClaims(testNow), rs256(k)))
		require.Error(t, err)
	})

	t.Run("a kid of 10 KiB is one unknown key, one fetch", func(t *testing.T) {
		srv := newJWKSServer(t, jwkOf("k1", k))
		v := newVerifier(t, srv.URL, &clock{now: testNow})
		for i := range 3 {
			_, err := v.Verify(testCtx(t), mint(t, map[string]any{"kid": strings.Repeat("k", 10<<10) + fmt.Sprint(i), "alg": "RS256"}, map[string]any{}, rs256(k)))
			require.ErrorIs(t, err, cognitoauth.ErrUnknownKey)
		}
		require.Equal(t, int32(1), srv.fetches.Load())
	})

	t.Run("claims decoded before the signature check cannot pass it", func(t *testing.T) {
		srv := newJWKSServer(t, jwkOf("k1", k))
		v := newVerifier(t, srv.URL, &clock{now: testNow})
		deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
		tok := b64([]byte(`{"kid":"k1","alg":"RS256"}`)) + "." + b64([]byte(`{"x":`+deep+`}`)) + "." + b64(make([]byte, 256))
		_, err := v.Verify(testCtx(t), tok)
		require.ErrorIs(t, err, cognitoauth.ErrInvalidSignature)
	})

	t.Run("the middleware refuses a token with surrounding junk", func(t *testing.T) {
		srv := newJWKSServer(t, jwkOf("k1", k))
		v := newVerifier(t, srv.URL, &clock{now: testNow})
		good := mint(t, hdr, accessClaims(testNow), rs256(k))
		for _, auth := range []string{"Bearer " + good + " ", "Bearer\t" + good, "Bearer " + good + ",x", "Token " + good} {
			r := httptest.NewRequestWithContext(testCtx(t), http.MethodGet, "/", nil)
			r.Header.Set("Authorization", auth)
			w := httptest.NewRecorder()
			v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(200) })).ServeHTTP(w, r)
			assert.Equal(t, http.StatusUnauthorized, w.Code, auth)
		}
	})
}

func TestNewVerifierOptions(t *testing.T) {
	cases := []struct {
		name         string
		region, pool string
		opts         func(*cognitoauth.VerifierOptions)
	}{
		{"pool of another region", "us-east-1", testPool, nil},
		{"no region", "", testPool, nil},
		{"pool without id", testRegion, testRegion + "_", nil},
		{"pool with a slash", testRegion, testPool + "/x", nil},
		{"region with a host in it", "x.evil.example", "x.evil.example_abc", nil},
		{"region with userinfo", "a@evil.example:443", "a@evil.example:443_abc", nil},
		{"pool with a dot", testRegion, testPool + ".x", nil},
		{"region in capitals", "EU-WEST-1", "EU-WEST-1_AbC123", nil},
		{"no clients", testRegion, testPool, func(o *cognitoauth.VerifierOptions) { o.ClientIDs = nil }},
		{"an empty client", testRegion, testPool, func(o *cognitoauth.VerifierOptions) { o.ClientIDs = []string{""} }},
		{"clients and AnyClient", testRegion, testPool, func(o *cognitoauth.VerifierOptions) { o.AnyClient = true }},
		{"negative skew", testRegion, testPool, func(o *cognitoauth.VerifierOptions) { o.Skew = -time.Second }},
		{"skew over 5 minutes", testRegion, testPool, func(o *cognitoauth.VerifierOptions) { o.Skew = 5*time.Minute + time.Second }},
		{"unknown token use", testRegion, testPool, func(o *cognitoauth.VerifierOptions) { o.TokenUse = "refresh" }},
		{"negative MinRefetchInterval", testRegion, testPool, func(o *cognitoauth.VerifierOptions) { o.MinRefetchInterval = -1 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cognitoauth.NewVerifier(tc.region, tc.pool, func(o *cognitoauth.VerifierOptions) {
				o.ClientIDs = []string{testClient}
				if tc.opts != nil {
					tc.opts(o)
				}
			})
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "cognitoauth: "), err.Error())
		})
	}
	v, err := cognitoauth.NewVerifier(testRegion, testPool, func(o *cognitoauth.VerifierOptions) { o.ClientIDs = []string{testClient} })
	require.NoError(t, err)
	assert.Equal(t, testIss, v.Issuer())
	// Zero values are the documented defaults, even when set explicitly.
	_, err = cognitoauth.NewVerifier(testRegion, testPool, func(o *cognitoauth.VerifierOptions) {
		o.ClientIDs, o.MinRefetchInterval, o.TokenUse, o.Clock, o.Skew = []string{testClient}, 0, "", nil, 0
	})
	require.NoError(t, err)
}

func TestMiddleware(t *testing.T) {
	k := testKeys()[0]
	srv := newJWKSServer(t, jwkOf("k1", k))
	v := newVerifier(t, srv.URL, &clock{now: testNow}, func(o *cognitoauth.VerifierOptions) { o.AnyGroup = []string{"readers"} })
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := cognitoauth.ClaimsFromContext(r.Context())
		if !ok {
			http.Error(w, "no claims", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, c.Username)
	}))
	good := mint(t, map[string]any{"kid": "k1", "alg": "RS256"}, accessClaims(testNow), rs256(k))
	noGroup := mint(t, map[string]any{"kid": "k1", "alg": "RS256"}, with(accessClaims(testNow), "cognito:groups", nil), rs256(k))
	cases := []struct {
		name      string
		auth      []string
		code      int
		challenge string
		body      string
	}{
		{"valid", []string{"Bearer " + good}, 200, "", "alice"},
		{"scheme in lower case", []string{"bearer " + good}, 200, "", "alice"},
		{"no header", nil, 401, "Bearer", "Unauthorized\n"},
		{"Basic", []string{"Basic YWxpY2U6cHc="}, 401, "Bearer", "Unauthorized\n"},
		{"Bearer without token", []string{"Bearer "}, 401, "Bearer", "Unauthorized\n"},
		{"two headers", []string{"Bearer " + good, "Bearer " + good}, 401, "Bearer", "Unauthorized\n"},
		{"bad token", []string{"Bearer " + good[:len(good)-4]}, 401, `Bearer error="invalid_token"`, "Unauthorized\n"},
		{"no group", []string{"Bearer " + noGroup}, 403, `Bearer error="insufficient_scope"`, "Forbidden\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequestWithContext(testCtx(t), http.MethodGet, "/", nil)
			for _, a := range tc.auth {
				r.Header.Add("Authorization", a)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			assert.Equal(t, tc.code, w.Code)
			assert.Equal(t, tc.challenge, w.Header().Get("WWW-Authenticate"))
			assert.Equal(t, tc.body, w.Body.String())
		})
	}

	t.Run("JWKS down is 503", func(t *testing.T) {
		down := newJWKSServer(t)
		down.status = http.StatusInternalServerError
		v := newVerifier(t, down.URL, &clock{now: testNow})
		r := httptest.NewRequestWithContext(testCtx(t), http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "Bearer "+good)
		w := httptest.NewRecorder()
		v.Middleware(http.NotFoundHandler()).ServeHTTP(w, r)
		assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	})

	t.Run("ErrorHandler", func(t *testing.T) {
		var got error
		v := newVerifier(t, srv.URL, &clock{now: testNow}, func(o *cognitoauth.VerifierOptions) {
			o.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, err error) { got = err; w.WriteHeader(418) }
		})
		r := httptest.NewRequestWithContext(testCtx(t), http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "Bearer "+mint(t, map[string]any{"kid": "k1", "alg": "RS256"}, with(accessClaims(testNow), "exp", testNow.Unix()), rs256(k)))
		w := httptest.NewRecorder()
		v.Middleware(http.NotFoundHandler()).ServeHTTP(w, r)
		assert.Equal(t, 418, w.Code)
		require.ErrorIs(t, got, cognitoauth.ErrTokenExpired)
	})
}
