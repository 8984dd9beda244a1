package cognitoauth_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/internal/moto"
)

func TestMain(m *testing.M) { os.Exit(moto.Run(m)) }

// motoSRP works around moto's SRP: its PASSWORD_VERIFIER challenge gives
// the user's sub as USER_ID_FOR_SRP but looks the user up by name when the
// answer comes. Cognito takes USER_ID_FOR_SRP back (as amazon-cognito-
// identity-js sends), so kumo does too; this wrapper maps it for moto only.
type motoSRP struct {
	cognitoauth.IdentityProviderAPI
	names map[string]string // USER_ID_FOR_SRP -> USERNAME
}

func (m *motoSRP) InitiateAuth(ctx context.Context, in *cip.InitiateAuthInput, opts ...func(*cip.Options)) (*cip.InitiateAuthOutput, error) {
	out, err := m.IdentityProviderAPI.InitiateAuth(ctx, in, opts...)
	if err == nil && out.ChallengeParameters["USER_ID_FOR_SRP"] != "" {
		m.names[out.ChallengeParameters["USER_ID_FOR_SRP"]] = out.ChallengeParameters["USERNAME"]
	}
	return out, err
}

func (m *motoSRP) RespondToAuthChallenge(ctx context.Context, in *cip.RespondToAuthChallengeInput, opts ...func(*cip.Options)) (*cip.RespondToAuthChallengeOutput, error) {
	if name, ok := m.names[in.ChallengeResponses["USERNAME"]]; ok {
		in.ChallengeResponses["USERNAME"] = name
	}
	return m.IdentityProviderAPI.RespondToAuthChallenge(ctx, in, opts...)
}

func handlerNewPassword(pw string) cognitoauth.ChallengeHandler {
	return func(_ context.Context, ch cognitoauth.Challenge) (map[string]string, error) {
		if ch.Name != "NEW_PASSWORD_REQUIRED" {
			return nil, fmt.Errorf("unexpected challenge %s", ch.Name)
		}
		return map[string]string{"NEW_PASSWORD": pw}, nil
	}
}

// TestMoto runs the flows against moto's Cognito: a pool, app clients with
// and without a secret, an admin-created user with NEW_PASSWORD_REQUIRED,
// SRP (moto does not check the claim), refresh and the identity pool.
func TestMoto(t *testing.T) {
	cfg := moto.Config(t)
	idp := cip.NewFromConfig(cfg)
	ids := cognitoidentity.NewFromConfig(cfg)
	name := fmt.Sprintf("kumo-%d", time.Now().UnixNano())
	pool, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(name)})
	require.NoError(t, err)
	poolID := aws.ToString(pool.UserPool.Id)
	flows := []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowUserSrpAuth, ciptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
		ciptypes.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}
	ipool, err := ids.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("kumo" + name[5:]), AllowUnauthenticatedIdentities: true})
	require.NoError(t, err)

	_, err = idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("alice"),
		TemporaryPassword: aws.String("Temp-Passw0rd!")})
	require.NoError(t, err)

	for _, withSecret := range []bool{false, true} {
		t.Run(fmt.Sprintf("secret=%v", withSecret), func(t *testing.T) {
			app, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID),
				ClientName: aws.String("app"), GenerateSecret: withSecret, ExplicitAuthFlows: flows})
			require.NoError(t, err)
			clientID := aws.ToString(app.UserPoolClient.ClientId)
			for _, flow := range []cognitoauth.Flow{cognitoauth.FlowSRP, cognitoauth.FlowPassword, cognitoauth.FlowAdminPassword} {
				c, err := cognitoauth.New(&motoSRP{IdentityProviderAPI: idp, names: map[string]string{}}, ids, poolID, clientID, func(o *cognitoauth.Options) {
					o.ClientSecret, o.IdentityPoolID = aws.ToString(app.UserPoolClient.ClientSecret), aws.ToString(ipool.IdentityPoolId)
					o.Flow = flow
					o.ChallengeHandler = handlerNewPassword("Final-Passw0rd!")
				})
				require.NoError(t, err)
				password := "Final-Passw0rd!"
				if !withSecret && flow == cognitoauth.FlowSRP {
					password = "Temp-Passw0rd!" // the first sign-in meets NEW_PASSWORD_REQUIRED
				}
				tok, err := c.SignIn(ctx, "alice", password)
				require.NoError(t, err, "flow %d", flow)
				assert.Equal(t, "alice", tok.Claims.Username)

				fresh, err := c.Refresh(ctx, tok)
				require.NoError(t, err)
				assert.NotEmpty(t, fresh.IDToken)

				cr, err := c.Credentials(ctx, fresh)
				require.NoError(t, err)
				assert.NotEmpty(t, cr.AccessKeyID)
				assert.True(t, cr.CanExpire)

				p := c.CredentialsProvider(fresh)
				got, err := aws.NewCredentialsCache(p).Retrieve(ctx)
				require.NoError(t, err)
				assert.NotEmpty(t, got.SessionToken)
			}
		})
	}
}
