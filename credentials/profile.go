package credentials

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	redaction "github.com/kumo-go/kumo/internal/redact"
)

// Profile is one named set of credentials and its region.
//
// A Profile redacts SecretAccessKey and SessionToken whenever it is printed:
// through fmt (every verb; %w with a non-error, which go vet reports, and
// %p of a Profile value, which it does not, print fields as they are), String, GoString, log/slog and encoding/json.
type Profile struct {
	// Name is the profile name: the section name in a credentials file and,
	// in a [Dir], the file name without ".ini".
	Name string

	// AccessKeyID is the access key ID, such as AKIAIOSFODNN7EXAMPLE.
	AccessKeyID string

	// SecretAccessKey is the secret access key. Printing a Profile redacts it.
	SecretAccessKey string

	// SessionToken is set for temporary credentials. Printing a Profile redacts it.
	SessionToken string

	// Expires is when temporary credentials expire; zero means they do not.
	Expires time.Time

	// Region is the profile's default region; empty means none.
	Region string

	// AccountID is the 12-digit AWS account the credentials belong to, kept
	// as aws_account_id (the SDKs use it for account-based endpoints); empty
	// means unknown.
	AccountID string
}

// Credentials returns the profile's credentials as the SDK holds them.
func (p Profile) Credentials() aws.Credentials {
	return aws.Credentials{
		AccessKeyID:     p.AccessKeyID,
		SecretAccessKey: p.SecretAccessKey,
		SessionToken:    p.SessionToken,
		Source:          "kumo/credentials",
		CanExpire:       !p.Expires.IsZero(),
		Expires:         p.Expires,
		AccountID:       p.AccountID,
	}
}

const redacted = "[redacted]"

func redact(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}

// String describes the profile with its secret and token redacted.
func (p Profile) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Profile{Name:%q AccessKeyID:%q SecretAccessKey:%q", p.Name, p.AccessKeyID, redact(p.SecretAccessKey))
	if p.SessionToken != "" {
		fmt.Fprintf(&b, " SessionToken:%q", redacted)
	}
	if !p.Expires.IsZero() {
		fmt.Fprintf(&b, " Expires:%s", p.Expires.UTC().Format(time.RFC3339))
	}
	if p.Region != "" {
		fmt.Fprintf(&b, " Region:%q", p.Region)
	}
	b.WriteString("}")
	return b.String()
}

// GoString is String: %#v never shows the secret either.
func (p Profile) GoString() string { return "credentials." + p.String() }

// Format makes every fmt verb (%v, %+v, %#v, %s, %q, ...) print the redacted
// form.
func (p Profile) Format(f fmt.State, verb rune) { redaction.Format(f, verb, p) }

// LogValue makes log/slog print the redacted form.
func (p Profile) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("name", p.Name),
		slog.String("access_key_id", p.AccessKeyID),
		slog.String("secret_access_key", redact(p.SecretAccessKey)),
	}
	if p.SessionToken != "" {
		attrs = append(attrs, slog.String("session_token", redacted))
	}
	if !p.Expires.IsZero() {
		attrs = append(attrs, slog.Time("expires", p.Expires))
	}
	if p.Region != "" {
		attrs = append(attrs, slog.String("region", p.Region))
	}
	return slog.GroupValue(attrs...)
}

// MarshalJSON keeps the secret out of JSON too; the credentials are written
// only to credentials files, never through encoding/json.
func (p Profile) MarshalJSON() ([]byte, error) {
	type view struct {
		Name            string     `json:"Name,omitempty"`
		AccessKeyID     string     `json:"AccessKeyId"`
		SecretAccessKey string     `json:"SecretAccessKey,omitempty"`
		SessionToken    string     `json:"SessionToken,omitempty"`
		Expires         *time.Time `json:"Expires,omitempty"`
		Region          string     `json:"Region,omitempty"`
	}
	v := view{Name: p.Name, AccessKeyID: p.AccessKeyID, SecretAccessKey: redact(p.SecretAccessKey),
		SessionToken: redact(p.SessionToken), Region: p.Region}
	if !p.Expires.IsZero() {
		v.Expires = &p.Expires
	}
	return json.Marshal(v)
}

// accessKeyJSON is the AccessKey object of `aws iam create-access-key`.
type accessKeyJSON struct {
	UserName        *string `json:"UserName"`
	AccessKeyID     *string `json:"AccessKeyId"`
	Status          *string `json:"Status"`
	SecretAccessKey *string `json:"SecretAccessKey"`
	CreateDate      *string `json:"CreateDate"`
}

// maxAccessKeyJSON bounds what FromAccessKeyJSON reads: the real document is
// a few hundred bytes.
const maxAccessKeyJSON = 64 << 10

