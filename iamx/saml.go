package iamx

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"math"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kumo-go/kumo/internal/opts"
	"github.com/kumo-go/kumo/internal/redact"
)

// STSAPI is the part of the STS client AssumeRoleWithSAML calls.
type STSAPI interface {
	AssumeRoleWithSAML(ctx context.Context, params *sts.AssumeRoleWithSAMLInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleWithSAMLOutput, error)
}

// The SAML attributes AWS reads.
const (
	attrRole        = "https://aws.amazon.com/SAML/Attributes/Role"
	attrSessionName = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	attrDuration    = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
	statusSuccess   = "urn:oasis:names:tc:SAML:2.0:status:Success"
	maxSAML         = 1 << 20
)

// ErrInvalidSAML is returned for a SAML response that cannot be used.
var ErrInvalidSAML = errors.New("iamx: unusable SAML response")

// SAMLRole is one role the assertion offers: a role and the SAML provider
// that vouches for it.
type SAMLRole struct {
	RoleARN, PrincipalARN string
	AccountID, RoleName   string
}

// SAMLAssertion is what a SAML response says about the sign-in. It holds
// the response itself, which is a bearer credential until NotOnOrAfter, and
// never prints it.
type SAMLAssertion struct {
	Roles           []SAMLRole
	SessionDuration time.Duration // 0: not set by the IdP
	RoleSessionName string
	Subject         string
	Issuer          string
	Audiences       []string
	NotOnOrAfter    time.Time

	// encoded is the base64 response, exactly as signed, in a closure that
	// fmt never calls, so no way of printing the struct shows the bearer
	// credential.
	encoded redact.Hidden[string]
}

// String describes the assertion without the response.
func (a SAMLAssertion) String() string {
	return fmt.Sprintf("SAMLAssertion{Subject:%q Issuer:%q Roles:%d NotOnOrAfter:%s}", a.Subject, a.Issuer, len(a.Roles), a.NotOnOrAfter.UTC().Format(time.RFC3339))
}

// GoString is String qualified by the package, for %#v.
func (a SAMLAssertion) GoString() string { return redact.GoString(a) }

// Format prints String under every verb, by value or pointer, so the
// response is never printed (see internal/redact).
func (a SAMLAssertion) Format(f fmt.State, verb rune) { redact.Format(f, verb, a) }

// LogValue logs String.
func (a SAMLAssertion) LogValue() slog.Value { return redact.LogValue(a) }

type samlResponse struct {
	Issuer string `xml:"Issuer"`
	Status struct {
		Code struct {
			Value string `xml:"Value,attr"`
		} `xml:"StatusCode"`
	} `xml:"Status"`
	Assertions []samlAssertionXML `xml:"Assertion"`
	Encrypted  []struct{}         `xml:"EncryptedAssertion"`
}

type samlAssertionXML struct {
	Issuer  string `xml:"Issuer"`
	Subject struct {
		NameID        string `xml:"NameID"`
		Confirmations []struct {
			Data struct {
				NotOnOrAfter string `xml:"NotOnOrAfter,attr"`
			} `xml:"SubjectConfirmationData"`
		} `xml:"SubjectConfirmation"`
	} `xml:"Subject"`
	Conditions struct {
		NotOnOrAfter string   `xml:"NotOnOrAfter,attr"`
		Audiences    []string `xml:"AudienceRestriction>Audience"`
	} `xml:"Conditions"`
	Attributes []struct {
		Name   string   `xml:"Name,attr"`
		Values []string `xml:"AttributeValue"`
	} `xml:"AttributeStatement>Attribute"`
}

var samlInput = regexp.MustCompile(`(?is)<input\b[^>]*\bname\s*=\s*["']SAMLResponse["'][^>]*>`)
var valueAttr = regexp.MustCompile(`(?is)\bvalue\s*=\s*(?:"([^"]*)"|'([^']*)')`)

