package redact_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/redact"
)

// box is the smallest secret-holding type written the way the package doc
// says.
type box struct{ name, key string }

func (b box) String() string {
	return redact.Describe("box", "name", b.name, "key", redact.String(b.key), "n", 3, "s", fmt.Stringer(nil))
}
func (b box) GoString() string              { return redact.GoString(b) }
func (b box) Format(f fmt.State, verb rune) { redact.Format(f, verb, b) }
func (b box) LogValue() slog.Value          { return redact.LogValue(b) }

func TestFormat(t *testing.T) {
	b := box{name: "a", key: "k3y"}
	const desc = `box{name:"a" key:[redacted] n:3 s:<nil>}`
	for _, tt := range []struct{ format, want string }{
		{"%v", desc},
		{"%+v", desc},
		{"%s", desc},
		{"%d", desc},
		{"%x", desc},
		{"%t", desc},
		{"%#v", "redact_test." + desc},
		{"%q", fmt.Sprintf("%q", desc)},
		{"%.3s", "box"},
		{"%-45s|", fmt.Sprintf("%-45s|", desc)},
		{"%T", "redact_test.box"},
	} {
		require.Equal(t, tt.want, fmt.Sprintf(tt.format, b), tt.format)
		if tt.format != "%T" && tt.format != "%#v" {
			require.Equal(t, tt.want, fmt.Sprintf(tt.format, &b), "pointer, "+tt.format)
		}
	}
	require.Equal(t, `box{name:"a" key:"" n:3 s:<nil>}`, box{name: "a"}.String(), "an empty secret says so")
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == "time" {
			return slog.Attr{}
		}
		return a
	}})).Info("m", "b", b)
	require.JSONEq(t, `{"level":"INFO","msg":"m","b":`+string(mustJSON(t, desc))+`}`, buf.String())

	h := redact.Hide("k3y")
	require.Equal(t, "k3y", h.Value())
	require.Equal(t, "", redact.Hidden[string]{}.Value())
	require.Equal(t, "[redacted]", fmt.Sprintf("%v", h))
	require.NotContains(t, fmt.Sprintf("%+v %s %d", struct{ h redact.Hidden[string] }{h}, struct{ h redact.Hidden[string] }{h}, struct{ h redact.Hidden[string] }{h}), "k3y")
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
