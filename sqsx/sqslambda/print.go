package sqslambda

import (
	"fmt"
	"log/slog"

	"github.com/kumo-go/kumo/internal/redact"
)

// Options may hold an S3 client, which fmt would print with its
// credentials provider: they print their settings and the client's type.

// String lists the options; the S3 client is named by its type.
func (o Options) String() string {
	s3 := "<nil>"
	if o.S3 != nil {
		s3 = fmt.Sprintf("%T", o.S3)
	}
	return redact.Describe("Options", "Concurrency", o.Concurrency, "S3", s3, "MaxPayloadBytes", o.MaxPayloadBytes, "OnError", o.OnError != nil)
}

// GoString is String qualified by the package, for %#v.
func (o Options) GoString() string { return redact.GoString(o) }

// Format prints String under every verb.
func (o Options) Format(f fmt.State, verb rune) { redact.Format(f, verb, o) }

// LogValue logs String.
func (o Options) LogValue() slog.Value { return redact.LogValue(o) }
