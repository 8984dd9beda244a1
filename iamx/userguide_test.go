package iamx_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/iamx"
)

// This file checks Evaluate against the IAM User Guide's own examples.
// Each case cites the page it comes from by title; the expected decision
// is the outcome the page documents. The policies are written here as
// JSON text by hand, not by kumo's builders.

const (
	acct  = "111122223333"
	alice = "arn:aws:iam::111122223333:user/alice"
)

// doc parses a policy written in a test, failing the test if it does not
// parse.
func doc(t *testing.T, js string) *iamx.Policy {
	t.Helper()
	p, err := iamx.ParsePolicy([]byte(js))
	require.NoError(t, err, js)
	return p
}

// allowIf is an identity policy allowing everything under one condition;
// denyIf denies everything under it. Version 2012-10-17 unless the
// condition says otherwise.
func allowIf(t *testing.T, condition string) *iamx.Policy {
	return doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":`+condition+`}]}`)
}

func denyIf(t *testing.T, condition string) *iamx.Policy {
	return doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":`+condition+`}]}`)
}

var allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

func ctx(kv ...string) map[string][]string {
	m := map[string][]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = append(m[kv[i]], kv[i+1])
	}
	return m
}

type guideCase struct {
	name string
	page string // the IAM User Guide page the case comes from
	in   iamx.Policies
	req  iamx.Request
	want iamx.Decision
	by   *iamx.PolicyKind // the deciding kind, where the page says
}

func kind(k iamx.PolicyKind) *iamx.PolicyKind { return &k }

func runGuide(t *testing.T, cases []guideCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			if req.Principal == "" {
				req.Principal = alice
			}
			if req.Action == "" {
				req.Action = "s3:GetObject"
			}
			res := iamx.Evaluate(req, tc.in)
			assert.Equal(t, tc.want, res.Decision, "%s\n%s", tc.page, res)
			if tc.by != nil {
				assert.Equal(t, *tc.by, res.DecidedBy, "%s\n%s", tc.page, res)
			}
		})
	}
}

