package kms

import (
	"bufio"
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/ecdsa"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
	"sync/atomic"
	"unsafe"
)

// A message body is read in batches. The caller's goroutine parses frames
// from the source into a batch; the batch is then opened (authenticated and
// decrypted in place, its plaintext moved together at the batch's start)
// when Concurrency > 1 by one of up to Concurrency-1 goroutines that take
// parsed batches in order while any wait, while the caller parses the next
// batches and serves the plaintext of earlier ones, in order. The caller
// opens batches too rather than wait: the one it must serve next when no
// goroutine has taken it, else the ones behind it. For signed suites a
// chain of goroutines hashes each batch's bytes, in order, for the
// signature, and the caller opens each batch once it is hashed.
//
// Memory is bounded by what the caller allows, never by what the message
// claims: a batch holds at most r.batch (batchTarget, or batchBytes for
// signed suites) of serialized frames and their bookkeeping (or one frame,
// when a frame is larger), the batches in flight together at most
// (Concurrency+1) × batchBytes (or one batch), a batch's buffer grows only
// as bytes arrive, and a frame or non-framed body larger than maxBody is
// refused before it is read.
//
// Unsigned batches are smaller (batchTarget), so that a batch stays in a
// core's faster caches from the moment it is read until it is opened and
// served, and more of them are in flight in the same memory: at 256 KiB,
// Concurrency 2 read 1.1-1.4x as fast as one goroutine's raw AES-GCM
// Open, at 64 or 128 KiB 1.45-1.75x (BenchmarkGoals; 128 KiB a little
// ahead at 4 KiB frames, 32 KiB behind both).

// batchBytes is the unit of the memory bound: the message bytes in flight
// per goroutine, counting each frame's serialized bytes and its bookkeeping
// (slotBytes).
const batchBytes = 256 << 10

// batchTarget bounds the message bytes of one batch of an unsigned
// message, counted as batchBytes is.
const batchTarget = 128 << 10

// slotBytes is the bookkeeping of one frame in a batch.
const slotBytes = int(unsafe.Sizeof(frameSlot{}))

// readBufferSize is the buffer the header is read through.
const readBufferSize = 64 << 10

// DefaultMaxBodyLength is the default of Options.MaxBodyLength.
const DefaultMaxBodyLength = 64 << 20

type frameSlot struct {
	iv, ct  int // offsets in the batch's raw bytes of the IV and the ciphertext
	n       int // plaintext bytes (the ciphertext less the tag)
	seq     uint32
	content uint8 // contentRegular, contentFinal or contentSingle
}

const (
	contentRegular = iota
	contentFinal
	contentSingle
)

var contentAAD = [...]string{contentRegular: aadFrame, contentFinal: aadFinalFrame, contentSingle: aadSingle}

// batch is a run of consecutive frames (or the non-framed body).
type batch struct {
	raw      []byte // message bytes as read; raw[:used] are the batch's frames
	pos, end int    // raw[pos:end] is read but not yet parsed
	used     int
	frames   []frameSlot
	plain    []byte       // the opened plaintext of every frame, in order, in raw's place
	final    bool         // holds the final frame, or the non-framed body
	err      error        // from opening
	claim    *atomic.Bool // taken by whoever opens it; new for each start
	// openAfterHash: a signed batch, opened by the caller once hashed.
	openAfterHash bool
	opened        chan struct{}
	hashed        chan struct{}
}

// decryptReader reads one message's body.
type decryptReader struct {
	hdr       *openedHeader // the header it reads the body of
	ctx       context.Context
	src       io.Reader
	aead      cipher.AEAD
	messageID []byte
	framed    bool
	frameLen  int
	conc      int   // goroutines opening batches at once
	depth     int   // batches parsed ahead of the one being served
	batch     int   // the message bytes of a batch (batchTarget or batchBytes)
	maxBody   int64 // the largest frame or non-framed body it buffers
	whole     bool  // src is the whole message, already in memory (Decrypt)
	size      int64 // then its length
	pub       *ecdsa.PublicKey
	sig       hash.Hash
	lastHash  chan struct{} // closed once every batch parsed so far is hashed
	// Unsigned batches waiting to be opened, in order, taken by up to
	// Concurrency-1 goroutines (openPending) and by the caller (help).
	mu      sync.Mutex
	pending []pendingOpen
	openers int // goroutines running openPending

	seq    uint32 // the sequence number the next frame must have
	free   []*batch
	queue  []*batch // parsed, in order, not yet served
	cur    *batch   // being served
	off    int      // plaintext of cur already served
	parsed bool     // the whole message has been parsed
	footer []byte   // the signature
	perr   error    // a parse error, returned once the batches before it are served
	err    error    // sticky
	eof    bool
}

