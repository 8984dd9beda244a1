package cognitoauth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/golang-jwt/jwt/v5"

	"github.com/kumo-go/kumo/internal/opts"
)

// Errors of [Verifier.Verify]. Each names what failed and never includes
// the token; test them with errors.Is. ErrMalformedToken is returned for a
// token that is not a JWT of the shape Cognito issues.
var (
	// ErrUnsupportedAlgorithm: the token's alg is not RS256 (none, HS256,
	// ...), or the JWKS key its kid names is not a usable RS256 key: it
	// does not state alg RS256, is not RSA of 2048 to 8192 bits with an odd
	// exponent, or its kid appears twice in the JWKS.
	ErrUnsupportedAlgorithm = errors.New("cognitoauth: unsupported token algorithm: only RS256 with a JWKS key that states RS256 is accepted")
	// ErrUnknownKey: the token's kid is not in the pool's JWKS, even after
	// fetching it again (or a fetch was not allowed yet; see
	// VerifierOptions.MinRefetchInterval).
	ErrUnknownKey = errors.New("cognitoauth: the token's key ID is not in the user pool's JWKS")
	// ErrInvalidSignature: the RS256 signature does not verify with the key.
	ErrInvalidSignature = errors.New("cognitoauth: invalid token signature")
	// ErrJWKSUnavailable: the JWKS could not be fetched or read; it wraps
	// the cause (a context error included).
	ErrJWKSUnavailable = errors.New("cognitoauth: the user pool's JWKS is unavailable")
	// ErrWrongIssuer: iss is not the user pool's issuer.
	ErrWrongIssuer = errors.New("cognitoauth: the token was not issued by this user pool")
	// ErrWrongTokenUse: token_use is not the one asked for.
	ErrWrongTokenUse = errors.New("cognitoauth: wrong token use")
	// ErrWrongAudience: aud (ID token) or client_id (access token) is not
	// among VerifierOptions.ClientIDs.
	ErrWrongAudience = errors.New("cognitoauth: the token is for another app client")
	// ErrTokenExpired: the clock is at or past exp + Skew.
	ErrTokenExpired = errors.New("cognitoauth: token expired")
	// ErrTokenNotYetValid: the clock is before nbf - Skew, or iat is after
	// the clock + Skew.
	ErrTokenNotYetValid = errors.New("cognitoauth: token not yet valid")
	// ErrMissingGroup: the token is in none of VerifierOptions.AnyGroup.
	ErrMissingGroup = errors.New("cognitoauth: the token's user is in none of the required groups")
	// ErrMissingScope: the token lacks a scope of VerifierOptions.Scopes.
	ErrMissingScope = errors.New("cognitoauth: the token lacks a required scope")
)

// TokenUse says which Cognito token a [Verifier] accepts.
type TokenUse string

// The token uses.
const (
	// TokenUseAccess accepts access tokens (token_use "access") only; the
	// default, as an API should authorize with access tokens.
	TokenUseAccess TokenUse = "access"
	// TokenUseID accepts ID tokens (token_use "id") only.
	TokenUseID TokenUse = "id"
	// TokenUseAny accepts both, each checked for its own client claim.
	TokenUseAny TokenUse = "any"
)

