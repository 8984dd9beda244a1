package iamx_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/iamx"
)

func ids(p *iamx.Policy) iamx.Policies { return iamx.Policies{Identity: []*iamx.Policy{p}} }

// withAll adds an Allow for everything, so only a Deny can refuse.
func withAll(t *testing.T, p *iamx.Policy) iamx.Policies {
	return iamx.Policies{Identity: []*iamx.Policy{doc(t, allowAll), p}}
}

// Findings of an outside attack on Evaluate written from its package doc
// alone: each case is a request that Evaluate allowed where AWS would not.
func TestOutsideAttackNoWrongAllow(t *testing.T) {
	const obj = "arn:aws:s3:::bkt/home/alice/x"
	keyPolicy := doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}]}`)
	runGuide(t, []guideCase{
		// IAM User Guide, "IAM JSON policy elements: Action": action names
		// are ASCII service prefixes and names compared case-insensitively;
		// Unicode case folding made the Kelvin sign K (U+212A) match k.
		{"an Action with the Kelvin sign is not kms:", "IAM JSON policy elements: Action",
			iamx.Policies{Identity: []*iamx.Policy{doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"\u212Ams:Decrypt","Resource":"*"}]}`)}, Resource: []*iamx.Policy{keyPolicy}},
			iamx.Request{Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:111122223333:key/1"}, iamx.ImplicitDeny, nil},
		{"a request action with the Kelvin sign is not kms:", "IAM JSON policy elements: Action",
			iamx.Policies{Identity: []*iamx.Policy{doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`)}, Resource: []*iamx.Policy{keyPolicy}},
			iamx.Request{Action: "\u212Ams:Decrypt", Resource: "arn:aws:kms:us-east-1:111122223333:key/1"}, iamx.ImplicitDeny, nil},
		// IAM User Guide, "Grammar of the IAM JSON policy language": an
		// action or resource list names at least one; an empty NotAction or
		// NotResource excluded nothing and so allowed everything.
		{"an Allow with an empty NotAction list does not apply", "Grammar of the IAM JSON policy language",
			ids(doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":[],"Resource":"*"}]}`)),
			iamx.Request{Resource: obj, ResourceAccount: acct}, iamx.ImplicitDeny, nil},
		{"an Allow with an empty NotResource list does not apply", "Grammar of the IAM JSON policy language",
			ids(doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","NotResource":[]}]}`)),
			iamx.Request{Resource: obj, ResourceAccount: acct}, iamx.ImplicitDeny, nil},
		{"a Deny with an empty Action list counts (fail closed)", "Grammar of the IAM JSON policy language",
			withAll(t, doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":[],"Resource":"*"}]}`)),
			iamx.Request{Resource: obj, ResourceAccount: acct}, iamx.ExplicitDeny, nil},
	})
}

func TestValidateRefusesWhatEvaluateCannotMatch(t *testing.T) {
	for _, js := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":[],"Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","NotResource":[]}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"\u212Ams:Decrypt","Resource":"*"}]}`,
	} {
		assert.ErrorIs(t, doc(t, js).Validate(), iamx.ErrInvalidPolicy, js)
	}
}

// A policy variable repeated in a value multiplies the context value's
// length: 10,000 variables of a 100,000-character user name made a
// 10^9-character pattern and exhausted memory. The substituted pattern is
// bounded; past the bound the value is unevaluable.
func TestHostileVariableSubstitutionIsBounded(t *testing.T) {
	long := strings.Repeat("a", 100_000)
	vars := strings.Repeat("${aws:username}", 10_000)
	cases := []struct {
		name string
		in   iamx.Policies
		req  iamx.Request
		want iamx.Decision
	}{
		{"in Resource", ids(doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::bkt/`+vars+`"}]}`)),
			iamx.Request{Resource: "arn:aws:s3:::bkt/x", ResourceAccount: acct, Context: ctx("aws:username", long)}, iamx.ImplicitDeny},
		{"in a Deny's condition", withAll(t, denyIf(t, `{"StringNotLike":{"aws:PrincipalTag/t":"`+vars+`"}}`)),
			iamx.Request{Resource: "arn:aws:s3:::bkt/x", ResourceAccount: acct, Context: ctx("aws:username", long, "aws:PrincipalTag/t", "b")}, iamx.ExplicitDeny},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			req.Principal, req.Action = alice, "s3:GetObject"
			res, alloc := evaluateAllocating(t, req, tc.in)
			require.Equal(t, tc.want, res.Decision, "%s", res)
			assert.Less(t, alloc, uint64(64<<20), "bytes allocated by one Evaluate")
		})
	}
}

