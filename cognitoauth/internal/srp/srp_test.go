package srp

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
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

// Expected values are what Node's Buffer.from(s, "base64") gives, which the
// reference client uses.
func TestDecodeLenient(t *testing.T) {
	for in, want := range map[string]string{
		"aGVsbG8=": "68656c6c6f", "aGVsbG8": "68656c6c6f", "aG Vs\nbG8=": "68656c6c6f",
		"-_-_": "fbffbf", "+/+/": "fbffbf", "12345678-abcd-ef": "d76df8e7aefcf9a6dc77e79f",
	} {
		assert.Equal(t, want, hex.EncodeToString(decodeLenient(in)), in)
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

// serverSignature runs the Server side of the exchange for one round.
func serverSignature(t *testing.T, poolName, user, password, saltHex string, bigA *big.Int, b *big.Int, secretBlock []byte, timestamp string) (string, string) {
	srv, err := NewServer("eu-west-1_"+poolName, user, password, saltHex, b)
	require.NoError(t, err)
	want, err := srv.Expected(bigA.Text(16), secretBlock, timestamp)
	require.NoError(t, err)
	return srv.B(), want
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

}

// TestPasswordClaimHostileServer: each malformed or hostile server value
// is refused with an error naming the parameter and what is wrong.
func TestPasswordClaimHostileServer(t *testing.T) {
	s := New("eu-west-1_Pool123", big.NewInt(12345))
	for _, tc := range []struct {
		name, salt, b, block, want string
	}{
		{"B 0", "0a1b", "0", "AAAA", "srp: the server's B is 0 mod N; refusing it"},
		{"B N", "0a1b", N.Text(16), "AAAA", "srp: the server's B is 0 mod N; refusing it"},
		{"B 2N", "0a1b", new(big.Int).Lsh(N, 1).Text(16), "AAAA", "srp: the server's B is 0 mod N; refusing it"},
		{"B missing", "0a1b", "", "AAAA", "srp: SRP_B is missing"},
		{"B signed", "0a1b", "-5", "AAAA", "srp: SRP_B is not hex (digits 0-9, a-f only, no sign or 0x)"},
		{"B 0x", "0a1b", "0x5", "AAAA", "srp: SRP_B is not hex (digits 0-9, a-f only, no sign or 0x)"},
		{"B huge", "0a1b", strings.Repeat("f", 1<<20), "AAAA", "srp: SRP_B is 1048576 characters; at most 2048 hex digits are allowed"},
		{"salt not hex", "zz", "5", "AAAA", "srp: SALT is not hex (digits 0-9, a-f only, no sign or 0x)"},
		{"salt missing", "", "5", "AAAA", "srp: SALT is missing"},
		{"salt huge", strings.Repeat("0", 2049), "5", "AAAA", "srp: SALT is 2049 characters; at most 2048 hex digits are allowed"},
		{"block not base64", "0a", "5", "%%", "srp: SECRET_BLOCK is empty or not base64"},
		{"block missing", "0a", "5", "", "srp: SECRET_BLOCK is empty or not base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := s.PasswordClaim("user", "pw", tc.salt, tc.b, tc.block, time.Now())
			assert.EqualError(t, err, tc.want)
		})
	}
	// The largest B allowed is still worked with, not refused.
	_, _, err := s.PasswordClaim("user", "pw", "0a", strings.Repeat("f", 2048), "AAAA", time.Now())
	assert.NoError(t, err)
}
