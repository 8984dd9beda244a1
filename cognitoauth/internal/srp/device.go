package srp

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
)

// NewDevice starts the exchange of DEVICE_SRP_AUTH: the same SRP-6a
// session as New, with the device group key in place of the pool name.
// The claim is then PasswordClaim(deviceKey, devicePassword, ...).
func NewDevice(deviceGroupKey string, a *big.Int) *Session {
	s := New("", a)
	s.poolName = deviceGroupKey
	return s
}

// DeviceSecret is what a client generates for ConfirmDevice: a random
// device password, a salt and the verifier g^x, with
// x = H(salt | H(deviceGroupKey | deviceKey | ":" | password)).
type DeviceSecret struct {
	// Password is 40 random bytes in standard base64.
	Password string
	// Salt and Verifier are the DeviceSecretVerifierConfig values:
	// standard base64 of the padded-hex bytes of each number.
	Salt, Verifier string
}

// NewDeviceSecret draws a device password and salt from r (crypto/rand
// when nil) and computes the verifier for the device.
func NewDeviceSecret(r io.Reader, deviceGroupKey, deviceKey string) (DeviceSecret, error) {
	buf := make([]byte, 56)
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, buf); err != nil {
		return DeviceSecret{}, fmt.Errorf("srp: reading randomness for the device secret: %w", err)
	}
	password := base64.StdEncoding.EncodeToString(buf[:40])
	salt := new(big.Int).SetBytes(buf[40:])
	v := DeviceVerifier(deviceGroupKey, deviceKey, password, salt)
	return DeviceSecret{Password: password, Salt: b64Hex(PadHex(salt)), Verifier: b64Hex(PadHex(v))}, nil
}

// DeviceVerifier is g^x mod N for a device's password and salt.
func DeviceVerifier(deviceGroupKey, deviceKey, password string, salt *big.Int) *big.Int {
	inner := sha256.Sum256([]byte(deviceGroupKey + deviceKey + ":" + password))
	x := new(big.Int).SetBytes(hexHash(PadHex(salt) + hex.EncodeToString(inner[:])))
	return new(big.Int).Exp(G, x, N)
}

func b64Hex(h string) string {
	b, _ := hex.DecodeString(h)
	return base64.StdEncoding.EncodeToString(b)
}

// NewVerifierServer starts the server side from a stored verifier (as
// Cognito stores a device's, never its password): name stands where the
// pool name stands in the proofs (the device group key), userID where the
// user ID does (the device key). verifierB64 and saltB64 are the
// DeviceSecretVerifierConfig values. It returns the server and the salt as
// the hex the challenge's SALT carries.
func NewVerifierServer(name, userID, verifierB64, saltB64 string, b *big.Int) (*Server, string, error) {
	vb, err := base64.StdEncoding.DecodeString(verifierB64)
	if err != nil || len(vb) == 0 || len(vb) > 400 {
		return nil, "", errors.New("srp: the password verifier is not base64 of at most 400 bytes")
	}
	sb, err := base64.StdEncoding.DecodeString(saltB64)
	if err != nil || len(sb) == 0 || len(sb) > 64 {
		return nil, "", errors.New("srp: the salt is not base64 of at most 64 bytes")
	}
	v := new(big.Int).SetBytes(vb)
	if new(big.Int).Mod(v, N).Sign() == 0 {
		return nil, "", errors.New("srp: the password verifier is 0 mod N")
	}
	bigB := new(big.Int).Add(new(big.Int).Mul(K, v), new(big.Int).Exp(G, b, N))
	bigB.Mod(bigB, N)
	return &Server{poolName: name, userID: userID, v: v, b: b, bigB: bigB}, hex.EncodeToString(sb), nil
}
