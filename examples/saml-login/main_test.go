package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/credentials"
	"github.com/kumo-go/kumo/internal/cli"
	"github.com/kumo-go/kumo/internal/moto"
)

func TestMain(m *testing.M) { os.Exit(moto.Run(m)) }

const (
	devRole = "arn:aws:iam::123456789012:role/Dev"
	opsRole = "arn:aws:iam::123456789012:role/Ops"
	idp     = "arn:aws:iam::123456789012:saml-provider/Corp"
)

func response(notOnOrAfter time.Time, pairs ...string) string {
	var v strings.Builder
	for _, p := range pairs {
		fmt.Fprintf(&v, "<saml:AttributeValue>%s</saml:AttributeValue>", p)
	}
	return base64.StdEncoding.EncodeToString([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">
<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
<saml:Assertion><saml:Issuer>idp</saml:Issuer><saml:Subject><saml:NameID>alice</saml:NameID></saml:Subject>
<saml:Conditions NotOnOrAfter="` + notOnOrAfter.UTC().Format(time.RFC3339) + `"/>
<saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">` + v.String() + `</saml:Attribute>
<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>alice@example.com</saml:AttributeValue></saml:Attribute>
</saml:AttributeStatement></saml:Assertion></samlp:Response>`))
}

func runCmd(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out)
	return out.String(), err
}

func TestListRoles(t *testing.T) {
	file := filepath.Join(t.TempDir(), "resp.txt")
	require.NoError(t, os.WriteFile(file, []byte(response(time.Now().Add(time.Hour), devRole+","+idp, idp+","+opsRole)), 0o600))
	out, err := runCmd(t, "", "-saml-response-file", file, "-list-roles")
	require.NoError(t, err)
	assert.Equal(t, devRole+" "+idp+"\n"+opsRole+" "+idp+"\n", out)
}

func TestAssumeIntoProfileAndConsole(t *testing.T) {
	endpoint := moto.Endpoint(t)
	fed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"SigninToken":"tok"}`)
	}))
	defer fed.Close()
	dir := filepath.Join(t.TempDir(), "users")
	resp := response(time.Now().Add(5*time.Minute), devRole+","+idp)

	out, err := runCmd(t, resp, "-saml-response-file", "-", "-dir", dir, "-profile", "dev", "-console", "-duration", "2h",
		"-endpoint", endpoint, "-federation-endpoint", fed.URL+"/federation")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	assert.True(t, strings.HasPrefix(lines[0], "assumed "+devRole+" until "), lines[0])
	assert.Equal(t, filepath.Join(dir, "dev.ini"), lines[1])
	assert.Equal(t, fed.URL+"/federation?Action=login&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2F&SigninToken=tok", lines[2])

	d, err := credentials.OpenDir(dir)
	require.NoError(t, err)
	p, err := d.Get("dev")
	require.NoError(t, err)
	assert.NotEmpty(t, p.SessionToken)
	assert.True(t, p.Expires.After(time.Now()), "expiry stored") // moto ignores DurationSeconds; iamx's tests check it is sent
	assert.NotContains(t, out, p.SecretAccessKey)
	assert.NotContains(t, out, p.SessionToken)
	fi, err := os.Stat(filepath.Join(dir, "dev.ini"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

// TestCommandLine runs the program as main does: -h prints the usage on
// stdout and exits 0; a wrong command line prints one error line and the
// usage on stderr and exits 2; a failure prints one line and exits 1.
func TestCommandLine(t *testing.T) {
	for _, tt := range []struct {
		args  []string
		code  int
		first string // of stdout for code 0, else of stderr
	}{
		{[]string{"-h"}, 0, "usage: saml-login -saml-response-file F -list-roles"},
		{nil, 2, "saml-login: -saml-response-file is required (a file, or - for standard input)"},
		{[]string{"-saml-response-file", "-"}, 2, "saml-login: nothing to do: pass -list-roles, -dir with -profile to store credentials, or -console for a sign-in URL"},
		{[]string{"-duration", "soon"}, 2, `saml-login: invalid value "soon" for flag -duration: parse error`},
		{[]string{"-saml-response-file", "-", "-list-roles"}, 1, "saml-login: iamx: unusable SAML response: neither XML"},
	} {
		var out, errOut bytes.Buffer
		code := cli.Exit("saml-login", run(context.Background(), tt.args, strings.NewReader("hello"), &out), &out, &errOut)
		assert.Equal(t, tt.code, code, tt.args)
		got := errOut.String()
		if code == 0 {
			got = out.String()
			assert.Contains(t, got, "\n  -saml-response-file string\n")
		}
		first, rest, _ := strings.Cut(got, "\n")
		switch code {
		case 0:
			assert.Equal(t, tt.first, first, tt.args)
		case 1:
			assert.True(t, strings.HasPrefix(first, tt.first), first)
			assert.Empty(t, rest, "one line per error")
		case 2:
			assert.Equal(t, tt.first, first, tt.args)
			assert.True(t, strings.HasPrefix(rest, "\nusage: saml-login "), rest)
		}
	}
}

func TestErrors(t *testing.T) {
	two := response(time.Now().Add(time.Hour), devRole+","+idp, opsRole+","+idp)
	expired := response(time.Now().Add(-time.Minute), devRole+","+idp)
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		stdin string
		args  []string
		want  string
	}{
		"no file":        {"", []string{"-console"}, "-saml-response-file is required"},
		"nothing to do":  {two, []string{"-saml-response-file", "-"}, "nothing to do"},
		"dir alone":      {two, []string{"-saml-response-file", "-", "-dir", dir}, "-dir and -profile go together"},
		"ambiguous":      {two, []string{"-saml-response-file", "-", "-console"}, `no role matches ""; choose one of 123456789012:Dev, 123456789012:Ops`},
		"expired":        {expired, []string{"-saml-response-file", "-", "-console"}, "the assertion expired"},
		"bad duration":   {two, []string{"-saml-response-file", "-", "-console", "-role", "Dev", "-duration", "13h"}, "outside 15m to 12h"},
		"not saml":       {"hello", []string{"-saml-response-file", "-", "-list-roles"}, "neither XML"},
		"missing file":   {"", []string{"-saml-response-file", filepath.Join(dir, "nope"), "-list-roles"}, "no such file"},
		"stray argument": {"", []string{"-list-roles", "extra"}, `unexpected argument "extra"`},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := runCmd(t, tc.stdin, tc.args...)
			assert.ErrorContains(t, err, tc.want)
			assert.Empty(t, out)
		})
	}
}
