package cognitoauth_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/cognitoauth/cognitotest"
)

// Tests found by attacking the package from its docs: values New must
// refuse, service errors the sentinels must cover, and a user pool that
// answers with hostile challenges.

// TestNewRefusesInvalidOptions: a pool ID not of Cognito's shape, a Region
// other than the pool's, and device options without a DeviceStore (which
// would be ignored silently) are refused by New.
func TestNewRefusesInvalidOptions(t *testing.T) {
	pool := cognitotest.New()
	devices := func(o *cognitoauth.Options) { o.Devices = &cognitoauth.MemoryDeviceStore{} }
	for _, tc := range []struct {
		name   string
		poolID string
		opt    func(*cognitoauth.Options)
		want   string // "" means accepted
	}{
		{"defaults", "us-east-1_KumoTest1", func(*cognitoauth.Options) {}, ""},
		{"the pool's region", "us-east-1_KumoTest1", func(o *cognitoauth.Options) { o.Region = "us-east-1" }, ""},
		{"another region", "us-east-1_KumoTest1", func(o *cognitoauth.Options) { o.Region = "eu-west-1" },
			`cognitoauth: Options.Region "eu-west-1" is not the Region of user pool us-east-1_KumoTest1; leave it empty for the pool's Region us-east-1`},
		{"space in pool ID", "us-east-1_ a", nil,
			`cognitoauth: New needs a user pool ID <region>_<letters and digits> (such as eu-west-1_AbC123) and a client ID, got "us-east-1_ a" and "kumotestclient0000000000"`},
		{"path in region", "../x_Abc", nil,
			`cognitoauth: New needs a user pool ID <region>_<letters and digits> (such as eu-west-1_AbC123) and a client ID, got "../x_Abc" and "kumotestclient0000000000"`},
		{"pool name of 56", "us-east-1_" + strings.Repeat("a", 56), nil, "cognitoauth: New needs a user pool ID"},
		{"pool name of 55", "us-east-1_" + strings.Repeat("a", 55), nil, ""},
		{"GovCloud", "us-gov-west-1_Abc", nil, ""},
		{"European Sovereign Cloud", "eusc-de-east-1_Abc", nil, ""},
		{"RememberDevices without Devices", "us-east-1_KumoTest1", func(o *cognitoauth.Options) { o.RememberDevices = true },
			"cognitoauth: Options.DeviceName and Options.RememberDevices need Options.Devices; without a DeviceStore no device is confirmed"},
		{"DeviceName without Devices", "us-east-1_KumoTest1", func(o *cognitoauth.Options) { o.DeviceName = "laptop" },
			"cognitoauth: Options.DeviceName and Options.RememberDevices need Options.Devices; without a DeviceStore no device is confirmed"},
		{"DeviceName of 1024", "us-east-1_KumoTest1", func(o *cognitoauth.Options) { devices(o); o.DeviceName = strings.Repeat("é", 1024) }, ""},
		{"DeviceName of 1025", "us-east-1_KumoTest1", func(o *cognitoauth.Options) { devices(o); o.DeviceName = strings.Repeat("x", 1025) },
			"cognitoauth: Options.DeviceName is 1025 characters or not UTF-8; Cognito takes 1 to 1024 characters of UTF-8"},
		{"nil *MemoryDeviceStore", "us-east-1_KumoTest1", func(o *cognitoauth.Options) { var m *cognitoauth.MemoryDeviceStore; o.Devices = m },
			"cognitoauth: Options.Devices is a nil *cognitoauth.MemoryDeviceStore; set it to one (such as &cognitoauth.MemoryDeviceStore{}) or leave it unset"},
		{"nil *bytes.Reader", "us-east-1_KumoTest1", func(o *cognitoauth.Options) { var r *bytes.Reader; o.Rand = r },
			"cognitoauth: Options.Rand is a nil *bytes.Reader; set it to one (such as crypto/rand.Reader) or leave it unset"},
		{"DeviceName not UTF-8", "us-east-1_KumoTest1", func(o *cognitoauth.Options) { devices(o); o.DeviceName = "a\xffb" },
			"cognitoauth: Options.DeviceName is 3 characters or not UTF-8; Cognito takes 1 to 1024 characters of UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var fns []func(*cognitoauth.Options)
			if tc.opt != nil {
				fns = append(fns, tc.opt)
			}
			c, err := cognitoauth.New(pool, pool, tc.poolID, pool.ClientID(), fns...)
			if tc.want == "" {
				require.NoError(t, err)
				require.NotNil(t, c)
				return
			}
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), tc.want), err.Error())
		})
	}
}

