package iamx_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/iamx"
	"github.com/kumo-go/kumo/internal/moto"
)

func TestMain(m *testing.M) { os.Exit(moto.Run(m)) }

const (
	devRole   = "arn:aws:iam::111122223333:role/Dev"
	opsRole   = "arn:aws:iam::444455556666:role/team/Ops"
	devIdP    = "arn:aws:iam::111122223333:saml-provider/Okta"
	opsIdP    = "arn:aws:iam::444455556666:saml-provider/Okta"
	notAfter  = "2026-11-22T18:00:00Z"
	samlAttrs = `<saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml2:AttributeValue>alice@example.com</saml2:AttributeValue></saml2:Attribute>
<saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/SessionDuration"><saml2:AttributeValue>3600</saml2:AttributeValue></saml2:Attribute>`
)

// samlXML builds a SAML response the way IdPs send them (prefixed
// namespaces, a signature element AWS checks and this package does not).
func samlXML(status, attrs string, roles ...string) string {
	var vals strings.Builder
	for _, r := range roles {
		fmt.Fprintf(&vals, "<saml2:AttributeValue>%s</saml2:AttributeValue>", r)
	}
	roleAttr := ""
	if len(roles) > 0 {
		roleAttr = `<saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">` + vals.String() + `</saml2:Attribute>`
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<saml2p:Response xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="id1" Version="2.0" IssueInstant="2026-11-22T17:00:00Z" Destination="https://signin.aws.amazon.com/saml">
<saml2:Issuer>http://www.okta.com/exk1</saml2:Issuer>
<saml2p:Status><saml2p:StatusCode Value="` + status + `"/></saml2p:Status>
<saml2:Assertion ID="id2" Version="2.0" IssueInstant="2026-11-22T17:00:00Z">
<saml2:Issuer>http://www.okta.com/exk1</saml2:Issuer>
<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignatureValue>c2lnbmF0dXJl</ds:SignatureValue></ds:Signature>
<saml2:Subject><saml2:NameID>alice@example.com</saml2:NameID>
<saml2:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml2:SubjectConfirmationData NotOnOrAfter="` + notAfter + `" Recipient="https://signin.aws.amazon.com/saml"/></saml2:SubjectConfirmation></saml2:Subject>
<saml2:Conditions NotBefore="2026-11-22T16:55:00Z" NotOnOrAfter="` + notAfter + `"><saml2:AudienceRestriction><saml2:Audience>urn:amazon:webservices</saml2:Audience></saml2:AudienceRestriction></saml2:Conditions>
<saml2:AttributeStatement>` + roleAttr + attrs + `</saml2:AttributeStatement>
</saml2:Assertion>
</saml2p:Response>`
}

const success = "urn:oasis:names:tc:SAML:2.0:status:Success"

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestParseSAMLResponseInputForms(t *testing.T) {
	x := samlXML(success, samlAttrs, devRole+","+devIdP, opsIdP+","+opsRole)
	enc := b64(x)
	wrapped := ""
	for i := 0; i < len(enc); i += 76 {
		wrapped += enc[i:min(i+76, len(enc))] + "\r\n"
	}
	page := `<html><body onload="document.forms[0].submit()"><form method="post" action="https://signin.aws.amazon.com/saml">
<input type="hidden" name="SAMLResponse" value="` + html.EscapeString(enc) + `"/><input type="hidden" name="RelayState" value=""/></form></body></html>`
	for name, in := range map[string]string{
		"base64":           enc,
		"base64 wrapped":   wrapped,
		"url-encoded":      url.QueryEscape(enc),
		"form body":        "SAMLResponse=" + url.QueryEscape(enc) + "&RelayState=x",
		"raw XML":          x,
		"HTML page":        page,
		"single-quote tag": `<input name='SAMLResponse' type='hidden' value='` + enc + `'>`,
	} {
		t.Run(name, func(t *testing.T) {
			a, err := iamx.ParseSAMLResponse(in)
			require.NoError(t, err)
			assert.Equal(t, []iamx.SAMLRole{
				{RoleARN: devRole, PrincipalARN: devIdP, AccountID: "111122223333", RoleName: "Dev"},
				{RoleARN: opsRole, PrincipalARN: opsIdP, AccountID: "444455556666", RoleName: "Ops"},
			}, a.Roles)
			assert.Equal(t, "alice@example.com", a.Subject)
			assert.Equal(t, "alice@example.com", a.RoleSessionName)
			assert.Equal(t, "http://www.okta.com/exk1", a.Issuer)
			assert.Equal(t, []string{"urn:amazon:webservices"}, a.Audiences)
			assert.Equal(t, time.Hour, a.SessionDuration)
			assert.Equal(t, time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC), a.NotOnOrAfter.UTC())
		})
	}
}

func TestParseSAMLResponseRefuses(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"empty":         {" \n", "the input is empty"},
		"not base64":    {"not!!base64", "neither XML"},
		"bad XML":       {b64("<Response><Status>"), "does not parse"},
		"DTD":           {b64(`<!DOCTYPE r [<!ENTITY x "y">]>` + samlXML(success, "", devRole+","+devIdP)), "DTD"},
		"not success":   {b64(samlXML("urn:oasis:names:tc:SAML:2.0:status:Requester", "", devRole+","+devIdP)), `"urn:oasis:names:tc:SAML:2.0:status:Requester", not Success`},
		"encrypted":     {b64(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><samlp:Status><samlp:StatusCode Value="` + success + `"/></samlp:Status><EncryptedAssertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion"/></samlp:Response>`), "encrypted for AWS"},
		"no assertion":  {b64(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><samlp:Status><samlp:StatusCode Value="` + success + `"/></samlp:Status></samlp:Response>`), "no assertion"},
		"no role":       {b64(samlXML(success, samlAttrs)), "no https://aws.amazon.com/SAML/Attributes/Role attribute"},
		"one-part role": {b64(samlXML(success, "", devRole)), `Role value "` + devRole + `" is not roleArn,providerArn`},
		"two roles":     {b64(samlXML(success, "", devRole+","+opsRole)), "is not a role ARN and a saml-provider ARN"},
		"bad duration":  {b64(samlXML(success, `<saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/SessionDuration"><saml2:AttributeValue>1h</saml2:AttributeValue></saml2:Attribute>`, devRole+","+devIdP)), `SessionDuration "1h" is not a number of seconds`},
		// 18446744974 s times 1e9 wraps int64 to about 15 minutes, which
		// would pass the 15m–12h check; it must be refused as it is.
		"overflowing duration": {b64(samlXML(success, `<saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/SessionDuration"><saml2:AttributeValue>18446744974</saml2:AttributeValue></saml2:Attribute>`, devRole+","+devIdP)), `SessionDuration "18446744974" is out of range`},
		"huge duration":        {b64(samlXML(success, `<saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/SessionDuration"><saml2:AttributeValue>99999999999999999999</saml2:AttributeValue></saml2:Attribute>`, devRole+","+devIdP)), `SessionDuration "99999999999999999999" is out of range`},
		"negative duration":    {b64(samlXML(success, `<saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/SessionDuration"><saml2:AttributeValue>-900</saml2:AttributeValue></saml2:Attribute>`, devRole+","+devIdP)), `SessionDuration "-900" is not a number of seconds`},
		"bad time":             {b64(strings.ReplaceAll(samlXML(success, "", devRole+","+devIdP), notAfter, "tomorrow")), `NotOnOrAfter "tomorrow"`},
		"input no value":       {`<input name="SAMLResponse">`, "has no value"},
		"too big":              {strings.Repeat("A", 4<<20+1), "over the"},
	} {
		t.Run(name, func(t *testing.T) {
			a, err := iamx.ParseSAMLResponse(tc.in)
			require.ErrorIs(t, err, iamx.ErrInvalidSAML)
			assert.Contains(t, err.Error(), tc.want)
			assert.Nil(t, a)
		})
	}
}

