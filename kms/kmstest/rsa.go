package kmstest

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"hash"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/kumo-go/kumo/internal/fakecall"
)

// rsaSpecs are the RSA key specs KMS offers for encryption, by modulus
// size in bits.
var rsaSpecs = map[types.KeySpec]int{types.KeySpecRsa2048: 2048, types.KeySpecRsa3072: 3072, types.KeySpecRsa4096: 4096}

// CreateRSAKey adds an enabled asymmetric RSA key for encryption (key usage
// ENCRYPT_DECRYPT) of spec types.KeySpecRsa2048, Rsa3072 or Rsa4096 and
// returns its ARN. Its public key is served by GetPublicKey; Encrypt and
// Decrypt use it with EncryptionAlgorithm RSAES_OAEP_SHA_1 or
// RSAES_OAEP_SHA_256, as KMS does. Generating a 4096-bit key takes about a
// second; [Fake.ImportRSAKey] reuses a key across tests.
func (f *Fake) CreateRSAKey(spec types.KeySpec) (string, error) {
	bits, ok := rsaSpecs[spec]
	if !ok {
		return "", apiError("ValidationException", fmt.Sprintf("KeySpec %q is not an RSA key spec for encryption; allowed are RSA_2048, RSA_3072 and RSA_4096", spec))
	}
	priv, err := rsa.GenerateKey(f.opts.Rand, bits)
	if err != nil {
		panic("kmstest: generating an RSA key: " + err.Error())
	}
	return f.ImportRSAKey(priv)
}

// ImportRSAKey adds an enabled asymmetric RSA key for encryption with the
// given private key, which must be 2048, 3072 or 4096 bits, and returns its
// ARN. It is CreateRSAKey with a key the test chose.
func (f *Fake) ImportRSAKey(priv *rsa.PrivateKey) (string, error) {
	if priv == nil {
		return "", apiError("ValidationException", "a private key is required")
	}
	var spec types.KeySpec
	for s, bits := range rsaSpecs {
		if priv.N.BitLen() == bits {
			spec = s
		}
	}
	if spec == "" {
		return "", apiError("ValidationException", fmt.Sprintf("a %d-bit RSA key; KMS has RSA_2048, RSA_3072 and RSA_4096", priv.N.BitLen()))
	}
	id := f.newKeyID()
	k := &key{id: id, arn: f.arn("key/" + id), state: types.KeyStateEnabled, rsa: priv, spec: spec, created: f.opts.Clock()}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[id] = k
	return k.arn, nil
}

// keySpec is the key's KeySpec, as DescribeKey reports it.
func (k *key) keySpec() types.KeySpec {
	if k.rsa != nil {
		return k.spec
	}
	return types.KeySpecSymmetricDefault
}

// isRSAAlgorithm reports whether an EncryptionAlgorithm asks for RSA.
func isRSAAlgorithm(a types.EncryptionAlgorithmSpec) bool {
	return a == types.EncryptionAlgorithmSpecRsaesOaepSha1 || a == types.EncryptionAlgorithmSpecRsaesOaepSha256
}

// rsaKey looks up an RSA key for an operation under algorithm alg. f.mu is
// held.
func (f *Fake) rsaKey(keyID string, alg types.EncryptionAlgorithmSpec) (*key, crypto.Hash, error) {
	k, err := f.lookup(keyID)
	if err != nil {
		return nil, 0, err
	}
	if k.rsa == nil {
		return nil, 0, apiError("InvalidKeyUsageException", fmt.Sprintf("%s is a symmetric key; EncryptionAlgorithm %s needs an RSA key", k.arn, alg))
	}
	if err := usable(k); err != nil {
		return nil, 0, err
	}
	if alg == types.EncryptionAlgorithmSpecRsaesOaepSha1 {
		return k, crypto.SHA1, nil
	}
	return k, crypto.SHA256, nil
}

