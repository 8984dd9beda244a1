package credentials

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/config"
)

// FileKind says which of the two shared files a [SharedFile] is; they name
// their sections differently.
type FileKind int

const (
	// CredentialsFile is ~/.aws/credentials: sections are [name].
	CredentialsFile FileKind = iota
	// ConfigFile is ~/.aws/config: sections are [profile name], except
	// [default].
	ConfigFile
)

// String is "credentials file" or "config file", and FileKind(N) for any
// other value, which OpenSharedFile refuses.
func (k FileKind) String() string {
	switch k {
	case CredentialsFile:
		return "credentials file"
	case ConfigFile:
		return "config file"
	}
	return fmt.Sprintf("FileKind(%d)", int(k))
}

// SharedFile is ~/.aws/credentials or ~/.aws/config open for editing.
//
// Edits change only the lines they touch: comments, blank lines, the order
// of sections and keys, unknown settings (sso_session, role_arn, nested
// "s3 =" blocks) and values containing # or ; are written back as they were
// read, and a file saved without changes is not rewritten at all.
//
// A SharedFile is safe for concurrent use by goroutines. Between processes,
// [SharedFile.Save] detects a file changed by someone else since it was read
// and refuses to overwrite it.
type SharedFile struct {
	mu      sync.Mutex
	path    string
	kind    FileKind
	doc     *iniDoc
	orig    []byte
	existed bool
}

// OpenSharedCredentials opens the shared credentials file: the path in
// AWS_SHARED_CREDENTIALS_FILE, or ~/.aws/credentials.
func OpenSharedCredentials() (*SharedFile, error) {
	path := os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	if path == "" {
		path = config.DefaultSharedCredentialsFilename()
	}
	return OpenSharedFile(path, CredentialsFile)
}

// OpenSharedConfig opens the shared config file: the path in AWS_CONFIG_FILE,
// or ~/.aws/config.
func OpenSharedConfig() (*SharedFile, error) {
	path := os.Getenv("AWS_CONFIG_FILE")
	if path == "" {
		path = config.DefaultSharedConfigFilename()
	}
	return OpenSharedFile(path, ConfigFile)
}

// OpenSharedFile reads the file at path as the given kind. A file that does
// not exist yet opens empty and is created by Save. A credentials file that
// its group or others can read is refused with [ErrInsecurePermissions].
func OpenSharedFile(path string, kind FileKind) (*SharedFile, error) {
	if kind != CredentialsFile && kind != ConfigFile {
		return nil, fmt.Errorf("credentials: unknown FileKind %d; want CredentialsFile or ConfigFile", int(kind))
	}
	f := &SharedFile{path: path, kind: kind}
	data, err := readFile(path, kind == CredentialsFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		f.existed = true
	}
	f.orig = data
	f.doc = parseINI(data)
	return f, nil
}

// Path returns the file's path as it was opened.
func (f *SharedFile) Path() string { return f.path }

// Kind returns whether this is a credentials or a config file.
func (f *SharedFile) Kind() FileKind { return f.kind }

// Bytes returns the file as Save would write it.
func (f *SharedFile) Bytes() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.doc.bytes()
}

// header is the section name profile name has in this kind of file.
func (f *SharedFile) header(name string) string {
	if f.kind == ConfigFile && name != "default" {
		return "profile " + name
	}
	return name
}

// match finds profile name's sections. In a config file [default] and
// [profile default] are both the default profile, except that, as in the
// SDK, any [profile default] section hides every [default] one; the words
// of a header may be separated by any white space.
func (f *SharedFile) match(name string) func(string) bool {
	if f.kind == CredentialsFile {
		return matchExact(name)
	}
	if name == "default" && f.doc.lastSection(matchExact("profile default")) >= 0 {
		return matchExact("profile default")
	}
	return func(s string) bool { n, ok := configProfile(s); return ok && n == name }
}

// configProfile returns the profile a config-file section header names.
// As in botocore, the name is all that follows the word "profile", so it
// may itself hold spaces.
func configProfile(section string) (string, bool) {
	if section == "default" {
		return section, true
	}
	word, rest, ok := strings.Cut(section, " ")
	if !ok {
		word, rest, ok = strings.Cut(section, "\t")
	}
	rest = strings.TrimSpace(rest)
	if ok && word == "profile" && rest != "" {
		return rest, true
	}
	return "", false
}

