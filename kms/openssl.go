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
	"strings"

	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/kumo-go/kumo/internal/opts"
)

// OpenSSLKDF names how `openssl enc` turned the password into a key.
type OpenSSLKDF int

const (
	// OpenSSLDefault is openssl's current default, EVP_BytesToKey with
	// SHA-256 (OpenSSL 1.1.0 and later, without -md or -pbkdf2).
	OpenSSLDefault OpenSSLKDF = iota
	// OpenSSLSHA256 is EVP_BytesToKey with SHA-256 (`-md sha256`).
	OpenSSLSHA256
	// OpenSSLMD5 is EVP_BytesToKey with MD5 (`-md md5`, OpenSSL before 1.1.0).
	OpenSSLMD5
	// OpenSSLPBKDF2 is PBKDF2-HMAC-SHA256 (`-pbkdf2`, with -iter).
	OpenSSLPBKDF2
)

func (k OpenSSLKDF) String() string {
	switch k {
	case OpenSSLDefault, OpenSSLSHA256:
		return "EVP_BytesToKey with SHA-256 (OpenSSLSHA256, -md sha256, openssl's default since 1.1.0)"
	case OpenSSLMD5:
		return "EVP_BytesToKey with MD5 (OpenSSLMD5, -md md5, openssl's default before 1.1.0)"
	case OpenSSLPBKDF2:
		return "PBKDF2-HMAC-SHA256 (OpenSSLPBKDF2, -pbkdf2)"
	}
	return fmt.Sprintf("OpenSSLKDF(%d)", int(k))
}

// OpenSSLOptions say how a file was made.
type OpenSSLOptions struct {
	// KDF is the key derivation; default OpenSSLDefault.
	KDF OpenSSLKDF
	// Iterations for OpenSSLPBKDF2; default 10000, openssl's.
	Iterations int
	// Password says which form of the data key was the password: "base64"
	// (the default: a file written with --query Plaintext --output text)
	// or "raw" (the decoded key bytes, which openssl reads up to the first
	// newline or NUL byte).
	Password string
}

var (
	// ErrOpenSSLPadding is returned when a file does not decrypt with valid
	// padding under the key derivation and password form it was said to
	// use. The error lists the others to try.
	ErrOpenSSLPadding = errors.New("kms: the openssl file does not decrypt with valid padding")
	// ErrOpenSSLAmbiguous is returned, when the caller did not say how a
	// file was made, if another derivation also gives valid padding: CBC
	// cannot tell which plaintext is right, so the caller must say.
	ErrOpenSSLAmbiguous = errors.New("kms: more than one openssl key derivation decrypts the file with valid padding")
)

// opensslWay is one way openssl may have made a key from the data key.
type opensslWay struct {
	kdf      OpenSSLKDF
	password string // "base64" or "raw"
}

func (w opensslWay) String() string {
	return fmt.Sprintf("%v from the %s data key", w.kdf, w.password)
}