// FromAccessKeyJSON reads the output of `aws iam create-access-key`, either
// the whole document {"AccessKey": {...}} or the bare AccessKey object. The
// profile is named after the IAM user. It fails with [ErrInvalidCredentials]
// on malformed JSON, a missing field, an inactive key, or a key ID or secret
// of the wrong shape; the error never quotes the secret.
func FromAccessKeyJSON(r io.Reader) (Profile, error) {
	if r == nil {
		return Profile{}, fmt.Errorf("%w: access key JSON reader is nil", ErrInvalidCredentials)
	}
	data, err := io.ReadAll(io.LimitReader(r, maxAccessKeyJSON+1))
	if err != nil {
		return Profile{}, fmt.Errorf("credentials: reading access key JSON: %w", err)
	}
	if len(data) > maxAccessKeyJSON {
		return Profile{}, fmt.Errorf("%w: access key JSON is over %d bytes", ErrInvalidCredentials, maxAccessKeyJSON)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return Profile{}, fmt.Errorf("%w: access key JSON is malformed: %s", ErrInvalidCredentials, jsonErrorText(err))
	}
	obj := data
	if inner, ok := doc["AccessKey"]; ok {
		obj = inner
	}
	var k accessKeyJSON
	if err := json.Unmarshal(obj, &k); err != nil {
		return Profile{}, fmt.Errorf("%w: AccessKey object is malformed: %s", ErrInvalidCredentials, jsonErrorText(err))
	}
	var missing []string
	for _, f := range []struct {
		name string
		v    *string
	}{{"UserName", k.UserName}, {"AccessKeyId", k.AccessKeyID}, {"Status", k.Status}, {"SecretAccessKey", k.SecretAccessKey}} {
		if f.v == nil || *f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return Profile{}, fmt.Errorf("%w: access key JSON has no %s (want the output of aws iam create-access-key)", ErrInvalidCredentials, strings.Join(missing, ", "))
	}
	return FromAccessKey(&iamtypes.AccessKey{
		UserName:        k.UserName,
		AccessKeyId:     k.AccessKeyID,
		SecretAccessKey: k.SecretAccessKey,
		Status:          iamtypes.StatusType(*k.Status),
	})
}

// jsonErrorText describes a JSON error without echoing input: encoding/json
// syntax errors name only offsets and types, never values.
func jsonErrorText(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return fmt.Sprintf("syntax error at byte %d", e.Offset)
	case *json.UnmarshalTypeError:
		return fmt.Sprintf("field %q must be a JSON %s, not %s", e.Field, e.Type.Kind(), e.Value)
	default:
		return "not a JSON object"
	}
}

// FromAccessKey converts the AccessKey returned by IAM CreateAccessKey. The
// key must be Active, and its ID and secret must have IAM's shapes (an ID of
// 16 to 128 upper-case letters and digits; a secret of 40 base64 characters).
func FromAccessKey(k *iamtypes.AccessKey) (Profile, error) {
	if k == nil {
		return Profile{}, fmt.Errorf("%w: access key is nil", ErrInvalidCredentials)
	}
	var missing []string
	if k.UserName == nil || *k.UserName == "" {
		missing = append(missing, "UserName")
	}
	if k.AccessKeyId == nil || *k.AccessKeyId == "" {
		missing = append(missing, "AccessKeyId")
	}
	if k.SecretAccessKey == nil || *k.SecretAccessKey == "" {
		missing = append(missing, "SecretAccessKey")
	}
	if len(missing) > 0 {
		return Profile{}, fmt.Errorf("%w: access key has no %s", ErrInvalidCredentials, strings.Join(missing, ", "))
	}
	if k.Status != "" && k.Status != iamtypes.StatusTypeActive {
		// Quote the ID and status only when they have their shapes: a
		// secret shifted into either column must not end up in the error.
		id := "(malformed ID)"
		if checkIAMKeyShape(*k.AccessKeyId, strings.Repeat("A", 40)) == nil {
			id = *k.AccessKeyId
		}
		if k.Status != iamtypes.StatusTypeInactive && k.Status != iamtypes.StatusTypeExpired {
			return Profile{}, fmt.Errorf("%w: access key %s has a Status other than Active, Inactive or Expired", ErrInvalidCredentials, id)
		}
		return Profile{}, fmt.Errorf("%w: access key %s is %s, not Active", ErrInvalidCredentials, id, k.Status)
	}
	p := Profile{Name: *k.UserName, AccessKeyID: *k.AccessKeyId, SecretAccessKey: *k.SecretAccessKey}
	if err := checkIAMKeyShape(p.AccessKeyID, p.SecretAccessKey); err != nil {
		return Profile{}, err
	}
	return p, nil
}