// Profiles lists the profiles in the file in the order they first appear.
// In a config file, sections that are not profiles ([sso-session x],
// [services x]) are left out.
func (f *SharedFile) Profiles() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, l := range f.doc.lines {
		if l.kind == lineSection {
			n++
		}
	}
	names := make([]string, 0, n)
	for _, l := range f.doc.lines {
		if l.kind != lineSection {
			continue
		}
		name := f.doc.section(l)
		if f.kind == ConfigFile {
			var ok bool
			if name, ok = configProfile(name); !ok {
				continue
			}
		}
		names = append(names, name)
	}
	// Keep each name's first appearance: sorting indices costs less memory
	// than a map when a hostile file holds millions of sections.
	idx := make([]int32, len(names))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		if c := strings.Compare(names[a], names[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	first := make([]bool, len(names))
	for k, i := range idx {
		first[i] = k == 0 || names[idx[k-1]] != names[i]
	}
	out := names[:0]
	for i, name := range names {
		if first[i] {
			out = append(out, name)
		}
	}
	return out
}

// Get returns what the file says of profile name: credentials, expiry and
// region, each empty when the file does not set it. It fails with
// [ErrProfileNotFound] when the file has no such profile.
func (f *SharedFile) Get(name string) (Profile, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.match(name)
	if f.doc.lastSection(m) < 0 {
		return Profile{}, fmt.Errorf("%w: %q is not in %s", ErrProfileNotFound, name, f.path)
	}
	return readProfile(f.doc, m, name)
}

// Value returns one setting of profile name, and whether it is set.
func (f *SharedFile) Value(name, key string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.doc.value(f.match(name), strings.ToLower(key))
}

// Set writes the parts of p that belong in this kind of file, adding the
// profile when it is new. In a credentials file these are the access key
// ID, secret, session token, expiry and account ID (a profile without a
// token, expiry or account ID loses any it had); in a config file, the
// region, when p has one. Nothing is written to disk until Save.
func (f *SharedFile) Set(p Profile) error {
	if err := checkSectionName(p.Name); err != nil {
		return err
	}
	if err := checkRegion(p.Region); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	m, h := f.match(p.Name), f.header(p.Name)
	if f.kind == CredentialsFile {
		if err := p.checkForFile(); err != nil {
			return err
		}
		setCredentials(f.doc, m, h, p)
		return nil
	}
	if p.Region != "" {
		f.doc.set(m, h, keyRegion, p.Region)
	} else {
		f.doc.ensure(m, h)
	}
	return nil
}

// SetKey sets one setting of profile name, such as "output" in a config
// file, adding the profile when it is new.
func (f *SharedFile) SetKey(name, key, value string) error {
	if err := checkSectionName(name); err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return err
	}
	if err := checkValue(key, value); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.doc.set(f.match(name), f.header(name), strings.ToLower(key), value)
	return nil
}

// RemoveKey removes one setting of profile name and reports whether it was
// set.
func (f *SharedFile) RemoveKey(name, key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.doc.unset(f.match(name), strings.ToLower(key))
}

// Remove deletes profile name's sections and reports whether there were
// any. Comments that follow the section's last setting are kept, since they
// usually belong to what comes next.
func (f *SharedFile) Remove(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.doc.remove(f.match(name))
}

// Save writes the edits back: atomically, with mode 0600, following a
// symbolic link to the file it names (into an existing folder only), and
// under the same lock as other writers in this package. If the file changed
// on disk since it was read, Save writes nothing and returns
// [ErrModifiedSinceRead]. With no edits it writes nothing at all and creates
// no file or folder. The file keeps its line endings (LF, CRLF or CR).
func (f *SharedFile) Save() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	data := f.doc.bytes()
	if bytes.Equal(data, f.orig) {
		return nil
	}
	target, err := writeTarget(f.path)
	if err != nil {
		return err
	}
	if target == f.path {
		if err := mkdirPrivate(filepath.Dir(target)); err != nil {
			return err
		}
	}
	return withLock(target, false, func() error {
		cur, err := readTarget(target, false)
		exists := err == nil
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if exists != f.existed || !bytes.Equal(cur, f.orig) {
			return fmt.Errorf("%w: %s; read it again and redo the change", ErrModifiedSinceRead, f.path)
		}
		if err := writeAtomic(target, data); err != nil {
			return err
		}
		f.orig, f.existed = data, true
		return nil
	})
}
