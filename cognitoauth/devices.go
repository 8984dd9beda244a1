package cognitoauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/kumo-go/kumo/cognitoauth/internal/srp"
	"github.com/kumo-go/kumo/internal/redact"
)

// Device is a device the user pool tracks for a user: its key and group
// key from the pool, and the random password this client made for it when
// it confirmed the device. The password signs the user in from this
// device, so a Device is a secret: it redacts itself when printed and in
// JSON. Keep it where you keep refresh tokens.
type Device struct {
	Key, GroupKey, Password string
}

// Equal reports whether d and o are the same device with the same
// password, comparing in constant time.
func (d Device) Equal(o Device) bool {
	return subtle.ConstantTimeCompare([]byte(d.Key), []byte(o.Key))&
		subtle.ConstantTimeCompare([]byte(d.GroupKey), []byte(o.GroupKey))&
		subtle.ConstantTimeCompare([]byte(d.Password), []byte(o.Password)) == 1
}

// DeviceStore keeps the devices a Client confirmed, by the username given
// to SignIn. Use one store per user pool. Implementations must be safe for
// concurrent use.
type DeviceStore interface {
	// LoadDevice returns the device saved for username; ok is false when
	// there is none.
	LoadDevice(ctx context.Context, username string) (d Device, ok bool, err error)
	// SaveDevice saves d for username, replacing any device saved before.
	SaveDevice(ctx context.Context, username string, d Device) error
	// ForgetDevice removes username's device, if any.
	ForgetDevice(ctx context.Context, username string) error
}

// MemoryDeviceStore is a DeviceStore in memory. The zero value is ready.
type MemoryDeviceStore struct {
	mu sync.Mutex
	// devices is Hidden so that no fmt path reaches the passwords, not
	// even %w, which prints a non-error's fields without calling Format.
	devices redact.Hidden[map[string]Device]
}

// LoadDevice implements DeviceStore.
func (m *MemoryDeviceStore) LoadDevice(_ context.Context, username string) (Device, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.devices.Value()[username]
	return d, ok, nil
}

// SaveDevice implements DeviceStore.
func (m *MemoryDeviceStore) SaveDevice(_ context.Context, username string, d Device) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.devices.Value() == nil {
		m.devices = redact.Hide(map[string]Device{})
	}
	m.devices.Value()[username] = d
	return nil
}

// ForgetDevice implements DeviceStore.
func (m *MemoryDeviceStore) ForgetDevice(_ context.Context, username string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.devices.Value(), username)
	return nil
}

// confirmDevice answers a sign-in's NewDeviceMetadata: it makes the
// device's password and verifier, calls ConfirmDevice, remembers the device
// when the pool asks and Options.RememberDevices says yes, and saves it.
func (c *Client) confirmDevice(ctx context.Context, username string, r *ciptypes.AuthenticationResultType) (string, error) {
	md := r.NewDeviceMetadata
	key, group := aws.ToString(md.DeviceKey), aws.ToString(md.DeviceGroupKey)
	if key == "" || group == "" {
		return "", errors.New("cognitoauth: the pool's NewDeviceMetadata has no DeviceKey or DeviceGroupKey")
	}
	ds, err := srp.NewDeviceSecret(c.opts.Rand, group, key)
	if err != nil {
		return "", fmt.Errorf("cognitoauth: %w", err)
	}
	api := c.idp.(DeviceAPI) // New checked
	out, err := api.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{AccessToken: r.AccessToken, DeviceKey: aws.String(key),
		DeviceName:                 aws.String(c.opts.DeviceName),
		DeviceSecretVerifierConfig: &ciptypes.DeviceSecretVerifierConfigType{PasswordVerifier: aws.String(ds.Verifier), Salt: aws.String(ds.Salt)}})
	if err != nil {
		return "", fmt.Errorf("cognitoauth: confirming the new device: %w", mapError(err, false))
	}
	if out.UserConfirmationNecessary && c.opts.RememberDevices {
		if _, err := api.UpdateDeviceStatus(ctx, &cip.UpdateDeviceStatusInput{AccessToken: r.AccessToken, DeviceKey: aws.String(key),
			DeviceRememberedStatus: ciptypes.DeviceRememberedStatusTypeRemembered}); err != nil {
			return "", fmt.Errorf("cognitoauth: remembering the new device: %w", mapError(err, false))
		}
	}
	if err := c.opts.Devices.SaveDevice(ctx, username, Device{Key: key, GroupKey: group, Password: ds.Password}); err != nil {
		return "", fmt.Errorf("cognitoauth: saving the new device: %w", err)
	}
	return key, nil
}

// RememberDevice sets whether the pool remembers the device t was issued
// on (UpdateDeviceStatus): a remembered device signs in without MFA. It
// needs Options.Devices and tokens from a sign-in on a tracked device.
func (c *Client) RememberDevice(ctx context.Context, t *Tokens, remember bool) error {
	api, ok := c.idp.(DeviceAPI)
	if !ok || c.opts.Devices == nil {
		return errors.New("cognitoauth: RememberDevice needs Options.Devices (and a user-pools client with DeviceAPI)")
	}
	if t == nil || t.AccessToken == "" || t.DeviceKey == "" {
		return errors.New("cognitoauth: RememberDevice needs tokens from a sign-in on a tracked device (Tokens.DeviceKey is empty)")
	}
	status := ciptypes.DeviceRememberedStatusTypeNotRemembered
	if remember {
		status = ciptypes.DeviceRememberedStatusTypeRemembered
	}
	_, err := api.UpdateDeviceStatus(ctx, &cip.UpdateDeviceStatusInput{AccessToken: aws.String(t.AccessToken), DeviceKey: aws.String(t.DeviceKey),
		DeviceRememberedStatus: status})
	if err != nil {
		return mapError(err, false)
	}
	return nil
}

// deviceChallenge answers DEVICE_SRP_AUTH and the DEVICE_PASSWORD_VERIFIER
// that follows with the saved device's password.
func (c *Client) deviceChallenge(ctx context.Context, st step, user string, d Device) (step, error) {
	a, err := c.srpSecret()
	if err != nil {
		return st, err
	}
	sess := srp.NewDevice(d.GroupKey, a)
	st, err = c.respond(ctx, st, c.withSecret(map[string]string{"USERNAME": user, "DEVICE_KEY": d.Key, "SRP_A": sess.A()}, user))
	if err != nil {
		return st, err
	}
	if st.result != nil {
		return st, nil
	}
	if st.challenge != string(ciptypes.ChallengeNameTypeDevicePasswordVerifier) {
		return st, fmt.Errorf("cognitoauth: DEVICE_SRP_AUTH was answered with the %s challenge, want DEVICE_PASSWORD_VERIFIER", st.challenge)
	}
	if u := st.params["USERNAME"]; u != "" {
		user = u
	}
	sig, ts, err := sess.PasswordClaim(d.Key, d.Password, st.params["SALT"], st.params["SRP_B"], st.params["SECRET_BLOCK"], c.opts.Clock())
	if err != nil {
		return st, fmt.Errorf("cognitoauth: device %w", err)
	}
	return c.respond(ctx, st, c.withSecret(map[string]string{"USERNAME": user, "DEVICE_KEY": d.Key,
		"PASSWORD_CLAIM_SECRET_BLOCK": st.params["SECRET_BLOCK"], "PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts}, user))
}
