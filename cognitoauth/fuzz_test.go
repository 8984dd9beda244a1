package cognitoauth_test

import (
	"testing"

	"github.com/kumo-go/kumo/cognitoauth"
)

func FuzzParseClaims(f *testing.F) {
	f.Add("h.eyJzdWIiOiJhYmMiLCJjb2duaXRvOnVzZXJuYW1lIjoiYWxpY2UiLCJleHAiOjE3OTUzNTI0MDB9.s")
	f.Add("a.eyJjb2duaXRvOmdyb3VwcyI6WyJhIiwiYiJdLCJzdWIiOiJ4In0.c")
	f.Add("..")
	f.Fuzz(func(t *testing.T, tok string) {
		c, _, err := cognitoauth.ParseClaims(tok)
		if err == nil && c.Subject == "" {
			t.Fatal("accepted claims without a subject")
		}
	})
}
