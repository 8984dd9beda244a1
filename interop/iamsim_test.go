package interop

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kumo-go/kumo/iamx"
)

// The differential test of iamx.Evaluate against @cloud-copilot/iam-simulate
// (node/iamsim.js): a fixed seed makes a few hundred random but valid
// requests with identity policies and, at random, a resource policy, a
// permissions boundary and SCPs, and both evaluators decide each one.

const (
	simSeed  = 20261130
	simCases = 600
	acctA    = "111122223333" // the resource's account
	acctB    = "444455556666" // a caller's account for cross-account cases
)

// simCase is one generated request: the simulator's input and kumo's.
type simCase struct {
	Sim      map[string]any
	Request  iamx.Request
	Policies iamx.Policies
	// why is set when the case is kept out of the comparison.
	why string
}

type simGen struct {
	r *rand.Rand
}

func (g *simGen) pick(xs ...string) string { return xs[g.r.Intn(len(xs))] }
func (g *simGen) chance(p float64) bool    { return g.r.Float64() < p }

// request context keys the generator uses: all global condition keys, so
// the simulator applies them to every action.
var simKeys = map[string]string{
	"aws:SourceIp":               "ip",
	"aws:username":               "string",
	"aws:PrincipalTag/team":      "string",
	"aws:MultiFactorAuthAge":     "numeric",
	"aws:CurrentTime":            "date",
	"aws:SecureTransport":        "bool",
	"aws:MultiFactorAuthPresent": "bool",
	"aws:PrincipalArn":           "arn",
	"aws:CalledVia":              "multi",
}

func (g *simGen) condition() map[string]any {
	cond := map[string]any{}
	n := 1 + g.r.Intn(2)
	for i := 0; i < n; i++ {
		keys := []string{"aws:SourceIp", "aws:username", "aws:PrincipalTag/team", "aws:MultiFactorAuthAge",
			"aws:CurrentTime", "aws:SecureTransport", "aws:PrincipalArn", "aws:CalledVia"}
		key := keys[g.r.Intn(len(keys))]
		var op string
		var vals []string
		switch simKeys[key] {
		case "ip":
			op = g.pick("IpAddress", "NotIpAddress")
			for j := 0; j <= g.r.Intn(2); j++ {
				vals = append(vals, g.pick("10.0.0.0/8", "192.0.2.0/24", "198.51.100.7", "198.51.100.7/32", "2001:db8::/32", "2001:db8::1/128", "10.1.2.3/8"))
				if g.chance(0.05) {
					vals = append(vals, g.pick("198.51.100.7", "2001:db8::1"))
				}
				if g.chance(0.03) {
					vals = append(vals, "0.0.0.0/0")
				}
			}
		case "string":
			op = g.pick("StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike")
			for j := 0; j <= g.r.Intn(2); j++ {
				v := g.pick("alice", "Alice", "bob", "ops", "dev", "a*", "?lice", "${aws:username}", "*", "d?v")
				vals = append(vals, v)
			}
		case "numeric":
			op = g.pick("NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals")
			vals = []string{g.pick("0", "300", "3600", "86400", "299.5", "-1")}
		case "date":
			op = g.pick("DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals")
			vals = []string{g.pick("2026-01-01T00:00:00Z", "2026-11-30T12:00:00Z", "2027-06-01T00:00:00Z", "2026-11-30", "2026-11-30T13:00:00+01:00")}
			if g.chance(0.1) {
				vals = []string{"1780272000"} // epoch seconds
			}
		case "bool":
			op = "Bool"
			vals = []string{g.pick("true", "false")}
		case "arn":
			op = g.pick("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike")
			vals = []string{g.pick("arn:aws:iam::111122223333:user/alice", "arn:aws:iam::*:user/alice", "arn:aws:iam::111122223333:role/*",
				"arn:aws:iam::444455556666:*", "arn:aws:iam::111122223333:user/${aws:username}")}
		case "multi":
			op = g.pick("ForAllValues:StringEquals", "ForAllValues:StringLike", "ForAnyValue:StringEquals", "ForAnyValue:StringLike",
				"ForAnyValue:StringNotEquals", "ForAllValues:StringNotEquals")
			for j := 0; j <= g.r.Intn(2); j++ {
				vals = append(vals, g.pick("athena.amazonaws.com", "cloudformation.amazonaws.com", "*.amazonaws.com", "dynamodb.amazonaws.com"))
			}
		}
		if g.chance(0.15) {
			op, vals = "Null", []string{g.pick("true", "false")}
		} else if g.chance(0.2) && !strings.HasPrefix(op, "For") {
			op += "IfExists"
		}
		m, _ := cond[op].(map[string]any)
		if m == nil {
			m = map[string]any{}
			cond[op] = m
		}
		if _, dup := m[key]; dup {
			continue
		}
		if len(vals) == 1 && g.chance(0.5) {
			m[key] = vals[0]
		} else {
			m[key] = vals
		}
	}
	return cond
}

