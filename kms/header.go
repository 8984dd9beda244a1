package kms

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

const (
	typeCustomerAED  = 0x80
	contentNonFramed = 0x01
	contentFramed    = 0x02
)

// EncryptedDataKey is one copy of a message's data key, encrypted by a
// keyring. ProviderID says which kind of keyring ("aws-kms" for KMS, the key
// namespace for raw keys); ProviderInfo says which key (the KMS key ARN, or
// the raw key's name and wrapping details).
type EncryptedDataKey struct {
	ProviderID   string
	ProviderInfo []byte
	Ciphertext   []byte
}

// Header is the readable part of a message: what [ParseHeader] returns, and
// what a message says about itself before any key is used.
type Header struct {
	// Version is the message format: 1 or 2.
	Version int
	// Suite is the algorithm suite.
	Suite Suite
	// MessageID is 16 (format 1) or 32 (format 2) random bytes.
	MessageID []byte
	// EncryptionContext is the context stored in the message, including the
	// reserved aws-crypto-public-key of signed suites.
	EncryptionContext map[string]string
	// EncryptedDataKeys are the copies of the data key.
	EncryptedDataKeys []EncryptedDataKey
	// Framed says whether the body is framed; FrameLength is its frame size.
	Framed      bool
	FrameLength int

	suiteData []byte // format 2: the commitment key
	authIV    []byte // format 1
	authTag   []byte
	body      []byte // the serialized header body, as read or written
}

// serializeBody lays out the header body; ecBytes is the serialized context.
func (h *Header) serializeBody() ([]byte, error) {
	ecBytes, err := serializeContext(h.EncryptionContext)
	if err != nil {
		return nil, err
	}
	if len(h.EncryptedDataKeys) == 0 || len(h.EncryptedDataKeys) > 0xffff {
		return nil, fmt.Errorf("kms: a message needs 1 to 65535 encrypted data keys, not %d", len(h.EncryptedDataKeys))
	}
	b := make([]byte, 0, 128+len(ecBytes))
	b = append(b, byte(h.Version))
	if h.Version == 1 {
		b = append(b, typeCustomerAED)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(h.Suite))
	b = append(b, h.MessageID...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(ecBytes)))
	b = append(b, ecBytes...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(h.EncryptedDataKeys)))
	for _, k := range h.EncryptedDataKeys {
		for _, f := range [][]byte{[]byte(k.ProviderID), k.ProviderInfo, k.Ciphertext} {
			if len(f) > 0xffff {
				return nil, fmt.Errorf("kms: an encrypted data key field is %d bytes; at most 65535 fit", len(f))
			}
			b = binary.BigEndian.AppendUint16(b, uint16(len(f)))
			b = append(b, f...)
		}
	}
	content := byte(contentFramed)
	if !h.Framed {
		content = contentNonFramed
	}
	b = append(b, content)
	if h.Version == 1 {
		b = append(b, 0, 0, 0, 0, ivLen)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(h.FrameLength))
	if h.Version == 2 {
		b = append(b, h.suiteData...)
	}
	return b, nil
}

// bytes returns the whole serialized header: body and authentication.
func (h *Header) bytes() []byte {
	out := make([]byte, 0, len(h.body)+len(h.authIV)+len(h.authTag))
	out = append(out, h.body...)
	out = append(out, h.authIV...)
	return append(out, h.authTag...)
}

// headerReader reads a header field by field from a stream, keeping every
// byte for the header authentication and the signature.
type headerReader struct {
	r   io.Reader
	raw []byte
	err error
}

func (hr *headerReader) read(n int) []byte {
	if hr.err != nil {
		return nil
	}
	start := len(hr.raw)
	hr.raw = append(hr.raw, make([]byte, n)...)
	if _, err := io.ReadFull(hr.r, hr.raw[start:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			hr.err = fmt.Errorf("%w: the header is truncated", ErrMalformed)
		} else {
			hr.err = fmt.Errorf("kms: reading the header: %w", err)
		}
		return nil
	}
	return hr.raw[start:]
}

func (hr *headerReader) u8() byte {
	if b := hr.read(1); b != nil {
		return b[0]
	}
	return 0
}

func (hr *headerReader) u16() int {
	if b := hr.read(2); b != nil {
		return int(binary.BigEndian.Uint16(b))
	}
	return 0
}