// lifecycleStub answers every lifecycle call with err.
type lifecycleStub struct {
	cognitoauth.IdentityProviderAPI
	err error
}

func (s lifecycleStub) SignUp(context.Context, *cip.SignUpInput, ...func(*cip.Options)) (*cip.SignUpOutput, error) {
	return nil, s.err
}
func (s lifecycleStub) ConfirmSignUp(context.Context, *cip.ConfirmSignUpInput, ...func(*cip.Options)) (*cip.ConfirmSignUpOutput, error) {
	return nil, s.err
}
func (s lifecycleStub) ResendConfirmationCode(context.Context, *cip.ResendConfirmationCodeInput, ...func(*cip.Options)) (*cip.ResendConfirmationCodeOutput, error) {
	return nil, s.err
}
func (s lifecycleStub) ForgotPassword(context.Context, *cip.ForgotPasswordInput, ...func(*cip.Options)) (*cip.ForgotPasswordOutput, error) {
	return nil, s.err
}
func (s lifecycleStub) ConfirmForgotPassword(context.Context, *cip.ConfirmForgotPasswordInput, ...func(*cip.Options)) (*cip.ConfirmForgotPasswordOutput, error) {
	return nil, s.err
}
func (s lifecycleStub) ChangePassword(context.Context, *cip.ChangePasswordInput, ...func(*cip.Options)) (*cip.ChangePasswordOutput, error) {
	return nil, s.err
}
func (s lifecycleStub) GlobalSignOut(context.Context, *cip.GlobalSignOutInput, ...func(*cip.Options)) (*cip.GlobalSignOutOutput, error) {
	return nil, s.err
}
func (s lifecycleStub) RevokeToken(context.Context, *cip.RevokeTokenInput, ...func(*cip.Options)) (*cip.RevokeTokenOutput, error) {
	return nil, s.err
}

