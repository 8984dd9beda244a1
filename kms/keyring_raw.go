package kms

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
)

// RawAESKeyring wraps data keys with an AES key you hold, with AES-GCM bound
// to the encryption context, exactly as the Encryption SDK's raw AES keyring
// does, so its messages open in every official SDK configured with the same
// namespace, name and key.
type RawAESKeyring struct {
	namespace, name string
	aead            cipher.AEAD
	rand            io.Reader
}

// NewRawAESKeyring returns a raw AES keyring for a 16, 24 or 32-byte
// wrapping key. The namespace and name identify the key in messages; the
// namespace must not start with "aws-kms".
func NewRawAESKeyring(namespace, name string, wrappingKey []byte) (*RawAESKeyring, error) {
	if err := checkRawNames(namespace, name); err != nil {
		return nil, err
	}
	switch len(wrappingKey) {
	case 16, 24, 32:
	default:
		return nil, fmt.Errorf("kms: a raw AES wrapping key is 16, 24 or 32 bytes, not %d", len(wrappingKey))
	}
	block, err := aes.NewCipher(wrappingKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &RawAESKeyring{namespace: namespace, name: name, aead: aead, rand: rand.Reader}, nil
}

func checkRawNames(namespace, name string) error {
	if namespace == "" || name == "" {
		return errors.New("kms: a raw keyring needs a key namespace and a key name")
	}
	if strings.HasPrefix(namespace, kmsProviderID) {
		return fmt.Errorf("kms: the key namespace %q is reserved for KMS keyrings", namespace)
	}
	if len(namespace) > 0xffff || len(name) > 0xffff-8-ivLen {
		return errors.New("kms: the key namespace or name is too long")
	}
	return nil
}

func generateDataKey(m *EncryptionMaterials, r io.Reader) error {
	if m.PlaintextDataKey != nil {
		return nil
	}
	key := make([]byte, m.Suite.KeyLength())
	if _, err := io.ReadFull(r, key); err != nil {
		return fmt.Errorf("kms: generating a data key: %w", err)
	}
	m.PlaintextDataKey = key
	return nil
}

// OnEncrypt implements [Keyring].
func (k *RawAESKeyring) OnEncrypt(_ context.Context, m *EncryptionMaterials) error {
	if err := generateDataKey(m, k.rand); err != nil {
		return err
	}
	aad, err := serializeContext(m.EncryptionContext)
	if err != nil {
		return err
	}
	iv := make([]byte, ivLen)
	if _, err := io.ReadFull(k.rand, iv); err != nil {
		return fmt.Errorf("kms: generating an IV: %w", err)
	}
	info := k.providerInfo(iv)
	m.EncryptedDataKeys = append(m.EncryptedDataKeys, EncryptedDataKey{
		ProviderID:   k.namespace,
		ProviderInfo: info,
		Ciphertext:   k.aead.Seal(nil, iv, m.PlaintextDataKey, aad),
	})
	return nil
}

// providerInfo is the key name, the tag length in bits, the IV length in
// bytes, and the IV.
func (k *RawAESKeyring) providerInfo(iv []byte) []byte {
	info := append([]byte(k.name), 0, 0, 0, tagLen*8, 0, 0, 0, ivLen)
	return append(info, iv...)
}

// OnDecrypt implements [Keyring].
func (k *RawAESKeyring) OnDecrypt(_ context.Context, m *DecryptionMaterials, edks []EncryptedDataKey) error {
	if m.PlaintextDataKey != nil {
		return nil
	}
	aad, err := serializeContext(m.EncryptionContext)
	if err != nil {
		return err
	}
	prefix := k.providerInfo(nil)
	tried := 0
	for _, e := range edks {
		if e.ProviderID != k.namespace || len(e.ProviderInfo) != len(prefix)+ivLen || !bytes.HasPrefix(e.ProviderInfo, prefix) {
			continue
		}
		if len(e.Ciphertext) != m.Suite.KeyLength()+tagLen {
			continue
		}
		tried++
		key, err := k.aead.Open(nil, e.ProviderInfo[len(prefix):], e.Ciphertext, aad)
		if err == nil {
			m.PlaintextDataKey = key
			return nil
		}
	}
	if tried == 0 {
		return fmt.Errorf("raw AES key %s/%s: no encrypted data key is for it", k.namespace, k.name)
	}
	return fmt.Errorf("raw AES key %s/%s: %d encrypted data key(s) for it did not open (wrong key or encryption context)", k.namespace, k.name, tried)
}

// RSAPadding is how a raw RSA keyring pads data keys.
type RSAPadding int

// The RSA paddings of the Encryption SDK. OAEP uses the same hash for MGF1.
const (
	OAEPSHA256 RSAPadding = iota
	OAEPSHA1
	OAEPSHA384
	OAEPSHA512
	PKCS1
)

func (p RSAPadding) String() string {
	if p < OAEPSHA256 || p > PKCS1 {
		return fmt.Sprintf("RSAPadding(%d)", int(p))
	}
	return [...]string{"OAEP-SHA256", "OAEP-SHA1", "OAEP-SHA384", "OAEP-SHA512", "PKCS1"}[p]
}

func (p RSAPadding) hash() (func() hash.Hash, crypto.Hash) {
	switch p {
	case OAEPSHA1:
		return sha1.New, crypto.SHA1
	case OAEPSHA384:
		return sha512.New384, crypto.SHA384
	case OAEPSHA512:
		return sha512.New, crypto.SHA512
	default:
		return sha256.New, crypto.SHA256
	}
}

// RawRSAKeyring wraps data keys with an RSA key pair you hold, as the
// Encryption SDK's raw RSA keyring does. With only the public key it can
// encrypt; decrypting needs the private key.
type RawRSAKeyring struct {
	namespace, name string
	pub             *rsa.PublicKey
	priv            *rsa.PrivateKey
	padding         RSAPadding
	rand            io.Reader
}

// NewRawRSAKeyring returns a raw RSA keyring. Give the public key, the
// private key, or both (priv alone implies its public half).
func NewRawRSAKeyring(namespace, name string, pub *rsa.PublicKey, priv *rsa.PrivateKey, padding RSAPadding) (*RawRSAKeyring, error) {
	if err := checkRawNames(namespace, name); err != nil {
		return nil, err
	}
	if padding < OAEPSHA256 || padding > PKCS1 {
		return nil, fmt.Errorf("kms: unknown RSA padding %d; allowed are OAEPSHA256 (0), OAEPSHA1, OAEPSHA384, OAEPSHA512 and PKCS1 (4)", padding)
	}
	if pub == nil && priv != nil {
		pub = &priv.PublicKey
	}
	if pub == nil {
		return nil, errors.New("kms: a raw RSA keyring needs a public or a private key")
	}
	if priv != nil && !priv.PublicKey.Equal(pub) {
		return nil, errors.New("kms: the RSA public and private keys are not a pair")
	}
	return &RawRSAKeyring{namespace: namespace, name: name, pub: pub, priv: priv, padding: padding, rand: rand.Reader}, nil
}

// OnEncrypt implements [Keyring].
func (k *RawRSAKeyring) OnEncrypt(_ context.Context, m *EncryptionMaterials) error {
	if err := generateDataKey(m, k.rand); err != nil {
		return err
	}
	var ct []byte
	var err error
	if k.padding == PKCS1 {
		ct, err = rsa.EncryptPKCS1v15(k.rand, k.pub, m.PlaintextDataKey)
	} else {
		h, _ := k.padding.hash()
		ct, err = rsa.EncryptOAEP(h(), k.rand, k.pub, m.PlaintextDataKey, nil)
	}
	if err != nil {
		return fmt.Errorf("kms: raw RSA key %s/%s: %w", k.namespace, k.name, err)
	}
	m.EncryptedDataKeys = append(m.EncryptedDataKeys, EncryptedDataKey{ProviderID: k.namespace, ProviderInfo: []byte(k.name), Ciphertext: ct})
	return nil
}

// OnDecrypt implements [Keyring].
func (k *RawRSAKeyring) OnDecrypt(_ context.Context, m *DecryptionMaterials, edks []EncryptedDataKey) error {
	if m.PlaintextDataKey != nil {
		return nil
	}
	if k.priv == nil {
		return fmt.Errorf("raw RSA key %s/%s: no private key to decrypt with", k.namespace, k.name)
	}
	tried := 0
	for _, e := range edks {
		if e.ProviderID != k.namespace || string(e.ProviderInfo) != k.name {
			continue
		}
		tried++
		var key []byte
		var err error
		if k.padding == PKCS1 {
			key, err = rsa.DecryptPKCS1v15(nil, k.priv, e.Ciphertext)
		} else {
			_, h := k.padding.hash()
			key, err = k.priv.Decrypt(nil, e.Ciphertext, &rsa.OAEPOptions{Hash: h, MGFHash: h})
		}
		if err == nil && len(key) == m.Suite.KeyLength() {
			m.PlaintextDataKey = key
			return nil
		}
	}
	if tried == 0 {
		return fmt.Errorf("raw RSA key %s/%s: no encrypted data key is for it", k.namespace, k.name)
	}
	return fmt.Errorf("raw RSA key %s/%s: %d encrypted data key(s) for it did not open with %v", k.namespace, k.name, tried, k.padding)
}
