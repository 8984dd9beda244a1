package kms

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/x509"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/kumo-go/kumo/internal/opts"
	"github.com/kumo-go/kumo/internal/redact"
)

// kmsRSAProviderID is the provider ID of data keys wrapped by the AWS KMS
// RSA keyring.
const kmsRSAProviderID = "aws-kms-rsa"

// ecDigestLen is the length of the SHA-384 digest of the encryption context
// that the AWS KMS RSA keyring encrypts with each data key.
const ecDigestLen = sha512.Size384

// KMSRSAOptions configure a [KMSRSAKeyring]. The zero value of each field
// means its documented default.
type KMSRSAOptions struct {
	// PublicKey is the KMS key's public key, which encrypts data keys
	// without calling KMS. Default: fetched with GetPublicKey on the first
	// encrypt (and kept), which needs a client. It must have at least 2048
	// bits; that it belongs to the KMS key is the caller's word.
	PublicKey *rsa.PublicKey

	// Rand is the source of data keys and OAEP padding; default
	// crypto/rand.
	Rand io.Reader
}

// KMSRSAKeyring is the Encryption SDK's AWS KMS RSA keyring: it wraps data
// keys with the public key of an asymmetric KMS key (RSA, key usage
// ENCRYPT_DECRYPT), offline, and unwraps them through KMS Decrypt, so
// anyone with the public key can encrypt and only callers allowed to use
// the KMS key can decrypt. Data keys carry the SHA-384 digest of the
// encryption context (RSA does not bind one), and decrypt checks it.
//
// As the specification requires, it refuses the signed suite
// (SuiteCommittedSigned): whoever has the public key could sign, so a
// signature would prove nothing.
type KMSRSAKeyring struct {
	client KMSAPI
	keyARN string
	alg    types.EncryptionAlgorithmSpec
	hash   crypto.Hash
	rand   io.Reader
	grants []string

	mu  sync.Mutex
	pub *rsa.PublicKey // given, or fetched once
}

