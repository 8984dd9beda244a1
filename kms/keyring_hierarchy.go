package kms

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kumo-go/kumo/internal/opts"
	"github.com/kumo-go/kumo/internal/redact"
)

// hierarchyProviderID is the provider ID of data keys wrapped by the
// hierarchical keyring; the provider info is the branch key ID.
const hierarchyProviderID = "aws-kms-hierarchy"

// The ciphertext of a hierarchical keyring's encrypted data key: the salt
// of the key derivation, the AES-GCM IV, the branch key version's UUID
// bytes, then the wrapped data key and its tag.
const (
	hSaltLen    = 16
	hVersionLen = 16
	hHeadLen    = hSaltLen + ivLen + hVersionLen
)

// BranchKeyIDSupplier chooses the branch key for a message from its
// encryption context (on decrypt, the context Decrypt was given together
// with what the message stores), so that one keyring serves many tenants,
// each under a branch key of its own.
type BranchKeyIDSupplier func(ctx context.Context, ec map[string]string) (string, error)

// HierarchicalKeyringOptions configure a [HierarchicalKeyring]. The zero
// value of each field means its documented default.
type HierarchicalKeyringOptions struct {
	// BranchKeyIDSupplier chooses the branch key per message; it must be
	// set when NewHierarchicalKeyring is given no branch key ID, and must
	// not be set when it is.
	BranchKeyIDSupplier BranchKeyIDSupplier

	// CacheTTL is how long a branch key read from the key store (one
	// DynamoDB GetItem and one KMS Decrypt) is used before it is read
	// again; default 5 minutes. A version made active by VersionBranchKey
	// is used for encryption once the cached active version expires.
	CacheTTL time.Duration

	// CacheCapacity is how many branch key versions the cache holds
	// (active versions for encrypt and versions for decrypt count
	// separately); default 1000. The least recently used go first.
	CacheCapacity int

	// Clock is the cache's time source; default time.Now.
	Clock func() time.Time

	// Rand is the source of data keys, salts and IVs; default crypto/rand.
	Rand io.Reader
}

// HierarchicalKeyring wraps data keys with branch keys kept in a
// [BranchKeyStore], as the official Encryption SDKs' AWS KMS hierarchical
// keyring does (framework/aws-kms/aws-kms-hierarchical-keyring.md): each
// data key is wrapped with AES-256-GCM under a key derived (NIST SP 800-108
// counter-mode KDF, HMAC-SHA256) from the branch key and a random salt,
// bound to the message's encryption context. Branch keys are cached, so
// KMS and DynamoDB are called once per branch key version per CacheTTL
// instead of once per message. Its messages decrypt with the official
// SDKs' hierarchical keyring on the same table, and theirs with it.
//
// On decrypt a message's data keys for its branch key cost one key store
// read (a DynamoDB GetItem, and a KMS Decrypt if the item exists) per
// version not cached, so a hostile message costs at most
// Options.MaxEncryptedDataKeys of them.
//
// A HierarchicalKeyring is safe for concurrent use. Its cache is its own:
// concurrent misses for one branch key each read the key store.
type HierarchicalKeyring struct {
	store *BranchKeyStore
	id    string
	opts  HierarchicalKeyringOptions

	mu    sync.Mutex
	cache map[string]*branchKeyEntry
	tick  uint64
}

type branchKeyEntry struct {
	bk      *branchKey
	created time.Time
	used    uint64
}

