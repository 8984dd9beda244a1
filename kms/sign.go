package kms

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"hash"
	"io"
)

// newSigningKey makes a message's signing key and its public half as the
// encryption context stores it: the compressed point, base64.
func newSigningKey(curve elliptic.Curve, r io.Reader) (*ecdsa.PrivateKey, string, error) {
	if r == nil {
		r = rand.Reader
	}
	priv, err := ecdsa.GenerateKey(curve, r)
	if err != nil {
		return nil, "", fmt.Errorf("kms: generating the signing key: %w", err)
	}
	return priv, base64.StdEncoding.EncodeToString(compressPoint(&priv.PublicKey)), nil
}

// compressPoint encodes a public key as SEC 1 section 2.3.3 compressed.
func compressPoint(pub *ecdsa.PublicKey) []byte {
	size := (pub.Curve.Params().BitSize + 7) / 8
	out := make([]byte, 1+size)
	out[0] = 2 | byte(pub.Y.Bit(0))
	pub.X.FillBytes(out[1:])
	return out
}

// parsePublicKey decodes the aws-crypto-public-key value.
func parsePublicKey(curve elliptic.Curve, b64 string) (*ecdsa.PublicKey, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not base64", ErrMalformed, publicKeyKey)
	}
	x, y := elliptic.UnmarshalCompressed(curve, raw)
	if x == nil {
		return nil, fmt.Errorf("%w: %s is not a compressed %s point", ErrMalformed, publicKeyKey, curve.Params().Name)
	}
	return &ecdsa.PublicKey{Curve: curve, X: x, Y: y}, nil
}

// signer hashes everything written before the footer and signs it.
type signer struct {
	h    hash.Hash
	priv *ecdsa.PrivateKey
	rand io.Reader
}

func (s *signer) footer() ([]byte, error) {
	r := s.rand
	if r == nil {
		r = rand.Reader
	}
	sig, err := ecdsa.SignASN1(r, s.priv, s.h.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("kms: signing the message: %w", err)
	}
	return append([]byte{byte(len(sig) >> 8), byte(len(sig))}, sig...), nil
}

func verifySignature(pub *ecdsa.PublicKey, h hash.Hash, sig []byte) error {
	if !ecdsa.VerifyASN1(pub, h.Sum(nil), sig) {
		return fmt.Errorf("%w: the signature does not verify", ErrAuthentication)
	}
	return nil
}
