// Package cognitotest is an in-memory Cognito user pool and identity pool
// for tests, in the manner of net/http/httptest. A [Fake] satisfies
// cognitoauth.IdentityProviderAPI, IdentityAPI, RefreshTokenAPI,
// LifecycleAPI and DeviceAPI:
//
//	func TestSignIn(t *testing.T) {
//		ctx := context.Background()
//		pool := cognitotest.New()
//		pool.AddUser("alice", "Correct-Horse-1", cognitotest.User{Email: "alice@example.com"})
//		client, _ := cognitoauth.New(pool, pool, pool.UserPoolID(), pool.ClientID(), pool.ClientOptions)
//		tokens, err := client.SignIn(ctx, "alice", "Correct-Horse-1")
//		if err != nil {
//			t.Fatal(err)
//		}
//		jwks := pool.StartJWKS()
//		defer jwks.Close()
//		v, _ := cognitoauth.NewVerifier(pool.Region(), pool.UserPoolID(), pool.VerifierOptions(jwks.URL))
//		if _, err := v.Verify(ctx, tokens.AccessToken); err != nil {
//			t.Fatal(err)
//		}
//	}
//
// It has users with passwords; the USER_SRP_AUTH flow with the password
// claim verified for real (which moto does not do), USER_PASSWORD_AUTH, the
// admin flows and CUSTOM_AUTH (User.CustomAnswer); SECRET_HASH checks;
// NEW_PASSWORD_REQUIRED and SOFTWARE_TOKEN_MFA challenges; refresh tokens
// that can be revoked, and rotated by GetTokensFromRefreshToken when
// Options.RefreshRotation is set; sign-up, confirmation and reset codes a
// test reads with [Fake.ConfirmationCode] and [Fake.ResetCode];
// ChangePassword, GlobalSignOut and RevokeToken; device tracking
// (Options.DeviceTracking) with ConfirmDevice, UpdateDeviceStatus and
// DEVICE_SRP_AUTH proofs checked against the stored verifier;
// identity IDs; credentials whose lifetime you set; a clock you control;
// error injection, a log of every call's input and call counts.
//
// Errors are those the SDK's clients return: the user pool's as
// cognitoidentityprovider's typed structs (*types.NotAuthorizedException,
// *types.UserNotFoundException, *types.UserNotConfirmedException,
// *types.PasswordResetRequiredException, *types.ResourceNotFoundException,
// *types.InvalidParameterException, *types.InvalidPasswordException,
// *types.RefreshTokenReuseException, *types.UsernameExistsException,
// *types.CodeMismatchException, *types.ExpiredCodeException,
// *types.LimitExceededException, *types.UnsupportedTokenTypeException,
// *types.InternalErrorException), the identity pool's as
// cognitoidentity's (*types.NotAuthorizedException,
// *types.ResourceNotFoundException, *types.InvalidParameterException).
// Where an operation's model does not list an error, the SDK's client has
// no struct for it and neither has the fake: RevokeToken's
// ResourceNotFoundException and NotAuthorizedException are
// *smithy.GenericAPIError.
//
// Its ID and access tokens carry Cognito's claims and are signed with
// RS256 by a key the pool publishes as a JWKS ([Fake.JWKSHandler],
// [Fake.StartJWKS]), so a service's cognitoauth.Verifier can check them end
// to end; [Fake.RotateKey] rotates the key and [Fake.SignToken] signs
// claims of a test's choosing.
package cognitotest

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"maps"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/kumo-go/kumo/cognitoauth"
	"github.com/kumo-go/kumo/cognitoauth/internal/srp"
	"github.com/kumo-go/kumo/internal/fakecall"
	"github.com/kumo-go/kumo/internal/opts"
)

