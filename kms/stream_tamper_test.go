package kms

// Tampered messages through DecryptReader at every Concurrency, through
// Read (odd buffer sizes) and WriteTo: whatever is released is exactly a
// prefix of the plaintext, ends before the first frame that fails (and,
// for signed suites, before the final frame), and the error is exact in
// kind. Signed messages are signed again after the change, so that only
// the frame checks can catch it.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/kumo-go/kumo/internal/goroutines"
)

// pieces is a message kept frame by frame, so frames can be moved about.
type pieces struct {
	e      *twEncoder
	header []byte
	frames [][]byte
	pt     [][]byte // each frame's plaintext
}

// newPieces writes total random bytes in frames of frameLen; zeroFinal
// ends a message of whole frames with a final frame of 0 bytes, as other
// SDKs may.
func newPieces(suite uint16, frameLen uint32, total int, zeroFinal bool) *pieces {
	e := newTWEncoder(twMessage{suite: suite, frameLen: frameLen})
	p := &pieces{e: e, header: e.header()}
	pt := make([]byte, total)
	rand.Read(pt)
	fl, seq := int(frameLen), uint32(1)
	for len(pt) > fl || (zeroFinal && len(pt) == fl) {
		p.frames, p.pt = append(p.frames, e.frame(seq, pt[:fl], false)), append(p.pt, pt[:fl])
		pt, seq = pt[fl:], seq+1
	}
	p.frames, p.pt = append(p.frames, e.frame(seq, pt, true)), append(p.pt, pt)
	return p
}

// message joins header and frames and, for signed suites, signs them anew.
func (p *pieces) message(frames [][]byte) []byte {
	out := append([]byte(nil), p.header...)
	for _, f := range frames {
		out = append(out, f...)
	}
	if p.e.sig == nil {
		return out
	}
	h := p.e.s.sigHash()
	h.Write(out)
	sig, err := ecdsa.SignASN1(rand.Reader, p.e.m.signKey, h.Sum(nil))
	if err != nil {
		panic(err)
	}
	return append(binary.BigEndian.AppendUint16(out, uint16(len(sig))), sig...)
}

func (p *pieces) plaintext() []byte { return bytes.Join(p.pt, nil) }

// readOdd reads r to the end or an error, with buffers of odd sizes, or
// with WriteTo.
func readOdd(r io.Reader, writeTo bool) ([]byte, error) {
	var out bytes.Buffer
	if writeTo {
		_, err := r.(io.WriterTo).WriteTo(&out)
		return out.Bytes(), err
	}
	buf := make([]byte, 7777)
	for i := 0; ; i++ {
		n, err := r.Read(buf[:[]int{1, 13, 7777, 4096, 100, 3}[i%6]])
		out.Write(buf[:n])
		if err == io.EOF {
			return out.Bytes(), nil
		}
		if err != nil {
			return out.Bytes(), err
		}
	}
}

// frameChange changes a message's frames; frames from bad on must not be
// released (bad is the number of frames when all may be, as when the final
// frame is repeated).
type frameChange struct {
	name string
	do   func([][]byte) [][]byte
	bad  int
}

func frameChanges(n int, at []int) []frameChange {
	clone := func(fr [][]byte) [][]byte {
		out := make([][]byte, len(fr))
		for i, f := range fr {
			out[i] = bytes.Clone(f)
		}
		return out
	}
	var cs []frameChange
	for _, k := range at {
		if k < 0 || k >= n {
			continue
		}
		cs = append(cs,
			frameChange{fmt.Sprintf("tag of frame %d", k+1), func(fr [][]byte) [][]byte {
				fr = clone(fr)
				fr[k][len(fr[k])-1] ^= 1
				return fr
			}, k},
			frameChange{fmt.Sprintf("frame %d dropped", k+1), func(fr [][]byte) [][]byte {
				fr = clone(fr)
				return append(fr[:k], fr[k+1:]...)
			}, k},
			frameChange{fmt.Sprintf("frame %d repeated", k+1), func(fr [][]byte) [][]byte {
				fr = clone(fr)
				return append(fr[:k+1], fr[k:]...)
			}, k + 1},
		)
		if k+1 < n {
			cs = append(cs, frameChange{fmt.Sprintf("frames %d and %d swapped", k+1, k+2), func(fr [][]byte) [][]byte {
				fr = clone(fr)
				fr[k], fr[k+1] = fr[k+1], fr[k]
				return fr
			}, k})
		}
		if k > 0 {
			cs = append(cs,
				frameChange{fmt.Sprintf("cut before frame %d", k+1), func(fr [][]byte) [][]byte { return clone(fr[:k]) }, k},
				frameChange{fmt.Sprintf("cut inside frame %d", k+1), func(fr [][]byte) [][]byte {
					fr = clone(fr[:k+1])
					fr[k] = fr[k][:len(fr[k])/2]
					return fr
				}, k})
		}
	}
	return cs
}

