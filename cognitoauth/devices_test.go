package cognitoauth_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/cognitoauth/cognitotest"
)

// Device tracking runs on cognitotest only: moto 5.2.1 never returns
// NewDeviceMetadata and has no ConfirmDevice, UpdateDeviceStatus or
// DEVICE_SRP_AUTH ("The confirm_device action has not been implemented").
// cognitotest keeps only the verifier ConfirmDevice sent and checks the
// device's SRP proof with the server's formula, so a wrong device
// password or a wrong verifier fails as on Cognito.

type mfaCounter struct{ asked int }

func (m *mfaCounter) handler(_ context.Context, ch cognitoauth.Challenge) (map[string]string, error) {
	if ch.Name != "SOFTWARE_TOKEN_MFA" {
		return nil, fmt.Errorf("unexpected challenge %s", ch.Name)
	}
	m.asked++
	return map[string]string{"SOFTWARE_TOKEN_MFA_CODE": "123456"}, nil
}

func devicePool(t *testing.T, optIn bool, secret string, fns ...func(*cognitoauth.Options)) (*cognitotest.Fake, *cognitoauth.Client, *cognitoauth.MemoryDeviceStore, *mfaCounter) {
	t.Helper()
	clk := &clock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	pool := cognitotest.New(func(o *cognitotest.Options) {
		o.Clock, o.DeviceTracking, o.DeviceOptIn, o.ClientSecret = clk.Now, true, optIn, secret
	})
	pool.AddUser("erin", "Correct-Horse-1", cognitotest.User{TOTPCode: "123456"})
	store := &cognitoauth.MemoryDeviceStore{}
	mfa := &mfaCounter{}
	c, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), append([]func(*cognitoauth.Options){pool.ClientOptions,
		func(o *cognitoauth.Options) { o.Devices, o.ChallengeHandler = store, mfa.handler }}, fns...)...)
	require.NoError(t, err)
	return pool, c, store, mfa
}

func TestDeviceTracking(t *testing.T) {
	for _, secret := range []string{"", "device-client-secret"} {
		t.Run(fmt.Sprintf("secret=%v", secret != ""), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			pool, c, store, mfa := devicePool(t, false, secret)

			// First sign-in: MFA, then the new device is confirmed and saved.
			tok, err := c.SignIn(ctx, "erin", "Correct-Horse-1")
			require.NoError(t, err)
			assert.Equal(t, 1, mfa.asked)
			assert.Equal(t, 1, pool.Calls("ConfirmDevice"))
			d, ok, err := store.LoadDevice(ctx, "erin")
			require.NoError(t, err)
			require.True(t, ok)
			assert.Equal(t, d.Key, tok.DeviceKey)
			assert.Len(t, d.Password, 56, "40 random bytes in base64")
			assert.Equal(t, []cognitotest.DeviceStatus{{Key: d.Key, Name: "kumo", Confirmed: true, Remembered: true}}, pool.Devices("erin"))

			// Refresh sends DEVICE_KEY; without it the pool refuses the
			// refresh token, as Cognito does on pools that track devices.
			fresh, err := c.Refresh(ctx, tok)
			require.NoError(t, err)
			assert.Equal(t, tok.DeviceKey, fresh.DeviceKey)
			noDevice := *tok
			noDevice.DeviceKey = ""
			_, err = c.Refresh(ctx, &noDevice)
			require.ErrorIs(t, err, cognitoauth.ErrSessionExpired)

			// Second sign-in: DEVICE_SRP_AUTH with the saved device, no MFA,
			// no new device.
			tok2, err := c.SignIn(ctx, "erin", "Correct-Horse-1")
			require.NoError(t, err)
			assert.Equal(t, 1, mfa.asked, "a remembered device skips MFA")
			assert.Equal(t, 1, pool.Calls("ConfirmDevice"))
			assert.Equal(t, d.Key, tok2.DeviceKey)
			_, err = c.Refresh(ctx, tok2)
			require.NoError(t, err)

			// A device password that is not the one confirmed fails the
			// device proof.
			bad := d
			bad.Password = "not-the-device-password"
			require.NoError(t, store.SaveDevice(ctx, "erin", bad))
			_, err = c.SignIn(ctx, "erin", "Correct-Horse-1")
			require.ErrorIs(t, err, cognitoauth.ErrNotAuthorized)
			require.NotContains(t, err.Error(), bad.Password)
			require.NoError(t, store.SaveDevice(ctx, "erin", d))

			// Forgotten by the pool: its refresh tokens stop working.
			pool.ForgetDevice(d.Key)
			_, err = c.Refresh(ctx, tok2)
			require.ErrorIs(t, err, cognitoauth.ErrSessionExpired)
		})
	}
}

