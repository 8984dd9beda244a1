package credentials

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// How files are touched, whatever calls in:
//   - a symbolic link the caller pointed at (~/.aws/credentials linked into a
//     dotfiles repository, a profile file linked elsewhere) is resolved
//     explicitly, hop by hop; the file it ends at is then opened with
//     O_NOFOLLOW, so a link swapped in meanwhile makes the open fail;
//   - the folder that file lives in must exist (no folder is ever created at
//     the far end of a link), and must belong to the caller or to root;
//   - lock files are opened with O_NOFOLLOW and must be regular files;
//     temporary files are created with O_EXCL, which never follows a link;
//   - only regular files are read, and at most maxFileSize bytes of them.

// resolve follows symbolic links to the file they name, even when that file
// does not exist yet, so a write through a link replaces its target and
// leaves the link in place. Links that belong to another user are refused.
func resolve(path string) (string, error) {
	for range 40 {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return path, nil
		}
		if err != nil {
			return "", fmt.Errorf("credentials: %w", err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		// A link someone else made (in /tmp, say) could point a write at
		// any file of ours: only the caller's and root's links are followed.
		if err := checkOwner(path, fi); err != nil {
			return "", err
		}
		target, err := os.Readlink(path)
		if err != nil {
			return "", fmt.Errorf("credentials: %w", err)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	return "", fmt.Errorf("credentials: %s: too many levels of symbolic links", path)
}

// readFile reads a shared or profile file, following the caller's links,
// bounded in size; private files must not be readable by group or others.
// Errors carry the package prefix, and a missing file is still
// fs.ErrNotExist to errors.Is.
func readFile(path string, private bool) ([]byte, error) {
	target, err := resolve(path)
	if err != nil {
		return nil, err
	}
	if err := checkFolder(filepath.Dir(target), false); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return readTarget(target, private)
}

// readTarget reads a file that is not a link, bounded in size.
func readTarget(target string, private bool) ([]byte, error) {
	f, err := openNoFollow(target)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("credentials: %s is not a regular file (mode %s); credentials and config files must be", target, fi.Mode().Type())
	}
	if err := checkOwner(target, fi); err != nil {
		return nil, err
	}
	if private {
		if err := checkPrivate(target, fi); err != nil {
			return nil, err
		}
	}
	return readAllLimited(f, target, fi.Size())
}

// maxFileSize bounds what is read of a shared file; real ones are a few KiB.
const maxFileSize = 16 << 20

// readAllLimited reads at most maxFileSize+1 bytes, into a buffer sized from
// the file's size when that is known.
func readAllLimited(f *os.File, path string, size int64) ([]byte, error) {
	buf := bytes.NewBuffer(make([]byte, 0, min(max(size, 0), maxFileSize)+bytes.MinRead))
	_, err := buf.ReadFrom(io.LimitReader(f, maxFileSize+1))
	data := buf.Bytes()
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("credentials: %s is over the %d-byte limit for a credentials or config file", path, maxFileSize)
	}
	return data, nil
}

// testHookBeforeRename, when set by a test, runs after the temporary file
// is written and before it replaces the target.
var testHookBeforeRename func(tmp string)

// tempPrefix is how the temporary files for path begin; os.CreateTemp
// follows it with digits only.
func tempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp-" }

// writeAtomic replaces path with data: a 0600 temporary file in the same
// folder, written and synced, then renamed over the old one, so a reader sees
// the old file or the new one and a failure leaves the old one intact. It
// runs under path's lock, and first removes the temporary files that a
// writer killed before its rename left behind.
func writeAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	removeStaleTemps(dir, tempPrefix(path))
	tmp, err := os.CreateTemp(dir, tempPrefix(path)+"*") // O_EXCL: never follows a link
	if err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("credentials: writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("credentials: writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("credentials: writing %s: %w", path, err)
	}
	if testHookBeforeRename != nil {
		testHookBeforeRename(tmp.Name())
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	syncDir(dir)
	return nil
}

// removeStaleTemps removes dir/<prefix><digits>: a temporary file only a
// writer holding the same lock makes, so one found under the lock is left
// over from a crash. Anything else is left alone.
func removeStaleTemps(dir, prefix string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || rest == "" || e.IsDir() || strings.Trim(rest, "0123456789") != "" {
			continue
		}
		_ = os.Remove(filepath.Join(dir, e.Name())) // unlinks a link itself, never its target
	}
}

// syncDir makes a rename durable; where folders cannot be synced it does
// nothing, as the rename itself is still atomic.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// lockPath is the lock file guarding path: beside it, hidden, and never
// removed, since removing a lock file races with the next locker.
func lockPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".lock")
}

// withLock runs fn holding the exclusive lock on path's lock file, shared
// by every process that edits path through this package. path's folder
// must exist and pass checkFolder.
func withLock(path string, private bool, fn func() error) error {
	if err := checkFolder(filepath.Dir(path), private); err != nil {
		return err
	}
	unlock, err := lockFile(lockPath(path))
	if err != nil {
		return fmt.Errorf("credentials: locking %s: %w", path, err)
	}
	defer unlock()
	return fn()
}

// checkFolder checks the folder a file is written or read in: it must be a
// folder, belong to the caller or to root, and not be writable by others
// (nor by its group, when private). A missing folder is fs.ErrNotExist.
func checkFolder(dir string, private bool) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("credentials: %s is not a folder", dir)
	}
	if err := checkOwner(dir, fi); err != nil {
		return err
	}
	return checkPrivateDir(dir, fi, private)
}

// mkdirPrivate creates dir and its missing parents with mode 0700. It is
// used only for a path the caller gave, never for the far end of a link.
func mkdirPrivate(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	return nil
}

// writeTarget returns where a write to path lands: path itself, or the
// file its links end at. That must be a regular file or nothing yet, and a
// link's target must be in an existing folder. Nothing is created or locked
// before these checks pass.
func writeTarget(path string) (string, error) {
	target, err := resolve(path)
	if err != nil {
		return "", err
	}
	if err := targetFolderExists(path, target); err != nil {
		return "", err
	}
	fi, err := os.Lstat(target)
	if err == nil && !fi.Mode().IsRegular() {
		return "", fmt.Errorf("credentials: %s is not a regular file (mode %s); credentials and config files must be", target, fi.Mode().Type())
	}
	return target, nil
}

// targetFolderExists refuses a write through a link whose target's folder
// is missing: kumo creates folders only where the caller's own path says.
func targetFolderExists(path, target string) error {
	if target == path {
		return nil
	}
	if _, err := os.Stat(filepath.Dir(target)); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("credentials: %s is a link to %s, whose folder does not exist; create it first (kumo creates no folders at the far end of a link): %w", path, target, fs.ErrNotExist)
	}
	return nil
}
