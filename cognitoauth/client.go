package cognitoauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/kumo-go/kumo/cognitoauth/internal/srp"
	"github.com/kumo-go/kumo/internal/redact"
)

// IdentityProviderAPI is the part of the Cognito user-pools client
// (cognitoidentityprovider.Client) this package calls.
type IdentityProviderAPI interface {
	InitiateAuth(ctx context.Context, params *cip.InitiateAuthInput, optFns ...func(*cip.Options)) (*cip.InitiateAuthOutput, error)
	RespondToAuthChallenge(ctx context.Context, params *cip.RespondToAuthChallengeInput, optFns ...func(*cip.Options)) (*cip.RespondToAuthChallengeOutput, error)
	AdminInitiateAuth(ctx context.Context, params *cip.AdminInitiateAuthInput, optFns ...func(*cip.Options)) (*cip.AdminInitiateAuthOutput, error)
	AdminRespondToAuthChallenge(ctx context.Context, params *cip.AdminRespondToAuthChallengeInput, optFns ...func(*cip.Options)) (*cip.AdminRespondToAuthChallengeOutput, error)
}

// IdentityAPI is the part of the Cognito identity-pools client
// (cognitoidentity.Client) this package calls.
type IdentityAPI interface {
	GetId(ctx context.Context, params *cognitoidentity.GetIdInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.GetIdOutput, error)
	GetCredentialsForIdentity(ctx context.Context, params *cognitoidentity.GetCredentialsForIdentityInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.GetCredentialsForIdentityOutput, error)
	GetOpenIdToken(ctx context.Context, params *cognitoidentity.GetOpenIdTokenInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.GetOpenIdTokenOutput, error)
}

// Config names the pools and the app client.
type Config struct {
	Region         string
	UserPoolID     string // such as eu-west-1_AbC123
	ClientID       string
	ClientSecret   string // optional: SECRET_HASH is sent whenever it is set
	IdentityPoolID string // needed for credentials
	AccountID      string // optional, for GetId
	CustomRoleARN  string // optional: the role to ask the identity pool for
}

// Flow is how SignIn proves the password.
type Flow int

const (
	// FlowSRP (USER_SRP_AUTH), the default, never sends the password.
	FlowSRP Flow = iota
	// FlowPassword is USER_PASSWORD_AUTH: the password goes to Cognito over TLS.
	FlowPassword
	// FlowAdminPassword is ADMIN_USER_PASSWORD_AUTH, for servers with IAM
	// credentials for the user pool.
	FlowAdminPassword
	// FlowAdminNoSRP is the older name of the admin flow, ADMIN_NO_SRP_AUTH.
	FlowAdminNoSRP
)

// Challenge is a step Cognito asks for before it issues tokens.
type Challenge struct {
	Name       string
	Parameters map[string]string
}

// ChallengeHandler answers a challenge with its responses, such as
// {"NEW_PASSWORD": "…"} or {"SOFTWARE_TOKEN_MFA_CODE": "123456"}. USERNAME
// and SECRET_HASH are added for it.
type ChallengeHandler func(ctx context.Context, c Challenge) (map[string]string, error)

// ChallengeError is returned when Cognito asks for a challenge nobody
// answered.
type ChallengeError struct {
	Name       string
	Parameters map[string]string
}

func (e *ChallengeError) Error() string {
	return fmt.Sprintf("cognitoauth: Cognito asks for the %s challenge; set Options.ChallengeHandler to answer it", e.Name)
}

// Errors for the outcomes apps branch on; the service error stays wrapped.
var (
	ErrNotAuthorized         = errors.New("cognitoauth: incorrect username or password")
	ErrUserNotFound          = errors.New("cognitoauth: no such user")
	ErrUserNotConfirmed      = errors.New("cognitoauth: the user is not confirmed")
	ErrPasswordResetRequired = errors.New("cognitoauth: the user must reset the password")
	ErrSessionExpired        = errors.New("cognitoauth: the session expired; sign in again")
)

// Options configure a [Client].
type Options struct {
	Flow             Flow
	ChallengeHandler ChallengeHandler
	// RefreshBefore is how long before expiry the provider refreshes tokens
	// and credentials; default 5 minutes.
	RefreshBefore time.Duration
	// Clock is the time source; default time.Now.
	Clock func() time.Time
	// RefreshRotation says the app client has refresh-token rotation on:
	// Refresh calls GetTokensFromRefreshToken (the user-pools client must
	// implement RefreshTokenAPI) and keeps the new refresh token. Without
	// it, Refresh detects rotation from the service's answers (see
	// [Client.Refresh]).
	RefreshRotation bool
}

