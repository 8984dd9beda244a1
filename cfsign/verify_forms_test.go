package cfsign_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cfsign"
)

// param returns the value of a query parameter of a signed URL, as written.
func param(t *testing.T, signed, name string) string {
	t.Helper()
	_, q, _ := strings.Cut(signed, "?")
	for _, part := range strings.Split(q, "&") {
		if k, v, _ := strings.Cut(part, "="); k == name {
			return v
		}
	}
	t.Fatalf("%s has no %s", signed, name)
	return ""
}

// pctAll percent-encodes every byte of s, as an over-eager client might.
func pctAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// Verify accepts the parameters in the forms CloudFront writes (and their
// percent-encoded equivalents, which CloudFront decodes), and refuses
// every other spelling of them.
func TestVerifyParameterForms(t *testing.T) {
	s := newSigner(t, "KRSA", rsaKey)
	canned, err := s.SignURL("https://d1.cloudfront.net/v/a.mp4?q=1", later)
	require.NoError(t, err)
	exp, sig := param(t, canned, "Expires"), param(t, canned, "Signature")
	require.Equal(t, fmt.Sprint(later.Unix()), exp)

	// A custom policy whose CloudFront base64 has padding, so its
	// standard-base64 spelling differs from it.
	var custom, pol string
	for n := 0; ; n++ {
		custom, err = s.SignURLWithPolicy("https://d1.cloudfront.net/v/b.mp4", cfsign.Policy{
			Resource: "https://d1.cloudfront.net/v/" + strings.Repeat("x", n) + "*", DateLessThan: later})
		require.NoError(t, err)
		if pol = param(t, custom, "Policy"); strings.HasSuffix(pol, "_") {
			break
		}
	}
	doc, err := base64.StdEncoding.DecodeString(strings.NewReplacer("-", "+", "_", "=", "~", "/").Replace(pol))
	require.NoError(t, err)
	stdPolicy := base64.StdEncoding.EncodeToString(doc)
	require.NotEqual(t, pol, stdPolicy)

	rep := func(u, old, new string) string {
		require.Contains(t, u, old)
		return strings.Replace(u, old, new, 1)
	}
	for _, tt := range []struct {
		name string
		url  string
		want error // nil: accepted
	}{
		{"canned as signed", canned, nil},
		{"custom as signed", custom, nil},
		{"key pair ID percent-encoded", rep(canned, "Key-Pair-Id=KRSA", "Key-Pair-Id="+pctAll("KRSA")), nil},
		{"signature percent-encoded", rep(canned, "Signature="+sig, "Signature="+pctAll(sig)), nil},
		{"expires percent-encoded", rep(canned, "Expires="+exp, "Expires="+pctAll(exp)), nil},
		{"policy percent-encoded", rep(custom, "Policy="+pol, "Policy="+pctAll(pol)), nil},

		{"expires with a leading zero", rep(canned, "Expires="+exp, "Expires=0"+exp), cfsign.ErrNotSigned},
		{"expires with a plus sign", rep(canned, "Expires="+exp, "Expires=+"+exp), cfsign.ErrNotSigned},
		{"expires with an encoded plus sign", rep(canned, "Expires="+exp, "Expires=%2B"+exp), cfsign.ErrNotSigned},
		{"expires with a space", rep(canned, "Expires="+exp, "Expires=%20"+exp), cfsign.ErrNotSigned},
		{"expires with a fraction", rep(canned, "Expires="+exp, "Expires="+exp+".0"), cfsign.ErrNotSigned},
		{"expires negative", rep(canned, "Expires="+exp, "Expires=-"+exp), cfsign.ErrNotSigned},
		{"expires past int64", rep(canned, "Expires="+exp, "Expires=99999999999999999999"), cfsign.ErrNotSigned},
		{"expires empty", rep(canned, "Expires="+exp, "Expires="), cfsign.ErrNotSigned},
		{"expires name percent-encoded", rep(canned, "Expires=", "Expir%65s="), cfsign.ErrNotSigned},
		{"malformed percent-encoding", rep(canned, "Signature="+sig, "Signature=%G1"+sig), cfsign.ErrNotSigned},
		{"signature twice, once encoded", canned + "&Signature=" + pctAll(sig), cfsign.ErrNotSigned},
		{"hash algorithm in lower case", canned + "&Hash-Algorithm=sha1", cfsign.ErrNotSigned},
		{"signature in standard base64", rep(canned, "Signature="+sig, "Signature="+strings.NewReplacer("-", "+", "_", "=", "~", "/").Replace(sig)), cfsign.ErrBadSignature},
		{"signature with a line break", rep(canned, "Signature="+sig, "Signature="+sig[:64]+"%0A"+sig[64:]), cfsign.ErrBadSignature},
		{"policy in standard base64", rep(custom, "Policy="+pol, "Policy="+url_(stdPolicy)), cfsign.ErrNotSigned},
		{"policy with a line break", rep(custom, "Policy="+pol, "Policy="+pol[:16]+"%0D%0A"+pol[16:]), cfsign.ErrNotSigned},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cfsign.Verify(tt.url, pubKeys, at(now))
			if tt.want == nil {
				require.NoError(t, err, tt.url)
				return
			}
			require.ErrorIs(t, err, tt.want, tt.url)
		})
	}
}

// url_ percent-encodes the characters of standard base64 that a query
// would otherwise misread (+ as a space), so only the alphabet differs.
func url_(s string) string {
	return strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(s)
}