func TestUserGuideConditionOperators(t *testing.T) {
	const ops = "IAM JSON policy elements: Condition operators"
	const cond = "IAM JSON policy elements: Condition"
	id := func(ps ...*iamx.Policy) iamx.Policies { return iamx.Policies{Identity: ps} }
	idAllow := func(p *iamx.Policy) iamx.Policies {
		return iamx.Policies{Identity: []*iamx.Policy{p, doc(t, allowAll)}}
	}
	jobCategory := allowIf(t, `{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}`)
	maxKeys := allowIf(t, `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`)
	tokenIssued := allowIf(t, `{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}`)
	secureTransport := doc(t, `{"Version":"2012-10-17","Statement":[{"Sid":"BooleanExample","Action":"s3:*","Effect":"Deny","Resource":["arn:aws:s3:::DOC-EXAMPLE-BUCKET","arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)
	binary := allowIf(t, `{"BinaryEquals":{"key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`)
	ipMixed := allowIf(t, `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}`)
	ipBare := allowIf(t, `{"IpAddress":{"aws:SourceIp":["203.0.113.7","2001:db8::1"]}}`)
	instanceType := allowIf(t, `{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}`)
	doesNotWork := allowIf(t, `{"StringLike":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}`)
	noTempCreds := allowIf(t, `{"Null":{"aws:TokenIssueTime":"true"}}`)
	// The page's ARN example: StringLike's * spans colons, ArnLike's does not.
	const arnPattern, arnValue = "arn:aws:someservice:*:111122223333:finance/*", "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
	sqsPolicy := doc(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"SQS:SendMessage","Resource":"arn:aws:sqs:us-east-1:111122223333:queue","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:topic"}}}}`)
	sqsReq := func(src string) iamx.Request {
		return iamx.Request{Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:111122223333:queue", Context: ctx("aws:SourceArn", src)}
	}
	sqsIn := iamx.Policies{Identity: []*iamx.Policy{doc(t, allowAll)}, Resource: []*iamx.Policy{sqsPolicy}}
	notPrincipalAccount := allowIf(t, `{"StringNotEquals":{"aws:PrincipalAccount":["444455556666","777788889999"]}}`)

	runGuide(t, []guideCase{
		{"String: tagged principal", ops, id(jobCategory), iamx.Request{Context: ctx("aws:PrincipalTag/job-category", "iamuser-admin")}, iamx.Allow, nil},
		{"String: untagged principal (key missing: false)", ops, id(jobCategory), iamx.Request{}, iamx.ImplicitDeny, nil},
		{"String: StringEquals is case-sensitive", cond, id(allowIf(t, `{"StringEquals":{"aws:username":"johndoe"}}`)), iamx.Request{Context: ctx("aws:username", "JohnDoe")}, iamx.ImplicitDeny, nil},
		{"String: StringEqualsIgnoreCase", cond, id(allowIf(t, `{"StringEqualsIgnoreCase":{"aws:username":"johndoe"}}`)), iamx.Request{Context: ctx("aws:username", "JohnDoe")}, iamx.Allow, nil},
		{"Condition key names are not case-sensitive", cond, id(allowIf(t, `{"IpAddress":{"aws:SourceIP":"203.0.113.0/24"}}`)), iamx.Request{Context: ctx("AWS:SourceIp", "203.0.113.9")}, iamx.Allow, nil},
		{"Numeric: max-keys 10", ops, id(maxKeys), iamx.Request{Context: ctx("s3:max-keys", "10")}, iamx.Allow, nil},
		{"Numeric: max-keys 11", ops, id(maxKeys), iamx.Request{Context: ctx("s3:max-keys", "11")}, iamx.ImplicitDeny, nil},
		{"Numeric: exact beyond float64", ops, id(allowIf(t, `{"NumericEquals":{"n":"9007199254740993"}}`)), iamx.Request{Context: ctx("n", "9007199254740992")}, iamx.ImplicitDeny, nil},
		{"Numeric: decimals", ops, id(allowIf(t, `{"NumericLessThan":{"n":"1.5"}}`)), iamx.Request{Context: ctx("n", "1.25")}, iamx.Allow, nil},
		{"Date: credentials issued in 2020", ops, id(tokenIssued), iamx.Request{Context: ctx("aws:TokenIssueTime", "2020-06-01T00:00:00Z")}, iamx.Allow, nil},
		{"Date: access keys (no aws:TokenIssueTime)", ops, id(tokenIssued), iamx.Request{}, iamx.ImplicitDeny, nil},
		{"Date: epoch seconds", ops, id(allowIf(t, `{"DateLessThan":{"aws:EpochTime":"1798761600"}}`)), iamx.Request{Now: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)}, iamx.Allow, nil},
		{"Bool: deny without TLS", ops, idAllow(secureTransport), iamx.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::DOC-EXAMPLE-BUCKET/k", ResourceAccount: acct, Context: ctx("aws:SecureTransport", "false")}, iamx.ExplicitDeny, nil},
		{"Bool: TLS", ops, idAllow(secureTransport), iamx.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::DOC-EXAMPLE-BUCKET/k", ResourceAccount: acct, Context: ctx("aws:SecureTransport", "true")}, iamx.Allow, nil},
		{"Binary: byte for byte against base64", ops, id(binary), iamx.Request{Context: ctx("key", "BinaryValueInBase64")}, iamx.Allow, nil},
		{"Binary: other bytes", ops, id(binary), iamx.Request{Context: ctx("key", "BinaryValueInBase65")}, iamx.ImplicitDeny, nil},
		{"Binary: a Deny with BinaryEquals applies", ops, iamx.Policies{Identity: []*iamx.Policy{doc(t, allowAll), denyIf(t, `{"BinaryEquals":{"key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`)}}, iamx.Request{Context: ctx("key", "BinaryValueInBase64")}, iamx.ExplicitDeny, nil},
		{"IP: IPv4 range", ops, id(ipMixed), iamx.Request{Context: ctx("aws:SourceIp", "203.0.113.200")}, iamx.Allow, nil},
		{"IP: IPv6 range", ops, id(ipMixed), iamx.Request{Context: ctx("aws:SourceIp", "2001:db8:1234:5678::abcd")}, iamx.Allow, nil},
		{"IP: outside both", ops, id(ipMixed), iamx.Request{Context: ctx("aws:SourceIp", "2001:db8:1234:5679::1")}, iamx.ImplicitDeny, nil},
		{"IP: VPC endpoint request has no aws:SourceIp", ops, id(ipMixed), iamx.Request{}, iamx.ImplicitDeny, nil},
		{"IP: bare IPv4 address is /32", ops, id(ipBare), iamx.Request{Context: ctx("aws:SourceIp", "203.0.113.8")}, iamx.ImplicitDeny, nil},
		{"IP: bare IPv4 address matches itself", ops, id(ipBare), iamx.Request{Context: ctx("aws:SourceIp", "203.0.113.7")}, iamx.Allow, nil},
		{"IP: bare IPv6 address is /128", ops, id(ipBare), iamx.Request{Context: ctx("aws:SourceIp", "2001:db8::2")}, iamx.ImplicitDeny, nil},
		{"ARN: StringLike's * spans colons", ops, id(allowIf(t, `{"StringLike":{"aws:SourceArn":"`+arnPattern+`"}}`)), iamx.Request{Context: ctx("aws:SourceArn", arnValue)}, iamx.Allow, nil},
		{"ARN: ArnLike matches component by component", ops, id(allowIf(t, `{"ArnLike":{"aws:SourceArn":"`+arnPattern+`"}}`)), iamx.Request{Context: ctx("aws:SourceArn", arnValue)}, iamx.ImplicitDeny, nil},
		{"ARN: ArnEquals behaves as ArnLike", ops, id(allowIf(t, `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:111122223333:alerts"}}`)), iamx.Request{Context: ctx("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:alerts")}, iamx.Allow, nil},
		{"ARN: ArnEquals * stays in its component", ops, id(allowIf(t, `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:111122223333:alerts"}}`)), iamx.Request{Context: ctx("aws:SourceArn", "arn:aws:sns:us-east-1:444455556666:x:111122223333:alerts")}, iamx.ImplicitDeny, nil},
		{"ARN: a Deny with ArnNotLike and the key missing applies", ops, iamx.Policies{Identity: []*iamx.Policy{doc(t, allowAll), denyIf(t, `{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}`)}}, iamx.Request{}, iamx.ExplicitDeny, nil},
		{"ARN: SQS queue policy, topic matches", ops, sqsIn, sqsReq("arn:aws:sns:us-east-1:111122223333:topic"), iamx.Allow, nil},
		{"ARN: SQS queue policy, other topic", ops, iamx.Policies{Resource: sqsIn.Resource}, sqsReq("arn:aws:sns:us-east-1:111122223333:other"), iamx.ImplicitDeny, nil},
		{"IfExists: key missing counts as true", ops, id(instanceType), iamx.Request{Action: "ec2:RunInstances"}, iamx.Allow, nil},
		{"IfExists: key present and matching", ops, id(instanceType), iamx.Request{Action: "ec2:RunInstances", Context: ctx("ec2:InstanceType", "t2.micro")}, iamx.Allow, nil},
		{"IfExists: key present, not matching", ops, id(instanceType), iamx.Request{Action: "ec2:RunInstances", Context: ctx("ec2:InstanceType", "m5.large")}, iamx.ImplicitDeny, nil},
		{"THISPOLICYDOESNOTWORK: StringLike on a missing key", ops, id(doesNotWork), iamx.Request{Action: "ec2:RunInstances"}, iamx.ImplicitDeny, nil},
		{"Null true: key absent", ops, id(noTempCreds), iamx.Request{Action: "ec2:DescribeInstances"}, iamx.Allow, nil},
		{"Null true: temporary credentials", ops, id(noTempCreds), iamx.Request{Action: "ec2:DescribeInstances", Context: ctx("aws:TokenIssueTime", "2026-01-01T00:00:00Z")}, iamx.ImplicitDeny, nil},
		{"Null: several values are ORed", cond, id(allowIf(t, `{"Null":{"aws:TokenIssueTime":["false","true"]}}`)), iamx.Request{}, iamx.Allow, nil},
		{"Negated operator, key missing: true", ops, id(allowIf(t, `{"StringNotLike":{"aws:PrincipalTag/team":"x*"}}`)), iamx.Request{}, iamx.Allow, nil},
		{"Negated operator, several values: none may match", "Creating a condition with multiple keys or values", id(notPrincipalAccount), iamx.Request{Context: ctx("aws:PrincipalAccount", "777788889999")}, iamx.ImplicitDeny, nil},
		{"Negated operator, several values: no match", "Creating a condition with multiple keys or values", id(notPrincipalAccount), iamx.Request{Context: ctx("aws:PrincipalAccount", "123456789012")}, iamx.Allow, nil},
		{"StringLike ? is one character, not one byte", ops, id(allowIf(t, `{"StringLike":{"s3:prefix":"bucket/?"}}`)), iamx.Request{Context: ctx("s3:prefix", "bucket/é")}, iamx.Allow, nil},
		{"StringLike ? is exactly one character", ops, id(allowIf(t, `{"StringLike":{"s3:prefix":"bucket/?"}}`)), iamx.Request{Context: ctx("s3:prefix", "bucket/éé")}, iamx.ImplicitDeny, nil},
	})
}

