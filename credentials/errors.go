package credentials

import "errors"

var (
	// ErrInvalidProfileName is returned for a profile name that could not be
	// used safely as a section or file name. For a [Dir] the allowed names are
	// those of IAM users: 1 to 64 letters, digits and the characters +=,.@_-,
	// not starting with a dot.
	ErrInvalidProfileName = errors.New("credentials: invalid profile name")

	// ErrProfileNotFound is returned when a profile does not exist.
	ErrProfileNotFound = errors.New("credentials: profile not found")

	// ErrInsecurePermissions is returned when a credentials file can be read
	// by its group or by others, a folder for them can be written by others
	// (by its group too, for a [Dir]), a file or folder belongs to another
	// user, or a lock file is a link or not a regular file. The message says
	// what is safe to do about it: a chmod only where that is safe, never on
	// a folder shared by design such as /tmp.
	ErrInsecurePermissions = errors.New("credentials: insecure permissions")

	// ErrModifiedSinceRead is returned by [SharedFile.Save] when the file on
	// disk changed after it was read. Read it again, redo the change, and save.
	ErrModifiedSinceRead = errors.New("credentials: file modified since it was read")

	// ErrInvalidCredentials is returned for credentials that are missing a
	// field or whose fields have the wrong shape.
	ErrInvalidCredentials = errors.New("credentials: invalid credentials")
)
