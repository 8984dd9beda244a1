package cfsign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kumo-go/kumo/internal/opts"
	"github.com/kumo-go/kumo/internal/redact"
)

// Hash is the hash a signature is made over.
type Hash int

const (
	// HashDefault is SHA-1 for RSA keys (what every CloudFront client
	// understands) and SHA-256 for ECDSA keys.
	HashDefault Hash = iota
	// SHA1 signs over SHA-1, CloudFront's original scheme.
	SHA1
	// SHA256 signs over SHA-256 and adds Hash-Algorithm=SHA256 to URLs
	// (CloudFront-Hash-Algorithm to cookies).
	SHA256
)

// String returns the constant's name, and Hash(N) for any other value.
func (h Hash) String() string {
	switch h {
	case HashDefault:
		return "HashDefault"
	case SHA1:
		return "SHA1"
	case SHA256:
		return "SHA256"
	}
	return fmt.Sprintf("Hash(%d)", int(h))
}

// Options configure a [Signer]. The zero value of each field is its
// default. Here and in every cfsign function that takes option funcs, a
// nil option func is skipped.
type Options struct {
	// Hash is the signature hash: HashDefault (the zero value: SHA-1 for
	// RSA keys, SHA-256 for ECDSA keys), SHA1 or SHA256.
	Hash Hash
	// Clock is the time source for expiry checks; nil means time.Now.
	Clock func() time.Time
	// Rand is the randomness of ECDSA and RSA signing; nil means
	// crypto/rand.Reader.
	Rand io.Reader
}

// Signer signs URLs and cookies with one key of a CloudFront key group. It
// is safe for concurrent use.
type Signer struct {
	keyPairID string
	key       redact.Hidden[crypto.Signer] // out of fmt's reach, whatever prints the Signer
	hash      Hash
	clock     func() time.Time
	rand      io.Reader
}

// New returns a signer for the key whose public half CloudFront knows
// by keyPairID (the public key ID in a key group, such as K2JCJMDEHXQW5F).
// Invalid options are refused here, with what is allowed.
func New(keyPairID string, key crypto.Signer, optFns ...func(*Options)) (*Signer, error) {
	if keyPairID == "" || strings.ContainsAny(keyPairID, "&=?#; \t\r\n") {
		return nil, fmt.Errorf("cfsign: key pair ID %q must be non-empty and free of URL and cookie delimiters", keyPairID)
	}
	if key == nil {
		return nil, errors.New("cfsign: New needs a private key")
	}
	if _, err := checkKey(key); err != nil {
		return nil, err
	}
	var o Options
	opts.Apply(&o, optFns)
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Hash == HashDefault {
		o.Hash = SHA1
		if _, ok := key.(*ecdsa.PrivateKey); ok {
			o.Hash = SHA256
		}
	}
	if o.Hash != SHA1 && o.Hash != SHA256 {
		return nil, fmt.Errorf("cfsign: unknown Options.Hash %d; want HashDefault, SHA1 or SHA256", int(o.Hash))
	}
	return &Signer{keyPairID: keyPairID, key: redact.Hide(key), hash: o.Hash, clock: o.Clock, rand: o.Rand}, nil
}

// signingParams are the query parameters CloudFront reads, which a URL to
// be signed must not already carry.
var signingParams = []string{"Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm"}

