package cfsign

import (
	"fmt"
	"log/slog"

	"github.com/kumo-go/kumo/internal/redact"
)

// String gives the key pair ID and hash, never the private key.
func (s Signer) String() string {
	return redact.Describe("Signer", "keyPairID", s.keyPairID, "hash", s.hash, "key", redact.Mark)
}

// GoString is String qualified by the package, for %#v.
func (s Signer) GoString() string { return redact.GoString(s) }

// Format prints String under every verb, so the private key is never
// printed (see internal/redact).
func (s Signer) Format(f fmt.State, verb rune) { redact.Format(f, verb, s) }

// LogValue logs String.
func (s Signer) LogValue() slog.Value { return redact.LogValue(s) }
