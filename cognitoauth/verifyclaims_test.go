package cognitoauth

import (
	"bytes"
	"encoding/json"
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
}

// TestVerifyClaimsMatchesDecoding: verifyClaims gives the claims and the
// claim-name verdict encoding/json and checkClaimNames give.
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
	var want rawClaims
	wantErr := json.Unmarshal(p, &want)
	var got verifyClaims
	gotErr := json.Unmarshal(p, &got)
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
	if string(p) != "null" { // encoding/json does not call UnmarshalJSON for null; Verify checks the names itself
		assert.Equal(t, checkClaimNames(p) == nil, got.nameErr == nil, "%q", p)
	}
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
