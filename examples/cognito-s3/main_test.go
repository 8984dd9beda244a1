package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/internal/cli"
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

// TestCommandLine runs the program as main does: -h prints the usage on
// stdout and exits 0; a wrong command line prints one error line and the
// usage on stderr and exits 2; a failure prints one line and exits 1.
func TestCommandLine(t *testing.T) {
	for _, tt := range []struct {
		args  []string
		code  int
		first string // of stdout for code 0, else of stderr
	}{
		{[]string{"-h"}, 0, "usage: cognito-s3 -username U -password P -bucket B [-new-password NP] [-flow srp|password|admin]"},
		{nil, 2, "cognito-s3: -username, -password and -bucket are required"},
		{[]string{"-username", "a", "-password", "p", "-bucket", "b", "-flow", "magic"}, 2, `cognito-s3: -flow "magic": want srp, password or admin`},
		{[]string{"-username", "a", "-password", "p", "-bucket", "b", "-endpoint", "http://127.0.0.1:1"}, 2,
			"cognito-s3: -user-pool-id, -client-id and -identity-pool-id are required with -endpoint"},
		{[]string{"-bogus"}, 2, "cognito-s3: flag provided but not defined: -bogus"},
	} {
		var out, errOut bytes.Buffer
		code := cli.Exit("cognito-s3", run(context.Background(), tt.args, &out), &out, &errOut)
		assert.Equal(t, tt.code, code, tt.args)
		if code == 0 {
			first, _, _ := strings.Cut(out.String(), "\n")
			assert.Equal(t, tt.first, first, tt.args)
			assert.Contains(t, out.String(), "\n  -identity-pool-id string\n")
			continue
		}
		first, rest, _ := strings.Cut(errOut.String(), "\n")
		assert.Equal(t, tt.first, first, tt.args)
		assert.True(t, strings.HasPrefix(rest, "\nusage: cognito-s3 "), rest)
	}
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
