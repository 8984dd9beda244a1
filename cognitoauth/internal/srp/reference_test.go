package srp

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func randBelowN(r *mrand.Rand) *big.Int {
	buf := make([]byte, 384)
	for i := range buf {
		buf[i] = byte(r.IntN(256))
	}
	return new(big.Int).Mod(new(big.Int).SetBytes(buf), N)
}

// TestAgainstAmazonCognitoIdentityJS: for random inputs, A, the claim and
// the timestamp equal what amazon-cognito-identity-js's AuthenticationHelper
// computes with the same secret a (the reference client AWS ships).
func TestAgainstAmazonCognitoIdentityJS(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "interop", "node")
	node, err := exec.LookPath("node")
	_, statErr := os.Stat(filepath.Join(dir, "node_modules", "amazon-cognito-identity-js"))
	if err != nil || statErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node and interop/node's npm packages are needed (.ci/run installs them)")
		}
		t.Skip("needs node and `npm ci` in interop/node")
	}
	r := mrand.New(mrand.NewPCG(1, 2))
	for i := range 12 {
		a := randBelowN(r)
		b := randBelowN(r)
		salt := fmt.Sprintf("%x", sha256.Sum256([]byte{byte(i), 1}))[:2+r.IntN(30)]
		block := make([]byte, 40+r.IntN(60))
		for j := range block {
			block[j] = byte(r.IntN(256))
		}
		// Single-digit days and afternoon hours, where formats go wrong.
		now := time.Date(2026, time.Month(1+r.IntN(12)), 1+r.IntN(9), 12+r.IntN(12), r.IntN(60), r.IntN(60), 0, time.UTC)
		user := fmt.Sprintf("3f%06x-user-%d", r.IntN(1<<24), i)
		password := fmt.Sprintf("Pässword-%d!", r.IntN(1000))
		cfg := map[string]any{"poolId": "eu-west-1_AbC123xyz", "aHex": a.Text(16), "userId": user, "password": password,
			"saltHex": salt, "bHex": b.Text(16), "secretBlock": base64.StdEncoding.EncodeToString(block), "nowMillis": now.UnixMilli()}
		arg, _ := json.Marshal(cfg)
		out, err := exec.Command(node, filepath.Join(dir, "srp.js"), string(arg)).Output()
		require.NoError(t, err)
		var want struct{ A, Signature, Timestamp string }
		require.NoError(t, json.Unmarshal(out, &want))

		s := New("eu-west-1_AbC123xyz", a)
		assert.Equal(t, want.A, s.A())
		sig, ts, err := s.PasswordClaim(user, password, salt, b.Text(16), base64.StdEncoding.EncodeToString(block), now)
		require.NoError(t, err)
		assert.Equal(t, want.Timestamp, ts)
		assert.Equal(t, want.Signature, sig, "inputs %s", arg)
	}
}
