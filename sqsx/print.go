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

// SenderOptions and ProcessorOptions may hold an S3 client for payload
// offloading, which fmt would print with its credentials provider: they
// print their settings and the client's type only.

// String lists the options; the S3 client is named by its type.
func (o SenderOptions) String() string {
	return redact.Describe("SenderOptions", "MaxBatchBytes", o.MaxBatchBytes, "MaxInFlight", o.MaxInFlight, "MaxAttempts", o.MaxAttempts,
		"BaseDelay", o.BaseDelay, "MaxDelay", o.MaxDelay, "MaxGroupEntries", o.MaxGroupEntries, "OffloadBucket", o.OffloadBucket,
		"S3", clientType(o.S3), "OffloadThreshold", o.OffloadThreshold, "AlwaysOffload", o.AlwaysOffload, "OffloadKeyPrefix", o.OffloadKeyPrefix)
}

// GoString is String qualified by the package, for %#v.
func (o SenderOptions) GoString() string { return redact.GoString(o) }

// Format prints String under every verb.
func (o SenderOptions) Format(f fmt.State, verb rune) { redact.Format(f, verb, o) }

// LogValue logs String.
func (o SenderOptions) LogValue() slog.Value { return redact.LogValue(o) }

// String lists the options; the S3 client is named by its type, the
// funcs by whether they are set.
func (o ProcessorOptions) String() string {
	return redact.Describe("ProcessorOptions", "Concurrency", o.Concurrency, "Pollers", o.Pollers, "WaitTime", o.WaitTime,
		"MaxMessages", o.MaxMessages, "VisibilityTimeout", o.VisibilityTimeout, "HeartbeatFraction", o.HeartbeatFraction,
		"RetryBackoff", o.RetryBackoff != nil, "MaxReceiveCount", o.MaxReceiveCount, "DeadLetter", o.DeadLetter != nil,
		"ShutdownTimeout", o.ShutdownTimeout, "S3", clientType(o.S3), "MaxPayloadBytes", o.MaxPayloadBytes,
		"DeletePayloads", o.DeletePayloads, "FinishPollOnShutdown", o.FinishPollOnShutdown, "OnError", o.OnError != nil)
}

// GoString is String qualified by the package, for %#v.
func (o ProcessorOptions) GoString() string { return redact.GoString(o) }

// Format prints String under every verb.
func (o ProcessorOptions) Format(f fmt.State, verb rune) { redact.Format(f, verb, o) }

// LogValue logs String.
func (o ProcessorOptions) LogValue() slog.Value { return redact.LogValue(o) }

func clientType(c S3API) string {
	if c == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%T", c)
}
