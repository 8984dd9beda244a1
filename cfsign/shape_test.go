package cfsign_test

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cfsign"
)

// Every option's zero value is its documented default, also when an optFn
// sets it to zero after another set it.
func TestZeroOptionsMeanDefaults(t *testing.T) {
	zero := func(o *cfsign.Options) { o.Hash, o.Clock, o.Rand = cfsign.HashDefault, nil, nil }
	pinned := func(o *cfsign.Options) {
		o.Hash, o.Clock, o.Rand = cfsign.SHA256, func() time.Time { return now }, bytes.NewReader(nil)
	}
	for _, tt := range []struct {
		name string
		key  crypto.Signer
		hash string // the Hash-Algorithm parameter
	}{{"RSA", rsaKey, ""}, {"ECDSA", ecKey, "SHA256"}} {
		s, err := cfsign.New("K", tt.key, pinned, zero)
		require.NoError(t, err, tt.name)
		// Clock nil is time.Now: an hour from the real now is in the
		// future, an hour before it is not (the pinned clock of 2026-11-22
		// would have taken both).
		u, err := s.SignURL("https://d1.cloudfront.net/a", time.Now().Add(time.Hour))
		require.NoError(t, err, "Rand nil is crypto/rand: %s", tt.name)
		parsed, err := url.Parse(u)
		require.NoError(t, err)
		assert.Equal(t, tt.hash, parsed.Query().Get("Hash-Algorithm"), "HashDefault for %s", tt.name)
		_, err = s.SignURL("https://d1.cloudfront.net/a", time.Now().Add(-time.Hour))
		assert.ErrorContains(t, err, "is not in the future", tt.name)
		// VerifyOptions.Clock nil is time.Now.
		_, err = cfsign.Verify(u, map[string]crypto.PublicKey{"K": tt.key.Public()}, func(o *cfsign.VerifyOptions) { o.Clock = nil })
		assert.NoError(t, err, tt.name)
	}

	// CookieOptions: empty Path is "/", empty Domain and zero SameSite
	// leave the attributes out, Secure and HttpOnly are on.
	s := newSigner(t, "KEC", ecKey)
	cookies, err := s.SignedCookies(cfsign.Policy{Resource: "https://d1.cloudfront.net/*", DateLessThan: later},
		func(o *cfsign.CookieOptions) { o.Path, o.Domain = "/videos", "d1.cloudfront.net" },
		func(o *cfsign.CookieOptions) { o.Path, o.Domain = "", "" })
	require.NoError(t, err)
	for _, c := range cookies {
		assert.Equal(t, "/", c.Path, c.Name)
		assert.Empty(t, c.Domain, c.Name)
		assert.Equal(t, http.SameSite(0), c.SameSite, c.Name)
		assert.True(t, c.Secure && c.HttpOnly, c.Name)
	}
}

// A Hash prints as its name, so a Signer says which hash it signs with
// (it printed hash:2).
func TestHashString(t *testing.T) {
	for h, want := range map[cfsign.Hash]string{cfsign.HashDefault: "HashDefault", cfsign.SHA1: "SHA1", cfsign.SHA256: "SHA256", 3: "Hash(3)", -1: "Hash(-1)"} {
		assert.Equal(t, want, h.String())
	}
	assert.Equal(t, `Signer{keyPairID:"KEC" hash:SHA256 key:[redacted]}`, newSigner(t, "KEC", ecKey).String())
	assert.Equal(t, `Signer{keyPairID:"KRSA" hash:SHA1 key:[redacted]}`, newSigner(t, "KRSA", rsaKey).String())
}

// Invalid non-zero options are refused with what is allowed.
func TestInvalidOptionsRefused(t *testing.T) {
	_, err := cfsign.New("K", rsaKey, func(o *cfsign.Options) { o.Hash = 3 })
	assert.EqualError(t, err, "cfsign: unknown Options.Hash 3; want HashDefault, SHA1 or SHA256")
	_, err = cfsign.New("K", nil)
	assert.EqualError(t, err, "cfsign: New needs a private key")

	s := newSigner(t, "KEC", ecKey)
	p := cfsign.Policy{Resource: "https://d1.cloudfront.net/*", DateLessThan: later}
	for _, tt := range []struct {
		name string
		fn   func(*cfsign.CookieOptions)
		text string
	}{
		{"SameSite out of range", func(o *cfsign.CookieOptions) { o.SameSite = 9 },
			"cfsign: unknown CookieOptions.SameSite 9; want 0 (none set), http.SameSiteDefaultMode, SameSiteLaxMode, SameSiteStrictMode or SameSiteNoneMode"},
		{"SameSite None without Secure", func(o *cfsign.CookieOptions) { o.SameSite, o.DisableSecure = http.SameSiteNoneMode, true },
			"cfsign: CookieOptions.SameSite None needs Secure, which browsers require for it; leave DisableSecure off or pick another SameSite"},
		{"Path with a semicolon", func(o *cfsign.CookieOptions) { o.Path = "/a;b" },
			`cfsign: CookieOptions: http: invalid byte ';' in Cookie.Path; Domain is a host name such as example.com, Path starts with / and has no ; or control characters`},
		{"Path without a leading slash", func(o *cfsign.CookieOptions) { o.Path = "videos/" },
			`cfsign: CookieOptions.Path "videos/" does not start with /, so browsers would ignore it; Domain is a host name such as example.com, Path starts with / and has no ; or control characters`},
		{"Domain that is no host name", func(o *cfsign.CookieOptions) { o.Domain = "bad domain" },
			"cfsign: CookieOptions: http: invalid Cookie.Domain; Domain is a host name such as example.com, Path starts with / and has no ; or control characters"},
	} {
		_, err := s.SignedCookies(p, tt.fn)
		assert.EqualError(t, err, tt.text, tt.name)
	}
}