// ParseSAMLResponse reads a SAML response as the IdP posts it: the base64
// form value (URL-encoded or not), raw XML, or an HTML page holding the
// SAMLResponse input. It refuses DTDs and entities, responses that are not
// a Success, encrypted assertions (only AWS can read them) and assertions
// without a Role attribute. The signature is for AWS to check.
func ParseSAMLResponse(input string) (*SAMLAssertion, error) {
	if len(input) > 4*maxSAML {
		return nil, fmt.Errorf("%w: the input is %d bytes, over the %d this reads", ErrInvalidSAML, len(input), 4*maxSAML)
	}
	s := strings.TrimSpace(input)
	if s == "" {
		return nil, fmt.Errorf("%w: the input is empty; pass the SAMLResponse form value, the XML or the IdP's HTML page", ErrInvalidSAML)
	}
	if m := samlInput.FindString(s); m != "" {
		v := valueAttr.FindStringSubmatch(m)
		if v == nil {
			return nil, fmt.Errorf("%w: the page's SAMLResponse input has no value", ErrInvalidSAML)
		}
		s = html.UnescapeString(v[1] + v[2])
	} else if strings.HasPrefix(s, "SAMLResponse=") {
		s = strings.TrimPrefix(s, "SAMLResponse=")
		if i := strings.IndexByte(s, '&'); i >= 0 {
			s = s[:i]
		}
	}
	var raw []byte
	if strings.HasPrefix(s, "<") {
		raw = []byte(s)
		s = base64.StdEncoding.EncodeToString(raw)
	} else {
		if strings.ContainsAny(s, "%") {
			if u, err := url.QueryUnescape(s); err == nil {
				s = u
			}
		}
		s = strings.Join(strings.Fields(s), "")
		var err error
		if raw, err = base64.StdEncoding.DecodeString(s); err != nil {
			return nil, fmt.Errorf("%w: neither XML, an HTML page with a SAMLResponse input, nor base64", ErrInvalidSAML)
		}
	}
	if len(raw) > maxSAML {
		return nil, fmt.Errorf("%w: the response is %d bytes, over the %d this reads", ErrInvalidSAML, len(raw), maxSAML)
	}
	if err := refuseDTD(raw); err != nil {
		return nil, err
	}
	var resp samlResponse
	if err := xml.Unmarshal(raw, &resp); err != nil {
		return nil, fmt.Errorf("%w: the XML does not parse: %v", ErrInvalidSAML, err)
	}
	if resp.Status.Code.Value != statusSuccess {
		return nil, fmt.Errorf("%w: the IdP answered %q, not Success", ErrInvalidSAML, resp.Status.Code.Value)
	}
	if len(resp.Assertions) == 0 {
		if len(resp.Encrypted) > 0 {
			return nil, fmt.Errorf("%w: the assertion is encrypted for AWS, so it cannot be read here; turn off assertion encryption at the IdP for this app, or pass the response to AWS unread", ErrInvalidSAML)
		}
		return nil, fmt.Errorf("%w: no assertion", ErrInvalidSAML)
	}
	a := resp.Assertions[0]
	out := &SAMLAssertion{Subject: strings.TrimSpace(a.Subject.NameID), Issuer: strings.TrimSpace(a.Issuer), encoded: redact.Hide(s)}
	if out.Issuer == "" {
		out.Issuer = strings.TrimSpace(resp.Issuer)
	}
	for _, aud := range a.Conditions.Audiences {
		out.Audiences = append(out.Audiences, strings.TrimSpace(aud))
	}
	nooa := a.Conditions.NotOnOrAfter
	for _, c := range a.Subject.Confirmations {
		if c.Data.NotOnOrAfter != "" {
			nooa = c.Data.NotOnOrAfter
		}
	}
	if nooa != "" {
		t, err := time.Parse(time.RFC3339Nano, nooa)
		if err != nil {
			return nil, fmt.Errorf("%w: NotOnOrAfter %q is not an ISO 8601 time", ErrInvalidSAML, nooa)
		}
		out.NotOnOrAfter = t
	}
	for _, attr := range a.Attributes {
		switch attr.Name {
		case attrRole:
			for _, v := range attr.Values {
				r, err := parseRolePair(v)
				if err != nil {
					return nil, err
				}
				out.Roles = append(out.Roles, r)
			}
		case attrSessionName:
			if len(attr.Values) > 0 {
				out.RoleSessionName = strings.TrimSpace(attr.Values[0])
			}
		case attrDuration:
			if len(attr.Values) > 0 {
				d, err := parseSessionDuration(strings.TrimSpace(attr.Values[0]))
				if err != nil {
					return nil, fmt.Errorf("%w: SessionDuration %q %s", ErrInvalidSAML, attr.Values[0], err)
				}
				out.SessionDuration = d
			}
		}
	}
	if len(out.Roles) == 0 {
		return nil, fmt.Errorf("%w: no %s attribute; the IdP must send roleArn,providerArn pairs", ErrInvalidSAML, attrRole)
	}
	return out, nil
}

