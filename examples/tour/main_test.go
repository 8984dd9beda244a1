package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/moto"
)

func TestMain(m *testing.M) { os.Exit(moto.Run(m)) }

func TestTourOffline(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, ""))
	s := out.String()
	assert.Contains(t, s, "offline")
	for i, st := range stops {
		assert.Contains(t, s, st.name, "stop %d", i+1)
	}
	assert.Contains(t, s, "Every stop done.")
	assert.Contains(t, s, `SecretAccessKey:"[redacted]"`)
	assert.Contains(t, s, "So is a fraction of a second: s3sign: invalid input: expiry 1.5s is not a whole number of seconds")
	assert.Contains(t, s, `the signer keeps its secret key to itself: Signer{region:"us-east-1" endpoint:"" pathStyle:false expires:15m0s credentials:[redacted]}`)
	assert.Contains(t, s, "Canned() = true")
	assert.Contains(t, s, "file modified since it was read")
	assert.Contains(t, s, `set -gx AWS_SESSION_TOKEN "EXAMPLETOKEN"`)
	assert.Contains(t, s, "A value a shell would interpret is quoted, never run: export AWS_ACCESS_KEY_ID='AKIA$(reboot)'")
	assert.Contains(t, s, "Listing a mistyped folder fails and creates nothing (true)")
	assert.Contains(t, s, "With a Cache, 500 messages cost 1 GenerateDataKey call(s).")
	assert.Contains(t, s, `Rewrap moved the message`)
	assert.Contains(t, s, "a changed path is refused: cfsign: signature does not verify")
	assert.Contains(t, s, "and not from 198.51.100.1: cfsign: the request comes from outside the policy's source range")
	assert.Contains(t, s, "Eight days is refused before anyone clicks: s3sign: invalid input: expiry 192h0m0s exceeds the SigV4 maximum of 7d")
	assert.Contains(t, s, "s3sign: the URL would outlive the credentials that sign it")
	assert.Contains(t, s, "A wrong password is ErrNotAuthorized: true")
	assert.Contains(t, s, "The identity pool traded them for credentials ASIA")
	assert.Contains(t, s, "After GlobalSignOut her access token is refused by the pool: true")
	assert.Contains(t, s, "With alice's access token the service answers: 200 hello alice, in [readers]")
	assert.Contains(t, s, "With her ID token instead the service answers: 401 Unauthorized")
	assert.Contains(t, s, "Her claims re-sent unsigned with alg none: cognitoauth: unsupported token algorithm")
	assert.Contains(t, s, `Asking for one it does not offer lists the choices: iamx: no role matches "Admin"; choose one of 123456789012:Developer, 123456789012:ReadOnly`)
	assert.Contains(t, s, "The same assertion an hour later fails before any call: iamx: unusable SAML response: the assertion expired")
	assert.Contains(t, s, "from 203.0.113.7 Allow, from 198.51.100.9 ImplicitDeny:")
	assert.Contains(t, s, "(the old key: true)")
	assert.Contains(t, s, "a FIFO queue needs a GroupID")
	assert.Contains(t, s, "bob   handled in order: 0 1 2 3 4 5 6 7 8 9")
	assert.Contains(t, s, "Cancelling Run drained cleanly.")
}

// TestCommandLine runs the program as main does: -h prints the usage on
// stdout and exits 0; a wrong command line prints one error line and the
// usage on stderr and exits 2.
func TestCommandLine(t *testing.T) {
	for _, tt := range []struct {
		args  []string
		code  int
		first string // of stdout for code 0, else of stderr
	}{
		{[]string{"-h"}, 0, "usage: tour [-endpoint URL]"},
		{[]string{"-nope"}, 2, "tour: flag provided but not defined: -nope"},
		{[]string{"stop1"}, 2, `tour: unexpected argument "stop1"`},
	} {
		flag.CommandLine = flag.NewFlagSet(os.Args[0], flag.ExitOnError) // realMain registers its flags here
		var out, errOut bytes.Buffer
		code := realMain(tt.args, &out, &errOut)
		assert.Equal(t, tt.code, code, tt.args)
		if code == 0 {
			assert.Equal(t, "usage: tour [-endpoint URL]\n", out.String()[:len(tt.first)+1])
			assert.Contains(t, out.String(), "\n  -endpoint string\n")
			continue
		}
		first, rest, _ := strings.Cut(errOut.String(), "\n")
		assert.Equal(t, tt.first, first, tt.args)
		assert.True(t, strings.HasPrefix(rest, "\nusage: tour "), rest)
	}
}

func TestTourAgainstMoto(t *testing.T) {
	endpoint := moto.Endpoint(t)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, endpoint))
	s := out.String()
	assert.Contains(t, s, "against the emulator at "+endpoint)
	assert.True(t, strings.Contains(s, "arn:aws:iam::"+moto.AccountID+":user/kumo-tour-"), s)
	assert.Contains(t, s, "A KMS keyring on key arn:aws:kms:us-east-1:"+moto.AccountID+":key/")
	assert.Contains(t, s, "With a Cache, 500 messages cost 1 GenerateDataKey call(s).")
	assert.Contains(t, s, `Against the emulator: uploaded with the PUT URL, read back with a GET URL: "%PDF-1.7 tour"`)
	assert.Contains(t, s, "Cognito asks for NEW_PASSWORD_REQUIRED; the handler answers it.")
	assert.Contains(t, s, "After GlobalSignOut her access token is refused by the pool: true")
	assert.Contains(t, s, "arn:aws:iam::"+moto.AccountID+":role/ReadOnly via")
	assert.Contains(t, s, "AssumeRoleWithSAML as ReadOnly gave credentials")
	assert.Contains(t, s, "(the old key: true)")
	assert.Contains(t, s, "carol handled in order: 0 1 2 3 4 5 6 7 8 9")
}
