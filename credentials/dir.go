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

	"github.com/kumo-go/kumo/internal/opts"
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

// OpenDir opens the folder at path. It does not create it: the first
// [Dir.Put] does, with mode 0700 (and its missing parents), so reading
// from a mistyped path never leaves folders behind. An empty path is
// refused, as is an existing folder that belongs to another user or that
// its group or others can write ([ErrInsecurePermissions]).
func OpenDir(path string) (*Dir, error) {
	if path == "" {
		return nil, errors.New("credentials: empty folder path; give the folder that holds (or is to hold) the profile files")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	d := &Dir{path: abs}
	if err := d.check(); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return d, nil
}

// check checks the folder as it is now: a folder, the caller's or root's,
// writable by nobody else.
func (d *Dir) check() error {
	return checkFolder(d.path, true)
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
// file had; a profile without a session token, expiry or account ID loses
// any it had, since those belong to the old credentials. The write is atomic and the file is 0600. The folder is
// created (0700) when it does not exist yet.
//
// A symbolic link in the folder is followed to the file it names, but only
// into an existing folder that passes the same checks as the Dir's own;
// Put creates no folder at the far end of a link. Lock and temporary files
// never follow links, and temporary files a crashed writer left behind are
// removed under the lock.
func (d *Dir) Put(p Profile) error {
	path, err := d.Path(p.Name)
	if err != nil {
		return err
	}
	if err := p.checkForFile(); err != nil {
		return err
	}
	if err := checkRegion(p.Region); err != nil {
		return err
	}
	if err := mkdirPrivate(d.path); err != nil {
		return err
	}
	target, err := writeTarget(path)
	if err != nil {
		return err
	}
	return withLock(target, true, func() error {
		old, err := readTarget(target, false) // Put mends a file with loose permissions
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
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
// no such folder, file or section, [ErrInsecurePermissions] when the file
// can be read by group or others or it or its folder belongs to another
// user, and [ErrInvalidCredentials] when it lacks a key.
func (d *Dir) Get(name string) (Profile, error) {
	p, _, err := d.load(name)
	return p, err
}

// load reads profile name and returns the parsed file too.
func (d *Dir) load(name string) (_ Profile, doc *iniDoc, _ error) {
	path, err := d.Path(name)
	if err != nil {
		return Profile{}, nil, err
	}
	data, err := d.read(path)
	if _, serr := os.Stat(d.path); errors.Is(err, fs.ErrNotExist) && errors.Is(serr, fs.ErrNotExist) {
		return Profile{}, nil, fmt.Errorf("%w: %q (no folder %s)", ErrProfileNotFound, name, d.path)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return Profile{}, nil, fmt.Errorf("%w: %q (no file %s)", ErrProfileNotFound, name, path)
	}
	if err != nil {
		return Profile{}, nil, err
	}
	doc = parseINI(data)
	match := matchExact(name)
	if doc.lastSection(match) < 0 {
		return Profile{}, nil, fmt.Errorf("%w: %q (%s has no [%s] section)", ErrProfileNotFound, name, path, name)
	}
	p, err := readProfile(doc, match, name)
	if err != nil {
		return Profile{}, nil, err
	}
	if err := p.checkCredentials(); err != nil {
		return Profile{}, nil, fmt.Errorf("%s, profile %q: %w", path, name, err)
	}
	return p, doc, nil
}

// read reads a profile file: the folder it ends up in, through any link,
// must pass the Dir's checks, and the file must be private.
func (d *Dir) read(path string) ([]byte, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	target, err := resolve(path)
	if err != nil {
		return nil, err
	}
	if target != path {
		if err := checkFolder(filepath.Dir(target), true); err != nil {
			return nil, err
		}
	}
	return readTarget(target, true)
}

// List returns the names of the profiles in the folder, sorted. A folder
// that does not exist yet is an error that wraps fs.ErrNotExist.
func (d *Dir) List() ([]string, error) {
	if err := d.check(); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("credentials: folder %s: %w (Put creates it)", d.path, fs.ErrNotExist)
		}
		return nil, err
	}
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
	if err := d.check(); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %q (no folder %s)", ErrProfileNotFound, name, d.path)
		}
		return err
	}
	target, err := resolve(path)
	if err != nil {
		return err
	}
	if _, err := writeTarget(path); err != nil || checkFolder(filepath.Dir(target), true) != nil {
		target = path // lock beside the link itself
	}
	return withLock(target, true, func() error {
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

// LoadConfig loads an aws.Config with config.LoadDefaultConfig for profile
// name, with its credentials and region taken from the profile's file alone,
// exactly as [Dir.Get] reads them: credentials in the environment,
// AWS_PROFILE, AWS_REGION, AWS_DEFAULT_REGION and the shared config file are
// not consulted, and a profile without a region leaves cfg.Region empty
// unless an optFn sets one. Every other setting (retries, endpoints, CA
// bundle, ...) resolves as LoadDefaultConfig resolves it: optFns first, then
// AWS_* environment variables, then the profile's file. A file the SDK's own
// loader would crash on (a value that is a lone quote) is refused first.
// optFns go last and so can override any of this; nil ones are skipped.
func (d *Dir) LoadConfig(ctx context.Context, name string, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
	p, doc, err := d.load(name)
	if err != nil {
		return aws.Config{}, err
	}
	path, _ := d.Path(name)
	if line := sdkCrashLine(doc); line > 0 {
		return aws.Config{}, fmt.Errorf("credentials: %s line %d has a value that is a lone quote, on which aws-sdk-go-v2's loader crashes; remove or fix that line", path, line)
	}
	creds := p.Credentials()
	load := []func(*config.LoadOptions) error{
		config.WithSharedCredentialsFiles([]string{path}),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedConfigProfile(name),
		config.WithCredentialsProvider(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return creds, nil
		})),
	}
	if p.Region != "" {
		load = append(load, config.WithRegion(p.Region))
	}
	// The last option sees what the caller's options chose.
	callerRegion := false
	load = append(append(load, opts.NonNilErr(optFns)...), func(o *config.LoadOptions) error {
		callerRegion = o.Region != "" || o.DefaultRegion != ""
		return nil
	})
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return aws.Config{}, err
	}
	if p.Region == "" && !callerRegion {
		cfg.Region = ""
	}
	return cfg, nil
}
