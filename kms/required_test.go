package kms_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/kms"
)

func requiredClient(t testing.TB, suite kms.Suite, keys ...string) *kms.Client {
	t.Helper()
	return newClient(t, aesKeyring(t), func(o *kms.Options) {
		o.Suite, o.FrameSize, o.RequiredEncryptionContextKeys = suite, 100, keys
	})
}

func TestRequiredContextRoundTrip(t *testing.T) {
	ec := map[string]string{"tenant": "acme", "env": "prod", "purpose": "backup"}
	pt := bytes.Repeat([]byte("required context "), 50)
	for _, suite := range []kms.Suite{kms.SuiteCommitted, kms.SuiteCommittedSigned} {
		t.Run(suite.String(), func(t *testing.T) {
			c := requiredClient(t, suite, "tenant", "env")
			plain := newClient(t, aesKeyring(t)) // no required keys: the same keyring
			for name, msg := range map[string][]byte{"Encrypt": mustEncrypt(t, c, pt, ec), "EncryptWriter": encryptStream(t, c, pt, ec, 1)} {
				h, err := kms.ParseHeader(bytes.NewReader(msg))
				require.NoError(t, err)
				delete(h.EncryptionContext, "aws-crypto-public-key")
				assert.Equal(t, map[string]string{"purpose": "backup"}, h.EncryptionContext, name)

				for _, tt := range []struct {
					name     string
					c        *kms.Client
					required map[string]string
					err      error
					msg      string
				}{
					{"both required pairs", c, map[string]string{"tenant": "acme", "env": "prod"}, nil, ""},
					{"with a stored pair", c, map[string]string{"tenant": "acme", "env": "prod", "purpose": "backup"}, nil, ""},
					{"a client without required keys, given the pairs", plain, map[string]string{"tenant": "acme", "env": "prod"}, nil, ""},
					{"none", c, nil, kms.ErrEncryptionContext,
						`kms: encryption context: the required context has no value for the required key(s) "env", "tenant" (Options.RequiredEncryptionContextKeys)`},
					{"one missing", c, map[string]string{"tenant": "acme"}, kms.ErrEncryptionContext,
						`kms: encryption context: the required context has no value for the required key(s) "env" (Options.RequiredEncryptionContextKeys)`},
					{"a wrong value", c, map[string]string{"tenant": "evil-corp", "env": "prod"}, kms.ErrNoDataKey, ""},
					{"a client without required keys, given nothing", plain, nil, kms.ErrNoDataKey, ""},
					{"a client without required keys, given one", plain, map[string]string{"env": "prod"}, kms.ErrNoDataKey, ""},
				} {
					got, err := c.Decrypt(ctx, msg, tt.required)
					if tt.c != c {
						got, err = tt.c.Decrypt(ctx, msg, tt.required)
					}
					if tt.err == nil {
						require.NoError(t, err, "%s: %s", name, tt.name)
						assert.Equal(t, pt, got)
						got, err = decryptStream(tt.c, msg, tt.required, 2)
						require.NoError(t, err, "%s: %s (stream)", name, tt.name)
						assert.Equal(t, pt, got)
						continue
					}
					require.ErrorIs(t, err, tt.err, "%s: %s", name, tt.name)
					assert.NotContains(t, err.Error(), "evil-corp", "errors never quote values")
					assert.NotContains(t, err.Error(), "acme")
					if tt.msg != "" {
						assert.EqualError(t, err, tt.msg)
					}
					_, err = decryptStream(tt.c, msg, tt.required, 2)
					require.ErrorIs(t, err, tt.err, "%s: %s (stream)", name, tt.name)
				}
			}
		})
	}
}

func mustEncrypt(t testing.TB, c *kms.Client, pt []byte, ec map[string]string) []byte {
	t.Helper()
	msg, err := c.Encrypt(ctx, pt, ec)
	require.NoError(t, err)
	return msg
}

// A raw AES keyring's wrap is bound to the whole context, but a keyring
// need not be: the header tag alone must catch a wrong value of a pair the
// message does not store.
func TestRequiredContextHeaderTagCatchesWrongValue(t *testing.T) {
	unbound := unboundKeyring{aesKeyring(t)}
	c := newClient(t, unbound, func(o *kms.Options) { o.RequiredEncryptionContextKeys = []string{"tenant"} })
	msg := mustEncrypt(t, c, []byte("hello"), map[string]string{"tenant": "acme"})
	_, err := c.Decrypt(ctx, msg, map[string]string{"tenant": "evil-corp"})
	require.ErrorIs(t, err, kms.ErrAuthentication)
	assert.NotContains(t, err.Error(), "evil-corp")
	got, err := c.Decrypt(ctx, msg, map[string]string{"tenant": "acme"})
	require.NoError(t, err)
	assert.Equal(t, "hello", string(got))
}

// unboundKeyring wraps with an empty encryption context, whatever the
// message's.
type unboundKeyring struct{ kms.Keyring }

