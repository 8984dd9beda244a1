package iamx_test

import (
	"encoding/json"
	"testing"

	"github.com/kumo-go/kumo/iamx"
)

var (
	benchUser  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111122223333:role/ops","Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}},{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"arn:aws:s3:::home/${aws:username}/*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}`
	benchTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"},"StringLike":{"aws:PrincipalTag/team":["ops*","sre?"]}}}]}`
)

// BenchmarkEvaluate decides the seed scenario: an IP-restricted user
// policy and an IP-restricted trust policy, with variables and a Deny.
func BenchmarkEvaluate(b *testing.B) {
	user, _ := iamx.ParsePolicy([]byte(benchUser))
	trust, _ := iamx.ParsePolicy([]byte(benchTrust))
	in := iamx.Policies{Identity: []*iamx.Policy{user}, Resource: []*iamx.Policy{trust}}
	req := iamx.Request{Action: "sts:AssumeRole", Resource: "arn:aws:iam::111122223333:role/ops", Principal: alice,
		Context: map[string][]string{"aws:SourceIp": {"203.0.113.9"}, "aws:PrincipalTag/team": {"ops-eu"}, "aws:MultiFactorAuthPresent": {"true"}}}
	b.ReportAllocs()
	for b.Loop() {
		if iamx.Evaluate(req, in).Decision != iamx.Allow {
			b.Fatal("not allowed")
		}
	}
}

// BenchmarkBaselineDecodePolicies is what every caller pays already: the
// plain JSON decoding of the same two documents.
func BenchmarkBaselineDecodePolicies(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var u, t any
		if json.Unmarshal([]byte(benchUser), &u) != nil || json.Unmarshal([]byte(benchTrust), &t) != nil {
			b.Fatal("bad JSON")
		}
	}
}
