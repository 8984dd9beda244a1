package interop

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/cognitoauth/cognitotest"
)

// deviceRecorder is cognitotest with the device calls written down.
type deviceRecorder struct {
	*cognitotest.Fake
	mu       sync.Mutex
	confirm  *cip.ConfirmDeviceInput
	srpA     string            // DEVICE_SRP_AUTH's SRP_A
	verifier map[string]string // DEVICE_PASSWORD_VERIFIER's challenge parameters
	claim    map[string]string // and its answer
}

func (d *deviceRecorder) ConfirmDevice(ctx context.Context, in *cip.ConfirmDeviceInput, optFns ...func(*cip.Options)) (*cip.ConfirmDeviceOutput, error) {
	d.mu.Lock()
	d.confirm = in
	d.mu.Unlock()
	return d.Fake.ConfirmDevice(ctx, in, optFns...)
}

func (d *deviceRecorder) RespondToAuthChallenge(ctx context.Context, in *cip.RespondToAuthChallengeInput, optFns ...func(*cip.Options)) (*cip.RespondToAuthChallengeOutput, error) {
	out, err := d.Fake.RespondToAuthChallenge(ctx, in, optFns...)
	d.mu.Lock()
	defer d.mu.Unlock()
	switch in.ChallengeName {
	case "DEVICE_SRP_AUTH":
		d.srpA = in.ChallengeResponses["SRP_A"]
		if err == nil {
			d.verifier = out.ChallengeParameters
		}
	case "DEVICE_PASSWORD_VERIFIER":
		d.claim = in.ChallengeResponses
	}
	return out, err
}

// stream is n deterministic bytes for seed.
func stream(seed string, n int) []byte {
	var out []byte
	for i := 0; len(out) < n; i++ {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%d", seed, i)))
		out = append(out, sum[:]...)
	}
	return out[:n]
}

// TestCognitoDeviceSRPAgainstJS: the device secret cognitoauth sends to
// ConfirmDevice (password, salt, verifier) and its DEVICE_SRP_AUTH and
// DEVICE_PASSWORD_VERIFIER answers equal what amazon-cognito-identity-js
// (AuthenticationHelper.generateHashDevice and CognitoUser's device
// response) computes from the same random bytes, and cognitotest accepts
// the proof against the verifier alone.
func TestCognitoDeviceSRPAgainstJS(t *testing.T) {
	nodeBin := need(t, "node")
	if _, err := os.Stat(filepath.Join("node", "node_modules", "amazon-cognito-identity-js")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("run `npm ci` in interop/node first (.ci/run does)")
		}
		t.Skip("run `npm ci` in interop/node to install amazon-cognito-identity-js")
	}
	for i := range 6 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			// Single-digit days and afternoon hours, where timestamps go wrong.
			now := time.Date(2026, time.Month(1+i), 1+i, 13+i, 4, 5, 0, time.UTC)
			pool := cognitotest.New(func(o *cognitotest.Options) { o.DeviceTracking, o.Clock = true, func() time.Time { return now } })
			pool.AddUser("erin", "Correct-Horse-1", cognitotest.User{TOTPCode: "123456"})
			rec := &deviceRecorder{Fake: pool}
			store := &cognitoauth.MemoryDeviceStore{}
			client := func(random []byte) *cognitoauth.Client {
				c, err := cognitoauth.New(rec, rec, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions, func(o *cognitoauth.Options) {
					o.Flow, o.Devices, o.Rand = cognitoauth.FlowPassword, store, bytes.NewReader(random)
					o.ChallengeHandler = func(context.Context, cognitoauth.Challenge) (map[string]string, error) {
						return map[string]string{"SOFTWARE_TOKEN_MFA_CODE": "123456"}, nil
					}
				})
				require.NoError(t, err)
				return c
			}
			// The first sign-in reads 56 bytes (device password and salt),
			// the second 128 (the device session's secret a).
			confirmRandom, deviceA := stream(fmt.Sprintf("confirm-%d", i), 56), stream(fmt.Sprintf("a-%d", i), 128)
			_, err := client(confirmRandom).SignIn(ctx, "erin", "Correct-Horse-1")
			require.NoError(t, err)
			dev, ok, err := store.LoadDevice(ctx, "erin")
			require.NoError(t, err)
			require.True(t, ok)
			tok, err := client(deviceA).SignIn(ctx, "erin", "Correct-Horse-1")
			require.NoError(t, err, "cognitotest checked the device proof against the verifier")
			assert.Equal(t, dev.Key, tok.DeviceKey)

			arg, err := json.Marshal(map[string]any{"groupKey": dev.GroupKey, "deviceKey": dev.Key, "randomHex": hex.EncodeToString(confirmRandom),
				"aHex": hex.EncodeToString(deviceA), "bHex": rec.verifier["SRP_B"], "saltHex": rec.verifier["SALT"],
				"secretBlock": rec.verifier["SECRET_BLOCK"], "nowMillis": now.UnixMilli()})
			require.NoError(t, err)
			cmd := exec.CommandContext(ctx, nodeBin, filepath.Join("node", "device.js"), string(arg))
			var out, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &stderr
			require.NoError(t, cmd.Run(), "node: %s", stderr.String())
			var js struct{ Password, Salt, Verifier, A, Signature, Timestamp string }
			require.NoError(t, json.Unmarshal(out.Bytes(), &js))

			assert.Equal(t, js.Password, dev.Password)
			assert.Equal(t, js.Salt, aws.ToString(rec.confirm.DeviceSecretVerifierConfig.Salt))
			assert.Equal(t, js.Verifier, aws.ToString(rec.confirm.DeviceSecretVerifierConfig.PasswordVerifier))
			assert.Equal(t, js.A, rec.srpA)
			assert.Equal(t, js.Timestamp, rec.claim["TIMESTAMP"])
			assert.Equal(t, js.Signature, rec.claim["PASSWORD_CLAIM_SIGNATURE"])
			assert.Equal(t, dev.Key, rec.claim["DEVICE_KEY"])
		})
	}
}
