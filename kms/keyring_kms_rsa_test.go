package kms_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/kms"
	"github.com/kumo-go/kumo/kms/kmstest"
)

var (
	rsa2048Once sync.Once
	rsa2048     *rsa.PrivateKey
)

// testRSAKey is one 2048-bit key for all tests (generating is slow).
func testRSAKey(t testing.TB) *rsa.PrivateKey {
	rsa2048Once.Do(func() {
		var err error
		rsa2048, err = rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
	})
	return rsa2048
}

func TestKMSRSAKeyringRoundTrip(t *testing.T) {
	fake := kmstest.New()
	keyARN, err := fake.ImportRSAKey(testRSAKey(t))
	require.NoError(t, err)
	ec := map[string]string{"tenant": "acme"}
	for _, alg := range []types.EncryptionAlgorithmSpec{types.EncryptionAlgorithmSpecRsaesOaepSha1, types.EncryptionAlgorithmSpecRsaesOaepSha256} {
		t.Run(string(alg), func(t *testing.T) {
			fake.ResetCalls()
			k, err := kms.NewKMSRSAKeyring(fake, keyARN, alg)
			require.NoError(t, err)
			c := newClient(t, k)
			var msgs [][]byte
			for range 2 {
				msg, err := c.Encrypt(ctx, []byte("sops"), ec)
				require.NoError(t, err)
				msgs = append(msgs, msg)
			}
			assert.Equal(t, 1, fake.Calls("GetPublicKey"), "the public key is fetched once")
			assert.Equal(t, 0, fake.Calls("Encrypt")+fake.Calls("GenerateDataKey"), "encryption is offline")
			h, err := kms.ParseHeader(bytes.NewReader(msgs[0]))
			require.NoError(t, err)
			require.Len(t, h.EncryptedDataKeys, 1)
			assert.Equal(t, "aws-kms-rsa", h.EncryptedDataKeys[0].ProviderID)
			assert.Equal(t, keyARN, string(h.EncryptedDataKeys[0].ProviderInfo))
			assert.Len(t, h.EncryptedDataKeys[0].Ciphertext, 256)

			pt, err := c.Decrypt(ctx, msgs[1], ec)
			require.NoError(t, err)
			assert.Equal(t, "sops", string(pt))

			// Encrypt-only with the public key given: no client, no call.
			pubOnly, err := kms.NewKMSRSAKeyring(nil, keyARN, alg, func(o *kms.KMSRSAOptions) { o.PublicKey = &testRSAKey(t).PublicKey })
			require.NoError(t, err)
			msg, err := newClient(t, pubOnly).Encrypt(ctx, []byte("offline"), ec)
			require.NoError(t, err)
			pt, err = c.Decrypt(ctx, msg, ec)
			require.NoError(t, err)
			assert.Equal(t, "offline", string(pt))
			_, err = newClient(t, pubOnly).Decrypt(ctx, msg, ec)
			require.ErrorIs(t, err, kms.ErrNoDataKey)
			assert.Contains(t, err.Error(), "kms: this KMS RSA keyring has no client, so it cannot decrypt")
		})
	}
}

