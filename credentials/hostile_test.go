//go:build unix

package credentials_test

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/credentials"
)

// bounded runs fn on its own goroutine and fails the test if it has not
// returned when the test's context ends: a hang guard, not a timing check.
func bounded(t *testing.T, fn func() error) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		t.Fatal("the call did not return")
		return nil
	}
}

func TestReadsAreBounded(t *testing.T) {
	root := t.TempDir()
	d, err := credentials.OpenDir(root)
	require.NoError(t, err)
	path, _ := d.Path("big")
	big := "[big]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = " + testSecret + "\n" + strings.Repeat("# padding padding padding\n", (16<<20)/26+1)
	require.NoError(t, os.WriteFile(path, []byte(big), 0o600))

	for _, tt := range []struct {
		name string
		call func() error
	}{
		{"Put", func() error { return d.Put(testProfile("big")) }},
		{"Get", func() error { _, err := d.Get("big"); return err }},
		{"OpenSharedFile", func() error { _, err := credentials.OpenSharedFile(path, credentials.CredentialsFile); return err }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := bounded(t, tt.call)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "over the 16777216-byte limit")
		})
	}
	assert.Equal(t, big, readFile(t, path), "the oversized file is left as it was")

	// Links to what is not a regular file end in an error, not a hang.
	for _, special := range []string{"/dev/zero", fifo(t)} {
		t.Run(special, func(t *testing.T) {
			link, _ := d.Path("special")
			os.Remove(link)
			require.NoError(t, os.Symlink(special, link))
			err := bounded(t, func() error { return d.Put(testProfile("special")) })
			require.Error(t, err)
			assert.Contains(t, err.Error(), "is not a regular file")
			_, err = d.Get("special")
			assert.ErrorContains(t, err, "is not a regular file")
			_, err = credentials.OpenSharedFile(link, credentials.ConfigFile)
			assert.ErrorContains(t, err, "is not a regular file")
			_, err = os.Lstat(filepath.Join(filepath.Dir(special), "."+filepath.Base(special)+".lock"))
			assert.ErrorIs(t, err, fs.ErrNotExist, "no lock file beside the special file")
		})
	}
}

func fifo(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "fifo")
	require.NoError(t, syscall.Mkfifo(p, 0o600))
	return p
}

