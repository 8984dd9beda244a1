package interop

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	mpltypes "github.com/aws/aws-cryptographic-material-providers-library/releases/go/mpl/awscryptographymaterialproviderssmithygeneratedtypes"
	esdktypes "github.com/aws/aws-encryption-sdk/releases/go/encryption-sdk/awscryptographyencryptionsdksmithygeneratedtypes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/kms"
)

// vectorRoot finds the official Encryption SDK decrypt vectors (an
// awses-decrypt v4 manifest with keys.json, as published in
// github.com/awslabs/aws-encryption-sdk-test-vectors), read in place, never
// copied into the repository: $KUMO_ESDK_VECTORS if set, else the
// first shared/testdata/esdk in this folder's ancestors, else
// /work/shared/testdata/esdk (for checkouts made elsewhere on this machine).
var vectorRoot = func() string {
	if v := os.Getenv("KUMO_ESDK_VECTORS"); v != "" {
		return v
	}
	if dir, err := filepath.Abs("."); err == nil {
		for ; ; dir = filepath.Dir(dir) {
			if c := filepath.Join(dir, "shared", "testdata", "esdk"); isDir(c) {
				return c
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	return "/work/shared/testdata/esdk"
}()

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

type vectorKey struct {
	Type     string `json:"type"`
	KeyID    string `json:"key-id"`
	Material string `json:"material"`
	Encoding string `json:"encoding"`
}

type vectorMasterKey struct {
	Type       string `json:"type"`
	Key        string `json:"key"`
	ProviderID string `json:"provider-id"`
	Algorithm  string `json:"encryption-algorithm"`
	Padding    string `json:"padding-algorithm"`
	PadHash    string `json:"padding-hash"`
}

type vectorTest struct {
	Ciphertext string            `json:"ciphertext"`
	MasterKeys []vectorMasterKey `json:"master-keys"`
	CMM        string            `json:"cmm"`
	Context    map[string]string `json:"encryption-context"`
	Result     struct {
		Output *struct {
			Plaintext string `json:"plaintext"`
		} `json:"output"`
	} `json:"result"`
}

type vector struct {
	name, dir string
	test      vectorTest
	keys      map[string]vectorKey
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(vectorRoot, "*", "manifest.json"))
	require.NoError(t, err)
	if len(dirs) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no test vectors under %s", vectorRoot)
		}
		t.Skipf("no test vectors under %s", vectorRoot)
	}
	var out []vector
	for _, manifest := range dirs {
		dir := filepath.Dir(manifest)
		var m struct {
			Tests map[string]vectorTest `json:"tests"`
		}
		var k struct {
			Keys map[string]vectorKey `json:"keys"`
		}
		readJSON(t, manifest, &m)
		readJSON(t, filepath.Join(dir, "keys.json"), &k)
		for name, test := range m.Tests {
			out = append(out, vector{name: filepath.Base(dir) + "/" + name, dir: dir, test: test, keys: k.Keys})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, v), path)
}

func readVectorFile(t *testing.T, dir, uri string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, strings.TrimPrefix(uri, "file://")))
	require.NoError(t, err)
	return b
}

// keyring builds the keyring a vector names, or nil when it needs AWS KMS.
func (v vector) keyring(t *testing.T) kms.Keyring {
	var rings []kms.Keyring
	for _, mk := range v.test.MasterKeys {
		if mk.Type != "raw" {
			return nil
		}
		key := v.keys[mk.Key]
		switch mk.Algorithm {
		case "aes":
			raw, err := base64.StdEncoding.DecodeString(key.Material)
			require.NoError(t, err)
			k, err := kms.NewRawAESKeyring(mk.ProviderID, key.KeyID, raw)
			require.NoError(t, err)
			rings = append(rings, k)
		case "rsa":
			block, _ := pem.Decode([]byte(key.Material))
			require.NotNil(t, block)
			padding := map[string]kms.RSAPadding{"sha1": kms.OAEPSHA1, "sha256": kms.OAEPSHA256, "sha384": kms.OAEPSHA384, "sha512": kms.OAEPSHA512}[mk.PadHash]
			if mk.Padding == "pkcs1" {
				padding = kms.PKCS1
			}
			var k kms.Keyring
			var err error
			if key.Type == "private" {
				priv, perr := x509.ParsePKCS8PrivateKey(block.Bytes)
				require.NoError(t, perr)
				k, err = kms.NewRawRSAKeyring(mk.ProviderID, key.KeyID, nil, priv.(*rsa.PrivateKey), padding)
			} else {
				pub, perr := x509.ParsePKIXPublicKey(block.Bytes)
				require.NoError(t, perr)
				k, err = kms.NewRawRSAKeyring(mk.ProviderID, key.KeyID, pub.(*rsa.PublicKey), nil, padding)
			}
			require.NoError(t, err)
			rings = append(rings, k)
		}
	}
	m, err := kms.NewMultiKeyring(nil, rings...)
	require.NoError(t, err)
	return m
}

