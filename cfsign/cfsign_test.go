package cfsign_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	awssign "github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cfsign"
)

var (
	rsaKey, _ = rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _  = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now       = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	later     = now.Add(time.Hour)
	clock     = func(o *cfsign.Options) { o.Clock = func() time.Time { return now } }
	// at verifies at t.
	at = func(t time.Time) func(*cfsign.VerifyOptions) {
		return func(o *cfsign.VerifyOptions) { o.Clock = func() time.Time { return t } }
	}
	pubKeys = map[string]crypto.PublicKey{"KRSA": &rsaKey.PublicKey, "KEC": &ecKey.PublicKey}
)

func pemOf(typ string, der []byte, headers map[string]string) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Headers: headers, Bytes: der})
}

func TestLoadPrivateKey(t *testing.T) {
	pkcs8RSA, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	pkcs8EC, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	sec1, _ := x509.MarshalECPrivateKey(ecKey)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384DER, _ := x509.MarshalPKCS8PrivateKey(p384)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	pubDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "x"}, NotAfter: later}
	cert, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ecKey.PublicKey, ecKey)

	for _, tt := range []struct {
		name string
		pem  []byte
		want crypto.Signer
		err  error
		text string
	}{
		{name: "PKCS#1 RSA", pem: pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey), nil), want: rsaKey},
		{name: "PKCS#8 RSA (OpenSSL 3)", pem: pemOf("PRIVATE KEY", pkcs8RSA, nil), want: rsaKey},
		{name: "PKCS#8 P-256", pem: pemOf("PRIVATE KEY", pkcs8EC, nil), want: ecKey},
		{name: "SEC 1 P-256 after EC PARAMETERS", pem: append(pemOf("EC PARAMETERS", []byte{6, 8, 42, 134, 72, 206, 61, 3, 1, 7}, nil), pemOf("EC PRIVATE KEY", sec1, nil)...), want: ecKey},
		{name: "legacy encrypted", pem: pemOf("RSA PRIVATE KEY", []byte{1, 2, 3}, map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}), err: cfsign.ErrEncryptedKey},
		{name: "PKCS#8 encrypted", pem: pemOf("ENCRYPTED PRIVATE KEY", []byte{1}, nil), err: cfsign.ErrEncryptedKey},
		{name: "public key", pem: pemOf("PUBLIC KEY", pubDER, nil), err: cfsign.ErrNotPrivateKey, text: "cfsign: not a private key: got a public key; signing needs the private key that goes with it"},
		{name: "certificate", pem: pemOf("CERTIFICATE", cert, nil), err: cfsign.ErrNotPrivateKey},
		{name: "P-384", pem: pemOf("PRIVATE KEY", p384DER, nil), err: cfsign.ErrUnsupportedKey, text: "cfsign: unsupported key: an ECDSA key on P-384; CloudFront takes P-256 only"},
		{name: "RSA 1024", pem: pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(small), nil), err: cfsign.ErrUnsupportedKey, text: "cfsign: unsupported key: an RSA key of 1024 bits; CloudFront needs at least 2048"},
		{name: "not PEM", pem: []byte("hello"), err: cfsign.ErrNotPrivateKey},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cfsign.LoadPrivateKey(tt.pem)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				if tt.text != "" {
					assert.EqualError(t, err, tt.text)
				}
				return
			}
			require.NoError(t, err)
			assert.True(t, tt.want.(interface{ Equal(crypto.PrivateKey) bool }).Equal(got))
		})
	}
}

