package kms

import (
	"bufio"
	"context"
	"crypto/cipher"
	"crypto/ecdsa"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"sort"
	"strings"
	"sync"
)

// decryptReader reads one message. Frames are read in batches; a batch is
// opened (in parallel when Concurrency allows) before any of it is served.
type decryptReader struct {
	ctx       context.Context
	src       *bufio.Reader
	aead      cipher.AEAD
	messageID []byte
	framed    bool
	frameLen  int
	conc      int
	seq       uint32 // the sequence number the next frame must have
	nonFramed int64  // the largest non-framed body this reader holds
	pub       *ecdsa.PublicKey
	verify    hash.Hash

	raw     []byte // buffered message bytes; raw[pos:end] not yet parsed
	pos     int
	end     int
	frames  []frameSlot // where each frame of the batch sits in raw
	pending [][]byte    // opened plaintext not yet read
	final   bool        // the final frame has been read
	eof     bool
	err     error
}

type frameSlot struct {
	off, n  int // IV at raw[off:], then n bytes of ciphertext and the tag
	seq     uint32
	isFinal bool
}

func (c *Client) newDecryptReader(ctx context.Context, src io.Reader, required map[string]string, size int64) (*decryptReader, error) {
	for k := range required {
		if strings.HasPrefix(k, reservedPrefix) {
			return nil, fmt.Errorf("%w: required key %q uses the reserved prefix %q", ErrEncryptionContext, k, reservedPrefix)
		}
	}
	br := bufio.NewReaderSize(src, 64<<10)
	h, err := readHeader(br, c.opts.MaxEncryptedDataKeys)
	if err != nil {
		return nil, err
	}
	if !h.Suite.Committing() && c.opts.CommitmentPolicy != AllowLegacyDecrypt {
		return nil, fmt.Errorf("%w: the message uses %v, which does not commit to its key; set Options.CommitmentPolicy to AllowLegacyDecrypt to read legacy messages", ErrCommitmentPolicy, h.Suite)
	}
	info, _ := h.Suite.info()
	stored, hasPub := h.EncryptionContext[publicKeyKey]
	if hasPub != (info.curve != nil) {
		return nil, fmt.Errorf("%w: the %s of a message in suite %v is missing or out of place", ErrMalformed, publicKeyKey, h.Suite)
	}

	// The full context is what the message stores plus the required pairs
	// it does not store; those are authenticated with the header.
	full := cloneContext(h.EncryptionContext)
	authOnly := map[string]string{}
	var mismatched []string
	for k, v := range required {
		sv, ok := h.EncryptionContext[k]
		switch {
		case !ok:
			full[k], authOnly[k] = v, v
		case sv != v:
			mismatched = append(mismatched, k)
		}
	}
	if len(mismatched) > 0 {
		sort.Strings(mismatched)
		return nil, fmt.Errorf("%w: the message's context has other values for %s", ErrEncryptionContext, strings.Join(mismatched, ", "))
	}

	dataKey, err := c.decryptionKey(ctx, h, full)
	if err != nil {
		return nil, err
	}
	aead, commitKey, err := deriveKeys(h.Suite, dataKey, h.MessageID)
	if err != nil {
		return nil, err
	}
	if info.commit {
		if err := checkCommitment(commitKey, h.suiteData); err != nil {
			return nil, err
		}
	}
	extra, err := serializeContext(authOnly)
	if err != nil {
		return nil, err
	}
	iv := h.authIV
	if iv == nil {
		iv = make([]byte, ivLen)
	}
	verified := verifyHeader(aead, iv, h, extra)
	if !verified && info.version == 1 && info.kdf != nil {
		if compat, err := deriveNetV400Key(h.Suite, dataKey); err == nil && verifyHeader(compat, iv, h, extra) {
			aead, verified = compat, true
		}
	}
	if !verified {
		if len(authOnly) > 0 {
			return nil, fmt.Errorf("%w: the header does not verify (or a required pair the message does not store is wrong)", ErrAuthentication)
		}
		return nil, fmt.Errorf("%w: the header does not verify", ErrAuthentication)
	}

	r := &decryptReader{ctx: ctx, src: br, aead: aead, messageID: h.MessageID, framed: h.Framed, frameLen: h.FrameLength,
		conc: c.opts.Concurrency, seq: 1, nonFramed: c.opts.MaxNonFramedBody}
	r.raw = make([]byte, min(batchFrames(r.frameLen, r.conc)*(r.frameLen+ivLen+tagLen+8)+64, 8<<20))
	if size >= 0 {
		r.nonFramed = size
	}
	if info.curve != nil {
		if r.pub, err = parsePublicKey(info.curve, stored); err != nil {
			return nil, err
		}
		r.verify = info.sigHash()
		r.verify.Write(h.bytes())
	}
	return r, nil
}

