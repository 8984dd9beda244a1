package cognitoauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/aws/smithy-go"

	"github.com/kumo-go/kumo/internal/opts"
	"github.com/kumo-go/kumo/internal/redact"
)

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
	// FlowCustom is CUSTOM_AUTH: the pool's Lambda triggers choose the
	// challenges, and Options.ChallengeHandler answers them
	// (CUSTOM_CHALLENGE). With a password, SignIn first proves it by SRP
	// (CHALLENGE_NAME SRP_A, then PASSWORD_VERIFIER), as Amplify's
	// CUSTOM_WITH_SRP does; with an empty one it starts with the custom
	// challenges.
	FlowCustom
)

var flowNames = [...]string{"FlowSRP", "FlowPassword", "FlowAdminPassword", "FlowAdminNoSRP", "FlowCustom"}

// String names the flow as its constant.
func (f Flow) String() string {
	if f >= 0 && int(f) < len(flowNames) {
		return flowNames[f]
	}
	return fmt.Sprintf("Flow(%d)", int(f))
}

// Errors for the outcomes apps branch on; the service error stays wrapped,
// so errors.As with smithy.APIError or the SDK's typed error still works.
var (
	ErrNotAuthorized         = errors.New("cognitoauth: incorrect username or password")
	ErrUserNotFound          = errors.New("cognitoauth: no such user")
	ErrUserNotConfirmed      = errors.New("cognitoauth: the user is not confirmed")
	ErrPasswordResetRequired = errors.New("cognitoauth: the user must reset the password")
	ErrSessionExpired        = errors.New("cognitoauth: the session expired; sign in again")
	// ErrUsernameExists: SignUp with a username the pool already has.
	ErrUsernameExists = errors.New("cognitoauth: the username is taken")
	// ErrCodeMismatch: a confirmation or reset code that is wrong.
	ErrCodeMismatch = errors.New("cognitoauth: the code is wrong")
	// ErrCodeExpired: a code that expired or was replaced by a newer one;
	// ask for a new code.
	ErrCodeExpired = errors.New("cognitoauth: the code expired; ask for a new one")
	// ErrInvalidPassword: a new password the pool's policy refuses,
	// its password-history rule included (a recent password reused).
	ErrInvalidPassword = errors.New("cognitoauth: the password does not meet the pool's policy")
	// ErrLimitExceeded: too many attempts or codes; try again later.
	ErrLimitExceeded = errors.New("cognitoauth: too many attempts; try again later")
)

// Options configure a [Client]. The zero value of each field means the
// default its comment states.
type Options struct {
	// Region is the user pool's Region: the part of the user pool ID
	// before the underscore, which is the default; another value is
	// refused.
	Region string
	// ClientSecret is the app client's secret, for app clients that have
	// one: SECRET_HASH (or ClientSecret) is then sent with every call that
	// takes it. Default none. Options print it redacted.
	ClientSecret string
	// IdentityPoolID is the identity pool that Credentials, GuestCredentials
	// and the Provider use; default none (those then fail).
	IdentityPoolID string
	// AccountID is sent with GetId; default none.
	AccountID string
	// CustomRoleARN is the role to ask the identity pool for; default the
	// pool's role for the user.
	CustomRoleARN string

	// Flow is how SignIn proves the password; default FlowSRP.
	Flow Flow
	// ChallengeHandler answers the challenges SignIn meets (MFA, new
	// password, custom); default none: SignIn returns a *ChallengeError.
	ChallengeHandler ChallengeHandler `json:"-"`
	// RefreshBefore is how long before expiry the provider refreshes tokens
	// and credentials; default 5 minutes.
	RefreshBefore time.Duration
	// Clock is the time source; default time.Now.
	Clock func() time.Time `json:"-"`
	// Rand is the source of the SRP secrets and device passwords; default
	// crypto/rand.
	Rand io.Reader `json:"-"`
	// RefreshRotation says the app client has refresh-token rotation on:
	// Refresh calls GetTokensFromRefreshToken (the user-pools client must
	// implement RefreshTokenAPI) and keeps the new refresh token. Default
	// off: Refresh detects rotation from the service's answers (see
	// [Client.Refresh]).
	RefreshRotation bool

	// Devices, when set, turns device tracking on: SignIn confirms the new
	// devices the pool reports (ConfirmDevice) and saves them here, signs
	// in with a saved device (DEVICE_SRP_AUTH, which skips MFA on
	// remembered devices), and Tokens carry the device key that Refresh
	// sends. The user-pools client must implement DeviceAPI. Default none:
	// device metadata the pool returns is ignored.
	Devices DeviceStore `json:"-"`
	// DeviceName is the name ConfirmDevice gives new devices, at most
	// 1,024 characters; default "kumo". Setting it (or RememberDevices)
	// without Devices is refused.
	DeviceName string
	// RememberDevices answers yes when the pool asks whether to remember a
	// new device (pools set to "user opt-in"): SignIn then calls
	// UpdateDeviceStatus with remembered. Default false: such devices stay
	// not remembered until [Client.RememberDevice].
	RememberDevices bool
}

// The shapes of a user pool ID, <region>_<suffix>, that New and
// NewVerifier take: poolRegionRE is that of every partition's Regions
// (us-east-1, us-gov-west-1, cn-north-1, eusc-de-east-1, ...; the Verifier
// then refuses the partitions it cannot build an issuer for), poolSuffixRE
// that of the part after the underscore. Both end up in URLs.
var (
	poolRegionRE = regexp.MustCompile(`^[a-z]+(-[a-z]+)+-[0-9]+$`)
	poolSuffixRE = regexp.MustCompile(`^[0-9A-Za-z]{1,55}$`)
)