// Client signs users in and exchanges their tokens for credentials. It is
// safe for concurrent use.
type Client struct {
	idp    IdentityProviderAPI
	ids    IdentityAPI
	cfg    Config // ClientSecret is in secret
	secret redact.Hidden[string]
	opts   Options

	mu         sync.Mutex
	identities map[string]string // sub (or "" for guests) -> identity ID
	rotates    atomic.Bool       // the app client was seen to rotate refresh tokens
}

// New returns a client. ids may be nil when only SignIn and Refresh are used.
func New(idp IdentityProviderAPI, ids IdentityAPI, cfg Config, optFns ...func(*Options)) (*Client, error) {
	if idp == nil {
		return nil, errors.New("cognitoauth: New needs a user-pools client")
	}
	if cfg.UserPoolID == "" || cfg.ClientID == "" || !strings.Contains(cfg.UserPoolID, "_") {
		return nil, fmt.Errorf("cognitoauth: Config needs a UserPoolID (region_name) and a ClientID, got %q and %q", cfg.UserPoolID, cfg.ClientID)
	}
	if cfg.Region == "" {
		cfg.Region, _, _ = strings.Cut(cfg.UserPoolID, "_")
	}
	o := Options{RefreshBefore: 5 * time.Minute, Clock: time.Now}
	for _, fn := range optFns {
		fn(&o)
	}
	if _, ok := idp.(RefreshTokenAPI); o.RefreshRotation && !ok {
		return nil, fmt.Errorf("cognitoauth: Options.RefreshRotation needs a user-pools client with GetTokensFromRefreshToken (RefreshTokenAPI); %T has none", idp)
	}
	if o.Flow < FlowSRP || o.Flow > FlowAdminNoSRP {
		return nil, fmt.Errorf("cognitoauth: unknown flow %d", o.Flow)
	}
	// The client secret is kept out of fmt's reach (see internal/redact).
	secret := redact.Hide(cfg.ClientSecret)
	cfg.ClientSecret = ""
	return &Client{idp: idp, ids: ids, cfg: cfg, secret: secret, opts: o, identities: map[string]string{}}, nil
}

// SecretHash is Cognito's SECRET_HASH: base64 HMAC-SHA256 of username and
// client ID under the client secret.
func SecretHash(clientSecret, username, clientID string) string {
	m := hmac.New(sha256.New, []byte(clientSecret))
	m.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func (c *Client) withSecret(params map[string]string, username string) map[string]string {
	if secret := c.secret.Value(); secret != "" {
		params["SECRET_HASH"] = SecretHash(secret, username, c.cfg.ClientID)
	}
	return params
}

// step is one answer from Cognito: tokens, or a challenge.
type step struct {
	result    *ciptypes.AuthenticationResultType
	challenge string
	params    map[string]string
	session   *string
}

func (c *Client) admin() bool {
	return c.opts.Flow == FlowAdminPassword || c.opts.Flow == FlowAdminNoSRP
}

// SignIn signs username in with password through Options.Flow and answers
// the challenges that follow.
func (c *Client) SignIn(ctx context.Context, username, password string) (*Tokens, error) {
	if username == "" || password == "" {
		return nil, errors.New("cognitoauth: username and password must not be empty")
	}
	var st step
	var err error
	switch c.opts.Flow {
	case FlowSRP:
		sess := srp.New(c.cfg.UserPoolID, nil)
		st, err = c.initiate(ctx, ciptypes.AuthFlowTypeUserSrpAuth, c.withSecret(map[string]string{"USERNAME": username, "SRP_A": sess.A()}, username))
		if err == nil && st.challenge == string(ciptypes.ChallengeNameTypePasswordVerifier) {
			userID := st.params["USER_ID_FOR_SRP"]
			if userID == "" {
				return nil, errors.New("cognitoauth: the PASSWORD_VERIFIER challenge has no USER_ID_FOR_SRP")
			}
			sig, ts, cerr := sess.PasswordClaim(userID, password, st.params["SALT"], st.params["SRP_B"], st.params["SECRET_BLOCK"], c.opts.Clock())
			if cerr != nil {
				return nil, fmt.Errorf("cognitoauth: %w", cerr)
			}
			st, err = c.respond(ctx, st, c.withSecret(map[string]string{
				"USERNAME": userID, "PASSWORD_CLAIM_SECRET_BLOCK": st.params["SECRET_BLOCK"],
				"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
			}, userID))
		}
	case FlowPassword:
		st, err = c.initiate(ctx, ciptypes.AuthFlowTypeUserPasswordAuth, c.withSecret(map[string]string{"USERNAME": username, "PASSWORD": password}, username))
	default:
		flow := ciptypes.AuthFlowTypeAdminUserPasswordAuth
		if c.opts.Flow == FlowAdminNoSRP {
			flow = ciptypes.AuthFlowTypeAdminNoSrpAuth
		}
		st, err = c.initiate(ctx, flow, c.withSecret(map[string]string{"USERNAME": username, "PASSWORD": password}, username))
	}
	for round := 0; err == nil && st.result == nil; round++ {
		if round == 10 {
			return nil, errors.New("cognitoauth: more than 10 challenges in a row")
		}
		ch := Challenge{Name: st.challenge, Parameters: st.params}
		if c.opts.ChallengeHandler == nil {
			return nil, &ChallengeError{Name: ch.Name, Parameters: ch.Parameters}
		}
		answers, herr := c.opts.ChallengeHandler(ctx, ch)
		if herr != nil {
			return nil, fmt.Errorf("cognitoauth: answering %s: %w", ch.Name, herr)
		}
		user := st.params["USER_ID_FOR_SRP"]
		if user == "" {
			user = st.params["USERNAME"]
		}
		if user == "" {
			user = username
		}
		responses := map[string]string{"USERNAME": user}
		for k, v := range answers {
			responses[k] = v
		}
		st, err = c.respond(ctx, st, c.withSecret(responses, user))
	}
	if err != nil {
		return nil, mapError(err, false)
	}
	return tokensFrom(st.result, "", c.opts.Clock())
}

func (c *Client) initiate(ctx context.Context, flow ciptypes.AuthFlowType, params map[string]string) (step, error) {
	if c.admin() {
		out, err := c.idp.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{AuthFlow: flow, ClientId: aws.String(c.cfg.ClientID),
			UserPoolId: aws.String(c.cfg.UserPoolID), AuthParameters: params})
		if err != nil {
			return step{}, err
		}
		return step{out.AuthenticationResult, string(out.ChallengeName), out.ChallengeParameters, out.Session}, nil
	}
	out, err := c.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: flow, ClientId: aws.String(c.cfg.ClientID), AuthParameters: params})
	if err != nil {
		return step{}, err
	}
	return step{out.AuthenticationResult, string(out.ChallengeName), out.ChallengeParameters, out.Session}, nil
}