// encryptRSA is Encrypt with an RSA EncryptionAlgorithm. f.mu is held.
func (f *Fake) encryptRSA(in *awskms.EncryptInput) (*awskms.EncryptOutput, error) {
	if len(in.EncryptionContext) > 0 {
		return nil, apiError("ValidationException", "EncryptionContext is not supported with asymmetric keys")
	}
	k, h, err := f.rsaKey(aws.ToString(in.KeyId), in.EncryptionAlgorithm)
	if err != nil {
		return nil, err
	}
	// KMS's limit is the OAEP limit of the key: k - 2*hLen - 2 bytes.
	if max := k.rsa.Size() - 2*h.Size() - 2; len(in.Plaintext) == 0 || len(in.Plaintext) > max {
		return nil, apiError("ValidationException", fmt.Sprintf("Plaintext must be 1 to %d bytes for %s with %s", max, k.spec, in.EncryptionAlgorithm))
	}
	ct, err := rsa.EncryptOAEP(newHash(h), f.opts.Rand, &k.rsa.PublicKey, in.Plaintext, nil)
	if err != nil {
		return nil, apiError("KMSInternalException", err.Error())
	}
	return &awskms.EncryptOutput{CiphertextBlob: ct, KeyId: aws.String(k.arn), EncryptionAlgorithm: in.EncryptionAlgorithm}, nil
}

// decryptRSA is Decrypt with an RSA EncryptionAlgorithm; as in KMS, the
// KeyId is required (an RSA ciphertext does not name its key). f.mu is
// held.
func (f *Fake) decryptRSA(in *awskms.DecryptInput) (*awskms.DecryptOutput, error) {
	if in.KeyId == nil {
		return nil, apiError("ValidationException", "KeyId is required to decrypt with an asymmetric key")
	}
	if len(in.EncryptionContext) > 0 {
		return nil, apiError("ValidationException", "EncryptionContext is not supported with asymmetric keys")
	}
	k, h, err := f.rsaKey(aws.ToString(in.KeyId), in.EncryptionAlgorithm)
	if err != nil {
		return nil, err
	}
	pt, err := rsa.DecryptOAEP(newHash(h), nil, k.rsa, in.CiphertextBlob, nil)
	if err != nil {
		return nil, apiError("InvalidCiphertextException", "the ciphertext is invalid for this key and EncryptionAlgorithm")
	}
	return &awskms.DecryptOutput{Plaintext: pt, KeyId: aws.String(k.arn), EncryptionAlgorithm: in.EncryptionAlgorithm}, nil
}

func newHash(h crypto.Hash) hash.Hash {
	if h == crypto.SHA1 {
		return sha1.New()
	}
	return sha256.New()
}

// GetPublicKey returns an RSA key's public key (DER, SubjectPublicKeyInfo)
// and what it may be used for; a symmetric key answers
// UnsupportedOperationException, as in KMS.
func (f *Fake) GetPublicKey(_ context.Context, in *awskms.GetPublicKeyInput, _ ...func(*awskms.Options)) (out *awskms.GetPublicKeyOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("GetPublicKey", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "GetPublicKey", &out, &err)
	k, err := f.lookup(aws.ToString(in.KeyId))
	if err != nil {
		return nil, err
	}
	if k.rsa == nil {
		return nil, apiError("UnsupportedOperationException", k.arn+" is a symmetric key, which has no public key")
	}
	if err := usable(k); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
	if err != nil {
		return nil, apiError("KMSInternalException", err.Error())
	}
	return &awskms.GetPublicKeyOutput{
		KeyId: aws.String(k.arn), PublicKey: der, KeySpec: k.spec, KeyUsage: types.KeyUsageTypeEncryptDecrypt,
		EncryptionAlgorithms: []types.EncryptionAlgorithmSpec{types.EncryptionAlgorithmSpecRsaesOaepSha1, types.EncryptionAlgorithmSpecRsaesOaepSha256},
	}, nil
}
