package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/cli"
	"github.com/kumo-go/kumo/internal/moto"
)

func TestMain(m *testing.M) { os.Exit(moto.Run(m)) }

const keyJSON = `{"AccessKey":{"UserName":"alice","AccessKeyId":"AKIAIOSFODNN7EXAMPLE","Status":"Active","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}`

func runCmd(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out)
	return out.String(), err
}

func TestCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "users")
	out, err := runCmd(t, keyJSON, "import", "-dir", dir, "-region", "eu-west-1")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "alice.ini")+"\n", out)

	keyFile := filepath.Join(t.TempDir(), "key.json")
	require.NoError(t, os.WriteFile(keyFile, []byte(keyJSON), 0o600))
	_, err = runCmd(t, "", "import", "-dir", dir, "-profile", "o'brien", "-in", keyFile)
	require.ErrorContains(t, err, `invalid profile name: "o'brien" has "'" at byte 1`)
	_, err = runCmd(t, "", "import", "-dir", dir, "-profile", "bob", "-in", keyFile)
	require.NoError(t, err)

	out, err = runCmd(t, "", "list", "-dir", dir)
	require.NoError(t, err)
	assert.Equal(t, "alice\nbob\n", out)

	out, err = runCmd(t, "", "env", "-dir", dir, "-profile", "alice")
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("export AWS_SHARED_CREDENTIALS_FILE='%s'\nexport AWS_PROFILE='alice'\n", filepath.Join(dir, "alice.ini")), out)

	out, err = runCmd(t, "", "export", "-dir", dir, "-profile", "alice")
	require.NoError(t, err)
	assert.Equal(t, "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nexport AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", out)
	out, err = runCmd(t, "", "export", "-dir", dir, "-profile", "alice", "-format", "powershell")
	require.NoError(t, err)
	assert.Equal(t, "$Env:AWS_ACCESS_KEY_ID=\"AKIAIOSFODNN7EXAMPLE\"\n$Env:AWS_SECRET_ACCESS_KEY=\"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\n", out)

	require.NoError(t, func() error { _, err := runCmd(t, "", "remove", "-dir", dir, "-profile", "bob"); return err }())
	out, err = runCmd(t, "", "list", "-dir", dir)
	require.NoError(t, err)
	assert.Equal(t, "alice\n", out)

	for _, tt := range []struct {
		args []string
		err  string
	}{
		{nil, "missing command: want one of import list env export whoami remove"},
		{[]string{"frob"}, `unknown command "frob": want one of import list env export whoami remove`},
		{[]string{"list"}, "list: -dir is required"},
		{[]string{"env", "-dir", dir}, "env: -profile is required"},
		{[]string{"env", "-dir", dir, "-profile", "bob"}, `profile not found: "bob"`},
		{[]string{"list", "-dir", dir, "-bogus"}, "list: flag provided but not defined: -bogus"},
		{[]string{"import", "-dir", dir, "-in", filepath.Join(dir, "missing.json")}, "no such file"},
		{[]string{"export", "-dir", dir, "-profile", "alice", "-format", "yaml"}, `export: -format "yaml": want one of [process env env-no-export powershell windows-cmd fish]`},
	} {
		_, err := runCmd(t, "", tt.args...)
		require.Error(t, err, tt.args)
		assert.Contains(t, err.Error(), tt.err)
		assert.NotContains(t, err.Error(), "\n", "one line")
	}
	_, err = runCmd(t, `{"AccessKey":{}}`, "import", "-dir", dir)
	assert.ErrorContains(t, err, "access key JSON has no UserName, AccessKeyId, Status, SecretAccessKey")
}

// Commands that only read never create the folder they are pointed at.
func TestReadOnlyCommandsCreateNothing(t *testing.T) {
	typo := filepath.Join(t.TempDir(), "typo", "users")
	for _, args := range [][]string{
		{"list", "-dir", typo},
		{"env", "-dir", typo, "-profile", "alice"},
		{"export", "-dir", typo, "-profile", "alice"},
		{"whoami", "-dir", typo, "-profile", "alice"},
		{"remove", "-dir", typo, "-profile", "alice"},
	} {
		_, err := runCmd(t, "", args...)
		require.Error(t, err, args)
		assert.Regexp(t, "does not exist|no folder", err.Error(), args)
	}
	_, err := os.Stat(filepath.Dir(typo))
	require.ErrorIs(t, err, os.ErrNotExist)
	_, err = runCmd(t, "", "list", "-dir", "")
	require.ErrorContains(t, err, "-dir is required")
}

