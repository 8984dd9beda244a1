package credentials_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kumo-go/kumo/credentials"
)

// bigSection builds a credentials file whose one section has lines settings
// (the hostile case for a reader that rescans the section per line), and
// then a [target] profile at the end.
func bigSection(lines int) []byte {
	var b bytes.Buffer
	b.WriteString("[big]\n")
	for i := range lines {
		fmt.Fprintf(&b, "setting_%d = value number %d\n", i, i)
	}
	b.WriteString("[target]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
	return b.Bytes()
}

// big16MiB fills the 16 MiB limit with sections of a few settings each.
func big16MiB() []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < 16<<20-4096; i++ {
		fmt.Fprintf(&b, "[p%d]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\n", i)
	}
	b.WriteString("[target]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
	return b.Bytes()
}

// shortLines16MiB is the worst case per byte: one section of 3-byte settings.
func shortLines16MiB() []byte {
	var b bytes.Buffer
	b.WriteString("[big]\nsetting_1 = v\n")
	for b.Len() < 16<<20-4096 {
		b.WriteString("k=\n")
	}
	b.WriteString("[target]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
	return b.Bytes()
}

// benchEdit opens the file, reads a profile of it, edits a setting in the
// big section and one in the last profile, and renders the result.
func benchEdit(b *testing.B, data []byte, section string) {
	path := filepath.Join(b.TempDir(), "credentials")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := credentials.OpenSharedFile(path, credentials.CredentialsFile)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.Get("target"); err != nil {
			b.Fatal(err)
		}
		if err := f.SetKey(section, "setting_1", "changed"); err != nil {
			b.Fatal(err)
		}
		if err := f.SetKey("target", "region", "eu-west-1"); err != nil {
			b.Fatal(err)
		}
		if len(f.Bytes()) < len(data) {
			b.Fatal("lost bytes")
		}
	}
}

// benchScan is the baseline: read the same file and scan its lines with
// bufio, doing nothing with them.
func benchScan(b *testing.B, data []byte) {
	path := filepath.Join(b.TempDir(), "credentials")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		raw, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		sc := bufio.NewScanner(bytes.NewReader(raw))
		for sc.Scan() {
			n += len(sc.Bytes())
		}
		if n == 0 {
			b.Fatal("nothing scanned")
		}
	}
}

func BenchmarkEdit40kLineSection(b *testing.B)          { benchEdit(b, bigSection(40000), "big") }
func BenchmarkBaselineScan40kLineSection(b *testing.B)  { benchScan(b, bigSection(40000)) }
func BenchmarkEdit16MiB(b *testing.B)                   { benchEdit(b, big16MiB(), "p1") }
func BenchmarkBaselineScan16MiB(b *testing.B)           { benchScan(b, big16MiB()) }
func BenchmarkEditShortLines16MiB(b *testing.B)         { benchEdit(b, shortLines16MiB(), "big") }
func BenchmarkBaselineScanShortLines16MiB(b *testing.B) { benchScan(b, shortLines16MiB()) }
