package kms_test

import (
	"context"
	"fmt"
	"log"

	"github.com/kumo-go/kumo/kms"
	"github.com/kumo-go/kumo/kms/kmstest"
)

// The hierarchical keyring: one branch key per tenant in a DynamoDB key
// store, each read through KMS once per CacheTTL instead of one KMS call
// per message. In a real program the clients are dynamodb.NewFromConfig(cfg)
// and kms.NewFromConfig(cfg) from aws-sdk-go-v2, and the table has the key
// store's schema (partition key "branch-key-id", sort key "type").
func ExampleNewHierarchicalKeyring() {
	ctx := context.Background()
	awsKMS := kmstest.New()             // stands in for *kms.Client
	table := kmstest.NewKeyStoreTable() // stands in for *dynamodb.Client
	store, err := kms.NewBranchKeyStore(table, awsKMS, "branch-keys", "branch-keys", awsKMS.CreateKey())
	if err != nil {
		log.Fatal(err)
	}
	for _, tenant := range []string{"acme", "globex"} {
		if _, err := store.CreateBranchKey(ctx, "tenant-"+tenant, map[string]string{"tenant": tenant}); err != nil {
			log.Fatal(err)
		}
	}
	keyring, err := kms.NewHierarchicalKeyring(store, "", func(o *kms.HierarchicalKeyringOptions) {
		o.BranchKeyIDSupplier = func(_ context.Context, ec map[string]string) (string, error) {
			return "tenant-" + ec["tenant"], nil
		}
	})
	if err != nil {
		log.Fatal(err)
	}
	client, _ := kms.New(keyring)
	awsKMS.ResetCalls()
	var msgs [][]byte
	for range 100 {
		msg, err := client.Encrypt(ctx, []byte("order"), map[string]string{"tenant": "acme"})
		if err != nil {
			log.Fatal(err)
		}
		msgs = append(msgs, msg)
	}
	_, hdr, err := client.DecryptWithHeader(ctx, msgs[0], map[string]string{"tenant": "acme"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(hdr.EncryptedDataKeys[0].ProviderID, string(hdr.EncryptedDataKeys[0].ProviderInfo))
	fmt.Println("KMS Decrypt calls for 100 messages and a decrypt:", awsKMS.Calls("Decrypt"))

	// Rotation: new messages use the new version; old ones still decrypt.
	if err := store.VersionBranchKey(ctx, "tenant-acme"); err != nil {
		log.Fatal(err)
	}
	if _, err := client.Decrypt(ctx, msgs[99], nil); err != nil {
		log.Fatal(err)
	}
	fmt.Println("decrypted after rotation")
	// Output:
	// aws-kms-hierarchy tenant-acme
	// KMS Decrypt calls for 100 messages and a decrypt: 2
	// decrypted after rotation
}
