package kms_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/kms"
	"github.com/kumo-go/kumo/kms/kmstest"
)

func TestCacheOneGenerateDataKeyForManyEncrypts(t *testing.T) {
	fake := kmstest.New()
	kr, err := kms.NewKMSKeyring(fake, fake.CreateKey())
	require.NoError(t, err)
	cache, err := kms.NewCache()
	require.NoError(t, err)
	c := newClient(t, kr, func(o *kms.Options) { o.Cache = cache })
	ec := map[string]string{"tenant": "acme"}
	var wg sync.WaitGroup
	msgs := make([][]byte, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1250 {
				msg, err := c.Encrypt(ctx, []byte("m"), ec)
				if !assert.NoError(t, err) {
					return
				}
				if i == 0 {
					msgs[g] = msg
				}
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, fake.Calls("GenerateDataKey"), "10,000 encrypts under one context")
	for _, m := range msgs {
		got, err := c.Decrypt(ctx, m, ec)
		require.NoError(t, err)
		assert.Equal(t, "m", string(got))
	}
	assert.Equal(t, 1, fake.Calls("Decrypt"), "decrypts of the same data key hit the cache")
	_, err = c.Encrypt(ctx, []byte("m"), map[string]string{"tenant": "other"})
	require.NoError(t, err)
	assert.Equal(t, 2, fake.Calls("GenerateDataKey"), "another context, another key")
}

func TestCacheLimits(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	for _, tt := range []struct {
		name   string
		opts   func(*kms.CacheOptions)
		steps  func(c *kms.Client) error
		wantGD int
	}{
		{"max messages", func(o *kms.CacheOptions) { o.MaxMessages = 3 }, func(c *kms.Client) error {
			for range 7 {
				if _, err := c.Encrypt(ctx, []byte("x"), nil); err != nil {
					return err
				}
			}
			return nil
		}, 3},
		{"max bytes", func(o *kms.CacheOptions) { o.MaxBytes = 10 }, func(c *kms.Client) error {
			for range 4 {
				if _, err := c.Encrypt(ctx, []byte("12345"), nil); err != nil {
					return err
				}
			}
			_, err := c.Encrypt(ctx, make([]byte, 11), nil) // over the limit alone: bypasses the cache
			return err
		}, 3},
		{"max age", func(o *kms.CacheOptions) { o.MaxAge = time.Minute }, func(c *kms.Client) error {
			for range 3 {
				if _, err := c.Encrypt(ctx, []byte("x"), nil); err != nil {
					return err
				}
				now = now.Add(61 * time.Second)
			}
			return nil
		}, 3},
		{"streams bypass a byte-limited cache", func(o *kms.CacheOptions) { o.MaxBytes = 1 << 20 }, func(c *kms.Client) error {
			for range 2 {
				w, err := c.EncryptWriter(ctx, &bytes.Buffer{}, nil)
				if err != nil {
					return err
				}
				if err := w.Close(); err != nil {
					return err
				}
			}
			return nil
		}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := kmstest.New()
			kr, err := kms.NewKMSKeyring(fake, fake.CreateKey())
			require.NoError(t, err)
			cache, err := kms.NewCache(tt.opts, func(o *kms.CacheOptions) { o.Clock = clock })
			require.NoError(t, err)
			require.NoError(t, tt.steps(newClient(t, kr, func(o *kms.Options) { o.Cache = cache })))
			assert.Equal(t, tt.wantGD, fake.Calls("GenerateDataKey"))
		})
	}
}

