package kms

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/kumo-go/kumo/internal/opts"
)

// CommitmentPolicy says which messages a Client decrypts.
type CommitmentPolicy int

const (
	// RequireCommitment, the default, decrypts only messages in suites that
	// commit to their data key (message format 2).
	RequireCommitment CommitmentPolicy = iota
	// AllowLegacyDecrypt also decrypts the legacy, non-committing suites of
	// message format 1, for reading old messages. Encryption still uses a
	// committing suite.
	AllowLegacyDecrypt
)

// Options configure a [Client]. The zero value of each field means its
// documented default. Here and in every kms function that takes option
// funcs, a nil option func is skipped.
type Options struct {
	// Suite is the algorithm suite to encrypt with: SuiteCommitted (the
	// default) or SuiteCommittedSigned.
	Suite Suite

	// FrameSize is the plaintext bytes per frame, 1 byte to 1 GiB; default
	// 4096, the Encryption SDK's own. Streams hold a few frames in memory.
	FrameSize int

	// MaxEncryptedDataKeys limits the encrypted data keys a message may
	// carry, on encrypt and on decrypt, where a message over the limit is
	// refused as soon as its count is read, before any keyring is asked;
	// default DefaultMaxEncryptedDataKeys (10). 65535, the format's own
	// limit, turns the limit off.
	MaxEncryptedDataKeys int

	// CommitmentPolicy says which suites decrypt; default RequireCommitment.
	CommitmentPolicy CommitmentPolicy

	// Concurrency is how many goroutines seal or open frames at once; default
	// GOMAXPROCS. 1 does all work on the caller's goroutine.
	Concurrency int

	// Cache, when set, reuses data keys across messages within its limits.
	Cache *Cache

	// MaxBodyLength is the largest frame, or non-framed body, that
	// DecryptReader and Rewrap buffer while they authenticate it (a frame's
	// plaintext cannot be released before its tag, at its end, verifies);
	// default DefaultMaxBodyLength (64 MiB). A message with a larger one
	// fails with ErrTooLarge before its bytes are read. Decrypt, which holds
	// the whole message already, is bounded by the message instead.
	MaxBodyLength int64

	// Rand is the source of message IDs, data keys and signing keys; default
	// crypto/rand.
	Rand io.Reader

	// RequiredEncryptionContextKeys are encryption-context keys that every
	// message is encrypted and decrypted with, and that the message
	// authenticates without storing them: the Encryption SDK's required
	// encryption context (its required-encryption-context CMM). Encrypt and
	// EncryptWriter fail unless their context has a value for each key;
	// the keyring binds its wrapping to the whole context and the header
	// tag covers the pairs, but only the other pairs are written. Decrypt
	// and DecryptReader fail unless their required pairs give a value for
	// each key, since the message does not carry them. Errors name missing
	// keys, never values. Keys follow the context's rules (not empty, UTF-8,
	// not starting with "aws-crypto-"). Default none: the whole context is
	// stored.
	RequiredEncryptionContextKeys []string
}

// DefaultMaxEncryptedDataKeys is the default of Options.MaxEncryptedDataKeys.
//
// The specification leaves the limit off by default, for compatibility;
// AWS's guidance for the Encryption SDK is to set it, most of all when
// messages may come from untrusted sources, to the number of wrapping keys
// messages are encrypted under: one encrypted data key per wrapping key,
// and its examples use 1 to 3. kumo sets a default instead of none: 10
// leaves room for multi-keyrings of several Regions and a recovery key, and
// bounds what a hostile message costs before anything is authenticated to
// 10 unwrap attempts (10 KMS Decrypt calls, or 10 RSA decryptions) instead
// of 65,535.
const DefaultMaxEncryptedDataKeys = 10

// Client encrypts and decrypts AWS Encryption SDK messages with a keyring.
// A Client is safe for concurrent use.
type Client struct {
	keyring   Keyring
	opts      Options
	partition [16]byte // separates this Client's entries in a shared Cache
}

