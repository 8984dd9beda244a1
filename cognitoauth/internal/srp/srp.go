// Package srp is the client side of the SRP-6a exchange Cognito user pools
// use for USER_SRP_AUTH, written to match amazon-cognito-identity-js's
// AuthenticationHelper byte for byte, with the secret a injectable so that
// it can be checked against it.
package srp

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// nHex is the 3072-bit group of RFC 5054, which Cognito uses with g = 2.
const nHex = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
	"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
	"83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
	"15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
	"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C" +
	"BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"

var (
	// N and G are the group; K is H(N || g), the SRP-6a multiplier.
	N, _ = new(big.Int).SetString(nHex, 16)
	G    = big.NewInt(2)
	K    = new(big.Int).SetBytes(hexHash(PadHex(N) + PadHex(G)))
)

// TimestampLayout is the TIMESTAMP Cognito expects: English names, a 24-hour
// clock, an unpadded day, UTC.
const TimestampLayout = "Mon Jan 2 15:04:05 UTC 2006"

// Session is one sign-in's secret a and public A.
type Session struct {
	poolName string
	a, bigA  *big.Int
}

// New starts a session for a user pool ID such as "eu-west-1_AbCdEf123"; the
// part after the underscore is the pool name used in the proofs. A nil a
// means a random secret of 128 bytes, reduced mod N.
func New(poolID string, a *big.Int) *Session {
	_, name, ok := strings.Cut(poolID, "_")
	if !ok {
		name = poolID
	}
	for a == nil || a.Sign() == 0 {
		b := make([]byte, 128)
		if _, err := rand.Read(b); err != nil {
			panic("srp: crypto/rand failed: " + err.Error())
		}
		a = new(big.Int).Mod(new(big.Int).SetBytes(b), N)
	}
	s := &Session{poolName: name, a: a}
	s.bigA = new(big.Int).Exp(G, a, N)
	return s
}

// A returns the public value A as SRP_A: hex, lower case, no padding.
func (s *Session) A() string { return s.bigA.Text(16) }

// PasswordClaim answers the PASSWORD_VERIFIER challenge: the
// PASSWORD_CLAIM_SIGNATURE and the TIMESTAMP it signs. userIDForSRP is the
// challenge's USER_ID_FOR_SRP. It refuses a B that is 0 mod N and a
// scrambling parameter u of 0, which a malicious server could use.
func (s *Session) PasswordClaim(userIDForSRP, password, saltHex, srpBHex, secretBlockB64 string, now time.Time) (signature, timestamp string, err error) {
	b, err := parseHex("SRP_B", srpBHex)
	if err != nil {
		return "", "", err
	}
	if new(big.Int).Mod(b, N).Sign() == 0 {
		return "", "", errors.New("srp: the server's B is 0 mod N; refusing it")
	}
	salt, err := parseHex("SALT", saltHex)
	if err != nil {
		return "", "", err
	}
	secretBlock := decodeLenient(secretBlockB64)
	if len(secretBlock) == 0 {
		return "", "", errors.New("srp: SECRET_BLOCK is empty or not base64")
	}
	u := new(big.Int).SetBytes(hexHash(PadHex(s.bigA) + PadHex(b)))
	if u.Sign() == 0 {
		return "", "", errors.New("srp: the scrambling parameter u is 0; refusing it")
	}
	inner := sha256.Sum256([]byte(s.poolName + userIDForSRP + ":" + password))
	x := new(big.Int).SetBytes(hexHash(PadHex(salt) + hex.EncodeToString(inner[:])))

	// S = (B - k * g^x) ^ (a + u * x) mod N
	base := new(big.Int).Sub(b, new(big.Int).Mul(K, new(big.Int).Exp(G, x, N)))
	base.Mod(base, N)
	exp := new(big.Int).Add(s.a, new(big.Int).Mul(u, x))
	sv := new(big.Int).Exp(base, exp, N)

	ikm, _ := hex.DecodeString(PadHex(sv))
	saltU, _ := hex.DecodeString(PadHex(u))
	key, err := hkdf.Key(sha256.New, ikm, saltU, "Caldera Derived Key", 16)
	if err != nil {
		return "", "", err
	}
	timestamp = now.UTC().Format(TimestampLayout)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(s.poolName))
	mac.Write([]byte(userIDForSRP))
	mac.Write(secretBlock)
	mac.Write([]byte(timestamp))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil)), timestamp, nil
}

// maxHex bounds the hex numbers a server sends (SRP_B, SALT): 2,048
// digits, far above the 768 of a number mod N.
const maxHex = 2048

// parseHex reads the challenge parameter name, a non-negative hex number:
// digits only, no sign or prefix, at most maxHex of them.
func parseHex(name, s string) (*big.Int, error) {
	switch {
	case s == "":
		return nil, fmt.Errorf("srp: %s is missing", name)
	case len(s) > maxHex:
		return nil, fmt.Errorf("srp: %s is %d characters; at most %d hex digits are allowed", name, len(s), maxHex)
	case strings.Trim(s, "0123456789abcdefABCDEF") != "":
		return nil, fmt.Errorf("srp: %s is not hex (digits 0-9, a-f only, no sign or 0x)", name)
	}
	n, _ := new(big.Int).SetString(s, 16)
	return n, nil
}

// decodeLenient decodes base64 as the reference client (Node's Buffer) does:
// URL-safe characters count as their standard twins, anything else is
// skipped. Cognito sends proper base64; emulators do not always.
func decodeLenient(s string) []byte {
	clean := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			clean = append(clean, c)
		case c == '-':
			clean = append(clean, '+')
		case c == '_':
			clean = append(clean, '/')
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	out, _ := base64.RawStdEncoding.DecodeString(string(clean))
	return out
}

// PadHex renders a non-negative integer as Cognito's helper does: hex of
// even length, with "00" in front when the high bit is set (not padded to
// N's length).
func PadHex(v *big.Int) string {
	h := v.Text(16)
	if len(h)%2 == 1 {
		h = "0" + h
	}
	if strings.IndexByte("89abcdef", h[0]) >= 0 {
		h = "00" + h
	}
	return h
}

// hexHash is SHA-256 of the bytes a hex string spells.
func hexHash(h string) []byte {
	b, err := hex.DecodeString(h)
	if err != nil {
		panic("srp: internal hex: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return sum[:]
}
