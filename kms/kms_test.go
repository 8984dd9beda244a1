package kms_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/benchmem"
	"github.com/kumo-go/kumo/internal/goroutines"
	"github.com/kumo-go/kumo/kms"
	"github.com/kumo-go/kumo/kms/kmstest"
)

var ctx = context.Background()

func aesKeyring(t testing.TB) *kms.RawAESKeyring {
	t.Helper()
	k, err := kms.NewRawAESKeyring("kumo-test", "key-1", bytes.Repeat([]byte{7}, 32))
	require.NoError(t, err)
	return k
}

func newClient(t testing.TB, k kms.Keyring, fns ...func(*kms.Options)) *kms.Client {
	t.Helper()
	c, err := kms.New(k, fns...)
	require.NoError(t, err)
	return c
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// encryptStream encrypts pt through EncryptWriter in writes of random sizes.
func encryptStream(t testing.TB, c *kms.Client, pt []byte, ec map[string]string, seed uint64) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := c.EncryptWriter(ctx, &out, ec)
	require.NoError(t, err)
	r := mrand.New(mrand.NewPCG(seed, 1))
	for rest := pt; len(rest) > 0; {
		n := min(len(rest), 1+r.IntN(3*1024))
		if r.IntN(10) == 0 {
			n = len(rest)
		}
		m, err := w.Write(rest[:n])
		require.NoError(t, err)
		require.Equal(t, n, m)
		rest = rest[n:]
	}
	require.NoError(t, w.Close())
	return out.Bytes()
}