// refuseDTD walks the XML and refuses any DOCTYPE or other directive, so no
// entity can expand.
func refuseDTD(raw []byte) error {
	d := xml.NewDecoder(bytes.NewReader(raw))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: the XML does not parse: %v", ErrInvalidSAML, err)
		}
		if _, ok := tok.(xml.Directive); ok {
			return fmt.Errorf("%w: it has a DTD or other directive, which SAML responses never need; refused", ErrInvalidSAML)
		}
	}
}

// parseRolePair reads "roleArn,providerArn" in either order.
func parseRolePair(v string) (SAMLRole, error) {
	parts := strings.Split(strings.TrimSpace(v), ",")
	if len(parts) != 2 {
		return SAMLRole{}, fmt.Errorf("%w: Role value %q is not roleArn,providerArn", ErrInvalidSAML, v)
	}
	a, b := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
	if strings.Contains(a, ":saml-provider/") {
		a, b = b, a
	}
	if !strings.Contains(a, ":role/") || !strings.Contains(b, ":saml-provider/") || !validARN(a) || !validARN(b) {
		return SAMLRole{}, fmt.Errorf("%w: Role value %q is not a role ARN and a saml-provider ARN", ErrInvalidSAML, v)
	}
	f := strings.SplitN(a, ":", 6)
	return SAMLRole{RoleARN: a, PrincipalARN: b, AccountID: f[4], RoleName: f[5][strings.LastIndex(f[5], "/")+1:]}, nil
}

// Role picks one of the offered roles by role ARN, role name, or
// "account:name". No match, or several, is an error listing the choices.
func (a *SAMLAssertion) Role(match string) (SAMLRole, error) {
	var found []SAMLRole
	for _, r := range a.Roles {
		if match == r.RoleARN || match == r.RoleName || match == r.AccountID+":"+r.RoleName {
			found = append(found, r)
		}
	}
	if len(found) == 1 {
		return found[0], nil
	}
	if match == "" && len(a.Roles) == 1 {
		return a.Roles[0], nil
	}
	var choices []string
	for _, r := range a.Roles {
		choices = append(choices, r.AccountID+":"+r.RoleName)
	}
	sort.Strings(choices)
	what := "no role matches"
	if len(found) > 1 {
		what = "several roles match"
	}
	return SAMLRole{}, fmt.Errorf("iamx: %s %q; choose one of %s", what, match, strings.Join(choices, ", "))
}

// validSessionName reports whether STS accepts n as a role session name.
func validSessionName(n string) bool {
	if len(n) < 2 || len(n) > 64 {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_+=,.@-", c)) {
			return false
		}
	}
	return true
}