// TestLifecycleErrorSentinels: each service error a lifecycle call can
// answer maps to its sentinel, and the SDK's typed error stays reachable.
// PasswordHistoryPolicyViolationException (a recent password reused, a
// pool policy) was not ErrInvalidPassword before.
func TestLifecycleErrorSentinels(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tok := &cognitoauth.Tokens{AccessToken: "access", RefreshToken: "refresh"}
	for _, tc := range []struct {
		err  error
		want error
		call func(c *cognitoauth.Client) error
	}{
		{&ciptypes.PasswordHistoryPolicyViolationException{Message: aws.String("reused")}, cognitoauth.ErrInvalidPassword,
			func(c *cognitoauth.Client) error { return c.ChangePassword(ctx, tok, "Old-Horse-1", "Old-Horse-0") }},
		{&ciptypes.PasswordHistoryPolicyViolationException{Message: aws.String("reused")}, cognitoauth.ErrInvalidPassword,
			func(c *cognitoauth.Client) error { return c.ConfirmForgotPassword(ctx, "u", "123456", "Old-Horse-0") }},
		{&ciptypes.InvalidPasswordException{Message: aws.String("short")}, cognitoauth.ErrInvalidPassword,
			func(c *cognitoauth.Client) error { _, err := c.SignUp(ctx, "u", "short", nil); return err }},
		{&ciptypes.UsernameExistsException{Message: aws.String("taken")}, cognitoauth.ErrUsernameExists,
			func(c *cognitoauth.Client) error { _, err := c.SignUp(ctx, "u", "Correct-Horse-1", nil); return err }},
		{&ciptypes.CodeMismatchException{Message: aws.String("wrong")}, cognitoauth.ErrCodeMismatch,
			func(c *cognitoauth.Client) error { return c.ConfirmSignUp(ctx, "u", "1") }},
		{&ciptypes.ExpiredCodeException{Message: aws.String("old")}, cognitoauth.ErrCodeExpired,
			func(c *cognitoauth.Client) error { return c.ConfirmForgotPassword(ctx, "u", "1", "Correct-Horse-1") }},
		{&ciptypes.LimitExceededException{Message: aws.String("slow down")}, cognitoauth.ErrLimitExceeded,
			func(c *cognitoauth.Client) error { _, err := c.ResendConfirmationCode(ctx, "u"); return err }},
		{&ciptypes.TooManyFailedAttemptsException{Message: aws.String("slow down")}, cognitoauth.ErrLimitExceeded,
			func(c *cognitoauth.Client) error { _, err := c.ForgotPassword(ctx, "u"); return err }},
		{&ciptypes.NotAuthorizedException{Message: aws.String("revoked")}, cognitoauth.ErrSessionExpired,
			func(c *cognitoauth.Client) error { return c.GlobalSignOut(ctx, tok) }},
		{&ciptypes.NotAuthorizedException{Message: aws.String("wrong")}, cognitoauth.ErrNotAuthorized,
			func(c *cognitoauth.Client) error { return c.ChangePassword(ctx, tok, "a", "b") }},
	} {
		t.Run(fmt.Sprintf("%T", tc.err), func(t *testing.T) {
			c, err := cognitoauth.New(lifecycleStub{err: tc.err}, nil, "us-east-1_Abc", "client")
			require.NoError(t, err)
			err = tc.call(c)
			require.ErrorIs(t, err, tc.want)
			var apiErr smithy.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.err.(smithy.APIError).ErrorCode(), apiErr.ErrorCode())
		})
	}
}

// TestMemoryDeviceStoreNeverPrints: no fmt verb prints a saved device,
// %w included (fmt prints a non-error's fields for it without calling
// Format; the store kept its map where that reached it before).
func TestMemoryDeviceStoreNeverPrints(t *testing.T) {
	store := &cognitoauth.MemoryDeviceStore{}
	require.NoError(t, store.SaveDevice(context.Background(), "alice",
		cognitoauth.Device{Key: "us-east-1_devkey", GroupKey: "groupkey", Password: "device-password-1"}))
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%w"} {
		s := fmt.Sprintf(verb, store)
		for _, secret := range []string{"device-password-1", "devkey", "groupkey", fmt.Sprintf("%x", "device-password-1")} {
			assert.NotContains(t, s, secret, verb)
		}
	}
	d, ok, err := store.LoadDevice(context.Background(), "alice")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "device-password-1", d.Password)
	assert.Equal(t, "MemoryDeviceStore{devices:1}", store.String())
}

// hostilePool is a user pool that answers every sign-in with the
// challenge and parameters it is given, and counts the calls.
type hostilePool struct {
	cognitoauth.IdentityProviderAPI
	challenge ciptypes.ChallengeNameType
	params    map[string]string
	calls     atomic.Int64
}

func (h *hostilePool) InitiateAuth(context.Context, *cip.InitiateAuthInput, ...func(*cip.Options)) (*cip.InitiateAuthOutput, error) {
	h.calls.Add(1)
	return &cip.InitiateAuthOutput{ChallengeName: h.challenge, ChallengeParameters: h.params, Session: aws.String("s")}, nil
}

func (h *hostilePool) RespondToAuthChallenge(ctx context.Context, _ *cip.RespondToAuthChallengeInput, _ ...func(*cip.Options)) (*cip.RespondToAuthChallengeOutput, error) {
	if h.calls.Add(1) > 100 {
		return nil, errors.New("hostilePool: the client did not stop")
	}
	return &cip.RespondToAuthChallengeOutput{ChallengeName: h.challenge, ChallengeParameters: h.params, Session: aws.String("s")}, ctx.Err()
}