func legacyClient(t *testing.T, k kms.Keyring) *kms.Client {
	c, err := kms.New(k, func(o *kms.Options) { o.CommitmentPolicy = kms.AllowLegacyDecrypt })
	require.NoError(t, err)
	return c
}

// Every raw-AES and raw-RSA vector decrypts to its plaintext, whole and
// streamed; the KMS ones need AWS and are counted as skipped.
func TestESDKVectorsDecrypt(t *testing.T) {
	vectors := loadVectors(t)
	ctx := context.Background()
	ran, needKMS := 0, 0
	for _, v := range vectors {
		k := v.keyring(t)
		if k == nil {
			needKMS++
			continue
		}
		require.NotNil(t, v.test.Result.Output, "%s: every stored vector expects success", v.name)
		ran++
		t.Run(v.name, func(t *testing.T) {
			msg := readVectorFile(t, v.dir, v.test.Ciphertext)
			want := readVectorFile(t, v.dir, v.test.Result.Output.Plaintext)
			c := legacyClient(t, k)
			got, dh, err := c.DecryptWithHeader(ctx, msg, v.test.Context)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(want, got), "plaintext differs")
			// The authenticated header: the stored context plus the pairs
			// supplied but not stored (the RequiredEncryptionContext CMM's
			// vectors, written by the .NET SDK), and the header's fields.
			ph, err := kms.ParseHeader(bytes.NewReader(msg))
			require.NoError(t, err)
			wantEC := maps.Clone(ph.EncryptionContext)
			var notStored []string
			for k, val := range v.test.Context {
				if _, ok := ph.EncryptionContext[k]; !ok {
					wantEC[k] = val
					notStored = append(notStored, k)
				}
			}
			slices.Sort(notStored)
			assert.Equal(t, wantEC, dh.EncryptionContext)
			assert.Equal(t, notStored, dh.NotStoredKeys)
			assert.Equal(t, v.test.CMM == "RequiredEncryptionContext", len(notStored) > 0, "only the required-EC CMM's vectors leave pairs out")
			assert.Equal(t, ph.Suite, dh.Suite)
			assert.Equal(t, ph.FrameLength, dh.FrameLength)
			assert.Equal(t, ph.Framed, dh.Framed)
			assert.Equal(t, ph.EncryptedDataKeys, dh.EncryptedDataKeys)

			r, err := c.DecryptReader(ctx, bytes.NewReader(msg), v.test.Context)
			require.NoError(t, err)
			var streamed bytes.Buffer
			_, err = streamed.ReadFrom(r)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(want, streamed.Bytes()), "streamed plaintext differs")

			// The default policy refuses non-committing suites before any key is used.
			strict, err := kms.New(k)
			require.NoError(t, err)
			h, err := kms.ParseHeader(bytes.NewReader(msg))
			require.NoError(t, err)
			_, err = strict.Decrypt(ctx, msg, v.test.Context)
			if h.Suite.Committing() {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, kms.ErrCommitmentPolicy)
			}
		})
	}
	t.Logf("%d raw-key vectors decrypted; %d need AWS KMS and were not run", ran, needKMS)
	assert.Equal(t, 132, ran)
}

