package cognitoauth

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Bounds of the JWKS cache.
const (
	maxJWKSBytes    = 64 << 10       // a Cognito JWKS is about 1 KiB
	maxJWKSKeys     = 100            // keys read from one JWKS
	defaultJWKSAge  = time.Hour      // when the response says nothing
	maxJWKSAge      = 24 * time.Hour // however long the response says
	minRSABits      = 2048
	maxRSABits      = 8192
	maxRSAExponent  = 1<<31 - 1
	jwksContentHint = "a JSON object with a keys list"
)

// jwk is a key in the JWKS as Cognito publishes it.
type jwk struct {
	Kty string `json:"kty"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// jwksKey is a cached key: an RS256 public key, or the alg of a key that
// is published but not usable for RS256 (key nil).
type jwksKey struct {
	key *rsa.PublicKey
	alg string
}

// jwks is the cache of one pool's keys.
type jwks struct {
	url         string
	client      *http.Client
	clock       func() time.Time
	minInterval time.Duration

	mu                 sync.Mutex
	keys               map[string]jwksKey
	stale              time.Time     // when the cached keys should be fetched again
	lastAttempt        time.Time     // the last fetch not ended by its caller's context
	lastErr            error         // its error
	etag, lastModified string        // validators for a conditional fetch
	fetching           chan struct{} // closed when the fetch under way ends
}

func newJWKS(url string, client *http.Client, clock func() time.Time, minInterval time.Duration) *jwks {
	return &jwks{url: url, client: client, clock: clock, minInterval: minInterval}
}

// key returns the RS256 key kid names, fetching the JWKS when the key is
// unknown or the cache stale, at most once per minInterval, one fetch at a
// time.
func (j *jwks) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	for {
		j.mu.Lock()
		k, known := j.keys[kid]
		now := j.clock()
		// A clock set back (NTP, a test) must not hold fetches off for as
		// long as it jumped.
		mayFetch := j.lastAttempt.IsZero() || now.Before(j.lastAttempt) || !now.Before(j.lastAttempt.Add(j.minInterval))
		// A known key serves while the cache is fresh, while fetches are
		// rate-limited, and while another caller's fetch is under way (no
		// caller with a known key waits on a slow endpoint).
		if known && (now.Before(j.stale) || !mayFetch || j.fetching != nil) {
			j.mu.Unlock()
			return k.usable()
		}
		if !mayFetch {
			lastErr := j.lastErr
			j.mu.Unlock()
			if lastErr != nil {
				return nil, lastErr
			}
			return nil, ErrUnknownKey
		}
		if ch := j.fetching; ch != nil {
			j.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, fmt.Errorf("%w: waiting for a fetch: %w", ErrJWKSUnavailable, ctx.Err())
			}
		}
		ch := make(chan struct{})
		j.fetching = ch
		etag, lastModified := j.etag, j.lastModified
		if j.keys == nil {
			etag, lastModified = "", ""
		}
		j.mu.Unlock()

		res, err := j.fetch(ctx, etag, lastModified)

		j.mu.Lock()
		j.fetching = nil
		close(ch)
		if err == nil || ctx.Err() == nil {
			// A fetch ended by the caller's context says nothing about the
			// endpoint: it neither counts against the rate limit nor sticks.
			j.lastAttempt, j.lastErr = now, err
		}
		if err == nil {
			if !res.notModified {
				j.keys, j.etag, j.lastModified = res.keys, res.etag, res.lastModified
			}
			j.stale = now.Add(res.maxAge)
		}
		k, known = j.keys[kid]
		j.mu.Unlock()
		switch {
		case known:
			return k.usable() // a stale key serves when the fetch failed
		case err != nil:
			return nil, err
		default:
			return nil, ErrUnknownKey
		}
	}
}

func (k jwksKey) usable() (*rsa.PublicKey, error) {
	if k.key == nil {
		return nil, ErrUnsupportedAlgorithm
	}
	return k.key, nil
}

type fetched struct {
	keys               map[string]jwksKey
	maxAge             time.Duration
	notModified        bool
	etag, lastModified string
}

// fetch gets and parses the JWKS.
func (j *jwks) fetch(ctx context.Context, etag, lastModified string) (fetched, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return fetched{}, fmt.Errorf("%w: %w", ErrJWKSUnavailable, err)
	}
	req.Header.Set("Accept", "application/json")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		req.Header.Set("If-Modified-Since", lastModified)
	}
	resp, err := j.client.Do(req)
	if err != nil {
		return fetched{}, fmt.Errorf("%w: %w", ErrJWKSUnavailable, err)
	}
	defer resp.Body.Close()
	out := fetched{maxAge: cacheAge(resp.Header, j.clock()), etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified")}
	switch {
	case resp.StatusCode == http.StatusNotModified && (etag != "" || lastModified != ""):
		out.notModified = true
		return out, nil
	case resp.StatusCode != http.StatusOK:
		return fetched{}, fmt.Errorf("%w: GET %s answered %s", ErrJWKSUnavailable, j.url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return fetched{}, fmt.Errorf("%w: reading %s: %w", ErrJWKSUnavailable, j.url, err)
	}
	if len(body) > maxJWKSBytes {
		return fetched{}, fmt.Errorf("%w: %s is over %d bytes", ErrJWKSUnavailable, j.url, maxJWKSBytes)
	}
	out.keys, err = parseJWKS(body)
	if err != nil {
		return fetched{}, fmt.Errorf("%w: %s: %w", ErrJWKSUnavailable, j.url, err)
	}
	return out, nil
}

// cacheAge reads how long a response may be cached: Cache-Control
// max-age (less Age), else Expires, else defaultJWKSAge; no-store and
// no-cache mean 0. The Verifier fetches no more often than
// MinRefetchInterval whatever this says.
func cacheAge(h http.Header, now time.Time) time.Duration {
	age := time.Duration(-1)
	for _, d := range strings.Split(strings.Join(h.Values("Cache-Control"), ","), ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch strings.ToLower(name) {
		case "no-store", "no-cache":
			return 0
		case "max-age":
			if n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64); err == nil && n >= 0 {
				age = time.Duration(min(n, int64(maxJWKSAge/time.Second))) * time.Second
			}
		}
	}
	if age >= 0 {
		if n, err := strconv.ParseInt(h.Get("Age"), 10, 64); err == nil && n > 0 {
			age -= time.Duration(min(n, int64(maxJWKSAge/time.Second))) * time.Second
		}
		return max(age, 0)
	}
	if e := h.Get("Expires"); e != "" {
		t, err := http.ParseTime(e)
		if err != nil {
			return 0 // RFC 9111: an invalid Expires means already expired
		}
		return min(max(t.Sub(now), 0), maxJWKSAge)
	}
	return defaultJWKSAge
}

// parseJWKS reads a JWKS: RSA keys of 2048 to 8192 bits with an odd
// exponent that state alg RS256 (and use sig, if they state a use) become
// usable keys. Other keys, and a kid that appears twice, are remembered as
// unusable, so that a token naming one is refused as
// ErrUnsupportedAlgorithm while the other keys keep working.
func parseJWKS(body []byte) (map[string]jwksKey, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.Keys == nil {
		return nil, errors.New("not " + jwksContentHint)
	}
	if len(doc.Keys) > maxJWKSKeys {
		return nil, fmt.Errorf("%d keys, over %d", len(doc.Keys), maxJWKSKeys)
	}
	keys := make(map[string]jwksKey, len(doc.Keys))
	for i, raw := range doc.Keys {
		var k jwk
		if err := json.Unmarshal(raw, &k); err != nil {
			return nil, fmt.Errorf("key %d is not a JWK", i)
		}
		if k.Kid == "" {
			continue // no token can name it
		}
		if _, dup := keys[k.Kid]; dup {
			keys[k.Kid] = jwksKey{alg: "ambiguous"}
			continue
		}
		entry := jwksKey{alg: k.Alg}
		if k.Kty == "RSA" && k.Alg == "RS256" && (k.Use == "" || k.Use == "sig") {
			entry.key, _ = rsaKey(k.N, k.E) // nil when unusable
		}
		keys[k.Kid] = entry
	}
	return keys, nil
}

func rsaKey(n64, e64 string) (*rsa.PublicKey, error) {
	nb, err := base64.RawURLEncoding.Strict().DecodeString(n64)
	if err != nil {
		return nil, errors.New("n is not base64url")
	}
	eb, err := base64.RawURLEncoding.Strict().DecodeString(e64)
	if err != nil || len(eb) == 0 || len(eb) > 4 {
		return nil, errors.New("e is not a base64url exponent of 1 to 4 bytes")
	}
	n := new(big.Int).SetBytes(nb)
	if n.BitLen() < minRSABits || n.BitLen() > maxRSABits {
		return nil, fmt.Errorf("a %d-bit modulus: allowed %d to %d bits", n.BitLen(), minRSABits, maxRSABits)
	}
	var e uint64
	for _, b := range eb {
		e = e<<8 | uint64(b)
	}
	if e < 3 || e%2 == 0 || e > maxRSAExponent {
		return nil, fmt.Errorf("exponent %d: want an odd number from 3 to 2^31-1", e)
	}
	return &rsa.PublicKey{N: n, E: int(e)}, nil
}