func TestKMSRSAKeyringRefusals(t *testing.T) {
	fake := kmstest.New()
	keyARN, err := fake.ImportRSAKey(testRSAKey(t))
	require.NoError(t, err)
	sha256 := types.EncryptionAlgorithmSpecRsaesOaepSha256
	k, err := kms.NewKMSRSAKeyring(fake, keyARN, sha256)
	require.NoError(t, err)
	msg, err := newClient(t, k).Encrypt(ctx, []byte("x"), map[string]string{"a": "b"})
	require.NoError(t, err)

	t.Run("other algorithm", func(t *testing.T) {
		sha1, err := kms.NewKMSRSAKeyring(fake, keyARN, types.EncryptionAlgorithmSpecRsaesOaepSha1)
		require.NoError(t, err)
		_, err = newClient(t, sha1).Decrypt(ctx, msg, nil)
		var apiErr smithy.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, "InvalidCiphertextException", apiErr.ErrorCode())
	})
	t.Run("context digest", func(t *testing.T) {
		// The keyring itself, below the client's own context checks.
		em := &kms.EncryptionMaterials{Suite: kms.SuiteCommitted, EncryptionContext: map[string]string{"a": "b"}}
		require.NoError(t, k.OnEncrypt(ctx, em))
		dm := &kms.DecryptionMaterials{Suite: kms.SuiteCommitted, EncryptionContext: map[string]string{"a": "c"}}
		err := k.OnDecrypt(ctx, dm, em.EncryptedDataKeys)
		require.ErrorIs(t, err, kms.ErrEncryptionContext)
		assert.Nil(t, dm.PlaintextDataKey)
		dm.EncryptionContext = map[string]string{"a": "b"}
		require.NoError(t, k.OnDecrypt(ctx, dm, em.EncryptedDataKeys))
		assert.Equal(t, em.PlaintextDataKey, dm.PlaintextDataKey)
	})
	t.Run("signed suite", func(t *testing.T) {
		_, err := newClient(t, k, func(o *kms.Options) { o.Suite = kms.SuiteCommittedSigned }).Encrypt(ctx, []byte("x"), nil)
		assert.EqualError(t, err, "kms: the KMS RSA keyring refuses the signed suite AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384 (0x0578) (anyone with the public key could sign); use SuiteCommitted")
	})
	t.Run("symmetric key", func(t *testing.T) {
		sym := fake.CreateKey()
		k, err := kms.NewKMSRSAKeyring(fake, sym, sha256)
		require.NoError(t, err)
		_, err = newClient(t, k).Encrypt(ctx, []byte("x"), nil)
		var apiErr smithy.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, "UnsupportedOperationException", apiErr.ErrorCode())
	})
	t.Run("other key's data keys", func(t *testing.T) {
		other, err := fake.ImportRSAKey(testRSAKey(t))
		require.NoError(t, err)
		k, err := kms.NewKMSRSAKeyring(fake, other, sha256)
		require.NoError(t, err)
		before := fake.Calls("Decrypt")
		_, err = newClient(t, k).Decrypt(ctx, msg, nil)
		require.ErrorIs(t, err, kms.ErrNoDataKey)
		assert.Contains(t, err.Error(), "no aws-kms-rsa encrypted data key is for it")
		assert.Equal(t, before, fake.Calls("Decrypt"))
	})

	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	for _, tt := range []struct {
		name string
		fn   func() error
		want string
	}{
		{"alias", func() error { _, err := kms.NewKMSRSAKeyring(fake, "alias/rsa", sha256); return err }, `kms: the KMS RSA keyring needs a key ARN (arn:aws:kms:<region>:<account>:key/<id>), not "alias/rsa"`},
		{"key ID", func() error { _, err := kms.NewKMSRSAKeyring(fake, "1234", sha256); return err }, `kms: the KMS RSA keyring needs a key ARN (arn:aws:kms:<region>:<account>:key/<id>), not "1234"`},
		{"algorithm", func() error { _, err := kms.NewKMSRSAKeyring(fake, keyARN, "SYMMETRIC_DEFAULT"); return err }, `kms: unknown KMS RSA encryption algorithm "SYMMETRIC_DEFAULT"; allowed are RSAES_OAEP_SHA_1 and RSAES_OAEP_SHA_256`},
		{"nothing", func() error { _, err := kms.NewKMSRSAKeyring(nil, keyARN, sha256); return err }, "kms: the KMS RSA keyring needs a client, a public key (KMSRSAOptions.PublicKey), or both"},
		{"small key", func() error {
			_, err := kms.NewKMSRSAKeyring(nil, keyARN, sha256, func(o *kms.KMSRSAOptions) { o.PublicKey = &small.PublicKey })
			return err
		}, "kms: the KMS RSA keyring's public key has 1024 bits; at least 2048 are required"},
		{"empty key", func() error {
			_, err := kms.NewKMSRSAKeyring(nil, keyARN, sha256, func(o *kms.KMSRSAOptions) { o.PublicKey = &rsa.PublicKey{} })
			return err
		}, "kms: the KMS RSA keyring's public key has 0 bits; at least 2048 are required"},
	} {
		assert.EqualError(t, tt.fn(), tt.want, tt.name)
	}
}