// NewHierarchicalKeyring returns a keyring that wraps data keys with branch
// key branchKeyID of store, or, when branchKeyID is "", with the branch
// key Options.BranchKeyIDSupplier chooses per message.
func NewHierarchicalKeyring(store *BranchKeyStore, branchKeyID string, optFns ...func(*HierarchicalKeyringOptions)) (*HierarchicalKeyring, error) {
	if store == nil {
		return nil, errors.New("kms: NewHierarchicalKeyring needs a branch key store")
	}
	o := HierarchicalKeyringOptions{}
	opts.Apply(&o, optFns)
	switch {
	case branchKeyID == "" && o.BranchKeyIDSupplier == nil:
		return nil, errors.New("kms: NewHierarchicalKeyring needs a branch key ID or Options.BranchKeyIDSupplier")
	case branchKeyID != "" && o.BranchKeyIDSupplier != nil:
		return nil, errors.New("kms: NewHierarchicalKeyring takes a branch key ID or Options.BranchKeyIDSupplier, not both")
	case !utf8.ValidString(branchKeyID):
		return nil, errors.New("kms: a branch key ID must be UTF-8")
	}
	switch {
	case o.CacheTTL == 0:
		o.CacheTTL = 5 * time.Minute
	case o.CacheTTL < 0:
		return nil, fmt.Errorf("kms: CacheTTL %v is negative", o.CacheTTL)
	}
	switch {
	case o.CacheCapacity == 0:
		o.CacheCapacity = 1000
	case o.CacheCapacity < 0:
		return nil, fmt.Errorf("kms: CacheCapacity %d is negative", o.CacheCapacity)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	return &HierarchicalKeyring{store: store, id: branchKeyID, opts: o, cache: map[string]*branchKeyEntry{}}, nil
}

// branchKeyID is the branch key for a message with context ec.
func (k *HierarchicalKeyring) branchKeyID(ctx context.Context, ec map[string]string) (string, error) {
	if k.id != "" {
		return k.id, nil
	}
	id, err := k.opts.BranchKeyIDSupplier(ctx, cloneContext(ec))
	if err != nil {
		return "", fmt.Errorf("kms: the branch key ID supplier: %w", err)
	}
	if id == "" || !utf8.ValidString(id) {
		return "", errors.New("kms: the branch key ID supplier returned an empty or non-UTF-8 ID")
	}
	return id, nil
}

// branchKey returns a branch key from the cache or, on a miss, the store:
// the active version when version is "", else that version.
func (k *HierarchicalKeyring) branchKey(ctx context.Context, id, version string) (*branchKey, error) {
	key := "encrypt\x00" + id
	if version != "" {
		key = "decrypt\x00" + id + "\x00" + version
	}
	now := k.opts.Clock()
	k.mu.Lock()
	if e, ok := k.cache[key]; ok {
		if now.Sub(e.created) < k.opts.CacheTTL && !now.Before(e.created) {
			k.tick++
			e.used = k.tick
			k.mu.Unlock()
			return e.bk, nil
		}
		delete(k.cache, key)
	}
	k.mu.Unlock()

	var bk *branchKey
	var err error
	if version == "" {
		bk, err = k.store.activeBranchKey(ctx, id)
	} else {
		bk, err = k.store.branchKeyVersion(ctx, id, version)
	}
	if err != nil {
		return nil, err
	}

	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.cache) >= k.opts.CacheCapacity {
		k.evict(now)
	}
	k.tick++
	k.cache[key] = &branchKeyEntry{bk: bk, created: now, used: k.tick}
	return bk, nil
}

// evict drops the expired entries or, if none, the least recently used.
// k.mu is held.
func (k *HierarchicalKeyring) evict(now time.Time) {
	var lru string
	var oldest uint64
	for key, e := range k.cache {
		if now.Sub(e.created) >= k.opts.CacheTTL {
			delete(k.cache, key)
			continue
		}
		if lru == "" || e.used < oldest {
			lru, oldest = key, e.used
		}
	}
	if len(k.cache) >= k.opts.CacheCapacity && lru != "" {
		delete(k.cache, lru)
	}
}

// OnEncrypt implements [Keyring].
func (k *HierarchicalKeyring) OnEncrypt(ctx context.Context, m *EncryptionMaterials) error {
	id, err := k.branchKeyID(ctx, m.EncryptionContext)
	if err != nil {
		return err
	}
	bk, err := k.branchKey(ctx, id, "")
	if err != nil {
		return err
	}
	dataKey := m.PlaintextDataKey
	if dataKey == nil {
		dataKey = make([]byte, m.Suite.KeyLength())
		if _, err := io.ReadFull(k.opts.Rand, dataKey); err != nil {
			return fmt.Errorf("kms: generating a data key: %w", err)
		}
	}
	aad, err := hierarchyAAD(id, bk.vbytes, m.EncryptionContext)
	if err != nil {
		return err
	}
	ct := make([]byte, hHeadLen, hHeadLen+len(dataKey)+tagLen)
	if _, err := io.ReadFull(k.opts.Rand, ct[:hSaltLen+ivLen]); err != nil {
		return fmt.Errorf("kms: generating a salt and IV: %w", err)
	}
	copy(ct[hSaltLen+ivLen:], bk.vbytes[:])
	gcm, err := hierarchyGCM(deriveBranchKey(bk.key, ct[:hSaltLen]))
	if err != nil {
		return err
	}
	ct = gcm.Seal(ct, ct[hSaltLen:hSaltLen+ivLen], dataKey, aad)
	m.PlaintextDataKey = dataKey
	m.EncryptedDataKeys = append(m.EncryptedDataKeys, EncryptedDataKey{ProviderID: hierarchyProviderID, ProviderInfo: []byte(id), Ciphertext: ct})
	return nil
}

