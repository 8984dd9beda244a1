package kms

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"

	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
)

// OpenSSLKDF names how `openssl enc` turned the password into a key.
type OpenSSLKDF int

const (
	// OpenSSLAuto tries the others in turn: SHA-256 (the default since
	// OpenSSL 1.1.0), PBKDF2, MD5 (older OpenSSL).
	OpenSSLAuto OpenSSLKDF = iota
	// OpenSSLSHA256 is EVP_BytesToKey with SHA-256 (`-md sha256`).
	OpenSSLSHA256
	// OpenSSLMD5 is EVP_BytesToKey with MD5 (`-md md5`, OpenSSL before 1.1.0).
	OpenSSLMD5
	// OpenSSLPBKDF2 is PBKDF2-HMAC-SHA256 (`-pbkdf2`, with -iter).
	OpenSSLPBKDF2
)

// OpenSSLOptions pin down how a file was made, where that is known.
type OpenSSLOptions struct {
	// KDF is the key derivation; default OpenSSLAuto.
	KDF OpenSSLKDF
	// Iterations for OpenSSLPBKDF2; default 10000, openssl's.
	Iterations int
	// Password says which form of the data key was the password: "base64"
	// (a file written with --query Plaintext --output text), "raw" (the
	// decoded key bytes, which openssl reads up to the first newline or NUL
	// byte) or "" to try both, base64 first.
	Password string
}

// DecryptOpenSSL reads a file made by the hand-rolled envelope recipe
//
//	aws kms generate-data-key --key-id K --key-spec AES_256 ... > key.json
//	openssl enc -aes-256-cbc -salt -in F -out F.enc -pass file:plain-data-key
//
// given the data key's KMS ciphertext (CiphertextBlob, decoded) and the
// file. KMS decrypts the data key; the password forms and key derivations
// openssl could have used are tried in turn, and the first whose padding is
// valid wins. CBC has no integrity check, so a file that was altered may
// decrypt to garbage: re-encrypt what this returns with [Client.Encrypt] and
// delete the old files. It only reads that format; nothing in kumo writes it.
func DecryptOpenSSL(ctx context.Context, client KMSAPI, encryptedDataKey, data []byte, optFns ...func(*OpenSSLOptions)) ([]byte, error) {
	o := OpenSSLOptions{Iterations: 10000}
	for _, fn := range optFns {
		fn(&o)
	}
	if o.Iterations <= 0 {
		return nil, errors.New("kms: OpenSSL PBKDF2 iterations must be positive")
	}
	if len(data) < 16 || !bytes.Equal(data[:8], []byte("Salted__")) {
		return nil, errors.New("kms: not an `openssl enc` file with a salt (it does not start with Salted__); files made with -nosalt are not supported")
	}
	salt, ct := data[8:16], data[16:]
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("kms: the OpenSSL ciphertext is %d bytes, not a whole number of AES blocks", len(ct))
	}
	out, err := client.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: encryptedDataKey})
	if err != nil {
		return nil, fmt.Errorf("kms: Decrypt of the data key: %w", err)
	}
	var passwords [][]byte
	if o.Password == "" || o.Password == "base64" {
		passwords = append(passwords, []byte(base64.StdEncoding.EncodeToString(out.Plaintext)))
	}
	if o.Password == "" || o.Password == "raw" {
		raw := out.Plaintext
		if i := bytes.IndexAny(raw, "\n\x00"); i >= 0 {
			raw = raw[:i]
		}
		passwords = append(passwords, raw)
	}
	if len(passwords) == 0 {
		return nil, fmt.Errorf("kms: OpenSSL password form %q; want base64, raw or empty", o.Password)
	}
	kdfs := []OpenSSLKDF{OpenSSLSHA256, OpenSSLPBKDF2, OpenSSLMD5}
	if o.KDF != OpenSSLAuto {
		kdfs = []OpenSSLKDF{o.KDF}
	}
	for _, pw := range passwords {
		for _, kdf := range kdfs {
			keyIV, err := opensslKey(kdf, pw, salt, o.Iterations)
			if err != nil {
				return nil, err
			}
			block, _ := aes.NewCipher(keyIV[:32])
			pt := make([]byte, len(ct))
			cipher.NewCBCDecrypter(block, keyIV[32:48]).CryptBlocks(pt, ct)
			if n, ok := unpad(pt); ok {
				return pt[:n], nil
			}
		}
	}
	return nil, errors.New("kms: no password form and key derivation of openssl decrypts this file with valid padding (wrong data key, or not AES-256-CBC)")
}

func opensslKey(kdf OpenSSLKDF, pw, salt []byte, iter int) ([]byte, error) {
	switch kdf {
	case OpenSSLPBKDF2:
		return pbkdf2.Key(sha256.New, string(pw), salt, iter, 48)
	case OpenSSLMD5:
		return bytesToKey(md5.New, pw, salt), nil
	case OpenSSLSHA256:
		return bytesToKey(sha256.New, pw, salt), nil
	}
	return nil, fmt.Errorf("kms: unknown OpenSSL key derivation %d", kdf)
}

// bytesToKey is OpenSSL's EVP_BytesToKey with one iteration: D1 = H(pw ||
// salt), Di = H(Di-1 || pw || salt), concatenated to 48 bytes (key and IV).
func bytesToKey(h func() hash.Hash, pw, salt []byte) []byte {
	var out, prev []byte
	for len(out) < 48 {
		d := h()
		d.Write(prev)
		d.Write(pw)
		d.Write(salt)
		prev = d.Sum(nil)
		out = append(out, prev...)
	}
	return out[:48]
}

// unpad checks PKCS#7 padding in constant time for the last block.
func unpad(b []byte) (int, bool) {
	p := int(b[len(b)-1])
	if p == 0 || p > aes.BlockSize {
		return 0, false
	}
	want := bytes.Repeat([]byte{byte(p)}, p)
	if subtle.ConstantTimeCompare(b[len(b)-p:], want) != 1 {
		return 0, false
	}
	return len(b) - p, true
}