// New returns a Client that wraps data keys with keyring; a nil keyring, or a
// nil pointer to one, is refused.
func New(keyring Keyring, optFns ...func(*Options)) (*Client, error) {
	if keyring == nil || nilPointer(keyring) {
		return nil, errors.New("kms: New needs a keyring")
	}
	o := Options{}
	opts.Apply(&o, optFns)
	if o.Suite == 0 {
		o.Suite = SuiteCommitted
	}
	if o.Suite != SuiteCommitted && o.Suite != SuiteCommittedSigned {
		return nil, fmt.Errorf("kms: kumo encrypts with SuiteCommitted (0x0478) or SuiteCommittedSigned (0x0578), not %v", o.Suite)
	}
	switch {
	case o.FrameSize == 0:
		o.FrameSize = 4096
	case o.FrameSize < 0 || o.FrameSize > 1<<30:
		return nil, fmt.Errorf("kms: frame size %d is outside 1 byte to 1 GiB", o.FrameSize)
	}
	switch {
	case o.MaxEncryptedDataKeys == 0:
		o.MaxEncryptedDataKeys = DefaultMaxEncryptedDataKeys
	case o.MaxEncryptedDataKeys < 0 || o.MaxEncryptedDataKeys > 0xffff:
		return nil, fmt.Errorf("kms: MaxEncryptedDataKeys %d is outside 1 to 65535 (0: the default, %d)", o.MaxEncryptedDataKeys, DefaultMaxEncryptedDataKeys)
	}
	if o.CommitmentPolicy != RequireCommitment && o.CommitmentPolicy != AllowLegacyDecrypt {
		return nil, fmt.Errorf("kms: unknown commitment policy %d; allowed are RequireCommitment (0, the default) and AllowLegacyDecrypt (1)", o.CommitmentPolicy)
	}
	if o.Concurrency <= 0 {
		o.Concurrency = runtime.GOMAXPROCS(0)
	}
	switch {
	case o.MaxBodyLength == 0:
		o.MaxBodyLength = DefaultMaxBodyLength
	case o.MaxBodyLength < 0:
		return nil, fmt.Errorf("kms: MaxBodyLength %d is negative", o.MaxBodyLength)
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.RequiredEncryptionContextKeys != nil {
		keys, err := requiredKeys(o.RequiredEncryptionContextKeys)
		if err != nil {
			return nil, err
		}
		o.RequiredEncryptionContextKeys = keys
	}
	c := &Client{keyring: keyring, opts: o}
	if _, err := io.ReadFull(rand.Reader, c.partition[:]); err != nil {
		return nil, err
	}
	return c, nil
}

// Encrypt encrypts plaintext under the encryption context ec and returns the
// whole message. The context is stored in the message unencrypted and must
// be given again (or at least its pairs that matter) to Decrypt; keys must
// not start with "aws-crypto-". The pairs of
// Options.RequiredEncryptionContextKeys are authenticated but not stored:
// Decrypt must be given them.
func (c *Client) Encrypt(ctx context.Context, plaintext []byte, ec map[string]string) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(plaintext) + len(plaintext)/c.opts.FrameSize*(4+ivLen+tagLen) + 1024)
	w, err := c.newEncryptWriter(ctx, &out, ec, int64(len(plaintext)))
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plaintext); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// Decrypt decrypts a whole message. required lists encryption-context pairs
// the message must have been encrypted with: a pair the message stores must
// match, and one it does not store must have been authenticated at encryption
// (the Encryption SDK's required encryption context); it must give a value
// for each of Options.RequiredEncryptionContextKeys. The plaintext is
// returned only once every frame and any signature verified.
func (c *Client) Decrypt(ctx context.Context, msg []byte, required map[string]string) ([]byte, error) {
	out, _, err := c.decryptAll(ctx, msg, required)
	return out, err
}

// DecryptWithHeader is Decrypt that also returns what the message's header
// says, all of it authenticated: the whole encryption context (the pairs
// stored and the required pairs authenticated without being stored), the
// suite, the frame length and the encrypted data keys' providers.
func (c *Client) DecryptWithHeader(ctx context.Context, msg []byte, required map[string]string) ([]byte, *DecryptedHeader, error) {
	out, r, err := c.decryptAll(ctx, msg, required)
	if err != nil {
		return nil, nil, err
	}
	return out, r.hdr.decrypted(), nil
}

func (c *Client) decryptAll(ctx context.Context, msg []byte, required map[string]string) ([]byte, *decryptReader, error) {
	r, err := c.newDecryptReader(ctx, bytes.NewReader(msg), required, int64(len(msg)))
	if err != nil {
		return nil, nil, err
	}
	out := make([]byte, 0, len(msg))
	for {
		if len(out) == cap(out) {
			out = append(out, 0)[:len(out)]
		}
		n, err := r.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if err == io.EOF {
			return out, r, nil
		}
		if err != nil {
			return nil, nil, err
		}
	}
}

// EncryptWriter returns a writer that encrypts what is written to it into
// dst as one message, frame by frame; Close writes the final frame (and the
// signature) and must be called. Memory stays a few frames whatever the
// size, and frames are sealed on up to Options.Concurrency goroutines.
func (c *Client) EncryptWriter(ctx context.Context, dst io.Writer, ec map[string]string) (io.WriteCloser, error) {
	w, err := c.newEncryptWriter(ctx, dst, ec, -1)
	if err != nil {
		return nil, err // a nil interface, not a nil *encryptWriter inside one
	}
	return w, nil
}