// decryptStream reads a message through DecryptReader in reads of random sizes.
func decryptStream(c *kms.Client, msg []byte, required map[string]string, seed uint64) ([]byte, error) {
	r, err := c.DecryptReader(ctx, bytes.NewReader(msg), required)
	if err != nil {
		return nil, err
	}
	rnd := mrand.New(mrand.NewPCG(seed, 2))
	var out []byte
	buf := make([]byte, 5000)
	for {
		n, err := r.Read(buf[:1+rnd.IntN(len(buf)-1)])
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func TestRoundTrip(t *testing.T) {
	ec := map[string]string{"tenant": "acme", "purpose": "test", "ünïcode": "välue"}
	for _, suite := range []kms.Suite{kms.SuiteCommitted, kms.SuiteCommittedSigned} {
		for _, frame := range []int{1, 64, 4096} {
			for _, conc := range []int{1, 3} {
				for _, size := range []int{0, 1, frame - 1, frame, frame + 1, 3 * frame, 70001} {
					if size < 0 {
						continue
					}
					name := fmt.Sprintf("%04x/frame=%d/conc=%d/size=%d", uint16(suite), frame, conc, size)
					t.Run(name, func(t *testing.T) {
						c := newClient(t, aesKeyring(t), func(o *kms.Options) { o.Suite, o.FrameSize, o.Concurrency = suite, frame, conc })
						pt := randBytes(size)
						whole, err := c.Encrypt(ctx, pt, ec)
						require.NoError(t, err)
						streamed := encryptStream(t, c, pt, ec, uint64(size))
						for _, msg := range [][]byte{whole, streamed} {
							got, err := c.Decrypt(ctx, msg, ec)
							require.NoError(t, err)
							assert.True(t, bytes.Equal(pt, got))
							got, err = decryptStream(c, msg, map[string]string{"tenant": "acme"}, uint64(size))
							require.NoError(t, err)
							assert.True(t, bytes.Equal(pt, got))
						}
						h, err := kms.ParseHeader(bytes.NewReader(whole))
						require.NoError(t, err)
						assert.Equal(t, 2, h.Version)
						assert.Equal(t, suite, h.Suite)
						assert.Equal(t, frame, h.FrameLength)
						assert.True(t, h.Framed)
						assert.Len(t, h.MessageID, 32)
						assert.Equal(t, "acme", h.EncryptionContext["tenant"])
						_, signed := h.EncryptionContext["aws-crypto-public-key"]
						assert.Equal(t, suite.Signed(), signed)
					})
				}
			}
		}
	}
}

// frameCount returns the number of frames kumo writes for size bytes: the
// last frame is final and holds 1 to frame bytes (or 0 for an empty message).
func TestFrameLayout(t *testing.T) {
	c := newClient(t, aesKeyring(t), func(o *kms.Options) { o.FrameSize = 100 })
	for _, tt := range []struct{ size, overhead int }{
		{0, 1*(8+12+4+16) + 0},
		{100, 1 * (8 + 12 + 4 + 16)},
		{101, (4 + 12 + 16) + (8 + 12 + 4 + 16)},
		{250, 2*(4+12+16) + (8 + 12 + 4 + 16)},
	} {
		msg, err := c.Encrypt(ctx, make([]byte, tt.size), nil)
		require.NoError(t, err)
		var hdr bytes.Buffer
		h, err := kms.ParseHeader(io.TeeReader(bytes.NewReader(msg), &hdr))
		require.NoError(t, err)
		_ = h
		assert.Equal(t, tt.size+tt.overhead, len(msg)-hdr.Len(), "size %d", tt.size)
	}
}

func TestEveryBitFlipFails(t *testing.T) {
	for _, suite := range []kms.Suite{kms.SuiteCommitted, kms.SuiteCommittedSigned} {
		c := newClient(t, aesKeyring(t), func(o *kms.Options) { o.Suite, o.FrameSize, o.Concurrency = suite, 32, 2 })
		msg, err := c.Encrypt(ctx, randBytes(80), map[string]string{"a": "b"})
		require.NoError(t, err)
		for i := range len(msg) * 8 {
			bad := bytes.Clone(msg)
			bad[i/8] ^= 1 << (i % 8)
			if _, err := c.Decrypt(ctx, bad, nil); err == nil {
				t.Fatalf("suite %v: flipping bit %d of byte %d went unnoticed", suite, i%8, i/8)
			}
			if _, err := decryptStream(c, bad, nil, uint64(i)); err == nil {
				t.Fatalf("suite %v: streaming, flipping bit %d of byte %d went unnoticed", suite, i%8, i/8)
			}
		}
	}
}

func TestTruncationFails(t *testing.T) {
	for _, suite := range []kms.Suite{kms.SuiteCommitted, kms.SuiteCommittedSigned} {
		c := newClient(t, aesKeyring(t), func(o *kms.Options) { o.Suite, o.FrameSize = suite, 16 })
		msg, err := c.Encrypt(ctx, randBytes(100), nil)
		require.NoError(t, err)
		for n := range len(msg) {
			_, err := c.Decrypt(ctx, msg[:n], nil)
			require.Error(t, err, "suite %v, cut at %d of %d", suite, n, len(msg))
			_, err = decryptStream(c, msg[:n], nil, uint64(n))
			require.Error(t, err, "streaming, suite %v, cut at %d of %d", suite, n, len(msg))
		}
		_, err = c.Decrypt(ctx, append(bytes.Clone(msg), 0), nil)
		require.ErrorIs(t, err, kms.ErrMalformed, "trailing bytes")
	}
}

// TestFrameReorderAndRepeat moves whole frames around: each must fail with
// ErrAuthentication, never decrypt short.
func TestFrameReorderAndRepeat(t *testing.T) {
	c := newClient(t, aesKeyring(t), func(o *kms.Options) { o.FrameSize = 16 })
	msg, err := c.Encrypt(ctx, randBytes(16*4+5), nil)
	require.NoError(t, err)
	var hdr bytes.Buffer
	_, err = kms.ParseHeader(io.TeeReader(bytes.NewReader(msg), &hdr))
	require.NoError(t, err)
	head, body := msg[:hdr.Len()], msg[hdr.Len():]
	const fsz = 4 + 12 + 16 + 16
	frames := [][]byte{body[:fsz], body[fsz : 2*fsz], body[2*fsz : 3*fsz], body[3*fsz : 4*fsz]}
	final := body[4*fsz:]
	join := func(parts ...[]byte) []byte { return bytes.Join(append([][]byte{head}, parts...), nil) }
	for name, bad := range map[string][]byte{
		"swapped":     join(frames[1], frames[0], frames[2], frames[3], final),
		"repeated":    join(frames[0], frames[0], frames[1], frames[2], frames[3], final),
		"dropped":     join(frames[0], frames[2], frames[3], final),
		"final early": join(frames[0], final),
		"no final":    join(frames...),
		"only final":  join(final),
		"frame after": join(frames[0], frames[1], frames[2], frames[3], final, frames[0]),
	} {
		_, err := c.Decrypt(ctx, bad, nil)
		require.Error(t, err, name)
		assert.True(t, errors.Is(err, kms.ErrAuthentication) || errors.Is(err, kms.ErrMalformed), "%s: %v", name, err)
	}
}

func TestEncryptionContextRules(t *testing.T) {
	c := newClient(t, aesKeyring(t))
	_, err := c.Encrypt(ctx, []byte("x"), map[string]string{"aws-crypto-public-key": "forged"})
	require.ErrorIs(t, err, kms.ErrEncryptionContext)
	assert.EqualError(t, err, `kms: encryption context: key "aws-crypto-public-key" uses the prefix "aws-crypto-", which the Encryption SDK reserves`)
	_, err = c.Encrypt(ctx, []byte("x"), map[string]string{"": "v"})
	require.ErrorIs(t, err, kms.ErrEncryptionContext)
	_, err = c.Encrypt(ctx, []byte("x"), map[string]string{"k": "\xff"})
	require.ErrorIs(t, err, kms.ErrEncryptionContext)

	msg, err := c.Encrypt(ctx, []byte("secret"), map[string]string{"tenant": "acme", "env": "prod"})
	require.NoError(t, err)
	for _, tt := range []struct {
		required map[string]string
		err      error
	}{
		{nil, nil},
		{map[string]string{"tenant": "acme"}, nil},
		{map[string]string{"tenant": "acme", "env": "prod"}, nil},
		{map[string]string{"tenant": "evil"}, kms.ErrEncryptionContext},
		{map[string]string{"tenant": "evil", "env": "dev"}, kms.ErrEncryptionContext},
		{map[string]string{"not-stored": "x"}, kms.ErrNoDataKey}, // the raw AES wrap is bound to the full context
		{map[string]string{"aws-crypto-public-key": "x"}, kms.ErrEncryptionContext},
	} {
		got, err := c.Decrypt(ctx, msg, tt.required)
		if tt.err == nil {
			require.NoError(t, err, "%v", tt.required)
			assert.Equal(t, "secret", string(got))
			continue
		}
		require.ErrorIs(t, err, tt.err, "%v", tt.required)
	}
	_, err = c.Decrypt(ctx, msg, map[string]string{"tenant": "evil", "env": "dev"})
	assert.EqualError(t, err, "kms: encryption context: the message's context has other values for env, tenant")
}

func TestOptionsValidation(t *testing.T) {
	k := aesKeyring(t)
	for _, tt := range []struct {
		fn  func(*kms.Options)
		err string
	}{
		{func(o *kms.Options) { o.Suite = kms.SuiteAES256GCMHKDFSHA256 }, "kms: kumo encrypts with SuiteCommitted (0x0478) or SuiteCommittedSigned (0x0578), not AES_256_GCM_IV12_TAG16_HKDF_SHA256 (0x0178)"},
		{func(o *kms.Options) { o.FrameSize = -1 }, "kms: frame size -1 is outside 1 byte to 1 GiB"},
		{func(o *kms.Options) { o.FrameSize = 1<<30 + 1 }, "kms: frame size 1073741825 is outside 1 byte to 1 GiB"},
		{func(o *kms.Options) { o.MaxEncryptedDataKeys = 70000 }, "kms: MaxEncryptedDataKeys 70000 is outside 1 to 65535 (0: the default, 10)"},
		{func(o *kms.Options) { o.MaxEncryptedDataKeys = -1 }, "kms: MaxEncryptedDataKeys -1 is outside 1 to 65535 (0: the default, 10)"},
		{func(o *kms.Options) { o.MaxBodyLength = -1 }, "kms: MaxBodyLength -1 is negative"},
		{func(o *kms.Options) { o.CommitmentPolicy = 9 }, "kms: unknown commitment policy 9; allowed are RequireCommitment (0, the default) and AllowLegacyDecrypt (1)"},
	} {
		_, err := kms.New(k, tt.fn)
		assert.EqualError(t, err, tt.err)
	}
	_, err := kms.New(nil)
	assert.EqualError(t, err, "kms: New needs a keyring")
}

func TestMalformedHeaders(t *testing.T) {
	c := newClient(t, aesKeyring(t))
	msg, err := c.Encrypt(ctx, []byte("x"), map[string]string{"a": "b"})
	require.NoError(t, err)
	for name, tt := range map[string]struct {
		msg  []byte
		text string
	}{
		"empty":         {nil, "kms: malformed message: the header is truncated"},
		"version 3":     {append([]byte{3}, msg[1:]...), "kms: malformed message: version 0x03; this reads versions 1 and 2 of the AWS Encryption SDK message format"},
		"unknown suite": {append([]byte{2, 0x09, 0x99}, msg[3:]...), "kms: malformed message: unknown algorithm suite 0x0999"},
		"wrong version": {append([]byte{2, 0x01, 0x78}, msg[3:]...), "kms: malformed message: suite AES_256_GCM_IV12_TAG16_HKDF_SHA256 (0x0178) belongs to message format 1, not 2"},
		"base64":        {[]byte("AgR4AAAA"), "kms: malformed message: it starts with 'A', like a base64-encoded message; decode it first"},
		"v1 bad type":   {[]byte{1, 0x81, 0, 0x14}, "kms: malformed message: message type 0x81; only 0x80 is defined"},
	} {
		_, err := c.Decrypt(ctx, tt.msg, nil)
		require.ErrorIs(t, err, kms.ErrMalformed, name)
		assert.EqualError(t, err, tt.text, name)
	}
}

func TestRawRSAKeyringPaddings(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	for _, p := range []kms.RSAPadding{kms.OAEPSHA1, kms.OAEPSHA256, kms.OAEPSHA384, kms.OAEPSHA512, kms.PKCS1} {
		enc, err := kms.NewRawRSAKeyring("ns", "rsa", &priv.PublicKey, nil, p)
		require.NoError(t, err)
		dec, err := kms.NewRawRSAKeyring("ns", "rsa", nil, priv, p)
		require.NoError(t, err)
		msg, err := newClient(t, enc).Encrypt(ctx, []byte("hello "+p.String()), nil)
		require.NoError(t, err)
		_, err = newClient(t, enc).Decrypt(ctx, msg, nil)
		require.ErrorIs(t, err, kms.ErrNoDataKey, "a public key cannot decrypt")
		got, err := newClient(t, dec).Decrypt(ctx, msg, nil)
		require.NoError(t, err, p)
		assert.Equal(t, "hello "+p.String(), string(got))
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	_, err = kms.NewRawRSAKeyring("ns", "rsa", &other.PublicKey, priv, kms.OAEPSHA256)
	assert.EqualError(t, err, "kms: the RSA public and private keys are not a pair")
	_, err = kms.NewRawRSAKeyring("aws-kms", "rsa", &priv.PublicKey, nil, kms.OAEPSHA256)
	assert.EqualError(t, err, `kms: the key namespace "aws-kms" is reserved for KMS keyrings`)
	_, err = kms.NewRawAESKeyring("ns", "k", make([]byte, 20))
	assert.EqualError(t, err, "kms: a raw AES wrapping key is 16, 24 or 32 bytes, not 20")
}

func TestKMSKeyringWithFake(t *testing.T) {
	fake := kmstest.New()
	gen := fake.CreateKey()
	extra := fake.CreateKey()
	stranger := fake.CreateKey()
	require.NoError(t, fake.CreateAlias("alias/app", gen))

	kr, err := kms.NewKMSKeyring(fake, "alias/app", extra)
	require.NoError(t, err)
	c := newClient(t, kr)
	ec := map[string]string{"tenant": "acme"}
	msg, err := c.Encrypt(ctx, []byte("payload"), ec)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"GenerateDataKey": 1, "Encrypt": 1}, fake.CallCounts())
	h, err := kms.ParseHeader(bytes.NewReader(msg))
	require.NoError(t, err)
	require.Len(t, h.EncryptedDataKeys, 2)
	assert.Equal(t, gen, string(h.EncryptedDataKeys[0].ProviderInfo), "the alias resolves to the key ARN")
	assert.Equal(t, extra, string(h.EncryptedDataKeys[1].ProviderInfo))
	assert.Equal(t, "aws-kms", h.EncryptedDataKeys[0].ProviderID)

	// Either key alone decrypts; a keyring of another key asks KMS nothing.
	for _, keyID := range []string{gen, extra, "alias/app"} {
		only, err := kms.NewKMSKeyring(fake, "", keyID)
		require.NoError(t, err)
		fake.ResetCalls()
		got, err := newClient(t, only).Decrypt(ctx, msg, ec)
		require.NoError(t, err, keyID)
		assert.Equal(t, "payload", string(got))
		assert.Equal(t, 1, fake.Calls("Decrypt"))
	}
	strangerRing, err := kms.NewKMSKeyring(fake, stranger)
	require.NoError(t, err)
	fake.ResetCalls()
	_, err = newClient(t, strangerRing).Decrypt(ctx, msg, ec)
	require.ErrorIs(t, err, kms.ErrNoDataKey)
	assert.Zero(t, fake.Calls("Decrypt"), "strict: no call for keys it was not given")

	// Key states surface as KMS's own errors, wrapped.
	require.NoError(t, fake.SetKeyState(gen, types.KeyStateDisabled))
	require.NoError(t, fake.SetKeyState(extra, types.KeyStatePendingDeletion))
	_, err = c.Decrypt(ctx, msg, ec)
	require.ErrorIs(t, err, kms.ErrNoDataKey)
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "DisabledException", apiErr.ErrorCode())
	assert.Contains(t, err.Error(), "KMSInvalidStateException")
	_, err = c.Encrypt(ctx, []byte("x"), ec)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "DisabledException", apiErr.ErrorCode())
	require.NoError(t, fake.SetKeyState(gen, types.KeyStateEnabled))

	// The wrapped key is bound to the context: KMS refuses another.
	_, err = c.Decrypt(ctx, msg, map[string]string{"tenant": "acme", "extra": "pair"})
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "InvalidCiphertextException", apiErr.ErrorCode())

	// Injected failures pass through untouched.
	injected := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "slow down"}
	fake.FailNext("GenerateDataKey", injected)
	_, err = c.Encrypt(ctx, []byte("x"), ec)
	require.ErrorIs(t, err, injected)
}

