package iamx_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/iamx"
)

// corpus holds the policy shapes people write: single-object and array
// Statement, string and list fields, "*" and map principals, Not-variants,
// set and IfExists operators, numbers and booleans in conditions, unknown
// fields.
var corpus = []string{
	`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}`,
	`{"Version":"2012-10-17","Id":"p1","Statement":[{"Sid":"A","Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]}`,
	`{"Statement":[{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:iam::111122223333:user/admin"}],"Version":"2012-10-17"}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*","Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThanEquals":{"s3:max-keys":10}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","444455556666"],"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x-1"},"ForAnyValue:StringLike":{"aws:PrincipalTag/team":["a*","b?"]},"StringEqualsIfExists":{"aws:RequestedRegion":"eu-west-1"}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"*","Resource":"*","X-Extra":{"kept":[1,2]}}],"Custom":"kept too"}`,
	`{"Version":"2012-10-17","Statement":[]}`,
}

func jsonEqual(t *testing.T, a, b []byte) {
	t.Helper()
	var x, y any
	require.NoError(t, json.Unmarshal(a, &x))
	require.NoError(t, json.Unmarshal(b, &y))
	assert.True(t, reflect.DeepEqual(x, y), "\n%s\n%s", a, b)
}

func TestRoundTripIsLossless(t *testing.T) {
	for _, doc := range corpus {
		p, err := iamx.ParsePolicy([]byte(doc))
		require.NoError(t, err, doc)
		out, err := json.Marshal(p)
		require.NoError(t, err)
		jsonEqual(t, []byte(doc), out)
		assert.Equal(t, doc[:12], string(out[:12]), "field order is kept")
	}
	p, _ := iamx.ParsePolicy([]byte(corpus[0]))
	out, _ := json.Marshal(p)
	assert.Contains(t, string(out), `"Statement":{`, "a single-object Statement stays one")
	assert.Contains(t, string(out), `"Action":"s3:GetObject"`, "a string stays a string")
}

func TestParseRejects(t *testing.T) {
	for _, doc := range []string{``, `[]`, `{"Statement":[{"Principal":"someone"}]}`, `{"Statement":[{"Action":{"x":1}}]}`,
		`{"Statement":[{"Effect":"Allow"}],"Statement":[]}`, `{"Statement":[{"Condition":{"StringEquals":{"k":[{"a":1}]}}}]}`} {
		_, err := iamx.ParsePolicy([]byte(doc))
		assert.ErrorIs(t, err, iamx.ErrInvalidPolicy, doc)
	}
}

func TestValidate(t *testing.T) {
	for _, doc := range corpus[:6] {
		p, _ := iamx.ParsePolicy([]byte(doc))
		assert.NoError(t, p.Validate(), doc)
	}
	for _, tt := range []struct{ doc, want string }{
		{`{"Statement":[{"Action":"s3:*","Resource":"*"}]}`, "statement 1: no Effect; it must be Allow or Deny"},
		{`{"Statement":[{"Sid":"S","Effect":"allow","Action":"s3:*","Resource":"*"}]}`, `statement 1 (S): Effect "allow" must be Allow or Deny (case matters)`},
		{`{"Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"s3:Delete*","Resource":"*"}]}`, "has both Action and NotAction; use one"},
		{`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:bucket"}]}`, `resource "arn:aws:s3:bucket" is not * or an ARN`},
		{`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/33"}}}]}`, `"203.0.113.0/33" is not an IP address or CIDR range`},
		{`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1111222233334:root"},"Action":"sts:AssumeRole"}]}`, `has account ID "1111222233334"; account IDs are 12 digits`},
		{`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"11112222333"},"Action":"sts:AssumeRole"}]}`, `is neither an ARN nor a 12-digit account ID`},
		{`{"Version":"2012-10-18","Statement":[{"Effect":"Allow","Action":"*"}]}`, `the Version "2012-10-18" is not one IAM knows; use 2012-10-17`},
	} {
		p, err := iamx.ParsePolicy([]byte(tt.doc))
		require.NoError(t, err)
		err = p.Validate()
		require.ErrorIs(t, err, iamx.ErrInvalidPolicy, tt.doc)
		assert.Contains(t, err.Error(), tt.want)
	}
}