// SAMLOptions adjust AssumeRoleWithSAML. The zero value of each field is its
// default; a nil option func is skipped.
type SAMLOptions struct {
	// Duration overrides the assertion's SessionDuration: 15m to 12h in
	// whole seconds; zero means the assertion's, else STS's default.
	Duration time.Duration
	// Clock is the time source for the NotOnOrAfter check; nil means
	// time.Now.
	Clock func() time.Time
}

// AssumeRoleWithSAML exchanges the assertion for the role's credentials.
// An assertion past NotOnOrAfter, or without the RoleSessionName attribute
// AWS requires, fails here, before any call. The duration
// is the option, else the assertion's, else STS's default, and must be 900
// seconds to 12 hours.
func AssumeRoleWithSAML(ctx context.Context, client STSAPI, a *SAMLAssertion, role SAMLRole, optFns ...func(*SAMLOptions)) (aws.Credentials, error) {
	var o SAMLOptions
	opts.Apply(&o, optFns)
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Duration%time.Second != 0 || o.Duration < 0 {
		return aws.Credentials{}, fmt.Errorf("iamx: SAMLOptions.Duration %s is not whole seconds from 15m to 12h (or 0 for the assertion's)", o.Duration)
	}
	if a == nil || a.encoded.Value() == "" {
		return aws.Credentials{}, errors.New("iamx: AssumeRoleWithSAML needs an assertion from ParseSAMLResponse")
	}
	if n := a.RoleSessionName; !validSessionName(n) {
		if n == "" {
			return aws.Credentials{}, fmt.Errorf("%w: no %s attribute, which AWS requires; have the IdP send one (2 to 64 of A-Z a-z 0-9 _+=,.@-)", ErrInvalidSAML, attrSessionName)
		}
		return aws.Credentials{}, fmt.Errorf("%w: RoleSessionName %q is not 2 to 64 of A-Z a-z 0-9 _+=,.@-", ErrInvalidSAML, n)
	}
	if now := o.Clock(); !a.NotOnOrAfter.IsZero() && !now.Before(a.NotOnOrAfter) {
		return aws.Credentials{}, fmt.Errorf("%w: the assertion expired at %s (now %s); sign in at the IdP again", ErrInvalidSAML, a.NotOnOrAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	d := o.Duration
	if d == 0 {
		d = a.SessionDuration
	}
	in := &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(role.RoleARN), PrincipalArn: aws.String(role.PrincipalARN), SAMLAssertion: aws.String(a.encoded.Value())}
	if d != 0 {
		if d < 15*time.Minute || d > 12*time.Hour {
			return aws.Credentials{}, fmt.Errorf("iamx: session duration %s is outside 15m to 12h", d)
		}
		in.DurationSeconds = aws.Int32(int32(d / time.Second))
	}
	out, err := client.AssumeRoleWithSAML(ctx, in)
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("iamx: AssumeRoleWithSAML %s: %w", role.RoleARN, err)
	}
	if out.Credentials == nil {
		return aws.Credentials{}, errors.New("iamx: AssumeRoleWithSAML returned no credentials")
	}
	c := out.Credentials
	return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken),
		Source: "kumo/iamx:saml", CanExpire: c.Expiration != nil, Expires: aws.ToTime(c.Expiration)}, nil
}

// maxSessionSeconds bounds a SessionDuration so that it converts to a
// time.Duration without wrapping; AWS's own limit (12 h) is checked where
// the duration is used, so an override can still replace it.
const maxSessionSeconds = math.MaxInt64 / int64(time.Second)

// parseSessionDuration reads a positive decimal number of seconds; a value
// that would wrap when converted to a time.Duration is refused, never
// truncated into the allowed range.
func parseSessionDuration(s string) (time.Duration, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, errors.New("is not a number of seconds")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > maxSessionSeconds {
		return 0, fmt.Errorf("is out of range (AWS allows 900 to 43200 seconds)")
	}
	if n == 0 {
		return 0, errors.New("is not a number of seconds")
	}
	return time.Duration(n) * time.Second, nil
}