// A lock file planted as a link must not make kumo create or truncate what
// it points at.
func TestPlantedLockLinkIsRefused(t *testing.T) {
	root := t.TempDir()
	d, err := credentials.OpenDir(filepath.Join(root, "creds"))
	require.NoError(t, err)
	require.NoError(t, d.Put(testProfile("alice")))
	victim := filepath.Join(root, "victim")
	require.NoError(t, os.Symlink(victim, filepath.Join(root, "creds", ".bob.ini.lock")))
	err = d.Put(testProfile("bob"))
	require.ErrorIs(t, err, credentials.ErrInsecurePermissions)
	assert.Contains(t, err.Error(), "is a symbolic link")
	_, err = os.Lstat(victim)
	assert.ErrorIs(t, err, fs.ErrNotExist, "nothing was created through the link")

	// The same for a shared file.
	shared := filepath.Join(root, "creds", "credentials")
	require.NoError(t, os.Symlink(victim, filepath.Join(root, "creds", ".credentials.lock")))
	f, err := credentials.OpenSharedFile(shared, credentials.CredentialsFile)
	require.NoError(t, err)
	require.NoError(t, f.Set(testProfile("x")))
	require.ErrorIs(t, f.Save(), credentials.ErrInsecurePermissions)
	_, err = os.Lstat(victim)
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

// A profile file that is a dangling link into a folder that does not exist
// must not make Put create that folder.
func TestPutThroughDanglingLinkCreatesNoFolders(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(root, "creds"), 0o700))
	d, err := credentials.OpenDir(filepath.Join(root, "creds"))
	require.NoError(t, err)
	link, _ := d.Path("alice")
	require.NoError(t, os.Symlink("../elsewhere/deep/alice.ini", link))
	err = d.Put(testProfile("alice"))
	require.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), "create it first")
	_, err = os.Lstat(filepath.Join(root, "elsewhere"))
	assert.ErrorIs(t, err, fs.ErrNotExist, "no folder was created outside the Dir")

	// Nor Save through a dangling link.
	shared := filepath.Join(root, "config")
	require.NoError(t, os.Symlink(filepath.Join(root, "other", "config"), shared))
	f, err := credentials.OpenSharedFile(shared, credentials.ConfigFile)
	require.NoError(t, err)
	require.NoError(t, f.SetKey("a", "region", "us-east-1"))
	require.ErrorIs(t, f.Save(), fs.ErrNotExist)
	_, err = os.Lstat(filepath.Join(root, "other"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

// Folders and files that belong to another user are refused. The tests run
// as root, which can give a folder away.
func TestForeignOwnerIsRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("giving a folder to another user needs root")
	}
	const other = 54321
	root := t.TempDir()
	theirs := filepath.Join(root, "theirs")
	require.NoError(t, os.Mkdir(theirs, 0o700))
	require.NoError(t, os.Chown(theirs, other, other))

	_, err := credentials.OpenDir(theirs)
	require.ErrorIs(t, err, credentials.ErrInsecurePermissions)
	assert.Equal(t, fmt.Sprintf("credentials: insecure permissions: folder %s belongs to user id %d, not to you (user id 0); use a folder of your own", theirs, other), err.Error())

	// A folder given away after OpenDir is refused at the next write too.
	mine := filepath.Join(root, "mine")
	d, err := credentials.OpenDir(mine)
	require.NoError(t, err)
	require.NoError(t, d.Put(testProfile("alice")))
	require.NoError(t, os.Chown(mine, other, other))
	require.ErrorIs(t, d.Put(testProfile("alice")), credentials.ErrInsecurePermissions)
	_, err = d.Get("alice")
	require.ErrorIs(t, err, credentials.ErrInsecurePermissions)

	// A shared file in another user's folder, or owned by another user.
	cfg := filepath.Join(theirs, "config")
	require.NoError(t, os.WriteFile(cfg, []byte("[default]\n"), 0o600))
	_, err = credentials.OpenSharedFile(cfg, credentials.ConfigFile)
	require.ErrorIs(t, err, credentials.ErrInsecurePermissions)
	own := filepath.Join(root, "config")
	require.NoError(t, os.WriteFile(own, []byte("[default]\n"), 0o600))
	require.NoError(t, os.Chown(own, other, other))
	_, err = credentials.OpenSharedFile(own, credentials.ConfigFile)
	require.ErrorIs(t, err, credentials.ErrInsecurePermissions)
	assert.Contains(t, err.Error(), "file "+own+" belongs to user id 54321")

	// A link another user planted (say in /tmp) pointing at one of our own
	// files is not followed, for reading or writing.
	mineFile := filepath.Join(root, "my-credentials")
	require.NoError(t, os.WriteFile(mineFile, []byte("[a]\naws_access_key_id = A\naws_secret_access_key = B\n"), 0o600))
	planted := filepath.Join(root, "config-link")
	require.NoError(t, os.Symlink(mineFile, planted))
	require.NoError(t, os.Lchown(planted, other, other))
	_, err = credentials.OpenSharedFile(planted, credentials.ConfigFile)
	require.ErrorIs(t, err, credentials.ErrInsecurePermissions)
	assert.Contains(t, err.Error(), "link "+planted+" belongs to user id 54321")
	link, _ := d.Path("bob")
	require.NoError(t, os.Chown(mine, 0, 0))
	require.NoError(t, os.Symlink(mineFile, link))
	require.NoError(t, os.Lchown(link, other, other))
	require.ErrorIs(t, d.Put(testProfile("bob")), credentials.ErrInsecurePermissions)
	assert.Equal(t, "[a]\naws_access_key_id = A\naws_secret_access_key = B\n", readFile(t, mineFile), "the file the link names is untouched")
}

// The advice in a permission error must be safe to follow: a shared sticky
// folder such as /tmp is never to be chmod-ed.
func TestInsecureFolderAdviceIsSafe(t *testing.T) {
	shared := filepath.Join(t.TempDir(), "tmp")
	require.NoError(t, os.Mkdir(shared, 0o700))
	require.NoError(t, os.Chmod(shared, 0o777|fs.ModeSticky))
	_, err := credentials.OpenDir(shared)
	require.ErrorIs(t, err, credentials.ErrInsecurePermissions)
	assert.NotContains(t, err.Error(), "chmod")
	assert.Contains(t, err.Error(), "keep credentials in a folder of your own inside it, such as "+shared+"/kumo-")

	group := filepath.Join(t.TempDir(), "group")
	require.NoError(t, os.Mkdir(group, 0o700))
	require.NoError(t, os.Chmod(group, 0o770))
	_, err = credentials.OpenDir(group)
	require.ErrorIs(t, err, credentials.ErrInsecurePermissions)
	assert.Contains(t, err.Error(), "writable by its group (mode 0770); if no one else needs to write there, fix it with: chmod go-w "+group)
}

