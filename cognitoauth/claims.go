package cognitoauth

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// claimNames are the JSON names of rawClaims' fields.
var claimNames = func() []string {
	var names []string
	t := reflect.TypeFor[rawClaims]()
	for i := 0; i < t.NumField(); i++ {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}()

// rawClaims is the JSON form of a Cognito token's payload. It satisfies
// jwt.Claims so that the JWT library decodes into it; the library's own
// claim checks are off, and Verifier checks the claims itself.
type rawClaims struct {
	Sub             string       `json:"sub"`
	CognitoUsername string       `json:"cognito:username"`
	Username        string       `json:"username"`
	Email           string       `json:"email"`
	Groups          []string     `json:"cognito:groups"`
	Iss             string       `json:"iss"`
	TokenUse        string       `json:"token_use"`
	Aud             audience     `json:"aud"`
	ClientID        string       `json:"client_id"`
	Scope           string       `json:"scope"`
	Jti             string       `json:"jti"`
	Exp             *numericDate `json:"exp"`
	Iat             *numericDate `json:"iat"`
	Nbf             *numericDate `json:"nbf"`
	AuthTime        *numericDate `json:"auth_time"`
	raw             []byte       // the payload, for Claims.Raw
}

// The jwt.Claims methods. Verifier does not let the library check claims
// (its errors do not say which claim failed in a way callers can branch
// on, and it reads a package-level clock); these are never consulted.
func (c *rawClaims) GetExpirationTime() (*jwt.NumericDate, error) { return nil, nil }
func (c *rawClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return nil, nil }
func (c *rawClaims) GetNotBefore() (*jwt.NumericDate, error)      { return nil, nil }
func (c *rawClaims) GetIssuer() (string, error)                   { return "", nil }
func (c *rawClaims) GetSubject() (string, error)                  { return "", nil }
func (c *rawClaims) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }

func (c *rawClaims) claims() Claims {
	out := Claims{Subject: c.Sub, Username: c.CognitoUsername, Email: c.Email, Groups: c.Groups, Issuer: c.Iss,
		TokenUse: c.TokenUse, ClientID: c.ClientID, ID: c.Jti, Raw: c.raw,
		IssuedAt: c.Iat.time(), AuthTime: c.AuthTime.time(), Expires: c.Exp.time()}
	if out.Username == "" {
		out.Username = c.Username
	}
	if c.TokenUse == "id" && len(c.Aud) == 1 {
		out.ClientID = c.Aud[0]
	}
	if c.Scope != "" {
		out.Scopes = strings.Fields(c.Scope)
	}
	return out
}

// maxNumericDate is 9999-12-31T23:59:59Z; later dates are refused.
const maxNumericDate = 253402300799

// numericDate is a JWT NumericDate: seconds since the epoch, a JSON number
// from 0 to maxNumericDate; a fraction is dropped.
type numericDate struct{ t time.Time }

var errNumericDate = errors.New("not a date: want a number of seconds from 0 to 253402300799")

// UnmarshalJSON reads a JSON number.
func (d *numericDate) UnmarshalJSON(data []byte) error {
	f, err := strconv.ParseFloat(string(data), 64)
	if err != nil || !(f >= 0 && f <= maxNumericDate) {
		return errNumericDate
	}
	d.t = time.Unix(int64(f), 0).UTC()
	return nil
}

func (d *numericDate) time() time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.t
}

// audience is aud: one string, or a list of them.
type audience []string

// UnmarshalJSON reads a string or a list of strings.
func (a *audience) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil {
		return errors.New("aud is neither a string nor a list of strings")
	}
	*a = many
	return nil
}