// DecryptOpenSSL reads a file made by the hand-rolled envelope recipe
//
//	aws kms generate-data-key --key-id K --key-spec AES_256 ... > key.json
//	openssl enc -aes-256-cbc -salt -in F -out F.enc -pass file:plain-data-key
//
// given the data key's KMS ciphertext (CiphertextBlob, decoded) and the
// file. KMS decrypts the data key; the key and IV are derived the way the
// options say, by default openssl's current default from the base64 data
// key. Nothing is guessed: a file made another way fails with
// ErrOpenSSLPadding, whose message lists the derivations to try (and which
// of them give valid padding).
//
// CBC has no integrity check, and one wrong derivation in about 250 still
// yields valid padding, so when the options say nothing (neither KDF nor
// Password set) DecryptOpenSSL also checks the file's last block under
// every other derivation it knows and returns ErrOpenSSLAmbiguous, rather
// than plaintext it is not sure of, when another one is valid too; set the
// options to say how the files were made. Only openssl's default
// parameters are checked so: a file made with another PBKDF2 -iter must be
// described by the options, or it is read as openssl's default and, about
// 1 time in 250, its padding looks valid by chance. A file that was altered
// may still decrypt to garbage: re-encrypt what this returns with
// [Client.Encrypt] and delete the old files. It only reads that format;
// nothing in kumo writes it.
func DecryptOpenSSL(ctx context.Context, client KMSAPI, encryptedDataKey, data []byte, optFns ...func(*OpenSSLOptions)) ([]byte, error) {
	o := OpenSSLOptions{Iterations: 10000}
	opts.Apply(&o, optFns)
	if o.Iterations <= 0 {
		return nil, errors.New("kms: OpenSSL PBKDF2 iterations must be positive")
	}
	stated := o.KDF != OpenSSLDefault || o.Password != ""
	way := opensslWay{kdf: o.KDF, password: o.Password}
	if way.kdf == OpenSSLDefault {
		way.kdf = OpenSSLSHA256
	}
	if way.password == "" {
		way.password = "base64"
	}
	if way.password != "base64" && way.password != "raw" {
		return nil, fmt.Errorf("kms: OpenSSL password form %q; want base64 or raw", o.Password)
	}
	if way.kdf < OpenSSLSHA256 || way.kdf > OpenSSLPBKDF2 {
		return nil, fmt.Errorf("kms: unknown OpenSSL key derivation %d; allowed are OpenSSLDefault (0), OpenSSLSHA256, OpenSSLMD5 and OpenSSLPBKDF2 (3)", o.KDF)
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
	password := func(form string) []byte {
		if form == "base64" {
			return []byte(base64.StdEncoding.EncodeToString(out.Plaintext))
		}
		raw := out.Plaintext
		if i := bytes.IndexAny(raw, "\n\x00"); i >= 0 {
			raw = raw[:i]
		}
		return raw
	}
	keyOf := func(w opensslWay) []byte {
		keyIV, _ := opensslKey(w.kdf, password(w.password), salt, o.Iterations)
		return keyIV
	}

	// The others: when the caller said nothing, each is checked on the last
	// block alone (cheap, whatever the file's size), so that a file another
	// one also opens is refused; when the caller said how, they are only
	// named if that fails.
	var others, valid []opensslWay
	for _, kdf := range []OpenSSLKDF{OpenSSLSHA256, OpenSSLMD5, OpenSSLPBKDF2} {
		for _, form := range []string{"base64", "raw"} {
			if w := (opensslWay{kdf, form}); w != way {
				others = append(others, w)
				if !stated && lastBlockValid(keyOf(w), ct) {
					valid = append(valid, w)
				}
			}
		}
	}
	keyIV := keyOf(way)
	if !lastBlockValid(keyIV, ct) {
		switch {
		case len(valid) > 0:
			return nil, fmt.Errorf("%w under %v; it does under %s: set OpenSSLOptions to say which", ErrOpenSSLPadding, way, joinWays(valid))
		case stated:
			return nil, fmt.Errorf("%w under %v: the data key is wrong, the file is not AES-256-CBC, or it was made another way; try %s", ErrOpenSSLPadding, way, joinWays(others))
		}
		return nil, fmt.Errorf("%w under %v, nor under any other derivation tried (%s): the data key is wrong, the file is not AES-256-CBC, or PBKDF2 used another -iter than %d", ErrOpenSSLPadding, way, joinWays(others), o.Iterations)
	}
	if !stated && len(valid) > 0 {
		return nil, fmt.Errorf("%w: %v (the default) and %s; set OpenSSLOptions.KDF and Password to say how the files were made", ErrOpenSSLAmbiguous, way, joinWays(valid))
	}
	block, _ := aes.NewCipher(keyIV[:32])
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, keyIV[32:48]).CryptBlocks(pt, ct)
	n, _ := unpad(pt)
	return pt[:n], nil
}

func joinWays(ws []opensslWay) string {
	s := make([]string, len(ws))
	for i, w := range ws {
		s[i] = w.String()
	}
	return strings.Join(s, "; ")
}

// lastBlockValid decrypts only the last block of ct and checks its padding.
func lastBlockValid(keyIV, ct []byte) bool {
	block, _ := aes.NewCipher(keyIV[:32])
	prev := keyIV[32:48]
	if len(ct) >= 2*aes.BlockSize {
		prev = ct[len(ct)-2*aes.BlockSize : len(ct)-aes.BlockSize]
	}
	last := make([]byte, aes.BlockSize)
	block.Decrypt(last, ct[len(ct)-aes.BlockSize:])
	subtle.XORBytes(last, last, prev)
	_, ok := unpad(last)
	return ok
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
	return nil, fmt.Errorf("kms: unknown OpenSSL key derivation %d; allowed are OpenSSLSHA256, OpenSSLMD5 and OpenSSLPBKDF2", kdf)
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
