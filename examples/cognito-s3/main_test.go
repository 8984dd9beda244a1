package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/moto"
)

func TestMain(m *testing.M) { os.Exit(moto.Run(m)) }

func TestOffline(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-username", "alice", "-password", "Correct-Horse-1", "-bucket", "reports"}, &out))
	s := out.String()
	assert.Contains(t, s, "signed in as alice")
	assert.Contains(t, s, "reports holds 2 object(s):\n  reports/q3.pdf\n  reports/q4.pdf\n")
	assert.Contains(t, s, "PUT denied: the role may read but not write (AccessDenied)")

	err := run(context.Background(), []string{"-username", "alice", "-password", "x", "-bucket", "b", "-flow", "magic"}, &out)
	assert.EqualError(t, err, `-flow "magic": want srp, password or admin`)
}

// Against moto: an admin-created user signs in with the password flow,
// answers NEW_PASSWORD_REQUIRED, and lists a bucket with identity-pool
// credentials (moto does not enforce IAM, so the PUT is allowed).
func TestAgainstMoto(t *testing.T) {
	cfg := moto.Config(t)
	ctx := context.Background()
	idp := cip.NewFromConfig(cfg)
	pool, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(fmt.Sprintf("ex-%d", time.Now().UnixNano()))})
	require.NoError(t, err)
	app, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: pool.UserPool.Id, ClientName: aws.String("ex"),
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth, ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	require.NoError(t, err)
	_, err = idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool.UserPool.Id, Username: aws.String("bob"), TemporaryPassword: aws.String("Temp-Passw0rd!")})
	require.NoError(t, err)
	ip, err := cognitoidentity.NewFromConfig(cfg).CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("ex"), AllowUnauthenticatedIdentities: false})
	require.NoError(t, err)
	_, err = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("cognito-ex")})
	require.NoError(t, err)

	var out bytes.Buffer
	require.NoError(t, run(ctx, []string{"-user-pool-id", aws.ToString(pool.UserPool.Id), "-client-id", aws.ToString(app.UserPoolClient.ClientId),
		"-identity-pool-id", aws.ToString(ip.IdentityPoolId), "-username", "bob", "-password", "Temp-Passw0rd!", "-new-password", "Final-Passw0rd!",
		"-flow", "password", "-bucket", "cognito-ex", "-endpoint", moto.Endpoint(t)}, &out))
	assert.Contains(t, out.String(), "signed in as bob")
	assert.Contains(t, out.String(), "cognito-ex holds 0 object(s)")
	assert.Contains(t, out.String(), "PUT allowed")
}
