package kms_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha512"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/kumo-go/kumo/internal/benchmem"
	"github.com/kumo-go/kumo/kms"
	"github.com/kumo-go/kumo/kms/kmstest"
)

// The streaming benchmarks move streamSize bytes per operation; each has a
// baseline in the same file: raw AES-256-GCM over the same frame size on one
// goroutine (and SHA-384 for the signed suite), so one run gives the ratio.
const streamSize = 256 << 20

var frameSizes = []int{4096, 65536}

func newGCM(b *testing.B) cipher.AEAD {
	block, err := aes.NewCipher(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		b.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		b.Fatal(err)
	}
	return aead
}

// plaintext is the 256 MiB every streaming benchmark and its baseline
// reads, so all of them pay the same memory traffic. It is made on first
// use, so that tests do not carry it.
var plaintext = sync.OnceValue(func() []byte {
	return bytes.Repeat([]byte("kumo streams "), streamSize/13+1)[:streamSize]
})

// BenchmarkBaselineRawGCMSeal seals the 256 MiB frame by frame into a
// rolling 1 MiB output on one goroutine: the floor of what encrypting it
// costs.
func BenchmarkBaselineRawGCMSeal(b *testing.B) {
	for _, frame := range frameSizes {
		b.Run(fmt.Sprintf("frame=%d", frame), func(b *testing.B) {
			aead := newGCM(b)
			out := make([]byte, 1<<20+64<<10)
			nonce := make([]byte, 12)
			pt := plaintext()
			b.SetBytes(streamSize)
			b.ResetTimer()
			for range b.N {
				off := 0
				for i := 0; i < streamSize; i += frame {
					if off+frame+16 > len(out) {
						off = 0
					}
					aead.Seal(out[off:off], nonce, pt[i:i+frame], nil)
					off += frame + 16
				}
			}
		})
	}
}

// BenchmarkBaselineRawGCMOpen opens 256 MiB of frames in place on one
// goroutine and copies each out, as any reader must.
func BenchmarkBaselineRawGCMOpen(b *testing.B) {
	for _, frame := range frameSizes {
		b.Run(fmt.Sprintf("frame=%d", frame), func(b *testing.B) {
			aead := newGCM(b)
			nonce := make([]byte, 12)
			sealed := make([]byte, 0, streamSize/frame*(frame+16))
			pt := plaintext()
			for i := 0; i < streamSize; i += frame {
				sealed = aead.Seal(sealed, nonce, pt[i:i+frame], nil)
			}
			work := make([]byte, frame+16)
			out := make([]byte, 256<<10)
			b.SetBytes(streamSize)
			b.ResetTimer()
			for range b.N {
				for i := 0; i < len(sealed); i += frame + 16 {
					copy(work, sealed[i:i+frame+16])
					pt, err := aead.Open(work[:0], nonce, work, nil)
					if err != nil {
						b.Fatal(err)
					}
					copy(out, pt)
				}
			}
		})
	}
}

func BenchmarkBaselineSHA384(b *testing.B) {
	buf := make([]byte, 1<<20)
	b.SetBytes(streamSize)
	for range b.N {
		h := sha512.New384()
		for range streamSize / len(buf) {
			h.Write(buf)
		}
		h.Sum(nil)
	}
}

// source yields n bytes from a fixed buffer, as cheaply as a cached file.
// Like bytes.Reader it can write itself out, handing EncryptWriter large
// slices it seals without copying.
type source struct{ left int }

func (s *source) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for s.left > 0 {
		n, err := w.Write(pattern[:min(len(pattern), s.left)])
		s.left -= n
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

var pattern = bytes.Repeat([]byte("kumo streams "), 1<<17)

func (s *source) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), s.left)], pattern)
	s.left -= n
	return n, nil
}

