package cfsign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kumo-go/kumo/internal/opts"
)

// Errors of Verify and VerifyCookies, for callers that branch on them.
var (
	ErrNotSigned        = errors.New("cfsign: not signed")
	ErrUnknownKey       = errors.New("cfsign: unknown key pair ID")
	ErrBadSignature     = errors.New("cfsign: signature does not verify")
	ErrExpired          = errors.New("cfsign: expired")
	ErrNotYetValid      = errors.New("cfsign: not yet valid")
	ErrResourceMismatch = errors.New("cfsign: the policy does not cover this resource")
	ErrSourceIP         = errors.New("cfsign: the request comes from outside the policy's source range")
)

// VerifyOptions add what a request brings to verification. The zero value
// of each field is its default.
type VerifyOptions struct {
	// ClientIP, when valid, is checked against the policy's source range;
	// the zero netip.Addr skips that check.
	ClientIP netip.Addr
	// Clock is the time the policy's window is checked at; nil means
	// time.Now.
	Clock func() time.Time
}

// Verify checks a signed URL as the CloudFront edge does: the key by its
// ID, the signature over the (canned or custom) policy, the time window,
// the resource (wildcards included) and, when a client IP is given, the
// source range. keys maps key pair IDs to RSA or ECDSA public keys.
//
// The signing parameters are percent-decoded, as CloudFront reads a query,
// and then accepted only in the forms CloudFront writes: Expires in plain
// decimal (no sign, no leading zero), Policy and Signature in CloudFront's
// base64 (A-Z a-z 0-9 - ~, _ for padding), names not percent-encoded, none
// twice. Anything else is ErrNotSigned or ErrBadSignature.
func Verify(signedURL string, keys map[string]crypto.PublicKey, optFns ...func(*VerifyOptions)) (Policy, error) {
	base, params, err := splitSigned(signedURL)
	if err != nil {
		return Policy{}, err
	}
	return verify(base, params, keys, optFns)
}

// VerifyCookies checks the CloudFront cookies sent with a request for
// requestURL, as [Verify] checks a URL.
func VerifyCookies(requestURL string, cookies []*http.Cookie, keys map[string]crypto.PublicKey, optFns ...func(*VerifyOptions)) (Policy, error) {
	params := map[string]string{}
	for _, c := range cookies {
		if name, ok := strings.CutPrefix(c.Name, "CloudFront-"); ok {
			params[name] = c.Value
		}
	}
	return verify(requestURL, params, keys, optFns)
}

// splitSigned separates a signed URL into the URL that was signed and the
// signing parameters, keeping the other parameters as they were.
func splitSigned(signedURL string) (string, map[string]string, error) {
	base, query, ok := strings.Cut(signedURL, "?")
	if !ok {
		return "", nil, fmt.Errorf("%w: the URL has no query", ErrNotSigned)
	}
	params := map[string]string{}
	var kept []string
	for _, part := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(part, "=")
		name, err := url.PathUnescape(k)
		if err != nil || !slices.Contains(signingParams, name) {
			kept = append(kept, part)
			continue
		}
		// CloudFront writes the names as they are; an encoded one
		// (Expir%65s) is not a form it produces.
		if name != k {
			return "", nil, fmt.Errorf("%w: the parameter name %s is percent-encoded", ErrNotSigned, name)
		}
		// Values are percent-decoded, as CloudFront reads a query (some
		// clients encode ~ as %7E); the decoded value must then be in
		// the form CloudFront writes, checked in verify.
		value, err := url.QueryUnescape(v)
		if err != nil {
			return "", nil, fmt.Errorf("%w: %s has malformed percent-encoding", ErrNotSigned, name)
		}
		if _, dup := params[name]; dup {
			return "", nil, fmt.Errorf("%w: %s appears twice", ErrNotSigned, name)
		}
		params[name] = value
	}
	if len(kept) > 0 {
		base += "?" + strings.Join(kept, "&")
	}
	return base, params, nil
}

