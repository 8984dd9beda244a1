package kms

import (
	"context"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// A message is written in batches of frames, as it is read: the caller's
// goroutine copies plaintext into a batch; the batch is sealed on a
// goroutine of its own when Concurrency > 1, while the caller fills the
// next one; sealed batches are written to dst in order, by the caller's
// goroutine, during Write and Close. For signed suites a chain of
// goroutines hashes each sealed batch, in order, beside the write.

// encBatch is a run of consecutive frames being sealed.
type encBatch struct {
	pt     []byte // plaintext: whole frames, but for the last batch
	out    []byte // the sealed frames
	seq    uint32 // the first frame's sequence number
	last   bool   // its last frame is the final frame
	sealed chan struct{}
	hashed chan struct{}
}

// encryptWriter writes one message.
type encryptWriter struct {
	ctx       context.Context
	dst       io.Writer
	aead      cipher.AEAD
	messageID []byte
	frameLen  int
	batchPT   int // plaintext bytes per batch: whole frames
	conc      int
	depth     int    // batches sealing at once
	seq       uint32 // the next batch's first sequence number
	cur       *encBatch
	queue     []*encBatch // sealing or sealed, in order, not yet written
	retired   []*encBatch // written, maybe still being hashed, in order
	free      []*encBatch
	batches   int // allocated
	maxBatch  int
	sign      *signer
	lastHash  chan struct{}
	err       error
	closed    bool
}

func (c *Client) newEncryptWriter(ctx context.Context, dst io.Writer, ec map[string]string, size int64) (*encryptWriter, error) {
	m, err := c.encryptionMaterials(ctx, ec, size)
	if err != nil {
		return nil, err
	}
	return c.writeMessage(ctx, dst, m, c.opts.FrameSize, c.opts.RequiredEncryptionContextKeys)
}

// writeMessage starts a message under the materials m, with a new message
// ID (so the keys it derives are its own, even when the data key is not),
// writes its header and returns the writer of its frames. The pairs of
// m.EncryptionContext under authOnly keys are authenticated by the header
// but not stored in it.
func (c *Client) writeMessage(ctx context.Context, dst io.Writer, m *encMaterials, frameLen int, authOnly []string) (*encryptWriter, error) {
	info, ok := m.Suite.info()
	if !ok {
		return nil, fmt.Errorf("kms: unknown suite %v", m.Suite)
	}
	idLen := 16
	if info.version == 2 {
		idLen = 32
	}
	h := &Header{
		Version:           int(info.version),
		Suite:             m.Suite,
		MessageID:         make([]byte, idLen),
		EncryptionContext: m.EncryptionContext,
		EncryptedDataKeys: m.EncryptedDataKeys,
		Framed:            true,
		FrameLength:       frameLen,
	}
	if _, err := io.ReadFull(c.opts.Rand, h.MessageID); err != nil {
		return nil, fmt.Errorf("kms: generating a message ID: %w", err)
	}
	aead, commitKey, err := deriveKeys(h.Suite, m.PlaintextDataKey, h.MessageID)
	if err != nil {
		return nil, err
	}
	h.suiteData = commitKey
	var extra []byte
	if len(authOnly) > 0 {
		h.EncryptionContext, extra, err = splitContext(m.EncryptionContext, authOnly)
		if err != nil {
			return nil, err
		}
	}
	if err := sealHeader(h, aead, extra); err != nil {
		return nil, err
	}
	w := &encryptWriter{ctx: ctx, dst: dst, aead: aead, messageID: h.MessageID, frameLen: frameLen, conc: c.opts.Concurrency, seq: 1}
	frames := max(1, batchBytes/regularFrameSize(frameLen))
	w.batchPT = frames * frameLen
	w.depth = 1
	if w.conc > 1 {
		// Together no more than Concurrency+1 batches of batchBytes, but at
		// least one batch, whatever the frame size.
		w.depth = max(1, min(w.conc, (w.conc+1)*batchBytes/max(batchBytes, regularFrameSize(frameLen))))
	}
	w.maxBatch = w.depth + 3
	if m.signKey != nil {
		w.sign = &signer{h: info.sigHash(), priv: m.signKey, rand: c.opts.Rand}
		w.sign.h.Write(h.bytes())
	}
	if _, err := dst.Write(h.bytes()); err != nil {
		return nil, fmt.Errorf("kms: writing the message: %w", err)
	}
	return w, nil
}

// sealHeader serializes h's body and computes its authentication tag: AES-GCM
// over nothing, with the body and then extra (the serialized pairs
// authenticated but not stored) as AAD and an all-zero IV. The IV is fixed
// by the format, so a derived key must never seal two different header
// bodies: every header kumo writes has a new message ID, hence a key of its
// own.
func sealHeader(h *Header, aead cipher.AEAD, extra []byte) error {
	body, err := h.serializeBody()
	if err != nil {
		return err
	}
	h.body = body
	zero := make([]byte, ivLen)
	if h.Version == 1 {
		h.authIV = zero
	}
	aad := body
	if len(extra) > 0 {
		aad = append(append(make([]byte, 0, len(body)+len(extra)), body...), extra...)
	}
	h.authTag = aead.Seal(nil, zero, nil, aad)
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
	for len(p) > 0 {
		if w.cur == nil {
			w.cur = w.getBatch()
		}
		b := w.cur
		if w.conc <= 1 && len(b.pt) == 0 && len(p) > w.batchPT {
			// On one goroutine a large write is sealed straight from p,
			// sparing a copy; at least one byte stays behind for the final
			// frame.
			k := min((len(p)-1)/w.frameLen, w.batchPT/w.frameLen) * w.frameLen
			saved := b.pt
			b.pt = p[:k]
			w.err = w.submit(b, false)
			b.pt = saved[:0]
			if w.err != nil {
				return n - len(p), w.err
			}
			w.cur = nil
			p = p[k:]
			continue
		}
		if len(b.pt) == w.batchPT {
			// A full batch with more plaintext behind it: all its frames
			// are regular.
			if w.err = w.submit(b, false); w.err != nil {
				return n - len(p), w.err
			}
			w.cur = nil
			continue
		}
		c := min(len(p), w.batchPT-len(b.pt))
		b.pt = append(b.pt, p[:c]...)
		p = p[c:]
	}
	return n, nil
}

// ReadFrom implements io.ReaderFrom: plaintext is read straight into the
// batch buffers, in reads of up to a batch. Errors reading r are returned
// as they are and leave the writer usable; errors writing are sticky.
func (w *encryptWriter) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		switch {
		case w.err != nil:
			return total, w.err
		case w.closed:
			return total, errors.New("kms: write to a closed EncryptWriter")
		}
		if err := w.ctx.Err(); err != nil {
			w.err = err
			return total, err
		}
		if w.cur == nil {
			w.cur = w.getBatch()
		}
		b := w.cur
		full := len(b.pt) == w.batchPT
		if full {
			// A full batch is sealed only once more plaintext arrives, so
			// the last frame can be the final frame: read into the next.
			b = w.getBatch()
		}
		if len(b.pt) == cap(b.pt) {
			b.pt = append(b.pt[:cap(b.pt)], make([]byte, min(max(cap(b.pt), 64<<10), w.batchPT-cap(b.pt)))...)[:len(b.pt)]
		}
		n, err := r.Read(b.pt[len(b.pt):min(cap(b.pt), w.batchPT)])
		b.pt = b.pt[:len(b.pt)+n]
		total += int64(n)
		if full {
			if n > 0 {
				if w.err = w.submit(w.cur, false); w.err != nil {
					return total, w.err
				}
				w.cur = b
			} else {
				w.recycle(b)
			}
		}
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func (w *encryptWriter) getBatch() *encBatch {
	if len(w.free) == 0 && len(w.retired) > 0 && w.batches >= w.maxBatch {
		// Reuse the oldest written batch once its hash is done.
		b := w.retired[0]
		w.retired = w.retired[1:]
		<-b.hashed
		w.recycle(b)
	}
	if n := len(w.free); n > 0 {
		b := w.free[n-1]
		w.free = w.free[:n-1]
		return b
	}
	// The plaintext buffer grows as plaintext arrives, so a large frame
	// size costs memory only for plaintext really written.
	w.batches++
	return &encBatch{pt: make([]byte, 0, min(w.batchPT, 4<<10))}
}

func (w *encryptWriter) recycle(b *encBatch) {
	b.pt, b.out, b.sealed, b.hashed, b.last = b.pt[:0], b.out[:0], nil, nil, false
	w.free = append(w.free, b)
}

// submit seals b (its last frame final when last) and writes every sealed
// batch it can, waiting for the oldest when depth batches are in flight.
func (w *encryptWriter) submit(b *encBatch, last bool) error {
	nframes := (len(b.pt) + w.frameLen - 1) / w.frameLen
	if last && nframes == 0 {
		nframes = 1 // an empty message still has a final frame
	}
	if uint64(w.seq)+uint64(nframes) > finalMarker {
		return fmt.Errorf("kms: a message holds at most %d frames; use a larger FrameSize", uint32(finalMarker-1))
	}
	b.seq, b.last = w.seq, last
	w.seq += uint32(nframes)
	if w.conc <= 1 || (last && len(w.queue) == 0) {
		// One goroutine, or nothing else in flight for the last batch (a
		// small message): no goroutine is worth its start.
		if w.lastHash != nil {
			<-w.lastHash
		}
		w.seal(b)
		if w.sign != nil {
			w.sign.h.Write(b.out)
		}
		return w.flush(b)
	}
	sealed := make(chan struct{})
	b.sealed = sealed
	if w.sign != nil {
		// The hash is the slowest part of a signed message: it has a
		// goroutine to itself (one at a time, in order), and the caller
		// seals, so that nothing else competes with the hash for a core.
		w.seal(b)
		close(sealed)
	} else {
		go func() {
			w.seal(b)
			close(sealed)
		}()
	}
	if w.sign != nil {
		// Hash as soon as the batch is sealed and every earlier one hashed.
		prev, done := w.lastHash, make(chan struct{})
		w.lastHash, b.hashed = done, done
		go func() {
			if prev != nil {
				<-prev
			}
			<-sealed
			w.sign.h.Write(b.out)
			close(done)
		}()
	}
	w.queue = append(w.queue, b)
	for len(w.queue) > 0 {
		head := w.queue[0]
		if len(w.queue) <= w.depth {
			select {
			case <-head.sealed:
			default:
				return nil
			}
		} else {
			<-head.sealed
		}
		w.queue = w.queue[1:]
		if err := w.flush(head); err != nil {
			return err
		}
	}
	return nil
}

// flush writes a sealed batch to dst; its buffers are reused once it is
// hashed.
func (w *encryptWriter) flush(b *encBatch) error {
	_, err := w.dst.Write(b.out)
	if b.hashed != nil {
		w.retired = append(w.retired, b)
	} else {
		w.recycle(b)
	}
	if err != nil {
		return fmt.Errorf("kms: writing the message: %w", err)
	}
	return nil
}

// Close writes what remains as the last frames, the final one last, then the
// signature of signed suites. It does not close dst.
func (w *encryptWriter) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		w.drain()
		return w.err
	}
	b := w.cur
	if b == nil {
		b = w.getBatch()
	}
	w.cur = nil
	if w.err = w.submit(b, true); w.err != nil {
		w.drain()
		return w.err
	}
	for len(w.queue) > 0 {
		head := w.queue[0]
		w.queue = w.queue[1:]
		<-head.sealed
		if w.err = w.flush(head); w.err != nil {
			w.drain()
			return w.err
		}
	}
	if w.sign != nil {
		if w.lastHash != nil {
			<-w.lastHash
		}
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
	w.free = nil
	return nil
}

