package credentials

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// resolve follows symbolic links to the file they name, even when that file
// does not exist yet, so a write through a link replaces its target and
// leaves the link in place.
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

// readSecret reads a credentials file, refusing one that its group or others
// can read. A missing file reads as fs.ErrNotExist.
func readSecret(path string) ([]byte, error) {
	return readFile(path, true)
}

// readFile reads a shared or profile file, bounded in size; private files
// must not be readable by group or others. Errors carry the package prefix,
// and a missing file is still fs.ErrNotExist to errors.Is.
func readFile(path string, private bool) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	if private {
		if err := checkPrivate(path, fi); err != nil {
			return nil, err
		}
	}
	return readAllLimited(f, path)
}

// maxFileSize bounds what is read of a shared file; real ones are a few KiB.
const maxFileSize = 16 << 20

func readAllLimited(f *os.File, path string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("credentials: %s is over the %d-byte limit for a credentials or config file", path, maxFileSize)
	}
	return data, nil
}

// writeAtomic replaces path with data: a 0600 temporary file in the same
// folder, written and synced, then renamed over the old one, so a reader sees
// the old file or the new one and a failure leaves the old one intact.
func writeAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
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
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	syncDir(dir)
	return nil
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
// by every process that edits path through this package.
func withLock(path string, fn func() error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	unlock, err := lockFile(lockPath(path))
	if err != nil {
		return fmt.Errorf("credentials: locking %s: %w", path, err)
	}
	defer unlock()
	return fn()
}