// TestDeviceOptIn: on a pool that asks before remembering, the device stays
// not remembered (MFA asked again) until RememberDevice, or SignIn
// remembers it at once with Options.RememberDevices.
func TestDeviceOptIn(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, c, _, mfa := devicePool(t, true, "")
	tok, err := c.SignIn(ctx, "erin", "Correct-Horse-1")
	require.NoError(t, err)
	assert.False(t, pool.Devices("erin")[0].Remembered)
	_, err = c.SignIn(ctx, "erin", "Correct-Horse-1")
	require.NoError(t, err)
	assert.Equal(t, 2, mfa.asked, "a device not remembered does not skip MFA")

	require.NoError(t, c.RememberDevice(ctx, tok, true))
	assert.True(t, pool.Devices("erin")[0].Remembered)
	_, err = c.SignIn(ctx, "erin", "Correct-Horse-1")
	require.NoError(t, err)
	assert.Equal(t, 2, mfa.asked)
	require.NoError(t, c.RememberDevice(ctx, tok, false))
	assert.False(t, pool.Devices("erin")[0].Remembered)

	pool2, c2, _, _ := devicePool(t, true, "", func(o *cognitoauth.Options) { o.RememberDevices = true })
	_, err = c2.SignIn(ctx, "erin", "Correct-Horse-1")
	require.NoError(t, err)
	assert.True(t, pool2.Devices("erin")[0].Remembered)
	assert.Equal(t, 1, pool2.Calls("UpdateDeviceStatus"))
}

// TestDeviceRotation: with rotation the device key goes with
// GetTokensFromRefreshToken too.
func TestDeviceRotation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	clk := &clock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	pool := cognitotest.New(func(o *cognitotest.Options) { o.Clock, o.DeviceTracking, o.RefreshRotation = clk.Now, true, true })
	pool.AddUser("erin", "Correct-Horse-1", cognitotest.User{})
	c, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions, func(o *cognitoauth.Options) {
		o.Devices, o.RefreshRotation = &cognitoauth.MemoryDeviceStore{}, true
	})
	require.NoError(t, err)
	tok, err := c.SignIn(ctx, "erin", "Correct-Horse-1")
	require.NoError(t, err)
	for range 3 {
		next, err := c.Refresh(ctx, tok)
		require.NoError(t, err)
		assert.NotEqual(t, tok.RefreshToken, next.RefreshToken)
		assert.Equal(t, tok.DeviceKey, next.DeviceKey)
		tok = next
	}
}

// TestDevicesNeedTheCalls: Options.Devices with a client that lacks
// ConfirmDevice is refused at construction; without Options.Devices the
// pool's device metadata is ignored.
func TestDevicesNeedTheCalls(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool := cognitotest.New(func(o *cognitotest.Options) { o.DeviceTracking = true })
	pool.AddUser("erin", "Correct-Horse-1", cognitotest.User{})
	_, err := cognitoauth.New(onlyIDP{pool}, pool, pool.UserPoolID(), pool.ClientID(), func(o *cognitoauth.Options) { o.Devices = &cognitoauth.MemoryDeviceStore{} })
	require.ErrorContains(t, err, "DeviceAPI")
	c, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions)
	require.NoError(t, err)
	tok, err := c.SignIn(ctx, "erin", "Correct-Horse-1")
	require.NoError(t, err)
	assert.Empty(t, tok.DeviceKey)
	assert.Equal(t, 0, pool.Calls("ConfirmDevice"))
	require.ErrorContains(t, c.RememberDevice(ctx, tok, true), "Options.Devices")
}

