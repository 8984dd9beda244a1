package credentials_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/credentials"
)

func TestProcessOutput(t *testing.T) {
	exp := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))
	out, err := credentials.ProcessOutput(aws.Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: testSecret,
		SessionToken: testToken, CanExpire: true, Expires: exp})
	require.NoError(t, err)
	assert.Equal(t, `{"Version":1,"AccessKeyId":"ASIAIOSFODNN7EXAMPLE","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","SessionToken":"FwoGZXIvYXdzEXAMPLETOKEN","Expiration":"2026-01-02T02:04:05Z"}`, string(out))

	back, err := credentials.ParseProcessOutput(out)
	require.NoError(t, err)
	assert.Equal(t, aws.Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: testSecret, SessionToken: testToken,
		Source: "kumo/credentials:process", CanExpire: true, Expires: exp.UTC()}, back)

	out, err = credentials.ProcessOutput(aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret})
	require.NoError(t, err)
	assert.Equal(t, `{"Version":1,"AccessKeyId":"AKIAIOSFODNN7EXAMPLE","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}`, string(out))

	_, err = credentials.ProcessOutput(aws.Credentials{AccessKeyID: testKeyID})
	require.ErrorIs(t, err, credentials.ErrInvalidCredentials)
}

func TestParseProcessOutputErrors(t *testing.T) {
	for _, tt := range []struct{ in, err string }{
		{`{"Version":2,"AccessKeyId":"A","SecretAccessKey":"S"}`, "credentials: invalid credentials: credential_process output has Version 2; only 1 is defined"},
		{`{"AccessKeyId":"A","SecretAccessKey":"S"}`, "credentials: invalid credentials: credential_process output has Version 0; only 1 is defined"},
		{`{"Version":1,"AccessKeyId":"A"}`, "credentials: invalid credentials: no secret access key"},
		// Quoted only when shaped like a time: a secret shifted into the
		// field must not reach the error.
		{`{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"tomorrow"}`, `credentials: invalid credentials: credential_process Expiration (8 characters) is not an RFC 3339 time such as 2026-01-02T15:04:05Z`},
		{`{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"2026-13-01T00:00:00Z"}`, `credentials: invalid credentials: credential_process Expiration "2026-13-01T00:00:00Z" is not an RFC 3339 time such as 2026-01-02T15:04:05Z`},
		{`{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}`, `credentials: invalid credentials: credential_process Expiration (40 characters) is not an RFC 3339 time such as 2026-01-02T15:04:05Z`},
		{`{"Version":"1"}`, `credentials: invalid credentials: credential_process output is malformed: field "Version" must be a JSON int, not string`},
		{`not json`, "credentials: invalid credentials: credential_process output is malformed: syntax error at byte 2"},
		{``, "credentials: invalid credentials: credential_process output is malformed: syntax error at byte 0"},
	} {
		_, err := credentials.ParseProcessOutput([]byte(tt.in))
		require.ErrorIs(t, err, credentials.ErrInvalidCredentials, tt.in)
		assert.EqualError(t, err, tt.err)
	}
}