func TestStreamReleasesOnlyAuthenticatedFrames(t *testing.T) {
	for _, tc := range []struct {
		name     string
		suite    uint16
		frameLen uint32
		total    int
		zero     bool
		at       []int // frames to change, by index: batch edges and the end
	}{
		// 31 frames of 4 KiB fill an unsigned batch of 128 KiB.
		{"unsigned, 4 KiB frames", 0x0478, 4096, 70 * 4096, false, []int{0, 30, 31, 61, 62, 68, 69}},
		{"unsigned, 1000-byte frames, empty final frame", 0x0478, 1000, 150 * 1000, true, []int{0, 126, 127, 149, 150}},
		// Frames over a batch: each batch is one frame, served in place.
		{"unsigned, 200000-byte frames", 0x0478, 200000, 3*200000 + 1, false, []int{0, 1, 2, 3}},
		// 63 frames of 4097 bytes fill a signed batch of 256 KiB.
		{"signed, 4097-byte frames", 0x0578, 4097, 130 * 4097, false, []int{0, 62, 63, 128, 129}},
		{"signed, 200000-byte frames, empty final frame", 0x0578, 200000, 3 * 200000, true, []int{0, 2, 3}},
	} {
		p := newPieces(tc.suite, tc.frameLen, tc.total, tc.zero)
		want, n := p.plaintext(), len(p.frames)
		for _, conc := range []int{1, 2, 8, 17} {
			c := twClient(t, func(o *Options) { o.Concurrency = conc })
			for _, writeTo := range []bool{false, true} {
				for _, ch := range append([]frameChange{{"untouched", func(fr [][]byte) [][]byte { return fr }, n}}, frameChanges(n, tc.at)...) {
					t.Run(fmt.Sprintf("%s/concurrency=%d/WriteTo=%v/%s", tc.name, conc, writeTo, ch.name), func(t *testing.T) {
						msg := p.message(ch.do(p.frames))
						done := make(chan struct{})
						var got []byte
						var err error
						go func() {
							defer close(done)
							var r io.Reader
							if r, err = c.DecryptReader(bg, bytes.NewReader(msg), nil); err == nil {
								got, err = readOdd(r, writeTo)
							}
						}()
						select {
						case <-done:
						case <-time.After(20 * time.Second):
							t.Fatal("no answer after 20 s")
						}
						if ch.name == "untouched" {
							if err != nil || !bytes.Equal(got, want) {
								t.Fatalf("%d bytes of %d, %v", len(got), len(want), err)
							}
							return
						}
						if !errors.Is(err, ErrAuthentication) && !errors.Is(err, ErrMalformed) {
							t.Fatalf("error %v, want ErrAuthentication or ErrMalformed", err)
						}
						limit := len(bytes.Join(p.pt[:ch.bad], nil))
						if p.e.sig != nil {
							limit = min(limit, len(want)-len(p.pt[n-1]))
						}
						if len(got) > limit || !bytes.Equal(got, want[:len(got)]) {
							t.Fatalf("released %d bytes (at most %d of the plaintext's first bytes may be)", len(got), limit)
						}
					})
				}
			}
		}
	}
}

// failingSource hands out msg up to at, then fails with err, with the last
// bytes when with is set (n > 0 and an error together).
type failingSource struct {
	msg      []byte
	off, at  int
	err      error
	with     bool
	cancelAt int // cancel is called once this many bytes are read
	cancel   func()
}

func (s *failingSource) Read(p []byte) (int, error) {
	if s.cancel != nil && s.off >= s.cancelAt {
		s.cancel()
	}
	if s.off >= s.at {
		return 0, s.err
	}
	n := copy(p[:min(len(p), 5000)], s.msg[s.off:s.at])
	s.off += n
	if s.with && s.off == s.at {
		return n, s.err
	}
	return n, nil
}

// TestStreamSourceFailsOrIsCancelled: a source that fails anywhere gives
// its own error, wrapped; a context cancelled mid-message gives
// context.Canceled; neither releases more than a prefix of the plaintext,
// nor leaves a goroutine behind, at Concurrency above GOMAXPROCS too.
func TestStreamSourceFailsOrIsCancelled(t *testing.T) {
	disk := errors.New("disk on fire")
	before := runtime.NumGoroutine()
	for _, suite := range []uint16{0x0478, 0x0578} {
		p := newPieces(suite, 4096, 100*4096+5, false)
		msg, want := p.message(p.frames), p.plaintext()
		for _, conc := range []int{2, 8, 17} {
			c := twClient(t, func(o *Options) { o.Concurrency = conc })
			for _, tc := range []struct {
				at   int
				with bool
				err  string
			}{
				{0, false, "kms: reading the header: disk on fire"},
				{len(p.header) - 1, true, "kms: reading the header: disk on fire"},
				{len(p.header), false, "kms: reading the message: disk on fire"},
				{len(p.header) + 128<<10, true, "kms: reading the message: disk on fire"},
				{len(msg) - 1, false, "kms: reading the message: disk on fire"},
				{len(msg), false, "kms: reading the message: disk on fire"},
			} {
				t.Run(fmt.Sprintf("%04x/concurrency=%d/fails at %d, with bytes %v", suite, conc, tc.at, tc.with), func(t *testing.T) {
					var got []byte
					r, err := c.DecryptReader(bg, &failingSource{msg: msg, at: tc.at, err: disk, with: tc.with}, nil)
					if err == nil {
						got, err = readOdd(r, conc == 8)
					}
					wantErr(t, err, disk, tc.err)
					if !bytes.Equal(got, want[:len(got)]) {
						t.Fatalf("released %d bytes that are not the plaintext's first", len(got))
					}
				})
			}
			for _, at := range []int{len(p.header) + 1, len(msg) / 2, len(msg) - 1} {
				t.Run(fmt.Sprintf("%04x/concurrency=%d/cancelled at %d", suite, conc, at), func(t *testing.T) {
					ctx, cancel := context.WithCancel(bg)
					defer cancel()
					r, err := c.DecryptReader(ctx, &failingSource{msg: msg, at: len(msg), err: io.EOF, cancelAt: at, cancel: cancel}, nil)
					if err != nil {
						t.Fatal(err)
					}
					got, err := readOdd(r, conc == 8)
					if !errors.Is(err, context.Canceled) || !bytes.Equal(got, want[:min(len(got), len(want))]) {
						t.Fatalf("%d bytes, %v; want a prefix of the plaintext and context.Canceled", len(got), err)
					}
				})
			}
		}
	}
	goroutines.Settle(t, before)
}