// checkURL validates a URL to sign.
func checkURL(rawURL string) error {
	if err := checkURLChars(rawURL, "the URL"); err != nil {
		return err
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("cfsign: the URL does not parse: %v", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("cfsign: %q is not an absolute http(s) URL", rawURL)
	}
	if u.Fragment != "" || strings.Contains(rawURL, "#") {
		return fmt.Errorf("cfsign: %q has a fragment, which browsers never send", rawURL)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return fmt.Errorf("cfsign: the URL's query does not parse: %v", err)
	}
	for _, p := range signingParams {
		if q.Has(p) {
			return fmt.Errorf("cfsign: the URL already has a %s parameter, which CloudFront reserves for signing", p)
		}
	}
	return nil
}

func (s *Signer) checkExpiry(p Policy) error {
	now := s.clock()
	if !p.DateLessThan.After(now) {
		return fmt.Errorf("cfsign: the expiry %s is not in the future (now %s)", p.DateLessThan.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// SignURL signs rawURL with a canned policy: the exact URL, query included,
// until expires. A URL with a wildcard needs a custom policy
// ([Signer.SignURLWithPolicy]).
func (s *Signer) SignURL(rawURL string, expires time.Time) (string, error) {
	if err := checkURL(rawURL); err != nil {
		return "", err
	}
	if strings.Contains(rawURL, "*") {
		return "", errors.New("cfsign: a canned policy cannot contain the wildcard *; sign a Policy with SignURLWithPolicy")
	}
	p := Policy{Resource: rawURL, DateLessThan: expires}
	if err := s.checkExpiry(p); err != nil {
		return "", err
	}
	sig, err := s.sign(p.render())
	if err != nil {
		return "", err
	}
	return s.buildURL(rawURL, "Expires="+strconv.FormatInt(expires.Unix(), 10), sig), nil
}

// SignURLWithPolicy signs rawURL with a custom policy. An empty
// p.Resource means rawURL; otherwise rawURL must match it.
func (s *Signer) SignURLWithPolicy(rawURL string, p Policy) (string, error) {
	if err := checkURL(rawURL); err != nil {
		return "", err
	}
	if p.Resource == "" {
		p.Resource = rawURL
	}
	doc, err := p.JSON()
	if err != nil {
		return "", err
	}
	if !matchResource(p.Resource, rawURL) {
		return "", fmt.Errorf("cfsign: the URL does not match the policy's resource %q, so CloudFront would refuse it", p.Resource)
	}
	if err := s.checkExpiry(p); err != nil {
		return "", err
	}
	sig, err := s.sign(doc)
	if err != nil {
		return "", err
	}
	return s.buildURL(rawURL, "Policy="+cfBase64(doc), sig), nil
}

func (s *Signer) buildURL(rawURL, first, sig string) string {
	sep := "?"
	if strings.Contains(rawURL, "?") {
		sep = "&"
	}
	out := rawURL + sep + first + "&Signature=" + sig + "&Key-Pair-Id=" + s.keyPairID
	if s.hash == SHA256 {
		out += "&Hash-Algorithm=SHA256"
	}
	return out
}

// sign returns the CloudFront-base64 signature of a policy document.
func (s *Signer) sign(doc []byte) (string, error) {
	digest, h := digestOf(s.hash, doc)
	var sig []byte
	var err error
	key := s.key.Value()
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		sig, err = ecdsa.SignASN1(s.rand, k, digest)
	default:
		sig, err = key.Sign(s.rand, digest, h)
	}
	if err != nil {
		return "", fmt.Errorf("cfsign: signing: %w", err)
	}
	return cfBase64(sig), nil
}

func digestOf(h Hash, doc []byte) ([]byte, crypto.Hash) {
	if h == SHA256 {
		d := sha256.Sum256(doc)
		return d[:], crypto.SHA256
	}
	d := sha1.Sum(doc)
	return d[:], crypto.SHA1
}

// cfBase64 is base64 with CloudFront's URL-safe substitutions: + to -,
// = to _, / to ~.
func cfBase64(b []byte) string {
	return strings.NewReplacer("+", "-", "=", "_", "/", "~").Replace(base64.StdEncoding.EncodeToString(b))
}

// cfUnbase64 reads only what cfBase64 writes: CloudFront's alphabet
// (A-Z a-z 0-9 - ~, _ for padding), no line breaks, canonical padding bits.
// Standard base64 (+ / =) is not a form CloudFront produces.
func cfUnbase64(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '~' || c == '_') {
			return nil, errors.New("cfsign: not CloudFront base64")
		}
	}
	return base64.StdEncoding.Strict().DecodeString(strings.NewReplacer("-", "+", "_", "=", "~", "/").Replace(s))
}

// CookieOptions shape the cookies [Signer.SignedCookies] returns. The zero
// value of each field is its default.
type CookieOptions struct {
	// Domain and Path scope the cookies; empty Domain leaves the attribute
	// out (the cookies go to the host that set them), empty Path means "/".
	// A Path starts with / and has no ; or control characters.
	Domain string
	Path   string
	// DisableSecure and DisableHTTPOnly drop the Secure and HttpOnly
	// attributes, which are on by default.
	DisableSecure   bool
	DisableHTTPOnly bool
	// SameSite sets the SameSite attribute: zero leaves it out; otherwise
	// http.SameSiteDefaultMode, SameSiteLaxMode, SameSiteStrictMode or
	// SameSiteNoneMode (which browsers accept only with Secure).
	SameSite http.SameSite
}

// SignedCookies returns the cookies that grant what p allows: a canned
// policy (CloudFront-Expires) when p can be canned, a custom one
// (CloudFront-Policy) otherwise, with CloudFront-Signature and
// CloudFront-Key-Pair-Id, and CloudFront-Hash-Algorithm for SHA-256. The
// cookies expire with the policy.
func (s *Signer) SignedCookies(p Policy, optFns ...func(*CookieOptions)) ([]*http.Cookie, error) {
	var o CookieOptions
	opts.Apply(&o, optFns)
	if o.Path == "" {
		o.Path = "/"
	}
	if o.SameSite < 0 || o.SameSite > http.SameSiteNoneMode {
		return nil, fmt.Errorf("cfsign: unknown CookieOptions.SameSite %d; want 0 (none set), http.SameSiteDefaultMode, SameSiteLaxMode, SameSiteStrictMode or SameSiteNoneMode", int(o.SameSite))
	}
	if o.SameSite == http.SameSiteNoneMode && o.DisableSecure {
		return nil, errors.New("cfsign: CookieOptions.SameSite None needs Secure, which browsers require for it; leave DisableSecure off or pick another SameSite")
	}
	// net/http would drop an invalid Domain or Path from Set-Cookie without
	// a word; refuse it instead.
	if err := (&http.Cookie{Name: "CloudFront-Signature", Value: "x", Domain: o.Domain, Path: o.Path}).Valid(); err != nil {
		return nil, fmt.Errorf("cfsign: CookieOptions: %v; Domain is a host name such as example.com, Path starts with / and has no ; or control characters", err)
	}
	// Browsers replace a Path that does not start with / by the page's own
	// folder (RFC 6265, 5.2.4), so the cookies would go elsewhere.
	if !strings.HasPrefix(o.Path, "/") {
		return nil, fmt.Errorf("cfsign: CookieOptions.Path %q does not start with /, so browsers would ignore it; Domain is a host name such as example.com, Path starts with / and has no ; or control characters", o.Path)
	}
	doc, err := p.JSON()
	if err != nil {
		return nil, err
	}
	if err := s.checkExpiry(p); err != nil {
		return nil, err
	}
	sig, err := s.sign(doc)
	if err != nil {
		return nil, err
	}
	var pairs [][2]string
	if p.Canned() {
		pairs = append(pairs, [2]string{"CloudFront-Expires", strconv.FormatInt(p.DateLessThan.Unix(), 10)})
	} else {
		pairs = append(pairs, [2]string{"CloudFront-Policy", cfBase64(doc)})
	}
	pairs = append(pairs, [2]string{"CloudFront-Signature", sig}, [2]string{"CloudFront-Key-Pair-Id", s.keyPairID})
	if s.hash == SHA256 {
		pairs = append(pairs, [2]string{"CloudFront-Hash-Algorithm", "SHA256"})
	}
	cookies := make([]*http.Cookie, 0, len(pairs))
	for _, kv := range pairs {
		cookies = append(cookies, &http.Cookie{
			Name: kv[0], Value: kv[1], Domain: o.Domain, Path: o.Path, Expires: p.DateLessThan.UTC(),
			Secure: !o.DisableSecure, HttpOnly: !o.DisableHTTPOnly, SameSite: o.SameSite,
		})
	}
	return cookies, nil
}
