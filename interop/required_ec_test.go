package interop

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"

	mpl "github.com/aws/aws-cryptographic-material-providers-library/releases/go/mpl/awscryptographymaterialproviderssmithygenerated"
	mpltypes "github.com/aws/aws-cryptographic-material-providers-library/releases/go/mpl/awscryptographymaterialproviderssmithygeneratedtypes"
	esdktypes "github.com/aws/aws-encryption-sdk/releases/go/encryption-sdk/awscryptographyencryptionsdksmithygeneratedtypes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/kms"
)

// Required encryption context against the official Go Encryption SDK's
// required-encryption-context CMM (the JavaScript SDK 5.0.2 has none):
// messages either writes, with pairs authenticated but not stored, decrypt
// in the other when the pairs are supplied and fail without them; both
// report the same authenticated context, header and stored pairs.
func TestRequiredEncryptionContextWithOfficialGoSDK(t *testing.T) {
	ctx := context.Background()
	off, offKR := official(t)
	m, err := mpl.NewClient(mpltypes.MaterialProvidersConfig{})
	require.NoError(t, err)
	requiredKeys := []string{"tenant", "region"}
	underlying, err := m.CreateDefaultCryptographicMaterialsManager(ctx, mpltypes.CreateDefaultCryptographicMaterialsManagerInput{Keyring: offKR})
	require.NoError(t, err)
	cmm, err := m.CreateRequiredEncryptionContextCMM(ctx, mpltypes.CreateRequiredEncryptionContextCMMInput{
		RequiredEncryptionContextKeys: requiredKeys, UnderlyingCMM: underlying,
	})
	require.NoError(t, err)
	ec := map[string]string{"tenant": "acme", "region": "eu-west-1", "purpose": "interop", "ünï": "cödé"}
	reproduced := map[string]string{"tenant": "acme", "region": "eu-west-1"}
	stored := map[string]string{"purpose": "interop", "ünï": "cödé"}

	for _, suite := range []kms.Suite{kms.SuiteCommitted, kms.SuiteCommittedSigned} {
		for _, size := range []int{0, 1, 5000} {
			t.Run(fmt.Sprintf("%04x/%d", uint16(suite), size), func(t *testing.T) {
				pt := bytes.Repeat([]byte{byte(size)}, size)
				k := kumoAES(t, func(o *kms.Options) { o.Suite, o.RequiredEncryptionContextKeys = suite, requiredKeys })
				id := mpltypes.ESDKAlgorithmSuiteIdAlgAes256GcmHkdfSha512CommitKey
				if suite.Signed() {
					id = mpltypes.ESDKAlgorithmSuiteIdAlgAes256GcmHkdfSha512CommitKeyEcdsaP384
				}
				frame := int64(4096)
				offEnc, err := off.Encrypt(ctx, esdktypes.EncryptInput{Plaintext: pt, MaterialsManager: cmm, EncryptionContext: ec, AlgorithmSuiteId: &id, FrameLength: &frame})
				require.NoError(t, err)
				kumoMsg, err := k.Encrypt(ctx, pt, ec)
				require.NoError(t, err)

				for name, msg := range map[string][]byte{"kumo's": kumoMsg, "the official SDK's": offEnc.Ciphertext} {
					h, err := kms.ParseHeader(bytes.NewReader(msg))
					require.NoError(t, err)
					pub := h.EncryptionContext["aws-crypto-public-key"]
					delete(h.EncryptionContext, "aws-crypto-public-key")
					assert.Equal(t, stored, h.EncryptionContext, "%s: only the unrequired pairs are stored", name)

					// The official SDK decrypts with the pairs, through its
					// required-EC CMM and through a plain keyring.
					res, err := off.Decrypt(ctx, esdktypes.DecryptInput{Ciphertext: msg, MaterialsManager: cmm, EncryptionContext: reproduced})
					require.NoError(t, err, "%s: the official SDK's CMM", name)
					assert.True(t, bytes.Equal(pt, res.Plaintext))
					res, err = off.Decrypt(ctx, esdktypes.DecryptInput{Ciphertext: msg, Keyring: offKR, EncryptionContext: reproduced})
					require.NoError(t, err, "%s: the official SDK's keyring", name)
					assert.True(t, bytes.Equal(pt, res.Plaintext))
					_, err = off.Decrypt(ctx, esdktypes.DecryptInput{Ciphertext: msg, Keyring: offKR})
					require.Error(t, err, "%s: the official SDK without the pairs", name)
					_, err = off.Decrypt(ctx, esdktypes.DecryptInput{Ciphertext: msg, Keyring: offKR, EncryptionContext: map[string]string{"tenant": "other", "region": "eu-west-1"}})
					require.Error(t, err, "%s: the official SDK with a wrong pair", name)

					// kumo decrypts with the pairs, and reports the same
					// context as the official SDK.
					got, dh, err := k.DecryptWithHeader(ctx, msg, reproduced)
					require.NoError(t, err, "%s: kumo", name)
					assert.True(t, bytes.Equal(pt, got))
					assert.Equal(t, res.EncryptionContext, dh.EncryptionContext, "%s: the context kumo and the official SDK report", name)
					assert.Equal(t, requiredKeysSorted(requiredKeys), dh.NotStoredKeys)
					assert.Equal(t, suite, dh.Suite)
					assert.Equal(t, 4096, dh.FrameLength)
					if suite.Signed() {
						assert.Equal(t, pub, dh.EncryptionContext["aws-crypto-public-key"])
					}
					_, err = k.Decrypt(ctx, msg, nil)
					require.ErrorIs(t, err, kms.ErrEncryptionContext, "%s: kumo without the pairs", name)
					_, err = k.Decrypt(ctx, msg, map[string]string{"tenant": "other", "region": "eu-west-1"})
					require.Error(t, err, "%s: kumo with a wrong pair", name)
					plain := kumoAES(t)
					_, err = plain.Decrypt(ctx, msg, map[string]string{"tenant": "acme"})
					require.ErrorIs(t, err, kms.ErrNoDataKey, "%s: kumo with one pair missing, no required keys set", name)
				}
			})
		}
	}
}

func requiredKeysSorted(keys []string) []string {
	return slices.Sorted(slices.Values(keys))
}
