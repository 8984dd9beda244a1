package kms

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fuzzClient(t testing.TB, suite Suite) *Client {
	k, err := NewRawAESKeyring("fuzz", "key", bytes.Repeat([]byte{5}, 32))
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(k, func(o *Options) {
		o.Suite, o.FrameSize, o.CommitmentPolicy, o.Concurrency = suite, 16, AllowLegacyDecrypt, 1
	})
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

// decryptSeeds are real messages of both suites, written once by
// TestWriteDecryptSeeds (KUMO_WRITE_SEEDS=1) and read by every fuzz worker,
// so all of them agree on which messages are genuine.
const decryptSeeds = "testdata/decrypt-seeds"

func TestWriteDecryptSeeds(t *testing.T) {
	if os.Getenv("KUMO_WRITE_SEEDS") == "" {
		t.Skip("set KUMO_WRITE_SEEDS=1 to rewrite " + decryptSeeds)
	}
	require := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	require(os.MkdirAll(decryptSeeds, 0o755))
	for _, suite := range []Suite{SuiteCommitted, SuiteCommittedSigned} {
		c := fuzzClient(t, suite)
		for i, pt := range []string{"", "x", "exactly sixteen!", "a little longer than two frames"} {
			msg, err := c.Encrypt(context.Background(), []byte(pt), map[string]string{"k": "v"})
			require(err)
			name := filepath.Join(decryptSeeds, fmt.Sprintf("%04x-%d", uint16(suite), i))
			require(os.WriteFile(name+".msg", msg, 0o644))
			require(os.WriteFile(name+".txt", []byte(pt), 0o644))
		}
	}
}

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
	f.Fuzz(func(t *testing.T, msg []byte) {
		pt, err := c.Decrypt(context.Background(), msg, nil)
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
