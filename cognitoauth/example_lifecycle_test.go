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

// A user signs up, confirms with the emailed code and signs in. cognitotest
// keeps the code it "sent"; in a real program the user types it in.
func ExampleClient_SignUp() {
	ctx := context.Background()
	pool := cognitotest.New()
	client, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions)
	if err != nil {
		log.Fatal(err)
	}
	out, err := client.SignUp(ctx, "carol", "Correct-Horse-1", map[string]string{"email": "carol@example.com"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.UserConfirmed, aws.ToString(out.CodeDeliveryDetails.Destination))

	_, err = client.SignUp(ctx, "carol", "Correct-Horse-1", nil)
	fmt.Println(errors.Is(err, cognitoauth.ErrUsernameExists))
	fmt.Println(errors.Is(client.ConfirmSignUp(ctx, "carol", "not-the-code"), cognitoauth.ErrCodeMismatch))

	code, _ := pool.ConfirmationCode("carol")
	if err := client.ConfirmSignUp(ctx, "carol", code); err != nil {
		log.Fatal(err)
	}
	tokens, err := client.SignIn(ctx, "carol", "Correct-Horse-1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tokens.Claims.Username)
	// Output:
	// false c***@e***
	// true
	// true
	// carol
}

// A forgotten password is reset with the code Cognito sends; a signed-in
// user changes it with the old one.
func ExampleClient_ForgotPassword() {
	ctx := context.Background()
	pool := cognitotest.New()
	pool.AddUser("dave", "Correct-Horse-1", cognitotest.User{Email: "dave@example.com"})
	client, _ := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions)

	if _, err := client.ForgotPassword(ctx, "dave"); err != nil {
		log.Fatal(err)
	}
	code, _ := pool.ResetCode("dave")
	if err := client.ConfirmForgotPassword(ctx, "dave", code, "Battery-Staple-2"); err != nil {
		log.Fatal(err)
	}
	tokens, err := client.SignIn(ctx, "dave", "Battery-Staple-2")
	if err != nil {
		log.Fatal(err)
	}
	err = client.ChangePassword(ctx, tokens, "Battery-Staple-2", "short")
	fmt.Println(errors.Is(err, cognitoauth.ErrInvalidPassword))
	fmt.Println(client.ChangePassword(ctx, tokens, "Battery-Staple-2", "Battery-Staple-3"))
	// Output:
	// true
	// <nil>
}

// Signing out: RevokeToken ends one session, GlobalSignOut every session
// of the user; their refresh tokens then give ErrSessionExpired.
func ExampleClient_GlobalSignOut() {
	ctx := context.Background()
	pool := cognitotest.New()
	pool.AddUser("erin", "Correct-Horse-1", cognitotest.User{})
	client, _ := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions)
	laptop, _ := client.SignIn(ctx, "erin", "Correct-Horse-1")
	phone, _ := client.SignIn(ctx, "erin", "Correct-Horse-1")

	if err := client.RevokeToken(ctx, laptop); err != nil {
		log.Fatal(err)
	}
	_, err := client.Refresh(ctx, laptop)
	fmt.Println("laptop:", errors.Is(err, cognitoauth.ErrSessionExpired))
	_, err = client.Refresh(ctx, phone)
	fmt.Println("phone:", err)

	if err := client.GlobalSignOut(ctx, phone); err != nil {
		log.Fatal(err)
	}
	_, err = client.Refresh(ctx, phone)
	fmt.Println("phone:", errors.Is(err, cognitoauth.ErrSessionExpired))
	// Output:
	// laptop: true
	// phone: <nil>
	// phone: true
}

// On a pool that tracks devices, the first sign-in asks for MFA and
// confirms the device; the next one proves the device instead, and
// refreshes carry its key.
func ExampleOptions_devices() {
	ctx := context.Background()
	pool := cognitotest.New(func(o *cognitotest.Options) { o.DeviceTracking = true })
	pool.AddUser("frank", "Correct-Horse-1", cognitotest.User{TOTPCode: "123456"})
	client, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions, func(o *cognitoauth.Options) {
		o.Devices = &cognitoauth.MemoryDeviceStore{} // keep devices where you keep refresh tokens
		o.ChallengeHandler = func(_ context.Context, ch cognitoauth.Challenge) (map[string]string, error) {
			fmt.Println("asked for", ch.Name)
			return map[string]string{"SOFTWARE_TOKEN_MFA_CODE": "123456"}, nil
		}
	})
	if err != nil {
		log.Fatal(err)
	}
	first, err := client.SignIn(ctx, "frank", "Correct-Horse-1")
	if err != nil {
		log.Fatal(err)
	}
	second, err := client.SignIn(ctx, "frank", "Correct-Horse-1") // DEVICE_SRP_AUTH: no MFA
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(first.DeviceKey == second.DeviceKey, pool.Devices("frank")[0].Remembered)
	_, err = client.Refresh(ctx, second)
	fmt.Println(err)
	// Output:
	// asked for SOFTWARE_TOKEN_MFA
	// true true
	// <nil>
}

// CUSTOM_AUTH: the pool's Lambda triggers ask; the handler answers.
func ExampleFlowCustom() {
	ctx := context.Background()
	pool := cognitotest.New()
	pool.AddUser("gina", "Correct-Horse-1", cognitotest.User{CustomAnswer: "42"})
	client, _ := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions, func(o *cognitoauth.Options) {
		o.Flow = cognitoauth.FlowCustom
		o.ChallengeHandler = func(_ context.Context, ch cognitoauth.Challenge) (map[string]string, error) {
			return map[string]string{"ANSWER": "42"}, nil // ch.Name is CUSTOM_CHALLENGE
		}
	})
	tokens, err := client.SignIn(ctx, "gina", "") // with a password, SRP proves it first
	fmt.Println(tokens.Claims.Username, err)
	// Output:
	// gina <nil>
}
