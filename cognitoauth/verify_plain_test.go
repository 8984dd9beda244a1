package cognitoauth_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cognitoauth"
)

// TestVerifyPayloadForms: Verify reads Cognito's plain payloads in one
// pass and leaves every other form to encoding/json; each form of the same
// claims gives the same Claims, Raw is the whole payload, and a misnamed
// claim is refused in every form.
func TestVerifyPayloadForms(t *testing.T) {
	k := testKeys()[0]
	srv := newJWKSServer(t, jwkOf("k1", k))
	v := newVerifier(t, srv.URL, &clock{now: testNow})
	hdr := b64([]byte(`{"kid":"k1","alg":"RS256"}`))
	sign := func(payload string) string {
		in := hdr + "." + b64([]byte(payload))
		return in + "." + b64(rs256(k)([]byte(in)))
	}
	iat, exp := testNow.Unix(), testNow.Unix()+3600
	body := fmt.Sprintf(`"sub":"s-1","iss":%q,"token_use":"access","client_id":%q,"cognito:groups":["a","b"],"scope":"x y","iat":%d,"exp":%d,"jti":"j"`, testIss, testClient, iat, exp)
	plain := "{" + body + "}"
	want, err := v.Verify(testCtx(t), sign(plain))
	require.NoError(t, err)
	assert.Equal(t, json.RawMessage(plain), want.Raw)
	assert.Equal(t, "s-1", want.Subject)
	assert.Equal(t, []string{"a", "b"}, want.Groups)
	assert.Equal(t, []string{"x", "y"}, want.Scopes)

	for name, payload := range map[string]string{
		"white space around":   " \n{" + body + "}\t ",
		"white space inside":   "{ " + strings.ReplaceAll(body, ",", " ,\n ") + " }",
		"an escaped value":     "{" + strings.Replace(body, `"s-1"`, `"\u0073-1"`, 1) + "}",
		"an escaped name":      "{" + strings.Replace(body, `"sub"`, `"\u0073ub"`, 1) + "}",
		"unknown nested stuff": `{"x":{"ISS":[1,{"a":"\"}"}]},` + body + `,"y":[null,true,-1.5e3]}`,
	} {
		got, err := v.Verify(testCtx(t), sign(payload))
		require.NoError(t, err, name)
		assert.Equal(t, json.RawMessage(payload), got.Raw, name)
		got.Raw = want.Raw
		assert.Equal(t, want, got, name)
	}

	for name, payload := range map[string]string{
		"ISS, plain":                "{" + body + `,"ISS":"x"}`,
		"ISS, white space around":   " {" + body + `,"ISS":"x"} `,
		"Iss, escaped":              "{" + body + `,"\u0049ss":"x"}`,
		"Sub with an escaped value": "{" + body + `,"Sub":"\u0078"}`,
		"ſub":                       "{" + body + `,"ſub":"x"}`,
	} {
		_, err := v.Verify(testCtx(t), sign(payload))
		require.ErrorIs(t, err, cognitoauth.ErrMalformedToken, name)
		assert.Contains(t, err.Error(), "another letter case", name)
	}

	// A claim twice is refused, whichever copy comes first, however it is
	// written.
	for name, payload := range map[string]string{
		"a null claim first":            `{"jti":null,` + body + "}",
		"a repeated claim":              `{"sub":"other",` + body + "}",
		"a repeated claim, escaped":     `{"\u0073ub":"other",` + body + "}",
		"a repeated claim, white space": " {" + body + `, "sub" : "other" } `,
	} {
		_, err := v.Verify(testCtx(t), sign(payload))
		require.ErrorIs(t, err, cognitoauth.ErrMalformedToken, name)
		assert.Contains(t, err.Error(), "appears twice", name)
	}

	_, err = v.Verify(testCtx(t), sign(" null "))
	require.ErrorIs(t, err, cognitoauth.ErrMalformedToken, "a null payload is not a claims object (RFC 7519, section 7.2)")
}