// abort gives up on the message after an error elsewhere: nothing more is
// written.
func (w *encryptWriter) abort() {
	if !w.closed {
		w.closed = true
		w.drain()
	}
}

// drain waits for batches still sealing after an error.
func (w *encryptWriter) drain() {
	for _, b := range w.queue {
		<-b.sealed
	}
	w.queue = nil
	if w.lastHash != nil {
		<-w.lastHash
	}
}

// seal encrypts b.pt into b.out as consecutive frames from b.seq; when
// b.last, the last frame holds the remaining 0 to frameLen bytes and is the
// final frame.
func (w *encryptWriter) seal(b *encBatch) {
	pt := b.pt
	nframes := (len(pt) + w.frameLen - 1) / w.frameLen
	if b.last && nframes == 0 {
		nframes = 1
	}
	regular := nframes
	size := nframes * regularFrameSize(w.frameLen)
	if b.last {
		regular--
		size = regular*regularFrameSize(w.frameLen) + finalFrameSize(len(pt)-regular*w.frameLen)
	}
	if cap(b.out) < size {
		b.out = make([]byte, size)
	}
	out := b.out[:size]
	b.out = out
	var nonce [ivLen]byte
	var aadBuf [32 + len(aadFinalFrame) + 12]byte
	fsz := regularFrameSize(w.frameLen)
	for i := range nframes {
		seq := b.seq + uint32(i)
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
		aad := bodyAAD(aadBuf[:0], w.messageID, content, seq, len(chunk))
		w.aead.Seal(out[off:off], iv, chunk, aad)
	}
}
