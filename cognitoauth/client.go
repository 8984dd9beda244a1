package cognitoauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/smithy-go"

	"github.com/kumo-go/kumo/internal/redact"
)

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
