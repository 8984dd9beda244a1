//go:build unix

package credentials

import (
	"fmt"
	"io/fs"
	"os"
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

// checkOwner refuses a file or folder that belongs to another user: its
// owner could change or replace it. Root's are accepted, since root can do
// that anyway.
func checkOwner(path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if me := os.Geteuid(); int(st.Uid) != me && st.Uid != 0 {
		what := "file"
		switch {
		case fi.IsDir():
			what = "folder"
		case fi.Mode()&fs.ModeSymlink != 0:
			what = "link"
		}
		return fmt.Errorf("%w: %s %s belongs to user id %d, not to you (user id %d); use a %s of your own",
			ErrInsecurePermissions, what, path, st.Uid, me, what)
	}
	return nil
}

// checkPrivateDir refuses a folder that others can write, since they could
// replace the files in it, unless it is sticky; a private folder (a Dir)
// must not be writable by its group either, sticky or not. The advice it gives is safe to follow: a folder shared
// by design (sticky, such as /tmp) is never to be chmod-ed.
func checkPrivateDir(path string, fi fs.FileInfo, private bool) error {
	mask := fs.FileMode(0o002)
	if private {
		mask = 0o022
	}
	m := fi.Mode()
	if m.Perm()&mask == 0 {
		return nil
	}
	if !private && m&fs.ModeSticky != 0 {
		// In a sticky folder (/tmp) only a file's owner can replace it, and
		// the file and any link to it are checked to be the caller's: a
		// shared file may live there. A Dir may not.
		return nil
	}
	who := "others"
	if m.Perm()&0o002 == 0 {
		who = "its group"
	}
	if m&fs.ModeSticky != 0 {
		return fmt.Errorf("%w: folder %s is shared (writable by %s, mode %04o with the sticky bit); keep credentials in a folder of your own inside it, such as %s",
			ErrInsecurePermissions, path, who, m.Perm(), shellQuote(path+"/kumo-"+userName()))
	}
	return fmt.Errorf("%w: folder %s is writable by %s (mode %04o); if no one else needs to write there, fix it with: chmod go-w %s; otherwise use a new folder, which kumo creates with mode 0700",
		ErrInsecurePermissions, path, who, m.Perm(), shellQuote(path))
}

func userName() string {
	if u := os.Getenv("USER"); u != "" && shellQuote(u) == u {
		return u
	}
	return fmt.Sprint(os.Geteuid())
}

// openNoFollow opens a file for reading without following a final link and
// without blocking on a FIFO.
func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}

func lockFile(path string) (unlock func(), err error) {
	fd, err := syscall.Open(path, syscall.O_CREAT|syscall.O_RDWR|syscall.O_CLOEXEC|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o600)
	if err == syscall.ELOOP {
		return nil, fmt.Errorf("%w: lock file %s is a symbolic link; kumo never follows one there (remove the link)", ErrInsecurePermissions, path)
	}
	if err != nil {
		return nil, err
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		syscall.Close(fd)
		return nil, fmt.Errorf("%w: lock file %s is not a regular file", ErrInsecurePermissions, path)
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
