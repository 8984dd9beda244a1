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
	client, _ := cognitoauth.New(pool, pool, pool.Config())
	tokens, _ := client.SignIn(ctx, "bob", "Passw0rd-Bob")

	pool.RevokeRefreshTokens("bob")
	_, err := client.Refresh(ctx, tokens)
	fmt.Println(errors.Is(err, cognitoauth.ErrSessionExpired))
	fmt.Println("InitiateAuth calls:", pool.Calls("InitiateAuth"))
	// Output:
	// true
	// InitiateAuth calls: 2
}
