package iamtest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/kumo-go/kumo/credentials"
	"github.com/kumo-go/kumo/iamx"
	"github.com/kumo-go/kumo/iamx/iamtest"
)

// A test of key rotation with IAM's eventual consistency switched on: the
// new key is refused for a moment, and rotation waits for it.
func Example() {
	ctx := context.Background()
	fake := iamtest.New(func(o *iamtest.Options) { o.Propagation = 20 * time.Millisecond })
	fake.AddUser("deploy-bot")
	fake.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("deploy-bot")})

	var stored credentials.Profile
	_, err := iamx.RotateAccessKey(ctx, fake, "deploy-bot", func(p credentials.Profile) error { stored = p; return nil },
		func(o *iamx.RotateOptions) { o.NewSTS = fake.ClientFor; o.Poll = 5 * time.Millisecond })
	fmt.Println("rotated:", err == nil)
	fmt.Println("stored profile:", stored.Name)
	keys, _ := fake.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("deploy-bot")})
	fmt.Println("keys left:", len(keys.AccessKeyMetadata))
	fmt.Println("waited for propagation:", fake.Calls("GetCallerIdentity") > 1)
	// Output:
	// rotated: true
	// stored profile: deploy-bot
	// keys left: 1
	// waited for propagation: true
}
