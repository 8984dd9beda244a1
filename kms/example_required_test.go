package kms_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"sort"

	"github.com/kumo-go/kumo/kms"
)

// A required encryption context: the tenant is bound to the message but not
// written into it, so a reader must know it already.
func ExampleOptions_requiredEncryptionContextKeys() {
	ctx := context.Background()
	keyring, _ := kms.NewRawAESKeyring("example", "key-1", bytes.Repeat([]byte{1}, 32))
	client, err := kms.New(keyring, func(o *kms.Options) {
		o.RequiredEncryptionContextKeys = []string{"tenant"}
	})
	if err != nil {
		log.Fatal(err)
	}
	msg, err := client.Encrypt(ctx, []byte("payroll"), map[string]string{"tenant": "acme", "dept": "finance"})
	if err != nil {
		log.Fatal(err)
	}
	h, _ := kms.ParseHeader(bytes.NewReader(msg))
	fmt.Println("stored:", h.EncryptionContext)

	_, err = client.Decrypt(ctx, msg, nil)
	fmt.Println(err)
	plain, err := client.Decrypt(ctx, msg, map[string]string{"tenant": "acme"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(plain))
	// Output:
	// stored: map[dept:finance]
	// kms: encryption context: the required context has no value for the required key(s) "tenant" (Options.RequiredEncryptionContextKeys)
	// payroll
}

// What the message's header says, once authenticated: the whole context
// (the pairs it does not store included), the suite and the keys.
func ExampleClient_DecryptWithHeader() {
	ctx := context.Background()
	keyring, _ := kms.NewRawAESKeyring("example", "key-1", bytes.Repeat([]byte{1}, 32))
	client, _ := kms.New(keyring, func(o *kms.Options) { o.RequiredEncryptionContextKeys = []string{"tenant"} })
	msg, _ := client.Encrypt(ctx, []byte("payroll"), map[string]string{"tenant": "acme", "dept": "finance"})

	plain, h, err := client.DecryptWithHeader(ctx, msg, map[string]string{"tenant": "acme"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(plain))
	fmt.Println(h.Suite)
	fmt.Println(h.EncryptionContext, "not stored:", h.NotStoredKeys)
	fmt.Println("frame length:", h.FrameLength)
	for _, k := range h.EncryptedDataKeys {
		fmt.Printf("wrapped by %s %q\n", k.ProviderID, k.ProviderInfo[:5])
	}
	// Output:
	// payroll
	// AES_256_GCM_HKDF_SHA512_COMMIT_KEY (0x0478)
	// map[dept:finance tenant:acme] not stored: [tenant]
	// frame length: 4096
	// wrapped by example "key-1"
}

// A signed message's header is authenticated by the signature at its end:
// the reader gives it only after io.EOF.
func ExampleDecryptedReader_Header() {
	ctx := context.Background()
	keyring, _ := kms.NewRawAESKeyring("example", "key-1", bytes.Repeat([]byte{1}, 32))
	client, _ := kms.New(keyring, func(o *kms.Options) { o.Suite = kms.SuiteCommittedSigned })
	msg, _ := client.Encrypt(ctx, []byte("a long report"), map[string]string{"file": "report.csv"})

	r, err := client.DecryptReaderWithHeader(ctx, bytes.NewReader(msg), nil)
	if err != nil {
		log.Fatal(err)
	}
	_, err = r.Header()
	fmt.Println(err)
	if _, err := io.Copy(io.Discard, r); err != nil {
		log.Fatal(err)
	}
	h, err := r.Header()
	if err != nil {
		log.Fatal(err)
	}
	keys := make([]string, 0, len(h.EncryptionContext))
	for k := range h.EncryptionContext {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Println(keys)
	// Output:
	// kms: the header of a signed message is authenticated only once the message is read to io.EOF
	// [aws-crypto-public-key file]
}