// FromSTS converts temporary credentials returned by STS (AssumeRole,
// AssumeRoleWithSAML, GetSessionToken, ...). The profile has no name yet.
func FromSTS(c *ststypes.Credentials) (Profile, error) {
	if c == nil {
		return Profile{}, fmt.Errorf("%w: STS credentials are nil", ErrInvalidCredentials)
	}
	p := Profile{
		AccessKeyID:     aws.ToString(c.AccessKeyId),
		SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken:    aws.ToString(c.SessionToken),
		Expires:         aws.ToTime(c.Expiration),
	}
	if err := p.checkCredentials(); err != nil {
		return Profile{}, err
	}
	return p, nil
}

// FromAWS converts credentials the SDK resolved. The profile has no name yet.
func FromAWS(c aws.Credentials) (Profile, error) {
	p := Profile{
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		SessionToken:    c.SessionToken,
		AccountID:       c.AccountID,
	}
	if c.CanExpire {
		p.Expires = c.Expires
	}
	if err := checkAccountID(p.AccountID); err != nil {
		return Profile{}, err
	}
	if err := p.checkCredentials(); err != nil {
		return Profile{}, err
	}
	return p, nil
}

func isUpperAlnum(r rune) bool { return r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' }

func isBase64(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/'
}

func checkIAMKeyShape(id, secret string) error {
	if n := len(id); n < 16 || n > 128 || strings.IndexFunc(id, func(r rune) bool { return !isUpperAlnum(r) }) >= 0 {
		return fmt.Errorf("%w: access key ID must be 16 to 128 upper-case letters and digits (got %d characters)", ErrInvalidCredentials, len(id))
	}
	if len(secret) != 40 || strings.IndexFunc(secret, func(r rune) bool { return !isBase64(r) }) >= 0 {
		return fmt.Errorf("%w: secret access key must be 40 characters of A-Z, a-z, 0-9, + and / (got %d characters)", ErrInvalidCredentials, len(secret))
	}
	return nil
}

// checkCredentials checks what any credentials need, whatever issued them:
// an ID and a secret, and no character that could break a credentials file
// (control characters, spaces).
func (p Profile) checkCredentials() error {
	if p.AccessKeyID == "" || p.SecretAccessKey == "" {
		var missing []string
		if p.AccessKeyID == "" {
			missing = append(missing, "access key ID")
		}
		if p.SecretAccessKey == "" {
			missing = append(missing, "secret access key")
		}
		return fmt.Errorf("%w: no %s", ErrInvalidCredentials, strings.Join(missing, " and no "))
	}
	for _, f := range []struct{ what, v string }{
		{"access key ID", p.AccessKeyID},
		{"secret access key", p.SecretAccessKey},
		{"session token", p.SessionToken},
	} {
		if i := strings.IndexFunc(f.v, func(r rune) bool { return r <= ' ' || r == 0x7f }); i >= 0 {
			return fmt.Errorf("%w: %s has a space or control character at byte %d (only printable characters are allowed)", ErrInvalidCredentials, f.what, i)
		}
		if !utf8.ValidString(f.v) {
			return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidCredentials, f.what)
		}
	}
	return nil
}

// checkForFile checks what writing p into a credentials file needs beyond
// checkCredentials: values the AWS SDKs read back unchanged.
func (p Profile) checkForFile() error {
	if err := p.checkCredentials(); err != nil {
		return err
	}
	for _, f := range []struct{ what, v string }{
		{"access key ID", p.AccessKeyID},
		{"secret access key", p.SecretAccessKey},
		{"session token", p.SessionToken},
	} {
		if msg := sdkReadsDifferently(f.v); msg != "" {
			return fmt.Errorf("%w: %s %s", ErrInvalidCredentials, f.what, msg)
		}
	}
	return checkAccountID(p.AccountID)
}

// checkAccountID accepts an empty account ID or 12 digits.
func checkAccountID(id string) error {
	if id == "" {
		return nil
	}
	if len(id) != 12 || strings.Trim(id, "0123456789") != "" {
		return fmt.Errorf("%w: account ID must be 12 digits (got %d characters)", ErrInvalidCredentials, len(id))
	}
	return nil
}

// checkRegion accepts region names such as us-east-1 or cn-north-1: lower-case
// letters, digits and hyphens.
func checkRegion(r string) error {
	if r == "" {
		return nil
	}
	if len(r) > 64 || strings.IndexFunc(r, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-')
	}) >= 0 {
		return fmt.Errorf("%w: region %q must be lower-case letters, digits and hyphens, such as us-east-1", ErrInvalidCredentials, r)
	}
	return nil
}
