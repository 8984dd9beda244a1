package iamx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Values is a JSON field that may be one value or a list, such as Action or
// Resource. It remembers which it was, and each value's JSON kind, so it
// writes back what it read.
type Values struct {
	raw    []json.RawMessage
	single bool
}

// NewValues returns a list of strings (a single string when there is one).
func NewValues(vs ...string) Values {
	out := Values{single: len(vs) == 1}
	for _, v := range vs {
		b, _ := json.Marshal(v)
		out.raw = append(out.raw, b)
	}
	return out
}

// Strings returns the values as strings: JSON strings as they are, numbers
// and booleans as written.
func (v Values) Strings() []string {
	out := make([]string, 0, len(v.raw))
	for _, r := range v.raw {
		// A JSON string without escapes is its bytes between the quotes
		// (the decoder that read it refused control characters).
		if n := len(r); n >= 2 && r[0] == '"' && r[n-1] == '"' && bytes.IndexByte(r, '\\') < 0 {
			out = append(out, string(r[1:n-1]))
			continue
		}
		var s string
		if json.Unmarshal(r, &s) == nil {
			out = append(out, s)
			continue
		}
		out = append(out, string(bytes.TrimSpace(r)))
	}
	return out
}

// Len returns how many values there are.
func (v Values) Len() int { return len(v.raw) }

// IsZero reports whether the field was absent.
func (v Values) IsZero() bool { return v.raw == nil }

// MarshalJSON writes a single value bare and several as a list.
func (v Values) MarshalJSON() ([]byte, error) {
	if v.single && len(v.raw) == 1 {
		return v.raw[0], nil
	}
	if v.raw == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(v.raw)
}

// UnmarshalJSON reads a string, number, boolean or a list of them.
func (v *Values) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		for _, r := range list {
			if err := scalar(r); err != nil {
				return err
			}
		}
		*v = Values{raw: list}
		if v.raw == nil {
			v.raw = []json.RawMessage{}
		}
		return nil
	}
	if err := scalar(b); err != nil {
		return err
	}
	*v = Values{raw: []json.RawMessage{append([]byte(nil), b...)}, single: true}
	return nil
}

func scalar(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return fmt.Errorf("empty value")
	}
	switch b[0] {
	case '"', 't', 'f', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if b[0] != '"' && b[0] != 't' && b[0] != 'f' {
			if _, err := strconv.ParseFloat(string(b), 64); err != nil {
				return fmt.Errorf("value %s is not a number", b)
			}
		}
		return nil
	}
	return fmt.Errorf("a value must be a string, number or boolean, not %s", truncate(b))
}

func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}
