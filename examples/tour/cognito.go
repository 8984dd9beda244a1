package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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
	var poolID, clientID string
	var opts []func(*cognitoauth.Options)
	flow := cognitoauth.FlowSRP
	if g.endpoint == "" {
		pool := cognitotest.New()
		pool.AddUser("alice", "Correct-Horse-1", cognitotest.User{Email: "alice@example.com", Groups: []string{"readers"}})
		idp, ids, poolID, clientID = pool, pool, pool.UserPoolID(), pool.ClientID()
		opts = append(opts, pool.ClientOptions)
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
		poolID, clientID = aws.ToString(up.UserPool.Id), aws.ToString(app.UserPoolClient.ClientId)
		opts = append(opts, func(o *cognitoauth.Options) { o.IdentityPoolID = aws.ToString(ip.IdentityPoolId) })
		flow = cognitoauth.FlowPassword // moto answers SRP with a user ID it cannot look up again
		g.say("A user pool, app client, admin-created user and identity pool in the emulator.")
	}
	client, err := cognitoauth.New(idp, ids, poolID, clientID, append(opts, func(o *cognitoauth.Options) {
		o.Flow = flow
		o.ChallengeHandler = func(_ context.Context, ch cognitoauth.Challenge) (map[string]string, error) {
			g.say("Cognito asks for %s; the handler answers it.", ch.Name)
			return map[string]string{"NEW_PASSWORD": "Correct-Horse-2"}, nil
		}
	})...)
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
	if err := client.GlobalSignOut(ctx, tokens); err != nil {
		return err
	}
	err = client.ChangePassword(ctx, tokens, "Correct-Horse-1", "Correct-Horse-3")
	g.say("After GlobalSignOut her access token is refused by the pool: %v", errors.Is(err, cognitoauth.ErrNotAuthorized))
	return nil
}

// cognitoVerifyStop is the other side: a Go service that takes the user's
// access token as a bearer token and verifies it. The pool is always
// cognitotest's, which signs its tokens with a key it publishes as a JWKS,
// as Cognito does.
func cognitoVerifyStop(ctx context.Context, g *guide) error {
	pool := cognitotest.New()
	pool.AddUser("alice", "Correct-Horse-1", cognitotest.User{Groups: []string{"readers"}})
	jwks := pool.StartJWKS()
	defer jwks.Close()
	g.say("An in-process user pool that publishes its signing keys at %s.", jwks.URL)

	v, err := cognitoauth.NewVerifier(pool.Region(), pool.UserPoolID(), func(o *cognitoauth.VerifierOptions) {
		o.ClientIDs, o.JWKSURL, o.AnyGroup = []string{pool.ClientID()}, jwks.URL, []string{"readers"}
	})
	if err != nil {
		return err
	}
	api := httptest.NewServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := cognitoauth.ClaimsFromContext(r.Context())
		fmt.Fprintf(w, "hello %s, in %v", claims.Username, claims.Groups)
	})))
	defer api.Close()
	g.say("A service whose handler sits behind Verifier.Middleware, accepting access tokens of app client %s in group readers.", pool.ClientID())

	client, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions)
	if err != nil {
		return err
	}
	tokens, err := client.SignIn(ctx, "alice", "Correct-Horse-1")
	if err != nil {
		return err
	}
	call := func(token string) (string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, api.URL, nil)
		if err != nil {
			return "", err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := api.Client().Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		return fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body))), err
	}
	for _, c := range []struct{ what, token string }{
		{"With alice's access token", tokens.AccessToken},
		{"With her ID token instead", tokens.IDToken},
		{"With no token", ""},
	} {
		answer, err := call(c.token)
		if err != nil {
			return err
		}
		g.say("%s the service answers: %s", c.what, answer)
	}
	_, err = v.Verify(ctx, tokens.IDToken)
	g.say("Why the ID token was refused: %v", err)
	parts := strings.SplitN(tokens.AccessToken, ".", 3)
	noneHeader := "eyJhbGciOiJub25lIiwia2lkIjoia3Vtb3Rlc3Qta2V5LTEifQ" // {"alg":"none","kid":"kumotest-key-1"}
	_, err = v.Verify(ctx, noneHeader+"."+parts[1]+".")
	g.say("Her claims re-sent unsigned with alg none: %v", err)
	return nil
}