// maxDeviceName is the longest DeviceName ConfirmDevice takes.
const maxDeviceName = 1024

// Client signs users in and exchanges their tokens for credentials. It is
// safe for concurrent use.
type Client struct {
	idp        IdentityProviderAPI
	ids        IdentityAPI
	userPoolID string
	clientID   string
	secret     redact.Hidden[string]
	opts       Options // ClientSecret is in secret

	mu         sync.Mutex
	identities map[string]string // sub (or "" for guests) -> identity ID
	rotates    atomic.Bool       // the app client was seen to rotate refresh tokens
}

// New returns a client for the app client clientID of the user pool
// userPoolID (such as "eu-west-1_AbC123"). ids may be nil when only the
// user-pool calls are used.
func New(idp IdentityProviderAPI, ids IdentityAPI, userPoolID, clientID string, optFns ...func(*Options)) (*Client, error) {
	if idp == nil {
		return nil, errors.New("cognitoauth: New needs a user-pools client")
	}
	region, name, ok := strings.Cut(userPoolID, "_")
	if !ok || !poolRegionRE.MatchString(region) || !poolSuffixRE.MatchString(name) || clientID == "" {
		return nil, fmt.Errorf("cognitoauth: New needs a user pool ID <region>_<letters and digits> (such as eu-west-1_AbC123) and a client ID, got %q and %q", userPoolID, clientID)
	}
	var o Options
	opts.Apply(&o, optFns)
	if o.Region == "" {
		o.Region = region
	}
	if o.Region != region {
		return nil, fmt.Errorf("cognitoauth: Options.Region %q is not the Region of user pool %s; leave it empty for the pool's Region %s", o.Region, userPoolID, region)
	}
	if o.RefreshBefore < 0 {
		return nil, fmt.Errorf("cognitoauth: Options.RefreshBefore %s is negative; use 0 for the default of 5 minutes or a positive duration", o.RefreshBefore)
	}
	if o.RefreshBefore == 0 {
		o.RefreshBefore = 5 * time.Minute
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Devices == nil && (o.DeviceName != "" || o.RememberDevices) {
		return nil, errors.New("cognitoauth: Options.DeviceName and Options.RememberDevices need Options.Devices; without a DeviceStore no device is confirmed")
	}
	if n := utf8.RuneCountInString(o.DeviceName); n > maxDeviceName || !utf8.ValidString(o.DeviceName) {
		return nil, fmt.Errorf("cognitoauth: Options.DeviceName is %d characters or not UTF-8; Cognito takes 1 to %d characters of UTF-8", n, maxDeviceName)
	}
	if o.DeviceName == "" {
		o.DeviceName = "kumo"
	}
	if _, ok := idp.(RefreshTokenAPI); o.RefreshRotation && !ok {
		return nil, fmt.Errorf("cognitoauth: Options.RefreshRotation needs a user-pools client with GetTokensFromRefreshToken (RefreshTokenAPI); %T has none", idp)
	}
	// A nil pointer in an interface option would panic at first use.
	for _, opt := range []struct {
		name, example string
		v             any
	}{{"Devices", "&cognitoauth.MemoryDeviceStore{}", o.Devices}, {"Rand", "crypto/rand.Reader", o.Rand}} {
		if rv := reflect.ValueOf(opt.v); opt.v != nil && rv.Kind() == reflect.Pointer && rv.IsNil() {
			return nil, fmt.Errorf("cognitoauth: Options.%s is a nil %T; set it to one (such as %s) or leave it unset", opt.name, opt.v, opt.example)
		}
	}
	if _, ok := idp.(DeviceAPI); o.Devices != nil && !ok {
		return nil, fmt.Errorf("cognitoauth: Options.Devices needs a user-pools client with ConfirmDevice and UpdateDeviceStatus (DeviceAPI); %T has none", idp)
	}
	if o.Flow < FlowSRP || o.Flow > FlowCustom {
		return nil, fmt.Errorf("cognitoauth: unknown flow %d; allowed are FlowSRP (0), FlowPassword (1), FlowAdminPassword (2), FlowAdminNoSRP (3) and FlowCustom (4)", int(o.Flow))
	}
	// The client secret is kept out of fmt's reach (see internal/redact).
	secret := redact.Hide(o.ClientSecret)
	o.ClientSecret = ""
	return &Client{idp: idp, ids: ids, userPoolID: userPoolID, clientID: clientID, secret: secret, opts: o, identities: map[string]string{}}, nil
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
		params["SECRET_HASH"] = SecretHash(secret, username, c.clientID)
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
	case "UsernameExistsException":
		sentinel = ErrUsernameExists
	case "CodeMismatchException":
		sentinel = ErrCodeMismatch
	case "ExpiredCodeException":
		sentinel = ErrCodeExpired
	case "InvalidPasswordException", "PasswordHistoryPolicyViolationException":
		sentinel = ErrInvalidPassword
	case "LimitExceededException", "TooManyFailedAttemptsException", "TooManyRequestsException":
		sentinel = ErrLimitExceeded
	default:
		return fmt.Errorf("cognitoauth: %w", err)
	}
	return fmt.Errorf("%w: %w", sentinel, err)
}
