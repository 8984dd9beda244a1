package kms

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fuzzClient encrypts with the fuzz key and decrypts with it or the
// independent writer's key.
func fuzzClient(t testing.TB, suite Suite, fns ...func(*Options)) *Client {
	k, err := NewRawAESKeyring("fuzz", "key", bytes.Repeat([]byte{5}, 32))
	if err != nil {
		t.Fatal(err)
	}
	tw, err := NewRawAESKeyring(twNamespace, twKeyName, twWrapKey)
	if err != nil {
		t.Fatal(err)
	}
	multi, err := NewMultiKeyring(k, tw)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(multi, append([]func(*Options){func(o *Options) {
		o.Suite, o.FrameSize, o.CommitmentPolicy, o.Concurrency = suite, 16, AllowLegacyDecrypt, 1
	}}, fns...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// FuzzParseHeader: any bytes either fail to parse or parse into a header
// whose body serializes back to exactly the bytes read.
func FuzzParseHeader(f *testing.F) {
	for _, suite := range []Suite{SuiteCommitted, SuiteCommittedSigned} {
		msg, err := fuzzClient(f, suite).Encrypt(context.Background(), []byte("seed"), map[string]string{"a": "b", "c": ""})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(msg)
	}
	for _, s := range twSuites {
		f.Add(twWrite(twMessage{suite: s.id, ec: map[string]string{"a": "b"}}, []byte("non-framed")))
		f.Add(twWrite(twMessage{suite: s.id, frameLen: 1<<32 - 1}, []byte("huge frames")))
	}
	f.Add([]byte{1, 0x80, 0x00, 0x14})
	f.Add([]byte{2, 0x04, 0x78})
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := readHeader(bytes.NewReader(data), 0)
		if err != nil {
			return
		}
		body, err := h.serializeBody()
		if err != nil {
			t.Fatalf("a parsed header does not serialize: %v", err)
		}
		if !bytes.Equal(body, h.body) {
			t.Fatalf("header round trip differs:\n%x\n%x", h.body, body)
		}
		if !bytes.HasPrefix(data, h.bytes()) {
			t.Fatal("the header bytes are not a prefix of the input")
		}
	})
}

// decryptSeeds are real messages, written once by the seedgen generator
// (seeds_generate_test.go; run `go generate ./kms`) and read by every fuzz
// worker, so all of them agree on which messages are genuine: kumo's own in
// both of its suites, and the independent writer's non-framed messages in
// every suite, 1-byte frames and a frame length of 2^32-1.
//
//go:generate go test -tags seedgen -run ^TestGenerateDecryptSeeds$ -count=1 .
const decryptSeeds = "testdata/decrypt-seeds"

// FuzzDecrypt: a message that is not one of the genuine seeds never
// decrypts, a genuine one decrypts to its plaintext, and nothing panics or
// hangs.
func FuzzDecrypt(f *testing.F) {
	originals := map[string][]byte{}
	msgs, _ := filepath.Glob(filepath.Join(decryptSeeds, "*.msg"))
	if len(msgs) == 0 {
		f.Fatalf("no seeds in %s", decryptSeeds)
	}
	for _, m := range msgs {
		msg, err := os.ReadFile(m)
		if err != nil {
			f.Fatal(err)
		}
		pt, err := os.ReadFile(strings.TrimSuffix(m, ".msg") + ".txt")
		if err != nil {
			f.Fatal(err)
		}
		originals[string(msg)] = pt
		f.Add(msg)
	}
	c := fuzzClient(f, SuiteCommitted)
	// The streaming reader, on two goroutines and with a small buffer
	// limit, must agree with Decrypt but for ErrTooLarge.
	stream := fuzzClient(f, SuiteCommitted, func(o *Options) { o.Concurrency, o.MaxBodyLength = 2, 64 })
	f.Fuzz(func(t *testing.T, msg []byte) {
		pt, err := c.Decrypt(context.Background(), msg, nil)
		spt, serr := readAllStream(stream, msg)
		if serr == nil && (err != nil || !bytes.Equal(pt, spt)) {
			t.Fatalf("DecryptReader gave %q where Decrypt gave %q, %v", spt, pt, err)
		}
		if serr != nil && err == nil && !errors.Is(serr, ErrTooLarge) {
			t.Fatalf("DecryptReader failed (%v) where Decrypt succeeded", serr)
		}
		if err != nil {
			return
		}
		want, ok := originals[string(msg)]
		if !ok {
			t.Fatalf("a message that was never encrypted decrypted to %q", pt)
		}
		if !bytes.Equal(pt, want) {
			t.Fatalf("decrypted to %q, want %q", pt, want)
		}
	})
}

func readAllStream(c *Client, msg []byte) ([]byte, error) {
	r, err := c.DecryptReader(context.Background(), bytes.NewReader(msg), nil)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// FuzzBodyBounds: after a genuine header with any frame length or content
// type, any body bytes cost allocations in proportion to the bytes there
// are, never to the lengths they claim, and never panic.
func FuzzBodyBounds(f *testing.F) {
	f.Add(uint32(0), []byte{})
	f.Add(uint32(1), []byte{0, 0, 0, 1})
	f.Add(uint32(1<<32-1), []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1})
	f.Add(uint32(0), bytes.Repeat([]byte{0xff}, 20))
	f.Add(uint32(16), twWrite(twMessage{suite: 0x0478, frameLen: 16}, make([]byte, 40))[200:])
	c := twClient(f, func(o *Options) { o.Concurrency, o.MaxBodyLength = 1, 1<<40 })
	f.Fuzz(func(t *testing.T, frameLen uint32, body []byte) {
		e := newTWEncoder(twMessage{suite: 0x0478, frameLen: frameLen})
		msg := append(e.header(), body...)
		// TotalAlloc counts the whole process (the fuzzing engine too):
		// the least of three runs is the reader's own.
		alloc := uint64(1<<63 - 1)
		for range 3 {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			r, err := c.DecryptReader(context.Background(), bytes.NewReader(msg), nil)
			if err == nil {
				_, err = io.Copy(io.Discard, r)
			}
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatal("random bytes decrypted")
			}
			alloc = min(alloc, after.TotalAlloc-before.TotalAlloc)
		}
		if alloc > 1<<20+8*uint64(len(msg)) {
			t.Fatalf("%d bytes allocated for a %d-byte message", alloc, len(msg))
		}
	})
}