func TestKMSDiscoveryKeyring(t *testing.T) {
	fake := kmstest.New()
	key := fake.CreateKey()
	kr, err := kms.NewKMSKeyring(fake, key)
	require.NoError(t, err)
	msg, err := newClient(t, kr).Encrypt(ctx, []byte("found"), nil)
	require.NoError(t, err)

	for _, tt := range []struct {
		filter *kms.DiscoveryFilter
		ok     bool
	}{
		{nil, true},
		{&kms.DiscoveryFilter{Partition: "aws", AccountIDs: []string{"123456789012"}}, true},
		{&kms.DiscoveryFilter{Partition: "aws", AccountIDs: []string{"999999999999"}}, false},
		{&kms.DiscoveryFilter{Partition: "aws-cn", AccountIDs: []string{"123456789012"}}, false},
	} {
		d, err := kms.NewKMSDiscoveryKeyring(fake, tt.filter)
		require.NoError(t, err)
		got, err := newClient(t, d).Decrypt(ctx, msg, nil)
		if tt.ok {
			require.NoError(t, err)
			assert.Equal(t, "found", string(got))
		} else {
			require.ErrorIs(t, err, kms.ErrNoDataKey)
		}
	}
	d, _ := kms.NewKMSDiscoveryKeyring(fake, nil)
	_, err = newClient(t, d).Encrypt(ctx, []byte("x"), nil)
	assert.EqualError(t, err, "kms: a KMS discovery keyring cannot encrypt; name the keys with NewKMSKeyring")
	_, err = kms.NewKMSDiscoveryKeyring(fake, &kms.DiscoveryFilter{Partition: "aws"})
	assert.Error(t, err)
}