// VerifierOptions configure a [Verifier].
type VerifierOptions struct {
	// ClientIDs are the app clients whose tokens are accepted: aud of an
	// ID token, client_id of an access token must be one of them.
	// Required unless AnyClient is set.
	ClientIDs []string
	// AnyClient accepts tokens of every app client of the pool. Set it
	// only when any client of the pool may call you.
	AnyClient bool
	// TokenUse is the token accepted; default TokenUseAccess.
	TokenUse TokenUse
	// AnyGroup, when set, requires the user to be in at least one of these
	// groups (cognito:groups).
	AnyGroup []string
	// Scopes, when set, must all be in the token's scope claim. ID tokens
	// have no scopes, so they fail this check.
	Scopes []string
	// Skew is the clock skew allowed on exp, nbf and iat; default 0, at
	// most 5 minutes.
	Skew time.Duration
	// Clock is the time source; default time.Now.
	Clock func() time.Time
	// IssuerType is the pool's issuer configuration, as DescribeUserPool
	// reports it (UserPool.IssuerConfiguration.Type), and so the iss the
	// Verifier requires:
	//   - ciptypes.IssuerTypeOriginal (the default, and the zero value):
	//     https://cognito-idp.<region>.amazonaws.com/<pool>;
	//   - ciptypes.IssuerTypeUpdated:
	//     https://issuer-cognito-idp.<region>.amazonaws.com/<pool>, region
	//     being the pool's primary region (the one its ID starts with),
	//     also for tokens a replica region issues.
	// A token with the pool's other issuer form is refused with
	// ErrWrongIssuer, whose message names this option.
	IssuerType ciptypes.IssuerType
	// JWKSURL is where the keys are fetched: an https URL, or http to a
	// loopback host (for tests), without user info or fragment; default
	// the issuer's <issuer>/.well-known/jwks.json.
	JWKSURL string
	// HTTPClient fetches the JWKS; default a client with a 10-second
	// timeout. Verify's context bounds each fetch too.
	HTTPClient *http.Client
	// MinRefetchInterval is the least time between two fetches of the
	// JWKS, so that tokens with made-up key IDs cannot make the Verifier
	// flood the endpoint; default 10 seconds. Within it, an unknown kid is
	// ErrUnknownKey (or ErrJWKSUnavailable after a failed fetch).
	MinRefetchInterval time.Duration
	// ErrorHandler answers a request the [Verifier.Middleware] refused;
	// default: 401 with WWW-Authenticate: Bearer error="invalid_token",
	// 403 for ErrMissingGroup and ErrMissingScope, 503 for
	// ErrJWKSUnavailable, the body the status text only.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
}

var errNoVerifier = errors.New("cognitoauth: Verifier not made by NewVerifier")

// verifierPartition reports whether the Verifier knows the issuer form of
// region's partition. Cognito documents its issuers as
// https://cognito-idp.<region>.amazonaws.com/<pool> and
// https://issuer-cognito-idp.<region>.amazonaws.com/<pool> (updated), the
// forms of the aws and aws-us-gov partitions; the others use other domains
// (amazonaws.com.cn in China, amazonaws.eu in the European Sovereign
// Cloud, others in the ISO partitions) for which no issuer form is
// documented, so building one would be a guess: they are refused.
func verifierPartition(region string) bool {
	for _, p := range []string{"cn-", "eusc-", "us-iso-", "us-isob-", "us-isof-", "eu-isoe-"} {
		if strings.HasPrefix(region, p) {
			return false
		}
	}
	return true
}

// checkJWKSURL refuses a JWKS URL the Verifier cannot fetch safely.
func checkJWKSURL(raw string) error {
	const allowed = "want https, or http to a loopback host (localhost, 127.0.0.0/8, ::1), with a host and no user info or fragment"
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("cognitoauth: JWKSURL is not a URL: %s", allowed)
	case u.User != nil:
		return fmt.Errorf("cognitoauth: JWKSURL has user info: %s", allowed)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return fmt.Errorf("cognitoauth: JWKSURL has a fragment: %s", allowed)
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("cognitoauth: JWKSURL %q has no host: %s", u.Redacted(), allowed)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && loopback(u.Hostname()):
		return nil
	}
	return fmt.Errorf("cognitoauth: JWKSURL %q: %s", u.Redacted(), allowed)
}

// loopback reports whether host is localhost or a loopback IP address.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// maxSkew bounds VerifierOptions.Skew.
const maxSkew = 5 * time.Minute

