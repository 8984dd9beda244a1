package kms

import (
	"context"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
)

// batchBytes is about how much plaintext one round of sealing or opening
// covers. On one goroutine a small batch stays in the CPU's caches; when
// goroutines share a round it must be large enough that waking them costs
// little beside the work.
func batchBytes(concurrency int) int {
	if concurrency <= 1 {
		return 256 << 10
	}
	return concurrency * (2 << 20)
}

// batchFrames returns how many frames one round covers.
func batchFrames(frameLen, concurrency int) int {
	n := max(1, batchBytes(concurrency)/frameLen)
	return max(n, concurrency)
}

// encryptWriter writes one message. Plaintext collects in buf; a full batch
// is sealed only when more plaintext arrives, so the last frame can always
// be written as the final frame.
type encryptWriter struct {
	ctx       context.Context
	dst       io.Writer
	aead      cipher.AEAD
	messageID []byte
	frameLen  int
	conc      int
	seq       uint32 // the next frame's sequence number
	buf       []byte // pending plaintext, cap = one batch
	out       []byte // sealed frames waiting to be written
	sign      *signer
	err       error
	closed    bool
}

func (c *Client) newEncryptWriter(ctx context.Context, dst io.Writer, ec map[string]string, size int64) (*encryptWriter, error) {
	m, err := c.encryptionMaterials(ctx, ec, size)
	if err != nil {
		return nil, err
	}
	h := &Header{
		Version:           2,
		Suite:             m.Suite,
		MessageID:         make([]byte, 32),
		EncryptionContext: m.EncryptionContext,
		EncryptedDataKeys: m.EncryptedDataKeys,
		Framed:            true,
		FrameLength:       c.opts.FrameSize,
	}
	if _, err := io.ReadFull(c.opts.Rand, h.MessageID); err != nil {
		return nil, fmt.Errorf("kms: generating a message ID: %w", err)
	}
	aead, commitKey, err := deriveKeys(h.Suite, m.PlaintextDataKey, h.MessageID)
	if err != nil {
		return nil, err
	}
	h.suiteData = commitKey
	if err := sealHeader(h, aead); err != nil {
		return nil, err
	}
	w := &encryptWriter{ctx: ctx, dst: dst, aead: aead, messageID: h.MessageID, frameLen: h.FrameLength, conc: c.opts.Concurrency, seq: 1}
	if m.signKey != nil {
		info, _ := h.Suite.info()
		w.sign = &signer{h: info.sigHash(), priv: m.signKey, rand: c.opts.Rand}
	}
	w.buf = make([]byte, 0, batchFrames(w.frameLen, w.conc)*w.frameLen)
	if err := w.emit(h.bytes()); err != nil {
		return nil, err
	}
	return w, nil
}

// sealHeader serializes h's body and computes its authentication tag: AES-GCM
// over nothing, with the body as AAD and an all-zero IV.
func sealHeader(h *Header, aead cipher.AEAD) error {
	body, err := h.serializeBody()
	if err != nil {
		return err
	}
	h.body = body
	zero := make([]byte, ivLen)
	if h.Version == 1 {
		h.authIV = zero
	}
	h.authTag = aead.Seal(nil, zero, nil, body)
	return nil
}

// emit writes finished bytes to dst, feeding the signature first.
func (w *encryptWriter) emit(b []byte) error {
	if w.sign != nil {
		w.sign.h.Write(b)
	}
	if _, err := w.dst.Write(b); err != nil {
		return fmt.Errorf("kms: writing the message: %w", err)
	}
	return nil
}