func TestPolicyJSON(t *testing.T) {
	for _, tt := range []struct {
		p    cfsign.Policy
		want string
	}{
		{cfsign.Policy{Resource: "https://d1.cloudfront.net/a.pdf", DateLessThan: later},
			`{"Statement":[{"Resource":"https://d1.cloudfront.net/a.pdf","Condition":{"DateLessThan":{"AWS:EpochTime":1795352400}}}]}`},
		{cfsign.Policy{Resource: "https://d1.cloudfront.net/*", DateLessThan: later, DateGreaterThan: now, SourceIP: "192.0.2.7"},
			`{"Statement":[{"Resource":"https://d1.cloudfront.net/*","Condition":{"DateLessThan":{"AWS:EpochTime":1795352400},"IpAddress":{"AWS:SourceIp":"192.0.2.7/32"},"DateGreaterThan":{"AWS:EpochTime":1795348800}}}]}`},
		{cfsign.Policy{Resource: `https://d1.cloudfront.net/q"\x`, DateLessThan: later.Add(999 * time.Millisecond), SourceIP: "10.0.0.0/8"},
			`{"Statement":[{"Resource":"https://d1.cloudfront.net/q\"\\x","Condition":{"DateLessThan":{"AWS:EpochTime":1795352400},"IpAddress":{"AWS:SourceIp":"10.0.0.0/8"}}}]}`},
	} {
		got, err := tt.p.JSON()
		require.NoError(t, err)
		assert.Equal(t, tt.want, string(got))
		back, err := cfsign.ParsePolicy(got)
		require.NoError(t, err)
		assert.Equal(t, tt.p.Resource, back.Resource)
		assert.Equal(t, tt.p.DateLessThan.Unix(), back.DateLessThan.Unix())
	}
	for _, tt := range []struct {
		p    cfsign.Policy
		text string
	}{
		{cfsign.Policy{DateLessThan: later}, "cfsign: the policy has no resource"},
		{cfsign.Policy{Resource: "https://x/a"}, "cfsign: the policy has no DateLessThan; every policy needs an end"},
		{cfsign.Policy{Resource: "https://x/a", DateLessThan: later, SourceIP: "2001:db8::/32"}, `cfsign: source IP "2001:db8::/32" is IPv6; CloudFront policies take IPv4 ranges only`},
		{cfsign.Policy{Resource: "https://x/a", DateLessThan: later, SourceIP: "10.0.0.300"}, `cfsign: source IP "10.0.0.300" is not an IPv4 address or CIDR range such as 192.0.2.0/24`},
		{cfsign.Policy{Resource: "https://x/a", DateLessThan: now, DateGreaterThan: later}, "cfsign: DateGreaterThan (2026-11-22T13:00:00Z) is not before DateLessThan (2026-11-22T12:00:00Z)"},
		{cfsign.Policy{Resource: "https://x/a b", DateLessThan: later}, "cfsign: the resource has ' ' at byte 11; percent-encode spaces and non-ASCII first (as a client will), for example https://x/a%20b"},
	} {
		_, err := tt.p.JSON()
		assert.EqualError(t, err, tt.text)
	}
}

func TestParsePolicyRejects(t *testing.T) {
	for _, doc := range []string{
		``, `[]`, `{"Statement":[]}`,
		`{"Statement":[{"Resource":"https://x/a","Condition":{}}]}`,
		`{"Statement":[{"Resource":"https://x/a","Condition":{"DateLessThan":{"AWS:EpochTime":1}},"Extra":1}]}`,
		`{"Statement":[{"Resource":"https://x/a","Condition":{"DateLessThan":{"AWS:EpochTime":1}}},{"Resource":"b"}]}`,
		`{"Statement":[{"Resource":"https://x/a","Condition":{"DateLessThan":{"AWS:EpochTime":"1"}}}]}`,
		`{"Statement":[{"Resource":"https://x/a","Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]} trailing`,
	} {
		_, err := cfsign.ParsePolicy([]byte(doc))
		assert.Error(t, err, doc)
	}
}

func newSigner(t testing.TB, id string, key crypto.Signer, fns ...func(*cfsign.Options)) *cfsign.Signer {
	t.Helper()
	s, err := cfsign.New(id, key, append([]func(*cfsign.Options){clock}, fns...)...)
	require.NoError(t, err)
	return s
}

