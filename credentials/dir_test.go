package credentials_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/credentials"
)

func testProfile(name string) credentials.Profile {
	return credentials.Profile{Name: name, AccessKeyID: testKeyID, SecretAccessKey: testSecret}
}

func TestDirPutGet(t *testing.T) {
	root := filepath.Join(t.TempDir(), "creds")
	d, err := credentials.OpenDir(root)
	require.NoError(t, err)
	_, err = os.Stat(root)
	require.ErrorIs(t, err, fs.ErrNotExist, "OpenDir creates nothing")

	exp := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := credentials.Profile{Name: "alice.smith@example.com", AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: testSecret,
		SessionToken: testToken, Expires: exp, Region: "eu-west-1"}
	require.NoError(t, d.Put(p))
	assertMode(t, root, 0o700)

	path := filepath.Join(root, "alice.smith@example.com.ini")
	got, err := d.Path(p.Name)
	require.NoError(t, err)
	assert.Equal(t, path, got)
	assertMode(t, path, 0o600)
	assert.Equal(t, `[alice.smith@example.com]
aws_access_key_id = ASIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
aws_session_token = FwoGZXIvYXdzEXAMPLETOKEN
x_security_token_expires = 2026-01-02T03:04:05Z
region = eu-west-1
`, readFile(t, path))

	back, err := d.Get(p.Name)
	require.NoError(t, err)
	assert.Equal(t, p, back)

	// New long-term keys replace the temporary ones: token and expiry go,
	// the region stays, and settings the user added stay too.
	require.NoError(t, os.WriteFile(path, []byte(readFile(t, path)+"output = json\n"), 0o600))
	require.NoError(t, d.Put(testProfile(p.Name)))
	assert.Equal(t, `[alice.smith@example.com]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
region = eu-west-1
output = json
`, readFile(t, path))

	env, err := d.Env(p.Name)
	require.NoError(t, err)
	assert.Equal(t, []string{"AWS_SHARED_CREDENTIALS_FILE=" + path, "AWS_PROFILE=alice.smith@example.com"}, env)

	entries, err := os.ReadDir(root)
	require.NoError(t, err)
	for _, e := range entries {
		assert.NotContains(t, e.Name(), ".tmp-", "no temporary file is left behind")
	}
}

func TestDirListDelete(t *testing.T) {
	root := t.TempDir()
	d, err := credentials.OpenDir(root)
	require.NoError(t, err)
	for _, n := range []string{"zed", "alice", "bob-2"} {
		require.NoError(t, d.Put(testProfile(n)))
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, "notes.txt"), nil, 0o600))
	require.NoError(t, os.Mkdir(filepath.Join(root, "sub.ini"), 0o700))
	names, err := d.List()
	require.NoError(t, err)
	assert.Equal(t, []string{"alice", "bob-2", "zed"}, names)

	require.NoError(t, d.Delete("bob-2"))
	names, err = d.List()
	require.NoError(t, err)
	assert.Equal(t, []string{"alice", "zed"}, names)

	err = d.Delete("bob-2")
	require.ErrorIs(t, err, credentials.ErrProfileNotFound)
	_, err = d.Get("bob-2")
	require.ErrorIs(t, err, credentials.ErrProfileNotFound)
}

func TestDirRejectsBadNames(t *testing.T) {
	root := t.TempDir()
	d, err := credentials.OpenDir(filepath.Join(root, "creds"))
	require.NoError(t, err)
	for _, name := range []string{"", ".", "..", "../x", "../../etc/passwd", "a/b", `a\b`, ".hidden", "a b", "é",
		"a\x00b", "a\nb", strings.Repeat("a", 65), "/abs", "name]"} {
		t.Run(fmt.Sprintf("%q", name), func(t *testing.T) {
			require.ErrorIs(t, d.Put(testProfile(name)), credentials.ErrInvalidProfileName)
			_, err := d.Get(name)
			require.ErrorIs(t, err, credentials.ErrInvalidProfileName)
			require.ErrorIs(t, d.Delete(name), credentials.ErrInvalidProfileName)
			_, err = d.Path(name)
			require.ErrorIs(t, err, credentials.ErrInvalidProfileName)
			_, err = d.Env(name)
			require.ErrorIs(t, err, credentials.ErrInvalidProfileName)
		})
	}
	var written []string
	require.NoError(t, filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if !e.IsDir() {
			written = append(written, p)
		}
		return err
	}))
	assert.Empty(t, written)
	for _, name := range []string{"a", strings.Repeat("a", 64), "a..b", "A+b=c,d.e@f_g-h", "x.ini"} {
		_, err := d.Path(name)
		assert.NoError(t, err, name)
	}
}

