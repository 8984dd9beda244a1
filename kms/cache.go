package kms

import (
	"context"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/kumo-go/kumo/internal/opts"
)

// CacheOptions configure a [Cache]. Zero values mean the defaults.
type CacheOptions struct {
	// MaxAge is how long an entry may be used after its data key was made;
	// default 5 minutes.
	MaxAge time.Duration
	// MaxMessages is how many messages one data key may encrypt; default
	// 2^32, the Encryption SDK's.
	MaxMessages int64
	// MaxBytes is how many plaintext bytes one data key may encrypt; default
	// no limit. With a limit, EncryptWriter (whose size is unknown when its
	// key is chosen) bypasses the cache.
	MaxBytes int64
	// Capacity is how many entries the cache holds; default 1000. The least
	// recently used go first.
	Capacity int
	// Clock is the time source; default time.Now.
	Clock func() time.Time
}

// Cache reuses data keys across messages, so that many messages cost one
// KMS call: encrypt entries are keyed by the encryption context (and suite),
// decrypt entries by the encrypted data keys and context. Concurrent misses
// on the same entry wait for one keyring call (single flight). An entry past
// MaxAge, MaxMessages or MaxBytes is never served again.
//
// A Cache is safe for concurrent use and may be shared by Clients; each
// Client's entries are its own.
type Cache struct {
	opts CacheOptions

	mu      sync.Mutex
	entries map[[64]byte]*cacheEntry
	flights map[[64]byte]chan struct{}
	tick    uint64
}

type cacheEntry struct {
	enc      *encMaterials
	dataKey  []byte
	created  time.Time
	messages int64
	bytes    int64
	used     uint64
}

// NewCache returns an empty cache.
func NewCache(optFns ...func(*CacheOptions)) (*Cache, error) {
	o := CacheOptions{}
	opts.Apply(&o, optFns)
	if o.MaxAge == 0 {
		o.MaxAge = 5 * time.Minute
	}
	if o.MaxMessages == 0 {
		o.MaxMessages = 1 << 32
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = math.MaxInt64
	}
	if o.Capacity == 0 {
		o.Capacity = 1000
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.MaxAge < 0 || o.MaxMessages < 0 || o.MaxBytes < 0 || o.Capacity < 0 {
		return nil, errors.New("kms: cache limits must not be negative")
	}
	return &Cache{opts: o, entries: map[[64]byte]*cacheEntry{}, flights: map[[64]byte]chan struct{}{}}, nil
}

// Len returns how many entries the cache holds, usable or not.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// usable reports whether e may serve one more message of size bytes (-1 for
// a decrypt), and charges it if so. c.mu is held.
func (c *Cache) use(e *cacheEntry, size int64) bool {
	if c.opts.Clock().Sub(e.created) >= c.opts.MaxAge {
		return false
	}
	if size >= 0 {
		if e.messages >= c.opts.MaxMessages || e.bytes > c.opts.MaxBytes-size {
			return false
		}
		e.messages++
		e.bytes += size
	}
	c.tick++
	e.used = c.tick
	return true
}

// get serves key from the cache or fills it with fill, one fill at a time
// per key.
func (c *Cache) get(ctx context.Context, key [64]byte, size int64, fill func() (*cacheEntry, error)) (*cacheEntry, error) {
	for {
		c.mu.Lock()
		if e, ok := c.entries[key]; ok {
			if c.use(e, size) {
				c.mu.Unlock()
				return e, nil
			}
			delete(c.entries, key)
		}
		if wait, ok := c.flights[key]; ok {
			c.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		done := make(chan struct{})
		c.flights[key] = done
		c.mu.Unlock()

		e, err := fill()

		c.mu.Lock()
		delete(c.flights, key)
		if err == nil {
			e.created = c.opts.Clock()
			c.use(e, size)
			c.entries[key] = e
			c.evict()
		}
		close(done)
		c.mu.Unlock()
		return e, err
	}
}

// evict drops the least recently used entries beyond capacity. c.mu is held.
func (c *Cache) evict() {
	for len(c.entries) > c.opts.Capacity {
		var oldest [64]byte
		var min uint64 = math.MaxUint64
		for k, e := range c.entries {
			if e.used < min {
				oldest, min = k, e.used
			}
		}
		delete(c.entries, oldest)
	}
}

func (c *Cache) encryptionMaterials(ctx context.Context, cl *Client, ec map[string]string, size int64) (*encMaterials, error) {
	if (size < 0 && c.opts.MaxBytes != math.MaxInt64) || size > c.opts.MaxBytes {
		return cl.newEncryptionMaterials(ctx, ec)
	}
	if size < 0 {
		size = 0
	}
	ecBytes, err := serializeContext(ec)
	if err != nil {
		return nil, err
	}
	h := sha512.New()
	h.Write([]byte("encrypt"))
	h.Write(cl.partition[:])
	h.Write(binary.BigEndian.AppendUint16(nil, uint16(cl.opts.Suite)))
	h.Write(ecBytes)
	e, err := c.get(ctx, [64]byte(h.Sum(nil)), size, func() (*cacheEntry, error) {
		m, err := cl.newEncryptionMaterials(ctx, ec)
		return &cacheEntry{enc: m}, err
	})
	if err != nil {
		return nil, err
	}
	return e.enc, nil
}

func (c *Cache) decryptionKey(ctx context.Context, cl *Client, hd *Header, ec map[string]string) ([]byte, error) {
	ecBytes, err := serializeContext(ec)
	if err != nil {
		return nil, err
	}
	h := sha512.New()
	h.Write([]byte("decrypt"))
	h.Write(cl.partition[:])
	h.Write(binary.BigEndian.AppendUint16(nil, uint16(hd.Suite)))
	for _, k := range hd.EncryptedDataKeys {
		for _, f := range [][]byte{[]byte(k.ProviderID), k.ProviderInfo, k.Ciphertext} {
			h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(f))))
			h.Write(f)
		}
	}
	h.Write(ecBytes)
	e, err := c.get(ctx, [64]byte(h.Sum(nil)), -1, func() (*cacheEntry, error) {
		k, err := cl.newDecryptionKey(ctx, hd, ec)
		return &cacheEntry{dataKey: k}, err
	})
	if err != nil {
		return nil, err
	}
	return e.dataKey, nil
}