func TestRewrap(t *testing.T) {
	fake := kmstest.New()
	oldKey, newKey, newKey2 := fake.CreateKey(), fake.CreateKey(), fake.CreateKey()
	for _, suite := range []kms.Suite{kms.SuiteCommitted, kms.SuiteCommittedSigned} {
		t.Run(suite.String(), func(t *testing.T) {
			from, err := kms.NewKMSKeyring(fake, oldKey)
			require.NoError(t, err)
			to, err := kms.NewKMSKeyring(fake, newKey, newKey2)
			require.NoError(t, err)
			c := newClient(t, from, func(o *kms.Options) { o.Suite, o.FrameSize = suite, 1000 })
			pt := randBytes(25_000)
			ec := map[string]string{"tenant": "acme"}
			msg, err := c.Encrypt(ctx, pt, ec)
			require.NoError(t, err)

			fake.ResetCalls()
			var out bytes.Buffer
			require.NoError(t, c.Rewrap(ctx, &out, bytes.NewReader(msg), to))
			assert.Equal(t, map[string]int{"Decrypt": 1, "ReEncrypt": 2}, fake.CallCounts(), "KMS work is O(1) per message")

			oldH, err := kms.ParseHeader(bytes.NewReader(msg))
			require.NoError(t, err)
			newH, err := kms.ParseHeader(bytes.NewReader(out.Bytes()))
			require.NoError(t, err)
			assert.NotEqual(t, oldH.MessageID, newH.MessageID, "a new message ID, so new derived keys")
			assert.Equal(t, oldH.FrameLength, newH.FrameLength)
			require.Len(t, newH.EncryptedDataKeys, 2)
			assert.Equal(t, newKey, string(newH.EncryptedDataKeys[0].ProviderInfo))
			assert.Equal(t, newKey2, string(newH.EncryptedDataKeys[1].ProviderInfo))
			oldBody := bodyOf(t, msg, suite.Signed())
			newBody := bodyOf(t, out.Bytes(), suite.Signed())
			assert.Equal(t, len(oldBody), len(newBody), "the same frames")
			assert.False(t, bytes.Equal(oldBody, newBody), "sealed again under the new message's keys")
			if suite.Signed() {
				assert.NotEqual(t, oldH.EncryptionContext["aws-crypto-public-key"], newH.EncryptionContext["aws-crypto-public-key"], "a new signing key")
			}

			for _, k := range []string{newKey, newKey2} {
				only, err := kms.NewKMSKeyring(fake, k)
				require.NoError(t, err)
				got, err := newClient(t, only).Decrypt(ctx, out.Bytes(), ec)
				require.NoError(t, err)
				assert.True(t, bytes.Equal(pt, got))
			}
			_, err = c.Decrypt(ctx, out.Bytes(), ec)
			require.ErrorIs(t, err, kms.ErrNoDataKey, "the old key no longer opens it")

			// A raw keyring as the target goes through OnEncrypt.
			var raw bytes.Buffer
			require.NoError(t, c.Rewrap(ctx, &raw, bytes.NewReader(msg), aesKeyring(t)))
			got, err := newClient(t, aesKeyring(t)).Decrypt(ctx, raw.Bytes(), ec)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(pt, got))

			// A tampered body: its frame's tag catches it.
			bad := bytes.Clone(msg)
			bad[len(bad)-len(oldBody)/2] ^= 1
			err = c.Rewrap(ctx, &bytes.Buffer{}, bytes.NewReader(bad), to)
			require.ErrorIs(t, err, kms.ErrAuthentication)
			require.Error(t, c.Rewrap(ctx, &bytes.Buffer{}, bytes.NewReader(msg[:len(msg)-3]), to))
		})
	}
}

// bodyOf returns a message's body: after the header, before any footer.
func bodyOf(t *testing.T, msg []byte, signed bool) []byte {
	t.Helper()
	var hdr bytes.Buffer
	_, err := kms.ParseHeader(io.TeeReader(bytes.NewReader(msg), &hdr))
	require.NoError(t, err)
	body := msg[hdr.Len():]
	if signed {
		// The footer is a two-byte length and a DER signature of 102 to 104 bytes.
		for l := 100; l <= 110; l++ {
			if int(body[len(body)-l-2])<<8|int(body[len(body)-l-1]) == l {
				return body[:len(body)-l-2]
			}
		}
		t.Fatal("no footer found")
	}
	return body
}

func TestDecryptOpenSSLAgainstOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed")
	}
	fake := kmstest.New()
	keyARN := fake.CreateKey()
	dk, err := fake.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{KeyId: aws.String(keyARN), NumberOfBytes: aws.Int32(32)})
	require.NoError(t, err)
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	content := bytes.Repeat([]byte("legacy record\n"), 300)
	require.NoError(t, os.WriteFile(plain, content, 0o600))
	b64 := filepath.Join(dir, "key.b64")
	require.NoError(t, os.WriteFile(b64, []byte(base64.StdEncoding.EncodeToString(dk.Plaintext)+"\n"), 0o600))
	raw := filepath.Join(dir, "key.raw")
	require.NoError(t, os.WriteFile(raw, dk.Plaintext, 0o600))

	for i, args := range [][]string{
		{"-pass", "file:" + b64},
		{"-pass", "file:" + b64, "-md", "md5"},
		{"-pass", "file:" + b64, "-pbkdf2"},
		{"-pass", "file:" + raw},
		{"-pass", "file:" + raw, "-md", "md5"},
		{"-pass", "file:" + raw, "-pbkdf2", "-iter", "10000"},
	} {
		enc := filepath.Join(dir, fmt.Sprintf("f%d.enc", i))
		cmd := exec.Command(openssl, append([]string{"enc", "-aes-256-cbc", "-salt", "-in", plain, "-out", enc}, args...)...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, string(out))
		data, err := os.ReadFile(enc)
		require.NoError(t, err)
		got, err := kms.DecryptOpenSSL(ctx, fake, dk.CiphertextBlob, data)
		require.NoError(t, err, args)
		assert.True(t, bytes.Equal(content, got), "openssl %v", args)
	}
	_, err = kms.DecryptOpenSSL(ctx, fake, dk.CiphertextBlob, []byte("not salted at all"))
	assert.EqualError(t, err, "kms: not an `openssl enc` file with a salt (it does not start with Salted__); files made with -nosalt are not supported")
}