// NewKMSRSAKeyring returns the AWS KMS RSA keyring of the RSA KMS key
// keyARN (a key ARN: it is stored in each message and matched on decrypt,
// so key IDs and aliases are refused) with algorithm
// types.EncryptionAlgorithmSpecRsaesOaepSha1 or RsaesOaepSha256. client
// calls GetPublicKey (when the options give no public key) and Decrypt; it
// may be nil for a keyring that only encrypts with Options.PublicKey.
func NewKMSRSAKeyring(client KMSAPI, keyARN string, algorithm types.EncryptionAlgorithmSpec, optFns ...func(*KMSRSAOptions)) (*KMSRSAKeyring, error) {
	o := KMSRSAOptions{}
	opts.Apply(&o, optFns)
	if !isKeyARN(keyARN) {
		return nil, fmt.Errorf("kms: the KMS RSA keyring needs a key ARN (arn:aws:kms:<region>:<account>:key/<id>), not %q", keyARN)
	}
	h, err := kmsRSAHash(algorithm)
	if err != nil {
		return nil, err
	}
	if client == nil && o.PublicKey == nil {
		return nil, errors.New("kms: the KMS RSA keyring needs a client, a public key (KMSRSAOptions.PublicKey), or both")
	}
	if o.PublicKey != nil {
		if err := checkKMSRSAPublicKey(o.PublicKey); err != nil {
			return nil, err
		}
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	return &KMSRSAKeyring{client: client, keyARN: keyARN, alg: algorithm, hash: h, rand: o.Rand, pub: o.PublicKey}, nil
}

// WithGrantTokens returns a copy of the keyring that sends grant tokens with
// every KMS call.
func (k *KMSRSAKeyring) WithGrantTokens(tokens ...string) *KMSRSAKeyring {
	k.mu.Lock()
	pub := k.pub
	k.mu.Unlock()
	return &KMSRSAKeyring{client: k.client, keyARN: k.keyARN, alg: k.alg, hash: k.hash, rand: k.rand, grants: tokens, pub: pub}
}

func kmsRSAHash(alg types.EncryptionAlgorithmSpec) (crypto.Hash, error) {
	switch alg {
	case types.EncryptionAlgorithmSpecRsaesOaepSha1:
		return crypto.SHA1, nil
	case types.EncryptionAlgorithmSpecRsaesOaepSha256:
		return crypto.SHA256, nil
	}
	return 0, fmt.Errorf("kms: unknown KMS RSA encryption algorithm %q; allowed are RSAES_OAEP_SHA_1 and RSAES_OAEP_SHA_256", alg)
}

func checkKMSRSAPublicKey(pub *rsa.PublicKey) error {
	if pub.N == nil || pub.N.BitLen() < 2048 {
		bits := 0
		if pub.N != nil {
			bits = pub.N.BitLen()
		}
		return fmt.Errorf("kms: the KMS RSA keyring's public key has %d bits; at least 2048 are required", bits)
	}
	return nil
}

// publicKey returns the public key, fetching it once with GetPublicKey.
func (k *KMSRSAKeyring) publicKey(ctx context.Context) (*rsa.PublicKey, error) {
	k.mu.Lock()
	pub := k.pub
	k.mu.Unlock()
	if pub != nil {
		return pub, nil
	}
	if k.client == nil {
		return nil, errors.New("kms: this KMS RSA keyring has neither a public key nor a client to fetch one")
	}
	out, err := k.client.GetPublicKey(ctx, &awskms.GetPublicKeyInput{KeyId: aws.String(k.keyARN), GrantTokens: k.grants})
	if err != nil {
		return nil, fmt.Errorf("kms: GetPublicKey with %s: %w", k.keyARN, err)
	}
	switch {
	case aws.ToString(out.KeyId) != k.keyARN:
		return nil, fmt.Errorf("kms: GetPublicKey answered for key %q, not %s", aws.ToString(out.KeyId), k.keyARN)
	case out.KeyUsage != types.KeyUsageTypeEncryptDecrypt:
		return nil, fmt.Errorf("kms: %s has key usage %s; the KMS RSA keyring needs ENCRYPT_DECRYPT", k.keyARN, out.KeyUsage)
	case !slices.Contains(out.EncryptionAlgorithms, k.alg):
		return nil, fmt.Errorf("kms: %s does not support %s (it supports %v)", k.keyARN, k.alg, out.EncryptionAlgorithms)
	}
	parsed, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("kms: the public key of %s does not parse: %w", k.keyARN, err)
	}
	pub, ok := parsed.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("kms: %s has a %T public key, not an RSA one", k.keyARN, parsed)
	}
	if err := checkKMSRSAPublicKey(pub); err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.pub = pub
	k.mu.Unlock()
	return pub, nil
}

// contextDigest is the SHA-384 digest of the serialized encryption context.
func contextDigest(ec map[string]string) ([]byte, error) {
	b, err := serializeContext(ec)
	if err != nil {
		return nil, err
	}
	d := sha512.Sum384(b)
	return d[:], nil
}

func signedSuite(s Suite) bool {
	info, _ := s.info()
	return info.curve != nil
}

// OnEncrypt implements [Keyring]: it makes the data key when the materials
// have none and adds its copy, encrypted with the public key.
func (k *KMSRSAKeyring) OnEncrypt(ctx context.Context, m *EncryptionMaterials) error {
	if signedSuite(m.Suite) {
		return fmt.Errorf("kms: the KMS RSA keyring refuses the signed suite %v (anyone with the public key could sign); use SuiteCommitted", m.Suite)
	}
	pub, err := k.publicKey(ctx)
	if err != nil {
		return err
	}
	digest, err := contextDigest(m.EncryptionContext)
	if err != nil {
		return err
	}
	dataKey := m.PlaintextDataKey
	if dataKey == nil {
		dataKey = make([]byte, m.Suite.KeyLength())
		if _, err := io.ReadFull(k.rand, dataKey); err != nil {
			return fmt.Errorf("kms: making a data key: %w", err)
		}
	}
	ct, err := rsa.EncryptOAEP(k.newHash(), k.rand, pub, append(digest, dataKey...), nil)
	if err != nil {
		return fmt.Errorf("kms: RSA encryption with the public key of %s: %w", k.keyARN, err)
	}
	m.PlaintextDataKey = dataKey
	m.EncryptedDataKeys = append(m.EncryptedDataKeys, EncryptedDataKey{ProviderID: kmsRSAProviderID, ProviderInfo: []byte(k.keyARN), Ciphertext: ct})
	return nil
}