func TestDirRejectsBadValues(t *testing.T) {
	d, err := credentials.OpenDir(t.TempDir())
	require.NoError(t, err)
	p := testProfile("a")
	p.SessionToken = "tok\n[default]\naws_access_key_id = X"
	require.ErrorIs(t, d.Put(p), credentials.ErrInvalidCredentials)
	p = testProfile("a")
	p.Region = "us east"
	err = d.Put(p)
	require.ErrorIs(t, err, credentials.ErrInvalidCredentials)
	assert.EqualError(t, err, `credentials: invalid credentials: region "us east" must be lower-case letters, digits and hyphens, such as us-east-1`)
	p = testProfile("a")
	p.SecretAccessKey = ""
	require.ErrorIs(t, d.Put(p), credentials.ErrInvalidCredentials)
	names, err := d.List()
	require.NoError(t, err)
	assert.Empty(t, names)
}

func TestDirInsecurePermissions(t *testing.T) {
	root := t.TempDir()
	d, err := credentials.OpenDir(root)
	require.NoError(t, err)
	require.NoError(t, d.Put(testProfile("alice")))
	path, _ := d.Path("alice")
	require.NoError(t, os.Chmod(path, 0o644))
	_, err = d.Get("alice")
	require.ErrorIs(t, err, credentials.ErrInsecurePermissions)
	assert.Equal(t, fmt.Sprintf("credentials: insecure permissions: %s is readable or writable by group or others (mode 0644); fix it with: chmod 600 %s", path, path), err.Error())
	_, err = d.LoadConfig(context.Background(), "alice")
	require.ErrorIs(t, err, credentials.ErrInsecurePermissions)

	// Put rewrites the file 0600, which mends it.
	require.NoError(t, d.Put(testProfile("alice")))
	assertMode(t, path, 0o600)
	_, err = d.Get("alice")
	require.NoError(t, err)

	open := filepath.Join(root, "open dir")
	require.NoError(t, os.Mkdir(open, 0o777))
	require.NoError(t, os.Chmod(open, 0o777))
	_, err = credentials.OpenDir(open)
	require.ErrorIs(t, err, credentials.ErrInsecurePermissions)
	assert.Contains(t, err.Error(), "fix it with: chmod go-w '"+open+"'")

	notDir := filepath.Join(root, "file")
	require.NoError(t, os.WriteFile(notDir, nil, 0o600))
	_, err = credentials.OpenDir(notDir)
	require.Error(t, err)
}

func TestDirPutThroughSymlink(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(root, "creds"), 0o700))
	d, err := credentials.OpenDir(filepath.Join(root, "creds"))
	require.NoError(t, err)
	vault := filepath.Join(root, "vault")
	require.NoError(t, os.Mkdir(vault, 0o700))
	target := filepath.Join(vault, "alice-real.ini")
	link, _ := d.Path("alice")
	require.NoError(t, os.Symlink("../vault/alice-real.ini", link)) // dangling until the first Put

	require.NoError(t, d.Put(testProfile("alice")))
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	assert.Equal(t, fs.ModeSymlink, fi.Mode()&fs.ModeSymlink, "the link stays a link")
	assert.Contains(t, readFile(t, target), "aws_access_key_id = AKIAIOSFODNN7EXAMPLE")
	assertMode(t, target, 0o600)
	got, err := d.Get("alice")
	require.NoError(t, err)
	assert.Equal(t, testProfile("alice"), got)

	require.NoError(t, d.Delete("alice"))
	_, err = os.Lstat(link)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	_, err = os.Stat(target)
	assert.NoError(t, err, "Delete removes the link, not what it names")
}

func TestDirConcurrentWriters(t *testing.T) {
	d, err := credentials.OpenDir(t.TempDir())
	require.NoError(t, err)
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 5 {
				p := testProfile(fmt.Sprintf("user%02d", i))
				p.Region = fmt.Sprintf("us-east-%d", j)
				assert.NoError(t, d.Put(p))
				shared := testProfile("shared")
				shared.Region = fmt.Sprintf("eu-west-%d", i)
				assert.NoError(t, d.Put(shared))
			}
		}()
	}
	wg.Wait()
	names, err := d.List()
	require.NoError(t, err)
	assert.Len(t, names, n+1)
	for i := range n {
		p, err := d.Get(fmt.Sprintf("user%02d", i))
		require.NoError(t, err)
		assert.Equal(t, "us-east-4", p.Region)
	}
	shared, _ := d.Path("shared")
	assert.Regexp(t, `^\[shared\]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = \S+\nregion = eu-west-\d+\n$`, readFile(t, shared))
}

func assertMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, want, fi.Mode().Perm(), "mode of %s", path)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}