// Verifier verifies Cognito user-pool tokens (JWTs): the RS256 signature
// with the pool's published keys (JWKS), then iss, token_use, the app
// client, exp/nbf/iat and, when asked, groups and scopes. It is safe for
// concurrent use and should be shared: it caches the JWKS.
type Verifier struct {
	issuer string
	// otherIssuer is the pool's issuer of the IssuerType not chosen, to
	// name the option when a token has it.
	otherIssuer string
	opts        VerifierOptions
	parser      *jwt.Parser
	keys        *jwks
}

// NewVerifier returns a Verifier for the user pool userPoolID in region,
// whose ID starts with the region ("eu-west-1_AbC123"). Options are
// checked here; no request is made until the first Verify.
//
// Pools of the aws and aws-us-gov partitions are supported. Regions of the
// other partitions (China cn-*, European Sovereign Cloud eusc-*, ISO) are
// refused: their issuer form is not documented, and a guessed issuer
// would refuse every token or, worse, accept another pool's.
//
// The signature and header are read by github.com/golang-jwt/jwt/v5,
// limited to RS256 with strict base64url; the claims are checked here.
func NewVerifier(region, userPoolID string, optFns ...func(*VerifierOptions)) (*Verifier, error) {
	o := VerifierOptions{TokenUse: TokenUseAccess, Clock: time.Now}
	opts.Apply(&o, optFns)
	if !poolRegionRE.MatchString(region) || !strings.HasPrefix(userPoolID, region+"_") || !poolSuffixRE.MatchString(userPoolID[len(region)+1:]) {
		return nil, fmt.Errorf("cognitoauth: user pool ID %q in region %q: want <region>_<letters and digits>, such as eu-west-1_AbC123", userPoolID, region)
	}
	if !verifierPartition(region) {
		return nil, fmt.Errorf("cognitoauth: region %q: the issuer of its partition's user pools is not documented, so the Verifier cannot check it; supported: the aws and aws-us-gov partitions (issuer https://cognito-idp.<region>.amazonaws.com/<pool>)", region)
	}
	switch o.TokenUse {
	case "":
		o.TokenUse = TokenUseAccess
	case TokenUseAccess, TokenUseID, TokenUseAny:
	default:
		return nil, fmt.Errorf("cognitoauth: token use %q: want %q, %q or %q", o.TokenUse, TokenUseAccess, TokenUseID, TokenUseAny)
	}
	if len(o.ClientIDs) == 0 && !o.AnyClient {
		return nil, errors.New("cognitoauth: no ClientIDs: name the app clients whose tokens are accepted, or set AnyClient")
	}
	if len(o.ClientIDs) > 0 && o.AnyClient {
		return nil, errors.New("cognitoauth: ClientIDs and AnyClient are both set: choose one")
	}
	if slices.Contains(o.ClientIDs, "") {
		return nil, errors.New("cognitoauth: an empty client ID in ClientIDs")
	}
	if o.Skew < 0 || o.Skew > maxSkew {
		return nil, fmt.Errorf("cognitoauth: skew %s: allowed 0 to %s", o.Skew, maxSkew)
	}
	switch {
	case o.MinRefetchInterval == 0:
		o.MinRefetchInterval = 10 * time.Second
	case o.MinRefetchInterval < 0:
		return nil, fmt.Errorf("cognitoauth: MinRefetchInterval %s: must be positive (0 means the default, 10s)", o.MinRefetchInterval)
	}
	// The Verifier keeps its own copies: a caller changing its slices
	// later must not change what is accepted, or race with Verify.
	o.ClientIDs, o.AnyGroup, o.Scopes = slices.Clone(o.ClientIDs), slices.Clone(o.AnyGroup), slices.Clone(o.Scopes)
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	var issuer, other string
	original, updated := "https://cognito-idp."+region+".amazonaws.com/"+userPoolID, "https://issuer-cognito-idp."+region+".amazonaws.com/"+userPoolID
	switch o.IssuerType {
	case "", ciptypes.IssuerTypeOriginal:
		o.IssuerType, issuer, other = ciptypes.IssuerTypeOriginal, original, updated
	case ciptypes.IssuerTypeUpdated:
		issuer, other = updated, original
	default:
		return nil, fmt.Errorf("cognitoauth: IssuerType %q: want %q or %q (empty for %[2]q)", o.IssuerType, ciptypes.IssuerTypeOriginal, ciptypes.IssuerTypeUpdated)
	}
	if o.JWKSURL == "" {
		o.JWKSURL = issuer + "/.well-known/jwks.json"
	} else if err := checkJWKSURL(o.JWKSURL); err != nil {
		return nil, err
	}
	return &Verifier{issuer: issuer, otherIssuer: other, opts: o, keys: newJWKS(o.JWKSURL, o.HTTPClient, o.Clock, o.MinRefetchInterval),
		parser: jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation(), jwt.WithStrictDecoding())}, nil
}