func (k unboundKeyring) OnEncrypt(ctx2 context.Context, m *kms.EncryptionMaterials) error {
	ec := m.EncryptionContext
	m.EncryptionContext = nil
	defer func() { m.EncryptionContext = ec }()
	return k.Keyring.OnEncrypt(ctx2, m)
}

func (k unboundKeyring) OnDecrypt(ctx2 context.Context, m *kms.DecryptionMaterials, edks []kms.EncryptedDataKey) error {
	ec := m.EncryptionContext
	m.EncryptionContext = nil
	defer func() { m.EncryptionContext = ec }()
	return k.Keyring.OnDecrypt(ctx2, m, edks)
}

func TestRequiredContextEncryptErrors(t *testing.T) {
	c := requiredClient(t, kms.SuiteCommitted, "tenant", "env")
	for _, ec := range []map[string]string{nil, {"tenant": "acme"}, {"purpose": "x"}} {
		_, err := c.Encrypt(ctx, []byte("x"), ec)
		require.ErrorIs(t, err, kms.ErrEncryptionContext, "%v", ec)
		assert.Contains(t, err.Error(), `the encryption context has no value for the required key(s) "env"`)
		assert.NotContains(t, err.Error(), "acme")
		_, err = c.EncryptWriter(ctx, io.Discard, ec)
		require.ErrorIs(t, err, kms.ErrEncryptionContext, "%v", ec)
	}
	for _, tt := range []struct {
		keys []string
		err  string
	}{
		{[]string{""}, "kms: encryption context: keys must not be empty (Options.RequiredEncryptionContextKeys)"},
		{[]string{"aws-crypto-public-key"}, `kms: encryption context: key "aws-crypto-public-key" uses the prefix "aws-crypto-", which the Encryption SDK reserves (Options.RequiredEncryptionContextKeys)`},
		{[]string{"\xff"}, `kms: encryption context: key "\xff": keys and values must be UTF-8 (Options.RequiredEncryptionContextKeys)`},
	} {
		_, err := kms.New(aesKeyring(t), func(o *kms.Options) { o.RequiredEncryptionContextKeys = tt.keys })
		require.ErrorIs(t, err, kms.ErrEncryptionContext)
		assert.EqualError(t, err, tt.err)
	}
	// An empty, non-nil list is no list.
	c = newClient(t, aesKeyring(t), func(o *kms.Options) { o.RequiredEncryptionContextKeys = []string{} })
	msg := mustEncrypt(t, c, []byte("x"), map[string]string{"a": "b"})
	h, err := kms.ParseHeader(bytes.NewReader(msg))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"a": "b"}, h.EncryptionContext)
}

// With a Cache, messages share a data key; each still stores only its
// unrequired pairs and needs the required ones.
func TestRequiredContextWithCache(t *testing.T) {
	cache, err := kms.NewCache()
	require.NoError(t, err)
	c := newClient(t, aesKeyring(t), func(o *kms.Options) {
		o.Cache, o.RequiredEncryptionContextKeys = cache, []string{"tenant"}
	})
	ec := map[string]string{"tenant": "acme", "k": "v"}
	m1, m2 := mustEncrypt(t, c, []byte("one"), ec), mustEncrypt(t, c, []byte("two"), ec)
	assert.Equal(t, 1, cache.Len())
	for _, m := range [][]byte{m1, m2} {
		h, err := kms.ParseHeader(bytes.NewReader(m))
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"k": "v"}, h.EncryptionContext)
		_, err = c.Decrypt(ctx, m, map[string]string{"tenant": "other"})
		require.Error(t, err)
		_, err = c.Decrypt(ctx, m, map[string]string{"tenant": "acme"})
		require.NoError(t, err)
	}
}