func TestBuilders(t *testing.T) {
	out, err := json.Marshal(iamx.SAMLTrustPolicy("arn:aws:iam::111122223333:saml-provider/Okta"))
	require.NoError(t, err)
	assert.Equal(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:saml-provider/Okta"},"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`, string(out))
	out, err = json.Marshal(iamx.CrossAccountTrustPolicy("444455556666", "partner-ext-1"))
	require.NoError(t, err)
	assert.Equal(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"partner-ext-1"}}}]}`, string(out))
	out, err = json.Marshal(iamx.AllowAssumeRoleFrom("arn:aws:iam::111122223333:role/ops", "203.0.113.0/24", "198.51.100.7"))
	require.NoError(t, err)
	assert.Equal(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111122223333:role/ops","Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","198.51.100.7"]}}}]}`, string(out))
	for _, p := range []*iamx.Policy{iamx.SAMLTrustPolicy("arn:aws:iam::111122223333:saml-provider/Okta"), iamx.CrossAccountTrustPolicy("444455556666", "x")} {
		assert.NoError(t, p.Validate())
	}
}

// The scenario that motivates Evaluate: an IP condition in the user's
// policy and the same condition in the role's trust policy each block a
// call from elsewhere; AssumeRole needs both to allow.
func TestEvaluateSourceIPInIdentityAndTrustPolicies(t *testing.T) {
	role := "arn:aws:iam::111122223333:role/ops"
	user := "arn:aws:iam::111122223333:user/alice"
	office, home := "203.0.113.9", "198.51.100.20"
	open := iamx.AllowAssumeRoleFrom(role)
	identity := iamx.AllowAssumeRoleFrom(role, "203.0.113.0/24")
	trust := &iamx.Policy{Version: "2012-10-17", Statements: []iamx.Statement{{Effect: "Allow",
		Principal: &iamx.Principal{Values: map[string]iamx.Values{"AWS": iamx.NewValues("arn:aws:iam::111122223333:root")}},
		Action:    iamx.NewValues("sts:AssumeRole")}}}
	restricted := iamx.RestrictTrustToSourceIP(trust, "203.0.113.0/24")
	req := func(ip string) iamx.Request {
		return iamx.Request{Action: "sts:AssumeRole", Resource: role, Principal: user, Context: map[string][]string{"aws:SourceIp": {ip}}}
	}
	for _, tt := range []struct {
		name     string
		identity *iamx.Policy
		trust    *iamx.Policy
		ip       string
		want     iamx.Decision
		by       iamx.PolicyKind
	}{
		{"both restricted, office", identity, restricted, office, iamx.Allow, iamx.IdentityPolicy},
		{"user-side restriction", identity, trust, home, iamx.ImplicitDeny, iamx.IdentityPolicy},
		{"trust-side restriction", open, restricted, home, iamx.ImplicitDeny, iamx.ResourcePolicy},
		{"neither restricted", open, trust, home, iamx.Allow, iamx.IdentityPolicy},
		{"no trust policy at all", open, nil, office, iamx.ImplicitDeny, iamx.ResourcePolicy},
	} {
		in := iamx.Policies{Identity: []*iamx.Policy{tt.identity}}
		if tt.trust != nil {
			in.Resource = []*iamx.Policy{tt.trust}
		}
		res := iamx.Evaluate(req(tt.ip), in)
		assert.Equal(t, tt.want, res.Decision, "%s\n%s", tt.name, res)
		assert.Equal(t, tt.by, res.DecidedBy, "%s\n%s", tt.name, res)
	}
	assert.Nil(t, trust.Statements[0].Condition, "RestrictTrustToSourceIP leaves the original alone")
}

// identityOnly evaluates the policies as the identity-based policies of
// alice, an IAM user in 111122223333.
func identityOnly(req iamx.Request, ps ...*iamx.Policy) iamx.Decision {
	if req.Principal == "" {
		req.Principal = "arn:aws:iam::111122223333:user/alice"
	}
	if req.ResourceAccount == "" {
		req.ResourceAccount = "111122223333" // S3 ARNs name no account
	}
	return iamx.Evaluate(req, iamx.Policies{Identity: ps}).Decision
}

func TestEvaluateTable(t *testing.T) {
	parse := func(doc string) *iamx.Policy {
		p, err := iamx.ParsePolicy([]byte(doc))
		require.NoError(t, err)
		return p
	}
	allowS3 := parse(`{"Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::data/*"}]}`)
	denyDelete := parse(`{"Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::data/secret/*"}]}`)
	conds := parse(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
		"StringEqualsIgnoreCase":{"aws:PrincipalTag/team":"Ops"},
		"NumericLessThan":{"s3:max-keys":"100"},
		"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"},
		"Bool":{"aws:SecureTransport":"true"},
		"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:111122223333:*"},
		"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"},
		"StringEqualsIfExists":{"aws:RequestedRegion":"eu-west-1"},
		"Null":{"aws:TokenIssueTime":"true"},
		"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}}]}`)
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	good := map[string][]string{"aws:PrincipalTag/team": {"ops"}, "s3:max-keys": {"50"}, "aws:SecureTransport": {"true"},
		"aws:SourceArn": {"arn:aws:sns:eu-west-1:111122223333:topic"}, "aws:SourceIp": {"203.0.113.1"}, "aws:TagKeys": {"env"}}
	with := func(k, v string) map[string][]string {
		c := map[string][]string{}
		for kk, vv := range good {
			c[kk] = vv
		}
		if v == "" {
			delete(c, k)
		} else {
			c[k] = []string{v}
		}
		return c
	}
	for _, tt := range []struct {
		name     string
		policies []*iamx.Policy
		req      iamx.Request
		want     iamx.Decision
	}{
		{"allowed by wildcard", []*iamx.Policy{allowS3}, iamx.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/a.txt"}, iamx.Allow},
		{"actions ignore case", []*iamx.Policy{allowS3}, iamx.Request{Action: "S3:getobject", Resource: "arn:aws:s3:::data/a.txt"}, iamx.Allow},
		{"resources do not", []*iamx.Policy{allowS3}, iamx.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::DATA/a.txt"}, iamx.ImplicitDeny},
		{"other action", []*iamx.Policy{allowS3}, iamx.Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::data/a.txt"}, iamx.ImplicitDeny},
		{"explicit deny wins", []*iamx.Policy{allowS3, denyDelete}, iamx.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/secret/k"}, iamx.ExplicitDeny},
		{"all conditions hold", []*iamx.Policy{conds}, iamx.Request{Action: "x:Y", Context: good, Now: now}, iamx.Allow},
		{"StringEqualsIgnoreCase fails", []*iamx.Policy{conds}, iamx.Request{Action: "x:Y", Context: with("aws:PrincipalTag/team", "dev"), Now: now}, iamx.ImplicitDeny},
		{"NumericLessThan fails", []*iamx.Policy{conds}, iamx.Request{Action: "x:Y", Context: with("s3:max-keys", "100"), Now: now}, iamx.ImplicitDeny},
		{"DateLessThan fails", []*iamx.Policy{conds}, iamx.Request{Action: "x:Y", Context: good, Now: now.AddDate(1, 0, 0)}, iamx.ImplicitDeny},
		{"Bool fails", []*iamx.Policy{conds}, iamx.Request{Action: "x:Y", Context: with("aws:SecureTransport", "false"), Now: now}, iamx.ImplicitDeny},
		{"ArnLike fails", []*iamx.Policy{conds}, iamx.Request{Action: "x:Y", Context: with("aws:SourceArn", "arn:aws:sns:eu-west-1:999999999999:t"), Now: now}, iamx.ImplicitDeny},
		{"NotIpAddress fails", []*iamx.Policy{conds}, iamx.Request{Action: "x:Y", Context: with("aws:SourceIp", "10.1.2.3"), Now: now}, iamx.ImplicitDeny},
		{"IfExists, present and wrong", []*iamx.Policy{conds}, iamx.Request{Action: "x:Y", Context: with("aws:RequestedRegion", "us-east-1"), Now: now}, iamx.ImplicitDeny},
		{"IfExists, present and right", []*iamx.Policy{conds}, iamx.Request{Action: "x:Y", Context: with("aws:RequestedRegion", "eu-west-1"), Now: now}, iamx.Allow},
		{"Null fails", []*iamx.Policy{conds}, iamx.Request{Action: "x:Y", Context: with("aws:TokenIssueTime", "2026-01-01T00:00:00Z"), Now: now}, iamx.ImplicitDeny},
		{"ForAllValues fails", []*iamx.Policy{conds}, iamx.Request{Action: "x:Y", Context: with("aws:TagKeys", "cost"), Now: now}, iamx.ImplicitDeny},
		{"a missing key fails a positive operator", []*iamx.Policy{conds}, iamx.Request{Action: "x:Y", Context: with("aws:SecureTransport", ""), Now: now}, iamx.ImplicitDeny},
		{"nothing applies", nil, iamx.Request{Action: "s3:GetObject"}, iamx.ImplicitDeny},
	} {
		assert.Equal(t, tt.want, identityOnly(tt.req, tt.policies...), tt.name)
	}
}

func FuzzParsePolicy(f *testing.F) {
	for _, doc := range corpus {
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := iamx.ParsePolicy([]byte(doc))
		if err != nil {
			return
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("a parsed policy does not marshal: %v", err)
		}
		q, err := iamx.ParsePolicy(out)
		if err != nil {
			t.Fatalf("what was written does not parse: %v\n%s", err, out)
		}
		again, _ := json.Marshal(q)
		if string(again) != string(out) {
			t.Fatalf("not stable:\n%s\n%s", out, again)
		}
		_ = p.Validate()
		_ = iamx.Evaluate(iamx.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: map[string][]string{"aws:SourceIp": {"1.2.3.4"}}}, iamx.Policies{Identity: []*iamx.Policy{p}})
	})
}

func TestDecisionStringAnyValue(t *testing.T) {
	for d, want := range map[iamx.Decision]string{iamx.ImplicitDeny: "ImplicitDeny", iamx.Allow: "Allow", iamx.ExplicitDeny: "ExplicitDeny", 3: "Decision(3)", -1: "Decision(-1)"} {
		assert.Equal(t, want, d.String())
		assert.NotPanics(t, func() { _ = fmt.Sprintf("%v %d %s", d, d, d) })
	}
}

// RestrictTrustToSourceIP must only narrow: a trust policy already limited
// to 10.0.0.0/8 stays limited to it when restricted again, whatever the
// new ranges are.
func TestRestrictTrustToSourceIPOnlyNarrows(t *testing.T) {
	role := "arn:aws:iam::111122223333:role/ops"
	trust, err := iamx.ParsePolicy([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"sts:AssumeRole",
		"Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.0/24"]}}}]}`))
	require.NoError(t, err)
	from := func(p *iamx.Policy, ip string) iamx.Decision {
		return iamx.Evaluate(iamx.Request{Action: "sts:AssumeRole", Resource: role, Principal: "arn:aws:iam::111122223333:user/alice",
			Context: map[string][]string{"aws:SourceIp": {ip}}}, iamx.Policies{Resource: []*iamx.Policy{p}}).Decision
	}
	for _, tt := range []struct {
		cidrs []string
		ip    string
		want  iamx.Decision
	}{
		{[]string{"0.0.0.0/0"}, "198.51.100.1", iamx.ImplicitDeny}, // was Allow: the old range was replaced
		{[]string{"0.0.0.0/0"}, "10.1.2.3", iamx.Allow},
		{[]string{"10.1.0.0/16"}, "10.1.2.3", iamx.Allow},
		{[]string{"10.1.0.0/16"}, "10.2.0.1", iamx.ImplicitDeny},
		{[]string{"10.1.0.0/16"}, "192.0.2.9", iamx.ImplicitDeny},
		{[]string{"198.51.100.0/24"}, "198.51.100.1", iamx.ImplicitDeny}, // no overlap: nobody
	} {
		assert.Equal(t, tt.want, from(iamx.RestrictTrustToSourceIP(trust, tt.cidrs...), tt.ip), "%v from %s", tt.cidrs, tt.ip)
	}
	assert.Nil(t, iamx.RestrictTrustToSourceIP(nil, "10.0.0.0/8"))
}

// The IAM API returns policy documents URL-encoded (RFC 3986); the SDK
// hands them on as they are.
func TestParsePolicyURLEncoded(t *testing.T) {
	encoded := "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%2C%22Condition%22%3A%7B%22StringLike%22%3A%7B%22aws%3APrincipalTag%2Fteam%22%3A%22a+b%20c%22%7D%7D%7D%5D%7D"
	p, err := iamx.ParsePolicy([]byte(encoded))
	require.NoError(t, err)
	require.NoError(t, p.Validate())
	assert.Equal(t, "2012-10-17", p.Version)
	assert.Equal(t, []string{"a+b c"}, p.Statements[0].Condition["StringLike"]["aws:PrincipalTag/team"].Strings(), "+ stays +, %20 is a space")
	_, err = iamx.ParsePolicy([]byte("%7B%zz"))
	require.ErrorIs(t, err, iamx.ErrInvalidPolicy)
}
