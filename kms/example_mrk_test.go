package kms_test

import (
	"context"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/kumo-go/kumo/kms"
	"github.com/kumo-go/kumo/kms/kmstest"
)

// Failing over between Regions: a message encrypted under a multi-Region
// key in us-east-1 decrypts with its replica in us-west-2 while us-east-1
// is unavailable. In a real program each client is kms.NewFromConfig(cfg)
// for its Region (see NewClientSupplier).
func ExampleNewKMSMRKKeyring() {
	ctx := context.Background()
	regions := kmstest.NewRegions() // stands in for KMS in each Region
	arns, _ := regions.CreateMultiRegionKey("us-east-1", "us-west-2")

	east, err := kms.NewKMSMRKKeyring(regions.Fake("us-east-1"), arns[0])
	if err != nil {
		log.Fatal(err)
	}
	client, _ := kms.New(east)
	msg, err := client.Encrypt(ctx, []byte("replicated"), map[string]string{"tenant": "acme"})
	if err != nil {
		log.Fatal(err)
	}

	_ = regions.Fake("us-east-1").SetKeyState(arns[0], types.KeyStateDisabled) // us-east-1 is down
	west, err := kms.NewKMSMRKKeyring(regions.Fake("us-west-2"), arns[1])
	if err != nil {
		log.Fatal(err)
	}
	client, _ = kms.New(west)
	plain, err := client.Decrypt(ctx, msg, map[string]string{"tenant": "acme"})
	fmt.Println(string(plain), err)
	// Output: replicated <nil>
}

// Decrypting whatever multi-Region key a message names, through the first
// of several Regions that holds a replica, for accounts you trust.
func ExampleNewKMSMRKDiscoveryMultiKeyring() {
	ctx := context.Background()
	regions := kmstest.NewRegions()
	arns, _ := regions.CreateMultiRegionKey("us-east-1", "eu-west-1")
	supplier := func(region string) (kms.KMSAPI, error) { return regions.Fake(region), nil }
	// In a real program: supplier := kms.NewClientSupplier(cfg)

	enc, _ := kms.NewKMSMRKMultiKeyring(supplier, arns[0])
	client, _ := kms.New(enc)
	msg, _ := client.Encrypt(ctx, []byte("for any Region"), nil)

	keyring, err := kms.NewKMSMRKDiscoveryMultiKeyring(supplier, []string{"us-west-2", "eu-west-1"},
		&kms.DiscoveryFilter{Partition: "aws", AccountIDs: []string{"123456789012"}})
	if err != nil {
		log.Fatal(err)
	}
	client, _ = kms.New(keyring)
	plain, err := client.Decrypt(ctx, msg, nil)
	fmt.Println(string(plain), err)
	// Output: for any Region <nil>
}

// Encrypting with the public key of an asymmetric KMS key, without calling
// KMS (anyone holding the public key can), and decrypting through KMS
// (only callers allowed to use the key can).
func ExampleNewKMSRSAKeyring() {
	ctx := context.Background()
	awsKMS := kmstest.New()
	keyARN, _ := awsKMS.CreateRSAKey(types.KeySpecRsa2048)
	// The public key is fetched once with GetPublicKey, or given in
	// KMSRSAOptions.PublicKey (then the keyring needs no client to encrypt).
	keyring, err := kms.NewKMSRSAKeyring(awsKMS, keyARN, types.EncryptionAlgorithmSpecRsaesOaepSha256)
	if err != nil {
		log.Fatal(err)
	}
	client, _ := kms.New(keyring)
	msg, err := client.Encrypt(ctx, []byte("config"), map[string]string{"app": "billing"})
	if err != nil {
		log.Fatal(err)
	}
	plain, err := client.Decrypt(ctx, msg, map[string]string{"app": "billing"})
	fmt.Println(string(plain), err, awsKMS.CallCounts())
	// Output: config <nil> map[Decrypt:1 GetPublicKey:1]
}

// Combining keyrings: the KMS key makes the data key and a raw AES key
// adds a copy, for recovery without AWS.
func ExampleNewMultiKeyring() {
	awsKMS := kmstest.New()
	kmsRing, _ := kms.NewKMSKeyring(awsKMS, awsKMS.CreateKey())
	recovery, _ := kms.NewRawAESKeyring("backup", "key-1", make([]byte, 32))
	keyring, err := kms.NewMultiKeyring(kmsRing, recovery)
	fmt.Println(keyring != nil, err)

	_, err = kms.NewMultiKeyring(nil)
	fmt.Println(err)
	// Output:
	// true <nil>
	// kms: NewMultiKeyring needs a generator, at least one child keyring, or both
}

// Decrypting in one Region whatever key a message names: a replica of a
// multi-Region key in that Region, or a single-Region key of that Region.
func ExampleNewKMSMRKDiscoveryKeyring() {
	ctx := context.Background()
	regions := kmstest.NewRegions()
	arns, _ := regions.CreateMultiRegionKey("us-east-1", "us-west-2")
	enc, _ := kms.NewKMSMRKKeyring(regions.Fake("us-east-1"), arns[0])
	client, _ := kms.New(enc)
	msg, _ := client.Encrypt(ctx, []byte("discovered"), nil)

	// The Region must be the client's; with an aws-sdk-go-v2 client it is checked.
	keyring, err := kms.NewKMSMRKDiscoveryKeyring(regions.Fake("us-west-2"), "us-west-2", nil)
	if err != nil {
		log.Fatal(err)
	}
	client, _ = kms.New(keyring)
	plain, err := client.Decrypt(ctx, msg, nil)
	fmt.Println(string(plain), err)
	// Output: discovered <nil>
}

// A client per Region from one AWS configuration, for the multi-Region
// keyrings.
func ExampleNewClientSupplier() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx) // its Region is the default for key IDs that are not ARNs
	if err != nil {
		log.Fatal(err)
	}
	keyring, err := kms.NewKMSMRKMultiKeyring(kms.NewClientSupplier(cfg),
		"arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab")
	if err != nil {
		log.Fatal(err)
	}
	_, _ = kms.New(keyring)
}
