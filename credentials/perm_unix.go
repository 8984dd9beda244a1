//go:build unix

package credentials

import (
	"fmt"
	"io/fs"
	"syscall"
)

// checkPrivate refuses a credentials file that its group or others can read.
func checkPrivate(path string, fi fs.FileInfo) error {
	if m := fi.Mode().Perm(); m&0o077 != 0 {
		return fmt.Errorf("%w: %s is readable or writable by group or others (mode %04o); fix it with: chmod 600 %s",
			ErrInsecurePermissions, path, m, shellQuote(path))
	}
	return nil
}

// checkPrivateDir refuses a folder that its group or others can write, since
// they could replace the files in it.
func checkPrivateDir(path string, fi fs.FileInfo) error {
	if m := fi.Mode().Perm(); m&0o022 != 0 {
		return fmt.Errorf("%w: folder %s is writable by group or others (mode %04o); fix it with: chmod 700 %s",
			ErrInsecurePermissions, path, m, shellQuote(path))
	}
	return nil
}

func lockFile(path string) (unlock func(), err error) {
	fd, err := syscall.Open(path, syscall.O_CREAT|syscall.O_RDWR|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(fd, syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return func() { syscall.Close(fd) }, nil
}
