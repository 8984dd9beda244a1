package iamx_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kumo-go/kumo/iamx"
)

// FuzzEvaluate feeds arbitrary policies and requests to Evaluate and
// checks that it never panics, that the same input gives the same result,
// and that a set of policies with only Deny statements never allows (for
// any caller but the account's root user, whom AWS allows without any
// policy).
func FuzzEvaluate(f *testing.F) {
	for _, doc := range corpus {
		f.Add(doc, "s3:GetObject", "arn:aws:s3:::bucket/k", alice, "aws:SourceIp", "203.0.113.7", "AWS:sourceip")
	}
	for _, c := range []string{
		`{"ForAnyValue:StringNotLikeIfExists":{"aws:TagKeys":["a?","${aws:username, 'x'}*"]}}`,
		`{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:${aws:PrincipalAccount}:?"}}`,
		`{"Null":{"k":["true","false"]},"NumericLessThan":{"aws:EpochTime":"1800000000.5"}}`,
		`{"DateGreaterThan":{"aws:CurrentTime":"2026-01"},"BinaryEquals":{"k":"QQ=="},"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`,
		`{"StringEqual":{"k":"v"}}`,
	} {
		f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::home/${aws:username}/*","Condition":`+c+`}]}`,
			"s3:PutObject", "arn:aws:s3:::home/alice/é", "arn:aws:sts::111122223333:assumed-role/r/s", "k", "v", "aws:TagKeys")
	}
	f.Fuzz(func(t *testing.T, doc, action, resource, principal, key, value, key2 string) {
		p, err := iamx.ParsePolicy([]byte(doc))
		if err != nil {
			return
		}
		_ = p.Validate()
		req := iamx.Request{Action: action, Resource: resource, Principal: principal, Now: time.Unix(1790000000, 0),
			Context: map[string][]string{key: {value}, key2: {value, resource}}}
		in := iamx.Policies{Identity: []*iamx.Policy{p}, Resource: []*iamx.Policy{p}, PermissionsBoundary: p,
			Session: []*iamx.Policy{p}, SCPs: [][]*iamx.Policy{{p}}, RCPs: [][]*iamx.Policy{{p}}}
		for _, in := range []iamx.Policies{{Identity: []*iamx.Policy{p}}, {Resource: []*iamx.Policy{p}}, in} {
			a, b := iamx.Evaluate(req, in), iamx.Evaluate(req, in)
			if a.String() != b.String() || a.Decision != b.Decision {
				t.Fatalf("not deterministic:\n%s\n%s", a, b)
			}
		}

		// The same policy with every statement turned into a Deny.
		raw, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("a parsed policy does not marshal: %v", err)
		}
		d, err := iamx.ParsePolicy(raw)
		if err != nil {
			t.Fatalf("what was written does not parse: %v", err)
		}
		for i := range d.Statements {
			d.Statements[i].Effect = "Deny"
		}
		deny := iamx.Policies{Identity: []*iamx.Policy{d}, Resource: []*iamx.Policy{d}, PermissionsBoundary: d,
			Session: []*iamx.Policy{d}, SCPs: [][]*iamx.Policy{{d}}, RCPs: [][]*iamx.Policy{{d}}}
		if strings.HasSuffix(principal, ":root") {
			return // AWS allows the root user in its own account without any policy
		}
		for _, in := range []iamx.Policies{deny, {Identity: []*iamx.Policy{d}}, {Resource: []*iamx.Policy{d}}} {
			if res := iamx.Evaluate(req, in); res.Decision == iamx.Allow {
				t.Fatalf("only Deny statements, yet Allow:\n%s\n%s", raw, res)
			}
		}
	})
}
