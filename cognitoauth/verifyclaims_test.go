package cognitoauth

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// verifyClaimsCases are payloads for the plain pass and encoding/json to
// agree on: Cognito's own shapes, and everything the pass leaves to
// encoding/json.
var verifyClaimsCases = []string{
	`{"sub":"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee","cognito:groups":["readers"],"iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123","version":2,"client_id":"c1","origin_jti":"o","event_id":"e","token_use":"access","scope":"aws.cognito.signin.user.admin orders/read","auth_time":1767322800,"exp":1767326400,"iat":1767322800,"jti":"j","username":"alice"}`,
	`{"sub":"s","email_verified":true,"iss":"i","cognito:username":"alice","origin_jti":"o","aud":"c1","event_id":"e","token_use":"id","auth_time":1767322800,"exp":1767326400,"iat":1767322800,"jti":"j","email":"alice@example.com","custom:tenant":"t1","identities":[{"userId":"1","providerName":"Google","primary":"true","dateCreated":"1"}]}`,
	`{}`, ` { } `, "{\n\t\"sub\" : \"s\" ,\r\n \"exp\" : 1 , \"aud\" : [ \"a\" , \"b\" ] }", `{"aud":[]}`, `{"cognito:groups":[]}`,
	`{"aud":["a"]}`, `{"aud":"a","aud":"b"}`, `{"sub":"a","sub":null}`, `{"sub":null}`, `{"cognito:groups":null}`, `{"aud":null}`,
	`{"exp":null}`, `{"exp":1.5e9}`, `{"exp":-1}`, `{"exp":1e300}`, `{"exp":"1"}`, `{"exp":253402300799}`, `{"exp":253402300800}`,
	`{"exp":1.9}`, `{"exp":0}`, `{"exp":-0}`, `{"sub":1}`, `{"sub":true}`, `{"sub":["s"]}`, `{"aud":[1]}`, `{"aud":["a",null]}`,
	`{"sub":"\u0073"}`, `{"\u0073ub":"s"}`, `{"Sub":"s"}`, `{"ſub":"s"}`, `{"sub":"é"}`, "{\"sub\":\"\xff\"}", "{\"sub\":\"a\xc3\"}",
	"{\"x\xff\":1,\"sub\":\"s\"}", `{"x":{"ISS":1},"y":[{"Exp":2}],"z":"\"ISS\":","sub":"s"}`, `{"k":"\\","iss":"i"}`,
	`{"scope":"a b","nbf":1767322800,"x":true,"y":false,"z":-1.5e3,"w":null}`, `[]`, `"x"`, `1`, `null`, `{"a":[[[[]]]],"sub":"s"}`,
	// Repeated names, plain and not.
	`{"exp":1,"exp":2}`, `{"exp":1,"\u0065xp":1}`, `{"x":1,"x":1}`, `{"x":1,"y":2,"x":{}}`, `{"x\u00e9":1,"xé":2}`,
	"{\"x\xff\":1,\"x\xfe\":2}", "{\"x\xff\":1,\"x\ufffd\":2}", `{"token_use":"access","token_use":"id"}`,
	`{"a":1,"b":1,"c":1,"d":1,"e":1,"f":1,"g":1,"h":1,"i":1,"j":1,"k":1,"l":1,"m":1,"n":1,"o":1,"p":1,"q":1,"r":1,"a":2}`,
	`{"a":1,"b":1,"c":1,"d":1,"e":1,"f":1,"g":1,"h":1,"i":1,"j":1,"k":1,"l":1,"m":1,"n":1,"o":1,"p":1,"q":1,"r":1,"s":2}`,
	`{"n":{"x":1,"x":2},"m":[{"y":1,"y":1}]}`,
}

// TestCheckClaimNamesRepeats: both passes of checkClaimNames refuse a
// repeated name and name it; nested objects do not count.
func TestCheckClaimNamesRepeats(t *testing.T) {
	cases := []struct {
		payload, want string
	}{
		{`{"exp":1,"exp":2}`, `"exp"`},
		{`{"exp":1,"\u0065xp":1}`, `"exp"`},
		{`{"cognito:groups":[],"iss":"i","cognito:groups":["admin"]}`, `"cognito:groups"`},
		{"{\"x\xff\":1,\"x\xfe\":2}", `"x\ufffd"`},
		{`{"a":1,"b":1,"c":1,"d":1,"e":1,"f":1,"g":1,"h":1,"i":1,"j":1,"k":1,"l":1,"m":1,"n":1,"o":1,"p":1,"q":1,"r":1,"a":2}`, `"a"`},
		{`{"` + strings.Repeat("n", 100) + `":1,"` + strings.Repeat("n", 100) + `":1}`, `"` + strings.Repeat("n", 64) + `..."`},
		{`{"n":{"x":1,"x":2},"m":[{"y":1,"y":1}]}`, ""},
	}
	for _, tc := range cases {
		for name, check := range map[string]func([]byte) error{"checkClaimNames": checkClaimNames, "claimNamesSlow": claimNamesSlow} {
			err := check([]byte(tc.payload))
			if tc.want == "" {
				assert.NoError(t, err, "%s %q", name, tc.payload)
				continue
			}
			require.ErrorIs(t, err, ErrMalformedToken, "%s %q", name, tc.payload)
			assert.Equal(t, "cognitoauth: malformed token: the claim "+tc.want+" appears twice", err.Error(), name)
		}
	}
}

// TestVerifyClaimsMatchesDecoding: verifyClaims gives the claims and the
// claim-name verdict encoding/json and checkClaimNames give, and a claim
// name twice is refused by both passes of checkClaimNames.
func TestVerifyClaimsMatchesDecoding(t *testing.T) {
	for _, p := range verifyClaimsCases {
		require.True(t, json.Valid([]byte(p)), p)
		sameAsDecoding(t, []byte(p))
	}
	var c verifyClaims
	assert.True(t, c.decodePlain([]byte(verifyClaimsCases[0])), "Cognito's access token is plain")
	assert.True(t, c.decodePlain([]byte(verifyClaimsCases[1])), "Cognito's ID token is plain")
}

func sameAsDecoding(t *testing.T, p []byte) {
	t.Helper()
	var got verifyClaims
	gotErr := json.Unmarshal(p, &got)
	if string(p) != "null" { // encoding/json does not call UnmarshalJSON for null; Verify checks the names itself
		if nameErr := checkClaimNames(p); nameErr != nil {
			// Refused, whichever pass read it, with the same error.
			require.NoError(t, gotErr, "%q", p)
			require.EqualError(t, got.nameErr, nameErr.Error(), "%q", p)
			return
		}
		require.NoError(t, got.nameErr, "%q", p)
	}
	var want rawClaims
	wantErr := json.Unmarshal(p, &want)
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("%q: encoding/json says %v, verifyClaims %v", p, wantErr, gotErr)
	}
	if wantErr != nil {
		return
	}
	if string(p) != "null" {
		assert.Equal(t, bytes.TrimSpace(p), got.raw, "%q: the value, without the white space around it", p)
	}
	got.raw = nil
	assert.Equal(t, want, got.rawClaims, "%q", p)
}

// FuzzVerifyClaims: for every valid JSON text, verifyClaims decodes what
// encoding/json decodes and refuses the claim names checkClaimNames does.
func FuzzVerifyClaims(f *testing.F) {
	for _, p := range verifyClaimsCases {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		if !json.Valid(p) {
			return
		}
		sameAsDecoding(t, p)
	})
}
