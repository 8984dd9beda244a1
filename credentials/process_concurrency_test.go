package credentials_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/credentials"
)

const writerProfiles = 15

// writer is run in a child process by TestConcurrentProcesses: it puts its
// own profiles into a Dir and adds its own setting to one shared file,
// redoing the edit whenever another process saved first.
func writer(dir, id string) int {
	d, err := credentials.OpenDir(filepath.Join(dir, "profiles"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := range writerProfiles {
		p := testProfile(fmt.Sprintf("w%s-%d", id, i))
		p.Region = "us-east-1"
		if err := d.Put(p); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	for {
		f, err := credentials.OpenSharedFile(filepath.Join(dir, "credentials"), credentials.CredentialsFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := f.SetKey("shared", "writer_"+id, "done"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		err = f.Save()
		if errors.Is(err, credentials.ErrModifiedSinceRead) {
			continue
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	}
}

// crashingWriter is run in a child process by TestStaleTempFilesAreRemoved:
// it stops a Put after the temporary file is written, says so, and waits to
// be killed.
func crashingWriter(dir string) int {
	credentials.SetBeforeRenameHook(func(tmp string) {
		fmt.Println("written", tmp)
		select {}
	})
	d, err := credentials.OpenDir(dir)
	if err == nil {
		err = d.Put(testProfile("alice"))
	}
	fmt.Fprintln(os.Stderr, "Put returned:", err)
	return 1
}

func TestConcurrentProcesses(t *testing.T) {
	dir := t.TempDir()
	const procs = 6
	cmds := make([]*exec.Cmd, procs)
	for i := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "KUMO_TEST_WRITER_DIR="+dir, fmt.Sprintf("KUMO_TEST_WRITER_ID=%d", i))
		cmd.Stderr = os.Stderr
		require.NoError(t, cmd.Start())
		cmds[i] = cmd
	}
	for _, cmd := range cmds {
		require.NoError(t, cmd.Wait())
	}
	d, err := credentials.OpenDir(filepath.Join(dir, "profiles"))
	require.NoError(t, err)
	names, err := d.List()
	require.NoError(t, err)
	assert.Len(t, names, procs*writerProfiles)
	for _, n := range names {
		p, err := d.Get(n)
		require.NoError(t, err)
		assert.Equal(t, "us-east-1", p.Region)
	}
	f, err := credentials.OpenSharedFile(filepath.Join(dir, "credentials"), credentials.CredentialsFile)
	require.NoError(t, err)
	for i := range procs {
		v, ok := f.Value("shared", fmt.Sprintf("writer_%d", i))
		assert.True(t, ok && v == "done", "writer %d's edit was lost:\n%s", i, f.Bytes())
	}
}