func (c *Client) newDecryptReader(ctx context.Context, src io.Reader, required map[string]string, size int64) (*decryptReader, error) {
	// The header is read through a buffer; so is the body, which bypasses it
	// for large reads.
	src = progressReader{src}
	br := newReadBuffer(src, size)
	o, err := c.openHeader(ctx, br, required)
	if err != nil {
		return nil, err
	}
	return c.bodyReader(ctx, bodySource(br, src), o, size), nil
}

// maxEmptyReads is how many reads in a row may return neither bytes nor
// an error before a source is given up as broken, as bufio.Reader does.
const maxEmptyReads = 100

// progressReader fails with io.ErrNoProgress once its source has returned
// 0, nil maxEmptyReads times in a row, where io.ReadFull and the body's
// reads would spin forever.
type progressReader struct{ r io.Reader }

func (p progressReader) Read(b []byte) (int, error) {
	for range maxEmptyReads {
		if n, err := p.r.Read(b); n != 0 || err != nil || len(b) == 0 {
			return n, err
		}
	}
	return 0, io.ErrNoProgress
}

// bodySource is what the body is read from once the header has been read
// through br: what br holds, then src itself. Batches are read in reads
// smaller than br's buffer, which br would copy twice (into its buffer,
// then out); this way they are copied once, straight from src.
func bodySource(br *bufio.Reader, src io.Reader) io.Reader {
	n := br.Buffered()
	if n == 0 {
		return src
	}
	held, _ := br.Peek(n) // br is not used again
	return io.MultiReader(bytes.NewReader(held), src)
}

// newReadBuffer wraps src in a buffer no larger than the message, when its
// size is known.
func newReadBuffer(src io.Reader, size int64) *bufio.Reader {
	n := readBufferSize
	if size >= 0 && size < int64(n) {
		n = int(size)
	}
	return bufio.NewReaderSize(src, n)
}

// bodyReader returns the reader of the body that follows an opened header.
// size is the whole message's length when it is in memory, else -1.
func (c *Client) bodyReader(ctx context.Context, src io.Reader, o *openedHeader, size int64) *decryptReader {
	r := &decryptReader{hdr: o, ctx: ctx, src: src, aead: o.aead, messageID: o.h.MessageID, framed: o.h.Framed,
		frameLen: o.h.FrameLength, conc: c.opts.Concurrency, maxBody: c.opts.MaxBodyLength, pub: o.pub, sig: o.sig, seq: 1}
	if size >= 0 {
		// The message is in memory already: no frame can be larger than it.
		r.maxBody, r.whole, r.size = size, true, size
	}
	// Signed batches keep batchBytes: each is handed from goroutine to
	// goroutine for the hash, and fewer handovers keep the hash busier.
	// Batches in flight: enough to keep Concurrency goroutines busy, but
	// together no larger than (Concurrency+1) × batchBytes, whatever the
	// frame size (at least one batch).
	r.batch = batchTarget
	if r.sig != nil {
		r.batch = batchBytes
	}
	per := r.batch
	if r.framed {
		per = max(per, regularFrameSize(r.frameLen))
	}
	r.depth = max(1, (r.conc+1)*batchBytes/per)
	if !r.framed || r.conc <= 1 {
		r.depth = 1
	}
	return r
}

// Read implements io.Reader.
func (r *decryptReader) Read(p []byte) (int, error) {
	for {
		if b := r.cur; b != nil && r.off < len(b.plain) {
			n := copy(p, b.plain[r.off:])
			r.off += n
			return n, nil
		}
		if err := r.next(); err != nil {
			return 0, err
		}
	}
}

// WriteTo implements io.WriterTo, so io.Copy writes each batch's plaintext
// straight from the reader's buffers.
func (r *decryptReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if b := r.cur; b != nil && r.off < len(b.plain) {
			n, err := w.Write(b.plain[r.off:])
			r.off += n
			total += int64(n)
			if err != nil {
				return total, err
			}
			if r.off < len(b.plain) {
				return total, io.ErrShortWrite
			}
			continue
		}
		if err := r.next(); err != nil {
			if err == io.EOF {
				return total, nil
			}
			return total, err
		}
	}
}

