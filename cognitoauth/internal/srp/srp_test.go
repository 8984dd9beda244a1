package srp

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The timestamp Cognito checks: unpadded day, 24-hour clock, UTC.
func TestTimestampKnownAnswers(t *testing.T) {
	for _, tt := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 3, 5, 14, 7, 9, 0, time.UTC), "Thu Mar 5 14:07:09 UTC 2026"},
		{time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), "Sun Nov 22 00:00:00 UTC 2026"},
		{time.Date(2026, 1, 1, 23, 59, 59, 0, time.FixedZone("CET", 3600)), "Thu Jan 1 22:59:59 UTC 2026"},
	} {
		assert.Equal(t, tt.want, tt.at.UTC().Format(TimestampLayout))
	}
}

func TestPadHex(t *testing.T) {
	for _, tt := range []struct {
		v    int64
		want string
	}{{20, "14"}, {236, "00ec"}, {56, "38"}, {200, "00c8"}, {0xabc, "0abc"}, {0x8000, "008000"}} {
		assert.Equal(t, tt.want, PadHex(big.NewInt(tt.v)))
	}
}

// serverSignature is the server's side of SRP-6a: from the verifier
// v = g^x it computes S = (A * v^u)^b, a different formula from the
// client's, and the signature a correct claim must carry.
func serverSignature(t *testing.T, poolName, user, password, saltHex string, bigA *big.Int, b *big.Int, secretBlock []byte, timestamp string) (string, string) {
	inner := sha256.Sum256([]byte(poolName + user + ":" + password))
	salt, _ := new(big.Int).SetString(saltHex, 16)
	x := new(big.Int).SetBytes(hexHash(PadHex(salt) + hex.EncodeToString(inner[:])))
	v := new(big.Int).Exp(G, x, N)
	bigB := new(big.Int).Add(new(big.Int).Mul(K, v), new(big.Int).Exp(G, b, N))
	bigB.Mod(bigB, N)
	u := new(big.Int).SetBytes(hexHash(PadHex(bigA) + PadHex(bigB)))
	sv := new(big.Int).Exp(new(big.Int).Mul(bigA, new(big.Int).Exp(v, u, N)), b, N)
	ikm, _ := hex.DecodeString(PadHex(sv))
	saltU, _ := hex.DecodeString(PadHex(u))
	key, err := hkdf.Key(sha256.New, ikm, saltU, "Caldera Derived Key", 16)
	require.NoError(t, err)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(poolName + user))
	mac.Write(secretBlock)
	mac.Write([]byte(timestamp))
	return bigB.Text(16), base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// An honest server's side of the exchange agrees with the client, and a
// wrong password does not.
func TestAgainstServerSide(t *testing.T) {
	s := New("eu-west-1_Pool123", big.NewInt(123456789))
	bigA, _ := new(big.Int).SetString(s.A(), 16)
	require.Equal(t, new(big.Int).Exp(G, big.NewInt(123456789), N), bigA)
	now := time.Date(2026, 11, 22, 15, 4, 5, 0, time.UTC)
	block := []byte("secret block from the server")
	for i := range 20 {
		salt := fmt.Sprintf("%x", sha256.Sum256([]byte{byte(i)}))[:32]
		b := new(big.Int).SetBytes(hexHash(fmt.Sprintf("%064x", i+1)))
		srpB, want := serverSignature(t, "Pool123", "user-id-42", "correct horse", salt, bigA, b, block, now.Format(TimestampLayout))
		got, ts, err := s.PasswordClaim("user-id-42", "correct horse", salt, srpB, base64.StdEncoding.EncodeToString(block), now)
		require.NoError(t, err)
		assert.Equal(t, "Sun Nov 22 15:04:05 UTC 2026", ts)
		assert.Equal(t, want, got, "round %d", i)
		wrong, _, err := s.PasswordClaim("user-id-42", "wrong horse", salt, srpB, base64.StdEncoding.EncodeToString(block), now)
		require.NoError(t, err)
		assert.NotEqual(t, want, wrong)
	}

	_, _, err := s.PasswordClaim("user", "pw", "0a1b", "0", "AAAA", time.Now())
	assert.EqualError(t, err, "srp: the server's B is 0 mod N; refusing it")
	_, _, err = s.PasswordClaim("user", "pw", "0a1b", N.Text(16), "AAAA", time.Now())
	assert.Error(t, err)
	_, _, err = s.PasswordClaim("user", "pw", "zz", "5", "AAAA", time.Now())
	assert.EqualError(t, err, "srp: SALT is not hex")
	_, _, err = s.PasswordClaim("user", "pw", "0a", "5", "%%", time.Now())
	assert.Error(t, err)
}