func TestDecryptWithHeader(t *testing.T) {
	ec := map[string]string{"tenant": "acme", "purpose": "backup"}
	pt := bytes.Repeat([]byte("abc"), 100)
	for _, suite := range []kms.Suite{kms.SuiteCommitted, kms.SuiteCommittedSigned} {
		c := requiredClient(t, suite, "tenant")
		msg := mustEncrypt(t, c, pt, ec)
		want := func(t *testing.T, h *kms.DecryptedHeader) {
			t.Helper()
			ph, err := kms.ParseHeader(bytes.NewReader(msg))
			require.NoError(t, err)
			assert.Equal(t, 2, h.Version)
			assert.Equal(t, suite, h.Suite)
			assert.Equal(t, ph.MessageID, h.MessageID)
			wantEC := map[string]string{"tenant": "acme", "purpose": "backup"}
			if suite.Signed() {
				wantEC["aws-crypto-public-key"] = ph.EncryptionContext["aws-crypto-public-key"]
				require.NotEmpty(t, wantEC["aws-crypto-public-key"])
			}
			assert.Equal(t, wantEC, h.EncryptionContext)
			assert.Equal(t, []string{"tenant"}, h.NotStoredKeys)
			assert.True(t, h.Framed)
			assert.Equal(t, 100, h.FrameLength)
			require.Len(t, h.EncryptedDataKeys, 1)
			assert.Equal(t, "kumo-test", h.EncryptedDataKeys[0].ProviderID)
			assert.True(t, bytes.HasPrefix(h.EncryptedDataKeys[0].ProviderInfo, []byte("key-1")))
			assert.Equal(t, ph.EncryptedDataKeys, h.EncryptedDataKeys)
		}
		t.Run(suite.String()+"/whole", func(t *testing.T) {
			got, h, err := c.DecryptWithHeader(ctx, msg, map[string]string{"tenant": "acme"})
			require.NoError(t, err)
			assert.Equal(t, pt, got)
			want(t, h)
			// Each call's header is its own.
			h.EncryptionContext["tenant"] = "changed"
			h.MessageID[0] ^= 1
			_, h2, err := c.DecryptWithHeader(ctx, msg, map[string]string{"tenant": "acme"})
			require.NoError(t, err)
			want(t, h2)

			_, h, err = c.DecryptWithHeader(ctx, msg[:len(msg)-1], map[string]string{"tenant": "acme"})
			require.Error(t, err)
			assert.Nil(t, h)
		})
		t.Run(suite.String()+"/stream", func(t *testing.T) {
			r, err := c.DecryptReaderWithHeader(ctx, iotest.HalfReader(bytes.NewReader(msg)), map[string]string{"tenant": "acme"})
			require.NoError(t, err)
			h, err := r.Header()
			if suite.Signed() {
				require.ErrorIs(t, err, kms.ErrHeaderNotAuthenticated)
				assert.Nil(t, h)
			} else {
				require.NoError(t, err)
				want(t, h)
			}
			buf := make([]byte, 10)
			_, err = io.ReadFull(r, buf)
			require.NoError(t, err)
			if suite.Signed() {
				_, err = r.Header()
				require.ErrorIs(t, err, kms.ErrHeaderNotAuthenticated, "after a partial read")
			}
			rest, err := io.ReadAll(r)
			require.NoError(t, err)
			assert.Equal(t, pt, append(buf, rest...))
			h, err = r.Header()
			require.NoError(t, err)
			want(t, h)
		})
		t.Run(suite.String()+"/stream WriteTo", func(t *testing.T) {
			r, err := c.DecryptReaderWithHeader(ctx, bytes.NewReader(msg), map[string]string{"tenant": "acme"})
			require.NoError(t, err)
			var out bytes.Buffer
			_, err = io.Copy(&out, r)
			require.NoError(t, err)
			assert.Equal(t, pt, out.Bytes())
			h, err := r.Header()
			require.NoError(t, err)
			want(t, h)
		})
	}
}

// A signed message whose signature fails never yields its header, whatever
// was read; neither does one whose body fails.
func TestDecryptedReaderHeaderAfterFailure(t *testing.T) {
	for _, suite := range []kms.Suite{kms.SuiteCommitted, kms.SuiteCommittedSigned} {
		c := newClient(t, aesKeyring(t), func(o *kms.Options) { o.Suite, o.FrameSize = suite, 64 })
		msg := mustEncrypt(t, c, bytes.Repeat([]byte("z"), 1000), map[string]string{"a": "b"})
		bad := bytes.Clone(msg)
		bad[len(bad)-1] ^= 1 // the signature, or the final frame's tag
		r, err := c.DecryptReaderWithHeader(ctx, bytes.NewReader(bad), nil)
		require.NoError(t, err)
		_, err = io.ReadAll(r)
		require.ErrorIs(t, err, kms.ErrAuthentication)
		h, herr := r.Header()
		assert.Nil(t, h)
		require.ErrorIs(t, herr, kms.ErrAuthentication, suite.String())
	}
}

// The header of a message that stores its whole context reports no
// unstored keys.
func TestDecryptWithHeaderNoRequiredContext(t *testing.T) {
	c := newClient(t, aesKeyring(t))
	msg := mustEncrypt(t, c, []byte("x"), map[string]string{"a": "b"})
	_, h, err := c.DecryptWithHeader(ctx, msg, map[string]string{"a": "b"})
	require.NoError(t, err)
	assert.Nil(t, h.NotStoredKeys)
	assert.Equal(t, map[string]string{"a": "b"}, h.EncryptionContext)
	assert.Equal(t, 4096, h.FrameLength)
}

// Rewrap takes no required context, so a Client that requires keys refuses
// every message, naming the keys.
func TestRequiredContextRewrap(t *testing.T) {
	c := requiredClient(t, kms.SuiteCommitted, "tenant")
	msg := mustEncrypt(t, c, []byte("x"), map[string]string{"tenant": "acme"})
	err := c.Rewrap(ctx, io.Discard, bytes.NewReader(msg), aesKeyring(t))
	require.ErrorIs(t, err, kms.ErrEncryptionContext)
	assert.ErrorContains(t, err, `"tenant"`)
}