func (g *simGen) actions() (string, any) {
	field := "Action"
	if g.chance(0.15) {
		return "NotAction", []string{g.pick("s3:Delete*", "s3:Put*", "sqs:*")}
	}
	if g.chance(0.5) {
		return field, g.pick("s3:GetObject", "s3:Get*", "s3:*Object", "s3:GetObjec?", "*", "s3:*", "S3:getobject")
	}
	return field, []string{g.pick("s3:GetObject", "s3:PutObject", "s3:List*"), g.pick("s3:Get*", "s3:DeleteObject", "sqs:SendMessage")}
}

func (g *simGen) resources() (string, any) {
	pat := func() string {
		return g.pick("*", "arn:aws:s3:::bkt/*", "arn:aws:s3:::bkt/home/${aws:username}/*", "arn:aws:s3:::b?t/*",
			"arn:aws:s3:::bkt/home/*/file.txt", "arn:aws:s3:::other/*", "arn:aws:s3:::bkt/home/alice/file.txt",
			"arn:aws:s3:::BKT/*", "arn:aws:s3:::bkt/home/${aws:PrincipalTag/team}/*")
	}
	if g.chance(0.15) {
		return "NotResource", pat()
	}
	if g.chance(0.5) {
		return "Resource", pat()
	}
	return "Resource", []string{pat(), pat()}
}

func (g *simGen) statement(effect string, principal any) map[string]any {
	st := map[string]any{"Effect": effect}
	if principal != nil {
		if effect == "Deny" && g.chance(0.2) {
			st["NotPrincipal"] = principal
		} else {
			st["Principal"] = principal
		}
	}
	k, v := g.actions()
	st[k] = v
	k, v = g.resources()
	st[k] = v
	if g.chance(0.6) {
		st["Condition"] = g.condition()
	}
	return st
}

func (g *simGen) policy(nAllow, nDeny int, principal func() any) map[string]any {
	var sts []any
	for i := 0; i < nAllow; i++ {
		var p any
		if principal != nil {
			p = principal()
		}
		sts = append(sts, g.statement("Allow", p))
	}
	for i := 0; i < nDeny; i++ {
		var p any
		if principal != nil {
			p = principal()
		}
		sts = append(sts, g.statement("Deny", p))
	}
	g.r.Shuffle(len(sts), func(i, j int) { sts[i], sts[j] = sts[j], sts[i] })
	return map[string]any{"Version": "2012-10-17", "Statement": sts}
}

var fullAccess = map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"}}}

