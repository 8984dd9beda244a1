package credentials

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Dir is a folder of credentials files, one per profile: <dir>/<name>.ini,
// each in the format of ~/.aws/credentials with a single [name] section.
//
// A Dir is safe for concurrent use, by goroutines and by processes: writes
// to one file take a lock, and readers see a whole old file or a whole new
// one.
type Dir struct {
	path string
}

// OpenDir opens the folder at path, creating it (and its parents) with mode
// 0700 when it does not exist. An existing folder that its group or others
// can write is refused with [ErrInsecurePermissions].
func OpenDir(path string) (*Dir, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("credentials: %s is not a folder", abs)
	}
	if err := checkPrivateDir(abs, fi); err != nil {
		return nil, err
	}
	return &Dir{path: abs}, nil
}

// Root returns the folder's absolute path.
func (d *Dir) Root() string { return d.path }

// Path returns the file that holds profile name. It fails with
// [ErrInvalidProfileName] for a name that is not 1 to 64 letters, digits
// and +=,.@_- (not starting with a dot), so no name can reach outside the
// folder.
func (d *Dir) Path(name string) (string, error) {
	if err := checkDirName(name); err != nil {
		return "", err
	}
	return filepath.Join(d.path, name+".ini"), nil
}

// Put writes p to its file, replacing the profile's credentials and keeping
// any other settings the file holds. An empty Region keeps the region the
// file had; a profile without a session token or expiry loses any it had,
// since those belong to the old credentials. The write is atomic, the file is
// 0600, and a symbolic link is followed to the file it names.
func (d *Dir) Put(p Profile) error {
	path, err := d.Path(p.Name)
	if err != nil {
		return err
	}
	if err := p.checkCredentials(); err != nil {
		return err
	}
	if err := checkRegion(p.Region); err != nil {
		return err
	}
	target, err := resolve(path)
	if err != nil {
		return err
	}
	return withLock(target, func() error {
		old, err := os.ReadFile(target)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("credentials: %w", err)
		}
		doc := parseINI(old)
		match := matchExact(p.Name)
		setCredentials(doc, match, p.Name, p)
		if p.Region != "" {
			doc.set(match, p.Name, keyRegion, p.Region)
		}
		return writeAtomic(target, doc.bytes())
	})
}

// Get reads profile name. It fails with [ErrProfileNotFound] when there is
// no such file or section, [ErrInsecurePermissions] when the file can be read
// by group or others, and [ErrInvalidCredentials] when it lacks a key.
func (d *Dir) Get(name string) (Profile, error) {
	path, err := d.Path(name)
	if err != nil {
		return Profile{}, err
	}
	data, err := readSecret(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Profile{}, fmt.Errorf("%w: %q (no file %s)", ErrProfileNotFound, name, path)
	}
	if err != nil {
		return Profile{}, err
	}
	doc := parseINI(data)
	match := matchExact(name)
	if len(doc.sections(match)) == 0 {
		return Profile{}, fmt.Errorf("%w: %q (%s has no [%s] section)", ErrProfileNotFound, name, path, name)
	}
	p, err := readProfile(doc, match, name)
	if err != nil {
		return Profile{}, err
	}
	if err := p.checkCredentials(); err != nil {
		return Profile{}, fmt.Errorf("%s, profile %q: %w", path, name, err)
	}
	return p, nil
}

// List returns the names of the profiles in the folder, sorted.
func (d *Dir) List() ([]string, error) {
	entries, err := os.ReadDir(d.path)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	var names []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".ini")
		if !ok || checkDirName(name) != nil || e.IsDir() {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// Delete removes profile name's file (a symbolic link itself, not what it
// names). It fails with [ErrProfileNotFound] when there is none.
func (d *Dir) Delete(name string) error {
	path, err := d.Path(name)
	if err != nil {
		return err
	}
	target, err := resolve(path)
	if err != nil {
		return err
	}
	return withLock(target, func() error {
		err := os.Remove(path)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %q (no file %s)", ErrProfileNotFound, name, path)
		}
		if err != nil {
			return fmt.Errorf("credentials: %w", err)
		}
		syncDir(d.path)
		return nil
	})
}

// Env returns the environment settings that point the AWS CLI and SDKs at
// profile name's file: AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE, as
// "KEY=value" strings ready for exec.Cmd.Env.
func (d *Dir) Env(name string) ([]string, error) {
	path, err := d.Path(name)
	if err != nil {
		return nil, err
	}
	return []string{"AWS_SHARED_CREDENTIALS_FILE=" + path, "AWS_PROFILE=" + name}, nil
}

// LoadConfig loads an aws.Config with config.LoadDefaultConfig from profile
// name's file alone: the shared config file and credentials in the
// environment are not consulted, so nothing else can mix in. The profile's
// region is the default region. optFns go last and so can override any of
// this.
func (d *Dir) LoadConfig(ctx context.Context, name string, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
	p, err := d.Get(name)
	if err != nil {
		return aws.Config{}, err
	}
	path, _ := d.Path(name)
	opts := []func(*config.LoadOptions) error{
		config.WithSharedCredentialsFiles([]string{path}),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedConfigProfile(name),
	}
	if p.Region != "" {
		opts = append(opts, config.WithRegion(p.Region))
	}
	return config.LoadDefaultConfig(ctx, append(opts, optFns...)...)
}
