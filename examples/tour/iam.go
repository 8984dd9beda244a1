package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kumo-go/kumo/credentials"
	"github.com/kumo-go/kumo/iamx"
	"github.com/kumo-go/kumo/iamx/iamtest"
)

// tourSAML builds the response an IdP posts after sign-in, offering the
// given roleArn,providerArn pairs (either order).
func tourSAML(account string, notOnOrAfter time.Time, pairs ...string) string {
	var values strings.Builder
	for _, p := range pairs {
		values.WriteString("<saml:AttributeValue>" + p + "</saml:AttributeValue>\n")
	}
	x := `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">
<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
<saml:Assertion><saml:Issuer>https://idp.example.com</saml:Issuer>
<saml:Subject><saml:NameID>alice@example.com</saml:NameID></saml:Subject>
<saml:Conditions NotOnOrAfter="` + notOnOrAfter.UTC().Format(time.RFC3339) + `"><saml:AudienceRestriction><saml:Audience>urn:amazon:webservices</saml:Audience></saml:AudienceRestriction></saml:Conditions>
<saml:AttributeStatement>
<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">
` + values.String() + `</saml:Attribute>
<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>alice</saml:AttributeValue></saml:Attribute>
<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/SessionDuration"><saml:AttributeValue>3600</saml:AttributeValue></saml:Attribute>
</saml:AttributeStatement></saml:Assertion></samlp:Response>`
	return base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(x, "ACCT", account)))
}

// iamStop signs in over SAML, checks an IP-restricted trust policy offline
// and rotates an access key, against the fake or the emulator.
func iamStop(ctx context.Context, g *guide) error {
	var (
		stsClient iamx.STSAPI
		iamClient interface {
			iamx.IAMAPI
			CreateUser(context.Context, *iam.CreateUserInput, ...func(*iam.Options)) (*iam.CreateUserOutput, error)
		}
		newSTS  func(aws.Credentials) iamx.CallerIdentityAPI
		account = "111122223333"
		// Two roles, the second written provider-first as some IdPs do.
		pairs = []string{"arn:aws:iam::ACCT:role/Developer,arn:aws:iam::ACCT:saml-provider/Corp", "arn:aws:iam::ACCT:saml-provider/Corp,arn:aws:iam::ACCT:role/ReadOnly"}
	)
	if g.endpoint == "" {
		fake := iamtest.New(func(o *iamtest.Options) { o.Propagation = 300 * time.Millisecond })
		stsClient, iamClient, newSTS, account = fake, fakeUsers{fake}, fake.ClientFor, fake.AccountID()
	} else {
		cfg := awsConfig(g.endpoint)
		stsClient, iamClient = sts.NewFromConfig(cfg), iam.NewFromConfig(cfg)
		newSTS = func(c aws.Credentials) iamx.CallerIdentityAPI {
			return sts.New(sts.Options{Region: cfg.Region, BaseEndpoint: cfg.BaseEndpoint, Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return c, nil }))})
		}
		account = "123456789012"
		pairs = pairs[1:] // moto's STS reads a single-valued Role attribute only
	}

	a, err := iamx.ParseSAMLResponse(tourSAML(account, time.Now().Add(5*time.Minute), pairs...))
	if err != nil {
		return err
	}
	g.say("The IdP's SAML response offers %d roles to %s:", len(a.Roles), a.Subject)
	for _, r := range a.Roles {
		g.say("  %s via %s", r.RoleARN, r.PrincipalARN)
	}
	_, err = a.Role("Admin")
	g.say("Asking for one it does not offer lists the choices: %v", err)
	role, err := a.Role("ReadOnly")
	if err != nil {
		return err
	}
	creds, err := iamx.AssumeRoleWithSAML(ctx, stsClient, a, role)
	if err != nil {
		return err
	}
	g.say("AssumeRoleWithSAML as ReadOnly gave credentials %s... until %s.", creds.AccessKeyID[:4], creds.Expires.UTC().Format(time.Kitchen))
	_, err = iamx.AssumeRoleWithSAML(ctx, stsClient, a, role, func(o *iamx.SAMLOptions) { o.Clock = func() time.Time { return time.Now().Add(time.Hour) } })
	g.say("The same assertion an hour later fails before any call: %v", err)

	trust := iamx.RestrictTrustToSourceIP(iamx.SAMLTrustPolicy("arn:aws:iam::"+account+":saml-provider/Corp"), "203.0.113.0/24")
	req := iamx.Request{Action: "sts:AssumeRoleWithSAML", Resource: role.RoleARN, Principal: role.PrincipalARN,
		Context: map[string][]string{"SAML:aud": {"https://signin.aws.amazon.com/saml"}, "aws:SourceIp": {"203.0.113.7"}}}
	inOffice := iamx.Evaluate(req, iamx.Policies{Resource: []*iamx.Policy{trust}})
	req.Context["aws:SourceIp"] = []string{"198.51.100.9"}
	outside := iamx.Evaluate(req, iamx.Policies{Resource: []*iamx.Policy{trust}})
	g.say("Its trust policy, limited to the office network, evaluated offline: from 203.0.113.7 %s, from 198.51.100.9 %s:", inOffice.Decision, outside.Decision)
	for _, line := range strings.Split(outside.String(), "\n") {
		g.say("  %s", strings.TrimSpace(line))
	}

	user := fmt.Sprintf("kumo-tour-bot-%d", time.Now().UnixNano())
	if _, err := iamClient.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
		return err
	}
	dir, err := credentials.OpenDir(g.work + "/rotation")
	if err != nil {
		return err
	}
	rotate := func() (iamx.RotateResult, error) {
		return iamx.RotateAccessKey(ctx, iamClient, user, dir.Put, func(o *iamx.RotateOptions) {
			o.NewSTS, o.Poll, o.Profile = newSTS, 100*time.Millisecond, "bot"
		})
	}
	// The user's first key comes from a rotation too: a plain
	// CreateAccessKey that the SDK retries after a lost answer leaves a
	// second key nobody holds, which RotateAccessKey finds and deletes.
	first, err := rotate()
	if err != nil {
		return err
	}
	res, err := rotate()
	if err != nil {
		return err
	}
	p, err := dir.Get("bot")
	if err != nil {
		return err
	}
	g.say("RotateAccessKey for %s: created %s, stored it (bot.ini holds %s), waited until STS accepted it,", user, res.NewKeyID, p.AccessKeyID)
	g.say("  then deactivated and deleted %s (the old key: %t).", res.RetiredKeyID, res.RetiredKeyID == first.NewKeyID)
	return nil
}

// fakeUsers gives the fake the CreateUser call the tour makes on the real
// client.
type fakeUsers struct{ *iamtest.Fake }

func (f fakeUsers) CreateUser(_ context.Context, in *iam.CreateUserInput, _ ...func(*iam.Options)) (*iam.CreateUserOutput, error) {
	f.AddUser(aws.ToString(in.UserName))
	return &iam.CreateUserOutput{}, nil
}
