//go:build seedgen

package kms

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestGenerateDecryptSeeds is not a test: it is the generator of the
// FuzzDecrypt seed messages in testdata/decrypt-seeds, built only with the
// seedgen tag, so `go test` never sees it. It lives in a test file because
// it writes messages with the package's independent test writer (twWrite).
// Run it with `go generate ./kms`; the messages it writes differ on every
// run (fresh data keys and IVs), so rewrite them only when the seeds must
// change.
func TestGenerateDecryptSeeds(t *testing.T) {
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
	write := func(name string, msg []byte, pt string) {
		require(os.WriteFile(filepath.Join(decryptSeeds, name+".msg"), msg, 0o644))
		require(os.WriteFile(filepath.Join(decryptSeeds, name+".txt"), []byte(pt), 0o644))
	}
	for _, s := range twSuites {
		for i, pt := range []string{"", "non-framed body"} {
			write(fmt.Sprintf("nonframed-%04x-%d", s.id, i), twWrite(twMessage{suite: s.id, ec: map[string]string{"k": "v"}}, []byte(pt)), pt)
		}
	}
	write("frame1-0578", twWrite(twMessage{suite: 0x0578, frameLen: 1}, []byte("one byte a frame")), "one byte a frame")
	write("frame4g-0478", twWrite(twMessage{suite: 0x0478, frameLen: 1<<32 - 1}, []byte("a huge frame length")), "a huge frame length")
}
