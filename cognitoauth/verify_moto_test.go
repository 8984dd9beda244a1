package cognitoauth_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/internal/moto"
)

// TestMotoVerify verifies the tokens moto's Cognito issues with the keys
// its JWKS endpoint publishes: a second issuer of Cognito-shaped tokens
// beside cognitotest.
func TestMotoVerify(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	endpoint := moto.Endpoint(t)
	idp := cip.NewFromConfig(moto.Config(t))
	pool, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(fmt.Sprintf("kumo-verify-%d", time.Now().UnixNano()))})
	require.NoError(t, err)
	poolID := aws.ToString(pool.UserPool.Id)
	app, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("api"),
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth, ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	require.NoError(t, err)
	clientID := aws.ToString(app.UserPoolClient.ClientId)
	_, err = idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("bob"),
		MessageAction: ciptypes.MessageActionTypeSuppress})
	require.NoError(t, err)
	_, err = idp.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("bob"),
		Password: aws.String("Bob-Passw0rd!"), Permanent: true})
	require.NoError(t, err)
	c, err := cognitoauth.New(idp, nil, poolID, clientID, func(o *cognitoauth.Options) { o.Flow = cognitoauth.FlowPassword })
	require.NoError(t, err)
	tokens, err := c.SignIn(ctx, "bob", "Bob-Passw0rd!")
	require.NoError(t, err)

	jwks := endpoint + "/" + poolID + "/.well-known/jwks.json"
	for _, tc := range []struct {
		use   cognitoauth.TokenUse
		token string
	}{{cognitoauth.TokenUseID, tokens.IDToken}, {cognitoauth.TokenUseAccess, tokens.AccessToken}} {
		v, err := cognitoauth.NewVerifier(moto.Region, poolID, func(o *cognitoauth.VerifierOptions) {
			o.ClientIDs, o.JWKSURL, o.TokenUse = []string{clientID}, jwks, tc.use
		})
		require.NoError(t, err)
		claims, err := v.Verify(ctx, tc.token)
		require.NoError(t, err, "%s token", tc.use)
		assert.Equal(t, "bob", claims.Username)
		assert.Equal(t, clientID, claims.ClientID)
		assert.Equal(t, string(tc.use), claims.TokenUse)

		other, err := cognitoauth.NewVerifier(moto.Region, poolID, func(o *cognitoauth.VerifierOptions) {
			o.ClientIDs, o.JWKSURL, o.TokenUse = []string{"another-client"}, jwks, tc.use
		})
		require.NoError(t, err)
		_, err = other.Verify(ctx, tc.token)
		require.ErrorIs(t, err, cognitoauth.ErrWrongAudience)
	}
}
