package kms_test

import (
	"bytes"
	"testing"

	"github.com/kumo-go/kumo/kms"
	"github.com/kumo-go/kumo/kms/kmstest"
)

// BenchmarkHierarchicalWrap wraps and unwraps one data key with a cached
// branch key (a counter-mode key derivation, then AES-GCM) beside the
// baseline of the raw AES keyring (AES-GCM under a key already held).
func BenchmarkHierarchicalWrap(b *testing.B) {
	fake := kmstest.New()
	store, err := kms.NewBranchKeyStore(kmstest.NewKeyStoreTable(), fake, "t", "bench", fake.CreateKey())
	if err != nil {
		b.Fatal(err)
	}
	id, err := store.CreateBranchKey(ctx, "", nil)
	if err != nil {
		b.Fatal(err)
	}
	hier, err := kms.NewHierarchicalKeyring(store, id)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := kms.NewRawAESKeyring("bench", "key", bytes.Repeat([]byte{1}, 32))
	if err != nil {
		b.Fatal(err)
	}
	ec := map[string]string{"tenant": "acme", "purpose": "bench"}
	for _, tt := range []struct {
		name string
		ring kms.Keyring
	}{{"raw-aes-baseline", raw}, {"hierarchical-cached", hier}} {
		b.Run(tt.name, func(b *testing.B) {
			for range b.N {
				em := &kms.EncryptionMaterials{Suite: kms.SuiteCommitted, EncryptionContext: ec}
				if err := tt.ring.OnEncrypt(ctx, em); err != nil {
					b.Fatal(err)
				}
				dm := &kms.DecryptionMaterials{Suite: kms.SuiteCommitted, EncryptionContext: ec}
				if err := tt.ring.OnDecrypt(ctx, dm, em.EncryptedDataKeys); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
