package kms

import "errors"

var (
	// ErrAuthentication is returned when a header, a frame or a signature does
	// not authenticate: the message was altered, truncated, reordered, or is
	// being read with the wrong key or encryption context.
	ErrAuthentication = errors.New("kms: message failed authentication")

	// ErrMalformed is returned for bytes that are not an AWS Encryption SDK
	// message, or not one this package can read.
	ErrMalformed = errors.New("kms: malformed message")

	// ErrCommitmentPolicy is returned for a message in a suite that does not
	// commit to its key while the commitment policy requires one.
	ErrCommitmentPolicy = errors.New("kms: commitment policy forbids this suite")

	// ErrEncryptionContext is returned when the encryption context is invalid
	// (a reserved key, a pair too long) or a required pair does not match.
	ErrEncryptionContext = errors.New("kms: encryption context")

	// ErrTooManyEncryptedDataKeys is returned when a message carries more
	// encrypted data keys than Options.MaxEncryptedDataKeys allows.
	ErrTooManyEncryptedDataKeys = errors.New("kms: too many encrypted data keys")

	// ErrTooLarge is returned for a message with a frame, or a non-framed
	// body, larger than Options.MaxBodyLength allows a reader to buffer.
	ErrTooLarge = errors.New("kms: message frame too large")

	// ErrNoDataKey is returned when no keyring could decrypt any of the
	// message's encrypted data keys. It wraps what each keyring said.
	ErrNoDataKey = errors.New("kms: no keyring could decrypt a data key")
)

// ErrHeaderNotAuthenticated is returned by [DecryptedReader.Header] for a
// message in a signed suite that has not yet been read to io.EOF: its
// signature, which authenticates the header, is at the end.
var ErrHeaderNotAuthenticated = errors.New("kms: the header of a signed message is authenticated only once the message is read to io.EOF")