// next makes the next batch, opened and (when final) verified, the one to
// serve, recycling the one served; it returns io.EOF at the end.
func (r *decryptReader) next() error {
	if b := r.cur; b != nil {
		r.recycle(b)
		r.cur = nil
	}
	switch {
	case r.err != nil:
		return r.err
	case r.eof:
		return io.EOF
	}
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return err
	}
	// Parse ahead, then serve the oldest batch.
	for !r.parsed && r.perr == nil && len(r.queue) < r.depth {
		b := r.getBatch()
		if err := r.parse(b); err != nil {
			r.perr = err
			r.free = append(r.free, b)
			break
		}
		r.start(b)
		r.queue = append(r.queue, b)
	}
	if len(r.queue) == 0 {
		if r.perr != nil {
			r.err = r.perr
			return r.err
		}
		r.eof = true
		return io.EOF
	}
	b := r.queue[0]
	r.queue = r.queue[1:]
	if b.openAfterHash {
		<-b.hashed
		b.err = r.open(b)
	}
	if b.opened != nil {
		// Rather than wait for a batch no goroutine has started yet, open
		// it here; while a goroutine opens it, open the next ones.
		r.help(b)
	wait:
		for _, n := range r.queue {
			select {
			case <-b.opened:
				break wait
			default:
				r.help(n)
			}
		}
		<-b.opened
	}
	if b.err != nil {
		r.err = b.err
		return r.err
	}
	if b.final {
		// The final frame (or the non-framed body) is released only once
		// the signature verifies, as the specification requires.
		if err := r.verify(); err != nil {
			r.err = err
			return err
		}
	}
	r.cur, r.off = b, 0
	return nil
}

func (r *decryptReader) getBatch() *batch {
	if n := len(r.free); n > 0 {
		b := r.free[n-1]
		r.free = r.free[:n-1]
		return b
	}
	return &batch{}
}

// recycle keeps a served batch's buffers for the next one, once its bytes
// are hashed.
func (r *decryptReader) recycle(b *batch) {
	if b.hashed != nil {
		<-b.hashed
	}
	b.pos, b.end, b.used, b.final, b.err, b.opened, b.hashed, b.openAfterHash = 0, 0, 0, false, nil, nil, nil, false
	b.frames, b.plain, b.claim = b.frames[:0], nil, nil
	r.free = append(r.free, b)
}

// start hashes and opens a parsed batch: on goroutines of their own when
// Concurrency allows, else on the caller's. Batches are opened in place,
// so for signed suites a batch is opened once it is hashed.
func (r *decryptReader) start(b *batch) {
	if r.conc <= 1 || (b.final && len(r.queue) == 0) {
		// One goroutine, or nothing else in flight for the last batch (a
		// small message): no goroutine is worth its start. Every earlier
		// batch has been hashed, since each is recycled only once hashed.
		if r.sig != nil {
			r.sig.Write(b.raw[:b.used])
		}
		b.err = r.open(b)
		return
	}
	if r.sig != nil {
		// The hash is the slowest part of a signed message: it has a
		// goroutine to itself (one at a time, in order), and the caller
		// opens each batch once it is hashed, so that nothing else competes
		// with the hash for a core.
		prev, done := r.lastHash, make(chan struct{})
		r.lastHash, b.hashed, b.openAfterHash = done, done, true
		go func() {
			if prev != nil {
				<-prev
			}
			r.sig.Write(b.raw[:b.used])
			close(done)
		}()
		return
	}
	// The goroutine touches b only if it wins the claim: the caller may
	// have opened, served and recycled b by the time it runs.
	claim, opened := new(atomic.Bool), make(chan struct{})
	b.claim, b.opened = claim, opened
	r.mu.Lock()
	r.pending = append(r.pending, pendingOpen{b, claim, opened})
	spawn := r.openers < r.conc-1
	if spawn {
		r.openers++
	}
	r.mu.Unlock()
	if spawn {
		go r.openPending()
	}
}

// pendingOpen is a batch to open, with its claim and the channel that
// says it is open, as start made them: whoever wins the claim opens it.
type pendingOpen struct {
	b      *batch
	claim  *atomic.Bool
	opened chan struct{}
}

// openPending opens pending batches, in order, until none is left. A
// batch is touched only by whoever wins its claim: the caller may have
// opened, served and recycled it by the time it is taken here.
func (r *decryptReader) openPending() {
	for {
		r.mu.Lock()
		if len(r.pending) == 0 {
			r.openers--
			r.mu.Unlock()
			return
		}
		p := r.pending[0]
		r.pending[0] = pendingOpen{}
		r.pending = r.pending[1:]
		r.mu.Unlock()
		if p.claim.CompareAndSwap(false, true) {
			p.b.err = r.open(p.b)
			close(p.opened)
		}
	}
}

