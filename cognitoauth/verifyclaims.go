package cognitoauth

import (
	"encoding/json"
	"unicode/utf8"
)

// verifyClaims is rawClaims as Verify decodes them: the JWT library hands
// the payload to UnmarshalJSON, which reads the claims and checks their
// names (see checkClaimNames) in one pass, so that the payload is neither
// decoded by reflection nor scanned a second time.
//
// encoding/json calls UnmarshalJSON only after it has checked that the
// whole payload is valid JSON, so the pass reads valid JSON only. It takes
// the plain form Cognito writes (each claim Verify reads once, with a
// value of its type, in strings without escapes, no claim name twice);
// anything else (an escape, null, a repeated or misnamed claim, a value of
// another type) goes to checkClaimNames and, when the names pass, to
// encoding/json, which decides. On the plain form both give the same
// claims, checked by FuzzVerifyClaims.
type verifyClaims struct {
	rawClaims
	nameErr error // an ambiguous claim name (see checkClaimNames); the claims are then not decoded
}

// UnmarshalJSON decodes the payload into c.
func (c *verifyClaims) UnmarshalJSON(data []byte) error {
	c.raw = append([]byte(nil), data...)
	if c.decodePlain(data) {
		return nil
	}
	raw := c.raw
	c.rawClaims, c.nameErr = rawClaims{raw: raw}, checkClaimNames(data)
	if c.nameErr != nil {
		return nil // Verify refuses the token once its signature is checked, naming the claim
	}
	return json.Unmarshal(data, &c.rawClaims)
}

// The claims decodePlain reads, by their place in claimFields.
const (
	fSub = iota
	fCognitoUsername
	fUsername
	fEmail
	fGroups
	fIss
	fTokenUse
	fAud
	fClientID
	fScope
	fJti
	fExp
	fIat
	fNbf
	fAuthTime
)

// claimField returns the place of the claim named k, or -1.
func claimField(k []byte) int {
	switch string(k) {
	case "sub":
		return fSub
	case "cognito:username":
		return fCognitoUsername
	case "username":
		return fUsername
	case "email":
		return fEmail
	case "cognito:groups":
		return fGroups
	case "iss":
		return fIss
	case "token_use":
		return fTokenUse
	case "aud":
		return fAud
	case "client_id":
		return fClientID
	case "scope":
		return fScope
	case "jti":
		return fJti
	case "exp":
		return fExp
	case "iat":
		return fIat
	case "nbf":
		return fNbf
	case "auth_time":
		return fAuthTime
	}
	return -1
}

// decodePlain decodes p, valid JSON, when it is a JSON object in the plain
// form; it reports false, having perhaps set some fields, otherwise.
func (c *verifyClaims) decodePlain(p []byte) bool {
	i := skipSpace(p, 0)
	if i >= len(p) || p[i] != '{' {
		return false
	}
	i = skipSpace(p, i+1)
	if i < len(p) && p[i] == '}' {
		return true
	}
	var seen uint32          // the claims of claimFields seen
	others := claimSet{p: p} // the names of the others
	for {
		key, j, ok := plainString(p, i)
		if !ok {
			return false
		}
		i = skipSpace(p, j)
		if i >= len(p) || p[i] != ':' {
			return false
		}
		i = skipSpace(p, i+1)
		f := claimField(key)
		switch {
		case f < 0:
			if claimNameErr(string(key)) != nil || !others.add(key) {
				return false
			}
			start := i
			if i, ok = skipValue(p, i); !ok || i == start {
				return false
			}
		case seen&(1<<f) != 0:
			return false
		default:
			seen |= 1 << f
			if i, ok = c.decodeField(f, p, i); !ok {
				return false
			}
		}
		i = skipSpace(p, i)
		switch {
		case i < len(p) && p[i] == ',':
			i = skipSpace(p, i+1)
		case i < len(p) && p[i] == '}':
			return skipSpace(p, i+1) == len(p) && others.repeated() == nil
		default:
			return false
		}
	}
}

