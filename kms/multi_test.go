package kms_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/kms"
)

// TestNewMultiKeyringRefusesBadInput: a nil child used to be accepted and
// panicked the first encrypt; a keyring of nothing failed only on use.
func TestNewMultiKeyringRefusesBadInput(t *testing.T) {
	aes := aesKeyring(t)
	for _, tt := range []struct {
		name      string
		generator kms.Keyring
		children  []kms.Keyring
		want      string
	}{
		{"nothing", nil, nil, "kms: NewMultiKeyring needs a generator, at least one child keyring, or both"},
		{"nil child", aes, []kms.Keyring{aes, nil}, "kms: child keyring 1 of NewMultiKeyring is nil; every child must be a keyring"},
		{"only a nil child", nil, []kms.Keyring{nil}, "kms: child keyring 0 of NewMultiKeyring is nil; every child must be a keyring"},
		// Typed nils (a nil *RawAESKeyring in the interface) used to be
		// accepted and panicked the first encrypt.
		{"typed nil child", aes, []kms.Keyring{(*kms.RawAESKeyring)(nil)}, "kms: child keyring 0 of NewMultiKeyring is nil; every child must be a keyring"},
		{"typed nil generator", (*kms.KMSMRKKeyring)(nil), []kms.Keyring{aes}, "kms: the generator of NewMultiKeyring is a nil *kms.KMSMRKKeyring; give a keyring, or nil (no generator)"},
	} {
		k, err := kms.NewMultiKeyring(tt.generator, tt.children...)
		assert.EqualError(t, err, tt.want, tt.name)
		assert.Nil(t, k, tt.name)
	}
	for name, fn := range map[string]func() (*kms.MultiKeyring, error){
		"generator only": func() (*kms.MultiKeyring, error) { return kms.NewMultiKeyring(aes) },
		"children only":  func() (*kms.MultiKeyring, error) { return kms.NewMultiKeyring(nil, aes) },
	} {
		k, err := fn()
		require.NoError(t, err, name)
		require.NotNil(t, k, name)
	}
	// The children are the caller's no more: changing the slice later does
	// not change the keyring.
	children := []kms.Keyring{aes}
	k, err := kms.NewMultiKeyring(aes, children...)
	require.NoError(t, err)
	children[0] = nil
	_, err = newClient(t, k).Encrypt(ctx, []byte("x"), nil)
	require.NoError(t, err)
}

// TestNewRefusesTypedNilKeyring: a nil *KMSKeyring in the Keyring interface
// is not == nil; it used to make a Client that panicked on first use.
func TestNewRefusesTypedNilKeyring(t *testing.T) {
	for name, k := range map[string]kms.Keyring{
		"nil":                nil,
		"nil *KMSKeyring":    (*kms.KMSKeyring)(nil),
		"nil *MultiKeyring":  (*kms.MultiKeyring)(nil),
		"nil *KMSRSAKeyring": (*kms.KMSRSAKeyring)(nil),
	} {
		c, err := kms.New(k)
		assert.EqualError(t, err, "kms: New needs a keyring", name)
		assert.Nil(t, c, name)
	}
}
