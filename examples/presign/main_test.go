package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/cli"
)

func presign(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestCommands(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	out, stderr, err := presign(t, "put", "-bucket", "uploads", "-key", "a b.png", "-content-type", "image/png", "-region", "eu-west-1")
	require.NoError(t, err)
	assert.Contains(t, stderr, "example keys")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2)
	assert.True(t, strings.HasPrefix(lines[0], "https://uploads.s3.eu-west-1.amazonaws.com/a%20b.png?"))
	assert.Equal(t, "Content-Type: image/png", lines[1])

	out, _, err = presign(t, "get", "-bucket", "b-1", "-key", "k", "-endpoint", "http://127.0.0.1:9000", "-path-style")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(out, "http://127.0.0.1:9000/b-1/k?"), out)
	info, _, err := presign(t, "inspect", "-url", strings.TrimSpace(out))
	require.NoError(t, err)
	assert.Contains(t, info, "access key:     AKIAIOSFODNN7EXAMPLE")
	assert.Contains(t, info, "region:         us-east-1")

	out, _, err = presign(t, "post", "-bucket", "uploads", "-key-prefix", "u/1/", "-max-size", "1000", "-region", "eu-west-1")
	require.NoError(t, err)
	var form struct {
		URL    string            `json:"url"`
		Fields map[string]string `json:"fields"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &form))
	assert.Equal(t, "https://uploads.s3.eu-west-1.amazonaws.com/", form.URL)
	assert.Equal(t, "u/1/${filename}", form.Fields["key"])

	keyFile := filepath.Join(t.TempDir(), "sse.key")
	require.NoError(t, os.WriteFile(keyFile, []byte("0123456789abcdef0123456789abcdef"), 0o600))
	out, _, err = presign(t, "put", "-bucket", "arn:aws:s3:eu-west-1:111122223333:accesspoint/my-ap", "-key", "k", "-region", "eu-west-1",
		"-sse-c-key-file", keyFile, "-acl", "private", "-expected-bucket-owner", "111122223333", "-request-payer")
	require.NoError(t, err)
	lines = strings.Split(strings.TrimSpace(out), "\n")
	assert.True(t, strings.HasPrefix(lines[0], "https://my-ap-111122223333.s3-accesspoint.eu-west-1.amazonaws.com/k?"), lines[0])
	assert.Contains(t, lines[0], "x-amz-expected-bucket-owner=111122223333")
	assert.Equal(t, []string{"X-Amz-Acl: private", "X-Amz-Server-Side-Encryption-Customer-Algorithm: AES256",
		"X-Amz-Server-Side-Encryption-Customer-Key: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"X-Amz-Server-Side-Encryption-Customer-Key-Md5: hRasmdxgYDKV3nvbahU1MA=="}, lines[1:])

	for _, tt := range []struct {
		args []string
		err  string
	}{
		{[]string{"get", "-bucket", "b-1", "-key", "k", "-expires", "1500ms"}, "not a whole number of seconds"},
		{[]string{"put", "-bucket", "b-1", "-key", "k", "-acl", "public"}, `ACL "public"`},
		{nil, "missing command"},
		{[]string{"copy"}, `unknown command "copy"`},
		{[]string{"get", "-bucket", "b-1", "-key", "k", "-expires", "200h"}, "exceeds the SigV4 maximum of 7d"},
		{[]string{"post", "-bucket", "b-1"}, "-key-prefix and a positive -max-size are required"},
		{[]string{"inspect", "-url", "https://x/"}, "not a SigV4 presigned URL"},
	} {
		_, _, err := presign(t, tt.args...)
		require.Error(t, err, tt.args)
		assert.Contains(t, err.Error(), tt.err)
	}
}

// TestCommandLine runs the program as main does, each command included:
// -h prints the usage on stdout and exits 0; a wrong command line prints
// one error line and the usage on stderr and exits 2; a failure prints one
// line and exits 1.
func TestCommandLine(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true") // the SDK's logger is checked in internal/cli
	for _, tt := range []struct {
		args  []string
		code  int
		first string // of stdout for code 0, else the last line of stderr before any usage
	}{
		{[]string{"-h"}, 0, "usage: presign get|put|head|delete|post|inspect [flags]"},
		{[]string{"help", "post"}, 0, "usage: presign post -bucket B -key-prefix P -max-size N [-content-type-prefix T] [-expires 15m] [-path-style]"},
		{[]string{"get", "-h"}, 0, "usage: presign get -bucket B -key K [-expires 15m] [-path-style] [-endpoint URL] [-region R] [-profile P]"},
		{[]string{"put", "-h"}, 0, "usage: presign put -bucket B -key K [-expires 15m] [-path-style] [-endpoint URL] [-region R] [-profile P]"},
		{[]string{"head", "-h"}, 0, "usage: presign head -bucket B -key K [-expires 15m] [-path-style] [-endpoint URL] [-region R] [-profile P]"},
		{[]string{"delete", "-h"}, 0, "usage: presign delete -bucket B -key K [-expires 15m] [-path-style] [-endpoint URL] [-region R] [-profile P]"},
		{[]string{"inspect", "-h"}, 0, "usage: presign inspect -url URL"},
		{nil, 2, "presign: missing command: want one of get put head delete post inspect"},
		{[]string{"copy"}, 2, `presign: unknown command "copy": want one of get put head delete post inspect`},
		{[]string{"get", "-bucket"}, 2, "presign: get: flag needs an argument: -bucket"},
		{[]string{"get", "-bucket", "b-1"}, 2, "presign: get: -key is required"},
		{[]string{"get", "-bucket", "", "-key", "k"}, 2, "presign: get: -bucket is required"},
		{[]string{"post", "-key-prefix", "u/", "-max-size", "1"}, 2, "presign: post: -bucket is required"},
		// A flag of another command is refused, not silently dropped.
		{[]string{"head", "-bucket", "b-1", "-key", "k", "-acl", "private"}, 2, "presign: head: flag provided but not defined: -acl"},
		{[]string{"get", "-bucket", "b-1", "-key", "k", "-content-type", "image/png"}, 2, "presign: get: flag provided but not defined: -content-type"},
		{[]string{"put", "-bucket", "b-1", "-key", "k", "-key-prefix", "u/"}, 2, "presign: put: flag provided but not defined: -key-prefix"},
		{[]string{"inspect", "-url", "https://x/", "-region", "eu-west-1"}, 2, "presign: inspect: flag provided but not defined: -region"},
		{[]string{"inspect"}, 2, "presign: inspect: -url is required"},
		{[]string{"post", "-bucket", "b-1"}, 2, "presign: post: -key-prefix and a positive -max-size are required"},
		{[]string{"get", "-bucket", "b", "-key", "k"}, 1, `presign: s3sign: invalid input: bucket "b" must be 3 to 63 characters`},
	} {
		var out, errOut bytes.Buffer
		code := cli.Exit("presign", run(context.Background(), tt.args, &out, &errOut), &out, &errOut)
		assert.Equal(t, tt.code, code, tt.args)
		if len(tt.args) == 2 && tt.args[1] == "-h" {
			// The usage lists the command's own flags and no other's.
			assert.Equal(t, tt.args[0] == "put", strings.Contains(out.String(), "-acl"), tt.args)
			assert.Equal(t, tt.args[0] == "inspect", strings.Contains(out.String(), "-url"), tt.args)
		}
		switch code {
		case 0:
			first, _, _ := strings.Cut(out.String(), "\n")
			assert.Equal(t, tt.first, first, tt.args)
		case 1:
			// The note on the example keys, then the error.
			assert.Equal(t, "presign: no AWS credentials configured; signing with AWS's documented example keys (the URLs will not work)\n"+tt.first+"\n", errOut.String())
		case 2:
			first, rest, _ := strings.Cut(errOut.String(), "\n")
			assert.Equal(t, tt.first, first, tt.args)
			assert.True(t, strings.HasPrefix(rest, "\nusage: presign "), rest)
		}
	}
}