func TestMaxEncryptedDataKeysCheckedBeforeKMS(t *testing.T) {
	fake := kmstest.New()
	a, b, c3 := fake.CreateKey(), fake.CreateKey(), fake.CreateKey()
	kr, err := kms.NewKMSKeyring(fake, a, b, c3)
	require.NoError(t, err)
	msg, err := newClient(t, kr).Encrypt(ctx, []byte("x"), nil)
	require.NoError(t, err)

	limited := newClient(t, kr, func(o *kms.Options) { o.MaxEncryptedDataKeys = 2 })
	fake.ResetCalls()
	_, err = limited.Decrypt(ctx, msg, nil)
	require.ErrorIs(t, err, kms.ErrTooManyEncryptedDataKeys)
	assert.EqualError(t, err, "kms: too many encrypted data keys: the message has 3, the limit is 2 (Options.MaxEncryptedDataKeys)")
	assert.Empty(t, fake.CallCounts(), "no KMS call before the limit is checked")
	_, err = limited.Encrypt(ctx, []byte("x"), nil)
	require.ErrorIs(t, err, kms.ErrTooManyEncryptedDataKeys)
}

func TestWrongKeyFailsCommitment(t *testing.T) {
	c := newClient(t, aesKeyring(t))
	msg, err := c.Encrypt(ctx, []byte("x"), nil)
	require.NoError(t, err)
	other, err := kms.NewRawAESKeyring("kumo-test", "key-1", bytes.Repeat([]byte{8}, 32))
	require.NoError(t, err)
	_, err = newClient(t, other).Decrypt(ctx, msg, nil)
	require.ErrorIs(t, err, kms.ErrNoDataKey)
}