// DecryptReader returns a reader of the plaintext of the message read from
// src. Each frame's plaintext is released only after its tag verifies;
// truncation, a missing final frame and reordered or repeated frames are
// errors, never a short read. For signed suites the signature covers the
// whole message and is checked at the end: plaintext read before the reader
// returns io.EOF is unverified by the signature (though each frame is
// authenticated by its key), so act on it only after io.EOF. It reads
// ahead of the plaintext it returns, by up to a few batches of frames (see
// Streams in the package documentation).
func (c *Client) DecryptReader(ctx context.Context, src io.Reader, required map[string]string) (io.Reader, error) {
	r, err := c.newDecryptReader(ctx, src, required, -1)
	if err != nil {
		return nil, err // a nil interface, not a nil *decryptReader inside one
	}
	return r, nil
}

// DecryptReaderWithHeader is DecryptReader whose reader also reports the
// message's authenticated header ([DecryptedReader.Header]): at once for
// unsigned suites, whose header tag has verified before this returns; for
// signed suites only after Read (or WriteTo) has returned io.EOF, once the
// signature over the whole message has verified.
func (c *Client) DecryptReaderWithHeader(ctx context.Context, src io.Reader, required map[string]string) (*DecryptedReader, error) {
	r, err := c.newDecryptReader(ctx, src, required, -1)
	if err != nil {
		return nil, err
	}
	return &DecryptedReader{r: r}, nil
}

// encMaterials are encryption materials with the signing key that goes
// with their aws-crypto-public-key.
type encMaterials struct {
	EncryptionMaterials
	signKey *ecdsa.PrivateKey
}

// encryptionMaterials gets a data key and its encrypted copies for a message
// of size bytes (-1: unknown), from the cache when there is one.
func (c *Client) encryptionMaterials(ctx context.Context, ec map[string]string, size int64) (*encMaterials, error) {
	if err := checkContext(ec); err != nil {
		return nil, err
	}
	if err := missingKeys(c.opts.RequiredEncryptionContextKeys, ec, "the encryption context"); err != nil {
		return nil, err
	}
	if c.opts.Cache != nil {
		return c.opts.Cache.encryptionMaterials(ctx, c, ec, size)
	}
	return c.newEncryptionMaterials(ctx, ec)
}

func (c *Client) newEncryptionMaterials(ctx context.Context, ec map[string]string) (*encMaterials, error) {
	m := &encMaterials{EncryptionMaterials: EncryptionMaterials{Suite: c.opts.Suite, EncryptionContext: cloneContext(ec)}}
	if info, _ := c.opts.Suite.info(); info.curve != nil {
		priv, pub, err := newSigningKey(info.curve, c.opts.Rand)
		if err != nil {
			return nil, err
		}
		m.signKey = priv
		m.EncryptionContext[publicKeyKey] = pub
	}
	if err := c.keyring.OnEncrypt(ctx, &m.EncryptionMaterials); err != nil {
		return nil, err
	}
	if err := checkDataKey(m.Suite, m.PlaintextDataKey); err != nil {
		return nil, err
	}
	if err := c.checkEDKCount("the keyring produced", len(m.EncryptedDataKeys)); err != nil {
		return nil, err
	}
	return m, nil
}

// checkEDKCount applies Options.MaxEncryptedDataKeys to n keys; whose says
// where they come from. Messages being read are checked by readHeader, as
// soon as their count is read.
func (c *Client) checkEDKCount(whose string, n int) error {
	if n == 0 {
		return errors.New("kms: the keyring produced no encrypted data key")
	}
	return edkLimit(whose, n, c.opts.MaxEncryptedDataKeys)
}

func edkLimit(whose string, n, limit int) error {
	if limit > 0 && n > limit {
		return fmt.Errorf("%w: %s %d, the limit is %d (Options.MaxEncryptedDataKeys)", ErrTooManyEncryptedDataKeys, whose, n, limit)
	}
	return nil
}

// decryptionKey gets the data key for a message whose header is h, under
// the full encryption context ec, from the cache when there is one.
func (c *Client) decryptionKey(ctx context.Context, h *Header, ec map[string]string) ([]byte, error) {
	if c.opts.Cache != nil {
		return c.opts.Cache.decryptionKey(ctx, c, h, ec)
	}
	return c.newDecryptionKey(ctx, h, ec)
}

func (c *Client) newDecryptionKey(ctx context.Context, h *Header, ec map[string]string) ([]byte, error) {
	m := &DecryptionMaterials{Suite: h.Suite, EncryptionContext: ec}
	err := c.keyring.OnDecrypt(ctx, m, h.EncryptedDataKeys)
	if err == nil && m.PlaintextDataKey == nil {
		err = errors.New("the keyring returned no data key")
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, ErrNoDataKey) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrNoDataKey, err)
	}
	if err := checkDataKey(h.Suite, m.PlaintextDataKey); err != nil {
		return nil, err
	}
	return m.PlaintextDataKey, nil
}
