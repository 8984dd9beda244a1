package cognitotest

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"math/big"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/kumo-go/kumo/cognitoauth/internal/srp"
	"github.com/kumo-go/kumo/internal/fakecall"
)

// device is a device the pool tracks. Like Cognito it keeps the verifier
// and salt the client sent to ConfirmDevice, never the device's password,
// and checks device sign-ins with the server side of SRP.
type device struct {
	key, group, username, name string
	verifier, salt             string // base64, as ConfirmDevice sent them
	confirmed, remembered      bool
}

// DeviceStatus describes a device the fake tracks, for tests.
type DeviceStatus struct {
	Key, Name             string
	Confirmed, Remembered bool
}

// Devices returns the devices the pool tracks for username, by key.
func (f *Fake) Devices(username string) []DeviceStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []DeviceStatus
	for _, d := range f.state().devices {
		if d.username == username {
			out = append(out, DeviceStatus{Key: d.key, Name: d.name, Confirmed: d.confirmed, Remembered: d.remembered})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// ForgetDevice stops tracking a device (AdminForgetDevice): its refresh
// tokens and device sign-ins then fail.
func (f *Fake) ForgetDevice(deviceKey string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.state().devices, deviceKey)
}

// userDevice returns the confirmed device key names for u, if any.
func (f *Fake) userDevice(u *user, key string) *device {
	d, ok := f.state().devices[key]
	if !ok || key == "" || d.username != u.name || !d.confirmed {
		return nil
	}
	return d
}

// deviceAuth starts DEVICE_SRP_AUTH when the sign-in came with the key of
// a remembered device of u.
func (f *Fake) deviceAuth(u *user, key string) (authOut, bool) {
	if d := f.userDevice(u, key); d == nil || !d.remembered {
		return authOut{}, false
	}
	return authOut{name: ciptypes.ChallengeNameTypeDeviceSrpAuth, params: map[string]string{"USERNAME": u.name},
		session: f.newSession(&session{username: u.name, stage: string(ciptypes.ChallengeNameTypeDeviceSrpAuth), device: key})}, true
}

// issueDevice issues tokens after a sign-in: on a known device the refresh
// token is bound to it; otherwise, when the pool tracks devices, a new
// device is reported (NewDeviceMetadata) and the refresh token bound to it.
func (f *Fake) issueDevice(u *user, key string) *ciptypes.AuthenticationResultType {
	r := f.issue(u, true)
	l := f.state()
	if d := f.userDevice(u, key); d != nil {
		l.refreshDevice[aws.ToString(r.RefreshToken)] = d.key
		return r
	}
	if !f.opts.DeviceTracking {
		return r
	}
	d := &device{key: f.opts.Region + "_" + uuid(), group: "-" + randHex(5), username: u.name}
	l.devices[d.key] = d
	l.refreshDevice[aws.ToString(r.RefreshToken)] = d.key
	r.NewDeviceMetadata = &ciptypes.NewDeviceMetadataType{DeviceKey: aws.String(d.key), DeviceGroupKey: aws.String(d.group)}
	return r
}

// checkRefreshDevice refuses a refresh token issued on a device unless
// DEVICE_KEY names that device and the pool still tracks it.
func (f *Fake) checkRefreshDevice(tok, key string) error {
	l := f.state()
	want, ok := l.refreshDevice[tok]
	if !ok {
		return nil
	}
	if _, tracked := l.devices[want]; !tracked || !hmac.Equal([]byte(key), []byte(want)) {
		return apiError("NotAuthorizedException", "Invalid Refresh Token")
	}
	return nil
}

// deviceSRP answers DEVICE_SRP_AUTH with DEVICE_PASSWORD_VERIFIER, the
// server side of SRP over the device's stored verifier.
func (f *Fake) deviceSRP(u *user, s *session, responses map[string]string) (authOut, error) {
	d := f.userDevice(u, s.device)
	if d == nil || !hmac.Equal([]byte(responses["DEVICE_KEY"]), []byte(d.key)) {
		return authOut{}, apiError("ResourceNotFoundException", "Device does not exist.")
	}
	b, _ := new(big.Int).SetString(randHex(64), 16)
	server, saltHex, err := srp.NewVerifierServer(d.group, d.key, d.verifier, d.salt, b)
	if err != nil {
		return authOut{}, apiError("InternalErrorException", "the device's stored verifier does not load")
	}
	block := []byte(randHex(48))
	ns := &session{username: u.name, stage: string(ciptypes.ChallengeNameTypeDevicePasswordVerifier), server: server,
		srpA: responses["SRP_A"], block: block, device: d.key}
	return authOut{name: ciptypes.ChallengeNameTypeDevicePasswordVerifier, params: map[string]string{
		"USERNAME": u.name, "DEVICE_KEY": d.key, "SALT": saltHex, "SRP_B": server.B(),
		"SECRET_BLOCK": base64.StdEncoding.EncodeToString(block)}, session: f.newSession(ns)}, nil
}

// devicePassword checks DEVICE_PASSWORD_VERIFIER's claim and issues the
// tokens (no MFA: the device is remembered).
func (f *Fake) devicePassword(u *user, s *session, responses map[string]string) (authOut, error) {
	const layout = "Mon Jan 2 15:04:05 UTC 2006"
	ts, err := time.Parse(layout, responses["TIMESTAMP"])
	if err != nil || responses["TIMESTAMP"] != ts.Format(layout) {
		return authOut{}, apiError("InvalidParameterException", "TIMESTAMP is not in the required format")
	}
	if !hmac.Equal([]byte(responses["DEVICE_KEY"]), []byte(s.device)) {
		return authOut{}, apiError("NotAuthorizedException", "DEVICE_KEY does not match the session")
	}
	want, err := s.server.Expected(s.srpA, s.block, responses["TIMESTAMP"])
	if err != nil {
		return authOut{}, apiError("InvalidParameterException", "SRP_A is not a valid value")
	}
	if responses["PASSWORD_CLAIM_SECRET_BLOCK"] != base64.StdEncoding.EncodeToString(s.block) ||
		!hmac.Equal([]byte(responses["PASSWORD_CLAIM_SIGNATURE"]), []byte(want)) {
		return authOut{}, apiError("NotAuthorizedException", "Incorrect username or password.")
	}
	return authOut{result: f.issueDevice(u, s.device)}, nil
}

// ConfirmDevice implements cognitoauth.DeviceAPI: it stores the device's
// verifier and salt. With Options.DeviceOptIn the answer asks the user to
// confirm and the device stays not remembered.
func (f *Fake) ConfirmDevice(_ context.Context, in *cip.ConfirmDeviceInput, _ ...func(*cip.Options)) (out *cip.ConfirmDeviceOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("ConfirmDevice", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "ConfirmDevice", &out, &err)
	u, err := f.accessUser(aws.ToString(in.AccessToken))
	if err != nil {
		return nil, err
	}
	d, ok := f.state().devices[aws.ToString(in.DeviceKey)]
	if !ok || d.username != u.name {
		return nil, apiError("ResourceNotFoundException", "Device does not exist.")
	}
	cfg := in.DeviceSecretVerifierConfig
	if cfg == nil {
		return nil, apiError("InvalidParameterException", "DeviceSecretVerifierConfig is required")
	}
	if _, _, err := srp.NewVerifierServer(d.group, d.key, aws.ToString(cfg.PasswordVerifier), aws.ToString(cfg.Salt), big.NewInt(2)); err != nil {
		return nil, apiError("InvalidParameterException", "DeviceSecretVerifierConfig is not a valid verifier and salt")
	}
	d.verifier, d.salt, d.name = aws.ToString(cfg.PasswordVerifier), aws.ToString(cfg.Salt), aws.ToString(in.DeviceName)
	d.confirmed, d.remembered = true, !f.opts.DeviceOptIn
	return &cip.ConfirmDeviceOutput{UserConfirmationNecessary: f.opts.DeviceOptIn}, nil
}

// UpdateDeviceStatus implements cognitoauth.DeviceAPI.
func (f *Fake) UpdateDeviceStatus(_ context.Context, in *cip.UpdateDeviceStatusInput, _ ...func(*cip.Options)) (out *cip.UpdateDeviceStatusOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("UpdateDeviceStatus", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "UpdateDeviceStatus", &out, &err)
	u, err := f.accessUser(aws.ToString(in.AccessToken))
	if err != nil {
		return nil, err
	}
	d := f.userDevice(u, aws.ToString(in.DeviceKey))
	if d == nil {
		return nil, apiError("ResourceNotFoundException", "Device does not exist.")
	}
	switch in.DeviceRememberedStatus {
	case ciptypes.DeviceRememberedStatusTypeRemembered:
		d.remembered = true
	case ciptypes.DeviceRememberedStatusTypeNotRemembered:
		d.remembered = false
	default:
		return nil, apiError("InvalidParameterException", "DeviceRememberedStatus must be remembered or not_remembered")
	}
	return &cip.UpdateDeviceStatusOutput{}, nil
}
