package kms_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"

	"github.com/kumo-go/kumo/kms"
	"github.com/kumo-go/kumo/kms/kmstest"
)

// Envelope encryption with a KMS key: one GenerateDataKey per message, the
// data encrypted locally, only the wrapped key stored with it. In a real
// program the client is kms.NewFromConfig(cfg) from aws-sdk-go-v2.
func Example() {
	ctx := context.Background()
	awsKMS := kmstest.New() // stands in for *kms.Client
	keyARN := awsKMS.CreateKey()

	keyring, err := kms.NewKMSKeyring(awsKMS, keyARN)
	if err != nil {
		log.Fatal(err)
	}
	client, err := kms.New(keyring)
	if err != nil {
		log.Fatal(err)
	}
	ec := map[string]string{"tenant": "acme", "purpose": "invoice"}
	msg, err := client.Encrypt(ctx, []byte("the invoice"), ec)
	if err != nil {
		log.Fatal(err)
	}
	plain, err := client.Decrypt(ctx, msg, map[string]string{"tenant": "acme"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(plain))

	_, err = client.Decrypt(ctx, msg, map[string]string{"tenant": "globex"})
	fmt.Println(err)
	// Output:
	// the invoice
	// kms: encryption context: the message's context has other values for tenant
}

// Streaming a file of any size in a few frames of memory.
func ExampleClient_EncryptWriter() {
	ctx := context.Background()
	keyring, _ := kms.NewRawAESKeyring("example", "key-1", bytes.Repeat([]byte{1}, 32))
	client, _ := kms.New(keyring, func(o *kms.Options) { o.FrameSize = 64 << 10 })

	var sealed bytes.Buffer
	w, err := client.EncryptWriter(ctx, &sealed, map[string]string{"file": "report.csv"})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := io.Copy(w, bytes.NewReader(bytes.Repeat([]byte("row\n"), 100_000))); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil { // writes the final frame: never skip it
		log.Fatal(err)
	}

	r, err := client.DecryptReader(ctx, &sealed, map[string]string{"file": "report.csv"})
	if err != nil {
		log.Fatal(err)
	}
	n, err := io.Copy(io.Discard, r) // act on the data only once this returns nil
	fmt.Println(n, err)
	// Output: 400000 <nil>
}

// ParseHeader tells what a message is without any key.
func ExampleParseHeader() {
	keyring, _ := kms.NewRawAESKeyring("example", "key-1", bytes.Repeat([]byte{1}, 32))
	client, _ := kms.New(keyring, func(o *kms.Options) { o.Suite = kms.SuiteCommittedSigned })
	msg, _ := client.Encrypt(context.Background(), []byte("x"), map[string]string{"app": "demo"})

	h, err := kms.ParseHeader(bytes.NewReader(msg))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(h.Suite)
	fmt.Println(h.EncryptionContext["app"], h.EncryptedDataKeys[0].ProviderID, h.FrameLength)
	// Output:
	// AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384 (0x0578)
	// demo example 4096
}

// A cache makes many messages cost one KMS call.
func ExampleNewCache() {
	ctx := context.Background()
	awsKMS := kmstest.New()
	keyring, _ := kms.NewKMSKeyring(awsKMS, awsKMS.CreateKey())
	cache, _ := kms.NewCache(func(o *kms.CacheOptions) { o.MaxMessages = 1000 })
	client, _ := kms.New(keyring, func(o *kms.Options) { o.Cache = cache })
	for range 100 {
		if _, err := client.Encrypt(ctx, []byte("event"), map[string]string{"stream": "clicks"}); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("GenerateDataKey calls:", awsKMS.Calls("GenerateDataKey"))
	// Output: GenerateDataKey calls: 1
}

// Moving a message to a new key: one KMS unwrap, the same data key, the
// frames sealed again under a new message ID.
func ExampleClient_Rewrap() {
	ctx := context.Background()
	awsKMS := kmstest.New()
	oldKey, newKey := awsKMS.CreateKey(), awsKMS.CreateKey()
	from, _ := kms.NewKMSKeyring(awsKMS, oldKey)
	to, _ := kms.NewKMSKeyring(awsKMS, newKey)
	client, _ := kms.New(from)
	msg, _ := client.Encrypt(ctx, []byte("archive"), nil)

	var rewrapped bytes.Buffer
	if err := client.Rewrap(ctx, &rewrapped, bytes.NewReader(msg), to); err != nil {
		log.Fatal(err)
	}
	h, _ := kms.ParseHeader(bytes.NewReader(rewrapped.Bytes()))
	fmt.Println(string(h.EncryptedDataKeys[0].ProviderInfo) == newKey)
	// Output: true
}
