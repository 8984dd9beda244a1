package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/kms/kmstest"
)

// kmsEndpoint serves an in-memory KMS of every Region on one endpoint and
// sets the credentials the program signs with.
func kmsEndpoint(t *testing.T, regions *kmstest.Regions) string {
	srv := httptest.NewServer(regions)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	return srv.URL
}

// TestMRKRegionFlag: a file encrypted under a multi-Region key in
// us-east-1 decrypts in us-west-2 while us-east-1's key is disabled, with
// -key-id and with -discovery.
func TestMRKRegionFlag(t *testing.T) {
	regions := kmstest.NewRegions()
	arns, err := regions.CreateMultiRegionKey("us-east-1", "us-west-2")
	require.NoError(t, err)
	endpoint := kmsEndpoint(t, regions)
	dir := t.TempDir()
	plain := filepath.Join(dir, "data")
	require.NoError(t, os.WriteFile(plain, []byte("in two regions"), 0o600))

	_, err = envelope(t, nil, "encrypt", "-in", plain, "-out", plain+".enc", "-key-id", arns[0], "-endpoint", endpoint, "-context", "app=test")
	require.NoError(t, err)
	require.NoError(t, regions.Fake("us-east-1").SetKeyState(arns[0], types.KeyStateDisabled))

	_, err = envelope(t, nil, "decrypt", "-in", plain+".enc", "-out", "-", "-key-id", arns[0], "-endpoint", endpoint)
	require.Error(t, err, "us-east-1 is down")
	for name, args := range map[string][]string{
		"key":       {"-key-id", arns[0], "-mrk-region", "us-west-2"},
		"discovery": {"-discovery", "-mrk-region", "eu-west-1", "-mrk-region", "us-west-2"},
	} {
		out, err := envelope(t, nil, append([]string{"decrypt", "-in", plain + ".enc", "-out", "-", "-endpoint", endpoint, "-context", "app=test"}, args...)...)
		require.NoError(t, err, name)
		assert.Equal(t, "in two regions", out, name)
	}
	_, err = envelope(t, nil, "decrypt", "-in", plain+".enc", "-out", "-", "-endpoint", endpoint, "-key-id", arns[0], "-mrk-region", "us-west-2", "-mrk-region", "eu-west-1")
	assert.EqualError(t, err, "-mrk-region: give one region, or several with -discovery")
}

// TestKMSRSAKeyFlag: encrypt offline with the public key file (no KMS
// call), decrypt through KMS.
func TestKMSRSAKeyFlag(t *testing.T) {
	regions := kmstest.NewRegions()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	fake := regions.Fake("us-east-1")
	keyARN, err := fake.ImportRSAKey(priv)
	require.NoError(t, err)
	endpoint := kmsEndpoint(t, regions)
	dir := t.TempDir()
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	require.NoError(t, err)
	pubFile := filepath.Join(dir, "pub.pem")
	require.NoError(t, os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600))
	plain := filepath.Join(dir, "secrets.yaml")
	require.NoError(t, os.WriteFile(plain, []byte("db: hunter2"), 0o600))

	_, err = envelope(t, nil, "encrypt", "-in", plain, "-out", plain+".enc", "-kms-rsa-key", keyARN, "-kms-rsa-public-key", pubFile, "-context", "app=test")
	require.NoError(t, err)
	assert.Empty(t, fake.CallCounts(), "encrypting with the public key calls no KMS")
	info, err := envelope(t, nil, "inspect", "-in", plain+".enc")
	require.NoError(t, err)
	assert.Contains(t, info, "aws-kms-rsa "+keyARN)

	out, err := envelope(t, nil, "decrypt", "-in", plain+".enc", "-out", "-", "-kms-rsa-key", keyARN, "-endpoint", endpoint, "-context", "app=test")
	require.NoError(t, err)
	assert.Equal(t, "db: hunter2", out)

	// Without the file, the public key comes from GetPublicKey; sha1 is the other padding.
	_, err = envelope(t, nil, "encrypt", "-in", plain, "-out", plain+".enc1", "-kms-rsa-key", keyARN, "-kms-rsa-oaep", "sha1", "-endpoint", endpoint)
	require.NoError(t, err)
	assert.Equal(t, 1, fake.Calls("GetPublicKey"))
	_, err = envelope(t, nil, "decrypt", "-in", plain+".enc1", "-out", "-", "-kms-rsa-key", keyARN, "-endpoint", endpoint)
	require.Error(t, err, "sha256, the default, does not open what sha1 wrapped")
	out, err = envelope(t, nil, "decrypt", "-in", plain+".enc1", "-out", "-", "-kms-rsa-key", keyARN, "-kms-rsa-oaep", "sha1", "-endpoint", endpoint)
	require.NoError(t, err)
	assert.Equal(t, "db: hunter2", out)

	_, err = envelope(t, nil, "encrypt", "-in", plain, "-out", plain+".enc2", "-kms-rsa-key", keyARN, "-kms-rsa-oaep", "md5", "-kms-rsa-public-key", pubFile)
	assert.EqualError(t, err, `-kms-rsa-oaep "md5": want sha256 or sha1`)
}
