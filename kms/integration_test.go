package kms_test

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/moto"
	"github.com/kumo-go/kumo/kms"
)

func TestMain(m *testing.M) { os.Exit(moto.Run(m)) }

// TestMotoKMS runs the KMS keyring, context enforcement and ReEncrypt
// re-wrapping against moto's KMS.
func TestMotoKMS(t *testing.T) {
	client := awskms.NewFromConfig(moto.Config(t))
	newKey := func() string {
		out, err := client.CreateKey(ctx, &awskms.CreateKeyInput{Description: aws.String("kumo test")})
		require.NoError(t, err)
		return aws.ToString(out.KeyMetadata.Arn)
	}
	keyA, keyB := newKey(), newKey()
	alias := fmt.Sprintf("alias/kumo-%d", time.Now().UnixNano())
	_, err := client.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: aws.String(keyA)})
	require.NoError(t, err)

	ring, err := kms.NewKMSKeyring(client, alias)
	require.NoError(t, err)
	c := newClient(t, ring, func(o *kms.Options) { o.Suite = kms.SuiteCommittedSigned })
	ec := map[string]string{"tenant": "acme"}
	pt := randBytes(100_000)
	msg, err := c.Encrypt(ctx, pt, ec)
	require.NoError(t, err)
	h, err := kms.ParseHeader(bytes.NewReader(msg))
	require.NoError(t, err)
	assert.Equal(t, keyA, string(h.EncryptedDataKeys[0].ProviderInfo), "moto answers with the key ARN")

	got, err := c.Decrypt(ctx, msg, ec)
	require.NoError(t, err, "the alias is resolved with DescribeKey for strict decrypt")
	assert.True(t, bytes.Equal(pt, got))

	_, err = c.Decrypt(ctx, msg, map[string]string{"tenant": "other"})
	require.ErrorIs(t, err, kms.ErrEncryptionContext)
	_, err = c.Decrypt(ctx, msg, map[string]string{"tenant": "acme", "not": "stored"})
	require.Error(t, err, "KMS itself refuses a context the key was not wrapped under")

	to, err := kms.NewKMSKeyring(client, keyB)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, c.Rewrap(ctx, &out, bytes.NewReader(msg), to))
	nh, err := kms.ParseHeader(bytes.NewReader(out.Bytes()))
	require.NoError(t, err)
	require.Len(t, nh.EncryptedDataKeys, 1)
	assert.Equal(t, keyB, string(nh.EncryptedDataKeys[0].ProviderInfo))
	got, err = newClient(t, to).Decrypt(ctx, out.Bytes(), ec)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(pt, got))

	disc, err := kms.NewKMSDiscoveryKeyring(client, &kms.DiscoveryFilter{Partition: "aws", AccountIDs: []string{moto.AccountID}})
	require.NoError(t, err)
	got, err = newClient(t, disc).Decrypt(ctx, out.Bytes(), ec)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(pt, got))
}
