package interop

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"

	mpl "github.com/aws/aws-cryptographic-material-providers-library/releases/go/mpl/awscryptographymaterialproviderssmithygenerated"
	mpltypes "github.com/aws/aws-cryptographic-material-providers-library/releases/go/mpl/awscryptographymaterialproviderssmithygeneratedtypes"
	esdk "github.com/aws/aws-encryption-sdk/releases/go/encryption-sdk/awscryptographyencryptionsdksmithygenerated"
	esdktypes "github.com/aws/aws-encryption-sdk/releases/go/encryption-sdk/awscryptographyencryptionsdksmithygeneratedtypes"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/kms"
	"github.com/kumo-go/kumo/kms/kmstest"
)

// TestOfficialKMSRSAKeyring has the official Go Encryption SDK's AWS KMS RSA
// keyring (the Material Providers Library's CreateAwsKmsRsaKeyring) and
// kumo's read each other's messages, both algorithms, with an aws-sdk-go-v2
// KMS client of the official keyring talking to a kmstest Fake over KMS's
// wire protocol. The JavaScript SDK 5.0.2 has no KMS RSA keyring, and moto
// does not model RSA decryption (its GetPublicKey has no KeySpec either),
// so this is the independent check: the SHA-384 context digest, the OAEP
// wrapping, the provider ID and info, and the Decrypt request.
func TestOfficialKMSRSAKeyring(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60e9)
	defer cancel()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	fake := kmstest.New()
	keyARN, err := fake.ImportRSAKey(priv)
	require.NoError(t, err)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	sdk := awskms.New(awskms.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	require.NoError(t, err)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})

	m, err := mpl.NewClient(mpltypes.MaterialProvidersConfig{})
	require.NoError(t, err)
	policy := mpltypes.ESDKCommitmentPolicyRequireEncryptRequireDecrypt
	off, err := esdk.NewClient(esdktypes.AwsEncryptionSdkConfig{CommitmentPolicy: &policy})
	require.NoError(t, err)
	suite := mpltypes.ESDKAlgorithmSuiteIdAlgAes256GcmHkdfSha512CommitKey
	ec := map[string]string{"purpose": "kms-rsa", "team": "kumo"}
	pt := []byte("wrapped offline, unwrapped by KMS")

	for _, alg := range []types.EncryptionAlgorithmSpec{types.EncryptionAlgorithmSpecRsaesOaepSha1, types.EncryptionAlgorithmSpecRsaesOaepSha256} {
		t.Run(string(alg), func(t *testing.T) {
			offKR, err := m.CreateAwsKmsRsaKeyring(ctx, mpltypes.CreateAwsKmsRsaKeyringInput{
				EncryptionAlgorithm: alg, KmsKeyId: keyARN, KmsClient: sdk, PublicKey: pubPEM,
			})
			require.NoError(t, err)
			kumoKR, err := kms.NewKMSRSAKeyring(fake, keyARN, alg)
			require.NoError(t, err)
			c, err := kms.New(kumoKR)
			require.NoError(t, err)

			msg, err := c.Encrypt(ctx, pt, ec)
			require.NoError(t, err)
			out, err := off.Decrypt(ctx, esdktypes.DecryptInput{Ciphertext: msg, Keyring: offKR, EncryptionContext: ec})
			require.NoError(t, err, "kumo -> official")
			assert.True(t, bytes.Equal(pt, out.Plaintext), "kumo -> official")

			enc, err := off.Encrypt(ctx, esdktypes.EncryptInput{Plaintext: pt, Keyring: offKR, EncryptionContext: ec, AlgorithmSuiteId: &suite})
			require.NoError(t, err)
			h, err := kms.ParseHeader(bytes.NewReader(enc.Ciphertext))
			require.NoError(t, err)
			require.Len(t, h.EncryptedDataKeys, 1)
			assert.Equal(t, "aws-kms-rsa", h.EncryptedDataKeys[0].ProviderID)
			assert.Equal(t, keyARN, string(h.EncryptedDataKeys[0].ProviderInfo))
			got, err := c.Decrypt(ctx, enc.Ciphertext, ec)
			require.NoError(t, err, "official -> kumo")
			assert.True(t, bytes.Equal(pt, got), "official -> kumo")

			// The other algorithm does not open what this one wrapped, on either side.
			other := types.EncryptionAlgorithmSpecRsaesOaepSha256
			if alg == other {
				other = types.EncryptionAlgorithmSpecRsaesOaepSha1
			}
			wrong, err := kms.NewKMSRSAKeyring(fake, keyARN, other)
			require.NoError(t, err)
			wc, err := kms.New(wrong)
			require.NoError(t, err)
			_, err = wc.Decrypt(ctx, enc.Ciphertext, ec)
			require.ErrorIs(t, err, kms.ErrNoDataKey)
		})
	}
}

