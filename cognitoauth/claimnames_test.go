package cognitoauth

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// claimNamesCases are payloads for the scan and the decoder to agree on.
var claimNamesCases = []string{
	`{}`, ` { } `, `{"sub":"s","iss":"i"}`, `{"ISS":"x"}`, `{"Token_Use":"id"}`,
	`{"a":{"ISS":1},"b":[{"Exp":2}]}`, `{"a":"\"ISS\":","b":"}"}`, `{"\u0069ss":"x"}`, `{"i\u0053s":"x"}`,
	`{"scope":"a b","cognito:groups":["x","y"],"exp":1795356000,"nbf":null,"x":true,"y":false,"z":-1.5e3}`,
	"{\n\t\"sub\" : \"s\" ,\r\n \"EXP\" : 1 }", `{"k":"\\"}`, `{"k":"\\","ISS":1}`, `{"ſub":"long s"}`, `{"exp":1,"exp":2}`,
	`{"a":[[[[]]]],"Sub":1}`, `{"a":{},"b":[],"c":""}`,
	`{"\u0069ss":"x","iss":"y"}`, "{\"\xff\":1,\"\ufffd\":2}", `{"a":{"x":1,"x":1}}`,
}

// TestClaimNamesFastMatchesDecoding: where the scan answers, it answers as
// decoding the payload does.
func TestClaimNamesFastMatchesDecoding(t *testing.T) {
	for _, p := range claimNamesCases {
		assert.True(t, json.Valid([]byte(p)), p)
		ok, err := claimNamesFast([]byte(p))
		if ok {
			assert.Equal(t, claimNamesSlow([]byte(p)) == nil, err == nil, p)
		}
	}
	ok, err := claimNamesFast([]byte(`{"\u0069ss":"x","iss":"y"}`))
	assert.True(t, ok, "a key with an escape is decoded in the scan")
	assert.ErrorIs(t, err, ErrMalformedToken, "iss twice")
	ok, err = claimNamesFast([]byte(`{"a":{"b":"c"},"ISS":1}`))
	assert.True(t, ok)
	assert.ErrorIs(t, err, ErrMalformedToken)
}

// FuzzClaimNames: for every valid JSON object, checkClaimNames (the scan,
// or decoding when the scan cannot tell) agrees with decoding.
func FuzzClaimNames(f *testing.F) {
	for _, p := range claimNamesCases {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		var m map[string]json.RawMessage
		if json.Unmarshal(p, &m) != nil {
			return
		}
		err := checkClaimNames(p)
		if (err == nil) != (claimNamesSlow(p) == nil) {
			t.Fatalf("scan and decoding disagree on %q", p)
		}
		// Independently: a name is repeated when the decoded map has fewer
		// entries than the object has members.
		if m != nil {
			repeated := len(m) < topLevelMembers(t, p)
			if repeated && err == nil || err != nil && strings.Contains(err.Error(), "appears twice") != repeated {
				t.Fatalf("%q: %d names of %d members, checkClaimNames says %v", p, len(m), topLevelMembers(t, p), err)
			}
		}
	})
}

// topLevelMembers counts the members of the JSON object p with
// encoding/json's tokenizer.
func topLevelMembers(t *testing.T, p []byte) int {
	dec := json.NewDecoder(bytes.NewReader(p))
	_, err := dec.Token()
	require.NoError(t, err)
	n := 0
	for ; dec.More(); n++ {
		_, err := dec.Token()
		require.NoError(t, err)
		var v json.RawMessage
		require.NoError(t, dec.Decode(&v))
	}
	return n
}