func (c *Client) respond(ctx context.Context, prev step, responses map[string]string) (step, error) {
	name := ciptypes.ChallengeNameType(prev.challenge)
	if c.admin() {
		out, err := c.idp.AdminRespondToAuthChallenge(ctx, &cip.AdminRespondToAuthChallengeInput{ChallengeName: name,
			ClientId: aws.String(c.cfg.ClientID), UserPoolId: aws.String(c.cfg.UserPoolID), ChallengeResponses: responses, Session: prev.session})
		if err != nil {
			return step{}, err
		}
		return step{out.AuthenticationResult, string(out.ChallengeName), out.ChallengeParameters, out.Session}, nil
	}
	out, err := c.idp.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ChallengeName: name,
		ClientId: aws.String(c.cfg.ClientID), ChallengeResponses: responses, Session: prev.session})
	if err != nil {
		return step{}, err
	}
	return step{out.AuthenticationResult, string(out.ChallengeName), out.ChallengeParameters, out.Session}, nil
}

// mapError wraps Cognito's errors in the sentinel they mean.
func mapError(err error, refreshing bool) error {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return fmt.Errorf("cognitoauth: %w", err)
	}
	var sentinel error
	switch apiErr.ErrorCode() {
	case "NotAuthorizedException":
		sentinel = ErrNotAuthorized
		if refreshing {
			sentinel = ErrSessionExpired
		}
	case "RefreshTokenReuseException": // a refresh token rotated out
		sentinel = ErrSessionExpired
	case "UserNotFoundException":
		sentinel = ErrUserNotFound
	case "UserNotConfirmedException":
		sentinel = ErrUserNotConfirmed
	case "PasswordResetRequiredException":
		sentinel = ErrPasswordResetRequired
	default:
		return fmt.Errorf("cognitoauth: %w", err)
	}
	return fmt.Errorf("%w: %w", sentinel, err)
}

