package cognitoauth

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/kumo-go/kumo/internal/redact"
)

// Options, Client, Provider, Tokens and Device hold a client secret,
// tokens, a device's password or a client whose credentials may hold a
// secret key. Each prints a description without them under every fmt
// verb, in log/slog and in JSON (see internal/redact).

// String describes the options with ClientSecret redacted.
func (o Options) String() string {
	return redact.Describe("Options", "Region", o.Region, "ClientSecret", redact.String(o.ClientSecret),
		"IdentityPoolID", o.IdentityPoolID, "AccountID", o.AccountID, "CustomRoleARN", o.CustomRoleARN,
		"Flow", o.Flow, "RefreshBefore", o.RefreshBefore, "RefreshRotation", o.RefreshRotation,
		"DeviceName", o.DeviceName, "RememberDevices", o.RememberDevices)
}

// GoString is String qualified by the package, for %#v.
func (o Options) GoString() string { return redact.GoString(o) }

// Format prints String under every verb fmt hands it, so ClientSecret is
// not printed (%p of a value and %w of a non-error bypass Format and print
// exported fields: see the README).
func (o Options) Format(f fmt.State, verb rune) { redact.Format(f, verb, o) }

// LogValue logs String.
func (o Options) LogValue() slog.Value { return redact.LogValue(o) }

// MarshalJSON writes the options' plain values with ClientSecret redacted
// (functions, Rand and Devices are left out). json.Unmarshal still reads
// Options with the secret in it.
func (o Options) MarshalJSON() ([]byte, error) {
	type plain Options
	p := plain(o)
	p.ClientSecret = redact.String(o.ClientSecret)
	return json.Marshal(p)
}

// String describes the client by its pool, app client and options, the
// client secret redacted.
func (c *Client) String() string {
	o := c.opts
	o.ClientSecret = c.secret.Value()
	return redact.Describe("Client", "UserPoolID", c.userPoolID, "ClientID", c.clientID, "options", o)
}

// GoString is String qualified by the package, for %#v.
func (c *Client) GoString() string { return redact.GoString(c) }

// Format prints String under every verb: neither the client secret nor the
// credentials of the clients it holds are printed.
func (c *Client) Format(f fmt.State, verb rune) { redact.Format(f, verb, c) }

// LogValue logs String.
func (c *Client) LogValue() slog.Value { return redact.LogValue(c) }

// String describes the provider by its client, without the tokens. It
// takes no lock, so it never waits for a refresh under way (Retrieve holds
// the provider's lock across its calls to Cognito).
func (p *Provider) String() string {
	return redact.Describe("Provider", "client", p.c, "tokens", redact.Mark)
}

// GoString is String qualified by the package, for %#v.
func (p *Provider) GoString() string { return redact.GoString(p) }

// Format prints String under every verb, so no token is ever printed.
func (p *Provider) Format(f fmt.State, verb rune) { redact.Format(f, verb, p) }

// LogValue logs String.
func (p *Provider) LogValue() slog.Value { return redact.LogValue(p) }

// tokensJSON is the JSON form of Tokens, for MarshalJSON (redacted) and
// MarshalSecretJSON (not). Its field names are those json.Unmarshal reads
// into a Tokens.
type tokensJSON struct {
	IDToken, AccessToken, RefreshToken string
	Expires                            time.Time
	DeviceKey                          string `json:",omitempty"`
	Claims                             Claims
}

// MarshalJSON writes the tokens' claims and expiry with the tokens
// themselves redacted. To store tokens on purpose (a CLI's cache), use
// [Tokens.MarshalSecretJSON].
func (t Tokens) MarshalJSON() ([]byte, error) {
	return json.Marshal(tokensJSON{redact.String(t.IDToken), redact.String(t.AccessToken), redact.String(t.RefreshToken), t.Expires, redact.String(t.DeviceKey), t.Claims})
}

// MarshalSecretJSON writes the tokens in clear, for a cache you protect as
// you would a password (a file of mode 0600, a keychain). json.Unmarshal
// into a Tokens reads it back. The refresh token in it signs the user in
// until it expires or is revoked.
func (t Tokens) MarshalSecretJSON() ([]byte, error) {
	return json.Marshal(tokensJSON(t))
}

// String describes the device without its keys and password.
func (d Device) String() string {
	return redact.Describe("Device", "Key", redact.String(d.Key), "GroupKey", redact.String(d.GroupKey), "Password", redact.String(d.Password))
}

// GoString is String qualified by the package, for %#v.
func (d Device) GoString() string { return redact.GoString(d) }

// Format prints String under every verb fmt hands it (%p of a value and
// %w of a non-error bypass Format and print exported fields: see the
// README).
func (d Device) Format(f fmt.State, verb rune) { redact.Format(f, verb, d) }

// LogValue logs String.
func (d Device) LogValue() slog.Value { return redact.LogValue(d) }

// MarshalJSON writes the device redacted. To keep a device in a file, write
// its fields yourself and protect the file as you would a password.
func (d Device) MarshalJSON() ([]byte, error) {
	type plain Device
	return json.Marshal(plain{Key: redact.String(d.Key), GroupKey: redact.String(d.GroupKey), Password: redact.String(d.Password)})
}

// String describes the store by how many devices it holds.
func (m *MemoryDeviceStore) String() string {
	m.mu.Lock()
	n := len(m.devices.Value())
	m.mu.Unlock()
	return redact.Describe("MemoryDeviceStore", "devices", n)
}

// GoString is String qualified by the package, for %#v.
func (m *MemoryDeviceStore) GoString() string { return redact.GoString(m) }

// Format prints String under every verb, so no device is printed.
func (m *MemoryDeviceStore) Format(f fmt.State, verb rune) { redact.Format(f, verb, m) }

// LogValue logs String.
func (m *MemoryDeviceStore) LogValue() slog.Value { return redact.LogValue(m) }

// MarshalJSON writes String as a JSON string, never the devices.
func (m *MemoryDeviceStore) MarshalJSON() ([]byte, error) { return json.Marshal(m.String()) }