func (g *simGen) gen(t *testing.T) simCase {
	callerAcct := acctA
	if g.chance(0.3) {
		callerAcct = acctB
	}
	role := g.chance(0.3)
	principal := "arn:aws:iam::" + callerAcct + ":user/alice"
	principalArn := principal
	if role {
		principal = "arn:aws:sts::" + callerAcct + ":assumed-role/ops/alice"
		principalArn = "arn:aws:iam::" + callerAcct + ":role/ops"
	}
	action := g.pick("s3:GetObject", "s3:GetObject", "s3:PutObject", "s3:DeleteObject")
	resource := g.pick("arn:aws:s3:::bkt/home/alice/file.txt", "arn:aws:s3:::bkt/home/bob/file.txt", "arn:aws:s3:::bkt/home/dev/file.txt")

	ctx := map[string][]string{}
	if g.chance(0.8) {
		ctx["aws:SourceIp"] = []string{g.pick("10.1.2.3", "192.0.2.9", "198.51.100.7", "2001:db8::1")}
	}
	if !role {
		// AWS puts aws:username in every request of an IAM user (and
		// Evaluate derives it from the ARN); the simulator does not.
		ctx["aws:username"] = []string{"alice"}
	}
	if g.chance(0.6) {
		ctx["aws:PrincipalTag/team"] = []string{g.pick("ops", "dev", "Alice")}
	}
	if g.chance(0.5) {
		ctx["aws:MultiFactorAuthAge"] = []string{g.pick("0", "299", "300", "7200")}
		ctx["aws:MultiFactorAuthPresent"] = []string{"true"}
	}
	ctx["aws:CurrentTime"] = []string{g.pick("2026-11-30T12:00:00Z", "2025-05-05T05:05:05Z", "2027-06-01T00:00:00Z")}
	if g.chance(0.8) {
		ctx["aws:SecureTransport"] = []string{g.pick("true", "false")}
	}
	ctx["aws:PrincipalArn"] = []string{principalArn}
	ctx["aws:PrincipalAccount"] = []string{callerAcct}
	if g.chance(0.5) {
		// One to three values: Evaluate reads an empty list as a null data
		// set (its Request.Context doc), the simulator as a present key.
		n := 1 + g.r.Intn(3)
		vs := []string{}
		for i := 0; i < n; i++ {
			vs = append(vs, g.pick("athena.amazonaws.com", "cloudformation.amazonaws.com", "dynamodb.amazonaws.com"))
		}
		ctx["aws:CalledVia"] = vs
	}

	// Every principal AWS may check for the caller: what a NotPrincipal in
	// a Deny must list to except it.
	chain := []string{principal, "arn:aws:iam::" + callerAcct + ":root"}
	if role {
		chain = append(chain, principalArn)
	}
	identity := g.policy(1+g.r.Intn(2), g.r.Intn(2), nil)
	var resourcePolicy map[string]any
	if callerAcct != acctA || g.chance(0.4) {
		resourcePolicy = g.policy(1+g.r.Intn(2), g.r.Intn(2), func() any {
			switch g.r.Intn(7) {
			case 6:
				return map[string]any{"AWS": chain}
			case 0:
				return "*"
			case 1:
				return map[string]any{"AWS": callerAcct}
			case 2:
				return map[string]any{"AWS": "arn:aws:iam::" + callerAcct + ":root"}
			case 3:
				return map[string]any{"AWS": principalArn}
			case 4:
				return map[string]any{"AWS": []string{"arn:aws:iam::" + g.pick(acctA, acctB) + ":user/bob", principalArn}}
			default:
				return map[string]any{"AWS": "arn:aws:iam::" + g.pick(acctA, acctB) + ":root"}
			}
		})
	}
	var boundary map[string]any
	if g.chance(0.25) {
		boundary = g.policy(1, g.r.Intn(2), nil)
	}
	var scp map[string]any
	if g.chance(0.25) {
		scp = g.policy(0, 1, nil)
	}

	sim := map[string]any{
		"request": map[string]any{
			"principal": principal, "action": action,
			"resource":         map[string]any{"resource": resource, "accountId": acctA},
			"contextVariables": ctxForSim(ctx),
		},
		"identityPolicies":        []any{map[string]any{"name": "id", "policy": identity}},
		"serviceControlPolicies":  []any{},
		"resourceControlPolicies": []any{},
	}
	parse := func(doc map[string]any) *iamx.Policy {
		b, err := json.Marshal(doc)
		require.NoError(t, err)
		p, err := iamx.ParsePolicy(b)
		require.NoError(t, err, "%s", b)
		return p
	}
	pols := iamx.Policies{Identity: []*iamx.Policy{parse(identity)}}
	if resourcePolicy != nil {
		sim["resourcePolicy"] = resourcePolicy
		pols.Resource = []*iamx.Policy{parse(resourcePolicy)}
	}
	if boundary != nil {
		sim["permissionBoundaryPolicies"] = []any{map[string]any{"name": "pb", "policy": boundary}}
		pols.PermissionsBoundary = parse(boundary)
	}
	if scp != nil {
		// One level (the account) with FullAWSAccess and a Deny.
		sim["serviceControlPolicies"] = []any{map[string]any{"orgIdentifier": "ou-root", "policies": []any{
			map[string]any{"name": "full", "policy": fullAccess}, map[string]any{"name": "deny", "policy": scp}}}}
		pols.SCPs = [][]*iamx.Policy{{parse(fullAccess), parse(scp)}}
	}
	now, _ := time.Parse(time.RFC3339, ctx["aws:CurrentTime"][0])
	return simCase{
		why: excluded(ctx, chain, callerAcct == acctA && boundary != nil && resourcePolicy != nil, identity, resourcePolicy, boundary, scp),
		Sim: sim,
		Request: iamx.Request{Action: action, Resource: resource, ResourceAccount: acctA,
			Principal: principal, Context: ctx, Now: now},
		Policies: pols,
	}
}

