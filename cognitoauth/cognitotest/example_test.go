package cognitotest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/cognitoauth/cognitotest"
)

// A test of an app's "session expired" path: the fake revokes the refresh
// token as a global sign-out would.
func Example() {
	ctx := context.Background()
	pool := cognitotest.New()
	pool.AddUser("bob", "Passw0rd-Bob", cognitotest.User{})
	client, _ := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions)
	tokens, _ := client.SignIn(ctx, "bob", "Passw0rd-Bob")

	pool.RevokeRefreshTokens("bob")
	_, err := client.Refresh(ctx, tokens)
	fmt.Println(errors.Is(err, cognitoauth.ErrSessionExpired))
	fmt.Println("InitiateAuth calls:", pool.Calls("InitiateAuth"))
	// Output:
	// true
	// InitiateAuth calls: 2
}

// An end-to-end test of a service: sign in on the fake, then verify the
// access token as the service would, with keys from the fake's JWKS
// endpoint.
func Example_verify() {
	ctx := context.Background()
	pool := cognitotest.New()
	pool.AddUser("alice", "Correct-Horse-1", cognitotest.User{Groups: []string{"readers"}})
	srv := pool.StartJWKS()
	defer srv.Close()

	client, _ := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions)
	tokens, _ := client.SignIn(ctx, "alice", "Correct-Horse-1")
	v, _ := cognitoauth.NewVerifier(pool.Region(), pool.UserPoolID(), pool.VerifierOptions(srv.URL))
	claims, err := v.Verify(ctx, tokens.AccessToken)
	fmt.Println(claims.Username, claims.Groups, err)

	pool.RotateKey(false) // the old key is gone from the JWKS
	_, err = v.Verify(ctx, pool.SignToken(map[string]any{"sub": "x", "iss": pool.Issuer(), "token_use": "id"}))
	fmt.Println(errors.Is(err, cognitoauth.ErrUnknownKey))
	// Output:
	// alice [readers] <nil>
	// true
}