func TestKmstestRSAKeys(t *testing.T) {
	fake := kmstest.New()
	_, err := fake.CreateRSAKey(types.KeySpecEccNistP256)
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "ValidationException", apiErr.ErrorCode())

	keyARN, err := fake.CreateRSAKey(types.KeySpecRsa2048)
	require.NoError(t, err)
	pk, err := fake.GetPublicKey(ctx, &awskms.GetPublicKeyInput{KeyId: aws.String(keyARN)})
	require.NoError(t, err)
	assert.Equal(t, types.KeySpecRsa2048, pk.KeySpec)
	assert.Equal(t, types.KeyUsageTypeEncryptDecrypt, pk.KeyUsage)
	d, err := fake.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(keyARN)})
	require.NoError(t, err)
	assert.Equal(t, types.KeySpecRsa2048, d.KeyMetadata.KeySpec)

	alg := types.EncryptionAlgorithmSpecRsaesOaepSha256
	enc, err := fake.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(keyARN), Plaintext: []byte("hi"), EncryptionAlgorithm: alg})
	require.NoError(t, err)
	dec, err := fake.Decrypt(ctx, &awskms.DecryptInput{KeyId: aws.String(keyARN), CiphertextBlob: enc.CiphertextBlob, EncryptionAlgorithm: alg})
	require.NoError(t, err)
	assert.Equal(t, "hi", string(dec.Plaintext))

	for name, tt := range map[string]struct {
		err  error
		code string
	}{
		"GenerateDataKey with RSA": {func() error {
			_, err := fake.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{KeyId: aws.String(keyARN), NumberOfBytes: aws.Int32(32)})
			return err
		}(), "InvalidKeyUsageException"},
		"Decrypt without KeyId": {func() error {
			_, err := fake.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionAlgorithm: alg})
			return err
		}(), "ValidationException"},
		"Decrypt with context": {func() error {
			_, err := fake.Decrypt(ctx, &awskms.DecryptInput{KeyId: aws.String(keyARN), CiphertextBlob: enc.CiphertextBlob, EncryptionAlgorithm: alg, EncryptionContext: map[string]string{"a": "b"}})
			return err
		}(), "ValidationException"},
		"RSA algorithm on a symmetric key": {func() error {
			_, err := fake.Decrypt(ctx, &awskms.DecryptInput{KeyId: aws.String(fake.CreateKey()), CiphertextBlob: enc.CiphertextBlob, EncryptionAlgorithm: alg})
			return err
		}(), "InvalidKeyUsageException"},
		"Encrypt too long": {func() error {
			_, err := fake.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(keyARN), Plaintext: make([]byte, 191), EncryptionAlgorithm: alg})
			return err
		}(), "ValidationException"},
	} {
		require.ErrorAs(t, tt.err, &apiErr, name)
		assert.Equal(t, tt.code, apiErr.ErrorCode(), name)
	}
	require.NoError(t, fake.SetKeyState(keyARN, types.KeyStateDisabled))
	_, err = fake.Decrypt(ctx, &awskms.DecryptInput{KeyId: aws.String(keyARN), CiphertextBlob: enc.CiphertextBlob, EncryptionAlgorithm: alg})
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "DisabledException", apiErr.ErrorCode())
}

// TestKMSRSAKeyringConcurrent: one keyring shared by goroutines fetches
// the public key safely (run with -race) and each message opens.
func TestKMSRSAKeyringConcurrent(t *testing.T) {
	fake := kmstest.New()
	keyARN, err := fake.ImportRSAKey(testRSAKey(t))
	require.NoError(t, err)
	k, err := kms.NewKMSRSAKeyring(fake, keyARN, types.EncryptionAlgorithmSpecRsaesOaepSha256)
	require.NoError(t, err)
	c := newClient(t, k)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg, err := c.Encrypt(ctx, []byte("x"), nil)
			if err == nil {
				_, err = c.Decrypt(ctx, msg, nil)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.LessOrEqual(t, fake.Calls("GetPublicKey"), 8)
	assert.Equal(t, 8, fake.Calls("Decrypt"))
}

// TestKMSRSAKeyringRefusesNonARNProviderInfo: an aws-kms-rsa data key whose
// provider info is not a key ARN used to be skipped, so the keyring
// decrypted messages the official Go SDK's KMS RSA keyring refuses
// ("Malformed arn"); it now fails, before any KMS call.
func TestKMSRSAKeyringRefusesNonARNProviderInfo(t *testing.T) {
	fake := kmstest.New()
	keyARN, err := fake.ImportRSAKey(testRSAKey(t))
	require.NoError(t, err)
	k, err := kms.NewKMSRSAKeyring(fake, keyARN, types.EncryptionAlgorithmSpecRsaesOaepSha256)
	require.NoError(t, err)
	msg, err := newClient(t, k).Encrypt(ctx, []byte("x"), nil)
	require.NoError(t, err)
	h, err := kms.ParseHeader(bytes.NewReader(msg))
	require.NoError(t, err)
	good := h.EncryptedDataKeys[0]
	for _, info := range []string{"", "not an ARN", "alias/app", "arn:aws:kms:us-east-1:123456789012:alias/app", "arn:aws:kms:us-east-1:123456789012:key/"} {
		bad := kms.EncryptedDataKey{ProviderID: "aws-kms-rsa", ProviderInfo: []byte(info), Ciphertext: good.Ciphertext}
		for order, edks := range map[string][]kms.EncryptedDataKey{"first": {bad, good}, "last": {good, bad}} {
			fake.ResetCalls()
			m := &kms.DecryptionMaterials{Suite: kms.SuiteCommitted, EncryptionContext: map[string]string{}}
			err := k.OnDecrypt(ctx, m, edks)
			require.ErrorIs(t, err, kms.ErrMalformed, "%q %s", info, order)
			assert.Nil(t, m.PlaintextDataKey)
			assert.Zero(t, fake.TotalCalls(), "KMS was called")
		}
	}
	// aws-kms data keys are not the RSA keyring's to judge.
	m := &kms.DecryptionMaterials{Suite: kms.SuiteCommitted, EncryptionContext: map[string]string{}}
	require.NoError(t, k.OnDecrypt(ctx, m, []kms.EncryptedDataKey{{ProviderID: "aws-kms", ProviderInfo: []byte("alias/app")}, good}))
}