// TestOfficialKeyringsRefuseNonARNProviderInfo: the official Go SDK's KMS
// RSA keyring and KMS keyring refuse a message with a data key of theirs
// whose provider info is not an ARN ("Malformed arn"), beside one that
// decrypts; kumo's used to skip it and decrypt. (An alias ARN the official
// keyrings skip, and kumo refuses, as the JavaScript SDK's MRK-aware
// keyrings do: no KMS keyring writes one.)
func TestOfficialKeyringsRefuseNonARNProviderInfo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60e9)
	defer cancel()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	fake := kmstest.New()
	rsaARN, err := fake.ImportRSAKey(priv)
	require.NoError(t, err)
	symARN := fake.CreateKey()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	sdk := awskms.New(awskms.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	require.NoError(t, err)
	m, err := mpl.NewClient(mpltypes.MaterialProvidersConfig{})
	require.NoError(t, err)
	policy := mpltypes.ESDKCommitmentPolicyRequireEncryptRequireDecrypt
	off, err := esdk.NewClient(esdktypes.AwsEncryptionSdkConfig{CommitmentPolicy: &policy})
	require.NoError(t, err)
	alg := types.EncryptionAlgorithmSpecRsaesOaepSha256
	offRSA, err := m.CreateAwsKmsRsaKeyring(ctx, mpltypes.CreateAwsKmsRsaKeyringInput{EncryptionAlgorithm: alg, KmsKeyId: rsaARN, KmsClient: sdk,
		PublicKey: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})})
	require.NoError(t, err)
	offKMS, err := m.CreateAwsKmsKeyring(ctx, mpltypes.CreateAwsKmsKeyringInput{KmsKeyId: symARN, KmsClient: sdk})
	require.NoError(t, err)
	kumoRSA, err := kms.NewKMSRSAKeyring(fake, rsaARN, alg)
	require.NoError(t, err)
	kumoKMS, err := kms.NewKMSKeyring(fake, symARN)
	require.NoError(t, err)

	for _, tt := range []struct {
		name       string
		providerID string
		kumo       kms.Keyring
		official   mpltypes.IKeyring
	}{
		{"KMS RSA", "aws-kms-rsa", kumoRSA, offRSA},
		{"KMS", "aws-kms", kumoKMS, offKMS},
	} {
		for _, info := range []string{"", "not an ARN", "alias/app"} {
			t.Run(fmt.Sprintf("%s/%q", tt.name, info), func(t *testing.T) {
				enc, err := kms.NewMultiKeyring(tt.kumo, dataKeyAdder{ProviderID: tt.providerID, ProviderInfo: []byte(info), Ciphertext: []byte("junk")})
				require.NoError(t, err)
				c, err := kms.New(enc)
				require.NoError(t, err)
				msg, err := c.Encrypt(ctx, []byte("pt"), nil)
				require.NoError(t, err)
				_, oerr := off.Decrypt(ctx, esdktypes.DecryptInput{Ciphertext: msg, Keyring: tt.official})
				require.Error(t, oerr, "official")
				assert.Contains(t, oerr.Error(), "Malformed arn", "official")
				c, err = kms.New(tt.kumo)
				require.NoError(t, err)
				_, kerr := c.Decrypt(ctx, msg, nil)
				require.ErrorIs(t, kerr, kms.ErrMalformed, "kumo")
			})
		}
	}
}

// dataKeyAdder adds one made-up encrypted data key to each message.
type dataKeyAdder kms.EncryptedDataKey

func (d dataKeyAdder) OnEncrypt(_ context.Context, m *kms.EncryptionMaterials) error {
	m.EncryptedDataKeys = append(m.EncryptedDataKeys, kms.EncryptedDataKey(d))
	return nil
}

func (dataKeyAdder) OnDecrypt(context.Context, *kms.DecryptionMaterials, []kms.EncryptedDataKey) error {
	return errors.New("dataKeyAdder cannot decrypt")
}
