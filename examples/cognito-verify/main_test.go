package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/cognitoauth/cognitotest"
)

func TestVerifyCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	pool := cognitotest.New(func(o *cognitotest.Options) { o.Clock = clock })
	pool.AddUser("alice", "Correct-Horse-1", cognitotest.User{Email: "alice@example.com"})
	srv := pool.StartJWKS()
	defer srv.Close()
	client, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions)
	require.NoError(t, err)
	tokens, err := client.SignIn(ctx, "alice", "Correct-Horse-1")
	require.NoError(t, err)
	base := []string{"-user-pool-id", pool.UserPoolID(), "-region", pool.Region(), "-jwks-url", srv.URL}

	cases := []struct {
		name  string
		args  []string
		stdin string
		sub   string // the sub printed on success
		err   string // the failure's text
	}{
		{"ID token, any client", append(base, tokens.IDToken), "", tokens.Claims.Subject, ""},
		{"access token, its client", append(base, "-client-id", "x", "-client-id", pool.ClientID(), "-token-use", "access", tokens.AccessToken), "", tokens.Claims.Subject, ""},
		{"stdin", append(base, "-token-use", "id", "-"), tokens.IDToken + "\n", tokens.Claims.Subject, ""},
		{"wrong token use", append(base, "-token-use", "id", tokens.AccessToken), "", "", "cognitoauth: wrong token use: want id"},
		{"wrong client", append(base, "-client-id", "other", tokens.IDToken), "", "", "cognitoauth: the token is for another app client: aud is not among the 1 allowed clients"},
		{"tampered", append(base, tokens.IDToken[:len(tokens.IDToken)-3]+"AAA"), "", "", "cognitoauth: invalid token signature"},
		{"no token", base, "", "", "want one TOKEN argument (or - for stdin), got 0"},
		{"no pool", []string{"-region", "us-east-1", "x"}, "", "", "-user-pool-id is required"},
		{"region from the pool ID", []string{"-user-pool-id", pool.UserPoolID(), "-jwks-url", srv.URL, tokens.IDToken}, "", tokens.Claims.Subject, ""},
		{"no region", []string{"-user-pool-id", "AbC123", "x"}, "", "", `-user-pool-id "AbC123" is not <region>_<id>: give -region`},
		{"bad token use", append(base, "-token-use", "refresh", "x"), "", "", `-token-use "refresh": want id or access`},
		{"updated issuer asked, original issued", append(base, "-issuer-type", "updated", tokens.IDToken), "", "", "cognitoauth: the token was not issued by this user pool: want https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_KumoTest1; the token has this pool's ORIGINAL issuer: if the pool's IssuerConfiguration is ORIGINAL, set VerifierOptions.IssuerType"},
		{"bad issuer type", append(base, "-issuer-type", "UPDATED", "x"), "", "", `-issuer-type "UPDATED": want original or updated`},
		{"unknown flag", []string{"-bogus"}, "", "", "flag provided but not defined: -bogus"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(ctx, tc.args, strings.NewReader(tc.stdin), &out, clock)
			if tc.err != "" {
				require.Error(t, err)
				assert.True(t, strings.HasPrefix(err.Error(), tc.err), err.Error())
				assert.Empty(t, out.String())
				return
			}
			require.NoError(t, err)
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			require.Len(t, lines, 1)
			var claims map[string]any
			require.NoError(t, json.Unmarshal([]byte(lines[0]), &claims))
			assert.Equal(t, tc.sub, claims["sub"])
			assert.Equal(t, pool.Issuer(), claims["iss"])
		})
	}

	t.Run("a pool with the updated issuer", func(t *testing.T) {
		upd := cognitotest.New(func(o *cognitotest.Options) { o.Clock, o.UpdatedIssuer = clock, true })
		upd.AddUser("bob", "Correct-Horse-2", cognitotest.User{})
		srv := upd.StartJWKS()
		defer srv.Close()
		client, err := cognitoauth.New(upd, upd, upd.UserPoolID(), upd.ClientID(), upd.ClientOptions)
		require.NoError(t, err)
		tokens, err := client.SignIn(ctx, "bob", "Correct-Horse-2")
		require.NoError(t, err)
		var out bytes.Buffer
		args := []string{"-user-pool-id", upd.UserPoolID(), "-jwks-url", srv.URL, "-issuer-type", "updated", tokens.AccessToken}
		require.NoError(t, run(ctx, args, strings.NewReader(""), &out, clock))
		var claims map[string]any
		require.NoError(t, json.Unmarshal(out.Bytes(), &claims))
		assert.Equal(t, "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_KumoTest1", claims["iss"])
		// Without -issuer-type updated the token is refused, naming the option.
		out.Reset()
		err = run(ctx, []string{"-user-pool-id", upd.UserPoolID(), "-jwks-url", srv.URL, tokens.AccessToken}, strings.NewReader(""), &out, clock)
		require.ErrorIs(t, err, cognitoauth.ErrWrongIssuer)
		assert.Contains(t, err.Error(), "the token has this pool's UPDATED issuer")
		assert.Empty(t, out.String())
	})
}

