package srp

import (
	"math/big"
	"testing"
	"time"
)

// FuzzPasswordClaim feeds arbitrary challenge parameters (SALT, SRP_B,
// SECRET_BLOCK, USER_ID_FOR_SRP) to the client: it must answer or refuse,
// never panic, and never accept a B that is 0 mod N.
func FuzzPasswordClaim(f *testing.F) {
	f.Add("user", "a1b2c3", "5", "aGVsbG8=")
	f.Add("", "", "0", "")
	f.Add("u", "ff", N.Text(16), "AAAA")
	s := New("eu-west-1_Fuzz", big.NewInt(987654321))
	f.Fuzz(func(t *testing.T, user, salt, b, block string) {
		sig, _, err := s.PasswordClaim(user, "password", salt, b, block, time.Unix(1795352400, 0))
		if err != nil {
			return
		}
		if bb, ok := new(big.Int).SetString(b, 16); !ok || new(big.Int).Mod(bb, N).Sign() == 0 {
			t.Fatalf("accepted B %q", b)
		}
		if len(sig) != 44 {
			t.Fatalf("signature %q is not base64 of 32 bytes", sig)
		}
	})
}