func TestSAMLAssertionNeverPrintsTheResponse(t *testing.T) {
	enc := b64(samlXML(success, "", devRole+","+devIdP))
	a, err := iamx.ParseSAMLResponse(enc)
	require.NoError(t, err)
	for _, s := range []string{fmt.Sprint(a), fmt.Sprintf("%v %+v %s", a, a, a), fmt.Sprintf("%+v", *a), fmt.Sprintf("%#v", *a)} {
		assert.NotContains(t, s, enc[:40])
	}
}

func TestSAMLAssertionRole(t *testing.T) {
	a, err := iamx.ParseSAMLResponse(b64(samlXML(success, "", devRole+","+devIdP, opsRole+","+opsIdP, "arn:aws:iam::444455556666:role/Dev,"+opsIdP)))
	require.NoError(t, err)
	for _, tc := range []struct{ match, wantARN, wantErr string }{
		{match: opsRole, wantARN: opsRole},
		{match: "Ops", wantARN: opsRole},
		{match: "111122223333:Dev", wantARN: devRole},
		{match: "Dev", wantErr: `several roles match "Dev"; choose one of 111122223333:Dev, 444455556666:Dev, 444455556666:Ops`},
		{match: "Admin", wantErr: `no role matches "Admin"; choose one of`},
		{match: "", wantErr: `no role matches ""`},
	} {
		r, err := a.Role(tc.match)
		if tc.wantErr != "" {
			assert.ErrorContains(t, err, tc.wantErr, tc.match)
			continue
		}
		require.NoError(t, err, tc.match)
		assert.Equal(t, tc.wantARN, r.RoleARN, tc.match)
	}
	one, err := iamx.ParseSAMLResponse(b64(samlXML(success, "", devRole+","+devIdP)))
	require.NoError(t, err)
	r, err := one.Role("")
	require.NoError(t, err)
	assert.Equal(t, devRole, r.RoleARN)
}

