package cognitoauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/kumo-go/kumo/internal/redact"
)

// Tokens are a signed-in user's user-pool tokens. They redact themselves
// when printed (fmt, slog) and in json.Marshal; [Tokens.MarshalSecretJSON]
// writes them in clear for a cache you protect.
type Tokens struct {
	IDToken, AccessToken, RefreshToken string
	// Expires is when the ID and access tokens expire.
	Expires time.Time
	// DeviceKey is the tracked device the tokens were issued on (with
	// Options.Devices); Refresh sends it, as pools that track devices
	// require. Empty otherwise.
	DeviceKey string
	// Claims are read from the ID token. The signature is not checked;
	// that is the job of whoever accepts the token.
	Claims Claims
}

// Claims are a token's claims. ParseClaims reads them from an ID token
// without checking anything; [Verifier.Verify] returns them only for a
// token it verified.
type Claims struct {
	Subject  string   // sub
	Username string   // cognito:username (ID tokens) or username (access tokens)
	Email    string   // email (ID tokens)
	Groups   []string // cognito:groups
	Issuer   string   // iss

	TokenUse string   `json:",omitempty"` // token_use: "id" or "access"
	ClientID string   `json:",omitempty"` // the app client: aud of an ID token, client_id of an access token
	Scopes   []string `json:",omitempty"` // scope of an access token, split at spaces
	ID       string   `json:",omitempty"` // jti
	// IssuedAt, AuthTime and Expires are iat, auth_time and exp; zero when
	// the token has none.
	IssuedAt, AuthTime, Expires time.Time `json:",omitzero"`
	// Raw is the token's payload, the claims as JSON, for claims not named
	// above (custom:tenant, ...). It is not marshaled with the rest.
	Raw json.RawMessage `json:"-"`
}

// String describes the tokens without them.
func (t Tokens) String() string {
	return fmt.Sprintf("Tokens{Subject:%q Username:%q Expires:%s IDToken:[redacted] AccessToken:[redacted] RefreshToken:[redacted]}",
		t.Claims.Subject, t.Claims.Username, t.Expires.UTC().Format(time.RFC3339))
}

// GoString is String.
func (t Tokens) GoString() string { return "cognitoauth." + t.String() }

// Format prints the redacted form for every verb fmt hands to it; fmt
// prints %p of a Tokens value (not a pointer) and %w of a non-error by
// reflection, without calling Format, and the tokens then show.
func (t Tokens) Format(f fmt.State, verb rune) { redact.Format(f, verb, t) }

// LogValue prints the redacted form in slog.
func (t Tokens) LogValue() slog.Value {
	return slog.GroupValue(slog.String("sub", t.Claims.Subject), slog.String("username", t.Claims.Username), slog.Time("expires", t.Expires))
}

// maxToken bounds the tokens Verify and ParseClaims read: 1 MiB, above
// every token Cognito can issue. From Cognito's documented quotas, the
// largest payload is an ID token's, counting 3 UTF-8 bytes per character
// (Cognito counts UTF-16 units; one outside the BMP is 2 units, 4 bytes):
//
//	50 custom attributes: 50 x (32-byte name + 2,048 x 3 + 6)  =  309,000
//	~20 standard attributes, the same                          ~  124,000
//	cognito:groups, 100 groups of 128 characters: 100 x 387    =   38,700
//	cognito:roles and preferred_role, 101 role ARNs of ~610    ~   62,000
//	sub, iss, aud, exp, identities and the rest                ~    2,000
//	                                                     total ~  536,000
//
// which base64url makes about 715,000 bytes, plus the header and a
// signature of at most 683 characters (4096-bit key). The rest, about
// 330,000 bytes, is room for claims a pre-token-generation trigger adds.
// (A user in 100 groups with 128-character names already has an access
// token of about 18,500 bytes.)
const maxToken = 1 << 20

// ErrMalformedToken is returned for a token that is not a JWT with JSON
// claims of the types Cognito writes, or is larger than 1 MiB.
var ErrMalformedToken = errors.New("cognitoauth: malformed token")

// ParseClaims reads the claims of an ID token (a JWT) of at most 1 MiB
// without checking its signature. It is for tokens from Cognito (SignIn
// and Refresh use it); a service reading tokens its callers send uses a
// [Verifier]. Measured: parsing
// allocates about the token's size, up to 18 times it for a token of
// nearly 200,000 one-letter groups.
func ParseClaims(idToken string) (Claims, time.Time, error) {
	if len(idToken) > maxToken {
		return Claims{}, time.Time{}, fmt.Errorf("%w: %d bytes, over %d", ErrMalformedToken, len(idToken), maxToken)
	}
	parts := strings.Split(idToken, ".")
	if len(parts) != 3 {
		return Claims{}, time.Time{}, fmt.Errorf("%w: %d parts, want header.payload.signature", ErrMalformedToken, len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return Claims{}, time.Time{}, fmt.Errorf("%w: the payload is not base64url", ErrMalformedToken)
	}
	var raw rawClaims
	if err := json.Unmarshal(payload, &raw); err != nil {
		return Claims{}, time.Time{}, fmt.Errorf("%w: the payload is not the expected JSON", ErrMalformedToken)
	}
	if raw.Sub == "" {
		return Claims{}, time.Time{}, fmt.Errorf("%w: no sub claim", ErrMalformedToken)
	}
	raw.raw = payload
	c := raw.claims()
	return c, c.Expires, nil
}

func tokensFrom(r *ciptypes.AuthenticationResultType, refresh string, now time.Time) (*Tokens, error) {
	if r == nil || aws.ToString(r.IdToken) == "" {
		return nil, errors.New("cognitoauth: Cognito returned no ID token")
	}
	if aws.ToString(r.AccessToken) == "" {
		return nil, errors.New("cognitoauth: Cognito returned no access token")
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
