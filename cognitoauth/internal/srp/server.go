package srp

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
)

// Server is the user pool's side of one exchange, for fakes: it holds the
// verifier v = g^x and a secret b, and checks password claims with the
// server's formula S = (A * v^u)^b, independent of the client's.
type Server struct {
	poolName, userID string
	v, b, bigB       *big.Int
}

// PoolName is the part of a user pool ID after the underscore.
func PoolName(poolID string) string {
	if _, name, ok := strings.Cut(poolID, "_"); ok {
		return name
	}
	return poolID
}

// NewServer starts the server side for a user whose password and salt are
// known (a fake stores them), with secret b.
func NewServer(poolID, userID, password, saltHex string, b *big.Int) (*Server, error) {
	salt, err := parseHex("salt", saltHex)
	if err != nil {
		return nil, err
	}
	name := PoolName(poolID)
	inner := sha256.Sum256([]byte(name + userID + ":" + password))
	x := new(big.Int).SetBytes(hexHash(PadHex(salt) + hex.EncodeToString(inner[:])))
	v := new(big.Int).Exp(G, x, N)
	bigB := new(big.Int).Add(new(big.Int).Mul(K, v), new(big.Int).Exp(G, b, N))
	bigB.Mod(bigB, N)
	return &Server{poolName: name, userID: userID, v: v, b: b, bigB: bigB}, nil
}

// B returns SRP_B as hex.
func (s *Server) B() string { return s.bigB.Text(16) }

// Expected returns the signature a client with the right password sends
// for A, the secret block and the timestamp.
func (s *Server) Expected(aHex string, secretBlock []byte, timestamp string) (string, error) {
	bigA, err := parseHex("SRP_A", aHex)
	if err != nil || new(big.Int).Mod(bigA, N).Sign() == 0 {
		return "", errors.New("srp: SRP_A is not a valid value")
	}
	u := new(big.Int).SetBytes(hexHash(PadHex(bigA) + PadHex(s.bigB)))
	sv := new(big.Int).Exp(new(big.Int).Mul(bigA, new(big.Int).Exp(s.v, u, N)), s.b, N)
	ikm, _ := hex.DecodeString(PadHex(sv))
	saltU, _ := hex.DecodeString(PadHex(u))
	key, err := hkdf.Key(sha256.New, ikm, saltU, "Caldera Derived Key", 16)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(s.poolName + s.userID))
	mac.Write(secretBlock)
	mac.Write([]byte(timestamp))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}
