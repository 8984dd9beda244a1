package cognitoauth_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

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

// TestVerifierIssuerType: a pool with the updated issuer configuration
// (https://issuer-cognito-idp.<region>.amazonaws.com/<pool>, as
// DescribeUserPool's IssuerConfiguration documents it) is verified with
// IssuerType UPDATED; each Verifier refuses the other form, naming the
// option, and every other issuer without that hint.
func TestVerifierIssuerType(t *testing.T) {
	const updatedIss = "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123def"
	k := testKeys()[0]
	srv := newJWKSServer(t, jwkOf("k1", k))
	hdr := map[string]any{"kid": "k1", "alg": "RS256"}
	cases := []struct {
		name     string
		typ      ciptypes.IssuerType
		iss      string
		want     error
		wantHint bool
	}{
		{"default takes the original issuer", "", testIss, nil, false},
		{"default refuses the updated issuer", "", updatedIss, cognitoauth.ErrWrongIssuer, true},
		{"ORIGINAL takes the original issuer", ciptypes.IssuerTypeOriginal, testIss, nil, false},
		{"ORIGINAL refuses the updated issuer", ciptypes.IssuerTypeOriginal, updatedIss, cognitoauth.ErrWrongIssuer, true},
		{"UPDATED takes the updated issuer", ciptypes.IssuerTypeUpdated, updatedIss, nil, false},
		{"UPDATED refuses the original issuer", ciptypes.IssuerTypeUpdated, testIss, cognitoauth.ErrWrongIssuer, true},
		{"UPDATED refuses another pool's updated issuer", ciptypes.IssuerTypeUpdated, "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other1", cognitoauth.ErrWrongIssuer, false},
		{"UPDATED refuses another region's updated issuer", ciptypes.IssuerTypeUpdated, "https://issuer-cognito-idp.us-east-1.amazonaws.com/eu-west-1_AbC123def", cognitoauth.ErrWrongIssuer, false},
		{"UPDATED refuses the issuer over http", ciptypes.IssuerTypeUpdated, "http://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123def", cognitoauth.ErrWrongIssuer, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, srv.URL, &clock{now: testNow}, func(o *cognitoauth.VerifierOptions) { o.IssuerType = tc.typ })
			wantIss := testIss
			if tc.typ == ciptypes.IssuerTypeUpdated {
				wantIss = updatedIss
			}
			assert.Equal(t, wantIss, v.Issuer())
			tok := mint(t, hdr, with(accessClaims(testNow), "iss", tc.iss), rs256(k))
			c, err := v.Verify(testCtx(t), tok)
			if tc.want == nil {
				require.NoError(t, err)
				assert.Equal(t, tc.iss, c.Issuer)
				return
			}
			require.ErrorIs(t, err, tc.want)
			assert.Equal(t, tc.wantHint, strings.Contains(err.Error(), "set VerifierOptions.IssuerType"), err.Error())
			assertNoToken(t, err, tok)
		})
	}

	t.Run("an IssuerType Cognito does not define is refused", func(t *testing.T) {
		for _, typ := range []ciptypes.IssuerType{"updated", "Original", "NEW", " UPDATED"} {
			_, err := cognitoauth.NewVerifier(testRegion, testPool, func(o *cognitoauth.VerifierOptions) {
				o.ClientIDs, o.IssuerType = []string{testClient}, typ
			})
			require.Error(t, err, "%q", typ)
			assert.Contains(t, err.Error(), `want "ORIGINAL" or "UPDATED"`)
		}
	})

	t.Run("the default JWKS URL is the issuer's", func(t *testing.T) {
		for _, tc := range []struct {
			typ  ciptypes.IssuerType
			want string
		}{
			{"", testIss + "/.well-known/jwks.json"},
			{ciptypes.IssuerTypeUpdated, updatedIss + "/.well-known/jwks.json"},
		} {
			got := make(chan string, 1)
			v, err := cognitoauth.NewVerifier(testRegion, testPool, func(o *cognitoauth.VerifierOptions) {
				o.ClientIDs, o.IssuerType, o.Clock = []string{testClient}, tc.typ, func() time.Time { return testNow }
				o.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
					got <- r.URL.String()
					return nil, errors.New("no network in tests")
				})}
			})
			require.NoError(t, err)
			_, err = v.Verify(testCtx(t), mint(t, hdr, accessClaims(testNow), rs256(k)))
			require.ErrorIs(t, err, cognitoauth.ErrJWKSUnavailable)
			assert.Equal(t, tc.want, <-got)
		}
	})

	t.Run("cognitotest's updated issuer end to end", func(t *testing.T) {
		pool := cognitotest.New(func(o *cognitotest.Options) { o.UpdatedIssuer = true })
		require.Equal(t, "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_KumoTest1", pool.Issuer())
		pool.AddUser("alice", "Correct-Horse-1", cognitotest.User{})
		jwks := pool.StartJWKS()
		defer jwks.Close()
		client, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions)
		require.NoError(t, err)
		tokens, err := client.SignIn(testCtx(t), "alice", "Correct-Horse-1")
		require.NoError(t, err)
		v, err := cognitoauth.NewVerifier(pool.Region(), pool.UserPoolID(), pool.VerifierOptions(jwks.URL))
		require.NoError(t, err)
		c, err := v.Verify(testCtx(t), tokens.AccessToken)
		require.NoError(t, err)
		assert.Equal(t, pool.Issuer(), c.Issuer)
		// A Verifier left at the default refuses it, naming the option.
		v, err = cognitoauth.NewVerifier(pool.Region(), pool.UserPoolID(), pool.VerifierOptions(jwks.URL), func(o *cognitoauth.VerifierOptions) { o.IssuerType = "" })
		require.NoError(t, err)
		_, err = v.Verify(testCtx(t), tokens.AccessToken)
		require.ErrorIs(t, err, cognitoauth.ErrWrongIssuer)
		assert.Contains(t, err.Error(), "set VerifierOptions.IssuerType")
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