// TestCustomAuth: CUSTOM_AUTH through the challenge handler, with and
// without the SRP step first, with and without a client secret.
// cognitotest only: moto 5.2.1 accepts CUSTOM_AUTH as a flow name but its
// initiate_auth has no branch for it and answers nothing.
func TestCustomAuth(t *testing.T) {
	for _, secret := range []string{"", "custom-secret"} {
		for _, password := range []string{"", "Correct-Horse-1"} {
			t.Run(fmt.Sprintf("secret=%v/srp=%v", secret != "", password != ""), func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				pool := cognitotest.New(func(o *cognitotest.Options) { o.ClientSecret = secret })
				pool.AddUser("frank", "Correct-Horse-1", cognitotest.User{CustomAnswer: "blue"})
				answer := "blue"
				var seen []string
				c, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions, func(o *cognitoauth.Options) {
					o.Flow = cognitoauth.FlowCustom
					o.ChallengeHandler = func(_ context.Context, ch cognitoauth.Challenge) (map[string]string, error) {
						seen = append(seen, ch.Name)
						return map[string]string{"ANSWER": answer}, nil
					}
				})
				require.NoError(t, err)
				tok, err := c.SignIn(ctx, "frank", password)
				require.NoError(t, err)
				assert.Equal(t, "frank", tok.Claims.Username)
				assert.Equal(t, []string{"CUSTOM_CHALLENGE"}, seen, "PASSWORD_VERIFIER is answered by SignIn itself")

				answer = "green"
				_, err = c.SignIn(ctx, "frank", password)
				require.ErrorIs(t, err, cognitoauth.ErrNotAuthorized)
				if password != "" {
					_, err = c.SignIn(ctx, "frank", "Wrong-Horse-1")
					require.ErrorIs(t, err, cognitoauth.ErrNotAuthorized)
				}
			})
		}
	}
}

func TestUnknownFlowListsAllowed(t *testing.T) {
	pool := cognitotest.New()
	_, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), func(o *cognitoauth.Options) { o.Flow = 9 })
	require.EqualError(t, err, "cognitoauth: unknown flow 9; allowed are FlowSRP (0), FlowPassword (1), FlowAdminPassword (2), FlowAdminNoSRP (3) and FlowCustom (4)")
	_, err = cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), func(o *cognitoauth.Options) { o.RefreshBefore = -time.Second })
	require.ErrorContains(t, err, "RefreshBefore")
}

// TestZeroOptionsAreDefaults: Clock nil means time.Now (it panicked on
// first use before), and the other zero values their defaults.
func TestZeroOptionsAreDefaults(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool := cognitotest.New()
	pool.AddUser("gina", "Correct-Horse-1", cognitotest.User{})
	c, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions, func(o *cognitoauth.Options) {
		o.Clock, o.RefreshBefore, o.Rand = nil, 0, nil
	})
	require.NoError(t, err)
	before := time.Now()
	tok, err := c.SignIn(ctx, "gina", "Correct-Horse-1")
	require.NoError(t, err)
	assert.WithinRange(t, tok.Expires, before.Add(time.Hour-time.Minute), time.Now().Add(time.Hour+time.Minute))
	_, err = c.CredentialsProvider(tok).Retrieve(ctx)
	require.NoError(t, err)
}

// TestDeviceGone: a saved device the pool refuses as unknown is forgotten
// and the sign-in runs again without it (MFA again, a new device).
func TestDeviceGone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, c, store, mfa := devicePool(t, false, "", func(o *cognitoauth.Options) { o.Flow = cognitoauth.FlowPassword })
	first, err := c.SignIn(ctx, "erin", "Correct-Horse-1")
	require.NoError(t, err)
	// With USER_PASSWORD_AUTH the first answer is to DEVICE_SRP_AUTH.
	pool.FailNext("RespondToAuthChallenge", &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "Device does not exist."})
	second, err := c.SignIn(ctx, "erin", "Correct-Horse-1")
	require.NoError(t, err)
	assert.Equal(t, 2, mfa.asked)
	assert.NotEqual(t, first.DeviceKey, second.DeviceKey)
	d, ok, err := store.LoadDevice(ctx, "erin")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, second.DeviceKey, d.Key)
}