func TestSignURLRefusesEarly(t *testing.T) {
	s := newSigner(t, "KRSA", rsaKey)
	for _, tt := range []struct{ url, text string }{
		{"/relative/path", `cfsign: "/relative/path" is not an absolute http(s) URL`},
		{"ftp://d1.cloudfront.net/a", `cfsign: "ftp://d1.cloudfront.net/a" is not an absolute http(s) URL`},
		{"https://d1.cloudfront.net/*.jpg", "cfsign: a canned policy cannot contain the wildcard *; sign a Policy with SignURLWithPolicy"},
		{"https://d1.cloudfront.net/a?Expires=1", "cfsign: the URL already has a Expires parameter, which CloudFront reserves for signing"},
		{"https://d1.cloudfront.net/a?x=1&Key-Pair-Id=K", "cfsign: the URL already has a Key-Pair-Id parameter, which CloudFront reserves for signing"},
		{"https://d1.cloudfront.net/a#top", `cfsign: "https://d1.cloudfront.net/a#top" has a fragment, which browsers never send`},
		{"https://d1.cloudfront.net/my file.pdf", "cfsign: the URL has ' ' at byte 28; percent-encode spaces and non-ASCII first (as a client will), for example https://d1.cloudfront.net/my%20file.pdf"},
		{"https://d1.cloudfront.net/café", "cfsign: the URL has 'é' at byte 29; percent-encode spaces and non-ASCII first (as a client will), for example https://d1.cloudfront.net/caf%C3%A9"},
	} {
		_, err := s.SignURL(tt.url, later)
		assert.EqualError(t, err, tt.text, tt.url)
	}
	_, err := s.SignURL("https://d1.cloudfront.net/a", now)
	assert.EqualError(t, err, "cfsign: the expiry 2026-11-22T12:00:00Z is not in the future (now 2026-11-22T12:00:00Z)")
	_, err = s.SignURLWithPolicy("https://d1.cloudfront.net/b/x", cfsign.Policy{Resource: "https://d1.cloudfront.net/a/*", DateLessThan: later})
	assert.EqualError(t, err, `cfsign: the URL does not match the policy's resource "https://d1.cloudfront.net/a/*", so CloudFront would refuse it`)
	_, err = cfsign.New("K&1", rsaKey)
	assert.Error(t, err)
}

// The SDK's feature/cloudfront/sign is an independent implementation of
// the RSA SHA-1 canned scheme: PKCS#1 v1.5 is deterministic, so the URLs
// must match byte for byte.
func TestCannedURLMatchesSDK(t *testing.T) {
	s := newSigner(t, "KRSA", rsaKey)
	for _, u := range []string{"https://d1.cloudfront.net/a.pdf", "https://d1.cloudfront.net/dir/x%20y.mp4?v=2&lang=en"} {
		got, err := s.SignURL(u, later)
		require.NoError(t, err)
		want, err := awssign.NewURLSigner("KRSA", rsaKey).Sign(u, later)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
}

func TestVerifyAcceptsWhatItSignsAndRejectsAlterations(t *testing.T) {
	client := netip.MustParseAddr("192.0.2.10")
	for _, tt := range []struct {
		name string
		id   string
		key  crypto.Signer
		hash cfsign.Hash
	}{
		{"rsa-sha1", "KRSA", rsaKey, cfsign.SHA1},
		{"rsa-sha256", "KRSA", rsaKey, cfsign.SHA256},
		{"ecdsa-sha256", "KEC", ecKey, cfsign.HashDefault},
		{"ecdsa-sha1", "KEC", ecKey, cfsign.SHA1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newSigner(t, tt.id, tt.key, func(o *cfsign.Options) { o.Hash = tt.hash })
			canned, err := s.SignURL("https://d1.cloudfront.net/v/a.mp4?q=1", later)
			require.NoError(t, err)
			custom, err := s.SignURLWithPolicy("https://d1.cloudfront.net/v/b.mp4", cfsign.Policy{
				Resource: "https://d1.cloudfront.net/v/*", DateLessThan: later, DateGreaterThan: now.Add(-time.Minute), SourceIP: "192.0.2.0/24"})
			require.NoError(t, err)
			if tt.hash == cfsign.SHA256 || tt.key == ecKey && tt.hash == cfsign.HashDefault {
				assert.True(t, strings.HasSuffix(canned, "&Hash-Algorithm=SHA256"))
			} else {
				assert.NotContains(t, canned, "Hash-Algorithm")
			}
			in := func(o *cfsign.VerifyOptions) { o.ClientIP = client }
			for _, u := range []string{canned, custom} {
				_, err := cfsign.Verify(u, pubKeys, at(now), in)
				require.NoError(t, err, u)
			}
			_, err = cfsign.Verify(strings.Replace(custom, "/v/b.mp4", "/v/other.mp4", 1), pubKeys, at(now), in)
			require.NoError(t, err, "the wildcard covers other files")

			for name, tc := range map[string]struct {
				url  string
				at   time.Time
				ip   netip.Addr
				want error
			}{
				"other path":      {strings.Replace(canned, "/v/a.mp4", "/v/b.mp4", 1), now, client, cfsign.ErrBadSignature},
				"other query":     {strings.Replace(canned, "q=1", "q=2", 1), now, client, cfsign.ErrBadSignature},
				"longer expiry":   {strings.Replace(canned, "Expires=1795352400", "Expires=1795352401", 1), now, client, cfsign.ErrBadSignature},
				"other key id":    {strings.Replace(canned, "Key-Pair-Id="+tt.id, "Key-Pair-Id=KNOPE", 1), now, client, cfsign.ErrUnknownKey},
				"other signature": {strings.Replace(canned, "Signature=", "Signature=AA", 1), now, client, cfsign.ErrBadSignature},
				"expired":         {canned, later, client, cfsign.ErrExpired},
				"too early":       {custom, now.Add(-time.Hour), client, cfsign.ErrNotYetValid},
				"outside range":   {custom, now, netip.MustParseAddr("198.51.100.1"), cfsign.ErrSourceIP},
				"outside prefix":  {strings.Replace(custom, "/v/b.mp4", "/w/b.mp4", 1), now, client, cfsign.ErrResourceMismatch},
				"unsigned":        {"https://d1.cloudfront.net/v/a.mp4", now, client, cfsign.ErrNotSigned},
			} {
				_, err := cfsign.Verify(tc.url, pubKeys, at(tc.at), func(o *cfsign.VerifyOptions) { o.ClientIP = tc.ip })
				assert.ErrorIs(t, err, tc.want, name)
			}
			// Any change to the custom policy breaks the signature.
			i := strings.Index(custom, "Policy=") + 20
			bad := custom[:i] + string(rune(custom[i]^1)) + custom[i+1:]
			_, err = cfsign.Verify(bad, pubKeys, at(now), in)
			assert.Error(t, err)
		})
	}
}