// TestHostileUserPool: malformed SRP parameters are refused before any
// answer is sent, with an error naming the parameter; a pool that asks
// the same challenge forever is left after a bounded number of calls.
func TestHostileUserPool(t *testing.T) {
	srpParams := func(mod func(map[string]string)) map[string]string {
		p := map[string]string{"USER_ID_FOR_SRP": "alice", "SRP_B": "abcdef0123456789", "SALT": "0a1b2c", "SECRET_BLOCK": "AAAA"}
		mod(p)
		return p
	}
	answerAll := func(o *cognitoauth.Options) {
		o.ChallengeHandler = func(context.Context, cognitoauth.Challenge) (map[string]string, error) {
			return map[string]string{"ANSWER": "x"}, nil
		}
	}
	for _, tc := range []struct {
		name      string
		challenge ciptypes.ChallengeNameType
		params    map[string]string
		opt       func(*cognitoauth.Options)
		want      string
		calls     int64
	}{
		{"SRP_B of a megabyte", ciptypes.ChallengeNameTypePasswordVerifier, srpParams(func(p map[string]string) { p["SRP_B"] = strings.Repeat("f", 1<<20) }), nil,
			"cognitoauth: srp: SRP_B is 1048576 characters; at most 2048 hex digits are allowed", 1},
		{"SRP_B missing", ciptypes.ChallengeNameTypePasswordVerifier, srpParams(func(p map[string]string) { delete(p, "SRP_B") }), nil,
			"cognitoauth: srp: SRP_B is missing", 1},
		{"SRP_B of N", ciptypes.ChallengeNameTypePasswordVerifier, srpParams(func(p map[string]string) { p["SRP_B"] = strings.Repeat("0", 10) }), nil,
			"cognitoauth: srp: the server's B is 0 mod N; refusing it", 1},
		{"SALT not hex", ciptypes.ChallengeNameTypePasswordVerifier, srpParams(func(p map[string]string) { p["SALT"] = "0xzz" }), nil,
			"cognitoauth: srp: SALT is not hex (digits 0-9, a-f only, no sign or 0x)", 1},
		{"SECRET_BLOCK not base64", ciptypes.ChallengeNameTypePasswordVerifier, srpParams(func(p map[string]string) { p["SECRET_BLOCK"] = "!!!" }), nil,
			"cognitoauth: srp: SECRET_BLOCK is empty or not base64", 1},
		{"USER_ID_FOR_SRP missing", ciptypes.ChallengeNameTypePasswordVerifier, srpParams(func(p map[string]string) { delete(p, "USER_ID_FOR_SRP") }), nil,
			"cognitoauth: the PASSWORD_VERIFIER challenge has no USER_ID_FOR_SRP", 1},
		{"PASSWORD_VERIFIER forever", ciptypes.ChallengeNameTypePasswordVerifier, srpParams(func(map[string]string) {}), nil,
			"cognitoauth: Cognito asks for the PASSWORD_VERIFIER challenge; set Options.ChallengeHandler to answer it", 2},
		{"CUSTOM_CHALLENGE forever", ciptypes.ChallengeNameTypeCustomChallenge, map[string]string{}, answerAll,
			"cognitoauth: more than 10 challenges in a row", 11},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			h := &hostilePool{challenge: tc.challenge, params: tc.params}
			fns := []func(*cognitoauth.Options){}
			if tc.opt != nil {
				fns = append(fns, tc.opt)
			}
			c, err := cognitoauth.New(h, nil, "us-east-1_Abc", "client", fns...)
			require.NoError(t, err)
			_, err = c.SignIn(ctx, "alice", "Correct-Horse-1")
			require.EqualError(t, err, tc.want)
			assert.Equal(t, tc.calls, h.calls.Load())
		})
	}
}

// resultPool answers every sign-in with the tokens it is given.
type resultPool struct {
	cognitoauth.IdentityProviderAPI
	result *ciptypes.AuthenticationResultType
}

func (p resultPool) InitiateAuth(context.Context, *cip.InitiateAuthInput, ...func(*cip.Options)) (*cip.InitiateAuthOutput, error) {
	return &cip.InitiateAuthOutput{AuthenticationResult: p.result}, nil
}