func verify(resource string, params map[string]string, keys map[string]crypto.PublicKey, optFns []func(*VerifyOptions)) (Policy, error) {
	var o VerifyOptions
	opts.Apply(&o, optFns)
	if o.Clock == nil {
		o.Clock = time.Now
	}
	keyID, sigText := params["Key-Pair-Id"], params["Signature"]
	if keyID == "" || sigText == "" {
		return Policy{}, fmt.Errorf("%w: Key-Pair-Id or Signature is missing", ErrNotSigned)
	}
	pub, ok := keys[keyID]
	if !ok {
		return Policy{}, fmt.Errorf("%w %q; the keys given are %s", ErrUnknownKey, keyID, keyList(keys))
	}
	hash := SHA1
	switch params["Hash-Algorithm"] {
	case "", "SHA1":
	case "SHA256":
		hash = SHA256
	default:
		return Policy{}, fmt.Errorf("%w: Hash-Algorithm %q; CloudFront takes SHA1 or SHA256", ErrNotSigned, params["Hash-Algorithm"])
	}

	var p Policy
	var doc []byte
	expires, hasExpires := params["Expires"]
	policyText, hasPolicy := params["Policy"]
	switch {
	case hasExpires == hasPolicy:
		return Policy{}, fmt.Errorf("%w: want exactly one of Expires and Policy", ErrNotSigned)
	case hasExpires:
		n, ok := parseEpoch(expires)
		if !ok {
			return Policy{}, fmt.Errorf("%w: Expires is not Unix seconds as CloudFront writes them (decimal digits, no sign, no leading zero)", ErrNotSigned)
		}
		p = Policy{Resource: resource, DateLessThan: time.Unix(n, 0).UTC()}
		doc = p.render()
	default:
		var err error
		if doc, err = cfUnbase64(policyText); err != nil {
			return Policy{}, fmt.Errorf("%w: Policy is not CloudFront base64", ErrNotSigned)
		}
		if p, err = ParsePolicy(doc); err != nil {
			return Policy{}, err
		}
	}
	sig, err := cfUnbase64(sigText)
	if err != nil {
		return Policy{}, fmt.Errorf("%w: Signature is not CloudFront base64", ErrBadSignature)
	}
	digest, h := digestOf(hash, doc)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		err = rsa.VerifyPKCS1v15(k, h, digest, sig)
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, digest, sig) {
			err = errors.New("ecdsa")
		}
	default:
		return Policy{}, fmt.Errorf("%w: key %q is a %T; want an *rsa.PublicKey or *ecdsa.PublicKey", ErrUnsupportedKey, keyID, pub)
	}
	if err != nil {
		return Policy{}, ErrBadSignature
	}
	now := o.Clock()
	if !now.Before(p.DateLessThan) {
		return p, fmt.Errorf("%w at %s", ErrExpired, p.DateLessThan.UTC().Format(time.RFC3339))
	}
	if !p.DateGreaterThan.IsZero() && now.Before(p.DateGreaterThan) {
		return p, fmt.Errorf("%w until %s", ErrNotYetValid, p.DateGreaterThan.UTC().Format(time.RFC3339))
	}
	if !matchResource(p.Resource, resource) {
		return p, fmt.Errorf("%w: %q is not %q", ErrResourceMismatch, resource, p.Resource)
	}
	if p.SourceIP != "" && o.ClientIP.IsValid() {
		pfx, err := sourcePrefix(p.SourceIP)
		if err != nil {
			return p, err
		}
		if !pfx.Contains(o.ClientIP.Unmap()) {
			return p, fmt.Errorf("%w: %s is not in %s", ErrSourceIP, o.ClientIP, pfx)
		}
	}
	return p, nil
}

// keyList names the key pair IDs of keys, sorted, at most ten of them.
func keyList(keys map[string]crypto.PublicKey) string {
	if len(keys) == 0 {
		return "none"
	}
	ids := make([]string, 0, len(keys))
	for id := range keys {
		ids = append(ids, strconv.Quote(id))
	}
	slices.Sort(ids)
	if len(ids) > 10 {
		return strings.Join(ids[:10], ", ") + fmt.Sprintf(" and %d more", len(ids)-10)
	}
	return strings.Join(ids, ", ")
}

// parseEpoch reads Unix seconds in the one form CloudFront writes: decimal
// digits without sign, spaces or leading zeros.
func parseEpoch(s string) (int64, bool) {
	if s == "" || len(s) > 19 || len(s) > 1 && s[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