func TestSignedCookies(t *testing.T) {
	s := newSigner(t, "KRSA", rsaKey)
	canned, err := s.SignedCookies(cfsign.Policy{Resource: "https://d1.cloudfront.net/a.pdf", DateLessThan: later})
	require.NoError(t, err)
	names := func(cs []*http.Cookie) []string {
		var n []string
		for _, c := range cs {
			n = append(n, c.Name)
			assert.True(t, c.Secure && c.HttpOnly)
			assert.Equal(t, "/", c.Path)
			assert.Equal(t, later, c.Expires)
		}
		return n
	}
	assert.Equal(t, []string{"CloudFront-Expires", "CloudFront-Signature", "CloudFront-Key-Pair-Id"}, names(canned))
	assert.Equal(t, "1795352400", canned[0].Value)
	_, err = cfsign.VerifyCookies("https://d1.cloudfront.net/a.pdf", canned, pubKeys, at(now))
	require.NoError(t, err)
	_, err = cfsign.VerifyCookies("https://d1.cloudfront.net/b.pdf", canned, pubKeys, at(now))
	assert.ErrorIs(t, err, cfsign.ErrBadSignature)

	s256 := newSigner(t, "KEC", ecKey)
	custom, err := s256.SignedCookies(cfsign.Policy{Resource: "https://d1.cloudfront.net/private/*", DateLessThan: later},
		func(o *cfsign.CookieOptions) {
			o.Domain, o.Path, o.SameSite = "d1.cloudfront.net", "/private/", http.SameSiteStrictMode
		})
	require.NoError(t, err)
	var got []string
	for _, c := range custom {
		got = append(got, c.Name)
		assert.Equal(t, "d1.cloudfront.net", c.Domain)
		assert.Equal(t, http.SameSiteStrictMode, c.SameSite)
	}
	assert.Equal(t, []string{"CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id", "CloudFront-Hash-Algorithm"}, got)
	assert.Equal(t, "SHA256", custom[3].Value)
	for _, u := range []string{"https://d1.cloudfront.net/private/1.jpg", "https://d1.cloudfront.net/private/sub/2.jpg"} {
		_, err = cfsign.VerifyCookies(u, custom, pubKeys, at(now))
		require.NoError(t, err, u)
	}
	_, err = cfsign.VerifyCookies("https://d1.cloudfront.net/public/1.jpg", custom, pubKeys, at(now))
	assert.ErrorIs(t, err, cfsign.ErrResourceMismatch)
	insecure, err := s.SignedCookies(cfsign.Policy{Resource: "https://x/a", DateLessThan: later}, func(o *cfsign.CookieOptions) { o.DisableSecure, o.DisableHTTPOnly = true, true })
	require.NoError(t, err)
	assert.False(t, insecure[0].Secure || insecure[0].HttpOnly)
}