func TestCancelledContext(t *testing.T) {
	c := newClient(t, aesKeyring(t), func(o *kms.Options) { o.FrameSize = 16 })
	cctx, cancel := context.WithCancel(ctx)
	var out bytes.Buffer
	w, err := c.EncryptWriter(cctx, &out, nil)
	require.NoError(t, err)
	_, err = w.Write(make([]byte, 100))
	require.NoError(t, err)
	cancel()
	_, err = w.Write(make([]byte, 100))
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, w.Close(), context.Canceled)

	msg, err := c.Encrypt(ctx, make([]byte, 5<<20), nil)
	require.NoError(t, err)
	cctx, cancel = context.WithCancel(ctx)
	r, err := c.DecryptReader(cctx, bytes.NewReader(msg), nil)
	require.NoError(t, err)
	_, err = r.Read(make([]byte, 10))
	require.NoError(t, err)
	cancel()
	_, err = io.ReadAll(r)
	require.ErrorIs(t, err, context.Canceled)
}

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after -= len(p); f.after < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriterErrorsAreSticky(t *testing.T) {
	c := newClient(t, aesKeyring(t), func(o *kms.Options) { o.FrameSize = 64 })
	w, err := c.EncryptWriter(ctx, &failWriter{after: 500}, nil)
	require.NoError(t, err)
	_, err = w.Write(make([]byte, 4<<20))
	require.ErrorContains(t, err, "disk full")
	_, err = w.Write([]byte("more"))
	require.ErrorContains(t, err, "disk full")
	require.ErrorContains(t, w.Close(), "disk full")
}

