package kmstest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/kumo-go/kumo/kms"
	"github.com/kumo-go/kumo/kms/kmstest"
)

// A test of code that encrypts with KMS, with no AWS account: the fake
// stands in for *kms.Client, counts calls and fails on demand.
func Example() {
	fake := kmstest.New()
	keyARN := fake.CreateKey()
	_ = fake.CreateAlias("alias/app", keyARN)

	keyring, _ := kms.NewKMSKeyring(fake, "alias/app")
	client, _ := kms.New(keyring)
	msg, _ := client.Encrypt(context.Background(), []byte("hello"), map[string]string{"tenant": "acme"})
	fmt.Println("GenerateDataKey calls:", fake.Calls("GenerateDataKey"))

	_ = fake.SetKeyState(keyARN, types.KeyStateDisabled)
	_, err := client.Decrypt(context.Background(), msg, map[string]string{"tenant": "acme"})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		fmt.Println("KMS said:", apiErr.ErrorCode())
	}
	// Output:
	// GenerateDataKey calls: 1
	// KMS said: DisabledException
}