// OnDecrypt implements [Keyring]. It tries the message's data keys wrapped
// for its branch key, in order, reading each branch key version it needs
// (through the cache).
func (k *HierarchicalKeyring) OnDecrypt(ctx context.Context, m *DecryptionMaterials, edks []EncryptedDataKey) error {
	if m.PlaintextDataKey != nil {
		return nil
	}
	id, err := k.branchKeyID(ctx, m.EncryptionContext)
	if err != nil {
		return err
	}
	var errs []error
	want := hHeadLen + m.Suite.KeyLength() + tagLen
	for i, e := range edks {
		if e.ProviderID != hierarchyProviderID || string(e.ProviderInfo) != id {
			continue
		}
		if len(e.Ciphertext) != want {
			errs = append(errs, fmt.Errorf("encrypted data key %d is %d bytes; suite %v makes %d", i+1, len(e.Ciphertext), m.Suite, want))
			continue
		}
		var vbytes [hVersionLen]byte
		copy(vbytes[:], e.Ciphertext[hSaltLen+ivLen:hHeadLen])
		bk, err := k.branchKey(ctx, id, formatUUID(vbytes))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, err)
			continue
		}
		aad, err := hierarchyAAD(id, vbytes, m.EncryptionContext)
		if err != nil {
			return err
		}
		gcm, err := hierarchyGCM(deriveBranchKey(bk.key, e.Ciphertext[:hSaltLen]))
		if err != nil {
			return err
		}
		key, err := gcm.Open(nil, e.Ciphertext[hSaltLen:hSaltLen+ivLen], e.Ciphertext[hHeadLen:], aad)
		if err != nil {
			errs = append(errs, fmt.Errorf("encrypted data key %d does not unwrap under branch key %q version %s and this encryption context", i+1, id, formatUUID(vbytes)))
			continue
		}
		m.PlaintextDataKey = key
		return nil
	}
	if len(errs) == 0 {
		return fmt.Errorf("%w: the message has no data key wrapped by branch key %q", ErrNoDataKey, id)
	}
	return fmt.Errorf("%w: %w", ErrNoDataKey, errors.Join(errs...))
}

// hierarchyAAD is the AAD of a data key's wrapping: the provider ID, the
// branch key ID, the version's bytes and the serialized encryption context.
func hierarchyAAD(id string, version [hVersionLen]byte, ec map[string]string) ([]byte, error) {
	ecBytes, err := serializeContext(ec)
	if err != nil {
		return nil, err
	}
	aad := make([]byte, 0, len(hierarchyProviderID)+len(id)+hVersionLen+len(ecBytes))
	aad = append(aad, hierarchyProviderID...)
	aad = append(aad, id...)
	aad = append(aad, version[:]...)
	return append(aad, ecBytes...), nil
}

// deriveBranchKey derives the 32-byte wrapping key from a branch key and a
// salt: NIST SP 800-108 KDF in counter mode with HMAC-SHA256, the label
// "aws-kms-hierarchy" and the salt as context. 32 bytes take one block:
// HMAC(branch key, counter 1 || label || 0x00 || salt || length in bits).
func deriveBranchKey(branchKey, salt []byte) []byte {
	mac := hmac.New(sha256.New, branchKey)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], 1)
	mac.Write(n[:])
	mac.Write([]byte(hierarchyProviderID))
	mac.Write([]byte{0})
	mac.Write(salt)
	binary.BigEndian.PutUint32(n[:], 256)
	mac.Write(n[:])
	return mac.Sum(nil)
}

// hierarchyGCM is AES-256-GCM under a derived wrapping key.
func hierarchyGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// String names the branch key (or the supplier) and the cache's size,
// never a branch key.
func (k *HierarchicalKeyring) String() string {
	k.mu.Lock()
	n := len(k.cache)
	k.mu.Unlock()
	return redact.Describe("HierarchicalKeyring", "store", k.store.String(), "branchKeyID", k.id,
		"supplier", k.opts.BranchKeyIDSupplier != nil, "cacheTTL", k.opts.CacheTTL, "cached", n)
}

// GoString is String qualified by the package, for %#v.
func (k *HierarchicalKeyring) GoString() string { return redact.GoString(k) }

// Format prints String under every verb, so no branch key is printed.
func (k *HierarchicalKeyring) Format(f fmt.State, verb rune) { redact.Format(f, verb, k) }

// LogValue logs String.
func (k *HierarchicalKeyring) LogValue() slog.Value { return redact.LogValue(k) }