// Options configure a [Fake].
type Options struct {
	// Region, UserPoolID, ClientID and IdentityPoolID name the pools;
	// defaults: Region the part of UserPoolID before the underscore, or
	// us-east-1; UserPoolID <Region>_KumoTest1; ClientID
	// kumotestclient0000000000; IdentityPoolID
	// <Region>:00000000-0000-4000-8000-000000000000. A pool ID goes with its
	// Region, as Cognito's do: cognitoauth.New and NewVerifier refuse others.
	Region, UserPoolID, ClientID, IdentityPoolID string
	// ClientSecret, when set, makes the app client one with a secret:
	// calls must then carry SECRET_HASH; default none.
	ClientSecret string
	// TokenTTL is the ID and access tokens' lifetime; default 1 hour.
	TokenTTL time.Duration
	// CredentialsTTL is the AWS credentials' lifetime; default 1 hour.
	CredentialsTTL time.Duration
	// Clock is the time of tokens (iat, exp, auth_time), of their expiry
	// at the identity pool, and of credentials' expiry; default time.Now.
	// Set it to move time.
	Clock func() time.Time
	// AllowGuests lets GetId work without logins.
	AllowGuests bool
	// JWKSCacheControl is the Cache-Control header of JWKSHandler's
	// answers; default none.
	JWKSCacheControl string
	// RefreshRotation turns refresh-token rotation on for the app client:
	// GetTokensFromRefreshToken returns a new refresh token and the old one
	// then fails with RefreshTokenReuseException (no grace period), and
	// REFRESH_TOKEN_AUTH is refused with NotAuthorizedException (Cognito
	// refuses it on such clients; its exact error is not documented).
	RefreshRotation bool
	// DeviceTracking makes the pool track devices: a sign-in without a
	// known device's DEVICE_KEY answers NewDeviceMetadata, its refresh
	// token then needs that DEVICE_KEY, and a remembered device's key
	// leads to DEVICE_SRP_AUTH instead of MFA (see devices.go).
	DeviceTracking bool
	// UpdatedIssuer gives the pool the updated issuer configuration
	// (IssuerConfiguration type UPDATED): its tokens' iss is
	// https://issuer-cognito-idp.<region>.amazonaws.com/<pool>; default
	// the original issuer, https://cognito-idp.<region>.amazonaws.com/<pool>.
	// A Verifier for it needs VerifierOptions.IssuerType UPDATED.
	UpdatedIssuer bool
	// DeviceOptIn makes ConfirmDevice answer UserConfirmationNecessary and
	// leave the device not remembered until UpdateDeviceStatus ("user
	// opt-in"); default: devices are remembered when confirmed ("always").
	DeviceOptIn bool
}

// User describes a user added to the pool.
type User struct {
	Email  string
	Groups []string
	// Unconfirmed users cannot sign in (UserNotConfirmedException).
	Unconfirmed bool
	// ResetRequired gives PasswordResetRequiredException.
	ResetRequired bool
	// TemporaryPassword makes the first sign-in answer NEW_PASSWORD_REQUIRED.
	TemporaryPassword bool
	// TOTPCode, when set, makes sign-in ask SOFTWARE_TOKEN_MFA for it.
	TOTPCode string
	// CustomAnswer is what the CUSTOM_CHALLENGE of CUSTOM_AUTH takes as
	// ANSWER, as a pool's Lambda triggers would decide; empty: the user
	// cannot use CUSTOM_AUTH.
	CustomAnswer string
}

// Fake is the in-memory pools. It is safe for concurrent use.
//
// Its embedded Recorder gives it these methods, by operation name (the
// SDK method's: "InitiateAuth", "RespondToAuthChallenge", "SignUp",
// "ConfirmDevice", "GetId", ...; and "JWKS" for JWKSHandler's requests):
//   - FailNext(op, err): the next call of op returns err without acting;
//   - LoseNext(op, err): the next successful call of op acts, then
//     returns err instead of its answer;
//   - OnCall(op, fn): fn(input) runs before every call of op; an error
//     from it is the call's answer;
//   - Log(op): the inputs of the calls of op, oldest first, as copies;
//   - Calls(op), CallCounts(), TotalCalls(), ResetCalls(): call counts.
type Fake struct {
	fakecall.Recorder

	opts Options

	mu         sync.Mutex
	users      map[string]*user // by username
	sessions   map[string]*session
	refresh    map[string]string // refresh token -> username
	rotatedOut map[string]bool   // refresh tokens replaced by rotation
	identities map[string]string // login key -> identity ID
	keys       []signingKey      // published; the last one signs
	life       lifeState         // sign-up, codes, access tokens and devices (lifecycle.go, devices.go)
}

