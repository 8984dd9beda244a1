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
	_, err = runCmd(t, "", "import", "-dir", dir, "-profile", "o'brien", "-file", keyFile)
	require.ErrorContains(t, err, `invalid profile name: "o'brien" has "'" at byte 1`)
	_, err = runCmd(t, "", "import", "-dir", dir, "-profile", "bob", "-file", keyFile)
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
		{[]string{"import", "-dir", dir, "-file", filepath.Join(dir, "missing.json")}, "no such file"},
		{[]string{"export", "-dir", dir, "-profile", "alice", "-format", "yaml"}, `unknown export format "yaml"`},
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