// Write encrypts p. Errors are sticky: after one, every call returns it.
func (w *encryptWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, errors.New("kms: write to a closed EncryptWriter")
	}
	if err := w.ctx.Err(); err != nil {
		w.err = err
		return 0, err
	}
	n := len(p)
	fl := w.frameLen
	for len(p) > 0 {
		switch {
		case len(w.buf)%fl != 0:
			// Finish the partial frame first.
			c := min(len(p), fl-len(w.buf)%fl)
			w.buf = append(w.buf, p[:c]...)
			p = p[c:]
		case len(w.buf) > 0 && (len(w.buf) == cap(w.buf) || len(p) > fl):
			// Whole frames with more plaintext behind them: all regular.
			if w.err = w.seal(w.buf, false); w.err != nil {
				return n - len(p), w.err
			}
			w.buf = w.buf[:0]
		case len(w.buf) == 0 && len(p) > fl:
			// Large writes are sealed straight from p, sparing a copy; at
			// least one byte stays behind for the final frame.
			k := min((len(p)-1)/fl, cap(w.buf)/fl) * fl
			if w.err = w.seal(p[:k], false); w.err != nil {
				return n - len(p), w.err
			}
			p = p[k:]
		default:
			c := min(len(p), cap(w.buf)-len(w.buf))
			w.buf = append(w.buf, p[:c]...)
			p = p[c:]
		}
	}
	return n, nil
}

// Close writes what remains as the last frames, the final one last, then the
// signature of signed suites. It does not close dst.
func (w *encryptWriter) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if w.err = w.seal(w.buf, true); w.err != nil {
		return w.err
	}
	w.buf = nil
	if w.sign != nil {
		f, err := w.sign.footer()
		if err != nil {
			w.err = err
			return err
		}
		if _, err := w.dst.Write(f); err != nil {
			w.err = fmt.Errorf("kms: writing the message: %w", err)
			return w.err
		}
	}
	return nil
}

// seal encrypts pt as consecutive frames and writes them. pt holds whole
// frames, except when last: then its final frame holds the remaining 0 to
// frameLen bytes and is written as the final frame.
func (w *encryptWriter) seal(pt []byte, last bool) error {
	if len(pt) == 0 && !last {
		return nil
	}
	nframes := (len(pt) + w.frameLen - 1) / w.frameLen
	if last && nframes == 0 {
		nframes = 1 // an empty message still has a final frame
	}
	if uint64(w.seq)+uint64(nframes) > finalMarker {
		return fmt.Errorf("kms: a message holds at most %d frames; use a larger FrameSize", uint32(finalMarker-1))
	}
	regular := nframes
	size := nframes * regularFrameSize(w.frameLen)
	if last {
		regular--
		size = regular*regularFrameSize(w.frameLen) + finalFrameSize(len(pt)-regular*w.frameLen)
	}
	if cap(w.out) < size {
		w.out = make([]byte, size)
	}
	out := w.out[:size]
	workers := min(w.conc, nframes)
	if workers <= 1 {
		w.sealRange(out, pt, 0, nframes, regular)
	} else {
		// Split the batch into contiguous ranges; the last runs here.
		var wg sync.WaitGroup
		per := (nframes + workers - 1) / workers
		i := 0
		for ; i+per < nframes; i += per {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				w.sealRange(out, pt, i, i+per, regular)
			}(i)
		}
		w.sealRange(out, pt, i, nframes, regular)
		wg.Wait()
	}
	w.seq += uint32(nframes)
	return w.emit(out)
}

// sealRange seals frames [from, to) of a batch into their places in out.
// Frames at index regular and beyond are final.
func (w *encryptWriter) sealRange(out, pt []byte, from, to, regular int) {
	var nonce [ivLen]byte
	aad := make([]byte, 0, len(w.messageID)+len(aadFinalFrame)+12)
	fsz := regularFrameSize(w.frameLen)
	for i := from; i < to; i++ {
		seq := w.seq + uint32(i)
		start := i * w.frameLen
		chunk := pt[start:min(start+w.frameLen, len(pt))]
		off := i * fsz
		content := aadFrame
		if i >= regular {
			content = aadFinalFrame
			binary.BigEndian.PutUint32(out[off:], finalMarker)
			off += 4
		}
		binary.BigEndian.PutUint32(out[off:], seq)
		off += 4
		iv := frameNonce(nonce[:0], seq)
		copy(out[off:], iv)
		off += ivLen
		if i >= regular {
			binary.BigEndian.PutUint32(out[off:], uint32(len(chunk)))
			off += 4
		}
		aad = bodyAAD(aad, w.messageID, content, seq, len(chunk))
		w.aead.Seal(out[off:off], iv, chunk, aad)
	}
}
