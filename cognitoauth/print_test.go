package cognitoauth_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cognitoauth"
)

// json.Marshal redacts the tokens; MarshalSecretJSON is the deliberate way
// to store them, and json.Unmarshal reads what it wrote back exactly.
func TestTokensJSON(t *testing.T) {
	tok := cognitoauth.Tokens{IDToken: "id.token.x", AccessToken: "access.token.x", RefreshToken: "refresh-x",
		Expires: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Claims: cognitoauth.Claims{Subject: "sub-1", Username: "alice", Groups: []string{"g"}}}

	redacted, err := json.Marshal(tok)
	require.NoError(t, err)
	require.JSONEq(t, `{"IDToken":"[redacted]","AccessToken":"[redacted]","RefreshToken":"[redacted]","Expires":"2026-01-02T03:04:05Z",
		"Claims":{"Subject":"sub-1","Username":"alice","Email":"","Groups":["g"],"Issuer":""}}`, string(redacted))

	secret, err := tok.MarshalSecretJSON()
	require.NoError(t, err)
	var back cognitoauth.Tokens
	require.NoError(t, json.Unmarshal(secret, &back))
	require.Equal(t, tok, back)

	cfg := cognitoauth.Options{Region: "eu-west-1", IdentityPoolID: "eu-west-1:p", ClientSecret: "s3cr3t", Flow: cognitoauth.FlowCustom}
	js, err := json.Marshal(cfg)
	require.NoError(t, err)
	require.NotContains(t, string(js), "s3cr3t")
	require.NotContains(t, fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg), "s3cr3t")
	var cfgBack cognitoauth.Options
	require.NoError(t, json.Unmarshal([]byte(`{"Region":"eu-west-1","IdentityPoolID":"eu-west-1:p","ClientSecret":"s3cr3t","Flow":4}`), &cfgBack))
	require.Equal(t, cfg, cfgBack)
}

// A CLI keeps a user signed in across runs by caching the tokens in a file
// only the user can read; json.Marshal would write them redacted.
func ExampleTokens_MarshalSecretJSON() {
	tok := cognitoauth.Tokens{IDToken: "eyJ.id.sig", AccessToken: "eyJ.access.sig", RefreshToken: "opaque-refresh",
		Expires: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Claims: cognitoauth.Claims{Subject: "sub-1"}}
	cache, _ := tok.MarshalSecretJSON() // write with os.WriteFile(path, cache, 0o600)
	var back cognitoauth.Tokens
	_ = json.Unmarshal(cache, &back)
	redacted, _ := json.Marshal(back)
	fmt.Println(back.RefreshToken)
	fmt.Println(string(redacted)[:60])
	// Output:
	// opaque-refresh
	// {"IDToken":"[redacted]","AccessToken":"[redacted]","RefreshT
}