// TestExitCodes runs the built command: exit 0 with one JSON line on
// stdout, exit 1 with one line on stderr; -h prints the usage on stdout and
// exits 0, misuse prints one error line and the usage on stderr and exits 2.
func TestExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "cognito-verify")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())

	pool := cognitotest.New()
	srv := pool.StartJWKS()
	defer srv.Close()
	now := time.Now()
	tok := pool.SignToken(map[string]any{"sub": "s-1", "iss": pool.Issuer(), "token_use": "id", "aud": pool.ClientID(),
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	expired := pool.SignToken(map[string]any{"sub": "s-1", "iss": pool.Issuer(), "token_use": "id", "aud": pool.ClientID(),
		"iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()})
	for _, tc := range []struct {
		token, stdout, stderr string
		code                  int
	}{
		{tok, `"sub":"s-1"`, "", 0},
		{expired, "", "cognito-verify: cognitoauth: token expired", 1},
	} {
		cmd := exec.CommandContext(ctx, bin, "-user-pool-id", pool.UserPoolID(), "-region", pool.Region(), "-jwks-url", srv.URL, tc.token)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			require.NoError(t, err)
		}
		assert.Equal(t, tc.code, code)
		assert.Contains(t, stdout.String(), tc.stdout)
		assert.Contains(t, stderr.String(), tc.stderr)
		assert.LessOrEqual(t, strings.Count(stdout.String()+stderr.String(), "\n"), 1, "one line")
	}
	for _, tc := range []struct {
		args  []string
		first string // of stdout for code 0, else of stderr
		code  int
	}{
		{[]string{"-h"}, "usage: cognito-verify -user-pool-id ID [-region R] [-client-id C]... [-token-use id|access] [-issuer-type original|updated] [-jwks-url URL] TOKEN|-", 0},
		{[]string{"-help"}, "usage: cognito-verify -user-pool-id ID [-region R] [-client-id C]... [-token-use id|access] [-issuer-type original|updated] [-jwks-url URL] TOKEN|-", 0},
		{[]string{"-bogus"}, "cognito-verify: flag provided but not defined: -bogus", 2},
		{[]string{"-user-pool-id", pool.UserPoolID()}, "cognito-verify: want one TOKEN argument (or - for stdin), got 0", 2},
	} {
		cmd := exec.CommandContext(ctx, bin, tc.args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			require.NoError(t, err)
		}
		assert.Equal(t, tc.code, code, tc.args)
		got := stderr.String()
		if code == 0 {
			got = stdout.String()
			assert.Empty(t, stderr.String())
			assert.Contains(t, got, "\n  -token-use string\n")
		}
		first, rest, _ := strings.Cut(got, "\n")
		assert.Equal(t, tc.first, first, tc.args)
		if code == 2 {
			assert.True(t, strings.HasPrefix(rest, "\nusage: cognito-verify "), rest)
		}
	}
}