// verifyHeader checks the header's tag over its body and the serialized
// required pairs it does not store. The AWS Encryption SDK for .NET 4.0.0
// serialized an empty set of those pairs as a zero count (00 00) instead of
// nothing; every official SDK accepts its messages, so kumo does too.
func verifyHeader(aead cipher.AEAD, iv []byte, h *Header, extra []byte) bool {
	aad := append(append(make([]byte, 0, len(h.body)+len(extra)+2), h.body...), extra...)
	if _, err := aead.Open(nil, iv, h.authTag, aad); err == nil {
		return true
	}
	if len(extra) > 0 {
		return false
	}
	_, err := aead.Open(nil, iv, h.authTag, append(aad, 0, 0))
	return err == nil
}

// Read implements io.Reader.
func (r *decryptReader) Read(p []byte) (int, error) {
	for {
		if len(r.pending) > 0 {
			n := 0
			for len(r.pending) > 0 && n < len(p) {
				c := copy(p[n:], r.pending[0])
				n += c
				if r.pending[0] = r.pending[0][c:]; len(r.pending[0]) == 0 {
					r.pending = r.pending[1:]
				}
			}
			return n, nil
		}
		switch {
		case r.err != nil:
			return 0, r.err
		case r.eof:
			return 0, io.EOF
		case r.final:
			if r.err = r.finish(); r.err != nil {
				return 0, r.err
			}
			r.eof = true
			return 0, io.EOF
		}
		if err := r.ctx.Err(); err != nil {
			r.err = err
			return 0, err
		}
		if r.framed {
			r.err = r.nextBatch()
		} else {
			r.err = r.nonFramedBody()
		}
	}
}

// fill makes sure n unparsed bytes are buffered in raw[pos:end], reading
// from src as needed. It grows raw as bytes arrive (never more than 1 MiB
// ahead of them), so a length claimed by a hostile message costs memory only
// when the bytes are really there. Offsets into raw stay valid.
func (r *decryptReader) fill(n int, what string) error {
	if r.end-r.pos >= n {
		return nil
	}
	return r.fillSlow(n, what)
}

func (r *decryptReader) fillSlow(n int, what string) error {
	for r.end-r.pos < n {
		if r.end == len(r.raw) {
			grow := min(n-(r.end-r.pos), 1<<20)
			nb := make([]byte, len(r.raw)+max(grow, len(r.raw)/2))
			copy(nb, r.raw[:r.end])
			r.raw = nb
		}
		m, err := r.src.Read(r.raw[r.end:])
		r.end += m
		if err != nil && r.end-r.pos < n {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("%w: the message is truncated in %s", ErrMalformed, what)
			}
			return fmt.Errorf("kms: reading the message: %w", err)
		}
	}
	return nil
}

// take consumes n buffered bytes, feeding the signature, and returns their
// offset in raw.
func (r *decryptReader) take(n int) int {
	off := r.pos
	if r.verify != nil {
		r.verify.Write(r.raw[off : off+n])
	}
	r.pos += n
	return off
}

// nextBatch reads and opens up to a batch of frames.
func (r *decryptReader) nextBatch() error {
	// Nothing buffered is in use: move what is left to the front.
	r.end = copy(r.raw, r.raw[r.pos:r.end])
	r.pos = 0
	want := batchFrames(r.frameLen, r.conc)
	r.frames = r.frames[:0]
	regular := 4 + ivLen + r.frameLen + tagLen
	for len(r.frames) < want && !r.final {
		const what = "a frame"
		if err := r.fill(4, what); err != nil {
			if r.end == r.pos {
				return fmt.Errorf("%w: the message is truncated: frame %d and the final frame are missing", ErrMalformed, r.seq)
			}
			return err
		}
		var slot frameSlot
		seq := binary.BigEndian.Uint32(r.raw[r.pos:])
		if seq != finalMarker {
			if seq != r.seq {
				return fmt.Errorf("%w: frame %d arrived where frame %d belongs (reordered, repeated or dropped frames)", ErrAuthentication, seq, r.seq)
			}
			if r.seq == finalMarker-1 {
				return fmt.Errorf("%w: too many frames without a final frame", ErrMalformed)
			}
			if err := r.fill(regular, what); err != nil {
				return err
			}
			slot = frameSlot{off: r.take(regular) + 4, n: r.frameLen, seq: seq}
		} else {
			if err := r.fill(8+ivLen+4, what); err != nil {
				return err
			}
			seq = binary.BigEndian.Uint32(r.raw[r.pos+4:])
			if seq != r.seq {
				return fmt.Errorf("%w: frame %d arrived where frame %d belongs (reordered, repeated or dropped frames)", ErrAuthentication, seq, r.seq)
			}
			n := int(binary.BigEndian.Uint32(r.raw[r.pos+8+ivLen:]))
			if n > r.frameLen {
				return fmt.Errorf("%w: the final frame claims %d bytes; frames hold at most %d", ErrMalformed, n, r.frameLen)
			}
			if err := r.fill(8+ivLen+4+n+tagLen, what); err != nil {
				return err
			}
			off := r.take(8+ivLen+4+n+tagLen) + 8
			// Put the IV next to the ciphertext, as for regular frames.
			copy(r.raw[off+4:off+4+ivLen], r.raw[off:off+ivLen])
			slot = frameSlot{off: off + 4, n: n, seq: seq, isFinal: true}
			r.final = true
		}
		r.frames = append(r.frames, slot)
		r.seq++
	}
	if err := r.openFrames(); err != nil {
		return err
	}
	for _, f := range r.frames {
		if f.n > 0 {
			r.pending = append(r.pending, r.raw[f.off+ivLen:f.off+ivLen+f.n])
		}
	}
	return nil
}