// Issuer is the iss the Verifier requires: https://cognito-idp.<region>.amazonaws.com/<pool>,
// or https://issuer-cognito-idp.<region>.amazonaws.com/<pool> with the
// updated IssuerType.
func (v *Verifier) Issuer() string { return v.issuer }

// Verify verifies token and returns its claims. Tokens over 1 MiB (above
// any Cognito issues) are refused unread; a Verify allocates under 256 KiB
// plus 8 times the token's length, so under 9 MiB, whatever the token
// holds. A payload that names a claim twice is refused. The JWKS is fetched on first use and again when a token
// names a key ID not in it or the cached copy is stale (Cache-Control
// max-age or Expires, default 1 hour, at most 1 day), never more often
// than MinRefetchInterval; ctx bounds the fetch. A stale copy is used when
// a fetch fails.
func (v *Verifier) Verify(ctx context.Context, token string) (Claims, error) {
	if v == nil || v.keys == nil {
		return Claims{}, errNoVerifier
	}
	if len(token) > maxToken {
		return Claims{}, fmt.Errorf("%w: %d bytes, over %d", ErrMalformedToken, len(token), maxToken)
	}
	if !canonicalJWT(token) {
		// Go's base64 decoders skip \r and \n even in strict mode, so without
		// this check many different strings would verify as one token.
		return Claims{}, fmt.Errorf("%w: not three base64url parts (A-Z a-z 0-9 - _) joined by dots", ErrMalformedToken)
	}
	var rc verifyClaims
	var keyErr error
	tok, err := v.parser.ParseWithClaims(token, &rc, func(t *jwt.Token) (any, error) {
		if _, crit := t.Header["crit"]; crit {
			keyErr = fmt.Errorf("%w: the header has crit, which Cognito never sets", ErrMalformedToken)
			return nil, keyErr
		}
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			keyErr = fmt.Errorf("%w: no kid in the header", ErrMalformedToken)
			return nil, keyErr
		}
		k, err := v.keys.key(ctx, kid)
		if err != nil {
			keyErr = err
			return nil, err
		}
		return k, nil
	})
	switch {
	case keyErr != nil:
		return Claims{}, keyErr
	case err == nil:
	case tok != nil && tok.Header != nil && tok.Header["alg"] != "RS256":
		return Claims{}, ErrUnsupportedAlgorithm
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return Claims{}, ErrInvalidSignature
	default:
		return Claims{}, fmt.Errorf("%w: not a JWT of three base64url parts with a JSON header and Cognito's claims", ErrMalformedToken)
	}
	if _, rest, _ := strings.Cut(token, "."); len(rc.raw) != base64.RawURLEncoding.DecodedLen(strings.IndexByte(rest, '.')) {
		// verifyClaims.UnmarshalJSON saw only the JSON value, not the white
		// space around it, or was not called at all (the payload is null):
		// Raw is the whole payload.
		payload, _, _ := strings.Cut(rest, ".")
		rc.raw, _ = base64.RawURLEncoding.Strict().DecodeString(payload)
		rc.nameErr = checkClaimNames(rc.raw)
	}
	if rc.nameErr != nil {
		return Claims{}, rc.nameErr
	}
	if err := v.check(&rc.rawClaims); err != nil {
		return Claims{}, err
	}
	return rc.claims(), nil
}