func benchClient(b *testing.B, suite kms.Suite, frame, conc int) *kms.Client {
	k, err := kms.NewRawAESKeyring("bench", "k", bytes.Repeat([]byte{9}, 32))
	if err != nil {
		b.Fatal(err)
	}
	c, err := kms.New(k, func(o *kms.Options) { o.Suite, o.FrameSize, o.Concurrency = suite, frame, conc })
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkEncryptStream(b *testing.B) {
	for _, suite := range []kms.Suite{kms.SuiteCommitted, kms.SuiteCommittedSigned} {
		for _, frame := range frameSizes {
			for _, conc := range []int{1, 2} {
				b.Run(fmt.Sprintf("suite=%04x/frame=%d/conc=%d", uint16(suite), frame, conc), func(b *testing.B) {
					c := benchClient(b, suite, frame, conc)
					buf := make([]byte, 256<<10)
					b.SetBytes(streamSize)
					for range b.N {
						w, err := c.EncryptWriter(ctx, io.Discard, nil)
						if err != nil {
							b.Fatal(err)
						}
						if _, err := io.CopyBuffer(w, bytes.NewReader(plaintext()), buf); err != nil {
							b.Fatal(err)
						}
						if err := w.Close(); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

func BenchmarkDecryptStream(b *testing.B) {
	for _, suite := range []kms.Suite{kms.SuiteCommitted, kms.SuiteCommittedSigned} {
		for _, frame := range frameSizes {
			msg, err := benchClient(b, suite, frame, 2).Encrypt(ctx, plaintext(), nil)
			if err != nil {
				b.Fatal(err)
			}
			for _, conc := range []int{1, 2} {
				b.Run(fmt.Sprintf("suite=%04x/frame=%d/conc=%d", uint16(suite), frame, conc), func(b *testing.B) {
					c := benchClient(b, suite, frame, conc)
					buf := make([]byte, 256<<10)
					b.SetBytes(streamSize)
					for range b.N {
						r, err := c.DecryptReader(ctx, bytes.NewReader(msg), nil)
						if err != nil {
							b.Fatal(err)
						}
						if _, err := io.CopyBuffer(io.Discard, r, buf); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkStreamMemory streams 1 GiB through EncryptWriter and then
// DecryptReader (piped, so neither side holds the message) and reports the
// peak live heap it added: the goal is under 32 MiB.
func BenchmarkStreamMemory(b *testing.B) {
	const size = 1 << 30
	c := benchClient(b, kms.SuiteCommittedSigned, 4096, 2)
	b.SetBytes(size)
	var peak uint64
	for range b.N {
		peak = max(peak, benchmem.PeakHeap(func() {
			pr, pw := io.Pipe()
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				w, err := c.EncryptWriter(ctx, pw, nil)
				if err == nil {
					_, err = io.Copy(w, &source{left: size})
				}
				if err == nil {
					err = w.Close()
				}
				pw.CloseWithError(err)
			}()
			r, err := c.DecryptReader(ctx, pr, nil)
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.Copy(io.Discard, r)
			if err != nil || n != size {
				b.Fatalf("read %d bytes: %v", n, err)
			}
			wg.Wait()
		}))
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkCachedEncrypt makes 10,000 small encrypts from 8 goroutines
// under one context and reports how many GenerateDataKey calls they cost
// (the goal is exactly 1), beside the same work without a cache.
func BenchmarkCachedEncrypt(b *testing.B) {
	for _, cached := range []bool{false, true} {
		b.Run(fmt.Sprintf("cache=%v", cached), func(b *testing.B) {
			var calls int
			for range b.N {
				fake := kmstest.New()
				kr, _ := kms.NewKMSKeyring(fake, fake.CreateKey())
				var cache *kms.Cache
				if cached {
					cache, _ = kms.NewCache()
				}
				c, _ := kms.New(kr, func(o *kms.Options) { o.Cache = cache })
				var wg sync.WaitGroup
				for range 8 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range 1250 {
							if _, err := c.Encrypt(ctx, []byte("x"), map[string]string{"k": "v"}); err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				calls = fake.Calls("GenerateDataKey")
			}
			b.ReportMetric(float64(calls), "GenerateDataKey/10k-encrypts")
		})
	}
}

// BenchmarkOneByteFrames decrypts 1 MiB in 1-byte frames (a 33 MiB message:
// kumo's smallest FrameSize, a hostile message's favourite) and reports
// the peak live heap, which stays a few batches.
func BenchmarkOneByteFrames(b *testing.B) {
	const size = 1 << 20
	msg, err := benchClient(b, kms.SuiteCommitted, 1, 2).Encrypt(ctx, pattern[:size], nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, conc := range []int{1, 2} {
		b.Run(fmt.Sprintf("conc=%d", conc), func(b *testing.B) {
			c := benchClient(b, kms.SuiteCommitted, 1, conc)
			b.SetBytes(size)
			var peak uint64
			for range b.N {
				peak = max(peak, benchmem.PeakHeap(func() {
					r, err := c.DecryptReader(ctx, bytes.NewReader(msg), nil)
					if err != nil {
						b.Fatal(err)
					}
					if n, err := io.Copy(io.Discard, r); err != nil || n != size {
						b.Fatalf("read %d bytes: %v", n, err)
					}
				}))
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// BenchmarkGoals runs each speed goal's candidate and its baseline in
// alternation, one operation each per iteration, so that both meet the
// same machine (a shared one may be busy), and reports both rates and
// their ratio beside the goal.
func BenchmarkGoals(b *testing.B) {
	rawOpen := func(frame int) func() {
		aead := newGCM(b)
		nonce := make([]byte, 12)
		pt := plaintext()
		sealed := make([]byte, 0, streamSize/frame*(frame+16))
		for i := 0; i < streamSize; i += frame {
			sealed = aead.Seal(sealed, nonce, pt[i:i+frame], nil)
		}
		work := make([]byte, frame+16)
		out := make([]byte, 256<<10)
		return func() {
			for i := 0; i < len(sealed); i += frame + 16 {
				copy(work, sealed[i:i+frame+16])
				p, err := aead.Open(work[:0], nonce, work, nil)
				if err != nil {
					b.Fatal(err)
				}
				copy(out, p)
			}
		}
	}
	sha := func() func() {
		buf := make([]byte, 1<<20)
		return func() {
			h := sha512.New384()
			for range streamSize / len(buf) {
				h.Write(buf)
			}
			h.Sum(nil)
		}
	}
	decrypt := func(suite kms.Suite, frame, conc int) func() {
		msg, err := benchClient(b, suite, frame, 2).Encrypt(ctx, plaintext(), nil)
		if err != nil {
			b.Fatal(err)
		}
		c := benchClient(b, suite, frame, conc)
		buf := make([]byte, 256<<10)
		return func() {
			r, err := c.DecryptReader(ctx, bytes.NewReader(msg), nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.CopyBuffer(io.Discard, r, buf); err != nil {
				b.Fatal(err)
			}
		}
	}
	encrypt := func(suite kms.Suite, frame, conc int) func() {
		c := benchClient(b, suite, frame, conc)
		buf := make([]byte, 256<<10)
		return func() {
			w, err := c.EncryptWriter(ctx, io.Discard, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.CopyBuffer(w, bytes.NewReader(plaintext()), buf); err != nil {
				b.Fatal(err)
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, g := range []struct {
		name       string
		base, cand func() func()
		goal       float64
	}{
		{"decrypt-conc2-vs-raw-open/frame=4096", func() func() { return rawOpen(4096) }, func() func() { return decrypt(kms.SuiteCommitted, 4096, 2) }, 1.5},
		{"decrypt-conc2-vs-raw-open/frame=65536", func() func() { return rawOpen(65536) }, func() func() { return decrypt(kms.SuiteCommitted, 65536, 2) }, 1.5},
		{"encrypt-0578-conc2-vs-sha384", sha, func() func() { return encrypt(kms.SuiteCommittedSigned, 4096, 2) }, 0.95},
		{"decrypt-0578-conc2-vs-sha384", sha, func() func() { return decrypt(kms.SuiteCommittedSigned, 4096, 2) }, 0.95},
	} {
		b.Run(g.name, func(b *testing.B) {
			base, cand := g.base(), g.cand()
			var tb, tc, cb, cc time.Duration
			b.ResetTimer()
			for range b.N {
				t0, c0 := time.Now(), cpuTime()
				base()
				t1, c1 := time.Now(), cpuTime()
				cand()
				tb, tc = tb+t1.Sub(t0), tc+time.Since(t1)
				cb, cc = cb+c1-c0, cc+cpuTime()-c1
			}
			mb := float64(streamSize) * float64(b.N) / 1e6
			b.ReportMetric(mb/tb.Seconds(), "MB/s-baseline")
			b.ReportMetric(mb/tc.Seconds(), "MB/s-kumo")
			b.ReportMetric(tb.Seconds()/tc.Seconds(), "ratio")
			b.ReportMetric(g.goal, "goal")
			// The CPU time each took (all threads): a machine shared with
			// other work slows both, but does not change what they cost.
			b.ReportMetric(cc.Seconds()/cb.Seconds(), "cpu-kumo/baseline")
		})
	}
}
