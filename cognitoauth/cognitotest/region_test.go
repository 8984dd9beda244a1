package cognitotest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/cognitoauth/cognitotest"
)

// TestPoolIDsFollowTheRegion: a Fake in another Region gets pool IDs of
// that Region, so that cognitoauth.New and NewVerifier accept them and its
// tokens verify end to end. Before, the pool ID stayed us-east-1_KumoTest1
// and NewVerifier(pool.Region(), pool.UserPoolID(), ...) failed.
func TestPoolIDsFollowTheRegion(t *testing.T) {
	for _, tc := range []struct {
		name                         string
		opts                         cognitotest.Options
		region, poolID, identityPool string
	}{
		{"defaults", cognitotest.Options{}, "us-east-1", "us-east-1_KumoTest1", "us-east-1:00000000-0000-4000-8000-000000000000"},
		{"region", cognitotest.Options{Region: "eu-west-1"}, "eu-west-1", "eu-west-1_KumoTest1", "eu-west-1:00000000-0000-4000-8000-000000000000"},
		{"pool ID", cognitotest.Options{UserPoolID: "ap-south-2_Abc"}, "ap-south-2", "ap-south-2_Abc", "ap-south-2:00000000-0000-4000-8000-000000000000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			pool := cognitotest.New(func(o *cognitotest.Options) { *o = tc.opts })
			assert.Equal(t, tc.region, pool.Region())
			assert.Equal(t, tc.poolID, pool.UserPoolID())
			var o cognitoauth.Options
			pool.ClientOptions(&o)
			assert.Equal(t, tc.identityPool, o.IdentityPoolID)

			pool.AddUser("alice", "Correct-Horse-1", cognitotest.User{})
			c, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions)
			require.NoError(t, err)
			tok, err := c.SignIn(ctx, "alice", "Correct-Horse-1")
			require.NoError(t, err)
			_, err = c.Credentials(ctx, tok)
			require.NoError(t, err)
			jwks := pool.StartJWKS()
			defer jwks.Close()
			v, err := cognitoauth.NewVerifier(pool.Region(), pool.UserPoolID(), pool.VerifierOptions(jwks.URL))
			require.NoError(t, err)
			_, err = v.Verify(ctx, tok.AccessToken)
			require.NoError(t, err)
		})
	}
}
