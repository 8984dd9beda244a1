package credentials

import (
	"fmt"
	"log/slog"

	redaction "github.com/kumo-go/kumo/internal/redact"
)

// A SharedFile holds the file's text, secret keys included, so it prints
// only its path and kind under every fmt verb, in log/slog and in JSON (see
// internal/redact). Profile's own printing methods are in profile.go.

// String names the file; its contents are never printed.
func (s *SharedFile) String() string {
	return redaction.Describe("SharedFile", "path", s.path, "kind", s.kind, "contents", redaction.Mark)
}

// GoString is String qualified by the package, for %#v.
func (s *SharedFile) GoString() string { return redaction.GoString(s) }

// Format prints String under every verb.
func (s *SharedFile) Format(f fmt.State, verb rune) { redaction.Format(f, verb, s) }

// LogValue logs String.
func (s *SharedFile) LogValue() slog.Value { return redaction.LogValue(s) }