// Verify takes its time from VerifyOptions.Clock, like the Signer, and an
// unknown key pair ID lists the IDs it was given.
func TestVerifyClockAndKeyList(t *testing.T) {
	s := newSigner(t, "KEC", ecKey)
	u, err := s.SignURL("https://d1.cloudfront.net/a", later)
	require.NoError(t, err)
	_, err = cfsign.Verify(u, pubKeys, at(later.Add(-time.Second)))
	assert.NoError(t, err)
	_, err = cfsign.Verify(u, pubKeys, at(later))
	assert.ErrorIs(t, err, cfsign.ErrExpired)
	assert.EqualError(t, err, "cfsign: expired at 2026-11-22T13:00:00Z")

	_, err = cfsign.Verify(u, map[string]crypto.PublicKey{"KRSA": &rsaKey.PublicKey, "KB": &ecKey.PublicKey}, at(now))
	assert.ErrorIs(t, err, cfsign.ErrUnknownKey)
	assert.EqualError(t, err, `cfsign: unknown key pair ID "KEC"; the keys given are "KB", "KRSA"`)
	_, err = cfsign.Verify(u, map[string]crypto.PublicKey{"KEC": ed25519.PublicKey(make([]byte, ed25519.PublicKeySize))}, at(now))
	assert.ErrorIs(t, err, cfsign.ErrUnsupportedKey)
	assert.EqualError(t, err, `cfsign: unsupported key: key "KEC" is a ed25519.PublicKey; want an *rsa.PublicKey or *ecdsa.PublicKey`)
	_, err = cfsign.Verify(u, nil, at(now))
	assert.EqualError(t, err, `cfsign: unknown key pair ID "KEC"; the keys given are none`)
	many := map[string]crypto.PublicKey{}
	for _, id := range []string{"K00", "K01", "K02", "K03", "K04", "K05", "K06", "K07", "K08", "K09", "K10", "K11"} {
		many[id] = &ecKey.PublicKey
	}
	_, err = cfsign.VerifyCookies("https://d1.cloudfront.net/a", []*http.Cookie{
		{Name: "CloudFront-Key-Pair-Id", Value: "KX"}, {Name: "CloudFront-Signature", Value: "AA__"}, {Name: "CloudFront-Expires", Value: "1"},
	}, many, at(now))
	assert.EqualError(t, err, `cfsign: unknown key pair ID "KX"; the keys given are "K00", "K01", "K02", "K03", "K04", "K05", "K06", "K07", "K08", "K09" and 2 more`)
}

// A nil option func is skipped: each function that takes option funcs
// answers with its defaults, as without one.
func TestNilOptionFuncsSkipped(t *testing.T) {
	var s *cfsign.Signer
	var err error
	require.NotPanics(t, func() { s, err = cfsign.New("KEC", ecKey, nil, clock, nil) })
	require.NoError(t, err)
	u, err := s.SignURL("https://d1.cloudfront.net/a", later)
	require.NoError(t, err, "the Clock set beside the nil funcs applies")
	p := cfsign.Policy{Resource: "https://d1.cloudfront.net/*", DateLessThan: later}
	var cookies []*http.Cookie
	require.NotPanics(t, func() { cookies, err = s.SignedCookies(p, nil) })
	require.NoError(t, err)
	for _, c := range cookies {
		assert.Equal(t, "/", c.Path, c.Name)
		assert.True(t, c.Secure && c.HttpOnly, c.Name)
	}
	// VerifyOptions.Clock nil is time.Now, long after the policy ended.
	require.NotPanics(t, func() { _, err = cfsign.Verify(u, pubKeys, nil) })
	assert.ErrorIs(t, err, cfsign.ErrExpired)
	require.NotPanics(t, func() { _, err = cfsign.Verify(u, pubKeys, nil, at(now), nil) })
	assert.NoError(t, err)
	require.NotPanics(t, func() { _, err = cfsign.VerifyCookies("https://d1.cloudfront.net/a", cookies, pubKeys, nil) })
	assert.ErrorIs(t, err, cfsign.ErrExpired)
}
