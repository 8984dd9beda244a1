package kms

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// reservedPrefix starts the encryption-context keys the Encryption SDK keeps
// for itself, such as the signing key "aws-crypto-public-key".
const (
	reservedPrefix = "aws-crypto-"
	publicKeyKey   = "aws-crypto-public-key"
)

// checkContext validates a caller's encryption context.
func checkContext(ec map[string]string) error {
	for k, v := range ec {
		if strings.HasPrefix(k, reservedPrefix) {
			return fmt.Errorf("%w: key %q uses the prefix %q, which the Encryption SDK reserves", ErrEncryptionContext, k, reservedPrefix)
		}
		if k == "" {
			return fmt.Errorf("%w: keys must not be empty", ErrEncryptionContext)
		}
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("%w: key %q: keys and values must be UTF-8", ErrEncryptionContext, k)
		}
		if len(k) > 0xffff || len(v) > 0xffff {
			return fmt.Errorf("%w: key %q: keys and values are at most 65535 bytes", ErrEncryptionContext, k)
		}
	}
	return nil
}

// serializeContext encodes an encryption context as the specification's
// key-value pairs: a count, then each pair sorted by key, each part with a
// two-byte length. An empty context encodes as nothing.
func serializeContext(ec map[string]string) ([]byte, error) {
	if len(ec) == 0 {
		return nil, nil
	}
	if len(ec) > 0xffff {
		return nil, fmt.Errorf("%w: %d pairs; at most 65535 are allowed", ErrEncryptionContext, len(ec))
	}
	keys := slices.Sorted(maps.Keys(ec))
	n := 2
	for _, k := range keys {
		n += 4 + len(k) + len(ec[k])
	}
	if n > 0xffff {
		return nil, fmt.Errorf("%w: serialized context is %d bytes; at most 65535 are allowed", ErrEncryptionContext, n)
	}
	b := make([]byte, 0, n)
	b = binary.BigEndian.AppendUint16(b, uint16(len(keys)))
	for _, k := range keys {
		b = binary.BigEndian.AppendUint16(b, uint16(len(k)))
		b = append(b, k...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(ec[k])))
		b = append(b, ec[k]...)
	}
	return b, nil
}

// parseContext decodes serialized key-value pairs, enforcing what the
// specification requires: a non-zero count, sorted unique keys, UTF-8.
func parseContext(b []byte) (map[string]string, error) {
	if len(b) == 0 {
		return map[string]string{}, nil
	}
	r := reader{b: b}
	count := r.u16()
	if count == 0 {
		return nil, fmt.Errorf("%w: encryption context has a length but no pairs", ErrMalformed)
	}
	ec := make(map[string]string, count)
	prev := ""
	for i := range int(count) {
		k := string(r.bytes(int(r.u16())))
		v := string(r.bytes(int(r.u16())))
		if r.err != nil {
			return nil, fmt.Errorf("%w: encryption context is truncated", ErrMalformed)
		}
		if i > 0 && k <= prev {
			return nil, fmt.Errorf("%w: encryption context keys are not sorted and unique", ErrMalformed)
		}
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, fmt.Errorf("%w: encryption context is not UTF-8", ErrMalformed)
		}
		ec[k], prev = v, k
	}
	if r.left() != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the encryption context", ErrMalformed, r.left())
	}
	return ec, nil
}

// reader reads big-endian fields from a byte slice, remembering the first
// overrun instead of panicking.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) left() int { return len(r.b) - r.off }

func (r *reader) bytes(n int) []byte {
	if r.err != nil || n > r.left() {
		r.err = errTruncated
		return nil
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s
}

func (r *reader) u16() uint16 {
	if b := r.bytes(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

var errTruncated = fmt.Errorf("%w: truncated", ErrMalformed)

// requiredKeys validates Options.RequiredEncryptionContextKeys and returns
// them sorted, without repeats.
func requiredKeys(keys []string) ([]string, error) {
	ec := make(map[string]string, len(keys))
	for _, k := range keys {
		ec[k] = ""
	}
	if err := checkContext(ec); err != nil {
		return nil, fmt.Errorf("%w (Options.RequiredEncryptionContextKeys)", err)
	}
	return slices.Sorted(maps.Keys(ec)), nil
}

// missingKeys fails with ErrEncryptionContext naming the keys of required
// that ec has no value for; what says which context ec is. It never quotes
// a value.
func missingKeys(required []string, ec map[string]string, what string) error {
	var missing []string
	for _, k := range required {
		if _, ok := ec[k]; !ok {
			missing = append(missing, strconv.Quote(k))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s has no value for the required key(s) %s (Options.RequiredEncryptionContextKeys)", ErrEncryptionContext, what, strings.Join(missing, ", "))
}

// splitContext splits a message's whole context into the pairs its header
// stores and the serialized pairs under authOnly keys, which the header
// authenticates without storing them.
func splitContext(ec map[string]string, authOnly []string) (stored map[string]string, extra []byte, err error) {
	stored = maps.Clone(ec)
	only := make(map[string]string, len(authOnly))
	for _, k := range authOnly {
		v, ok := ec[k]
		if !ok {
			return nil, nil, missingKeys(authOnly, ec, "the encryption context")
		}
		only[k] = v
		delete(stored, k)
	}
	extra, err = serializeContext(only)
	return stored, extra, err
}