// Disagreements with @cloud-copilot/iam-simulate (interop
// TestIAMSimulateAgrees) where Evaluate allowed and the simulator did not.
// IAM User Guide, "IAM policy elements: Variables and tags": a Resource or
// NotResource whose policy variable has no value "will not match any
// resource", and "if AWS can't resolve a variable this might cause the
// entire statement to be invalid". An Allow with such a NotResource now
// takes the reading that denies; a Deny with it still denies.
func TestUnresolvedVariableAllowsNothing(t *testing.T) {
	const page = "IAM policy elements: Variables and tags"
	session := "arn:aws:sts::111122223333:assumed-role/ops/alice"
	obj := iamx.Request{Principal: session, Resource: "arn:aws:s3:::bkt/home/dev/file.txt", ResourceAccount: acct}
	runGuide(t, []guideCase{
		{"an Allow whose NotResource has a variable with no value does not apply", page,
			ids(doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::bkt/home/${aws:username}/*"}]}`)),
			obj, iamx.ImplicitDeny, nil},
		{"in a Resource list the other patterns still match", page,
			ids(doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::b?t/*","arn:aws:s3:::bkt/home/${aws:PrincipalTag/team}/*"]}]}`)),
			obj, iamx.Allow, nil},
		{"a Deny whose NotResource has a variable with no value still denies", page,
			withAll(t, doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","NotResource":"arn:aws:s3:::bkt/home/${aws:username}/*"}]}`)),
			obj, iamx.ExplicitDeny, nil},
		{"an Allow whose variable has a value still applies", page,
			ids(doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::bkt/home/${aws:PrincipalTag/team}/*"]}]}`)),
			iamx.Request{Principal: session, Resource: "arn:aws:s3:::bkt/home/dev/file.txt", ResourceAccount: acct, Context: ctx("aws:PrincipalTag/team", "dev")}, iamx.Allow, nil},
	})
}

// IAM User Guide, "AWS JSON policy elements: NotPrincipal": with Deny,
// "you must also specify the account ARN of the not-denied principal.
// Otherwise, the policy might deny access to the entire account"; AWS may
// check the account, then the role, then the assumed-role session, and a
// session is excepted only by its own ARN ("Principals must always name a
// specific session"). Evaluate excepted the caller when any one of them
// was listed, so a Deny the page says may apply did not.
func TestNotPrincipalDenyNeedsTheWholeChain(t *testing.T) {
	const page = "AWS JSON policy elements: NotPrincipal"
	user := "arn:aws:iam::444455556666:user/Bob"
	session := "arn:aws:sts::444455556666:assumed-role/ro/app"
	const (
		userARN    = `"arn:aws:iam::444455556666:user/Bob"`
		root       = `"arn:aws:iam::444455556666:root"`
		roleARN    = `"arn:aws:iam::444455556666:role/ro"`
		sessionARN = `"arn:aws:sts::444455556666:assumed-role/ro/app"`
	)
	bucket := func(effect, listed string) iamx.Policies {
		return iamx.Policies{
			Identity: []*iamx.Policy{doc(t, allowAll)},
			Resource: []*iamx.Policy{doc(t, `{"Version":"2012-10-17","Statement":[
				{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:*","Resource":"*"},
				{"Effect":"`+effect+`","NotPrincipal":{"AWS":[`+listed+`]},"Action":"s3:*","Resource":"*"}]}`)},
		}
	}
	req := func(p string) iamx.Request {
		return iamx.Request{Principal: p, Resource: "arn:aws:s3:::b/k", ResourceAccount: acct}
	}
	runGuide(t, []guideCase{
		{"user and account listed: not denied", page, bucket("Deny", userARN+","+root), req(user), iamx.Allow, nil},
		{"user listed without the account: denied", page, bucket("Deny", userARN), req(user), iamx.ExplicitDeny, nil},
		{"account listed without the user: denied", page, bucket("Deny", root), req(user), iamx.ExplicitDeny, nil},
		{"account ID listed without the user: denied", page, bucket("Deny", `"444455556666"`), req(user), iamx.ExplicitDeny, nil},
		{"session, role and account listed: not denied", page, bucket("Deny", sessionARN+","+roleARN+","+root), req(session), iamx.Allow, nil},
		{"role and account without the session: denied", page, bucket("Deny", roleARN+","+root), req(session), iamx.ExplicitDeny, nil},
		{"session alone: denied", page, bucket("Deny", sessionARN), req(session), iamx.ExplicitDeny, nil},
		{"session and role without the account: denied", page, bucket("Deny", sessionARN+","+roleARN), req(session), iamx.ExplicitDeny, nil},
		{"an Allow with NotPrincipal naming the account leaves out its users", page,
			iamx.Policies{Identity: []*iamx.Policy{doc(t, allowAll)}, Resource: []*iamx.Policy{doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":`+root+`},"Action":"s3:*","Resource":"*"}]}`)}},
			req(user), iamx.ImplicitDeny, nil},
		{"an Allow with NotPrincipal naming someone else allows", page,
			iamx.Policies{Identity: []*iamx.Policy{doc(t, allowAll)}, Resource: []*iamx.Policy{doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"s3:*","Resource":"*"}]}`)}},
			req(user), iamx.Allow, nil},
	})
}

// Many short patterns against one huge request value: each match converted
// the whole value to characters before taking its first (charged) step, so
// a 1 MiB policy of 40,000 Resource or Action patterns against a 10 MiB
// ARN ran for more than ten minutes. Reading the value is charged now.
func TestHostileRequestValueAgainstManyPatternsIsBounded(t *testing.T) {
	var resources, actions []string
	for i := range 5000 {
		resources = append(resources, fmt.Sprintf(`"arn:aws:s3:::x%d*"`, i))
		actions = append(actions, fmt.Sprintf(`"s3:x%d*"`, i))
	}
	huge := strings.Repeat("é", 1<<20)
	cases := []struct {
		name string
		in   iamx.Policies
		req  iamx.Request
		want iamx.Decision
	}{
		{"Resource", ids(doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":[`+strings.Join(resources, ",")+`]}]}`)),
			iamx.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::bkt/" + huge}, iamx.ImplicitDeny},
		{"Action, in a Deny", withAll(t, doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":[`+strings.Join(actions, ",")+`],"Resource":"*"}]}`)),
			iamx.Request{Action: "s3:" + strings.Repeat("a", 2<<20), Resource: "arn:aws:s3:::bkt/k"}, iamx.ExplicitDeny},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			req.Principal, req.ResourceAccount = alice, acct
			res, alloc := evaluateAllocating(t, req, tc.in)
			require.Equal(t, tc.want, res.Decision, "%s", res)
			assert.Less(t, alloc, uint64(256<<20), "bytes allocated by one Evaluate")
		})
	}
}

// Substituted values just under the per-value bound, in many statements:
// 1,000 Resource patterns each growing to 60,000 characters allocated
// 2.4 GB over 2.7 s; and 200 policies of 44,000 Action patterns went on
// compiling every pattern after the bound was spent (7 s). Substitution is
// charged per token built, and a spent bound ends the matching at once.
func TestHostileManyPatternsAfterTheBound(t *testing.T) {
	var stmts []string
	for range 1000 {
		stmts = append(stmts, `{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::bkt/${aws:username}${aws:username}${aws:username}"}`)
	}
	subst := doc(t, `{"Version":"2012-10-17","Statement":[`+strings.Join(stmts, ",")+`]}`)
	var acts []string
	for i := 0; len(acts) < 44000; i++ {
		acts = append(acts, fmt.Sprintf(`"s3:x%d*"`, i))
	}
	many := doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[`+strings.Join(acts, ",")+`],"Resource":"*"}]}`)
	copies := make([]*iamx.Policy, 200)
	for i := range copies {
		copies[i] = many
	}
	cases := []struct {
		name string
		in   iamx.Policies
		req  iamx.Request
	}{
		{"substitution", ids(subst), iamx.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::bkt/x", Context: ctx("aws:username", strings.Repeat("a", 20000))}},
		{"patterns after the bound", iamx.Policies{Identity: copies}, iamx.Request{Action: "s3:" + strings.Repeat("a", 1000), Resource: "arn:aws:s3:::bkt/x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			req.Principal, req.ResourceAccount = alice, acct
			res, alloc := evaluateAllocating(t, req, tc.in)
			require.Equal(t, iamx.ImplicitDeny, res.Decision, "%s", res)
			assert.Less(t, alloc, uint64(512<<20), "bytes allocated by one Evaluate")
		})
	}
}

// The package doc's own example ignores ParsePolicy's error
// (user, _ := iamx.ParsePolicy(...)), so a policy that did not parse
// reaches Evaluate as nil. Evaluate skipped it: a refused Deny, session
// policy or SCP simply vanished and the request was allowed. What it
// cannot read counts against the request.
func TestNilPolicyCountsAgainstTheRequest(t *testing.T) {
	refused, err := iamx.ParsePolicy([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":"a","aws:username":"b"}}}]}`))
	require.ErrorIs(t, err, iamx.ErrInvalidPolicy)
	all := doc(t, allowAll)
	req := iamx.Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", ResourceAccount: acct}
	for name, in := range map[string]iamx.Policies{
		"identity": {Identity: []*iamx.Policy{all, refused}},
		"resource": {Identity: []*iamx.Policy{all}, Resource: []*iamx.Policy{refused}},
		"session":  {Identity: []*iamx.Policy{all}, Session: []*iamx.Policy{refused}},
		"SCP":      {Identity: []*iamx.Policy{all}, SCPs: [][]*iamx.Policy{{all, refused}}},
	} {
		res := iamx.Evaluate(req, in)
		assert.Equal(t, iamx.ExplicitDeny, res.Decision, "%s: %s", name, res)
		assert.Contains(t, strings.Join(res.Notes, "\n"), "nil", name)
	}
}

// evaluateAllocating runs one Evaluate and returns its result and the
// bytes allocated meanwhile (process-wide, so a bound needs a margin).
// The allocation bound is what these tests check, not time: a run that
// does not return within two minutes fails the test instead of hanging it.
func evaluateAllocating(t *testing.T, req iamx.Request, in iamx.Policies) (iamx.Result, uint64) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	done := make(chan iamx.Result, 1)
	go func() { done <- iamx.Evaluate(req, in) }()
	select {
	case res := <-done:
		runtime.ReadMemStats(&after)
		return res, after.TotalAlloc - before.TotalAlloc
	case <-time.After(2 * time.Minute):
		t.Fatal("Evaluate did not return")
		return iamx.Result{}, 0
	}
}