func (hr *headerReader) u32() uint32 {
	if b := hr.read(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

// ParseHeader reads a message's header from r without using any key: the
// suite, message ID, encryption context and encrypted data keys. Nothing in
// it is authenticated until a key has checked the header's tag, so treat it
// as a claim.
func ParseHeader(r io.Reader) (*Header, error) {
	return readHeader(progressReader{r}, 0)
}

// readHeader parses a header, refusing more than maxEDKs encrypted data keys
// (0: the format's own limit) as soon as their count is read.
func readHeader(r io.Reader, maxEDKs int) (*Header, error) {
	hr := &headerReader{r: r}
	h := &Header{}
	h.Version = int(hr.u8())
	if hr.err != nil {
		return nil, hr.err
	}
	switch h.Version {
	case 1:
		if t := hr.u8(); hr.err == nil && t != typeCustomerAED {
			return nil, fmt.Errorf("%w: message type 0x%02x; only 0x80 is defined", ErrMalformed, t)
		}
	case 2:
	case 'A':
		return nil, fmt.Errorf("%w: it starts with 'A', like a base64-encoded message; decode it first", ErrMalformed)
	default:
		return nil, fmt.Errorf("%w: version 0x%02x; this reads versions 1 and 2 of the AWS Encryption SDK message format", ErrMalformed, h.Version)
	}
	h.Suite = Suite(hr.u16())
	if hr.err != nil {
		return nil, hr.err
	}
	info, ok := h.Suite.info()
	if !ok {
		return nil, fmt.Errorf("%w: unknown algorithm suite 0x%04x", ErrMalformed, uint16(h.Suite))
	}
	if int(info.version) != h.Version {
		return nil, fmt.Errorf("%w: suite %v belongs to message format %d, not %d", ErrMalformed, h.Suite, info.version, h.Version)
	}
	idLen := 16
	if h.Version == 2 {
		idLen = 32
	}
	h.MessageID = hr.read(idLen)
	ecBytes := hr.read(hr.u16())
	if hr.err != nil {
		return nil, hr.err
	}
	ec, err := parseContext(ecBytes)
	if err != nil {
		return nil, err
	}
	h.EncryptionContext = ec
	n := hr.u16()
	if hr.err != nil {
		return nil, hr.err
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: the header lists no encrypted data keys", ErrMalformed)
	}
	if err := edkLimit("the message has", n, maxEDKs); err != nil {
		return nil, err
	}
	h.EncryptedDataKeys = make([]EncryptedDataKey, 0, min(n, 64))
	for range n {
		var k EncryptedDataKey
		k.ProviderID = string(hr.read(hr.u16()))
		k.ProviderInfo = hr.read(hr.u16())
		k.Ciphertext = hr.read(hr.u16())
		if hr.err != nil {
			return nil, hr.err
		}
		h.EncryptedDataKeys = append(h.EncryptedDataKeys, k)
	}
	switch hr.u8() {
	case contentFramed:
		h.Framed = true
	case contentNonFramed:
	default:
		if hr.err == nil {
			return nil, fmt.Errorf("%w: unknown content type", ErrMalformed)
		}
	}
	if h.Version == 1 {
		if reserved := hr.u32(); hr.err == nil && reserved != 0 {
			return nil, fmt.Errorf("%w: the reserved field is not zero", ErrMalformed)
		}
		if l := hr.u8(); hr.err == nil && l != ivLen {
			return nil, fmt.Errorf("%w: IV length %d; the suite uses %d", ErrMalformed, l, ivLen)
		}
	}
	h.FrameLength = int(hr.u32())
	if h.Version == 2 {
		h.suiteData = hr.read(info.suiteData)
	}
	if hr.err != nil {
		return nil, hr.err
	}
	if h.Framed && h.FrameLength == 0 {
		return nil, fmt.Errorf("%w: a framed body with frame length 0", ErrMalformed)
	}
	if !h.Framed && h.FrameLength != 0 {
		return nil, fmt.Errorf("%w: a non-framed body with frame length %d", ErrMalformed, h.FrameLength)
	}
	bodyLen := len(hr.raw)
	if h.Version == 1 {
		h.authIV = hr.read(ivLen)
	}
	h.authTag = hr.read(tagLen)
	if hr.err != nil {
		return nil, hr.err
	}
	h.body = hr.raw[:bodyLen]
	// Copy out the slices that alias raw, which later appends may move.
	h.MessageID = append([]byte(nil), h.MessageID...)
	h.suiteData = append([]byte(nil), h.suiteData...)
	h.authIV = append([]byte(nil), h.authIV...)
	h.authTag = append([]byte(nil), h.authTag...)
	for i := range h.EncryptedDataKeys {
		k := &h.EncryptedDataKeys[i]
		k.ProviderInfo = append([]byte(nil), k.ProviderInfo...)
		k.Ciphertext = append([]byte(nil), k.Ciphertext...)
	}
	return h, nil
}
