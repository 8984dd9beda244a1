package kms_test

import (
	"bytes"
	"context"
	"testing"

	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/kms"
	"github.com/kumo-go/kumo/kms/kmstest"
)

// blobless is a KMS whose wrapping operations succeed but answer with no
// ciphertext blob, as a broken proxy or a hand-written test double might.
type blobless struct {
	*kmstest.Fake
	ops map[string]bool
}

func (b blobless) GenerateDataKey(ctx context.Context, in *awskms.GenerateDataKeyInput, o ...func(*awskms.Options)) (*awskms.GenerateDataKeyOutput, error) {
	out, err := b.Fake.GenerateDataKey(ctx, in, o...)
	if err == nil && b.ops["GenerateDataKey"] {
		out.CiphertextBlob = nil
	}
	return out, err
}

func (b blobless) Encrypt(ctx context.Context, in *awskms.EncryptInput, o ...func(*awskms.Options)) (*awskms.EncryptOutput, error) {
	out, err := b.Fake.Encrypt(ctx, in, o...)
	if err == nil && b.ops["Encrypt"] {
		out.CiphertextBlob = nil
	}
	return out, err
}

func (b blobless) ReEncrypt(ctx context.Context, in *awskms.ReEncryptInput, o ...func(*awskms.Options)) (*awskms.ReEncryptOutput, error) {
	out, err := b.Fake.ReEncrypt(ctx, in, o...)
	if err == nil && b.ops["ReEncrypt"] {
		out.CiphertextBlob = []byte{}
	}
	return out, err
}

func (b blobless) GenerateDataKeyWithoutPlaintext(ctx context.Context, in *awskms.GenerateDataKeyWithoutPlaintextInput, o ...func(*awskms.Options)) (*awskms.GenerateDataKeyWithoutPlaintextOutput, error) {
	out, err := b.Fake.GenerateDataKeyWithoutPlaintext(ctx, in, o...)
	if err == nil && b.ops["GenerateDataKeyWithoutPlaintext"] {
		out.CiphertextBlob = nil
	}
	return out, err
}

// TestKMSAnswersWithoutCiphertext: a GenerateDataKey or Encrypt answer with
// no ciphertext blob used to be written into the message as an empty
// encrypted data key, so Encrypt succeeded with a message nobody could
// decrypt; a key store wrote branch keys nobody could read. Both now fail.
func TestKMSAnswersWithoutCiphertext(t *testing.T) {
	f := kmstest.New()
	mrk := f.CreateMultiRegionKey()
	other := f.CreateKey()
	for _, tt := range []struct {
		name    string
		op      string
		keyring func(kms.KMSAPI) (kms.Keyring, error)
		want    string
	}{
		{"KMS generator", "GenerateDataKey", func(c kms.KMSAPI) (kms.Keyring, error) { return kms.NewKMSKeyring(c, mrk) },
			"kms: GenerateDataKey with " + mrk + " answered with no ciphertext blob; a message without it could not be decrypted"},
		{"KMS extra key", "Encrypt", func(c kms.KMSAPI) (kms.Keyring, error) { return kms.NewKMSKeyring(c, mrk, other) },
			"kms: Encrypt with " + other + " answered with no ciphertext blob; a copy without it could not be decrypted"},
		{"KMS MRK", "GenerateDataKey", func(c kms.KMSAPI) (kms.Keyring, error) { return kms.NewKMSMRKKeyring(c, mrk) },
			"kms: GenerateDataKey with " + mrk + " answered with no ciphertext blob; a message without it could not be decrypted"},
		{"KMS MRK child", "Encrypt", func(c kms.KMSAPI) (kms.Keyring, error) {
			mk, err := kms.NewKMSMRKKeyring(c, mrk)
			require.NoError(t, err)
			return kms.NewMultiKeyring(aesKeyring(t), mk)
		}, "kms: Encrypt with " + mrk + " answered with no ciphertext blob; a copy without it could not be decrypted"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			k, err := tt.keyring(blobless{Fake: f, ops: map[string]bool{tt.op: true}})
			require.NoError(t, err)
			msg, err := newClient(t, k).Encrypt(ctx, []byte("x"), nil)
			assert.EqualError(t, err, tt.want)
			assert.Nil(t, msg)
		})
	}

	for _, op := range []string{"GenerateDataKeyWithoutPlaintext", "ReEncrypt"} {
		t.Run("key store "+op, func(t *testing.T) {
			table := kmstest.NewKeyStoreTable()
			store, err := kms.NewBranchKeyStore(table, blobless{Fake: f, ops: map[string]bool{op: true}}, "t", "t", other)
			require.NoError(t, err)
			_, err = store.CreateBranchKey(ctx, "", nil)
			require.ErrorContains(t, err, "answered with no ciphertext blob")
			assert.Zero(t, table.Len(), "nothing written")
		})
	}

	// Rewrap, whose ReEncrypt answers no blob, makes its copies with
	// OnEncrypt instead of writing an empty one.
	from, err := kms.NewKMSKeyring(f, other)
	require.NoError(t, err)
	c := newClient(t, from)
	msg, err := c.Encrypt(ctx, []byte("rewrapped"), nil)
	require.NoError(t, err)
	to, err := kms.NewKMSKeyring(blobless{Fake: f, ops: map[string]bool{"ReEncrypt": true}}, mrk)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, c.Rewrap(ctx, &out, bytes.NewReader(msg), to))
	h, err := kms.ParseHeader(bytes.NewReader(out.Bytes()))
	require.NoError(t, err)
	require.Len(t, h.EncryptedDataKeys, 1)
	assert.NotEmpty(t, h.EncryptedDataKeys[0].Ciphertext)
	toPlain, err := kms.NewKMSKeyring(f, mrk)
	require.NoError(t, err)
	pt, err := newClient(t, toPlain).Decrypt(ctx, out.Bytes(), nil)
	require.NoError(t, err)
	assert.Equal(t, "rewrapped", string(pt))
}
