package kmstest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

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

// Failover tests: one Fake per Region, a multi-Region key replicated
// between them, and a supplier of the Region's client for kms's
// multi-Region keyrings.
func ExampleRegions() {
	regions := kmstest.NewRegions()
	arns, _ := regions.CreateMultiRegionKey("us-east-1", "us-west-2")
	fmt.Println(len(arns), regions.Fake("us-west-2").Region())

	supplier := func(region string) (kms.KMSAPI, error) { return regions.Fake(region), nil }
	keyring, err := kms.NewKMSMRKDiscoveryMultiKeyring(supplier, []string{"us-west-2"}, nil)
	fmt.Println(keyring != nil, err)
	// Output:
	// 2 us-west-2
	// true <nil>
}

// Serving the fake over HTTP, for clients that are not in this process
// (the AWS CLI, another language's Encryption SDK) or that must go through
// the SDK's own serializers.
func ExampleFake_ServeHTTP() {
	fake := kmstest.New()
	keyARN := fake.CreateKey()
	srv := httptest.NewServer(fake) // or httptest.NewServer(regions): one endpoint, every Region
	defer srv.Close()

	client := awskms.New(awskms.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	out, err := client.GenerateDataKey(context.Background(), &awskms.GenerateDataKeyInput{KeyId: aws.String(keyARN), NumberOfBytes: aws.Int32(32)})
	fmt.Println(len(out.Plaintext), aws.ToString(out.KeyId) == keyARN, err)
	// Output: 32 true <nil>
}
