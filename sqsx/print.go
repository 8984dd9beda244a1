package sqsx

import (
	"fmt"
	"log/slog"

	"github.com/kumo-go/kumo/internal/redact"
)

// A Sender and a Processor hold an SQS client, whose credentials provider
// may hold a secret key that fmt would print (under %s, fmt prints what a
// client's pointers point to). They print a description without it under
// every fmt verb, in log/slog and in JSON (see internal/redact).

// String names the queue; the client is left out.
func (s *Sender) String() string {
	return redact.Describe("Sender", "queue", s.url, "client", redact.Mark)
}

// GoString is String qualified by the package, for %#v.
func (s *Sender) GoString() string { return redact.GoString(s) }

// Format prints String under every verb.
func (s *Sender) Format(f fmt.State, verb rune) { redact.Format(f, verb, s) }

// LogValue logs String.
func (s *Sender) LogValue() slog.Value { return redact.LogValue(s) }

// String names the queue; the client is left out.
func (p *Processor) String() string {
	return redact.Describe("Processor", "queue", p.url, "running", p.running.Load(), "client", redact.Mark)
}

// GoString is String qualified by the package, for %#v.
func (p *Processor) GoString() string { return redact.GoString(p) }

// Format prints String under every verb.
func (p *Processor) Format(f fmt.State, verb rune) { redact.Format(f, verb, p) }

// LogValue logs String.
func (p *Processor) LogValue() slog.Value { return redact.LogValue(p) }