func TestRSAPaddingString(t *testing.T) {
	assert.Equal(t, "OAEP-SHA256", kms.OAEPSHA256.String())
	assert.Equal(t, "PKCS1", kms.PKCS1.String())
	assert.Equal(t, "RSAPadding(5)", kms.RSAPadding(5).String())
	assert.Equal(t, "RSAPadding(-1)", kms.RSAPadding(-1).String())
}

// TestKMSKeyringUnresolvableKey: a key that cannot be resolved is reported
// but does not stop the others; the error names each key and why.
func TestKMSKeyringUnresolvableKey(t *testing.T) {
	fake := kmstest.New()
	keyB, keyC := fake.CreateKey(), fake.CreateKey()
	require.NoError(t, fake.CreateAlias("alias/c", keyC))
	enc, err := kms.NewKMSKeyring(fake, keyB)
	require.NoError(t, err)
	msg, err := newClient(t, enc).Encrypt(ctx, []byte("payload"), nil)
	require.NoError(t, err)

	kr, err := kms.NewKMSKeyring(fake, "alias/missing", keyB)
	require.NoError(t, err)
	got, err := newClient(t, kr).Decrypt(ctx, msg, nil)
	require.NoError(t, err, "keyB's data key is in the message")
	assert.Equal(t, "payload", string(got))

	// Denied DescribeKey: the same.
	fake.FailNext("DescribeKey", &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no kms:DescribeKey"})
	kr, err = kms.NewKMSKeyring(fake, "alias/c", keyB)
	require.NoError(t, err)
	got, err = newClient(t, kr).Decrypt(ctx, msg, nil)
	require.NoError(t, err)
	assert.Equal(t, "payload", string(got))

	// Nothing decrypts: every key, and why.
	kr, err = kms.NewKMSKeyring(fake, "alias/missing", "alias/c")
	require.NoError(t, err)
	_, err = newClient(t, kr).Decrypt(ctx, msg, nil)
	require.ErrorIs(t, err, kms.ErrNoDataKey)
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "NotFoundException", apiErr.ErrorCode())
	assert.EqualError(t, err, "kms: no keyring could decrypt a data key: KMS keyring: "+
		"alias/missing: DescribeKey: NotFoundException: Alias arn:aws:kms:us-east-1:123456789012:alias/missing is not found.; "+
		"alias/c ("+keyC+"): no encrypted data key is for it")
}

// TestEncryptWriterReadFrom: io.Copy reads straight into the writer's
// batches, whatever sizes the source reads in.
func TestEncryptWriterReadFrom(t *testing.T) {
	for _, conc := range []int{1, 2} {
		for _, size := range []int{0, 1, 4096, 300_000, 1 << 20} {
			c := newClient(t, aesKeyring(t), func(o *kms.Options) { o.FrameSize, o.Concurrency = 4096, conc })
			pt := randBytes(size)
			for name, src := range map[string]io.Reader{
				"whole":    struct{ io.Reader }{bytes.NewReader(pt)},
				"halves":   iotest.HalfReader(bytes.NewReader(pt)),
				"data+EOF": iotest.DataErrReader(bytes.NewReader(pt)),
			} {
				var out bytes.Buffer
				w, err := c.EncryptWriter(ctx, &out, nil)
				require.NoError(t, err)
				n, err := io.Copy(w, src)
				require.NoError(t, err)
				require.Equal(t, int64(size), n)
				require.NoError(t, w.Close())
				got, err := c.Decrypt(ctx, out.Bytes(), nil)
				require.NoError(t, err, "%s, %d bytes, concurrency %d", name, size, conc)
				require.True(t, bytes.Equal(pt, got), "%s, %d bytes, concurrency %d", name, size, conc)
			}
		}
	}
	// A failing source is its own error, and the writer stays usable.
	c := newClient(t, aesKeyring(t))
	var out bytes.Buffer
	w, err := c.EncryptWriter(ctx, &out, nil)
	require.NoError(t, err)
	_, err = io.Copy(w, iotest.TimeoutReader(bytes.NewReader(make([]byte, 100_000))))
	require.ErrorIs(t, err, iotest.ErrTimeout)
	require.NoError(t, w.Close())
}

