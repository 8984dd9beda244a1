package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/cognitoauth/cognitotest"
)

func cognitoStop(ctx context.Context, g *guide) error {
	var idp cognitoauth.IdentityProviderAPI
	var ids cognitoauth.IdentityAPI
	var cfg cognitoauth.Config
	flow := cognitoauth.FlowSRP
	if g.endpoint == "" {
		pool := cognitotest.New()
		pool.AddUser("alice", "Correct-Horse-1", cognitotest.User{Email: "alice@example.com", Groups: []string{"readers"}})
		idp, ids, cfg = pool, pool, pool.Config()
		g.say("An in-process user pool with alice, and an identity pool beside it.")
	} else {
		awsCfg := awsConfig(g.endpoint)
		p, i := cip.NewFromConfig(awsCfg), cognitoidentity.NewFromConfig(awsCfg)
		up, err := p.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(fmt.Sprintf("tour-%d", time.Now().UnixNano()))})
		if err != nil {
			return err
		}
		app, err := p.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: up.UserPool.Id, ClientName: aws.String("tour"),
			ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth, ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
		if err != nil {
			return err
		}
		if _, err := p.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: up.UserPool.Id, Username: aws.String("alice"),
			TemporaryPassword: aws.String("Correct-Horse-1"), MessageAction: ciptypes.MessageActionTypeSuppress}); err != nil {
			return err
		}
		ip, err := i.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("tour"), AllowUnauthenticatedIdentities: true})
		if err != nil {
			return err
		}
		idp, ids = p, i
		cfg = cognitoauth.Config{Region: "us-east-1", UserPoolID: aws.ToString(up.UserPool.Id), ClientID: aws.ToString(app.UserPoolClient.ClientId),
			IdentityPoolID: aws.ToString(ip.IdentityPoolId)}
		flow = cognitoauth.FlowPassword // moto answers SRP with a user ID it cannot look up again
		g.say("A user pool, app client, admin-created user and identity pool in the emulator.")
	}
	client, err := cognitoauth.New(idp, ids, cfg, func(o *cognitoauth.Options) {
		o.Flow = flow
		o.ChallengeHandler = func(_ context.Context, ch cognitoauth.Challenge) (map[string]string, error) {
			g.say("Cognito asks for %s; the handler answers it.", ch.Name)
			return map[string]string{"NEW_PASSWORD": "Correct-Horse-2"}, nil
		}
	})
	if err != nil {
		return err
	}
	_, err = client.SignIn(ctx, "alice", "wrong password")
	g.say("A wrong password is ErrNotAuthorized: %v", errors.Is(err, cognitoauth.ErrNotAuthorized))
	tokens, err := client.SignIn(ctx, "alice", "Correct-Horse-1")
	if err != nil {
		return err
	}
	g.say("Signed in; printed, the tokens hide themselves: %v", tokens)
	provider := client.CredentialsProvider(tokens)
	creds, err := aws.NewCredentialsCache(provider).Retrieve(ctx)
	if err != nil {
		return err
	}
	g.say("The identity pool traded them for credentials %s…, expiring %s; the provider refreshes both.",
		creds.AccessKeyID[:4], creds.Expires.UTC().Format(time.RFC3339))
	return nil
}