// help opens b on the caller's goroutine unless a goroutine has started
// to.
func (r *decryptReader) help(b *batch) {
	if b.claim != nil && b.claim.CompareAndSwap(false, true) {
		b.err = r.open(b)
		close(b.opened)
	}
}

// open authenticates and decrypts every frame of b in place, then moves
// the plaintext together at the start of b.raw: b.plain, served with one
// Write however many frames it holds. Moving never reaches a frame not yet
// opened, whose header alone is longer than nothing. A batch of one frame
// (frames of 64 KiB and more, the non-framed body) is served where it
// lies.
func (r *decryptReader) open(b *batch) error {
	var aadBuf [32 + len(aadFinalFrame) + 12]byte
	off := 0
	for _, f := range b.frames {
		aad := bodyAAD(aadBuf[:0], r.messageID, contentAAD[f.content], f.seq, f.n)
		ct := b.raw[f.ct : f.ct+f.n+tagLen]
		if _, err := r.aead.Open(ct[:0], b.raw[f.iv:f.iv+ivLen], ct, aad); err != nil {
			if f.content == contentSingle {
				return fmt.Errorf("%w: the body", ErrAuthentication)
			}
			return fmt.Errorf("%w: frame %d", ErrAuthentication, f.seq)
		}
		if len(b.frames) == 1 {
			b.plain = ct[:f.n]
			return nil
		}
		off += copy(b.raw[off:], ct[:f.n])
	}
	b.plain = b.raw[:off]
	return nil
}

// verify checks the signature, once every batch is hashed.
func (r *decryptReader) verify() error {
	if r.pub == nil {
		return nil
	}
	if r.lastHash != nil {
		<-r.lastHash
	}
	return verifySignature(r.pub, r.sig, r.footer)
}

// fill makes sure b.raw[b.pos:b.end] holds at least n bytes, reading from
// the source; it reads ahead up to ahead bytes past b.pos when the source
// has them. raw grows only as bytes arrive (it at most doubles, from 64 KiB,
// and never past what is needed), so a length a message claims costs memory
// only once its bytes are really there.
func (r *decryptReader) fill(b *batch, n, ahead int, what string) error {
	if r.whole {
		ahead = int(min(int64(ahead), r.size)) // no need to read ahead past the message
	}
	limit := b.pos + max(n, ahead)
	for b.end-b.pos < n {
		if b.end == len(b.raw) {
			size := min(limit, max(2*len(b.raw), 4<<10))
			nb := make([]byte, size)
			copy(nb, b.raw[:b.end])
			b.raw = nb
		}
		m, err := r.src.Read(b.raw[b.end:min(len(b.raw), limit)])
		b.end += m
		if err != nil && b.end-b.pos < n {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("%w: the message is truncated in %s", ErrMalformed, what)
			}
			return fmt.Errorf("kms: reading the message: %w", err)
		}
	}
	return nil
}

// tooLarge is the error for a frame or body of n bytes over maxBody.
func (r *decryptReader) tooLarge(what string, n uint64) error {
	if r.whole {
		return fmt.Errorf("%w: the message is truncated: %s claims %d bytes, more than the whole message", ErrMalformed, what, n)
	}
	return fmt.Errorf("%w: %s claims %d bytes; this reader buffers at most %d (Options.MaxBodyLength)", ErrTooLarge, what, n, r.maxBody)
}

// parse reads the next batch of frames (or the non-framed body) into b and,
// after the final frame, the footer.
func (r *decryptReader) parse(b *batch) error {
	if r.framed {
		if err := r.parseFrames(b); err != nil {
			return err
		}
	} else if err := r.parseNonFramed(b); err != nil {
		return err
	}
	b.used = b.pos
	if b.final {
		r.parsed = true
		return r.parseFooter(b)
	}
	return nil
}