func TestUserGuideMultivaluedKeys(t *testing.T) {
	const page = "Single-valued vs. multivalued context keys" // formerly "Creating a condition with multiple keys or values"
	allAttrs := doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:*:*:table/Thread","Condition":{"ForAllValues:StringEquals":{"dynamodb:Attributes":["ID","Message","Tags"]}}}]}`)
	tableAll := doc(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:*:*:table/Thread","Condition":{"ForAllValues:StringEquals":{"dynamodb:Attributes":["PostDateTime","Message","Tags"]}}}}`)
	denyAny := doc(t, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"dynamodb:PutItem","Resource":"arn:aws:dynamodb:*:*:table/Thread","Condition":{"ForAnyValue:StringEquals":{"dynamodb:Attributes":["ID","PostDateTime"]}}}}`)
	table := "arn:aws:dynamodb:us-east-1:111122223333:table/Thread"
	get := func(attrs ...string) iamx.Request {
		r := iamx.Request{Action: "dynamodb:GetItem", Resource: table, Context: map[string][]string{}}
		if attrs != nil {
			r.Context["dynamodb:Attributes"] = attrs
		}
		return r
	}
	put := func(attrs ...string) iamx.Request {
		r := get(attrs...)
		r.Action = "dynamodb:PutItem"
		return r
	}
	withAllow := iamx.Policies{Identity: []*iamx.Policy{denyAny, doc(t, allowAll)}}
	ids := func(p *iamx.Policy) iamx.Policies { return iamx.Policies{Identity: []*iamx.Policy{p}} }
	anyNot := iamx.Policies{Identity: []*iamx.Policy{doc(t, allowAll), denyIf(t, `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env"]}}`)}}
	runGuide(t, []guideCase{
		{"ForAllValues: every requested attribute listed", page, ids(allAttrs), get("Message", "Tags"), iamx.Allow, nil},
		{"ForAllValues: UserName not listed", page, ids(allAttrs), get("Message", "UserName"), iamx.ImplicitDeny, nil},
		{"ForAllValues: table example PostDateTime+UserName", page, ids(tableAll), get("PostDateTime", "UserName"), iamx.ImplicitDeny, nil},
		{"ForAllValues: key missing is true", page, ids(allAttrs), get(), iamx.Allow, nil},
		{"ForAllValues: empty set is true", page, ids(allAttrs), get([]string{}...), iamx.Allow, nil},
		{"ForAllValues: empty string is a null data set", page, ids(allAttrs), get(""), iamx.Allow, nil},
		{"ForAnyValue Deny: PostDateTime requested", page, withAllow, put("PostDateTime", "Message"), iamx.ExplicitDeny, nil},
		{"ForAnyValue Deny: UserName, Message, PostDateTime", page, withAllow, put("UserName", "Message", "PostDateTime"), iamx.ExplicitDeny, nil},
		{"ForAnyValue Deny: only UserName", page, withAllow, put("UserName"), iamx.Allow, nil},
		{"ForAnyValue Deny: key missing is false", page, withAllow, put(), iamx.Allow, nil},
		{"ForAnyValue Deny: empty set is false", page, withAllow, put([]string{}...), iamx.Allow, nil},
		{"ForAnyValue negated: key missing is false", page, anyNot, iamx.Request{}, iamx.Allow, nil},
		{"ForAnyValue negated: empty set is false", page, anyNot, iamx.Request{Context: map[string][]string{"aws:TagKeys": {}}}, iamx.Allow, nil},
		{"ForAnyValue negated: one other key", page, anyNot, iamx.Request{Context: ctx("aws:TagKeys", "env", "aws:TagKeys", "cost")}, iamx.ExplicitDeny, nil},
		{"ForAnyValue negated: only listed keys", page, anyNot, iamx.Request{Context: ctx("aws:TagKeys", "env")}, iamx.Allow, nil},
		{"several values without a set operator cannot be evaluated: an Allow does not apply", page, ids(allowIf(t, `{"StringEquals":{"aws:TagKeys":"env"}}`)), iamx.Request{Context: ctx("aws:TagKeys", "env", "aws:TagKeys", "cost")}, iamx.ImplicitDeny, nil},
	})
}

