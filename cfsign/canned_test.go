package cfsign_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cfsign"
)

// A policy is canned exactly when the AWS CLI would sign it canned: an
// expiry only (and no * wildcard, which kumo never signs canned). The ? of
// a query string is not a wildcard there.
func TestPolicyCanned(t *testing.T) {
	for _, tt := range []struct {
		p    cfsign.Policy
		want bool
	}{
		{cfsign.Policy{Resource: "https://d1.cloudfront.net/a.js", DateLessThan: later}, true},
		{cfsign.Policy{Resource: "https://d1.cloudfront.net/q.js?v=339&x=y", DateLessThan: later}, true},
		{cfsign.Policy{Resource: "https://d1.cloudfront.net/q.js?v=3?4", DateLessThan: later}, true},
		{cfsign.Policy{Resource: "https://d1.cloudfront.net/q.js?", DateLessThan: later}, true},
		{cfsign.Policy{Resource: "https://d1.cloudfront.net/v/*", DateLessThan: later}, false},
		{cfsign.Policy{Resource: "https://d1.cloudfront.net/q.js?v=*", DateLessThan: later}, false},
		{cfsign.Policy{Resource: "https://d1.cloudfront.net/q.js?v=1", DateLessThan: later, SourceIP: "192.0.2.1"}, false},
		{cfsign.Policy{Resource: "https://d1.cloudfront.net/q.js?v=1", DateLessThan: later, DateGreaterThan: now}, false},
	} {
		require.Equal(t, tt.want, tt.p.Canned(), "%+v", tt.p)
	}

	// Cookies for a resource with a query are canned too, and verify.
	s := newSigner(t, "KRSA", rsaKey)
	const u = "https://d1.cloudfront.net/q.js?v=339&x=y"
	cookies, err := s.SignedCookies(cfsign.Policy{Resource: u, DateLessThan: later})
	require.NoError(t, err)
	require.Equal(t, "CloudFront-Expires", cookies[0].Name)
	_, err = cfsign.VerifyCookies(u, cookies, pubKeys, at(now))
	require.NoError(t, err)
	_, err = cfsign.VerifyCookies(u+"&z=1", cookies, pubKeys, at(now))
	require.ErrorIs(t, err, cfsign.ErrBadSignature)
}
