package kms

import (
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/kumo-go/kumo/internal/redact"
)

// The types below hold keys, or a client whose credentials may hold one.
// Each prints a description without them under every fmt verb, in log/slog
// and in JSON (see internal/redact); the secrets table test in
// internal/redact lists them all.

// String describes the client: its keyring's type and its options, no keys.
func (c Client) String() string {
	return redact.Describe("Client", "keyring", fmt.Sprintf("%T", c.keyring), "suite", c.opts.Suite,
		"frameSize", c.opts.FrameSize, "cache", c.opts.Cache != nil)
}

// GoString is String qualified by the package, for %#v.
func (c Client) GoString() string { return redact.GoString(c) }

// Format prints String under every verb, so no key is ever printed.
func (c Client) Format(f fmt.State, verb rune) { redact.Format(f, verb, c) }

// LogValue logs String.
func (c Client) LogValue() slog.Value { return redact.LogValue(c) }

// String names the key, never the key itself.
func (k RawAESKeyring) String() string {
	return redact.Describe("RawAESKeyring", "namespace", k.namespace, "name", k.name, "key", redact.Mark)
}

// GoString is String qualified by the package, for %#v.
func (k RawAESKeyring) GoString() string { return redact.GoString(k) }

// Format prints String under every verb, so the key is never printed.
func (k RawAESKeyring) Format(f fmt.State, verb rune) { redact.Format(f, verb, k) }

// LogValue logs String.
func (k RawAESKeyring) LogValue() slog.Value { return redact.LogValue(k) }

// String names the key pair and says which halves are held, never the
// private key.
func (k RawRSAKeyring) String() string {
	priv := ""
	if k.priv != nil {
		priv = redact.Mark
	}
	return redact.Describe("RawRSAKeyring", "namespace", k.namespace, "name", k.name, "padding", k.padding,
		"public", k.pub != nil, "private", priv)
}

// GoString is String qualified by the package, for %#v.
func (k RawRSAKeyring) GoString() string { return redact.GoString(k) }

// Format prints String under every verb, so the private key is never
// printed.
func (k RawRSAKeyring) Format(f fmt.State, verb rune) { redact.Format(f, verb, k) }

// LogValue logs String.
func (k RawRSAKeyring) LogValue() slog.Value { return redact.LogValue(k) }

// String gives the generator's type and the number of children.
func (k MultiKeyring) String() string {
	return redact.Describe("MultiKeyring", "generator", fmt.Sprintf("%T", k.generator), "children", len(k.children))
}

// GoString is String qualified by the package, for %#v.
func (k MultiKeyring) GoString() string { return redact.GoString(k) }

// Format prints String under every verb: the children's keys are never
// printed.
func (k MultiKeyring) Format(f fmt.State, verb rune) { redact.Format(f, verb, k) }

// LogValue logs String.
func (k MultiKeyring) LogValue() slog.Value { return redact.LogValue(k) }

// String names the KMS keys; the client (and its credentials) and grant
// tokens are left out.
func (k *KMSKeyring) String() string {
	return redact.Describe("KMSKeyring", "generator", k.generator, "keyIDs", fmt.Sprintf("%q", k.keyIDs),
		"grantTokens", len(k.grants))
}

// GoString is String qualified by the package, for %#v.
func (k *KMSKeyring) GoString() string { return redact.GoString(k) }

// Format prints String under every verb.
func (k *KMSKeyring) Format(f fmt.State, verb rune) { redact.Format(f, verb, k) }

// LogValue logs String.
func (k *KMSKeyring) LogValue() slog.Value { return redact.LogValue(k) }

// String gives the filter; the client (and its credentials) and grant
// tokens are left out.
func (k KMSDiscoveryKeyring) String() string {
	filter := "none"
	if k.filter != nil {
		filter = fmt.Sprintf("%s:%q", k.filter.Partition, k.filter.AccountIDs)
	}
	return redact.Describe("KMSDiscoveryKeyring", "filter", filter, "grantTokens", len(k.grants))
}

// GoString is String qualified by the package, for %#v.
func (k KMSDiscoveryKeyring) GoString() string { return redact.GoString(k) }

// Format prints String under every verb.
func (k KMSDiscoveryKeyring) Format(f fmt.State, verb rune) { redact.Format(f, verb, k) }

// LogValue logs String.
func (k KMSDiscoveryKeyring) LogValue() slog.Value { return redact.LogValue(k) }

// String gives the cache's limits and size, never the data keys it holds.
func (c *Cache) String() string {
	c.mu.Lock()
	n := len(c.entries)
	c.mu.Unlock()
	return redact.Describe("Cache", "entries", n, "capacity", c.opts.Capacity, "maxAge", c.opts.MaxAge)
}

// GoString is String qualified by the package, for %#v.
func (c *Cache) GoString() string { return redact.GoString(c) }

// Format prints String under every verb, so no data key is printed.
func (c *Cache) Format(f fmt.State, verb rune) { redact.Format(f, verb, c) }

// LogValue logs String.
func (c *Cache) LogValue() slog.Value { return redact.LogValue(c) }

// String describes the materials with the data key redacted.
func (m EncryptionMaterials) String() string {
	return redact.Describe("EncryptionMaterials", "suite", m.Suite, "context", len(m.EncryptionContext),
		"dataKey", redact.Bytes(m.PlaintextDataKey), "encryptedDataKeys", len(m.EncryptedDataKeys))
}

// GoString is String qualified by the package, for %#v.
func (m EncryptionMaterials) GoString() string { return redact.GoString(m) }

// Format prints String under every verb fmt hands it, so the data key is
// not printed (%p of a value and %w of a non-error bypass Format and print
// exported fields: see the README).
func (m EncryptionMaterials) Format(f fmt.State, verb rune) { redact.Format(f, verb, m) }

// LogValue logs String.
func (m EncryptionMaterials) LogValue() slog.Value { return redact.LogValue(m) }

// MarshalJSON writes the materials with PlaintextDataKey redacted.
func (m EncryptionMaterials) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Suite             Suite
		EncryptionContext map[string]string
		PlaintextDataKey  string
		EncryptedDataKeys []EncryptedDataKey
	}{m.Suite, m.EncryptionContext, redact.Bytes(m.PlaintextDataKey), m.EncryptedDataKeys})
}

// String describes the materials with the data key redacted.
func (m DecryptionMaterials) String() string {
	return redact.Describe("DecryptionMaterials", "suite", m.Suite, "context", len(m.EncryptionContext),
		"dataKey", redact.Bytes(m.PlaintextDataKey))
}

// GoString is String qualified by the package, for %#v.
func (m DecryptionMaterials) GoString() string { return redact.GoString(m) }

// Format prints String under every verb fmt hands it, so the data key is
// not printed (%p of a value and %w of a non-error bypass Format and print
// exported fields: see the README).
func (m DecryptionMaterials) Format(f fmt.State, verb rune) { redact.Format(f, verb, m) }

// LogValue logs String.
func (m DecryptionMaterials) LogValue() slog.Value { return redact.LogValue(m) }

// MarshalJSON writes the materials with PlaintextDataKey redacted.
func (m DecryptionMaterials) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Suite             Suite
		EncryptionContext map[string]string
		PlaintextDataKey  string
	}{m.Suite, m.EncryptionContext, redact.Bytes(m.PlaintextDataKey)})
}