// A failed EncryptWriter or DecryptReader returns a nil interface with its
// error, so `if w != nil { w.Close() }` cleanup is safe. Both returned a nil
// pointer inside a non-nil interface, whose methods panicked (found by an
// outside attack).
func TestStreamConstructorsReturnNilOnError(t *testing.T) {
	c := newClient(t, aesKeyring(t))
	w, err := c.EncryptWriter(context.Background(), &failWriter{}, nil)
	require.Error(t, err)
	assert.True(t, w == nil, "EncryptWriter returned a non-nil %T with its error", w) // not assert.Nil: it calls a nil pointer nil
	r, err := c.DecryptReader(context.Background(), strings.NewReader("not a message"), nil)
	require.ErrorIs(t, err, kms.ErrMalformed)
	assert.True(t, r == nil, "DecryptReader returned a non-nil %T with its error", r)
}

// TestLargeFramesStayWithinTheDocumentedBound holds DecryptReader to the
// bound the package doc states for frames larger than a batch:
// 64 KiB + header + max((C+1) × 256 KiB, F) + 2F. An outside attack measured
// 3F where the doc had said 2F; the doc now says what the reader does.
func TestLargeFramesStayWithinTheDocumentedBound(t *testing.T) {
	for _, tc := range []struct{ frame, conc int }{{4 << 20, 1}, {2 << 20, 2}, {1 << 20, 4}} {
		t.Run(fmt.Sprintf("frame=%dMiB/concurrency=%d", tc.frame>>20, tc.conc), func(t *testing.T) {
			c := newClient(t, aesKeyring(t), func(o *kms.Options) { o.FrameSize = tc.frame; o.Concurrency = tc.conc })
			msg, err := c.Encrypt(context.Background(), bytes.Repeat([]byte{'z'}, 3*tc.frame+5), nil)
			require.NoError(t, err)
			f := max(uint64(256<<10), uint64(tc.frame)+40)
			bound := uint64(64<<10) + 4<<10 + max(uint64(tc.conc+1)*(256<<10), f) + 2*f
			const slack = 256 << 10 // io.Copy's buffer, the sampler
			var n int64
			peak := benchmem.PeakHeap(func() {
				var r io.Reader
				if r, err = c.DecryptReader(context.Background(), bytes.NewReader(msg), nil); err == nil {
					n, err = io.Copy(io.Discard, r)
				}
			})
			require.NoError(t, err)
			require.EqualValues(t, 3*tc.frame+5, n)
			t.Logf("peak %d KiB, bound %d KiB", peak>>10, bound>>10)
			assert.LessOrEqual(t, peak, bound+slack)
		})
	}
}

// A nil option func is skipped: each function of kms and kmstest that
// takes option funcs answers with its defaults, as without one.
func TestNilOptionFuncsSkipped(t *testing.T) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var err error
	var fake *kmstest.Fake
	require.NotPanics(t, func() { fake = kmstest.New(nil) })
	assert.Equal(t, "us-east-1", fake.Region(), "kmstest.Options.Region default")
	var regions *kmstest.Regions
	require.NotPanics(t, func() { regions = kmstest.NewRegions(nil); regions.Fake("eu-west-1") })
	assert.Equal(t, "eu-west-1", regions.Fake("eu-west-1").Region())
	var table *kmstest.KeyStoreTable
	require.NotPanics(t, func() { table = kmstest.NewKeyStoreTable(nil) })

	var c *kms.Client
	require.NotPanics(t, func() { c, err = kms.New(aesKeyring(t), nil) })
	require.NoError(t, err)
	msg, err := c.Encrypt(ctx, []byte("x"), nil)
	require.NoError(t, err)
	_, h, err := c.DecryptWithHeader(ctx, msg, nil)
	require.NoError(t, err)
	assert.Equal(t, kms.SuiteCommitted, h.Suite, "Options.Suite default")

	require.NotPanics(t, func() { _, err = kms.NewCache(nil) })
	require.NoError(t, err)

	var store *kms.BranchKeyStore
	require.NotPanics(t, func() { store, err = kms.NewBranchKeyStore(table, fake, "t", "t", fake.CreateKey(), nil) })
	require.NoError(t, err)
	_, err = store.CreateBranchKey(ctx, "b", map[string]string{"tenant": "b"})
	require.NoError(t, err)
	require.NotPanics(t, func() { _, err = kms.NewHierarchicalKeyring(store, "b", nil) })
	require.NoError(t, err)

	keyARN, err := fake.ImportRSAKey(testRSAKey(t))
	require.NoError(t, err)
	require.NotPanics(t, func() {
		_, err = kms.NewKMSRSAKeyring(fake, keyARN, types.EncryptionAlgorithmSpecRsaesOaepSha256, nil)
	})
	require.NoError(t, err)

	require.NotPanics(t, func() { _, err = kms.DecryptOpenSSL(ctx, fake, nil, []byte("not openssl"), nil) })
	assert.EqualError(t, err, "kms: not an `openssl enc` file with a salt (it does not start with Salted__); files made with -nosalt are not supported")

	require.NotPanics(t, func() { _, err = kms.NewClientSupplier(aws.Config{Region: "eu-west-1"}, nil)("") })
	require.NoError(t, err)
}