func TestWhoamiAgainstMoto(t *testing.T) {
	cfg := moto.Config(t)
	ctx := context.Background()
	client := iam.NewFromConfig(cfg)
	user, userARN := moto.NewUser(t, client, "whoami-")
	var err error
	key, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	require.NoError(t, err)
	js := fmt.Sprintf(`{"AccessKey":{"UserName":%q,"AccessKeyId":%q,"Status":"Active","SecretAccessKey":%q}}`,
		user, aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey))
	dir := t.TempDir()
	_, err = runCmd(t, js, "import", "-dir", dir)
	require.NoError(t, err)
	out, err := runCmd(t, "", "whoami", "-dir", dir, "-profile", user, "-endpoint", moto.Endpoint(t))
	require.NoError(t, err)
	assert.Equal(t, userARN+"\n", out)
}

// TestCommandLine runs the program as main does, each command included:
// -h prints the usage on stdout and exits 0; a wrong command line prints
// one error line and the usage on stderr and exits 2; a failure prints one
// line and exits 1.
func TestCommandLine(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	for _, tt := range []struct {
		args  []string
		code  int
		first string // of stdout for code 0, else of stderr
	}{
		{[]string{"-h"}, 0, "usage: profiles import|list|env|export|whoami|remove -dir DIR [flags]"},
		{[]string{"help"}, 0, "usage: profiles import|list|env|export|whoami|remove -dir DIR [flags]"},
		{[]string{"import", "-h"}, 0, "usage: profiles import -dir DIR [-profile NAME] [-region R] [-in F]"},
		{[]string{"list", "-h"}, 0, "usage: profiles list -dir DIR"},
		{[]string{"env", "-h"}, 0, "usage: profiles env -dir DIR -profile NAME"},
		{[]string{"export", "-h"}, 0, "usage: profiles export -dir DIR -profile NAME [-format process|env|env-no-export|powershell|windows-cmd|fish]"},
		{[]string{"help", "whoami"}, 0, "usage: profiles whoami -dir DIR -profile NAME [-endpoint URL] [-debug]"},
		{[]string{"remove", "-help"}, 0, "usage: profiles remove -dir DIR -profile NAME"},
		{nil, 2, "profiles: missing command: want one of import list env export whoami remove"},
		{[]string{"frob"}, 2, `profiles: unknown command "frob": want one of import list env export whoami remove`},
		{[]string{"list", "-bogus"}, 2, "profiles: list: flag provided but not defined: -bogus"},
		{[]string{"list"}, 2, "profiles: list: -dir is required"},
		{[]string{"list", "-dir", missing}, 1, ""},
		// A wrong -format is a wrong command line, found before any file is read.
		{[]string{"export", "-dir", missing, "-profile", "alice", "-format", "yaml"}, 2, `profiles: export: -format "yaml": want one of [process env env-no-export powershell windows-cmd fish]`},
		// A flag of another command is refused, not silently dropped.
		{[]string{"list", "-dir", missing, "-region", "eu-west-1"}, 2, "profiles: list: flag provided but not defined: -region"},
		{[]string{"env", "-dir", missing, "-profile", "a", "-format", "fish"}, 2, "profiles: env: flag provided but not defined: -format"},
		{[]string{"remove", "-dir", missing, "-profile", "a", "-endpoint", "http://127.0.0.1:1"}, 2, "profiles: remove: flag provided but not defined: -endpoint"},
	} {
		var out, errOut bytes.Buffer
		code := cli.Exit("profiles", run(context.Background(), tt.args, strings.NewReader(""), &out), &out, &errOut)
		assert.Equal(t, tt.code, code, tt.args)
		got := errOut.String()
		if code == 0 {
			got = out.String()
		}
		first, rest, _ := strings.Cut(got, "\n")
		switch code {
		case 0:
			assert.Equal(t, tt.first, first, tt.args)
		case 1:
			assert.True(t, strings.HasPrefix(first, "profiles: "), first)
			assert.Empty(t, rest, "one line per error")
		case 2:
			assert.Equal(t, tt.first, first, tt.args)
			assert.True(t, strings.HasPrefix(rest, "\nusage: profiles "), rest)
		}
	}
}