// stubSTS records the input and answers with out or err.
type stubSTS struct {
	in    *sts.AssumeRoleWithSAMLInput
	calls int
	err   error
}

func (s *stubSTS) AssumeRoleWithSAML(_ context.Context, in *sts.AssumeRoleWithSAMLInput, _ ...func(*sts.Options)) (*sts.AssumeRoleWithSAMLOutput, error) {
	s.in, s.calls = in, s.calls+1
	if s.err != nil {
		return nil, s.err
	}
	exp := time.Date(2026, 11, 22, 18, 30, 0, 0, time.UTC)
	return &sts.AssumeRoleWithSAMLOutput{Credentials: &ststypes.Credentials{AccessKeyId: aws.String("ASIAEXAMPLE"), SecretAccessKey: aws.String("secret"), SessionToken: aws.String("token"), Expiration: &exp}}, nil
}

func TestAssumeRoleWithSAML(t *testing.T) {
	enc := b64(samlXML(success, samlAttrs, devRole+","+devIdP))
	a, err := iamx.ParseSAMLResponse(enc)
	require.NoError(t, err)
	role, err := a.Role("Dev")
	require.NoError(t, err)
	before := func(o *iamx.SAMLOptions) {
		o.Clock = func() time.Time { return time.Date(2026, 11, 22, 17, 59, 59, 0, time.UTC) }
	}
	after := func(o *iamx.SAMLOptions) {
		o.Clock = func() time.Time { return time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC) }
	}
	dur := func(d time.Duration) func(*iamx.SAMLOptions) { return func(o *iamx.SAMLOptions) { o.Duration = d } }

	t.Run("exchange", func(t *testing.T) {
		s := &stubSTS{}
		c, err := iamx.AssumeRoleWithSAML(context.Background(), s, a, role, before)
		require.NoError(t, err)
		assert.Equal(t, "ASIAEXAMPLE", c.AccessKeyID)
		assert.Equal(t, "token", c.SessionToken)
		assert.True(t, c.CanExpire)
		assert.Equal(t, devRole, aws.ToString(s.in.RoleArn))
		assert.Equal(t, devIdP, aws.ToString(s.in.PrincipalArn))
		assert.Equal(t, enc, aws.ToString(s.in.SAMLAssertion), "the response goes to STS exactly as signed")
		assert.Equal(t, int32(3600), aws.ToInt32(s.in.DurationSeconds), "the assertion's SessionDuration")
	})
	t.Run("option overrides duration", func(t *testing.T) {
		s := &stubSTS{}
		_, err := iamx.AssumeRoleWithSAML(context.Background(), s, a, role, before, dur(2*time.Hour))
		require.NoError(t, err)
		assert.Equal(t, int32(7200), aws.ToInt32(s.in.DurationSeconds))
	})
	for name, opts := range map[string][]func(*iamx.SAMLOptions){
		"expired":   {after},
		"too short": {before, dur(14 * time.Minute)},
		"too long":  {before, dur(12*time.Hour + time.Second)},
	} {
		t.Run(name, func(t *testing.T) {
			s := &stubSTS{}
			_, err := iamx.AssumeRoleWithSAML(context.Background(), s, a, role, opts...)
			require.Error(t, err)
			assert.Zero(t, s.calls, "refused before any call")
		})
	}
	t.Run("expired is ErrInvalidSAML", func(t *testing.T) {
		_, err := iamx.AssumeRoleWithSAML(context.Background(), &stubSTS{}, a, role, after)
		require.ErrorIs(t, err, iamx.ErrInvalidSAML)
		assert.ErrorContains(t, err, "expired at 2026-11-22T18:00:00Z")
	})
	t.Run("STS error kept", func(t *testing.T) {
		s := &stubSTS{err: &smithy.GenericAPIError{Code: "InvalidIdentityToken", Message: "bad signature"}}
		_, err := iamx.AssumeRoleWithSAML(context.Background(), s, a, role, before)
		var api smithy.APIError
		require.ErrorAs(t, err, &api)
		assert.Equal(t, "InvalidIdentityToken", api.ErrorCode())
		assert.NotContains(t, err.Error(), enc[:40])
	})
	for name, tc := range map[string]struct{ attrs, want string }{
		"no session name":    {"", "no https://aws.amazon.com/SAML/Attributes/RoleSessionName attribute, which AWS requires"},
		"bad session name":   {`<saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml2:AttributeValue>alice smith</saml2:AttributeValue></saml2:Attribute>`, `RoleSessionName "alice smith" is not 2 to 64 of`},
		"short session name": {`<saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml2:AttributeValue>a</saml2:AttributeValue></saml2:Attribute>`, `RoleSessionName "a" is not`},
	} {
		t.Run(name, func(t *testing.T) {
			a, err := iamx.ParseSAMLResponse(b64(samlXML(success, tc.attrs, devRole+","+devIdP)))
			require.NoError(t, err, "parsing is lenient, so -list-roles still works")
			s := &stubSTS{}
			_, err = iamx.AssumeRoleWithSAML(context.Background(), s, a, a.Roles[0], before)
			require.ErrorIs(t, err, iamx.ErrInvalidSAML)
			assert.ErrorContains(t, err, tc.want)
			assert.Zero(t, s.calls)
		})
	}
	t.Run("hand-made assertion", func(t *testing.T) {
		_, err := iamx.AssumeRoleWithSAML(context.Background(), &stubSTS{}, &iamx.SAMLAssertion{}, role)
		assert.ErrorContains(t, err, "needs an assertion from ParseSAMLResponse")
	})
}

