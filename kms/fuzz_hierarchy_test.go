package kms_test

import (
	"bytes"
	"testing"

	"github.com/kumo-go/kumo/kms"
	"github.com/kumo-go/kumo/kms/kmstest"
)

// FuzzHierarchicalDataKey feeds the hierarchical keyring encrypted data
// keys a message could carry: it never panics, and unwraps only the one
// the keyring itself made.
func FuzzHierarchicalDataKey(f *testing.F) {
	fake := kmstest.New()
	store, err := kms.NewBranchKeyStore(kmstest.NewKeyStoreTable(), fake, "t", "fuzz", fake.CreateKey())
	if err != nil {
		f.Fatal(err)
	}
	id, err := store.CreateBranchKey(ctx, "", nil)
	if err != nil {
		f.Fatal(err)
	}
	ring, err := kms.NewHierarchicalKeyring(store, id)
	if err != nil {
		f.Fatal(err)
	}
	em := &kms.EncryptionMaterials{Suite: kms.SuiteCommitted, EncryptionContext: map[string]string{"a": "b"}}
	if err := ring.OnEncrypt(ctx, em); err != nil {
		f.Fatal(err)
	}
	good := em.EncryptedDataKeys[0].Ciphertext
	f.Add(good, uint16(0x0478))
	f.Add(good[:60], uint16(0x0478))
	f.Add(good, uint16(0x0014))
	f.Add([]byte{}, uint16(0x0578))
	f.Fuzz(func(t *testing.T, ct []byte, suite uint16) {
		s := kms.Suite(suite)
		if s.KeyLength() == 0 {
			return
		}
		m := &kms.DecryptionMaterials{Suite: s, EncryptionContext: map[string]string{"a": "b"}}
		err := ring.OnDecrypt(ctx, m, []kms.EncryptedDataKey{{ProviderID: "aws-kms-hierarchy", ProviderInfo: []byte(id), Ciphertext: ct}})
		if err == nil && (!bytes.Equal(ct, good) || !bytes.Equal(m.PlaintextDataKey, em.PlaintextDataKey)) {
			t.Fatalf("unwrapped a data key from a ciphertext the keyring did not make")
		}
	})
}