// excluded says why a case stays out of the comparison, or "" to compare
// it. Each reason is a documented case where the two evaluators differ on
// purpose or the simulator is wrong; every disagreement that is not one of
// these fails the test.
func excluded(ctx map[string][]string, chain []string, sameAccountBoundary bool, docs ...map[string]any) string {
	// A Deny whose NotPrincipal lists some but not all of the principals
	// AWS may check for the caller: the simulator excepts the caller,
	// Evaluate denies. IAM User Guide, "AWS JSON policy elements:
	// NotPrincipal": "you must also specify the account ARN of the
	// not-denied principal. Otherwise, the policy might deny access to the
	// entire account", and a session is named only by its own ARN. Evaluate
	// fails closed (iamx package doc, "Statements").
	if docs[1] != nil {
		for _, st := range docs[1]["Statement"].([]any) {
			st := st.(map[string]any)
			np, ok := st["NotPrincipal"].(map[string]any)
			if !ok || st["Effect"] != "Deny" {
				continue
			}
			b, _ := json.Marshal(np)
			for _, c := range chain {
				if !strings.Contains(string(b), `"`+c+`"`) {
					return "a Deny's NotPrincipal without the whole chain: Evaluate fails closed"
				}
			}
		}
	}
	// In the same account the simulator lets a resource-based Allow for
	// "Principal": "*" pass a permissions boundary that does not allow.
	// IAM User Guide, "Permissions boundaries for IAM entities", says so
	// only for grants to an IAM user ARN (a role ARN stays limited), and
	// Evaluate deliberately treats "*" like a role grant (iamx package doc,
	// "What Evaluate does not model"): it fails closed.
	if b, _ := json.Marshal(docs[1]); sameAccountBoundary && strings.Contains(string(b), `"Principal":"*"`) {
		return "same account, boundary and Principal \"*\": Evaluate fails closed"
	}
	var all strings.Builder
	for _, d := range docs {
		if d != nil {
			b, _ := json.Marshal(d)
			all.Write(b)
		}
	}
	text := all.String()
	// The simulator matches no address against 0.0.0.0/0 (IpAddress is false
	// and NotIpAddress true for every request). IAM User Guide, "IAM JSON
	// policy elements: Condition operators", IP address condition operators:
	// values are CIDR ranges (RFC 4632), and 0.0.0.0/0 holds every IPv4
	// address.
	if strings.Contains(text, "0.0.0.0/0") {
		return "simulator: 0.0.0.0/0 matches nothing"
	}
	// The simulator finds a source address "in" a bare address of the
	// other family (NotIpAddress "198.51.100.7" is false for 2001:db8::1,
	// NotIpAddress "2001:db8::1" false for 192.0.2.9). Same page: a bare
	// address is that one address (/32 or /128).
	if ip := ctx["aws:SourceIp"]; len(ip) == 1 {
		other := `"2001:db8::1"`
		if strings.Contains(ip[0], ":") {
			other = `"198.51.100.7"`
		}
		if strings.Contains(text, other) {
			return "simulator: a bare address of the other family contains the source address"
		}
	}
	// The simulator reads a date given as a number as epoch milliseconds.
	// IAM User Guide, "IAM JSON policy elements: Condition operators", date
	// condition operators: epoch (UNIX) time, which is in seconds, as
	// aws:EpochTime is.
	if strings.Contains(text, `"1780272000"`) {
		return "simulator: epoch dates read as milliseconds"
	}
	// A Deny statement with a policy variable that has no value: the
	// simulator drops the whole statement; Evaluate keeps it, the variable
	// matching nothing (so its NotResource covers every resource and a
	// negated operator holds). IAM User Guide, "IAM policy elements:
	// Variables and tags": "If AWS can't resolve a variable this might cause
	// the entire statement to be invalid", and under "Policy variables with
	// no value", a Resource or NotResource with it "will not match any
	// resource" and inverted operators "do match against a null value".
	// Evaluate fails closed where AWS leaves it open (iamx package doc,
	// "Failing closed"): such a Deny applies.
	for _, d := range docs {
		if d == nil {
			continue
		}
		for _, st := range d["Statement"].([]any) {
			st := st.(map[string]any)
			b, _ := json.Marshal(st)
			cond, _ := json.Marshal(st["Condition"])
			for _, v := range []string{"aws:username", "aws:PrincipalTag/team"} {
				if _, ok := ctx[v]; ok {
					continue
				}
				if st["Effect"] == "Deny" && strings.Contains(string(b), "${"+v+"}") {
					return "a Deny with a variable that has no value: Evaluate fails closed"
				}
				// The simulator also drops an Allow whose negated operator
				// compares with a variable that has no value; the same page,
				// "Policy variables with no value": "Inverted condition
				// operators like StringNotEquals or StringNotLike do match
				// against a null value".
				if strings.Contains(string(cond), "Not") && strings.Contains(string(cond), "${"+v+"}") {
					return "simulator: a negated operator against a variable with no value"
				}
			}
		}
	}
	return ""
}