// TestAssumeRoleWithSAMLMoto exchanges a response at moto's STS, which
// parses the assertion (it does not check signatures).
func TestAssumeRoleWithSAMLMoto(t *testing.T) {
	cfg := moto.Config(t)
	x := strings.ReplaceAll(samlXML(success, samlAttrs, devRole+","+devIdP), notAfter, time.Now().Add(5*time.Minute).UTC().Format(time.RFC3339))
	a, err := iamx.ParseSAMLResponse(b64(x))
	require.NoError(t, err)
	role, err := a.Role("")
	require.NoError(t, err)
	c, err := iamx.AssumeRoleWithSAML(context.Background(), sts.NewFromConfig(cfg), a, role)
	require.NoError(t, err)
	assert.NotEmpty(t, c.AccessKeyID)
	assert.NotEmpty(t, c.SecretAccessKey)
	assert.NotEmpty(t, c.SessionToken)
	assert.True(t, c.Expires.After(time.Now()))
	assert.WithinDuration(t, time.Now().Add(time.Hour), c.Expires, 5*time.Minute, "moto honours DurationSeconds from the assertion")
}

func FuzzParseSAMLResponse(f *testing.F) {
	f.Add(b64(samlXML(success, samlAttrs, devRole+","+devIdP)))
	f.Add(samlXML(success, "", opsIdP+","+opsRole))
	f.Add(`<input name="SAMLResponse" value="PA==">`)
	f.Add("SAMLResponse=PHI%2B")
	f.Fuzz(func(t *testing.T, in string) {
		a, err := iamx.ParseSAMLResponse(in)
		if err != nil {
			if !errors.Is(err, iamx.ErrInvalidSAML) {
				t.Fatalf("error %v is not ErrInvalidSAML", err)
			}
			return
		}
		if len(a.Roles) == 0 {
			t.Fatal("parsed with no roles")
		}
		for _, r := range a.Roles {
			if !strings.Contains(r.RoleARN, ":role/") || !strings.Contains(r.PrincipalARN, ":saml-provider/") {
				t.Fatalf("bad pair %+v", r)
			}
		}
	})
}
