package kms

import (
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
)

// Suite is an AWS Encryption SDK algorithm suite, named by its two-byte ID.
// kumo encrypts with [SuiteCommitted] (the default) or [SuiteCommittedSigned]
// and decrypts all eleven ESDK suites.
type Suite uint16

// The algorithm suites of the AWS Encryption SDK message format.
const (
	// SuiteCommitted is AES-256-GCM with HKDF-SHA512 and key commitment,
	// message format 2: the default.
	SuiteCommitted Suite = 0x0478
	// SuiteCommittedSigned adds an ECDSA P-384 signature to SuiteCommitted, so
	// that whoever can decrypt still cannot forge a message.
	SuiteCommittedSigned Suite = 0x0578

	// The legacy suites of message format 1, decrypted only under
	// [AllowLegacyDecrypt] since they do not commit to their key.
	SuiteAES128GCMNoKDF          Suite = 0x0014
	SuiteAES192GCMNoKDF          Suite = 0x0046
	SuiteAES256GCMNoKDF          Suite = 0x0078
	SuiteAES128GCMHKDFSHA256     Suite = 0x0114
	SuiteAES192GCMHKDFSHA256     Suite = 0x0146
	SuiteAES256GCMHKDFSHA256     Suite = 0x0178
	SuiteAES128GCMHKDFSHA256P256 Suite = 0x0214
	SuiteAES192GCMHKDFSHA384P384 Suite = 0x0346
	SuiteAES256GCMHKDFSHA384P384 Suite = 0x0378
)

type suiteInfo struct {
	name      string
	version   byte // message format
	keyLen    int  // data key and encryption key length, bytes
	kdf       func() hash.Hash
	commit    bool
	curve     elliptic.Curve // nil: unsigned
	sigHash   func() hash.Hash
	suiteData int // bytes of algorithm suite data in a v2 header
}

func sha384() hash.Hash { return sha512.New384() }

var suites = map[Suite]suiteInfo{
	SuiteAES128GCMNoKDF:          {name: "AES_128_GCM_IV12_TAG16_NO_KDF", version: 1, keyLen: 16},
	SuiteAES192GCMNoKDF:          {name: "AES_192_GCM_IV12_TAG16_NO_KDF", version: 1, keyLen: 24},
	SuiteAES256GCMNoKDF:          {name: "AES_256_GCM_IV12_TAG16_NO_KDF", version: 1, keyLen: 32},
	SuiteAES128GCMHKDFSHA256:     {name: "AES_128_GCM_IV12_TAG16_HKDF_SHA256", version: 1, keyLen: 16, kdf: sha256.New},
	SuiteAES192GCMHKDFSHA256:     {name: "AES_192_GCM_IV12_TAG16_HKDF_SHA256", version: 1, keyLen: 24, kdf: sha256.New},
	SuiteAES256GCMHKDFSHA256:     {name: "AES_256_GCM_IV12_TAG16_HKDF_SHA256", version: 1, keyLen: 32, kdf: sha256.New},
	SuiteAES128GCMHKDFSHA256P256: {name: "AES_128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256", version: 1, keyLen: 16, kdf: sha256.New, curve: elliptic.P256(), sigHash: sha256.New},
	SuiteAES192GCMHKDFSHA384P384: {name: "AES_192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384", version: 1, keyLen: 24, kdf: sha384, curve: elliptic.P384(), sigHash: sha384},
	SuiteAES256GCMHKDFSHA384P384: {name: "AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384", version: 1, keyLen: 32, kdf: sha384, curve: elliptic.P384(), sigHash: sha384},
	SuiteCommitted:               {name: "AES_256_GCM_HKDF_SHA512_COMMIT_KEY", version: 2, keyLen: 32, kdf: sha512.New, commit: true, suiteData: 32},
	SuiteCommittedSigned:         {name: "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384", version: 2, keyLen: 32, kdf: sha512.New, commit: true, curve: elliptic.P384(), sigHash: sha384, suiteData: 32},
}

func (s Suite) info() (suiteInfo, bool) {
	i, ok := suites[s]
	return i, ok
}

// String returns the suite's name and ID, such as
// "AES_256_GCM_HKDF_SHA512_COMMIT_KEY (0x0478)".
func (s Suite) String() string {
	if i, ok := suites[s]; ok {
		return fmt.Sprintf("%s (0x%04x)", i.name, uint16(s))
	}
	return fmt.Sprintf("unknown suite 0x%04x", uint16(s))
}

// Committing reports whether the suite commits to its data key, so that a
// message decrypts under exactly one key.
func (s Suite) Committing() bool { return suites[s].commit }

// Signed reports whether messages in the suite carry an ECDSA signature.
func (s Suite) Signed() bool { return suites[s].curve != nil }

// KeyLength returns the suite's data key length in bytes.
func (s Suite) KeyLength() int { return suites[s].keyLen }

const (
	ivLen  = 12
	tagLen = 16
)
