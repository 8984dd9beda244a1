package cognitoauth

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/kumo-go/kumo/internal/redact"
)

// Config, Client, Provider and Tokens hold a client secret, tokens or a
// client whose credentials may hold a secret key. Each prints a description
// without them under every fmt verb, in log/slog and in JSON (see
// internal/redact).

// String describes the configuration with ClientSecret redacted.
func (c Config) String() string {
	return redact.Describe("Config", "Region", c.Region, "UserPoolID", c.UserPoolID, "ClientID", c.ClientID,
		"ClientSecret", redact.String(c.ClientSecret), "IdentityPoolID", c.IdentityPoolID,
		"AccountID", c.AccountID, "CustomRoleARN", c.CustomRoleARN)
}

// GoString is String qualified by the package, for %#v.
func (c Config) GoString() string { return redact.GoString(c) }

// Format prints String under every verb fmt hands it, so ClientSecret is
// not printed (%p of a value and %w of a non-error bypass Format and print
// exported fields: see the README).
func (c Config) Format(f fmt.State, verb rune) { redact.Format(f, verb, c) }

// LogValue logs String.
func (c Config) LogValue() slog.Value { return redact.LogValue(c) }

// MarshalJSON writes the configuration with ClientSecret redacted.
// json.Unmarshal still reads a Config with the secret in it.
func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config
	p := plain(c)
	p.ClientSecret = redact.String(c.ClientSecret)
	return json.Marshal(p)
}

// String describes the client by its configuration, ClientSecret redacted.
func (c *Client) String() string {
	cfg := c.cfg
	cfg.ClientSecret = c.secret.Value()
	return redact.Describe("Client", "config", cfg, "flow", c.opts.Flow)
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
	Claims                             Claims
}

// MarshalJSON writes the tokens' claims and expiry with the tokens
// themselves redacted. To store tokens on purpose (a CLI's cache), use
// [Tokens.MarshalSecretJSON].
func (t Tokens) MarshalJSON() ([]byte, error) {
	return json.Marshal(tokensJSON{redact.String(t.IDToken), redact.String(t.AccessToken), redact.String(t.RefreshToken), t.Expires, t.Claims})
}

// MarshalSecretJSON writes the tokens in clear, for a cache you protect as
// you would a password (a file of mode 0600, a keychain). json.Unmarshal
// into a Tokens reads it back. The refresh token in it signs the user in
// until it expires or is revoked.
func (t Tokens) MarshalSecretJSON() ([]byte, error) {
	return json.Marshal(tokensJSON(t))
}
