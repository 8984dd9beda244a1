package srp

import (
	"bytes"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDeviceRoundTrip: a device secret made by the client verifies with
// the server side built from the verifier alone, and a wrong password,
// device key or group key does not.
func TestDeviceRoundTrip(t *testing.T) {
	now := time.Date(2026, 3, 5, 14, 7, 9, 0, time.UTC)
	for i := range 4 {
		random := bytes.Repeat([]byte{byte(i*61 + 1)}, 56)
		random[40] = 0 // a salt with a leading zero byte, which padding drops
		ds, err := NewDeviceSecret(bytes.NewReader(random), "-GroupKey1", "eu-west-1_dev-"+string(rune('a'+i)))
		require.NoError(t, err)
		assert.Equal(t, base64.StdEncoding.EncodeToString(random[:40]), ds.Password)
		for _, tc := range []struct {
			name             string
			group, key, pass string
			ok               bool
		}{
			{"right", "-GroupKey1", "eu-west-1_dev-" + string(rune('a'+i)), ds.Password, true},
			{"wrong password", "-GroupKey1", "eu-west-1_dev-" + string(rune('a'+i)), ds.Password + "x", false},
			{"wrong device", "-GroupKey1", "eu-west-1_dev-z", ds.Password, false},
			{"wrong group", "-GroupKey2", "eu-west-1_dev-" + string(rune('a'+i)), ds.Password, false},
		} {
			srv, saltHex, err := NewVerifierServer("-GroupKey1", "eu-west-1_dev-"+string(rune('a'+i)), ds.Verifier, ds.Salt, big.NewInt(int64(7919+i)))
			require.NoError(t, err)
			block := []byte("secret-block")
			c := NewDevice(tc.group, big.NewInt(int64(104729+i)))
			sig, ts, err := c.PasswordClaim(tc.key, tc.pass, saltHex, srv.B(), base64.StdEncoding.EncodeToString(block), now)
			require.NoError(t, err)
			want, err := srv.Expected(c.A(), block, ts)
			require.NoError(t, err)
			assert.Equal(t, tc.ok, sig == want, tc.name)
		}
	}
	_, err := NewDeviceSecret(strings.NewReader("short"), "g", "k")
	require.Error(t, err)
}

// FuzzNewVerifierServer feeds arbitrary DeviceSecretVerifierConfig values
// to the server side: it loads them or refuses them, never panics, and
// never takes a verifier that is 0 mod N.
func FuzzNewVerifierServer(f *testing.F) {
	f.Add("AQ==", "AQ==")
	f.Add("", "")
	f.Add(base64.StdEncoding.EncodeToString(N.Bytes()), "AAAA")
	f.Fuzz(func(t *testing.T, verifier, salt string) {
		srv, _, err := NewVerifierServer("-g", "k", verifier, salt, big.NewInt(5))
		if err != nil {
			return
		}
		if new(big.Int).Mod(srv.v, N).Sign() == 0 {
			t.Fatalf("took verifier %q", verifier)
		}
	})
}
