package credentials_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/credentials"
)

const (
	testKeyID  = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	testToken  = "FwoGZXIvYXdzEXAMPLETOKEN"
)

func TestProfileRedactsSecrets(t *testing.T) {
	p := credentials.Profile{Name: "alice", AccessKeyID: testKeyID, SecretAccessKey: testSecret,
		SessionToken: testToken, Expires: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Region: "eu-west-1"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("saved", "profile", p)
	js, err := json.Marshal(p)
	require.NoError(t, err)
	forms := map[string]string{
		"%v": fmt.Sprintf("%v", p), "%+v": fmt.Sprintf("%+v", p), "%#v": fmt.Sprintf("%#v", p),
		"%s": fmt.Sprintf("%s", p), "%q": fmt.Sprintf("%q", p), "%x": fmt.Sprintf("%x", p),
		"String": p.String(), "GoString": p.GoString(), "pointer %v": fmt.Sprintf("%v", &p),
		"in a struct %+v": fmt.Sprintf("%+v", struct{ P credentials.Profile }{p}),
		"slog":            logged.String(), "json": string(js),
	}
	for name, s := range forms {
		assert.NotContains(t, s, testSecret, name)
		assert.NotContains(t, s, testToken, name)
		assert.Contains(t, s, testKeyID, name)
		assert.Contains(t, s, "redacted", name)
	}
	assert.Equal(t, `Profile{Name:"alice" AccessKeyID:"AKIAIOSFODNN7EXAMPLE" SecretAccessKey:"[redacted]" SessionToken:"[redacted]" Expires:2026-01-02T03:04:05Z Region:"eu-west-1"}`, p.String())
}

func TestProfileCredentials(t *testing.T) {
	exp := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := credentials.Profile{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: testToken, Expires: exp}
	c := p.Credentials()
	assert.Equal(t, aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: testToken,
		Source: "kumo/credentials", CanExpire: true, Expires: exp}, c)
	assert.False(t, credentials.Profile{AccessKeyID: testKeyID, SecretAccessKey: testSecret}.Credentials().CanExpire)
}