type user struct {
	name, sub, password, salt string
	User
}

type session struct {
	username string
	stage    string
	server   *srp.Server
	srpA     string
	block    []byte
	device   string // the DEVICE_KEY the sign-in started with
	custom   bool   // CUSTOM_AUTH: the custom challenge follows the password
}

// New returns an empty pool.
func New(optFns ...func(*Options)) *Fake {
	var o Options
	opts.Apply(&o, optFns)
	if region, _, ok := strings.Cut(o.UserPoolID, "_"); ok && o.Region == "" {
		o.Region = region
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	for _, d := range []struct {
		v   *string
		def string
	}{{&o.UserPoolID, o.Region + "_KumoTest1"}, {&o.ClientID, "kumotestclient0000000000"},
		{&o.IdentityPoolID, o.Region + ":00000000-0000-4000-8000-000000000000"}} {
		if *d.v == "" {
			*d.v = d.def
		}
	}
	if o.TokenTTL == 0 {
		o.TokenTTL = time.Hour
	}
	if o.CredentialsTTL == 0 {
		o.CredentialsTTL = time.Hour
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return &Fake{opts: o, users: map[string]*user{}, sessions: map[string]*session{}, refresh: map[string]string{}, rotatedOut: map[string]bool{},
		identities: map[string]string{}, keys: []signingKey{initialKey()}}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// AddUser adds a user; the sub is a random UUID-shaped ID.
func (f *Fake) AddUser(username, password string, u User) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[username] = &user{name: username, sub: uuid(),
		password: password, salt: randHex(16), User: u}
}

// RevokeRefreshTokens makes the user's refresh tokens fail, as a global
// sign-out does.
func (f *Fake) RevokeRefreshTokens(username string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for tok, name := range f.refresh {
		if name == username {
			delete(f.refresh, tok)
		}
	}
}

// begin counts and logs a call with its input, and applies injected
// failures and hooks (fakecall.Begin); on success it returns with f.mu
// held.
func (f *Fake) begin(op string, in any) error {
	if err := fakecall.Begin(&f.Recorder, op, in); err != nil {
		return err
	}
	f.mu.Lock()
	return nil
}

func (f *Fake) checkClient(clientID string, params map[string]string, username string) error {
	if clientID != f.opts.ClientID {
		return apiError("ResourceNotFoundException", "User pool client "+clientID+" does not exist.")
	}
	if f.opts.ClientSecret != "" {
		if params["SECRET_HASH"] != cognitoauth.SecretHash(f.opts.ClientSecret, username, f.opts.ClientID) {
			return apiError("NotAuthorizedException", "Unable to verify secret hash for client "+clientID)
		}
	}
	return nil
}

// authOut is what every auth operation answers.
type authOut struct {
	result  *ciptypes.AuthenticationResultType
	name    ciptypes.ChallengeNameType
	params  map[string]string
	session *string
}

func (f *Fake) userFor(name string) (*user, error) {
	u, ok := f.users[name]
	if !ok {
		return nil, apiError("UserNotFoundException", "User does not exist.")
	}
	switch {
	case u.Unconfirmed:
		return nil, apiError("UserNotConfirmedException", "User is not confirmed.")
	case u.ResetRequired:
		return nil, apiError("PasswordResetRequiredException", "Password reset required for the user")
	}
	return u, nil
}

func (f *Fake) newSession(s *session) *string {
	id := randHex(24)
	f.sessions[id] = s
	return &id
}

// afterPassword issues the next challenge or the tokens.
func (f *Fake) afterPassword(u *user, device string) authOut {
	if u.TemporaryPassword {
		return authOut{name: ciptypes.ChallengeNameTypeNewPasswordRequired,
			params:  map[string]string{"USER_ID_FOR_SRP": u.name, "requiredAttributes": "[]", "userAttributes": `{"email":"` + u.Email + `"}`},
			session: f.newSession(&session{username: u.name, stage: "NEW_PASSWORD_REQUIRED", device: device})}
	}
	if out, ok := f.deviceAuth(u, device); ok {
		return out
	}
	if u.TOTPCode != "" {
		return authOut{name: ciptypes.ChallengeNameTypeSoftwareTokenMfa, params: map[string]string{"USER_ID_FOR_SRP": u.name},
			session: f.newSession(&session{username: u.name, stage: "SOFTWARE_TOKEN_MFA", device: device})}
	}
	return authOut{result: f.issueDevice(u, device)}
}

// issue makes tokens: ID and access tokens with Cognito's claims, signed
// with the pool's current key.
func (f *Fake) issue(u *user, withRefresh bool) *ciptypes.AuthenticationResultType {
	now := f.opts.Clock()
	id, access := f.sign(f.tokenClaims(u, "id", now)), f.sign(f.tokenClaims(u, "access", now))
	r := &ciptypes.AuthenticationResultType{IdToken: aws.String(id), AccessToken: aws.String(access),
		ExpiresIn: int32(f.opts.TokenTTL / time.Second), TokenType: aws.String("Bearer")}
	if withRefresh {
		tok := "refresh-" + randHex(24)
		f.refresh[tok] = u.name
		r.RefreshToken = aws.String(tok)
	}
	f.recordIssued(u.name, r)
	return r
}

func (f *Fake) initiate(clientID string, flow ciptypes.AuthFlowType, params map[string]string, admin bool) (authOut, error) {
	username := params["USERNAME"]
	switch flow {
	case ciptypes.AuthFlowTypeUserSrpAuth:
		if admin {
			return authOut{}, apiError("InvalidParameterException", "USER_SRP_AUTH is not an admin flow")
		}
		if err := f.checkClient(clientID, params, username); err != nil {
			return authOut{}, err
		}
		u, err := f.userFor(username)
		if err != nil {
			return authOut{}, err
		}
		b, _ := new(big.Int).SetString(randHex(64), 16)
		server, err := srp.NewServer(f.opts.UserPoolID, u.name, u.password, u.salt, b)
		if err != nil {
			return authOut{}, err
		}
		block := []byte(randHex(48))
		s := &session{username: u.name, stage: "PASSWORD_VERIFIER", server: server, srpA: params["SRP_A"], block: block, device: params["DEVICE_KEY"]}
		return authOut{name: ciptypes.ChallengeNameTypePasswordVerifier, params: map[string]string{
			"USER_ID_FOR_SRP": u.name, "USERNAME": u.name, "SALT": u.salt, "SRP_B": server.B(),
			"SECRET_BLOCK": base64.StdEncoding.EncodeToString(block), "SRP_A": params["SRP_A"]}, session: f.newSession(s)}, nil
	case ciptypes.AuthFlowTypeUserPasswordAuth, ciptypes.AuthFlowTypeAdminUserPasswordAuth, ciptypes.AuthFlowTypeAdminNoSrpAuth:
		if admin != (flow != ciptypes.AuthFlowTypeUserPasswordAuth) {
			return authOut{}, apiError("InvalidParameterException", string(flow)+" is not allowed on this operation")
		}
		if err := f.checkClient(clientID, params, username); err != nil {
			return authOut{}, err
		}
		u, err := f.userFor(username)
		if err != nil {
			return authOut{}, err
		}
		if params["PASSWORD"] != u.password {
			return authOut{}, apiError("NotAuthorizedException", "Incorrect username or password.")
		}
		return f.afterPassword(u, params["DEVICE_KEY"]), nil
	case ciptypes.AuthFlowTypeRefreshTokenAuth, ciptypes.AuthFlowTypeRefreshToken:
		if f.opts.RefreshRotation {
			return authOut{}, apiError("NotAuthorizedException", "REFRESH_TOKEN_AUTH is not allowed for app clients with refresh token rotation; use GetTokensFromRefreshToken")
		}
		name, ok := f.refresh[params["REFRESH_TOKEN"]]
		if !ok {
			return authOut{}, apiError("NotAuthorizedException", "Invalid Refresh Token")
		}
		if err := f.checkClient(clientID, params, name); err != nil {
			return authOut{}, err
		}
		if err := f.checkRefreshDevice(params["REFRESH_TOKEN"], params["DEVICE_KEY"]); err != nil {
			return authOut{}, err
		}
		r := f.issue(f.users[name], false)
		f.refreshed(params["REFRESH_TOKEN"], r)
		return authOut{result: r}, nil
	case ciptypes.AuthFlowTypeCustomAuth:
		return f.initiateCustom(clientID, params, admin)
	}
	return authOut{}, apiError("InvalidParameterException", "unsupported auth flow "+string(flow))
}

func (f *Fake) respond(clientID string, name ciptypes.ChallengeNameType, responses map[string]string, sessionID *string) (authOut, error) {
	s, ok := f.sessions[aws.ToString(sessionID)]
	if !ok || string(name) != s.stage {
		return authOut{}, apiError("NotAuthorizedException", "Invalid session for the user.")
	}
	delete(f.sessions, aws.ToString(sessionID))
	if err := f.checkClient(clientID, responses, responses["USERNAME"]); err != nil {
		return authOut{}, err
	}
	if responses["USERNAME"] != s.username {
		return authOut{}, apiError("NotAuthorizedException", "USERNAME does not match the session")
	}
	u := f.users[s.username]
	switch name {
	case ciptypes.ChallengeNameTypePasswordVerifier:
		ts, err := time.Parse("Mon Jan 2 15:04:05 UTC 2006", responses["TIMESTAMP"])
		if err != nil || responses["TIMESTAMP"] != ts.Format("Mon Jan 2 15:04:05 UTC 2006") {
			return authOut{}, apiError("InvalidParameterException", "TIMESTAMP is not in the required format")
		}
		want, err := s.server.Expected(s.srpA, s.block, responses["TIMESTAMP"])
		if err != nil {
			return authOut{}, apiError("InvalidParameterException", err.Error())
		}
		if responses["PASSWORD_CLAIM_SECRET_BLOCK"] != base64.StdEncoding.EncodeToString(s.block) ||
			!hmac.Equal([]byte(responses["PASSWORD_CLAIM_SIGNATURE"]), []byte(want)) {
			return authOut{}, apiError("NotAuthorizedException", "Incorrect username or password.")
		}
		if s.custom {
			return f.customChallenge(u, s.device), nil
		}
		return f.afterPassword(u, s.device), nil
	case ciptypes.ChallengeNameTypeNewPasswordRequired:
		if len(responses["NEW_PASSWORD"]) < 8 {
			return authOut{}, apiError("InvalidPasswordException", "Password does not conform to policy: Password not long enough")
		}
		u.password, u.TemporaryPassword = responses["NEW_PASSWORD"], false
		return f.afterPassword(u, s.device), nil
	case ciptypes.ChallengeNameTypeSoftwareTokenMfa:
		if responses["SOFTWARE_TOKEN_MFA_CODE"] != u.TOTPCode {
			return authOut{}, apiError("CodeMismatchException", "Invalid code received for user")
		}
		return authOut{result: f.issueDevice(u, s.device)}, nil
	case ciptypes.ChallengeNameTypeDeviceSrpAuth, ciptypes.ChallengeNameTypeDevicePasswordVerifier, ciptypes.ChallengeNameTypeCustomChallenge:
		return f.respondMore(u, s, name, responses)
	}
	return authOut{}, apiError("InvalidParameterException", "unsupported challenge "+string(name))
}

// InitiateAuth implements cognitoauth.IdentityProviderAPI.
func (f *Fake) InitiateAuth(_ context.Context, in *cip.InitiateAuthInput, _ ...func(*cip.Options)) (out *cip.InitiateAuthOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("InitiateAuth", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "InitiateAuth", &out, &err)
	res, err := f.initiate(aws.ToString(in.ClientId), in.AuthFlow, maps.Clone(in.AuthParameters), false)
	if err != nil {
		return nil, err
	}
	return &cip.InitiateAuthOutput{AuthenticationResult: res.result, ChallengeName: res.name, ChallengeParameters: res.params, Session: res.session}, nil
}

// AdminInitiateAuth implements cognitoauth.IdentityProviderAPI.
func (f *Fake) AdminInitiateAuth(_ context.Context, in *cip.AdminInitiateAuthInput, _ ...func(*cip.Options)) (out *cip.AdminInitiateAuthOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("AdminInitiateAuth", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "AdminInitiateAuth", &out, &err)
	if aws.ToString(in.UserPoolId) != f.opts.UserPoolID {
		return nil, apiError("ResourceNotFoundException", "User pool "+aws.ToString(in.UserPoolId)+" does not exist.")
	}
	res, err := f.initiate(aws.ToString(in.ClientId), in.AuthFlow, maps.Clone(in.AuthParameters), true)
	if err != nil {
		return nil, err
	}
	return &cip.AdminInitiateAuthOutput{AuthenticationResult: res.result, ChallengeName: res.name, ChallengeParameters: res.params, Session: res.session}, nil
}

// RespondToAuthChallenge implements cognitoauth.IdentityProviderAPI.
func (f *Fake) RespondToAuthChallenge(_ context.Context, in *cip.RespondToAuthChallengeInput, _ ...func(*cip.Options)) (out *cip.RespondToAuthChallengeOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("RespondToAuthChallenge", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "RespondToAuthChallenge", &out, &err)
	res, err := f.respond(aws.ToString(in.ClientId), in.ChallengeName, in.ChallengeResponses, in.Session)
	if err != nil {
		return nil, err
	}
	return &cip.RespondToAuthChallengeOutput{AuthenticationResult: res.result, ChallengeName: res.name, ChallengeParameters: res.params, Session: res.session}, nil
}

// AdminRespondToAuthChallenge implements cognitoauth.IdentityProviderAPI.
func (f *Fake) AdminRespondToAuthChallenge(_ context.Context, in *cip.AdminRespondToAuthChallengeInput, _ ...func(*cip.Options)) (out *cip.AdminRespondToAuthChallengeOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("AdminRespondToAuthChallenge", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "AdminRespondToAuthChallenge", &out, &err)
	res, err := f.respond(aws.ToString(in.ClientId), in.ChallengeName, in.ChallengeResponses, in.Session)
	if err != nil {
		return nil, err
	}
	return &cip.AdminRespondToAuthChallengeOutput{AuthenticationResult: res.result, ChallengeName: res.name, ChallengeParameters: res.params, Session: res.session}, nil
}

func (f *Fake) providerName() string {
	return "cognito-idp." + f.opts.Region + ".amazonaws.com/" + f.opts.UserPoolID
}

// login checks logins and returns the key its identity is kept under: the
// user's sub, or "" for a guest.
func (f *Fake) login(logins map[string]string) (string, error) {
	if len(logins) == 0 {
		return "", nil
	}
	tok, ok := logins[f.providerName()]
	if !ok || len(logins) != 1 {
		return "", identityError("NotAuthorizedException", "Invalid login token. The provider must be "+f.providerName())
	}
	claims, exp, err := cognitoauth.ParseClaims(tok)
	if err != nil {
		return "", identityError("NotAuthorizedException", "Invalid login token. Not a valid OpenId Connect identity token.")
	}
	if !exp.IsZero() && !f.opts.Clock().Before(exp) {
		return "", identityError("NotAuthorizedException", "Invalid login token. Token expired: "+exp.Format(time.RFC3339))
	}
	return claims.Subject, nil
}

// GetId implements cognitoauth.IdentityAPI.
func (f *Fake) GetId(_ context.Context, in *cognitoidentity.GetIdInput, _ ...func(*cognitoidentity.Options)) (out *cognitoidentity.GetIdOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("GetId", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "GetId", &out, &err)
	if aws.ToString(in.IdentityPoolId) != f.opts.IdentityPoolID {
		return nil, identityError("ResourceNotFoundException", "IdentityPool '"+aws.ToString(in.IdentityPoolId)+"' not found.")
	}
	who, err := f.login(in.Logins)
	if err != nil {
		return nil, err
	}
	if who == "" {
		if !f.opts.AllowGuests {
			return nil, identityError("NotAuthorizedException", "Unauthenticated access is not supported for this identity pool.")
		}
		who = "guest-" + randHex(8)
	}
	id, ok := f.identities[who]
	if !ok {
		h := randHex(16)
		id = f.opts.Region + ":" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
		f.identities[who] = id
	}
	return &cognitoidentity.GetIdOutput{IdentityId: aws.String(id)}, nil
}

// GetCredentialsForIdentity implements cognitoauth.IdentityAPI.
func (f *Fake) GetCredentialsForIdentity(_ context.Context, in *cognitoidentity.GetCredentialsForIdentityInput, _ ...func(*cognitoidentity.Options)) (out *cognitoidentity.GetCredentialsForIdentityOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("GetCredentialsForIdentity", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "GetCredentialsForIdentity", &out, &err)
	who, err := f.login(in.Logins)
	if err != nil {
		return nil, err
	}
	id := aws.ToString(in.IdentityId)
	owner := ""
	for k, v := range f.identities {
		if v == id {
			owner = k
		}
	}
	if owner == "" {
		return nil, identityError("ResourceNotFoundException", "Identity '"+id+"' not found.")
	}
	if !strings.HasPrefix(owner, "guest-") && owner != who {
		return nil, identityError("NotAuthorizedException", "Logins don't match. Please include at least one valid login for this identity or identity pool.")
	}
	if r := aws.ToString(in.CustomRoleArn); r != "" && !strings.HasPrefix(r, "arn:aws:iam::") {
		return nil, identityError("InvalidParameterException", "CustomRoleArn is not a role ARN")
	}
	exp := f.opts.Clock().Add(f.opts.CredentialsTTL)
	return &cognitoidentity.GetCredentialsForIdentityOutput{IdentityId: aws.String(id), Credentials: &citypes.Credentials{
		AccessKeyId: aws.String("ASIA" + strings.ToUpper(randHex(8))), SecretKey: aws.String(randHex(20)),
		SessionToken: aws.String("token-" + randHex(32)), Expiration: &exp}}, nil
}

// GetTokensFromRefreshToken implements cognitoauth.RefreshTokenAPI: new ID
// and access tokens, and with Options.RefreshRotation a new refresh token
// that replaces the old one.
func (f *Fake) GetTokensFromRefreshToken(_ context.Context, in *cip.GetTokensFromRefreshTokenInput, _ ...func(*cip.Options)) (out *cip.GetTokensFromRefreshTokenOutput, err error) {
	in = fakecall.Input(in)
	if err := f.begin("GetTokensFromRefreshToken", in); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	defer fakecall.End(&f.Recorder, "GetTokensFromRefreshToken", &out, &err)
	if err := f.checkClientSecret(in.ClientId, in.ClientSecret, apiError); err != nil {
		return nil, err
	}
	old := aws.ToString(in.RefreshToken)
	if f.rotatedOut[old] {
		return nil, apiError("RefreshTokenReuseException", "Refresh token has been rotated and cannot be reused")
	}
	name, ok := f.refresh[old]
	if !ok {
		return nil, apiError("NotAuthorizedException", "Invalid Refresh Token")
	}
	if err := f.checkRefreshDevice(old, aws.ToString(in.DeviceKey)); err != nil {
		return nil, err
	}
	r := f.issue(f.users[name], f.opts.RefreshRotation)
	f.refreshed(old, r)
	if f.opts.RefreshRotation {
		delete(f.refresh, old)
		f.rotatedOut[old] = true
	}
	return &cip.GetTokensFromRefreshTokenOutput{AuthenticationResult: r}, nil
}

// Compile-time checks that the fake satisfies the interfaces cognitoauth
// asks for.
var (
	_ cognitoauth.IdentityProviderAPI = (*Fake)(nil)
	_ cognitoauth.IdentityAPI         = (*Fake)(nil)
	_ cognitoauth.RefreshTokenAPI     = (*Fake)(nil)
)