func tokensFrom(r *ciptypes.AuthenticationResultType, refresh string, now time.Time) (*Tokens, error) {
	if r == nil || aws.ToString(r.IdToken) == "" {
		return nil, errors.New("cognitoauth: Cognito returned no ID token")
	}
	claims, _, err := ParseClaims(aws.ToString(r.IdToken))
	if err != nil {
		return nil, err
	}
	t := &Tokens{IDToken: aws.ToString(r.IdToken), AccessToken: aws.ToString(r.AccessToken), RefreshToken: aws.ToString(r.RefreshToken),
		Expires: now.Add(time.Duration(r.ExpiresIn) * time.Second), Claims: claims}
	if t.RefreshToken == "" {
		t.RefreshToken = refresh
	}
	return t, nil
}

func (c *Client) providerName() string {
	return "cognito-idp." + c.cfg.Region + ".amazonaws.com/" + c.cfg.UserPoolID
}

// Credentials exchanges the tokens at the identity pool (the enhanced flow:
// GetId, cached per user, then GetCredentialsForIdentity).
func (c *Client) Credentials(ctx context.Context, t *Tokens) (aws.Credentials, error) {
	if t == nil || t.IDToken == "" {
		return aws.Credentials{}, errors.New("cognitoauth: Credentials needs signed-in tokens")
	}
	return c.credentials(ctx, t.Claims.Subject, map[string]string{c.providerName(): t.IDToken})
}

// GuestCredentials gets credentials for an unauthenticated identity, where
// the identity pool allows them.
func (c *Client) GuestCredentials(ctx context.Context) (aws.Credentials, error) {
	return c.credentials(ctx, "", nil)
}

func (c *Client) credentials(ctx context.Context, who string, logins map[string]string) (aws.Credentials, error) {
	if c.ids == nil || c.cfg.IdentityPoolID == "" {
		return aws.Credentials{}, errors.New("cognitoauth: credentials need an identity-pools client and Config.IdentityPoolID")
	}
	c.mu.Lock()
	id, ok := c.identities[who]
	c.mu.Unlock()
	if !ok {
		in := &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(c.cfg.IdentityPoolID), Logins: logins}
		if c.cfg.AccountID != "" {
			in.AccountId = aws.String(c.cfg.AccountID)
		}
		out, err := c.ids.GetId(ctx, in)
		if err != nil {
			return aws.Credentials{}, mapError(err, false)
		}
		id = aws.ToString(out.IdentityId)
		c.mu.Lock()
		c.identities[who] = id
		c.mu.Unlock()
	}
	in := &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: aws.String(id), Logins: logins}
	if c.cfg.CustomRoleARN != "" {
		in.CustomRoleArn = aws.String(c.cfg.CustomRoleARN)
	}
	out, err := c.ids.GetCredentialsForIdentity(ctx, in)
	if err != nil {
		return aws.Credentials{}, mapError(err, false)
	}
	if out.Credentials == nil {
		return aws.Credentials{}, errors.New("cognitoauth: the identity pool returned no credentials")
	}
	cr := out.Credentials
	return aws.Credentials{AccessKeyID: aws.ToString(cr.AccessKeyId), SecretAccessKey: aws.ToString(cr.SecretKey), SessionToken: aws.ToString(cr.SessionToken),
		Source: "kumo/cognitoauth", CanExpire: cr.Expiration != nil, Expires: aws.ToTime(cr.Expiration)}, nil
}

// Provider is an aws.CredentialsProvider for one signed-in user: each
// Retrieve refreshes the tokens when they are near expiry and exchanges them
// for new credentials. Wrap it in aws.NewCredentialsCache; concurrent
// callers trigger one refresh.
type Provider struct {
	c      *Client
	mu     sync.Mutex
	tokens *Tokens
}

// CredentialsProvider returns a provider for the user signed in as t.
func (c *Client) CredentialsProvider(t *Tokens) *Provider {
	cp := *t
	return &Provider{c: c, tokens: &cp}
}

// Tokens returns the provider's current tokens, as refreshed so far (keep
// the refresh token to resume a session).
func (p *Provider) Tokens() Tokens {
	p.mu.Lock()
	defer p.mu.Unlock()
	return *p.tokens
}

// Retrieve implements aws.CredentialsProvider.
func (p *Provider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.c.opts.Clock().Add(p.c.opts.RefreshBefore).After(p.tokens.Expires) {
		t, err := p.c.Refresh(ctx, p.tokens)
		if err != nil {
			return aws.Credentials{}, err
		}
		p.tokens = t
	}
	cr, err := p.c.Credentials(ctx, p.tokens)
	if err != nil {
		return aws.Credentials{}, err
	}
	if cr.CanExpire {
		// Let aws.CredentialsCache come back a little early.
		cr.Expires = cr.Expires.Add(-min(p.c.opts.RefreshBefore, time.Minute))
	}
	return cr, nil
}
