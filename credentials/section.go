package credentials

import (
	"fmt"
	"time"
)

// The settings a profile is written as. x_security_token_expires is the
// name other tools (saml2aws among them) use for the expiry; the AWS CLI
// and SDKs ignore settings they do not know.
const (
	keyAccessKeyID  = "aws_access_key_id"
	keySecret       = "aws_secret_access_key"
	keySessionToken = "aws_session_token"
	keyExpires      = "x_security_token_expires"
	keyRegion       = "region"
	keyAccountID    = "aws_account_id"
)

// setCredentials writes p's credentials into the matching sections.
func setCredentials(d *iniDoc, match func(string) bool, header string, p Profile) {
	d.set(match, header, keyAccessKeyID, p.AccessKeyID)
	d.set(match, header, keySecret, p.SecretAccessKey)
	d.setOrUnset(match, header, keySessionToken, p.SessionToken)
	var exp string
	if !p.Expires.IsZero() {
		exp = p.Expires.UTC().Format(time.RFC3339)
	}
	d.setOrUnset(match, header, keyExpires, exp)
	d.setOrUnset(match, header, keyAccountID, p.AccountID)
}

// setOrUnset sets key, or removes it when value is empty.
func (d *iniDoc) setOrUnset(match func(string) bool, header, key, value string) {
	if value == "" {
		d.unset(match, key)
		return
	}
	d.set(match, header, key, value)
}

// readProfile reads a profile's settings from the matching sections; what
// they do not set stays empty.
func readProfile(d *iniDoc, match func(string) bool, name string) (Profile, error) {
	v := d.values(match, keyAccessKeyID, keySecret, keySessionToken, keyRegion, keyExpires, keyAccountID)
	p := Profile{Name: name, AccessKeyID: v[keyAccessKeyID], SecretAccessKey: v[keySecret],
		SessionToken: v[keySessionToken], Region: v[keyRegion], AccountID: v[keyAccountID]}
	if exp := v[keyExpires]; exp != "" {
		t, err := time.Parse(time.RFC3339, exp)
		if err != nil {
			return Profile{}, fmt.Errorf("%w: profile %q: %s is not an RFC 3339 time", ErrInvalidCredentials, name, keyExpires)
		}
		p.Expires = t
	}
	return p, nil
}

func matchExact(name string) func(string) bool {
	return func(s string) bool { return s == name }
}