// TestStreamOpensInOrder: an unsigned message of many batches, read at
// several Concurrency settings through Read and WriteTo, releases exactly
// the frames before a tampered or missing one, in order, then the error;
// and a reader dropped mid-message leaves no goroutine behind.
func TestStreamOpensInOrder(t *testing.T) {
	const frame, frames = 4096, 300 // about 10 batches of 128 KiB
	pt := randBytes(frame*frames - 100)
	for _, conc := range []int{1, 2, 4} {
		c := newClient(t, aesKeyring(t), func(o *kms.Options) { o.FrameSize, o.Concurrency = frame, conc })
		msg, err := c.Encrypt(ctx, pt, nil)
		require.NoError(t, err)
		body := len(msg) - (frames-1)*(4+12+frame+16) - (8 + 12 + 4 + frame - 100 + 16)
		for name, read := range map[string]func(io.Reader) ([]byte, error){
			"Read": func(r io.Reader) ([]byte, error) {
				var out []byte
				buf := make([]byte, 1000)
				for {
					n, err := r.Read(buf)
					out = append(out, buf[:n]...)
					if err == io.EOF {
						return out, nil
					}
					if err != nil {
						return out, err
					}
				}
			},
			"WriteTo": func(r io.Reader) ([]byte, error) {
				var out bytes.Buffer
				_, err := r.(io.WriterTo).WriteTo(&out)
				return out.Bytes(), err
			},
		} {
			t.Run(fmt.Sprintf("conc=%d/%s", conc, name), func(t *testing.T) {
				open := func(m []byte) ([]byte, error) {
					r, err := c.DecryptReader(ctx, bytes.NewReader(m), nil)
					require.NoError(t, err)
					return read(r)
				}
				got, err := open(msg)
				require.NoError(t, err)
				require.True(t, bytes.Equal(pt, got))

				// Frame 200's tag fails: frames 1-199 at most are released.
				bad := bytes.Clone(msg)
				bad[body+200*(4+12+frame+16)-1] ^= 1
				got, err = open(bad)
				require.ErrorIs(t, err, kms.ErrAuthentication)
				require.EqualError(t, err, "kms: message failed authentication: frame 200")
				require.LessOrEqual(t, len(got), 199*frame)
				require.Greater(t, len(got), 199*frame-128<<10, "the batches before frame 200's are released")
				require.True(t, bytes.Equal(pt[:len(got)], got))

				// Frame 150 is missing.
				cut := append(bytes.Clone(msg[:body+149*(4+12+frame+16)]), msg[body+150*(4+12+frame+16):]...)
				got, err = open(cut)
				require.ErrorIs(t, err, kms.ErrAuthentication)
				require.EqualError(t, err, "kms: message failed authentication: frame 151 arrived where frame 150 belongs (reordered, repeated or dropped frames)")
				require.LessOrEqual(t, len(got), 149*frame)
				require.True(t, bytes.Equal(pt[:len(got)], got))
			})
		}
		t.Run(fmt.Sprintf("conc=%d/dropped", conc), func(t *testing.T) {
			before := runtime.NumGoroutine()
			for range 20 {
				r, err := c.DecryptReader(ctx, bytes.NewReader(msg), nil)
				require.NoError(t, err)
				_, err = io.ReadFull(r, make([]byte, 100_000))
				require.NoError(t, err)
			}
			goroutines.Settle(t, before) // the dropped readers' goroutines end
		})
	}
}
