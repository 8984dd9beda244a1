package cognitoauth_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/cognitoauth/cognitotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNewVerifierJWKSURL: a JWKS URL that cannot be fetched safely is
// refused at construction, not at the first Verify.
func TestNewVerifierJWKSURL(t *testing.T) {
	cases := []struct {
		url string
		ok  bool
	}{
		{"https://keys.example.com/jwks.json", true},
		{"https://keys.example.com:8443/a/b?x=1", true},
		{"http://127.0.0.1:8080/jwks.json", true},
		{"http://127.9.9.9/jwks.json", true},
		{"http://[::1]:1/jwks.json", true},
		{"http://localhost:1/jwks.json", true},
		{"ftp://x", false},
		{"file:///etc/passwd", false},
		{"http://keys.example.com/jwks.json", false},
		{"http://10.0.0.1/jwks.json", false},
		{"http://localhost.evil.example/jwks.json", false},
		{"https://user:pass@keys.example.com/jwks.json", false},
		{"https://user@keys.example.com/jwks.json", false},
		{"https://keys.example.com/jwks.json#frag", false},
		{"https://keys.example.com/jwks.json#", false},
		{"https:///jwks.json", false},
		{"https:keys.example.com", false},
		{"//keys.example.com/jwks.json", false},
		{"keys.example.com/jwks.json", false},
		{"https://keys.example.com/\x00", false},
		{" https://keys.example.com/", false},
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			_, err := cognitoauth.NewVerifier(testRegion, testPool, func(o *cognitoauth.VerifierOptions) {
				o.ClientIDs, o.JWKSURL = []string{testClient}, tc.url
			})
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "cognitoauth: JWKSURL"), err.Error())
			assert.Contains(t, err.Error(), "https, or http to a loopback host")
			assert.NotContains(t, err.Error(), "user:pass", "no user info is quoted")
		})
	}
}

// TestNewVerifierPartitions: the issuer is built only where its form is
// documented; pools of other partitions are refused with the ones
// supported, and New takes the same pool IDs the Verifier's pattern does.
func TestNewVerifierPartitions(t *testing.T) {
	cases := []struct {
		region, issuer string
	}{
		{"us-east-1", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC1"},
		{"ap-southeast-5", "https://cognito-idp.ap-southeast-5.amazonaws.com/ap-southeast-5_AbC1"},
		{"us-gov-west-1", "https://cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_AbC1"},
		{"cn-north-1", ""},
		{"cn-northwest-1", ""},
		{"eusc-de-east-1", ""},
		{"us-iso-east-1", ""},
		{"us-isob-east-1", ""},
	}
	for _, tc := range cases {
		t.Run(tc.region, func(t *testing.T) {
			pool := tc.region + "_AbC1"
			_, err := cognitoauth.New(cognitotest.New(), nil, pool, testClient)
			require.NoError(t, err, "New takes every partition's pools")
			v, err := cognitoauth.NewVerifier(tc.region, pool, func(o *cognitoauth.VerifierOptions) { o.ClientIDs = []string{testClient} })
			if tc.issuer != "" {
				require.NoError(t, err)
				assert.Equal(t, tc.issuer, v.Issuer())
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "supported: the aws and aws-us-gov partitions")
			assert.Contains(t, err.Error(), tc.region)
		})
	}
	_, err := cognitoauth.New(cognitotest.New(), nil, "EU-WEST-1_AbC1", testClient)
	require.Error(t, err)
	_, err = cognitoauth.NewVerifier("EU-WEST-1", "EU-WEST-1_AbC1", func(o *cognitoauth.VerifierOptions) { o.ClientIDs = []string{testClient} })
	require.Error(t, err)
	require.False(t, errors.Is(err, cognitoauth.ErrMalformedToken))
}