// decodeField decodes the value of claim f at p[i:] and returns the index
// after it.
func (c *verifyClaims) decodeField(f int, p []byte, i int) (int, bool) {
	switch f {
	case fGroups, fAud:
		if i < len(p) && p[i] == '"' && f == fAud {
			s, j, ok := plainString(p, i)
			if ok {
				c.Aud = audience{string(s)}
			}
			return j, ok
		}
		list, j, ok := plainStrings(p, i)
		if f == fGroups {
			c.Groups = list
		} else {
			c.Aud = list
		}
		return j, ok
	case fExp, fIat, fNbf, fAuthTime:
		j := i
		for j < len(p) && (p[j] >= '0' && p[j] <= '9' || p[j] == '.' || p[j] == 'e' || p[j] == 'E' || p[j] == '+' || p[j] == '-') {
			j++
		}
		d := new(numericDate)
		if j == i || d.UnmarshalJSON(p[i:j]) != nil {
			return 0, false
		}
		switch f {
		case fExp:
			c.Exp = d
		case fIat:
			c.Iat = d
		case fNbf:
			c.Nbf = d
		default:
			c.AuthTime = d
		}
		return j, true
	}
	s, j, ok := plainString(p, i)
	if !ok {
		return 0, false
	}
	v := string(s)
	switch f {
	case fSub:
		c.Sub = v
	case fCognitoUsername:
		c.CognitoUsername = v
	case fUsername:
		c.Username = v
	case fEmail:
		c.Email = v
	case fIss:
		c.Iss = v
	case fTokenUse:
		c.TokenUse = v
	case fClientID:
		c.ClientID = v
	case fScope:
		c.Scope = v
	case fJti:
		c.Jti = v
	}
	return j, true
}

// plainString returns the content of the JSON string at p[i:] and the
// index after it, when it has no escape and is valid UTF-8: then it is
// the string encoding/json decodes.
func plainString(p []byte, i int) ([]byte, int, bool) {
	if i >= len(p) || p[i] != '"' {
		return nil, 0, false
	}
	ascii := true
	for j := i + 1; j < len(p); j++ {
		switch c := p[j]; {
		case c == '"':
			s := p[i+1 : j]
			return s, j + 1, ascii || utf8.Valid(s)
		case c == '\\':
			return nil, 0, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, 0, false
}

// plainStrings returns a JSON list of plain strings at p[i:] (a non-nil
// empty slice for [], as encoding/json gives) and the index after it. The
// list is counted first and allocated once: grown by append, a list of
// 190,000 one-letter groups allocated five times its final size.
func plainStrings(p []byte, i int) ([]string, int, bool) {
	n, ok := countPlainStrings(p, i)
	if !ok {
		return nil, 0, false
	}
	list := make([]string, 0, n)
	i = skipSpace(p, i+1)
	if n == 0 {
		return list, i + 1, true
	}
	for {
		s, j, _ := plainString(p, i)
		list = append(list, string(s))
		i = skipSpace(p, j)
		if p[i] == ']' {
			return list, i + 1, true
		}
		i = skipSpace(p, i+1)
	}
}

// countPlainStrings returns the length of the JSON list of plain strings
// at p[i:], and false when it is not one.
func countPlainStrings(p []byte, i int) (int, bool) {
	if i >= len(p) || p[i] != '[' {
		return 0, false
	}
	i = skipSpace(p, i+1)
	if i < len(p) && p[i] == ']' {
		return 0, true
	}
	for n := 1; ; n++ {
		_, j, ok := plainString(p, i)
		if !ok {
			return 0, false
		}
		i = skipSpace(p, j)
		switch {
		case i < len(p) && p[i] == ',':
			i = skipSpace(p, i+1)
		case i < len(p) && p[i] == ']':
			return n, true
		default:
			return 0, false
		}
	}
}
