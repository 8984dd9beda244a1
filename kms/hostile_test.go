package kms

// Messages kumo did not write, made by the independent writer in
// esdkwriter_test.go: non-framed bodies in every suite, 1-byte frames, a
// frame length of 2^32-1, 65,535 encrypted data keys. Each test asserts the
// exact outcome and, where memory is the point, the peak live heap under a
// stated ceiling.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/kumo-go/kumo/internal/benchmem"
	"github.com/kumo-go/kumo/kms/kmstest"
)

var bg = context.Background()

// twClient is a client whose raw AES keyring matches the writer's EDKs.
func twClient(t testing.TB, fns ...func(*Options)) *Client {
	t.Helper()
	k, err := NewRawAESKeyring(twNamespace, twKeyName, twWrapKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(k, append([]func(*Options){func(o *Options) { o.CommitmentPolicy = AllowLegacyDecrypt }}, fns...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func streamAll(c *Client, msg []byte) ([]byte, error) {
	r, err := c.DecryptReader(bg, bytes.NewReader(msg), nil)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	_, err = io.Copy(&out, r)
	return out.Bytes(), err
}

func wantErr(t *testing.T, err error, is error, text string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %q", text)
	}
	if !errors.Is(err, is) {
		t.Fatalf("error %q is not %v", err, is)
	}
	if err.Error() != text {
		t.Fatalf("error\n  %q\nwant\n  %q", err, text)
	}
}

func suiteName(id uint16) string { return fmt.Sprintf("%04x", id) }

func TestNonFramedEverySuite(t *testing.T) {
	ec := map[string]string{"tenant": "acme"}
	for _, s := range twSuites {
		t.Run(suiteName(s.id), func(t *testing.T) {
			for _, size := range []int{0, 1, 4096, 100_000} {
				pt := make([]byte, size)
				rand.Read(pt)
				msg := twWrite(twMessage{suite: s.id, ec: ec}, pt)
				h, err := ParseHeader(bytes.NewReader(msg))
				if err != nil {
					t.Fatal(err)
				}
				if h.Framed || h.FrameLength != 0 || uint16(h.Suite) != s.id || h.Version != int(s.version) {
					t.Fatalf("ParseHeader: framed %v, frame length %d, suite %v, version %d", h.Framed, h.FrameLength, h.Suite, h.Version)
				}
				for _, conc := range []int{1, 3} {
					c := twClient(t, func(o *Options) { o.Concurrency = conc })
					got, err := c.Decrypt(bg, msg, ec)
					if err != nil || !bytes.Equal(got, pt) {
						t.Fatalf("Decrypt, %d bytes, concurrency %d: %v", size, conc, err)
					}
					got, err = streamAll(c, msg)
					if err != nil || !bytes.Equal(got, pt) {
						t.Fatalf("DecryptReader, %d bytes, concurrency %d: %v", size, conc, err)
					}
				}
				c := twClient(t, func(o *Options) { o.FrameSize = 1000 })
				var out bytes.Buffer
				err = c.Rewrap(bg, &out, bytes.NewReader(msg), c.keyring)
				if s.kdf == nil {
					want := fmt.Sprintf("kms: Rewrap cannot move a message in suite %v: it encrypts with the data key itself, so new frames under the same data key would reuse its nonces; decrypt it and encrypt it again", Suite(s.id))
					if err == nil || err.Error() != want {
						t.Fatalf("Rewrap of a no-KDF suite: %v", err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("Rewrap: %v", err)
				}
				nh, err := ParseHeader(bytes.NewReader(out.Bytes()))
				if err != nil || !nh.Framed || nh.FrameLength != 1000 || nh.Suite != Suite(s.id) {
					t.Fatalf("Rewrap's header: %+v, %v", nh, err)
				}
				got, err := c.Decrypt(bg, out.Bytes(), ec)
				if err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("Decrypt after Rewrap: %v", err)
				}
			}

			// A flipped tag fails the body, in both readers.
			msg := twWrite(twMessage{suite: s.id}, []byte("sixteen bytes..."))
			tag := len(msg) - 1
			if s.curve != nil {
				tag = bodyEnd(t, msg) - 1
			}
			msg[tag] ^= 1
			c := twClient(t)
			_, err := c.Decrypt(bg, msg, nil)
			wantErr(t, err, ErrAuthentication, "kms: message failed authentication: the body")
			_, err = streamAll(c, msg)
			wantErr(t, err, ErrAuthentication, "kms: message failed authentication: the body")
		})
	}
}

// bodyEnd finds where a signed message's footer starts, from its length
// field: the last 2+l bytes, with l the DER signature's length.
func bodyEnd(t *testing.T, msg []byte) int {
	for l := 60; l <= 110; l++ {
		if i := len(msg) - l - 2; i > 0 && int(binary.BigEndian.Uint16(msg[i:])) == l && msg[i+2] == 0x30 {
			return i
		}
	}
	t.Fatal("no footer")
	return 0
}

func TestNonFramedLimits(t *testing.T) {
	c := twClient(t)
	pt := make([]byte, 2000)
	msg := twWrite(twMessage{suite: 0x0478}, pt)
	hlen := len(msg) - (12 + 8 + 2000 + 16)

	// A length over the format's limit, 2^36 - 32.
	bad := bytes.Clone(msg)
	binary.BigEndian.PutUint64(bad[hlen+12:], 1<<36-31)
	_, err := c.Decrypt(bg, bad, nil)
	wantErr(t, err, ErrMalformed, "kms: malformed message: the non-framed body claims 68719476705 bytes, over the format's limit of 2^36-32")
	_, err = streamAll(c, bad)
	wantErr(t, err, ErrMalformed, "kms: malformed message: the non-framed body claims 68719476705 bytes, over the format's limit of 2^36-32")

	// Over what the reader allows: DecryptReader refuses, Decrypt (which
	// holds the message) opens it.
	small := twClient(t, func(o *Options) { o.MaxBodyLength = 1000 })
	_, err = streamAll(small, msg)
	wantErr(t, err, ErrTooLarge, "kms: message frame too large: the non-framed body claims 2000 bytes; this reader buffers at most 1000 (Options.MaxBodyLength)")
	if got, err := small.Decrypt(bg, msg, nil); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Decrypt: %v", err)
	}

	// A claim of 1 GiB with 2 KB behind it: refused, or read as far as the
	// bytes go, never allocated.
	binary.BigEndian.PutUint64(bad[hlen+12:], 1<<30)
	_, err = c.Decrypt(bg, bad, nil)
	wantErr(t, err, ErrMalformed, "kms: malformed message: the message is truncated: the non-framed body claims 1073741824 bytes, more than the whole message")
	_, err = streamAll(c, bad)
	wantErr(t, err, ErrTooLarge, "kms: message frame too large: the non-framed body claims 1073741824 bytes; this reader buffers at most 67108864 (Options.MaxBodyLength)")
	big := twClient(t, func(o *Options) { o.MaxBodyLength = 1 << 31 })
	peak := benchmem.PeakHeap(func() {
		_, err = streamAll(big, bad)
	})
	wantErr(t, err, ErrMalformed, "kms: malformed message: the message is truncated in the body")
	if peak > 1<<20 {
		t.Errorf("a 1 GiB claim in a 2 KB message: peak heap %d bytes, over 1 MiB", peak)
	}
}

// TestOneByteFrames streams 262,144 1-byte frames (an 8.7 MB message, 65
// batches) through DecryptReader and Rewrap. The ceiling is the documented bound,
// (Concurrency+2) × 256 KiB of batches plus the 64 KiB read buffer, with
// 2 MiB of slack; the collector runs at GOGC=10 meanwhile, so that the peak
// is mostly what is live, not garbage waiting for a collection.
func TestOneByteFrames(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	frames := uint32(1 << 18)
	if RaceEnabled {
		frames = 1 << 15
	}
	for _, conc := range []int{1, 2, 8} {
		t.Run(fmt.Sprintf("concurrency=%d", conc), func(t *testing.T) {
			c := twClient(t, func(o *Options) { o.Concurrency = conc })
			ceiling := uint64((conc+2)*batchBytes + readBufferSize + 2<<20)
			var n int64
			var err error
			peak := benchmem.PeakHeap(func() {
				var r io.Reader
				if r, err = c.DecryptReader(bg, newTWStream(twMessage{suite: 0x0578, frameLen: 1}, frames), nil); err == nil {
					n, err = io.Copy(io.Discard, r)
				}
			})
			if err != nil || n != int64(frames) {
				t.Fatalf("read %d bytes: %v", n, err)
			}
			t.Logf("DecryptReader: peak heap %.2f MiB (ceiling %.2f MiB)", float64(peak)/(1<<20), float64(ceiling)/(1<<20))
			if peak > ceiling {
				t.Errorf("DecryptReader: peak heap %d, over %d", peak, ceiling)
			}
			// Rewrap reads as DecryptReader does and writes as EncryptWriter
			// does: twice the batches.
			peak = benchmem.PeakHeap(func() {
				err = c.Rewrap(bg, io.Discard, newTWStream(twMessage{suite: 0x0578, frameLen: 1}, frames), c.keyring)
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("Rewrap: peak heap %.2f MiB (ceiling %.2f MiB)", float64(peak)/(1<<20), float64(2*ceiling)/(1<<20))
			if peak > 2*ceiling {
				t.Errorf("Rewrap: peak heap %d, over %d", peak, 2*ceiling)
			}
		})
	}
}

// TestFrameLength4GiB: a frame length of 2^32-1 is legal; memory follows
// the bytes that arrive, not the claim.
func TestFrameLength4GiB(t *testing.T) {
	c := twClient(t)
	m := twMessage{suite: 0x0478, frameLen: 1<<32 - 1}
	msg := twWrite(m, []byte("only a final frame"))
	t.Logf("message: %d bytes", len(msg))
	var got []byte
	var err error
	peak := benchmem.PeakHeap(func() { got, err = c.Decrypt(bg, msg, nil) })
	if err != nil || string(got) != "only a final frame" {
		t.Fatalf("Decrypt: %q, %v", got, err)
	}
	if peak > 512<<10 {
		t.Errorf("Decrypt: peak heap %d, over 512 KiB", peak)
	}
	peak = benchmem.PeakHeap(func() { got, err = streamAll(c, msg) })
	if err != nil || string(got) != "only a final frame" {
		t.Fatalf("DecryptReader: %q, %v", got, err)
	}
	if peak > 512<<10 {
		t.Errorf("DecryptReader: peak heap %d, over 512 KiB", peak)
	}

	// A regular frame of 2^32-1 bytes, with 100 bytes behind its number.
	e := newTWEncoder(m)
	bad := append(e.header(), 0, 0, 0, 1)
	bad = append(bad, make([]byte, 100)...)
	_, err = c.Decrypt(bg, bad, nil)
	wantErr(t, err, ErrMalformed, "kms: malformed message: the message is truncated: frame 1 claims 4294967295 bytes, more than the whole message")
	_, err = c.DecryptReader(bg, bytes.NewReader(bad), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = streamAll(c, bad)
	wantErr(t, err, ErrTooLarge, "kms: message frame too large: frame 1 claims 4294967295 bytes; this reader buffers at most 67108864 (Options.MaxBodyLength)")
	big := twClient(t, func(o *Options) { o.MaxBodyLength = 1 << 33 })
	peak = benchmem.PeakHeap(func() { _, err = streamAll(big, bad) })
	wantErr(t, err, ErrMalformed, "kms: malformed message: the message is truncated in a frame")
	if peak > 512<<10 {
		t.Errorf("a 4 GiB frame claim in a %d-byte message: peak heap %d, over 512 KiB", len(bad), peak)
	}
}

// TestManyEncryptedDataKeys: 65,535 encrypted data keys, the format's most.
func TestManyEncryptedDataKeys(t *testing.T) {
	fake := kmstest.New()
	keyARN := fake.CreateKey()
	kr, err := NewKMSKeyring(fake, keyARN)
	if err != nil {
		t.Fatal(err)
	}
	dataKey := make([]byte, 32)
	rand.Read(dataKey)
	ec := map[string]string{"tenant": "acme"}
	good, err := fake.Encrypt(bg, &awskms.EncryptInput{KeyId: aws.String(keyARN), Plaintext: dataKey, EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	edks := make([]twEDK, 0xffff)
	for i := range edks {
		edks[i] = twEDK{providerID: "aws-kms", providerInfo: []byte(keyARN), ciphertext: []byte{byte(i)}}
	}
	pt := []byte("found it")
	bogus := twWrite(twMessage{suite: 0x0478, dataKey: dataKey, ec: ec, edks: edks, frameLen: 4096}, pt)
	edks[len(edks)-1] = twEDK{providerID: "aws-kms", providerInfo: []byte(keyARN), ciphertext: good.CiphertextBlob}
	lastGood := twWrite(twMessage{suite: 0x0478, dataKey: dataKey, ec: ec, edks: edks, frameLen: 4096}, pt)
	t.Logf("message: %d bytes", len(bogus))
	fake.ResetCalls()

	// By default: refused when the count is read, before any KMS call.
	c, err := New(kr)
	if err != nil {
		t.Fatal(err)
	}
	const tooMany = "kms: too many encrypted data keys: the message has 65535, the limit is 10 (Options.MaxEncryptedDataKeys)"
	peak := benchmem.PeakHeap(func() { _, err = c.Decrypt(bg, bogus, nil) })
	wantErr(t, err, ErrTooManyEncryptedDataKeys, tooMany)
	if peak > 256<<10 {
		t.Errorf("Decrypt: peak heap %d, over 256 KiB", peak)
	}
	_, err = c.DecryptReader(bg, bytes.NewReader(bogus), nil)
	wantErr(t, err, ErrTooManyEncryptedDataKeys, tooMany)
	err = c.Rewrap(bg, io.Discard, bytes.NewReader(bogus), kr)
	wantErr(t, err, ErrTooManyEncryptedDataKeys, tooMany)
	if n := len(fake.CallCounts()); n != 0 {
		t.Errorf("KMS calls before the limit: %v", fake.CallCounts())
	}
	if h, err := ParseHeader(bytes.NewReader(bogus)); err != nil || len(h.EncryptedDataKeys) != 0xffff {
		t.Fatalf("ParseHeader, which applies only the format's limit: %v", err)
	}

	// With the limit at the format's: every key is tried, and the error
	// names the count, not 65,535 causes.
	all, err := New(kr, func(o *Options) { o.MaxEncryptedDataKeys = 0xffff })
	if err != nil {
		t.Fatal(err)
	}
	peak = benchmem.PeakHeap(func() { _, err = all.Decrypt(bg, bogus, nil) })
	if !errors.Is(err, ErrNoDataKey) || !strings.Contains(err.Error(), "65535") || len(err.Error()) > 1000 {
		t.Fatalf("error (%d bytes): %.2000v", len(err.Error()), err)
	}
	t.Logf("error: %v", err)
	t.Logf("peak heap %.2f MiB", float64(peak)/(1<<20))
	// Most of it is the fake KMS's garbage per call; kumo keeps the header
	// (5.8 MB) twice.
	if peak > 128<<20 {
		t.Errorf("65,535 failed KMS calls: peak heap %d, over 128 MiB", peak)
	}
	if got := fake.Calls("Decrypt"); got != 0xffff {
		t.Errorf("%d KMS Decrypt calls, want 65535", got)
	}
	got, err := all.Decrypt(bg, lastGood, nil)
	if err != nil || string(got) != "found it" {
		t.Fatalf("the last key good: %q, %v", got, err)
	}

	// Raw RSA: 1,000 keys for the keyring cost nothing by default.
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaKR, err := NewRawRSAKeyring("rsa-ns", "rsa-key", nil, priv, OAEPSHA256)
	if err != nil {
		t.Fatal(err)
	}
	rsaEDKs := make([]twEDK, 1000)
	for i := range rsaEDKs {
		rsaEDKs[i] = twEDK{providerID: "rsa-ns", providerInfo: []byte("rsa-key"), ciphertext: bytes.Repeat([]byte{byte(i)}, 256)}
	}
	rsaMsg := twWrite(twMessage{suite: 0x0478, edks: rsaEDKs, frameLen: 4096}, pt)
	rc, err := New(rsaKR)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = rc.Decrypt(bg, rsaMsg, nil)
	wantErr(t, err, ErrTooManyEncryptedDataKeys, "kms: too many encrypted data keys: the message has 1000, the limit is 10 (Options.MaxEncryptedDataKeys)")
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("refusing 1,000 RSA keys took %v", d)
	}
}

// TestNetV400Compatibility: the .NET 4.0.0 quirks (HKDF info without the
// message ID; 00 00 appended to the header AAD) open in every reader,
// Rewrap included, through the one header path.
func TestNetV400Compatibility(t *testing.T) {
	c := twClient(t)
	pt := []byte("from .NET 4.0.0")
	for name, msg := range map[string][]byte{
		"derivation": twWrite(twMessage{suite: 0x0178, frameLen: 8, netV400: true}, pt),
		"empty-pairs": func() []byte {
			e := newTWEncoder(twMessage{suite: 0x0478, frameLen: 8})
			out := e.header(0, 0)
			out = append(out, e.frame(1, pt[:8], false)...)
			return append(out, e.frame(2, pt[8:], true)...)
		}(),
	} {
		if got, err := c.Decrypt(bg, msg, nil); err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("%s: Decrypt: %v", name, err)
		}
		if got, err := streamAll(c, msg); err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("%s: DecryptReader: %v", name, err)
		}
		var out bytes.Buffer
		if err := c.Rewrap(bg, &out, bytes.NewReader(msg), c.keyring); err != nil {
			t.Fatalf("%s: Rewrap: %v", name, err)
		}
		if got, err := c.Decrypt(bg, out.Bytes(), nil); err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("%s: Decrypt after Rewrap: %v", name, err)
		}
	}
}

// reporter is the part of testing.T the key and IV check uses.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// probe is a reporter that only remembers a failure.
type probe struct{ failed bool }

func (*probe) Helper()                 {}
func (p *probe) Errorf(string, ...any) { p.failed = true }
func (p *probe) Fatalf(string, ...any) { p.failed = true }

// keyIVUse records which header body or frame each (derived key, IV) pair
// authenticated, and reports any pair used for two different ones.
type keyIVUse map[string]string

func (u keyIVUse) add(t reporter, what string, key, iv, content []byte) {
	t.Helper()
	k := string(key) + "|" + string(iv)
	if prev, ok := u[k]; ok && prev != string(content) {
		t.Errorf("%s: a derived key and IV already authenticated something else", what)
	}
	u[k] = string(content)
}

// addMessage derives each key of msg independently (the data key from its
// raw AES EDK, with the writer's own HKDF) and records every pair it uses.
func (u keyIVUse) addMessage(t reporter, what string, msg []byte, netV400 bool) {
	t.Helper()
	p := twParse(msg)
	var dataKey []byte
	for _, e := range p.edks {
		if k, ok := twUnwrapAES(e, p.fullEC); ok {
			dataKey = k
		}
	}
	if dataKey == nil {
		t.Fatalf("%s: no data key", what)
	}
	key, _ := twDerive(p.s, dataKey, p.messageID, netV400)
	u.add(t, what+": header", key, p.headerIV, p.headerBody)
	for i, iv := range p.frameIVs {
		u.add(t, fmt.Sprintf("%s: frame %d", what, i+1), key, iv, p.frameBlobs[i])
	}
}

// TestRewrapNeverReusesKeyAndIV checks the property, not the
// implementation: across messages and their re-wrapped copies (the same
// message re-wrapped twice, a copy re-wrapped again, every suite Rewrap
// takes, framed or not), no (derived key, IV) pair authenticates two
// different header bodies, or two different frames.
func TestRewrapNeverReusesKeyAndIV(t *testing.T) {
	c := twClient(t, func(o *Options) { o.FrameSize = 64 })
	use := keyIVUse{}
	pt := make([]byte, 300)
	rand.Read(pt)
	rewrap := func(what string, msg []byte) []byte {
		var out bytes.Buffer
		if err := c.Rewrap(bg, &out, bytes.NewReader(msg), c.keyring); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		use.addMessage(t, what, out.Bytes(), false)
		return out.Bytes()
	}
	var sources [][]byte
	for _, suite := range []Suite{SuiteCommitted, SuiteCommittedSigned} {
		k := twClient(t, func(o *Options) { o.Suite, o.FrameSize = suite, 64 })
		msg, err := k.Encrypt(bg, pt, map[string]string{"a": "b"})
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, msg)
	}
	for _, s := range twSuites {
		if s.kdf != nil {
			sources = append(sources, twWrite(twMessage{suite: s.id, frameLen: 64, ec: map[string]string{"a": "b"}}, pt))
			sources = append(sources, twWrite(twMessage{suite: s.id}, pt))
		}
	}
	for i, msg := range sources {
		what := fmt.Sprintf("message %d", i)
		use.addMessage(t, what, msg, false)
		once := rewrap(what+", re-wrapped", msg)
		rewrap(what+", re-wrapped again", msg)
		rewrap(what+", its copy re-wrapped", once)
	}
	if t.Failed() {
		return
	}

	// The check itself catches a reuse: two headers made under one data key
	// and message ID with different contexts.
	check := keyIVUse{}
	id, dk := make([]byte, 32), make([]byte, 32)
	rand.Read(id)
	rand.Read(dk)
	inner := &probe{}
	check.addMessage(inner, "first", twWrite(twMessage{suite: 0x0478, messageID: id, dataKey: dk, frameLen: 64, ec: map[string]string{"a": "1"}}, pt), false)
	check.addMessage(inner, "second", twWrite(twMessage{suite: 0x0478, messageID: id, dataKey: dk, frameLen: 64, ec: map[string]string{"a": "2"}}, pt), false)
	if !inner.failed {
		t.Fatal("the check missed a (derived key, IV) pair used for two headers")
	}
}

// errReader fails after n bytes.
type errReader struct {
	r   io.Reader
	n   int
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, e.err
	}
	m, err := e.r.Read(p[:min(len(p), e.n)])
	e.n -= m
	return m, err
}

// TestRewrapReadErrors: a source that fails is reported as its own error,
// not as a malformed message.
func TestRewrapReadErrors(t *testing.T) {
	c := twClient(t, func(o *Options) { o.FrameSize = 64 })
	msg, err := c.Encrypt(bg, make([]byte, 1000), nil)
	if err != nil {
		t.Fatal(err)
	}
	disk := errors.New("disk on fire")
	for _, n := range []int{10, len(msg) / 2, len(msg) - 1} {
		err := c.Rewrap(bg, io.Discard, &errReader{r: bytes.NewReader(msg), n: n, err: disk}, c.keyring)
		if !errors.Is(err, disk) || errors.Is(err, ErrMalformed) {
			t.Errorf("failing after %d bytes: %v", n, err)
		}
	}
	err = c.Rewrap(bg, io.Discard, bytes.NewReader(msg[:len(msg)-1]), c.keyring)
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("a truncated message: %v", err)
	}
}

// TestFinalFrameWaitsForSignature: a signed message with a bad signature
// releases its regular frames but never its final frame.
func TestFinalFrameWaitsForSignature(t *testing.T) {
	for _, conc := range []int{1, 2} {
		c := twClient(t, func(o *Options) { o.Concurrency = conc })
		pt := make([]byte, 3*batchBytes)
		msg := twWrite(twMessage{suite: 0x0578, frameLen: 4096}, pt)
		msg[len(msg)-1] ^= 1
		got, err := streamAll(c, msg)
		wantErr(t, err, ErrAuthentication, "kms: message failed authentication: the signature does not verify")
		if len(got) > len(pt)-4096 {
			t.Errorf("concurrency %d: %d bytes released before the signature failed", conc, len(got))
		}
	}
}

// stallReader hands out r's first n bytes, then returns 0, nil forever: a
// broken source, which must end in io.ErrNoProgress, not a spin.
type stallReader struct {
	r io.Reader
	n int
}

func (s *stallReader) Read(p []byte) (int, error) {
	if s.n <= 0 {
		return 0, nil
	}
	m, err := s.r.Read(p[:min(len(p), s.n)])
	s.n -= m
	if err == io.EOF {
		return m, nil // hide the end: stall instead
	}
	return m, err
}

// TestSourceWithoutProgress: a source that returns 0, nil forever, in the
// header, in a frame or after the last byte, fails with io.ErrNoProgress
// (as bufio.Reader does) rather than spinning forever.
func TestSourceWithoutProgress(t *testing.T) {
	c := twClient(t, func(o *Options) { o.Concurrency = 2 })
	unsigned := twWrite(twMessage{suite: 0x0478, frameLen: 4096}, make([]byte, 50000))
	signed := twWrite(twMessage{suite: 0x0578, frameLen: 4096}, make([]byte, 50000))
	header := len(newTWEncoder(twMessage{suite: 0x0478, frameLen: 4096}).header())
	ops := []struct {
		name string
		run  func(src io.Reader) error
	}{
		{"DecryptReader Read", func(src io.Reader) error {
			r, err := c.DecryptReader(bg, src, nil)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, struct{ io.Reader }{r})
			return err
		}},
		{"DecryptReader WriteTo", func(src io.Reader) error {
			r, err := c.DecryptReader(bg, src, nil)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, r)
			return err
		}},
		{"Rewrap", func(src io.Reader) error { return c.Rewrap(bg, io.Discard, src, c.keyring) }},
	}
	const inHeader = "kms: reading the header: multiple Read calls return no data or error"
	const inBody = "kms: reading the message: multiple Read calls return no data or error"
	for _, tc := range []struct {
		name string
		msg  []byte
		at   int
		want string
	}{
		{"at the start", unsigned, 0, inHeader},
		{"in the header", unsigned, header / 2, inHeader},
		{"in a frame", unsigned, header + 5000, inBody},
		{"after the last byte", unsigned, len(unsigned), inBody},
		{"in the signature", signed, len(signed) - 10, inBody},
		{"after the signature", signed, len(signed), inBody},
	} {
		for _, op := range ops {
			t.Run(tc.name+"/"+op.name, func(t *testing.T) {
				done := make(chan error, 1)
				go func() { done <- op.run(&stallReader{r: bytes.NewReader(tc.msg), n: tc.at}) }()
				select {
				case err := <-done:
					wantErr(t, err, io.ErrNoProgress, tc.want)
				case <-time.After(10 * time.Second):
					t.Fatal("still reading a source that makes no progress after 10 s")
				}
			})
		}
	}
	t.Run("ParseHeader", func(t *testing.T) {
		done := make(chan error, 1)
		go func() {
			_, err := ParseHeader(&stallReader{r: bytes.NewReader(unsigned), n: header / 2})
			done <- err
		}()
		select {
		case err := <-done:
			wantErr(t, err, io.ErrNoProgress, inHeader)
		case <-time.After(10 * time.Second):
			t.Fatal("still reading a source that makes no progress after 10 s")
		}
	})
}
