package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cfsign"
	"github.com/kumo-go/kumo/internal/cli"
)

func TestSignAndCookies(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	keys := map[string]crypto.PublicKey{"KEC": &key.PublicKey}

	var out bytes.Buffer
	require.NoError(t, run([]string{"-url", "https://d1.cloudfront.net/a.pdf", "-key-pair-id", "KEC", "-private-key", "file://" + keyFile, "-date-less-than", "2026-12-01"}, &out, clock))
	signed := strings.TrimSpace(out.String())
	assert.Contains(t, signed, "Expires=1796083200&")
	_, err = cfsign.Verify(signed, keys, func(o *cfsign.VerifyOptions) { o.Clock = clock })
	require.NoError(t, err)

	// A URL with a query and only an expiry is canned, as the AWS CLI
	// signs it (the ? is not a wildcard).
	out.Reset()
	require.NoError(t, run([]string{"-url", "https://d1.cloudfront.net/q.js?v=339&x=y", "-key-pair-id", "KEC", "-private-key", keyFile, "-date-less-than", "2026-12-01"}, &out, clock))
	signed = strings.TrimSpace(out.String())
	assert.True(t, strings.HasPrefix(signed, "https://d1.cloudfront.net/q.js?v=339&x=y&Expires=1796083200&Signature="), signed)
	_, err = cfsign.Verify(signed, keys, func(o *cfsign.VerifyOptions) { o.Clock = clock })
	require.NoError(t, err)

	out.Reset()
	require.NoError(t, run([]string{"-url", "https://d1.cloudfront.net/v/*", "-key-pair-id", "KEC", "-private-key", keyFile,
		"-date-less-than", "1796083200", "-date-greater-than", "2026-11-21T00:00:00Z", "-ip-address", "192.0.2.0/24", "-cookies"}, &out, clock))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 4)
	assert.True(t, strings.HasPrefix(lines[0], "Set-Cookie: CloudFront-Policy="))
	assert.Contains(t, lines[0], "; Secure")
	assert.Contains(t, lines[3], "CloudFront-Hash-Algorithm=SHA256")

	for _, tt := range []struct {
		args []string
		err  string
	}{
		{[]string{"-key-pair-id", "K"}, "is required"},
		{[]string{"-url", "https://x/a", "-key-pair-id", "K", "-private-key", keyFile, "-date-less-than", "soon"}, "-date-less-than: want RFC 3339"},
		{[]string{"-url", "https://x/a", "-key-pair-id", "K", "-private-key", keyFile, "-date-less-than", "2026-12-01", "-hash-algorithm", "MD5"}, `-hash-algorithm "MD5": want SHA1 or SHA256`},
		{[]string{"-url", "https://x/a", "-key-pair-id", "K", "-private-key", keyFile, "-date-less-than", "2026-01-01"}, "not in the future"},
		{[]string{"-url", "https://x/a", "-key-pair-id", "K", "-private-key", keyFile, "-date-less-than", "2026-12-01", "-ip-address", "::1"}, "IPv6"},
		{[]string{"-url", "https://x/a", "-key-pair-id", "K", "-private-key", "/nope", "-date-less-than", "2026-12-01"}, "no such file"},
	} {
		err := run(tt.args, &out, clock)
		require.Error(t, err, tt.args)
		assert.Contains(t, err.Error(), tt.err)
	}
}

// TestCommandLine runs the program as main does: -h prints the usage on
// stdout and exits 0; a wrong command line prints one error line and the
// usage on stderr and exits 2; a failure prints one line and exits 1.
func TestCommandLine(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
	for _, tt := range []struct {
		args        []string
		code        int
		first       string // of stdout for code 0, else of stderr
		usageOnFail bool
	}{
		{[]string{"-h"}, 0, "usage: cfsign -url U -key-pair-id ID -private-key FILE -date-less-than T", false},
		{[]string{"-help"}, 0, "usage: cfsign -url U -key-pair-id ID -private-key FILE -date-less-than T", false},
		{nil, 2, "cfsign: -url is required", true},
		{[]string{"-nope"}, 2, "cfsign: flag provided but not defined: -nope", true},
		{[]string{"-url", "https://x/a", "extra"}, 2, `cfsign: unexpected argument "extra"`, true},
		{[]string{"-url", "https://x/a", "-key-pair-id", "K", "-private-key", "/nonexistent/key.pem", "-date-less-than", "2026-12-01"}, 1,
			"cfsign: open /nonexistent/key.pem: no such file or directory", false},
		// The library's own "cfsign: " prefix is not doubled.
		{[]string{"-url", "https://x/a", "-key-pair-id", "K", "-private-key", keyFile, "-date-less-than", "2000-01-01"}, 1,
			"cfsign: the expiry 2000-01-01T00:00:00Z is not in the future", false},
	} {
		var out, errOut bytes.Buffer
		code := cli.Exit("cfsign", run(tt.args, &out, time.Now), &out, &errOut)
		assert.Equal(t, tt.code, code, tt.args)
		got := errOut.String()
		if code == 0 {
			got = out.String()
			assert.Contains(t, got, "\n  -date-less-than string\n", "the flags are listed")
		}
		first, rest, _ := strings.Cut(got, "\n")
		if code == 1 {
			assert.True(t, strings.HasPrefix(first, tt.first), first)
			assert.NotContains(t, first, "cfsign: cfsign:")
		} else {
			assert.Equal(t, tt.first, first, tt.args)
		}
		if tt.usageOnFail {
			assert.True(t, strings.HasPrefix(rest, "\nusage: cfsign "), rest)
		} else if code != 0 {
			assert.Empty(t, rest, "one line per error")
		}
	}
}