// TestIncompleteAuthenticationResult: tokens without an ID or access token
// are refused, not returned half empty (an answer without an access token
// signed in, and ChangePassword, GlobalSignOut and ConfirmDevice failed
// later).
func TestIncompleteAuthenticationResult(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	idToken := "e30." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"s","cognito:username":"alice"}`)) + ".c2ln"
	for _, tc := range []struct {
		name   string
		result *ciptypes.AuthenticationResultType
		want   string
	}{
		{"complete", &ciptypes.AuthenticationResultType{IdToken: aws.String(idToken), AccessToken: aws.String("access"), ExpiresIn: 3600}, ""},
		{"no ID token", &ciptypes.AuthenticationResultType{AccessToken: aws.String("access"), ExpiresIn: 3600}, "cognitoauth: Cognito returned no ID token"},
		{"no access token", &ciptypes.AuthenticationResultType{IdToken: aws.String(idToken), ExpiresIn: 3600}, "cognitoauth: Cognito returned no access token"},
		{"ID token over 1 MiB", &ciptypes.AuthenticationResultType{IdToken: aws.String("e30." + strings.Repeat("A", 1<<20) + ".c2ln"), AccessToken: aws.String("access")},
			"cognitoauth: malformed token: 1048585 bytes, over 1048576"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := cognitoauth.New(resultPool{result: tc.result}, nil, "us-east-1_Abc", "client", func(o *cognitoauth.Options) { o.Flow = cognitoauth.FlowPassword })
			require.NoError(t, err)
			tok, err := c.SignIn(ctx, "alice", "Correct-Horse-1")
			if tc.want != "" {
				require.EqualError(t, err, tc.want)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "alice", tok.Claims.Username)
		})
	}
}

// TestSignInWithALargeIDToken: an ID token over 16 KiB, as a user
// with many groups or long attributes gets, still signs in and refreshes
// (SignIn refused it as malformed before).
func TestSignInWithALargeIDToken(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool := cognitotest.New()
	groups := make([]string, 100)
	for i := range groups {
		groups[i] = fmt.Sprintf("%03d-%s", i, strings.Repeat("g", 124)) // 128 characters, Cognito's longest group name
	}
	pool.AddUser("alice", "Correct-Horse-1", cognitotest.User{Email: "alice@example.com", Groups: groups})
	c, err := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions)
	require.NoError(t, err)
	tok, err := c.SignIn(ctx, "alice", "Correct-Horse-1")
	require.NoError(t, err)
	assert.Greater(t, len(tok.IDToken), 16<<10)
	assert.Equal(t, groups, tok.Claims.Groups)
	_, err = c.Refresh(ctx, tok)
	require.NoError(t, err)
}

// TestParseClaimsBounds: reading the largest ID token ParseClaims accepts
// allocates at most about 18 times its size (its doc says so), whatever it
// holds; the worst case is many tiny groups.
func TestParseClaimsBounds(t *testing.T) {
	payload := func(extra string) string {
		p := `{"sub":"s","cognito:username":"alice","exp":1795352400` + extra + `}`
		return "e30." + base64.RawURLEncoding.EncodeToString([]byte(p)) + ".c2ln"
	}
	fill := func(unit string) string {
		return strings.Repeat(unit, (750<<10)/len(unit))
	}
	for _, tc := range []struct{ name, token string }{
		{"one long attribute", payload(`,"custom:a":"` + fill("a") + `"`)},
		{"tiny groups", payload(`,"cognito:groups":["g"` + fill(`,"g"`) + `]`)},
		{"many claims", payload(fill(`,"k":1`))},
		{"nested arrays", payload(`,"x":` + strings.Repeat("[", 9000) + strings.Repeat("]", 9000))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.LessOrEqual(t, len(tc.token), 1<<20)
			n := allocated(func() { _, _, _ = cognitoauth.ParseClaims(tc.token) })
			t.Logf("%d bytes allocated for a %d-byte token", n, len(tc.token))
			assert.Less(t, n, uint64(20*len(tc.token)))
		})
	}
}