func TestUserGuidePolicyVariables(t *testing.T) {
	const page = "IAM policy elements: Variables and tags"
	home := doc(t, `{"Version":"2012-10-17","Statement":[
		{"Action":["s3:ListBucket"],"Effect":"Allow","Resource":["arn:aws:s3:::mybucket"],"Condition":{"StringLike":{"s3:prefix":["${aws:username}/*"]}}},
		{"Action":["s3:GetObject","s3:PutObject"],"Effect":"Allow","Resource":["arn:aws:s3:::mybucket/${aws:username}/*"]}]}`)
	home2008 := doc(t, strings.Replace(`{"Version":"2012-10-17","Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"arn:aws:s3:::mybucket/${aws:username}/*"}]}`, "2012-10-17", "2008-10-17", 1))
	denyOutsideHome := doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::home/${aws:username}/*"}]}`)
	keys := doc(t, `{"Version":"2012-10-17","Statement":[{"Action":["iam:*AccessKey*"],"Effect":"Allow","Resource":["arn:aws:iam::111122223333:user/${aws:username}"]}]}`)
	queues := doc(t, `{"Version":"2012-10-17","Statement":[{"Sid":"AllQueueActions","Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:us-east-2:*:${aws:username}-queue"}]}`)
	department := doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::bucket/${aws:PrincipalTag/department}"]}]}`)
	team := doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::DOC-EXAMPLE-BUCKET-${aws:PrincipalTag/team, 'company-wide'}"}]}`)
	star := doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${*}${?}${$}"}]}`)
	teamDeny := doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::example-bucket/*","Condition":{"StringNotEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}}}]}`)
	teamAllow := doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}}}]}`)
	bob := "arn:aws:iam::111122223333:user/bob"
	session := "arn:aws:sts::111122223333:assumed-role/ops/alice"
	s3 := func(principal, res string, kv ...string) iamx.Request {
		return iamx.Request{Principal: principal, Action: "s3:GetObject", Resource: "arn:aws:s3:::" + res, ResourceAccount: acct, Context: ctx(kv...)}
	}
	ids := func(ps ...*iamx.Policy) iamx.Policies { return iamx.Policies{Identity: ps} }
	withAll := func(p *iamx.Policy) iamx.Policies {
		return iamx.Policies{Identity: []*iamx.Policy{p, doc(t, allowAll)}}
	}
	runGuide(t, []guideCase{
		{"${aws:username} in Resource: her folder", page, ids(home), s3(alice, "mybucket/alice/notes.txt"), iamx.Allow, nil},
		{"${aws:username} in Resource: another's folder", page, ids(home), s3(alice, "mybucket/bob/notes.txt"), iamx.ImplicitDeny, nil},
		{"${aws:username} in a StringLike condition", page, ids(home), iamx.Request{Action: "s3:ListBucket", Resource: "arn:aws:s3:::mybucket", ResourceAccount: acct, Context: ctx("s3:prefix", "alice/2026/")}, iamx.Allow, nil},
		{"${aws:username} in a condition, other prefix", page, ids(home), iamx.Request{Action: "s3:ListBucket", Resource: "arn:aws:s3:::mybucket", ResourceAccount: acct, Context: ctx("s3:prefix", "bob/")}, iamx.ImplicitDeny, nil},
		{"Version 2008-10-17: variables are literal text", page, ids(home2008), s3(alice, "mybucket/alice/notes.txt"), iamx.ImplicitDeny, nil},
		{"Version 2008-10-17: the literal text matches", page, ids(home2008), s3(alice, "mybucket/${aws:username}/x"), iamx.Allow, nil},
		{"NotResource with a variable: her own folder is not denied", page, withAll(denyOutsideHome), iamx.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice/a", ResourceAccount: acct}, iamx.Allow, nil},
		{"NotResource with a variable: another folder is denied", page, withAll(denyOutsideHome), iamx.Request{Principal: bob, Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice/a", ResourceAccount: acct}, iamx.ExplicitDeny, nil},
		{"NotResource whose variable has no value matches no resource, so the Deny covers all", page, withAll(denyOutsideHome), iamx.Request{Principal: session, Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice/a", ResourceAccount: acct}, iamx.ExplicitDeny, nil},
		{"Resource whose variable has no value matches nothing", page, ids(home), s3(session, "mybucket/alice/notes.txt"), iamx.ImplicitDeny, nil},
		{"own access keys", page, ids(keys), iamx.Request{Action: "iam:CreateAccessKey", Resource: "arn:aws:iam::111122223333:user/alice"}, iamx.Allow, nil},
		{"not another user's keys", page, ids(keys), iamx.Request{Action: "iam:CreateAccessKey", Resource: "arn:aws:iam::111122223333:user/bob"}, iamx.ImplicitDeny, nil},
		{"queue named after the user", page, ids(queues), iamx.Request{Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-2:111122223333:alice-queue"}, iamx.Allow, nil},
		{"queue named after another user", page, ids(queues), iamx.Request{Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-2:111122223333:bob-queue"}, iamx.ImplicitDeny, nil},
		{"${aws:PrincipalTag/department}", page, ids(department), s3(alice, "bucket/Human Resources", "aws:PrincipalTag/department", "Human Resources"), iamx.Allow, nil},
		{"default value: tagged team", page, ids(team), s3(alice, "DOC-EXAMPLE-BUCKET-yellow", "aws:PrincipalTag/team", "yellow"), iamx.Allow, nil},
		{"default value: untagged uses the default", page, ids(team), s3(alice, "DOC-EXAMPLE-BUCKET-company-wide"), iamx.Allow, nil},
		{"default value: untagged, a team bucket", page, ids(team), s3(alice, "DOC-EXAMPLE-BUCKET-yellow"), iamx.ImplicitDeny, nil},
		{"${*} ${?} ${$} are literal characters", page, ids(star), s3(alice, "b/*?$"), iamx.Allow, nil},
		{"${*} is not a wildcard", page, ids(star), s3(alice, "b/x?$"), iamx.ImplicitDeny, nil},
		{"a variable's value is never a wildcard", page, ids(department), s3(alice, "bucket/finance", "aws:PrincipalTag/department", "*"), iamx.ImplicitDeny, nil},
		{"no value: StringNotEquals matches, the Deny applies", page, withAll(teamDeny), s3(alice, "example-bucket/k", "s3:ExistingObjectTag/Team", "red"), iamx.ExplicitDeny, nil},
		{"value present and equal: no Deny", page, withAll(teamDeny), s3(alice, "example-bucket/k", "s3:ExistingObjectTag/Team", "red", "aws:PrincipalTag/Team", "red"), iamx.Allow, nil},
		{"no value: StringEquals does not match", page, ids(teamAllow), s3(alice, "example-bucket/k", "s3:ExistingObjectTag/Team", "red"), iamx.ImplicitDeny, nil},
		{"a multivalued key cannot be a variable", page, ids(teamAllow), s3(alice, "example-bucket/k", "s3:ExistingObjectTag/Team", "red", "aws:PrincipalTag/Team", "red", "aws:PrincipalTag/Team", "blue"), iamx.ImplicitDeny, nil},
		{"aws:EpochTime comes from Now", "AWS global condition context keys", ids(allowIf(t, `{"NumericLessThan":{"aws:EpochTime":"1800000000"}}`)), iamx.Request{Now: time.Unix(1799999999, 0)}, iamx.Allow, nil},
		{"aws:EpochTime comes from Now, later", "AWS global condition context keys", ids(allowIf(t, `{"NumericLessThan":{"aws:EpochTime":"1800000000"}}`)), iamx.Request{Now: time.Unix(1800000000, 0)}, iamx.ImplicitDeny, nil},
	})
}

func TestUserGuideEvaluationLogic(t *testing.T) {
	const page = "Policy evaluation logic"
	const xpage = "Cross-account policy evaluation logic"
	const boundaries = "Permissions boundaries for IAM entities"
	carlosSame := "arn:aws:iam::123456789012:user/carlossalazar"
	carlosIdentity := doc(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"AllowS3ListRead","Effect":"Allow","Action":["s3:GetBucketLocation","s3:GetAccountPublicAccessBlock","s3:ListAccessPoints","s3:ListAllMyBuckets"],"Resource":"arn:aws:s3:::*"},
		{"Sid":"AllowS3Self","Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::carlossalazar/*","arn:aws:s3:::carlossalazar"]},
		{"Sid":"DenyS3Logs","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::*log*"}]}`)
	carlosBucket := doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/carlossalazar"},"Action":"s3:*","Resource":["arn:aws:s3:::carlossalazar/*","arn:aws:s3:::carlossalazar"]}]}`)
	carlosX := "arn:aws:iam::111111111111:user/carlossalazar"
	carlosXIdentity := doc(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"AllowS3ListRead","Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"},
		{"Sid":"AllowS3ProductionObjectActions","Effect":"Allow","Action":"s3:*Object*","Resource":"arn:aws:s3:::Production/*"},
		{"Sid":"DenyS3Logs","Effect":"Deny","Action":"s3:*","Resource":["arn:aws:s3:::*log*","arn:aws:s3:::*log*/*"]}]}`)
	productionBucket := doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject*","s3:PutObject*","s3:ReplicateObject","s3:RestoreObject"],"Principal":{"AWS":"arn:aws:iam::111111111111:user/carlossalazar"},"Resource":"arn:aws:s3:::Production/*"}]}`)
	accountBucket := doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Principal":{"AWS":"111111111111"},"Resource":"arn:aws:s3:::Production/*"}]}`)
	put := func(principal, object, account string) iamx.Request {
		return iamx.Request{Principal: principal, Action: "s3:PutObject", Resource: "arn:aws:s3:::" + object, ResourceAccount: account}
	}
	grantTo := func(principal string) *iamx.Policy {
		return doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+principal+`"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}]}`)
	}
	onlyEC2 := doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`)
	getData := func(principal string) iamx.Request {
		return iamx.Request{Principal: principal, Action: "s3:GetObject", Resource: "arn:aws:s3:::data/k", ResourceAccount: acct}
	}
	role := "arn:aws:iam::111122223333:role/app/examplerole"
	roleSession := "arn:aws:sts::111122223333:assumed-role/examplerole/examplerolesessionname"
	fedUser := "arn:aws:sts::111122223333:federated-user/exampleuser"
	all := []*iamx.Policy{doc(t, allowAll)}
	fullAccess := doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	onlyS3 := doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	keyPolicyRoot := doc(t, `{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`)
	decrypt := iamx.Request{Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
	runGuide(t, []guideCase{
		{"Carlos, same account: the logs bucket is explicitly denied", page, iamx.Policies{Identity: []*iamx.Policy{carlosIdentity}, Resource: []*iamx.Policy{carlosBucket}}, put(carlosSame, "carlossalazar-logs/f", "123456789012"), iamx.ExplicitDeny, kind(iamx.IdentityPolicy)},
		{"Carlos, same account: his own bucket", page, iamx.Policies{Identity: []*iamx.Policy{carlosIdentity}, Resource: []*iamx.Policy{carlosBucket}}, put(carlosSame, "carlossalazar/f", "123456789012"), iamx.Allow, nil},
		{"same account: either identity or resource policy suffices (resource)", page, iamx.Policies{Resource: []*iamx.Policy{carlosBucket}}, put(carlosSame, "carlossalazar/f", "123456789012"), iamx.Allow, kind(iamx.ResourcePolicy)},
		{"same account: either identity or resource policy suffices (identity)", page, iamx.Policies{Identity: []*iamx.Policy{carlosIdentity}}, put(carlosSame, "carlossalazar/f", "123456789012"), iamx.Allow, kind(iamx.IdentityPolicy)},
		{"no policy allows: implicit deny", page, iamx.Policies{}, put(carlosSame, "carlossalazar/f", "123456789012"), iamx.ImplicitDeny, kind(iamx.IdentityPolicy)},
		{"Carlos, cross-account: the logs bucket is explicitly denied", xpage, iamx.Policies{Identity: []*iamx.Policy{carlosXIdentity}, Resource: []*iamx.Policy{productionBucket}}, put(carlosX, "Production-logs/f", "222222222222"), iamx.ExplicitDeny, kind(iamx.IdentityPolicy)},
		{"Carlos, cross-account: both accounts allow", xpage, iamx.Policies{Identity: []*iamx.Policy{carlosXIdentity}, Resource: []*iamx.Policy{productionBucket}}, put(carlosX, "Production/f", "222222222222"), iamx.Allow, nil},
		{"cross-account: the bucket policy alone is not enough", xpage, iamx.Policies{Resource: []*iamx.Policy{productionBucket}}, put(carlosX, "Production/f", "222222222222"), iamx.ImplicitDeny, kind(iamx.IdentityPolicy)},
		{"cross-account: the identity policy alone is not enough", xpage, iamx.Policies{Identity: []*iamx.Policy{carlosXIdentity}}, put(carlosX, "Production/f", "222222222222"), iamx.ImplicitDeny, kind(iamx.ResourcePolicy)},
		{"cross-account: bucket policy naming the account delegates to its identity policies", xpage, iamx.Policies{Identity: []*iamx.Policy{carlosXIdentity}, Resource: []*iamx.Policy{accountBucket}}, put(carlosX, "Production/f", "222222222222"), iamx.Allow, nil},
		{"same account: a resource policy naming only the account delegates", "IAM JSON policy elements: Principal", iamx.Policies{Resource: []*iamx.Policy{grantTo(acct)}}, getData(alice), iamx.ImplicitDeny, kind(iamx.IdentityPolicy)},
		{"IAM user ARN in a resource policy is not limited by the boundary", boundaries, iamx.Policies{Resource: []*iamx.Policy{grantTo(alice)}, PermissionsBoundary: onlyEC2}, getData(alice), iamx.Allow, kind(iamx.ResourcePolicy)},
		{"IAM role ARN in a resource policy is limited by the boundary", boundaries, iamx.Policies{Resource: []*iamx.Policy{grantTo(role)}, PermissionsBoundary: onlyEC2}, getData(roleSession), iamx.ImplicitDeny, kind(iamx.PermissionsBoundary)},
		{"IAM role ARN in a resource policy is limited by a session policy", page, iamx.Policies{Resource: []*iamx.Policy{grantTo(role)}, Session: []*iamx.Policy{onlyEC2}}, getData(roleSession), iamx.ImplicitDeny, kind(iamx.SessionPolicy)},
		{"IAM role ARN in a resource policy, no boundary: allowed without identity policy", page, iamx.Policies{Resource: []*iamx.Policy{grantTo(role)}}, getData(roleSession), iamx.Allow, kind(iamx.ResourcePolicy)},
		{"role session ARN in a resource policy is not limited", page, iamx.Policies{Resource: []*iamx.Policy{grantTo(roleSession)}, PermissionsBoundary: onlyEC2, Session: []*iamx.Policy{onlyEC2}}, getData(roleSession), iamx.Allow, kind(iamx.ResourcePolicy)},
		{"federated user session ARN in a resource policy is not limited", page, iamx.Policies{Resource: []*iamx.Policy{grantTo(fedUser)}, Session: []*iamx.Policy{onlyEC2}}, getData(fedUser), iamx.Allow, kind(iamx.ResourcePolicy)},
		{"identity allow outside the boundary: implicit deny", boundaries, iamx.Policies{Identity: all, PermissionsBoundary: onlyEC2}, getData(alice), iamx.ImplicitDeny, kind(iamx.PermissionsBoundary)},
		{"identity allow inside the boundary", boundaries, iamx.Policies{Identity: all, PermissionsBoundary: onlyS3}, getData(alice), iamx.Allow, nil},
		{"session policy present and not allowing", page, iamx.Policies{Identity: all, Session: []*iamx.Policy{onlyEC2}}, getData(roleSession), iamx.ImplicitDeny, kind(iamx.SessionPolicy)},
		{"role session without a session policy: allowed", page, iamx.Policies{Identity: all}, getData(roleSession), iamx.Allow, nil},
		{"federated user session without a session policy: denied", page, iamx.Policies{Identity: all}, getData(fedUser), iamx.ImplicitDeny, kind(iamx.SessionPolicy)},
		{"SCP does not allow: implicit deny", page, iamx.Policies{Identity: all, SCPs: [][]*iamx.Policy{{onlyEC2}}}, getData(alice), iamx.ImplicitDeny, kind(iamx.SCP)},
		{"SCP allows", page, iamx.Policies{Identity: all, SCPs: [][]*iamx.Policy{{fullAccess}, {onlyS3}}}, getData(alice), iamx.Allow, nil},
		{"SCPs: every level must allow", page, iamx.Policies{Identity: all, SCPs: [][]*iamx.Policy{{fullAccess}, {onlyEC2}}}, getData(alice), iamx.ImplicitDeny, kind(iamx.SCP)},
		{"SCP allows but grants nothing by itself", page, iamx.Policies{SCPs: [][]*iamx.Policy{{fullAccess}}}, getData(alice), iamx.ImplicitDeny, kind(iamx.IdentityPolicy)},
		{"SCP deny beats everything", page, iamx.Policies{Identity: all, Resource: []*iamx.Policy{grantTo(alice)}, SCPs: [][]*iamx.Policy{{fullAccess, denyIf(t, `{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}`)}}}, getData(alice), iamx.ExplicitDeny, kind(iamx.SCP)},
		{"RCP does not allow: implicit deny even with a direct grant", page, iamx.Policies{Resource: []*iamx.Policy{grantTo(alice)}, RCPs: [][]*iamx.Policy{{doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:*","Resource":"*"}]}`)}}}, getData(alice), iamx.ImplicitDeny, kind(iamx.RCP)},
		{"root user: full access in its account", page, iamx.Policies{}, getData("arn:aws:iam::111122223333:root"), iamx.Allow, nil},
		{"root user: SCPs still apply", page, iamx.Policies{SCPs: [][]*iamx.Policy{{onlyEC2}}}, getData("arn:aws:iam::111122223333:root"), iamx.ImplicitDeny, kind(iamx.SCP)},
		{"KMS: a key policy must allow even with an identity allow", page, iamx.Policies{Identity: all}, decrypt, iamx.ImplicitDeny, kind(iamx.ResourcePolicy)},
		{"KMS: key policy naming the account enables IAM policies", page, iamx.Policies{Identity: all, Resource: []*iamx.Policy{keyPolicyRoot}}, decrypt, iamx.Allow, nil},
		{"KMS: key policy naming the account, no identity allow", page, iamx.Policies{Resource: []*iamx.Policy{keyPolicyRoot}}, decrypt, iamx.ImplicitDeny, kind(iamx.IdentityPolicy)},
		{"anonymous caller: a public bucket policy allows", "IAM JSON policy elements: Principal", iamx.Policies{Resource: []*iamx.Policy{doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}]}`)}}, iamx.Request{Principal: "", Action: "s3:GetObject", Resource: "arn:aws:s3:::data/k", ResourceAccount: acct}, iamx.Allow, nil},
		{"NotPrincipal Deny always denies a principal with a boundary", boundaries, iamx.Policies{Identity: all, PermissionsBoundary: onlyS3, Resource: []*iamx.Policy{doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"`+alice+`"},"Action":"s3:*","Resource":"*"}]}`)}}, getData(alice), iamx.ExplicitDeny, nil},
	})
}

// The faults listed in kumo issue 12, each as the IAM User Guide
// documents it (the ARN, ?, ForAnyValue, Null, variable and EpochTime
// cases are in the tables above).
func TestIssue12Faults(t *testing.T) {
	t.Run("an unknown operator in a Deny fails closed", func(t *testing.T) {
		// IAM refuses such a policy; an evaluator that skips it allows.
		for _, op := range []string{"StringEqual", "stringequals", "BinaryEqualsX", "ForAnyValues:StringEquals", "NullIfExists", "ForAllValues:Null"} {
			deny := denyIf(t, `{"`+op+`":{"aws:username":"alice"}}`)
			res := iamx.Evaluate(iamx.Request{Principal: alice, Action: "s3:GetObject"}, iamx.Policies{Identity: []*iamx.Policy{doc(t, allowAll), deny}})
			assert.Equal(t, iamx.ExplicitDeny, res.Decision, "%s\n%s", op, res)
			require.NotEmpty(t, res.Matched)
			assert.True(t, res.Matched[len(res.Matched)-1].Assumed, op)
			assert.Contains(t, strings.Join(res.Notes, "\n"), "the Deny was counted", op)

			allow := allowIf(t, `{"`+op+`":{"aws:username":"alice"}}`)
			res = iamx.Evaluate(iamx.Request{Principal: alice, Action: "s3:GetObject"}, iamx.Policies{Identity: []*iamx.Policy{allow}})
			assert.Equal(t, iamx.ImplicitDeny, res.Decision, "%s\n%s", op, res)
			assert.Contains(t, strings.Join(res.Notes, "\n"), "the Allow was not counted", op)

			err := deny.Validate()
			require.ErrorIs(t, err, iamx.ErrInvalidPolicy, op)
			assert.Contains(t, err.Error(), "statement 1: ", op)
		}
	})
	t.Run("an action pattern without a service fails closed", func(t *testing.T) {
		// "s3*" is not service:Action; IAM refuses it, and read as a glob it
		// would allow every s3 action.
		p := doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3*","Resource":"*"}]}`)
		res := iamx.Evaluate(iamx.Request{Principal: alice, Action: "s3:GetObject"}, iamx.Policies{Identity: []*iamx.Policy{p}})
		assert.Equal(t, iamx.ImplicitDeny, res.Decision, res.String())
		assert.Contains(t, strings.Join(res.Notes, "\n"), `action "s3*" is not * or service:Action`)
		require.ErrorIs(t, p.Validate(), iamx.ErrInvalidPolicy)
		d := doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3*","Resource":"*"}]}`)
		res = iamx.Evaluate(iamx.Request{Principal: alice, Action: "ec2:RunInstances"}, iamx.Policies{Identity: []*iamx.Policy{doc(t, allowAll), d}})
		assert.Equal(t, iamx.ExplicitDeny, res.Decision, res.String())
	})
	t.Run("malformed values fail closed", func(t *testing.T) {
		for _, c := range []string{
			`{"NumericLessThan":{"s3:max-keys":"ten"}}`, `{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}`,
			`{"IpAddress":{"aws:SourceIp":"203.0.113.0/33"}}`, `{"Bool":{"aws:SecureTransport":"yes"}}`,
			`{"BinaryEquals":{"k":"not base64!"}}`, `{"ArnLike":{"aws:SourceArn":"arn:aws:sns"}}`,
			`{"Null":{"k":"maybe"}}`, `{"StringEquals":{"k":[]}}`, `{"StringEquals":{"k":"${aws:username"}}`,
			`{"StringEquals":{"k":"${aws:username, guest}"}}`, `{"NumericEquals":{"k":"${aws:EpochTime}"}}`,
		} {
			deny := denyIf(t, c)
			res := iamx.Evaluate(iamx.Request{Principal: alice, Action: "s3:GetObject", Now: time.Unix(1e9, 0),
				Context: ctx("s3:max-keys", "5", "aws:SourceIp", "203.0.113.1", "aws:SecureTransport", "true", "k", "x", "aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:t")},
				iamx.Policies{Identity: []*iamx.Policy{doc(t, allowAll), deny}})
			assert.Equal(t, iamx.ExplicitDeny, res.Decision, "%s\n%s", c, res)
			err := deny.Validate()
			require.ErrorIs(t, err, iamx.ErrInvalidPolicy, c)
			assert.Contains(t, err.Error(), "statement 1: condition ", c)
		}
	})
	t.Run("context keys that differ only in case: deterministic and closed", func(t *testing.T) {
		allow := allowIf(t, `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`)
		deny := denyIf(t, `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`)
		c := map[string][]string{"aws:SourceIp": {"203.0.113.7"}, "aws:sourceip": {"198.51.100.1"}}
		for range 50 {
			res := iamx.Evaluate(iamx.Request{Principal: alice, Action: "s3:GetObject", Context: c}, iamx.Policies{Identity: []*iamx.Policy{allow}})
			require.Equal(t, iamx.ImplicitDeny, res.Decision, res.String())
			res = iamx.Evaluate(iamx.Request{Principal: alice, Action: "s3:GetObject", Context: c}, iamx.Policies{Identity: []*iamx.Policy{doc(t, allowAll), deny}})
			require.Equal(t, iamx.ExplicitDeny, res.Decision, res.String())
			require.Contains(t, strings.Join(res.Notes, "\n"), "differ from aws:SourceIp only in case")
		}
	})
	t.Run("Validate accepts the documented forms", func(t *testing.T) {
		for _, c := range []string{
			`{"ForAllValues:StringLikeIfExists":{"aws:TagKeys":["env*"]}}`, `{"ArnEquals":{"aws:SourceArn":"arn:aws:iam::${aws:PrincipalAccount}:role/*"}}`,
			`{"StringEquals":{"k":["${aws:username, 'guest'}","${*}${?}${$}"]}}`, `{"DateGreaterThan":{"aws:EpochTime":"1700000000"}}`,
			`{"IpAddress":{"aws:SourceIp":["2001:DB8:1234:5678::/64","203.0.113.7"]}}`, `{"Null":{"k":["true","false"]}}`,
			`{"BinaryEquals":{"k":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, `{"NumericGreaterThanEquals":{"k":[10, "-1.5"]}}`, `{"Bool":{"k":true}}`,
		} {
			assert.NoError(t, allowIf(t, c).Validate(), c)
		}
	})
	t.Run("a condition operator, key or principal type written twice is refused", func(t *testing.T) {
		for _, js := range []string{
			`{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"a":"1"},"StringEquals":{"b":"2"}}}]}`,
			`{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"a":"1","a":"2"}}}]}`,
			`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333","AWS":"444455556666"},"Action":"*"}]}`,
		} {
			_, err := iamx.ParsePolicy([]byte(js))
			require.ErrorIs(t, err, iamx.ErrInvalidPolicy, js)
			assert.Contains(t, err.Error(), "appears twice")
		}
	})
}

func TestResultExplains(t *testing.T) {
	deny := doc(t, `{"Version":"2012-10-17","Id":"guard","Statement":[{"Sid":"NoLogs","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::*log*"}]}`)
	res := iamx.Evaluate(iamx.Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::logs/k", ResourceAccount: acct},
		iamx.Policies{Identity: []*iamx.Policy{doc(t, allowAll)}, SCPs: [][]*iamx.Policy{{doc(t, allowAll), deny}}})
	assert.Equal(t, iamx.ExplicitDeny, res.Decision)
	assert.Equal(t, iamx.SCP, res.DecidedBy)
	assert.Equal(t, "ExplicitDeny (SCP): SCP 2 (guard) at level 1 statement 1 (NoLogs): Deny denies s3:GetObject on arn:aws:s3:::logs/k\n"+
		"  matched identity-based policy 1 statement 1: Allow\n"+
		"  matched SCP 1 at level 1 statement 1: Allow\n"+
		"  matched SCP 2 (guard) at level 1 statement 1 (NoLogs): Deny", res.String())
	// Request fields cannot forge lines of the explanation.
	res = iamx.Evaluate(iamx.Request{Principal: alice, Action: "s3:GetObject\nAllow (forged)"}, iamx.Policies{})
	assert.NotContains(t, res.String(), "\nAllow (forged)")
	assert.Contains(t, res.String(), `"s3:GetObject\nAllow (forged)"`)
	for _, k := range []iamx.PolicyKind{-1, 6} {
		assert.Equal(t, fmt.Sprintf("PolicyKind(%d)", k), k.String())
	}
}

// A pattern like *aaa…b against a long value costs the product of the
// lengths with a backtracking matcher; Evaluate bounds the work and
// counts what it could not finish against the request.
func TestHostileWildcardsAreBounded(t *testing.T) {
	pattern := "*" + strings.Repeat("a", 50_000) + "b" // backtracks at every position of value
	value := strings.Repeat("a", 200_000)
	cond := `{"StringLike":{"k":"` + pattern + `"}}`
	req := iamx.Request{Principal: alice, Action: "s3:GetObject", Context: ctx("k", value)}

	res, alloc := evaluateAllocating(t, req, iamx.Policies{Identity: []*iamx.Policy{doc(t, allowAll), denyIf(t, cond)}})
	assert.Equal(t, iamx.ExplicitDeny, res.Decision, res.String())
	assert.Contains(t, strings.Join(res.Notes, "\n"), "too large to evaluate")
	t.Logf("allocated %d bytes", alloc)
	// A small multiple of the 250 kB input; the process-wide counter also
	// sees other goroutines (moto helpers), hence the margin.
	assert.Less(t, alloc, uint64(64<<20), "allocation stays a small multiple of the input")

	res = iamx.Evaluate(req, iamx.Policies{Identity: []*iamx.Policy{allowIf(t, cond)}})
	assert.Equal(t, iamx.ImplicitDeny, res.Decision, res.String())

	// The same in Resource and Action patterns.
	longARN := "arn:aws:s3:::" + value
	res = iamx.Evaluate(iamx.Request{Principal: alice, Action: "s3:GetObject", Resource: longARN, ResourceAccount: acct},
		iamx.Policies{Identity: []*iamx.Policy{doc(t, allowAll), doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::`+pattern+`"}]}`)}})
	assert.Equal(t, iamx.ExplicitDeny, res.Decision)
	res = iamx.Evaluate(iamx.Request{Principal: alice, Action: "s3:" + value},
		iamx.Policies{Identity: []*iamx.Policy{doc(t, allowAll), doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:`+pattern+`","Resource":"*"}]}`)}})
	assert.Equal(t, iamx.ExplicitDeny, res.Decision)
}

// Many policy values against many context values: every comparison is
// charged to the same bound.
func TestHostileSetSizesAreBounded(t *testing.T) {
	var want []string
	for i := range 5000 {
		want = append(want, fmt.Sprintf(`"v%d"`, i))
	}
	have := make([]string, 100_000)
	for i := range have {
		have[i] = fmt.Sprintf("w%d", i)
	}
	cond := `{"ForAllValues:StringNotEquals":{"aws:TagKeys":[` + strings.Join(want, ",") + `]}}`
	req := iamx.Request{Principal: alice, Action: "s3:GetObject", Context: map[string][]string{"aws:TagKeys": have}}
	res := iamx.Evaluate(req, iamx.Policies{Identity: []*iamx.Policy{allowIf(t, cond)}})
	assert.Equal(t, iamx.ImplicitDeny, res.Decision, res.String())
	assert.Contains(t, strings.Join(res.Notes, "\n"), "too large to evaluate")
	res = iamx.Evaluate(req, iamx.Policies{Identity: []*iamx.Policy{doc(t, allowAll), denyIf(t, cond)}})
	assert.Equal(t, iamx.ExplicitDeny, res.Decision)
}
