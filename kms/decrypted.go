package kms

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"

	"github.com/kumo-go/kumo/internal/redact"
)

// DecryptedHeader is what a message's header says, once a key has
// authenticated it: what [Client.DecryptWithHeader] and
// [DecryptedReader.Header] return. Unlike a [Header] from [ParseHeader],
// nothing in it is a mere claim. Each call returns a copy of its own.
type DecryptedHeader struct {
	// Version is the message format: 1 or 2.
	Version int
	// Suite is the algorithm suite.
	Suite Suite
	// MessageID is 16 (format 1) or 32 (format 2) bytes.
	MessageID []byte
	// EncryptionContext is the message's whole context: the pairs it
	// stores (including the reserved aws-crypto-public-key of signed
	// suites) and the required pairs it authenticates without storing
	// them, as the decrypt call supplied them.
	EncryptionContext map[string]string
	// NotStoredKeys lists, sorted, the keys of EncryptionContext the
	// message authenticates without storing (a required encryption
	// context; see Options.RequiredEncryptionContextKeys); nil when it
	// stores its whole context.
	NotStoredKeys []string
	// EncryptedDataKeys are the copies of the data key, in the header's
	// order: ProviderID and ProviderInfo say which keyring and which key
	// wrapped each (a KMS key ARN, a raw key's name, ...).
	EncryptedDataKeys []EncryptedDataKey
	// Framed says whether the body is framed; FrameLength is its frame size
	// (0 for a non-framed body).
	Framed      bool
	FrameLength int
}

// decrypted returns the authenticated header as callers see it: copies, so
// that no caller can change another's.
func (o *openedHeader) decrypted() *DecryptedHeader {
	h := o.h
	d := &DecryptedHeader{
		Version:           h.Version,
		Suite:             h.Suite,
		MessageID:         slices.Clone(h.MessageID),
		EncryptionContext: maps.Clone(o.full),
		NotStoredKeys:     slices.Clone(o.notStored),
		EncryptedDataKeys: make([]EncryptedDataKey, len(h.EncryptedDataKeys)),
		Framed:            h.Framed,
		FrameLength:       h.FrameLength,
	}
	for i, k := range h.EncryptedDataKeys {
		d.EncryptedDataKeys[i] = EncryptedDataKey{ProviderID: k.ProviderID, ProviderInfo: slices.Clone(k.ProviderInfo), Ciphertext: slices.Clone(k.Ciphertext)}
	}
	return d
}

// DecryptedReader reads a message's plaintext, exactly as the reader of
// [Client.DecryptReader] does (the same checks, memory bounds and
// release rules), and reports the message's authenticated header. Like
// any reader it is for one goroutine at a time.
type DecryptedReader struct {
	r *decryptReader
}

// Read implements io.Reader.
func (r *DecryptedReader) Read(p []byte) (int, error) { return r.r.Read(p) }

// WriteTo implements io.WriterTo.
func (r *DecryptedReader) WriteTo(w io.Writer) (int64, error) { return r.r.WriteTo(w) }

// Header returns the message's header once it is authenticated. For
// unsigned suites that is before the first Read: the header's tag verified
// under the message's data key before [Client.DecryptReaderWithHeader]
// returned. For signed suites the header is authenticated only by the
// signature at the end of the message: until Read or WriteTo has returned
// io.EOF, Header returns [ErrHeaderNotAuthenticated] and no header. After
// the reader failed, Header returns that error.
func (r *DecryptedReader) Header() (*DecryptedHeader, error) {
	switch {
	case r.r.err != nil:
		return nil, r.r.err
	case r.r.pub != nil && !r.r.eof:
		return nil, ErrHeaderNotAuthenticated
	}
	return r.r.hdr.decrypted(), nil
}

// String describes the reader: its suite and progress, never its key or
// the plaintext it buffers.
func (r DecryptedReader) String() string {
	if r.r == nil {
		return redact.Describe("DecryptedReader")
	}
	return redact.Describe("DecryptedReader", "suite", r.r.hdr.h.Suite, "eof", r.r.eof)
}

// GoString is String qualified by the package, for %#v.
func (r DecryptedReader) GoString() string { return redact.GoString(r) }

// Format prints String under every verb, so no key or plaintext is printed.
func (r DecryptedReader) Format(f fmt.State, verb rune) { redact.Format(f, verb, r) }

// LogValue logs String.
func (r DecryptedReader) LogValue() slog.Value { return redact.LogValue(r) }