func TestFromAccessKeyJSON(t *testing.T) {
	whole := `{
    "AccessKey": {
        "UserName": "alice",
        "AccessKeyId": "AKIAIOSFODNN7EXAMPLE",
        "Status": "Active",
        "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "CreateDate": "2026-11-22T15:28:49+00:00"
    }
}`
	bare := `{"UserName":"bob","AccessKeyId":"AKIAIOSFODNN7EXAMPLE","Status":"Active","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}`
	tests := []struct {
		name, in string
		want     credentials.Profile
		errText  string
	}{
		{name: "whole document", in: whole, want: credentials.Profile{Name: "alice", AccessKeyID: testKeyID, SecretAccessKey: testSecret}},
		{name: "bare AccessKey", in: bare, want: credentials.Profile{Name: "bob", AccessKeyID: testKeyID, SecretAccessKey: testSecret}},
		{name: "not JSON", in: `UserName: alice`, errText: "malformed: syntax error at byte 1"},
		{name: "truncated", in: whole[:60], errText: "malformed"},
		{name: "array", in: `[1]`, errText: "malformed"},
		{name: "wrong type", in: `{"AccessKey":{"UserName":7}}`, errText: `field "UserName" must be a JSON string, not number`},
		{name: "missing secret", in: `{"UserName":"a","AccessKeyId":"AKIAIOSFODNN7EXAMPLE","Status":"Active"}`, errText: "access key JSON has no SecretAccessKey (want the output of aws iam create-access-key)"},
		{name: "missing everything", in: `{"AccessKey":{"Status":"Active"}}`, errText: "has no UserName, AccessKeyId, SecretAccessKey (want"},
		{name: "no status", in: `{"UserName":"a","AccessKeyId":"AKIAIOSFODNN7EXAMPLE","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}`, errText: "access key JSON has no Status (want"},
		{name: "inactive", in: strings.Replace(bare, "Active", "Inactive", 1), errText: "access key AKIAIOSFODNN7EXAMPLE is Inactive, not Active"},
		// Columns shifted by a hand edit: the secret in Status or in the
		// key ID must not be quoted.
		{name: "secret in Status", in: `{"UserName":"a","AccessKeyId":"AKIAIOSFODNN7EXAMPLE","Status":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","SecretAccessKey":"x"}`, errText: "access key AKIAIOSFODNN7EXAMPLE has a Status other than Active, Inactive or Expired"},
		{name: "secret in key ID, inactive", in: `{"UserName":"a","AccessKeyId":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","Status":"Inactive","SecretAccessKey":"x"}`, errText: "access key (malformed ID) is Inactive, not Active"},
		{name: "short key ID", in: strings.Replace(bare, "AKIAIOSFODNN7EXAMPLE", "AKIA123", 1), errText: "access key ID must be 16 to 128 upper-case letters and digits (got 7 characters)"},
		{name: "lower-case key ID", in: strings.Replace(bare, "AKIAIOSFODNN7EXAMPLE", "akiaiosfodnn7example", 1), errText: "access key ID must be"},
		{name: "short secret", in: strings.Replace(bare, testSecret, "wJalrXUtnFEMI", 1), errText: "secret access key must be 40 characters of A-Z, a-z, 0-9, + and / (got 13 characters)"},
		{name: "secret with a space", in: strings.Replace(bare, testSecret, "wJalrXUtnFEMI K7MDENG/bPxRfiCYEXAMPLEKEY", 1), errText: "secret access key must be 40"},
		{name: "huge", in: `{"UserName":"` + strings.Repeat("a", 70<<10) + `"}`, errText: "over 65536 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := credentials.FromAccessKeyJSON(strings.NewReader(tt.in))
			if tt.errText != "" {
				require.ErrorIs(t, err, credentials.ErrInvalidCredentials)
				assert.Contains(t, err.Error(), tt.errText)
				assert.NotContains(t, err.Error(), "wJalrXUtnFEMI")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestFromAccessKeyFromSTSFromAWS(t *testing.T) {
	exp := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p, err := credentials.FromAccessKey(&iamtypes.AccessKey{UserName: aws.String("carol"), AccessKeyId: aws.String(testKeyID),
		SecretAccessKey: aws.String(testSecret), Status: iamtypes.StatusTypeActive})
	require.NoError(t, err)
	assert.Equal(t, credentials.Profile{Name: "carol", AccessKeyID: testKeyID, SecretAccessKey: testSecret}, p)

	_, err = credentials.FromAccessKey(nil)
	require.ErrorIs(t, err, credentials.ErrInvalidCredentials)

	p, err = credentials.FromSTS(&ststypes.Credentials{AccessKeyId: aws.String("ASIAIOSFODNN7EXAMPLE"),
		SecretAccessKey: aws.String(testSecret), SessionToken: aws.String(testToken), Expiration: &exp})
	require.NoError(t, err)
	assert.Equal(t, credentials.Profile{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: testSecret, SessionToken: testToken, Expires: exp}, p)

	_, err = credentials.FromSTS(&ststypes.Credentials{AccessKeyId: aws.String("ASIA")})
	require.ErrorIs(t, err, credentials.ErrInvalidCredentials)
	assert.EqualError(t, err, "credentials: invalid credentials: no secret access key")

	p, err = credentials.FromAWS(aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"})
	require.NoError(t, err, "emulator credentials have no fixed shape")
	assert.Equal(t, credentials.Profile{AccessKeyID: "test", SecretAccessKey: "test"}, p)

	_, err = credentials.FromAWS(aws.Credentials{AccessKeyID: "AK", SecretAccessKey: "s\n[evil]"})
	require.ErrorIs(t, err, credentials.ErrInvalidCredentials)
	assert.EqualError(t, err, "credentials: invalid credentials: secret access key has a space or control character at byte 1 (only printable characters are allowed)")

	_, err = credentials.FromAWS(aws.Credentials{})
	assert.EqualError(t, err, "credentials: invalid credentials: no access key ID and no secret access key")
}
