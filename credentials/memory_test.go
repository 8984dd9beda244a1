package credentials_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/credentials"
)

// The worst case for memory: a 16 MiB file of the shortest lines that are
// not comments (3 bytes each). Everything opening, reading and editing it
// allocates stays within 12 times the file's size.
func TestMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a few hundred MiB")
	}
	var b bytes.Buffer
	b.WriteString("[a]\n")
	for b.Len() < 16<<20-8 {
		b.WriteString("k=\n")
	}
	path := filepath.Join(t.TempDir(), "credentials")
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o600))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f, err := credentials.OpenSharedFile(path, credentials.CredentialsFile)
	require.NoError(t, err)
	_, err = f.Get("a")
	require.NoError(t, err)
	require.NoError(t, f.SetKey("a", "region", "us-east-1"))
	assert.Len(t, f.Bytes(), b.Len()+len("region = us-east-1\n"))
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d MiB for a %d MiB file", allocated>>20, b.Len()>>20)
	assert.Less(t, allocated, uint64(12*b.Len()))
}

// TestContinuationLinesCostLinear: a value followed by many continuation
// lines ("  x") is read with work in proportion to the file, measured as
// bytes allocated rather than time. An outside attack found the value built
// by repeated concatenation: a 256 KiB file took 2 s, 16 MiB hours.
func TestContinuationLinesCostLinear(t *testing.T) {
	data := "[p]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n" + strings.Repeat("  x\n", (256<<10)/4)
	path := filepath.Join(t.TempDir(), "credentials")
	require.NoError(t, os.WriteFile(path, []byte(data), 0o600))
	f, err := credentials.OpenSharedFile(path, credentials.CredentialsFile)
	require.NoError(t, err)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	p, err := f.Get("p")
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(p.AccessKeyID, "AKIAIOSFODNN7EXAMPLE\nx\nx"))
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("Get allocated %d KiB for a %d KiB file", allocated>>10, len(data)>>10)
	assert.Less(t, allocated, uint64(16*len(data)))
}