// Negative cases, made by tampering with valid vectors: a flipped bit in
// the header, body or footer, a truncation, and a wrong required context.
func TestESDKVectorsTampered(t *testing.T) {
	ctx := context.Background()
	for _, v := range loadVectors(t) {
		k := v.keyring(t)
		if k == nil {
			continue
		}
		msg := readVectorFile(t, v.dir, v.test.Ciphertext)
		c := legacyClient(t, k)
		for _, pos := range []int{0, 5, 30, len(msg) / 2, len(msg) - 1} {
			bad := bytes.Clone(msg)
			bad[pos] ^= 0x01
			_, err := c.Decrypt(ctx, bad, v.test.Context)
			assert.Error(t, err, "%s: bit flip at %d", v.name, pos)
		}
		_, err := c.Decrypt(ctx, msg[:len(msg)-1], v.test.Context)
		assert.Error(t, err, "%s: truncated", v.name)
		wrong := map[string]string{}
		for key := range v.test.Context {
			wrong[key] = "not-the-value"
		}
		if len(wrong) > 0 {
			_, err = c.Decrypt(ctx, msg, wrong)
			assert.True(t, errors.Is(err, kms.ErrEncryptionContext) || errors.Is(err, kms.ErrAuthentication) || errors.Is(err, kms.ErrNoDataKey), "%s: wrong context gave %v", v.name, err)
		}
	}
}

// Every raw-key vector that Rewrap takes (all but the suites without key
// derivation, which it refuses) is re-wrapped for the interop AES key, and
// the copy opens in kumo and in the official Go SDK: the legacy suites come
// out in message format 1, under a new message ID.
func TestESDKVectorsRewrap(t *testing.T) {
	ctx := context.Background()
	to, err := kms.NewRawAESKeyring(rawNamespace, rawName, wrappingKey)
	require.NoError(t, err)
	off, offKR := officialWithPolicy(t, mpltypes.ESDKCommitmentPolicyForbidEncryptAllowDecrypt)
	rewrapped, refused, required := 0, 0, 0
	for _, v := range loadVectors(t) {
		k := v.keyring(t)
		if k == nil {
			continue
		}
		if v.test.CMM == "RequiredEncryptionContext" {
			// Pairs authenticated but not stored: Rewrap takes no required
			// context, so it cannot open these.
			required++
			continue
		}
		msg := readVectorFile(t, v.dir, v.test.Ciphertext)
		want := readVectorFile(t, v.dir, v.test.Result.Output.Plaintext)
		h, err := kms.ParseHeader(bytes.NewReader(msg))
		require.NoError(t, err)
		var out bytes.Buffer
		err = legacyClient(t, k).Rewrap(ctx, &out, bytes.NewReader(msg), to)
		if h.Suite.KeyLength() > 0 && !strings.Contains(h.Suite.String(), "NO_KDF") {
			require.NoError(t, err, v.name)
		} else {
			require.ErrorContains(t, err, "Rewrap cannot move a message in suite", v.name)
			refused++
			continue
		}
		nh, err := kms.ParseHeader(bytes.NewReader(out.Bytes()))
		require.NoError(t, err)
		assert.Equal(t, h.Suite, nh.Suite, v.name)
		assert.NotEqual(t, h.MessageID, nh.MessageID, v.name)
		got, err := legacyClient(t, to).Decrypt(ctx, out.Bytes(), v.test.Context)
		require.NoError(t, err, v.name)
		assert.True(t, bytes.Equal(want, got), v.name)
		res, err := off.Decrypt(ctx, esdktypes.DecryptInput{Ciphertext: out.Bytes(), Keyring: offKR, EncryptionContext: v.test.Context})
		require.NoError(t, err, "%s: the official Go SDK", v.name)
		assert.True(t, bytes.Equal(want, res.Plaintext), v.name)
		rewrapped++
	}
	t.Logf("%d vectors re-wrapped and opened by the official Go SDK; %d refused (no key derivation); %d need a required context", rewrapped, refused, required)
	assert.Positive(t, rewrapped)
}
