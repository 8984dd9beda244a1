package interop

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"testing"

	mpl "github.com/aws/aws-cryptographic-material-providers-library/releases/go/mpl/awscryptographymaterialproviderssmithygenerated"
	mpltypes "github.com/aws/aws-cryptographic-material-providers-library/releases/go/mpl/awscryptographymaterialproviderssmithygeneratedtypes"
	esdk "github.com/aws/aws-encryption-sdk/releases/go/encryption-sdk/awscryptographyencryptionsdksmithygenerated"
	esdktypes "github.com/aws/aws-encryption-sdk/releases/go/encryption-sdk/awscryptographyencryptionsdksmithygeneratedtypes"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/kms"
)

var wrappingKey = bytes.Repeat([]byte{0x42}, 32)

const (
	rawNamespace = "kumo-interop"
	rawName      = "aes-key-1"
)

// official returns the official Go Encryption SDK client and a raw AES
// keyring on the same key as kumoAES.
func official(t testing.TB) (*esdk.Client, mpltypes.IKeyring) {
	t.Helper()
	return officialWithPolicy(t, mpltypes.ESDKCommitmentPolicyRequireEncryptRequireDecrypt)
}

func officialWithPolicy(t testing.TB, policy mpltypes.ESDKCommitmentPolicy) (*esdk.Client, mpltypes.IKeyring) {
	t.Helper()
	m, err := mpl.NewClient(mpltypes.MaterialProvidersConfig{})
	require.NoError(t, err)
	kr, err := m.CreateRawAesKeyring(context.Background(), mpltypes.CreateRawAesKeyringInput{
		KeyName: rawName, KeyNamespace: rawNamespace, WrappingKey: wrappingKey, WrappingAlg: mpltypes.AesWrappingAlgAlgAes256GcmIv12Tag16,
	})
	require.NoError(t, err)
	c, err := esdk.NewClient(esdktypes.AwsEncryptionSdkConfig{CommitmentPolicy: &policy})
	require.NoError(t, err)
	return c, kr
}

func kumoAES(t testing.TB, fns ...func(*kms.Options)) *kms.Client {
	t.Helper()
	kr, err := kms.NewRawAESKeyring(rawNamespace, rawName, wrappingKey)
	require.NoError(t, err)
	c, err := kms.New(kr, fns...)
	require.NoError(t, err)
	return c
}

func TestOfficialGoSDKBothWays(t *testing.T) {
	ctx := context.Background()
	off, offKR := official(t)
	ec := map[string]string{"purpose": "interop", "team": "kumo"}
	for _, suite := range []kms.Suite{kms.SuiteCommitted, kms.SuiteCommittedSigned} {
		for _, size := range []int{0, 1, 4095, 4096, 4097, 3 << 20} {
			t.Run(fmt.Sprintf("%04x/%d", uint16(suite), size), func(t *testing.T) {
				pt := make([]byte, size)
				for i := range pt {
					pt[i] = byte(i * 7)
				}
				k := kumoAES(t, func(o *kms.Options) { o.Suite = suite })
				// kumo -> official
				msg, err := k.Encrypt(ctx, pt, ec)
				require.NoError(t, err)
				out, err := off.Decrypt(ctx, esdktypes.DecryptInput{Ciphertext: msg, Keyring: offKR, EncryptionContext: ec})
				require.NoError(t, err)
				require.True(t, bytes.Equal(pt, out.Plaintext))
				// official -> kumo
				id := mpltypes.ESDKAlgorithmSuiteIdAlgAes256GcmHkdfSha512CommitKey
				if suite.Signed() {
					id = mpltypes.ESDKAlgorithmSuiteIdAlgAes256GcmHkdfSha512CommitKeyEcdsaP384
				}
				frame := int64(4096)
				enc, err := off.Encrypt(ctx, esdktypes.EncryptInput{Plaintext: pt, Keyring: offKR, EncryptionContext: ec, AlgorithmSuiteId: &id, FrameLength: &frame})
				require.NoError(t, err)
				got, err := k.Decrypt(ctx, enc.Ciphertext, ec)
				require.NoError(t, err)
				require.True(t, bytes.Equal(pt, got))
				h, err := kms.ParseHeader(bytes.NewReader(enc.Ciphertext))
				require.NoError(t, err)
				require.Equal(t, suite, h.Suite)
			})
		}
	}
}

// patternReader yields size bytes of a fixed pattern without holding them,
// as cheaply as a file in the page cache would.
type patternReader struct{ left int64 }

var pattern = func() []byte {
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(i * 31)
	}
	return b
}()

func (p *patternReader) Read(b []byte) (int, error) {
	if p.left <= 0 {
		return 0, io.EOF
	}
	n := copy(b[:min(int64(len(b)), p.left)], pattern)
	p.left -= int64(n)
	return n, nil
}

