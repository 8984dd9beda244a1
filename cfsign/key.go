package cfsign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Errors of LoadPrivateKey, for callers that branch on them.
var (
	// ErrEncryptedKey is returned for a password-protected PEM key.
	ErrEncryptedKey = errors.New("cfsign: the private key is encrypted")
	// ErrNotPrivateKey is returned for a public key, a certificate or any
	// other PEM block that is not a private key.
	ErrNotPrivateKey = errors.New("cfsign: not a private key")
	// ErrUnsupportedKey is returned for keys CloudFront does not accept:
	// curves other than P-256, RSA under 2048 bits, other algorithms.
	ErrUnsupportedKey = errors.New("cfsign: unsupported key")
)

// LoadPrivateKeyFile reads a PEM private key from a file; see
// [LoadPrivateKey].
func LoadPrivateKeyFile(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cfsign: %w", err)
	}
	return LoadPrivateKey(b)
}

// LoadPrivateKey reads the first private key in pemBytes: PKCS#1 RSA
// ("RSA PRIVATE KEY"), PKCS#8 RSA or ECDSA P-256 ("PRIVATE KEY", what
// OpenSSL 3 writes), or SEC 1 EC ("EC PRIVATE KEY"). RSA keys must have at
// least 2048 bits.
func LoadPrivateKey(pemBytes []byte) (crypto.Signer, error) {
	rest := pemBytes
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("%w: no PEM private key found", ErrNotPrivateKey)
		}
		if block.Type == "EC PARAMETERS" { // openssl ecparam -genkey writes these first
			continue
		}
		if _, encrypted := block.Headers["DEK-Info"]; encrypted || block.Type == "ENCRYPTED PRIVATE KEY" {
			return nil, fmt.Errorf("%w: decrypt it first, for example with: openssl pkey -in key.pem -out plain.pem", ErrEncryptedKey)
		}
		var key any
		var err error
		switch block.Type {
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE":
			return nil, fmt.Errorf("%w: got a %s; signing needs the private key that goes with it", ErrNotPrivateKey, strings.ToLower(block.Type))
		default:
			return nil, fmt.Errorf("%w: PEM block %q", ErrNotPrivateKey, block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("cfsign: parsing the %s: %w", strings.ToLower(block.Type), err)
		}
		return checkKey(key)
	}
}

func checkKey(key any) (crypto.Signer, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < 2048 {
			return nil, fmt.Errorf("%w: an RSA key of %d bits; CloudFront needs at least 2048", ErrUnsupportedKey, bits)
		}
		return k, nil
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("%w: an ECDSA key on %s; CloudFront takes P-256 only", ErrUnsupportedKey, k.Curve.Params().Name)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("%w: a %T key; CloudFront takes RSA (2048 bits or more) or ECDSA P-256", ErrUnsupportedKey, key)
	}
}