// A shared file may live in a sticky folder such as /tmp, where no one else
// can replace it, but not in a folder anyone can write.
func TestSharedFileFolders(t *testing.T) {
	for _, tt := range []struct {
		mode fs.FileMode
		ok   bool
	}{{0o777 | fs.ModeSticky, true}, {0o777, false}, {0o775, true}} {
		dir := filepath.Join(t.TempDir(), "d")
		require.NoError(t, os.Mkdir(dir, 0o700))
		require.NoError(t, os.Chmod(dir, tt.mode))
		path := filepath.Join(dir, "config")
		require.NoError(t, os.WriteFile(path, []byte("[default]\n"), 0o600))
		f, err := credentials.OpenSharedFile(path, credentials.ConfigFile)
		if !tt.ok {
			require.ErrorIs(t, err, credentials.ErrInsecurePermissions, "%v", tt.mode)
			assert.Contains(t, err.Error(), "chmod go-w")
			continue
		}
		require.NoError(t, err, "%v", tt.mode)
		require.NoError(t, f.SetKey("default", "region", "us-east-1"))
		require.NoError(t, f.Save(), "%v", tt.mode)
	}
}

func TestOpenDirCreatesNothingAndRefusesEmpty(t *testing.T) {
	_, err := credentials.OpenDir("")
	require.EqualError(t, err, "credentials: empty folder path; give the folder that holds (or is to hold) the profile files")

	typo := filepath.Join(t.TempDir(), "typo", "creds")
	d, err := credentials.OpenDir(typo)
	require.NoError(t, err)
	_, err = d.List()
	require.ErrorIs(t, err, fs.ErrNotExist)
	_, err = d.Get("alice")
	require.ErrorIs(t, err, credentials.ErrProfileNotFound)
	require.ErrorIs(t, d.Delete("alice"), credentials.ErrProfileNotFound)
	_, err = os.Lstat(filepath.Dir(typo))
	require.ErrorIs(t, err, fs.ErrNotExist, "reading created no folder")
}

func TestSaveWithoutEditsCreatesNothing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "sub", "config")
	f, err := credentials.OpenSharedFile(missing, credentials.ConfigFile)
	require.NoError(t, err)
	require.NoError(t, f.Save())
	_, err = os.Lstat(filepath.Dir(missing))
	require.ErrorIs(t, err, fs.ErrNotExist)

	// An edit undone is no edit either.
	require.NoError(t, f.SetKey("a", "region", "us-east-1"))
	require.True(t, f.Remove("a"))
	require.NoError(t, f.Save())
	_, err = os.Lstat(filepath.Dir(missing))
	require.ErrorIs(t, err, fs.ErrNotExist)
}

func TestStaleTempFilesAreRemoved(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "creds")
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "KUMO_TEST_CRASH_DIR="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	tmp, ok := strings.CutPrefix(strings.TrimSpace(line), "written ")
	require.True(t, ok, line)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()

	// The crash left a full copy of the secret behind.
	assert.Contains(t, readFile(t, tmp), testSecret)
	assertMode(t, tmp, 0o600)
	// Something else with a similar name is not kumo's to remove.
	other := filepath.Join(dir, ".alice.ini.tmp-notmine")
	require.NoError(t, os.WriteFile(other, nil, 0o600))

	d, err := credentials.OpenDir(dir)
	require.NoError(t, err)
	require.NoError(t, d.Put(testProfile("alice")))
	_, err = os.Lstat(tmp)
	assert.ErrorIs(t, err, fs.ErrNotExist, "the next write removed the leftover")
	_, err = os.Lstat(other)
	assert.NoError(t, err)
	got, err := d.Get("alice")
	require.NoError(t, err)
	assert.Equal(t, testProfile("alice"), got)
}