// canonicalJWT reports whether token is three runs of the base64url
// alphabet joined by two dots, the header and payload non-empty (an empty
// signature is left to the signature check, which names it).
func canonicalJWT(token string) bool {
	parts := 0
	run := 0
	for i := 0; i < len(token); i++ {
		switch jwtAlphabet[token[i]] {
		case 1:
			run++
		case 2:
			if run == 0 {
				return false
			}
			parts, run = parts+1, 0
		default:
			return false
		}
	}
	return parts == 2
}

// jwtAlphabet classes the bytes of a token for canonicalJWT: 1 for the
// base64url alphabet, 2 for the dot, 0 for everything else. A table reads
// a token in less than half the time of comparing ranges byte by byte.
var jwtAlphabet = func() (t [256]byte) {
	for c := range t {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			t[c] = 1
		case c == '.':
			t[c] = 2
		}
	}
	return t
}()

// checkClaimNames refuses a payload whose top-level claim names are
// ambiguous:
//   - a claim named like one Verifier reads but in another letter case
//     ("Token_Use", "ISS"): encoding/json would take it for the real one,
//     while JWT claim names are case-sensitive (RFC 7519, section 4);
//   - a claim name that appears twice ("exp", "\u0065xp" among them):
//     encoding/json takes the last copy, other JWT libraries the first, so
//     a token could mean one thing here and another elsewhere (RFC 7519
//     lets a parser refuse such a token, and RFC 8259 leaves the meaning
//     open). Every name counts, not only the ones Verify reads, since
//     callers read Claims.Raw.
//
// The payload has passed json.Unmarshal already; the top-level keys are
// read by a scan that decodes only keys with an escape or invalid UTF-8
// (as encoding/json does), and only a payload the scan does not expect is
// decoded token by token.
func checkClaimNames(payload []byte) error {
	if ok, err := claimNamesFast(payload); ok {
		return err
	}
	return claimNamesSlow(payload)
}

func claimNameErr(k string) error {
	for _, name := range claimNames {
		if k != name && strings.EqualFold(k, name) {
			return fmt.Errorf("%w: a claim is named %s in another letter case", ErrMalformedToken, name)
		}
	}
	return nil
}

// repeatedClaimErr names the claim k that appears twice, quoted and cut
// to 64 bytes (a name is the sender's text, not the token).
func repeatedClaimErr(k string) error {
	if len(k) > 64 {
		k = k[:64] + "..."
	}
	return fmt.Errorf("%w: the claim %s appears twice", ErrMalformedToken, strconv.QuoteToASCII(k))
}

// claimSet holds the top-level claim names of a payload p seen so far. The
// first few are compared one by one as they come, as Cognito's tokens have
// few claims; the rest are kept in a list sized by counting p's members
// once, and sorted by repeated, so that memory stays linear in p (about
// 24 bytes a claim) and time n log n whatever the names are.
type claimSet struct {
	p    []byte
	n    int
	few  [16][]byte
	rest [][]byte
}

// add records name and reports false when it is among the first few
// already; repeated finds the other repeats.
func (s *claimSet) add(name []byte) bool {
	for _, k := range s.few[:s.n] {
		if string(k) == string(name) {
			return false
		}
	}
	if s.n < len(s.few) {
		s.few[s.n] = name
		s.n++
		return true
	}
	if s.rest == nil {
		s.rest = make([][]byte, 0, max(countMembers(s.p)-len(s.few), 1))
	}
	s.rest = append(s.rest, name)
	return true
}

// repeated returns a name added twice, or nil.
func (s *claimSet) repeated() []byte {
	slices.SortFunc(s.rest, bytes.Compare)
	for i := 1; i < len(s.rest); i++ {
		if bytes.Equal(s.rest[i-1], s.rest[i]) {
			return s.rest[i]
		}
	}
	return nil
}

