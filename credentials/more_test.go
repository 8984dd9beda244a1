package credentials_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/credentials"
)

func TestLoadConfigTakesOnlyTheFile(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := credentials.OpenDir(t.TempDir())
	require.NoError(t, err)
	p := testProfile("alice")
	p.AccountID = "111122223333"
	require.NoError(t, d.Put(p))
	t.Setenv("AWS_REGION", "ap-south-1")
	t.Setenv("AWS_DEFAULT_REGION", "ap-south-2")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT00000")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "from-the-environment")
	t.Setenv("AWS_ACCOUNT_ID", "999999999999")
	t.Setenv("AWS_PROFILE", "someone-else")

	cfg, err := d.LoadConfig(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, "", cfg.Region, "no region in the file, none from the environment")
	c, err := cfg.Credentials.Retrieve(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{testKeyID, testSecret, "111122223333"}, []string{c.AccessKeyID, c.SecretAccessKey, c.AccountID})

	cfg, err = d.LoadConfig(ctx, "alice", config.WithRegion("us-west-2"))
	require.NoError(t, err)
	assert.Equal(t, "us-west-2", cfg.Region, "an option still wins")

	p.Region = "eu-west-1"
	require.NoError(t, d.Put(p))
	cfg, err = d.LoadConfig(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, "eu-west-1", cfg.Region)

	// A hand-edited file with a value that is a lone quote makes the SDK's
	// own loader panic (in any section); kumo refuses it first.
	path, _ := d.Path("alice")
	for _, bad := range []struct{ text, line string }{{"output = \"  # c\n", "4"}, {"[other]\n  x = '\n", "5"}} {
		require.NoError(t, os.WriteFile(path, []byte("[alice]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = "+testSecret+"\n"+bad.text), 0o600))
		_, err = d.LoadConfig(ctx, "alice")
		require.ErrorContains(t, err, path+" line "+bad.line+" has a value that is a lone quote", bad.text)
	}
}

// A nil option func is skipped: LoadConfig drops it before the SDK's
// loader, which would call it, sees it; the other options still apply.
func TestLoadConfigSkipsNilOptionFuncs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := credentials.OpenDir(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, d.Put(testProfile("alice")))
	var cfg aws.Config
	require.NotPanics(t, func() { cfg, err = d.LoadConfig(ctx, "alice", nil, config.WithRegion("us-west-2"), nil) })
	require.NoError(t, err)
	assert.Equal(t, "us-west-2", cfg.Region)
	require.NotPanics(t, func() { cfg, err = d.LoadConfig(ctx, "alice", nil) })
	require.NoError(t, err)
	assert.Equal(t, "", cfg.Region, "no region in the file")
	c, err := cfg.Credentials.Retrieve(ctx)
	require.NoError(t, err)
	assert.Equal(t, testKeyID, c.AccessKeyID)
}

func TestAccountID(t *testing.T) {
	d, err := credentials.OpenDir(t.TempDir())
	require.NoError(t, err)
	p := testProfile("alice")
	p.AccountID = "111122223333"
	require.NoError(t, d.Put(p))
	path, _ := d.Path("alice")
	assert.Equal(t, "[alice]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\naws_account_id = 111122223333\n", readFile(t, path))
	got, err := d.Get("alice")
	require.NoError(t, err)
	assert.Equal(t, p, got)
	assert.Equal(t, "111122223333", got.Credentials().AccountID)

	// New keys without an account drop the old account, as they drop a token.
	require.NoError(t, d.Put(testProfile("alice")))
	got, err = d.Get("alice")
	require.NoError(t, err)
	assert.Equal(t, "", got.AccountID)

	for _, bad := range []string{"12345678901", "1234567890123", "11112222333a", "111122223333\n"} {
		p.AccountID = bad
		err := d.Put(p)
		require.ErrorIs(t, err, credentials.ErrInvalidCredentials, bad)
		assert.NotContains(t, err.Error(), bad)
	}
}

func TestFromAccessKeyJSONNil(t *testing.T) {
	_, err := credentials.FromAccessKeyJSON(nil)
	require.ErrorIs(t, err, credentials.ErrInvalidCredentials)
}

// Values and names the AWS SDKs would read back differently are refused
// before anything is written, and the error never quotes the value.
func TestRefusesWhatTheSDKWouldReadDifferently(t *testing.T) {
	f, err := credentials.OpenSharedFile(writeTemp(t, "config", "", 0o600), credentials.ConfigFile)
	require.NoError(t, err)
	for _, v := range []string{"s3cr3t #x", "s3cr3t\t;x", "#s3cr3t", ";s3cr3t", `"s3cr3t"`, "'s3cr3t'", `"`} {
		err := f.SetKey("a", "k", v)
		require.Error(t, err, v)
		assert.NotContains(t, err.Error(), "s3cr3t")
	}
	for _, v := range []string{"a#b", "a;b", `say "hi"`, `"half`} {
		require.NoError(t, f.SetKey("a", "k", v), v)
	}
	for _, n := range []string{"a#b", "a;b", "a  b"} {
		require.ErrorIs(t, f.SetKey(n, "k", "v"), credentials.ErrInvalidProfileName, n)
	}
	cf, err := credentials.OpenSharedFile(writeTemp(t, "credentials", "", 0o600), credentials.CredentialsFile)
	require.NoError(t, err)
	p := testProfile("a")
	p.SessionToken = `"tok"`
	require.ErrorIs(t, cf.Set(p), credentials.ErrInvalidCredentials)
}
