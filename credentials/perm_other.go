//go:build !unix

package credentials

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// On systems without Unix permission bits, files are protected by their
// folder's access control lists, which this package does not inspect.
func checkPrivate(string, fs.FileInfo) error          { return nil }
func checkOwner(string, fs.FileInfo) error            { return nil }
func checkPrivateDir(string, fs.FileInfo, bool) error { return nil }
func openNoFollow(path string) (*os.File, error)      { return os.Open(path) }

// lockFile takes the lock by creating the lock file exclusively, waiting up
// to a minute for another holder to finish.
func lockFile(path string) (unlock func(), err error) {
	deadline := time.Now().Add(time.Minute)
	for {
		f, err := os.OpenFile(path+".x", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			f.Close()
			return func() { os.Remove(path + ".x") }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s.x is still held after a minute; remove it if no other program is saving", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