func (r *decryptReader) parseFrames(b *batch) error {
	regular := regularFrameSize(r.frameLen)
	want := max(1, r.batch/(regular+slotBytes))
	for len(b.frames) < want && !b.final {
		ahead := (want - len(b.frames)) * regular
		if err := r.fill(b, 4, ahead, "a frame"); err != nil {
			if b.end == b.pos && errors.Is(err, ErrMalformed) {
				return fmt.Errorf("%w: the message is truncated: frame %d and the final frame are missing", ErrMalformed, r.seq)
			}
			return err
		}
		seq := binary.BigEndian.Uint32(b.raw[b.pos:])
		if seq != finalMarker {
			if seq != r.seq {
				return fmt.Errorf("%w: frame %d arrived where frame %d belongs (reordered, repeated or dropped frames)", ErrAuthentication, seq, r.seq)
			}
			if r.seq == finalMarker-1 {
				return fmt.Errorf("%w: too many frames without a final frame", ErrMalformed)
			}
			if int64(r.frameLen) > r.maxBody {
				return r.tooLarge(fmt.Sprintf("frame %d", seq), uint64(r.frameLen))
			}
			if err := r.fill(b, regular, ahead, "a frame"); err != nil {
				return err
			}
			if len(b.frames) == cap(b.frames) {
				// Grow as frames arrive, but never past want: the batch's
				// bookkeeping is counted in r.batch.
				b.frames = append(make([]frameSlot, 0, min(want, max(2*cap(b.frames), 64))), b.frames...)
			}
			b.frames = append(b.frames, frameSlot{iv: b.pos + 4, ct: b.pos + 4 + ivLen, n: r.frameLen, seq: seq, content: contentRegular})
			b.pos += regular
			r.seq++
			continue
		}
		const head = 8 + ivLen + 4
		if err := r.fill(b, head, ahead, "the final frame"); err != nil {
			return err
		}
		seq = binary.BigEndian.Uint32(b.raw[b.pos+4:])
		if seq != r.seq {
			return fmt.Errorf("%w: frame %d arrived where frame %d belongs (reordered, repeated or dropped frames)", ErrAuthentication, seq, r.seq)
		}
		n := uint64(binary.BigEndian.Uint32(b.raw[b.pos+8+ivLen:]))
		if n > uint64(r.frameLen) {
			return fmt.Errorf("%w: the final frame claims %d bytes; frames hold at most %d", ErrMalformed, n, r.frameLen)
		}
		if int64(n) > r.maxBody {
			return r.tooLarge("the final frame", n)
		}
		if err := r.fill(b, head+int(n)+tagLen, head+int(n)+tagLen, "the final frame"); err != nil {
			return err
		}
		b.frames = append(b.frames, frameSlot{iv: b.pos + 8, ct: b.pos + head, n: int(n), seq: seq, content: contentFinal})
		b.pos += head + int(n) + tagLen
		b.final = true
	}
	return nil
}

// parseNonFramed reads a non-framed body: IV, a 64-bit length, the
// ciphertext and the tag. The specification limits it to 2^36 - 32 bytes;
// the reader to maxBody.
func (r *decryptReader) parseNonFramed(b *batch) error {
	const head = ivLen + 8
	if err := r.fill(b, head, head, "the body"); err != nil {
		return err
	}
	n := binary.BigEndian.Uint64(b.raw[b.pos+ivLen:])
	if n > maxNonFramed {
		return fmt.Errorf("%w: the non-framed body claims %d bytes, over the format's limit of 2^36-32", ErrMalformed, n)
	}
	if n > uint64(r.maxBody) {
		return r.tooLarge("the non-framed body", n)
	}
	if err := r.fill(b, head+int(n)+tagLen, head+int(n)+tagLen, "the body"); err != nil {
		return err
	}
	b.frames = append(b.frames, frameSlot{iv: b.pos, ct: b.pos + head, n: int(n), seq: 1, content: contentSingle})
	b.pos += head + int(n) + tagLen
	b.final = true
	return nil
}

// parseFooter reads the signature of signed suites and checks that nothing
// follows the message.
func (r *decryptReader) parseFooter(b *batch) error {
	if r.pub != nil {
		if err := r.fill(b, 2, 2, "the signature"); err != nil {
			if errors.Is(err, ErrMalformed) {
				return fmt.Errorf("%w: the message is truncated: the signature is missing", ErrMalformed)
			}
			return err
		}
		l := int(binary.BigEndian.Uint16(b.raw[b.pos:]))
		if err := r.fill(b, 2+l, 2+l, "the signature"); err != nil {
			return err
		}
		r.footer = append([]byte(nil), b.raw[b.pos+2:b.pos+2+l]...)
		b.pos += 2 + l
	}
	if b.end > b.pos {
		return fmt.Errorf("%w: bytes follow the end of the message", ErrMalformed)
	}
	var one [1]byte
	for {
		n, err := r.src.Read(one[:])
		if n > 0 {
			return fmt.Errorf("%w: bytes follow the end of the message", ErrMalformed)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("kms: reading the message: %w", err)
		}
	}
}