// BenchmarkVsOfficialGoSDK encrypts the same 100 MiB with the same raw AES
// key, suite 0x0578 and 4 KiB frames: the official SDK from a buffer (all it
// takes), kumo streaming (as a file would be). Each reports MB/s and the
// peak live heap it added.
func BenchmarkVsOfficialGoSDK(b *testing.B) {
	const size = 100 << 20
	ctx := context.Background()
	ec := map[string]string{"bench": "vs-official"}
	b.Run("official", func(b *testing.B) {
		off, kr := official(b)
		id := mpltypes.ESDKAlgorithmSuiteIdAlgAes256GcmHkdfSha512CommitKeyEcdsaP384
		frame := int64(4096)
		b.SetBytes(size)
		var peak uint64
		for range b.N {
			peak = max(peak, peakHeap(func() {
				pt := make([]byte, size)
				_, err := off.Encrypt(ctx, esdktypes.EncryptInput{Plaintext: pt, Keyring: kr, EncryptionContext: ec, AlgorithmSuiteId: &id, FrameLength: &frame})
				require.NoError(b, err)
			}))
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	})
	for _, conc := range []int{1, 2} {
		b.Run(fmt.Sprintf("kumo-stream-conc%d", conc), func(b *testing.B) {
			k := kumoAES(b, func(o *kms.Options) { o.Suite, o.FrameSize, o.Concurrency = kms.SuiteCommittedSigned, 4096, conc })
			b.SetBytes(size)
			var peak uint64
			for range b.N {
				peak = max(peak, peakHeap(func() {
					w, err := k.EncryptWriter(ctx, io.Discard, ec)
					require.NoError(b, err)
					_, err = io.CopyBuffer(w, &patternReader{left: size}, make([]byte, 256<<10))
					require.NoError(b, err)
					require.NoError(b, w.Close())
				}))
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// TestRewrapOpensInOfficialSDKs: a message re-wrapped by kumo, for the key
// the official SDKs hold, opens in the official Go SDK and in the
// JavaScript SDK: kumo's own messages and the official Go SDK's, in both
// suites, empty and over many frames.
func TestRewrapOpensInOfficialSDKs(t *testing.T) {
	ctx := context.Background()
	off, offKR := official(t)
	oldKey := bytes.Repeat([]byte{0x24}, 32)
	from, err := kms.NewRawAESKeyring("kumo-interop-old", "old-key", oldKey)
	require.NoError(t, err)
	offFrom, err := mpl.NewClient(mpltypes.MaterialProvidersConfig{})
	require.NoError(t, err)
	offOldKR, err := offFrom.CreateRawAesKeyring(ctx, mpltypes.CreateRawAesKeyringInput{
		KeyName: "old-key", KeyNamespace: "kumo-interop-old", WrappingKey: oldKey, WrappingAlg: mpltypes.AesWrappingAlgAlgAes256GcmIv12Tag16,
	})
	require.NoError(t, err)
	to, err := kms.NewRawAESKeyring(rawNamespace, rawName, wrappingKey)
	require.NoError(t, err)
	ec := map[string]string{"purpose": "rewrap", "lang": "go"}
	for _, suite := range []kms.Suite{kms.SuiteCommitted, kms.SuiteCommittedSigned} {
		for _, size := range []int{0, 5000, 1 << 20} {
			pt := make([]byte, size)
			for i := range pt {
				pt[i] = byte(i * 13)
			}
			c, err := kms.New(from, func(o *kms.Options) { o.Suite, o.FrameSize = suite, 4096 })
			require.NoError(t, err)
			kumoMsg, err := c.Encrypt(ctx, pt, ec)
			require.NoError(t, err)
			id := mpltypes.ESDKAlgorithmSuiteIdAlgAes256GcmHkdfSha512CommitKey
			if suite.Signed() {
				id = mpltypes.ESDKAlgorithmSuiteIdAlgAes256GcmHkdfSha512CommitKeyEcdsaP384
			}
			frame := int64(1000)
			offMsg, err := off.Encrypt(ctx, esdktypes.EncryptInput{Plaintext: pt, Keyring: offOldKR, EncryptionContext: ec, AlgorithmSuiteId: &id, FrameLength: &frame})
			require.NoError(t, err)
			for name, msg := range map[string][]byte{"kumo's": kumoMsg, "the official Go SDK's": offMsg.Ciphertext} {
				t.Run(fmt.Sprintf("%04x/%d/%s", uint16(suite), size, name), func(t *testing.T) {
					var out bytes.Buffer
					require.NoError(t, c.Rewrap(ctx, &out, bytes.NewReader(msg), to))
					res, err := off.Decrypt(ctx, esdktypes.DecryptInput{Ciphertext: out.Bytes(), Keyring: offKR, EncryptionContext: ec})
					require.NoError(t, err, "the official Go SDK")
					require.True(t, bytes.Equal(pt, res.Plaintext))
					cfg := map[string]any{"op": "decrypt", "keyring": "aes", "aesKeyHex": hex.EncodeToString(wrappingKey), "namespace": rawNamespace, "name": rawName, "context": ec}
					require.True(t, bytes.Equal(pt, nodeESDK(t, cfg, out.Bytes())), "the JavaScript SDK")
				})
			}
		}
	}
}
