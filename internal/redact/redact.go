// Package redact is kumo's one rule for printing values that hold secrets
// (keys, tokens, client secrets, SAML assertions, passwords, and anything
// holding an AWS client, whose credentials provider may hold a secret key).
//
// A secret-holding type writes a safe description in its String method and
// hands every other rendering to this package:
//
//	func (k *RawAESKeyring) String() string {
//		return redact.Describe("RawAESKeyring", "namespace", k.namespace, "key", redact.Mark)
//	}
//	func (k *RawAESKeyring) GoString() string             { return redact.GoString(k) }
//	func (k *RawAESKeyring) Format(f fmt.State, verb rune) { redact.Format(f, verb, k) }
//	func (k *RawAESKeyring) LogValue() slog.Value          { return redact.LogValue(k) }
//
// Format is what makes the rule hold: fmt calls it for every verb (%v %+v
// %#v %s %q %x %X %d and any other, bad verbs included), so fmt never walks
// the type's fields. Walking them is how secrets leaked before: under a verb
// a field's type does not support, fmt prints the field's value with %v,
// dereferencing pointers and ignoring the methods of what it finds, so a
// key behind two pointers and an interface still came out.
//
// Types whose exported fields hold a secret also implement MarshalJSON with
// those fields replaced by [Mark]; types with only unexported fields marshal
// to {} already.
//
// Three paths of fmt call no method at all and print by reflection: %w with
// anything but an error in Errorf (go vet's printf check reports it), %p
// with a value that is not a pointer (fmt's bad-verb path; go vet does not
// report it for a type with a Format method), and a
// value in an unexported field of a caller's struct under a verb the field
// does not support. There only where a secret sits decides: behind a
// pointer fmt does not follow there, or in a [Hidden] closure it never
// calls. Types whose unexported fields hold secrets keep them so; a secret
// in an exported field (Profile.SecretAccessKey, Tokens.RefreshToken) is
// printed on those paths, and no method can prevent it.
package redact

import (
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
)

// Mark stands in for a secret in every rendering.
const Mark = "[redacted]"

// String returns Mark for a non-empty secret and "" for an empty one, so a
// description still says whether the secret is set.
func String(secret string) string {
	if secret == "" {
		return ""
	}
	return Mark
}

// Bytes is String for a secret held as bytes.
func Bytes(secret []byte) string {
	if len(secret) == 0 {
		return ""
	}
	return Mark
}

// Describe builds a description: name{k1:v1 k2:v2}. String values are
// quoted, except Mark and "" for a redacted secret, which print as
// [redacted] and "". Other values print with %v, so only pass values that
// hold no secret.
func Describe(name string, kv ...any) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%v:", kv[i])
		switch v := kv[i+1].(type) {
		case string:
			if v == Mark {
				b.WriteString(Mark)
			} else {
				b.WriteString(strconv.Quote(v))
			}
		case fmt.Stringer:
			if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
				b.WriteString("<nil>")
			} else {
				b.WriteString(v.String())
			}
		default:
			fmt.Fprintf(&b, "%v", v)
		}
	}
	b.WriteByte('}')
	return b.String()
}

// GoString returns v's description qualified by its package, such as
// kms.RawAESKeyring{...}, for %#v.
func GoString(v fmt.Stringer) string {
	s := v.String()
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Name() == "" || !strings.HasPrefix(s, t.Name()) {
		return s
	}
	return strings.TrimSuffix(t.String(), t.Name()) + s
}

// Format prints v's description for any verb, honouring flags, width and
// precision as fmt does for a string: %q quotes it, %#v prints its
// GoString, and every other verb (%v %+v %s %x %d ...) prints it as it is
// (hex of a description would hide nothing and help no one).
func Format(f fmt.State, verb rune, v fmt.Stringer) {
	switch verb {
	case 'v':
		if f.Flag('#') {
			if g, ok := v.(fmt.GoStringer); ok {
				_, _ = io.WriteString(f, g.GoString())
			} else {
				_, _ = io.WriteString(f, GoString(v))
			}
			return
		}
	case 'q':
	default:
		verb = 's'
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), v.String())
}

// LogValue returns v's description as a log/slog value.
func LogValue(v fmt.Stringer) slog.Value {
	return slog.StringValue(v.String())
}

// Hidden holds a secret, or a value holding one such as an AWS client, where
// fmt cannot reach it: fmt prints a func as its address under every verb and
// never calls it, even when it walks a struct's fields by reflection without
// calling their methods (an unexported field of a caller's struct printed
// with %s, %d or another verb the struct does not support). json.Marshal
// skips it. A secret-holding type keeps its secrets in Hidden fields so that
// it stays safe even where its own Format method is not called.
type Hidden[T any] struct{ get func() T }

// Hide wraps v.
func Hide[T any](v T) Hidden[T] { return Hidden[T]{get: func() T { return v }} }

// Value returns what Hide wrapped, or T's zero value for a zero Hidden.
func (h Hidden[T]) Value() T {
	if h.get == nil {
		var zero T
		return zero
	}
	return h.get()
}

// Format prints Mark, when fmt does call it.
func (h Hidden[T]) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, Mark) }