// ctxForSim writes the context as the simulator takes it: a string for a
// single value, a list for the multivalued key.
func ctxForSim(ctx map[string][]string) map[string]any {
	out := map[string]any{}
	for k, vs := range ctx {
		if k == "aws:CalledVia" {
			out[k] = vs
		} else {
			out[k] = vs[0]
		}
	}
	return out
}

type simAnswer struct {
	Decision string   `json:"decision"`
	Error    string   `json:"error"`
	Ignored  []string `json:"ignored"`
}

func nodeIAMSim(t *testing.T, cases []simCase) []simAnswer {
	t.Helper()
	nodeBin := need(t, "node")
	if _, err := os.Stat(filepath.Join("node", "node_modules", "@cloud-copilot", "iam-simulate")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("run `npm ci` in interop/node first (.ci/run does)")
		}
		t.Skip("run `npm ci` in interop/node to install @cloud-copilot/iam-simulate")
	}
	sims := make([]any, len(cases))
	for i, c := range cases {
		sims[i] = c.Sim
	}
	in, err := json.Marshal(sims)
	require.NoError(t, err)
	cmd := exec.Command(nodeBin, filepath.Join("node", "iamsim.js"))
	cmd.Stdin = bytes.NewReader(in)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	require.NoError(t, cmd.Run(), "node: %s", stderr.String())
	var answers []simAnswer
	require.NoError(t, json.Unmarshal(out.Bytes(), &answers))
	require.Len(t, answers, len(cases))
	return answers
}

var simDecision = map[iamx.Decision]string{
	iamx.Allow: "Allowed", iamx.ImplicitDeny: "ImplicitlyDenied", iamx.ExplicitDeny: "ExplicitlyDenied",
}

func TestIAMSimulateAgrees(t *testing.T) {
	g := &simGen{r: rand.New(rand.NewSource(simSeed))}
	cases := make([]simCase, simCases)
	for i := range cases {
		cases[i] = g.gen(t)
	}
	answers := nodeIAMSim(t, cases)
	var compared, agreed, refused, excluded int
	byDecision, whys, differ := map[string]int{}, map[string]int{}, map[string]int{}
	for i, c := range cases {
		a := answers[i]
		if a.Error != "" {
			refused++
			t.Logf("case %d: simulator refused: %s", i, a.Error)
			continue
		}
		require.Empty(t, a.Ignored, "case %d: the simulator ignored context keys", i)
		res := iamx.Evaluate(c.Request, c.Policies)
		if c.why != "" {
			excluded++
			whys[c.why]++
			if simDecision[res.Decision] != a.Decision {
				differ[c.why]++
			}
			// Where Evaluate fails closed on purpose it must never be the
			// one that allows.
			if strings.Contains(c.why, "Evaluate fails closed") && res.Decision == iamx.Allow && a.Decision != "Allowed" {
				t.Errorf("case %d (%s): kumo allows, iam-simulate %s\n%s", i, c.why, a.Decision, res)
			}
			continue
		}
		compared++
		if got := simDecision[res.Decision]; got == a.Decision {
			agreed++
			byDecision[got]++
		} else {
			sim, _ := json.MarshalIndent(c.Sim, "", " ")
			t.Errorf("case %d: kumo %s, iam-simulate %s\n%s\n%s", i, got, a.Decision, sim, res)
		}
	}
	t.Logf("iamx.Evaluate vs iam-simulate: %d cases, %d compared, %d agreed %v, %d refused by the simulator, %d excluded %v (of which differ: %v)",
		len(cases), compared, agreed, byDecision, refused, excluded, whys, differ)
	require.Zero(t, refused, "every generated case should be valid input")
	require.Greater(t, byDecision["Allowed"], simCases/20, "too few Allow cases to be a test")
}