func (k *KMSRSAKeyring) newHash() hash.Hash {
	if k.hash == crypto.SHA1 {
		return sha1.New()
	}
	return sha256.New()
}

// OnDecrypt implements [Keyring]: each aws-kms-rsa data key of its KMS key
// (or, for a multi-Region key, a replica) is sent to KMS Decrypt with the
// keyring's algorithm until one decrypts with the right context digest.
// A message with an aws-kms-rsa data key whose provider info is not a key
// ARN is refused with [ErrMalformed], as the official Go SDK refuses it.
func (k *KMSRSAKeyring) OnDecrypt(ctx context.Context, m *DecryptionMaterials, edks []EncryptedDataKey) error {
	if m.PlaintextDataKey != nil {
		return nil
	}
	if k.client == nil {
		return errors.New("kms: this KMS RSA keyring has no client, so it cannot decrypt")
	}
	if signedSuite(m.Suite) {
		return fmt.Errorf("kms: the KMS RSA keyring refuses the signed suite %v (anyone with the public key could sign)", m.Suite)
	}
	if err := checkProviderInfo(edks, kmsRSAProviderID); err != nil {
		return err
	}
	digest, err := contextDigest(m.EncryptionContext)
	if err != nil {
		return err
	}
	f := newKeyFailures()
	for _, e := range edks {
		info := string(e.ProviderInfo)
		if e.ProviderID != kmsRSAProviderID || !mrkMatchForDecrypt(k.keyARN, info) {
			continue
		}
		out, err := k.client.Decrypt(ctx, &awskms.DecryptInput{
			KeyId:               aws.String(k.keyARN),
			CiphertextBlob:      e.Ciphertext,
			EncryptionAlgorithm: k.alg,
			GrantTokens:         k.grants,
		})
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			f.add(info, fmt.Errorf("Decrypt: %w", err))
		case aws.ToString(out.KeyId) != k.keyARN:
			f.add(info, fmt.Errorf("Decrypt answered for key %s", aws.ToString(out.KeyId)))
		case len(out.Plaintext) != ecDigestLen+m.Suite.KeyLength():
			f.add(info, fmt.Errorf("Decrypt returned %d bytes; a context digest and a data key are %d", len(out.Plaintext), ecDigestLen+m.Suite.KeyLength()))
		case subtle.ConstantTimeCompare(out.Plaintext[:ecDigestLen], digest) != 1:
			f.add(info, fmt.Errorf("%w: the data key was encrypted under another encryption context", ErrEncryptionContext))
		default:
			m.PlaintextDataKey = out.Plaintext[ecDigestLen:]
			return nil
		}
	}
	if f.empty() {
		f.add(k.keyARN, errors.New("no aws-kms-rsa encrypted data key is for it"))
	}
	return f.err("KMS RSA keyring")
}

// String names the KMS key and algorithm; the client (and its credentials)
// and grant tokens are left out.
func (k *KMSRSAKeyring) String() string {
	return redact.Describe("KMSRSAKeyring", "keyARN", k.keyARN, "algorithm", string(k.alg), "client", k.client != nil,
		"grantTokens", len(k.grants))
}

// GoString is String qualified by the package, for %#v.
func (k *KMSRSAKeyring) GoString() string { return redact.GoString(k) }

// Format prints String under every verb.
func (k *KMSRSAKeyring) Format(f fmt.State, verb rune) { redact.Format(f, verb, k) }

// LogValue logs String.
func (k *KMSRSAKeyring) LogValue() slog.Value { return redact.LogValue(k) }
