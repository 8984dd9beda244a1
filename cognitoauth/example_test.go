package cognitoauth_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/cognitoauth/cognitotest"
)

// Sign in with SRP, then hand the SDK a self-refreshing credentials
// provider. In a real program the two clients are
// cognitoidentityprovider.NewFromConfig(cfg) and
// cognitoidentity.NewFromConfig(cfg).
func Example() {
	ctx := context.Background()
	pool := cognitotest.New()
	pool.AddUser("alice", "Correct-Horse-1", cognitotest.User{Email: "alice@example.com", Groups: []string{"readers"}})

	client, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions)
	if err != nil {
		log.Fatal(err)
	}
	tokens, err := client.SignIn(ctx, "alice", "Correct-Horse-1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tokens.Claims.Username, tokens.Claims.Email, tokens.Claims.Groups)

	creds := aws.NewCredentialsCache(client.CredentialsProvider(tokens)) // cfg.Credentials = creds
	c, err := creds.Retrieve(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Source, c.CanExpire)

	_, err = client.SignIn(ctx, "alice", "wrong")
	fmt.Println(errors.Is(err, cognitoauth.ErrNotAuthorized))
	// Output:
	// alice alice@example.com [readers]
	// kumo/cognitoauth true
	// true
}

// A service verifies the access tokens its callers send. Here the user
// pool is cognitotest's, whose JWKS is served by an httptest server; for a
// real pool leave JWKSURL unset.
func ExampleVerifier() {
	ctx := context.Background()
	pool := cognitotest.New()
	pool.AddUser("alice", "Correct-Horse-1", cognitotest.User{Groups: []string{"readers"}})
	jwks := pool.StartJWKS()
	defer jwks.Close()
	client, _ := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions)
	tokens, _ := client.SignIn(ctx, "alice", "Correct-Horse-1")
	v, err := cognitoauth.NewVerifier(pool.Region(), pool.UserPoolID(), func(o *cognitoauth.VerifierOptions) {
		o.ClientIDs = []string{pool.ClientID()}
		o.AnyGroup = []string{"readers"}
		o.JWKSURL = jwks.URL
	})
	if err != nil {
		log.Fatal(err)
	}
	claims, err := v.Verify(ctx, tokens.AccessToken)
	fmt.Println(claims.Username, claims.TokenUse, claims.Groups, err)

	_, err = v.Verify(ctx, tokens.IDToken) // an access token is asked for
	fmt.Println(errors.Is(err, cognitoauth.ErrWrongTokenUse))
	// Output:
	// alice access [readers] <nil>
	// true
}
