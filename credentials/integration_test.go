package credentials_test

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/credentials"
	"github.com/kumo-go/kumo/internal/moto"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv("KUMO_TEST_WRITER_DIR"); dir != "" {
		os.Exit(writer(dir, os.Getenv("KUMO_TEST_WRITER_ID")))
	}
	if dir := os.Getenv("KUMO_TEST_CRASH_DIR"); dir != "" {
		os.Exit(crashingWriter(dir))
	}
	os.Exit(moto.Run(m))
}

// TestMotoAccessKeyToCallerIdentity creates an IAM user and key through the
// IAM API, keeps the key in a per-profile file, loads a config from that file
// alone and asks STS who it is.
func TestMotoAccessKeyToCallerIdentity(t *testing.T) {
	cfg := moto.Config(t)
	ctx := context.Background()
	client := iam.NewFromConfig(cfg)
	user, userARN := moto.NewUser(t, client, "kumo-creds-")
	key, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	require.NoError(t, err)

	p, err := credentials.FromAccessKey(key.AccessKey)
	require.NoError(t, err)
	assert.Equal(t, user, p.Name)
	p.Region = "eu-central-1"
	dir, err := credentials.OpenDir(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, dir.Put(p))

	// Credentials in the environment must not mix in.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT00000")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "from-the-environment")
	t.Setenv("AWS_PROFILE", "someone-else")
	loaded, err := dir.LoadConfig(ctx, user, config.WithBaseEndpoint(moto.Endpoint(t)))
	require.NoError(t, err)
	assert.Equal(t, "eu-central-1", loaded.Region)
	got, err := loaded.Credentials.Retrieve(ctx)
	require.NoError(t, err)
	assert.Equal(t, p.AccessKeyID, got.AccessKeyID)

	id, err := sts.NewFromConfig(loaded).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, userARN, aws.ToString(id.Arn))
	assert.Equal(t, moto.AccountID, aws.ToString(id.Account))
}
