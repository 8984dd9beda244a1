package kms

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
)

// Keyring wraps and unwraps data keys. kumo ships KMS, KMS discovery,
// multi-Region-key-aware KMS and KMS discovery, AWS KMS RSA, raw AES, raw
// RSA and multi keyrings; implement Keyring for anything else.
//
// A Keyring must be safe for concurrent use.
type Keyring interface {
	// OnEncrypt adds an encrypted copy of the data key to m. When
	// m.PlaintextDataKey is nil the keyring must first generate one of
	// m.Suite.KeyLength() bytes (or fail).
	OnEncrypt(ctx context.Context, m *EncryptionMaterials) error

	// OnDecrypt sets m.PlaintextDataKey from one of edks it can decrypt. It
	// returns an error when it can decrypt none; it does nothing when
	// m.PlaintextDataKey is already set.
	OnDecrypt(ctx context.Context, m *DecryptionMaterials, edks []EncryptedDataKey) error
}

// EncryptionMaterials is what keyrings fill in for one message (or, with a
// [Cache], for many).
type EncryptionMaterials struct {
	Suite Suite
	// EncryptionContext is the message's whole context, including the
	// reserved aws-crypto-public-key of signed suites. Keyrings must bind
	// their wrapping to it (KMS encryption context, AES-GCM AAD).
	EncryptionContext map[string]string
	PlaintextDataKey  []byte
	EncryptedDataKeys []EncryptedDataKey
}

// DecryptionMaterials is what keyrings fill in to open one message.
type DecryptionMaterials struct {
	Suite             Suite
	EncryptionContext map[string]string
	PlaintextDataKey  []byte
}

// checkDataKey validates what keyrings left in the materials.
func checkDataKey(s Suite, key []byte) error {
	if len(key) != s.KeyLength() {
		return fmt.Errorf("kms: the keyring produced a %d-byte data key; suite %v needs %d", len(key), s, s.KeyLength())
	}
	return nil
}

// MultiKeyring combines keyrings: on encrypt the generator makes the data key
// and every child adds its own copy, so any of them can decrypt; on decrypt
// each is tried in turn until one succeeds.
type MultiKeyring struct {
	generator Keyring
	children  []Keyring
}

// NewMultiKeyring returns a keyring of generator and children. generator
// may be nil when there are children: such a keyring cannot make a data key
// and is for decrypting, or for materials that arrive with a data key. A
// nil child, or a nil pointer to a keyring as generator or child, is refused.
func NewMultiKeyring(generator Keyring, children ...Keyring) (*MultiKeyring, error) {
	if generator == nil && len(children) == 0 {
		return nil, errors.New("kms: NewMultiKeyring needs a generator, at least one child keyring, or both")
	}
	if generator != nil && nilPointer(generator) {
		return nil, fmt.Errorf("kms: the generator of NewMultiKeyring is a nil %T; give a keyring, or nil (no generator)", generator)
	}
	for i, c := range children {
		if c == nil || nilPointer(c) {
			return nil, fmt.Errorf("kms: child keyring %d of NewMultiKeyring is nil; every child must be a keyring", i)
		}
	}
	return &MultiKeyring{generator: generator, children: slices.Clone(children)}, nil
}

// OnEncrypt implements [Keyring].
func (k *MultiKeyring) OnEncrypt(ctx context.Context, m *EncryptionMaterials) error {
	if k.generator != nil {
		if err := k.generator.OnEncrypt(ctx, m); err != nil {
			return err
		}
	} else if m.PlaintextDataKey == nil {
		return errors.New("kms: a multi-keyring without a generator cannot make a data key")
	}
	for _, c := range k.children {
		if err := c.OnEncrypt(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// OnDecrypt implements [Keyring].
func (k *MultiKeyring) OnDecrypt(ctx context.Context, m *DecryptionMaterials, edks []EncryptedDataKey) error {
	if m.PlaintextDataKey != nil {
		return nil
	}
	var errs []error
	for _, c := range append([]Keyring{k.generator}, k.children...) {
		if c == nil {
			continue
		}
		err := c.OnDecrypt(ctx, m, edks)
		if err == nil && m.PlaintextDataKey != nil {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return fmt.Errorf("%w: %w", ErrNoDataKey, errors.Join(errs...))
}

func cloneContext(ec map[string]string) map[string]string {
	if ec == nil {
		return map[string]string{}
	}
	return maps.Clone(ec)
}

// nilPointer reports whether k is a nil pointer of some keyring type (a
// typed nil, which compares unequal to nil but fails on first use).
func nilPointer(k Keyring) bool {
	v := reflect.ValueOf(k)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
