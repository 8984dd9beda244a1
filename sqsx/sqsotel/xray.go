package sqsotel

import (
	"encoding/hex"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// parseXRay reads an X-Ray trace header, as SQS reports it in the
// AWSTraceHeader system attribute:
//
//	Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1
//
// It returns a remote span context, or false when the header has no valid
// Root and Parent. Fields are matched by exact name; unknown fields
// (Lineage, Self, ...) are ignored; a repeated field is refused.
func parseXRay(h string) (trace.SpanContext, bool) {
	if len(h) > 1024 { // X-Ray caps the header at a few hundred bytes
		return trace.SpanContext{}, false
	}
	var root, parent, sampled string
	var seen [3]bool
	for _, f := range strings.Split(h, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		if !ok {
			continue
		}
		i := -1
		switch k {
		case "Root":
			i, root = 0, v
		case "Parent":
			i, parent = 1, v
		case "Sampled":
			i, sampled = 2, v
		}
		if i >= 0 {
			if seen[i] {
				return trace.SpanContext{}, false
			}
			seen[i] = true
		}
	}
	// Root is "1-" then 8 hex digits of epoch seconds, "-", 24 hex digits.
	if len(root) != 35 || root[:2] != "1-" || root[10] != '-' {
		return trace.SpanContext{}, false
	}
	var tid trace.TraceID
	var sid trace.SpanID
	if n, err := hex.Decode(tid[:], []byte(root[2:10]+root[11:])); err != nil || n != 16 {
		return trace.SpanContext{}, false
	}
	if len(parent) != 16 {
		return trace.SpanContext{}, false
	}
	if n, err := hex.Decode(sid[:], []byte(parent)); err != nil || n != 8 {
		return trace.SpanContext{}, false
	}
	cfg := trace.SpanContextConfig{TraceID: tid, SpanID: sid, Remote: true}
	if sampled == "1" {
		cfg.TraceFlags = trace.FlagsSampled
	}
	sc := trace.NewSpanContext(cfg)
	return sc, sc.IsValid()
}