// countMembers returns the number of members of the JSON object p (valid
// JSON), or an upper bound of it.
func countMembers(p []byte) int {
	n := 0
	i := skipSpace(p, 0) + 1
	for i < len(p) {
		i = skipSpace(p, i)
		if i >= len(p) || p[i] != '"' {
			break
		}
		j, ok := skipValue(p, i) // the key
		if !ok {
			return len(p) / 5
		}
		i = skipSpace(p, j) + 1 // the colon
		start := skipSpace(p, i)
		if j, ok = skipValue(p, start); !ok || j == start {
			return len(p) / 5
		}
		n++
		i = skipSpace(p, j) + 1 // the comma
	}
	return n
}

// claimNamesFast checks the top-level keys of a JSON object without
// decoding it. ok is false when it cannot tell (a key with an escape or
// invalid UTF-8, which encoding/json would rewrite, text it does not
// expect); the caller then decodes the payload.
func claimNamesFast(p []byte) (ok bool, err error) {
	i := skipSpace(p, 0)
	if i >= len(p) || p[i] != '{' {
		return false, nil
	}
	i = skipSpace(p, i+1)
	if i < len(p) && p[i] == '}' {
		return true, nil
	}
	seen := claimSet{p: p}
	for {
		if i >= len(p) || p[i] != '"' {
			return false, nil
		}
		j := i + 1
		plain := true
		for j < len(p) && p[j] != '"' {
			if p[j] == '\\' {
				plain = false
				j++
			} else if p[j] >= utf8.RuneSelf {
				plain = false
			}
			j++
		}
		if j >= len(p) {
			return false, nil
		}
		key := p[i+1 : j]
		if !plain && (bytes.IndexByte(key, '\\') >= 0 || !utf8.Valid(key)) {
			// The name as encoding/json reads it: escapes resolved,
			// invalid UTF-8 replaced.
			var k string
			if json.Unmarshal(p[i:j+1], &k) != nil {
				return false, nil
			}
			key = []byte(k)
		}
		if err := claimNameErr(string(key)); err != nil {
			return true, err
		}
		if !seen.add(key) {
			return true, repeatedClaimErr(string(key))
		}
		i = skipSpace(p, j+1)
		if i >= len(p) || p[i] != ':' {
			return false, nil
		}
		start := skipSpace(p, i+1)
		if i, ok = skipValue(p, start); !ok || i == start {
			return false, nil
		}
		i = skipSpace(p, i)
		switch {
		case i < len(p) && p[i] == ',':
			i = skipSpace(p, i+1)
		case i < len(p) && p[i] == '}':
			if skipSpace(p, i+1) != len(p) {
				return false, nil
			}
			if k := seen.repeated(); k != nil {
				return true, repeatedClaimErr(string(k))
			}
			return true, nil
		default:
			return false, nil
		}
	}
}