// openFrames authenticates and decrypts the batch in place.
func (r *decryptReader) openFrames() error {
	workers := min(r.conc, len(r.frames))
	if workers <= 1 {
		return r.openRange(0, len(r.frames))
	}
	// Split the batch into contiguous ranges; the last runs here.
	var wg sync.WaitGroup
	errs := make([]error, workers)
	per := (len(r.frames) + workers - 1) / workers
	w, i := 0, 0
	for ; i+per < len(r.frames); w, i = w+1, i+per {
		wg.Add(1)
		go func(w, i int) {
			defer wg.Done()
			errs[w] = r.openRange(i, i+per)
		}(w, i)
	}
	errs[w] = r.openRange(i, len(r.frames))
	wg.Wait()
	return errors.Join(errs...)
}

func (r *decryptReader) openRange(from, to int) error {
	aad := make([]byte, 0, len(r.messageID)+len(aadFinalFrame)+12)
	for _, f := range r.frames[from:to] {
		content := aadFrame
		if f.isFinal {
			content = aadFinalFrame
		}
		aad = bodyAAD(aad, r.messageID, content, f.seq, f.n)
		iv := r.raw[f.off : f.off+ivLen]
		ct := r.raw[f.off+ivLen : f.off+ivLen+f.n+tagLen]
		if _, err := r.aead.Open(ct[:0], iv, ct, aad); err != nil {
			return fmt.Errorf("%w: frame %d", ErrAuthentication, f.seq)
		}
	}
	return nil
}

// nonFramedBody reads, authenticates and decrypts a legacy single-block body.
func (r *decryptReader) nonFramedBody() error {
	if err := r.fill(ivLen+8, "the body"); err != nil {
		return err
	}
	n := binary.BigEndian.Uint64(r.raw[r.pos+ivLen:])
	if n > maxNonFramed {
		return fmt.Errorf("%w: the body claims %d bytes, over the format's limit", ErrMalformed, n)
	}
	if int64(n) > r.nonFramed {
		return fmt.Errorf("kms: the non-framed body is %d bytes, over the %d this reader holds (Options.MaxNonFramedBody)", n, r.nonFramed)
	}
	if err := r.fill(ivLen+8+int(n)+tagLen, "the body"); err != nil {
		return err
	}
	off := r.take(ivLen + 8 + int(n) + tagLen)
	iv := r.raw[off : off+ivLen]
	ct := r.raw[off+ivLen+8 : off+ivLen+8+int(n)+tagLen]
	aad := bodyAAD(nil, r.messageID, aadSingle, 1, int(n))
	pt, err := r.aead.Open(ct[:0], iv, ct, aad)
	if err != nil {
		return fmt.Errorf("%w: the body", ErrAuthentication)
	}
	r.final = true
	if len(pt) > 0 {
		r.pending = append(r.pending, pt)
	}
	return nil
}

// finish checks the signature of signed suites and that nothing follows the
// message.
func (r *decryptReader) finish() error {
	if r.pub != nil {
		if err := r.fill(2, "the signature"); err != nil {
			return fmt.Errorf("%w: the message is truncated: the signature is missing", ErrMalformed)
		}
		l := int(binary.BigEndian.Uint16(r.raw[r.pos:]))
		if err := r.fill(2+l, "the signature"); err != nil {
			return err
		}
		sig := r.raw[r.pos+2 : r.pos+2+l]
		if err := verifySignature(r.pub, r.verify, sig); err != nil {
			return err
		}
		r.pos += 2 + l
	}
	if r.end > r.pos {
		return fmt.Errorf("%w: bytes follow the end of the message", ErrMalformed)
	}
	if _, err := r.src.ReadByte(); err != io.EOF {
		if err != nil {
			return fmt.Errorf("kms: reading the message: %w", err)
		}
		return fmt.Errorf("%w: bytes follow the end of the message", ErrMalformed)
	}
	return nil
}