func skipSpace(p []byte, i int) int {
	for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index after the JSON value at p[i:].
func skipValue(p []byte, i int) (int, bool) {
	depth := 0
	for i < len(p) {
		switch p[i] {
		case '"':
			i++
			for i < len(p) && p[i] != '"' {
				if p[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(p) {
				return 0, false
			}
			i++
		case '{', '[':
			depth++
			i++
		case '}', ']':
			if depth == 0 {
				return i, true
			}
			depth--
			i++
		case ',':
			if depth == 0 {
				return i, true
			}
			i++
		default:
			if depth == 0 && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r') {
				return i, true
			}
			i++
		}
		if depth == 0 && i > 0 && (p[i-1] == '"' || p[i-1] == '}' || p[i-1] == ']') {
			return i, true
		}
	}
	return i, depth == 0
}

// claimNamesSlow is checkClaimNames by decoding the payload's keys as
// encoding/json does (escapes resolved, invalid UTF-8 replaced).
func claimNamesSlow(payload []byte) error {
	notObject := fmt.Errorf("%w: the claims are not a JSON object", ErrMalformedToken)
	dec := json.NewDecoder(bytes.NewReader(payload))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return notObject
	}
	seen := claimSet{p: payload}
	for dec.More() {
		t, err := dec.Token()
		k, ok := t.(string)
		if err != nil || !ok {
			return notObject
		}
		if err := claimNameErr(k); err != nil {
			return err
		}
		if !seen.add([]byte(k)) {
			return repeatedClaimErr(k)
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return notObject
		}
	}
	if k := seen.repeated(); k != nil {
		return repeatedClaimErr(string(k))
	}
	return nil
}

// check checks the claims of a token whose signature verified.
func (v *Verifier) check(c *rawClaims) error {
	if c.Iss != v.issuer {
		if c.Iss == v.otherIssuer {
			other := ciptypes.IssuerTypeUpdated
			if v.opts.IssuerType == ciptypes.IssuerTypeUpdated {
				other = ciptypes.IssuerTypeOriginal
			}
			return fmt.Errorf("%w: want %s; the token has this pool's %s issuer: if the pool's IssuerConfiguration is %[3]s, set VerifierOptions.IssuerType", ErrWrongIssuer, v.issuer, other)
		}
		return fmt.Errorf("%w: want %s", ErrWrongIssuer, v.issuer)
	}
	use := TokenUse(c.TokenUse)
	if (use != TokenUseID && use != TokenUseAccess) || (v.opts.TokenUse != TokenUseAny && use != v.opts.TokenUse) {
		want := string(v.opts.TokenUse)
		if v.opts.TokenUse == TokenUseAny {
			want = "id or access"
		}
		return fmt.Errorf("%w: want %s", ErrWrongTokenUse, want)
	}
	if c.Sub == "" {
		return fmt.Errorf("%w: no sub claim", ErrMalformedToken)
	}
	if !v.opts.AnyClient {
		ok := false
		if use == TokenUseID {
			ok = len(c.Aud) > 0 && slices.ContainsFunc(c.Aud, func(a string) bool { return slices.Contains(v.opts.ClientIDs, a) })
		} else {
			ok = c.ClientID != "" && slices.Contains(v.opts.ClientIDs, c.ClientID)
		}
		if !ok {
			claim := "client_id"
			if use == TokenUseID {
				claim = "aud"
			}
			return fmt.Errorf("%w: %s is not among the %d allowed clients", ErrWrongAudience, claim, len(v.opts.ClientIDs))
		}
	}
	now, skew := v.opts.Clock(), v.opts.Skew
	if c.Exp == nil {
		return fmt.Errorf("%w: no exp claim", ErrMalformedToken)
	}
	if !now.Before(c.Exp.t.Add(skew)) {
		return fmt.Errorf("%w: at %s (skew %s)", ErrTokenExpired, c.Exp.t.Format(time.RFC3339), skew)
	}
	if c.Nbf != nil && now.Before(c.Nbf.t.Add(-skew)) {
		return fmt.Errorf("%w: nbf %s (skew %s)", ErrTokenNotYetValid, c.Nbf.t.Format(time.RFC3339), skew)
	}
	if c.Iat == nil {
		return fmt.Errorf("%w: no iat claim", ErrMalformedToken)
	}
	if now.Add(skew).Before(c.Iat.t) {
		return fmt.Errorf("%w: issued in the future, at %s (skew %s)", ErrTokenNotYetValid, c.Iat.t.Format(time.RFC3339), skew)
	}
	if len(v.opts.AnyGroup) > 0 && !slices.ContainsFunc(c.Groups, func(g string) bool { return slices.Contains(v.opts.AnyGroup, g) }) {
		return ErrMissingGroup
	}
	if len(v.opts.Scopes) > 0 {
		if use != TokenUseAccess {
			return ErrMissingScope // as documented: ID tokens have no scopes, whatever claims a trigger added
		}
		have := strings.Fields(c.Scope)
		for _, s := range v.opts.Scopes {
			if !slices.Contains(have, s) {
				return ErrMissingScope
			}
		}
	}
	return nil
}
