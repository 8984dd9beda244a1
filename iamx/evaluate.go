package iamx

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Decision is the outcome of evaluating policies for a request.
type Decision int

const (
	// ImplicitDeny: nothing that had to allow the request did.
	ImplicitDeny Decision = iota
	// Allow: every policy kind that had to allow the request did, and no
	// statement denies it.
	Allow
	// ExplicitDeny: a statement denies it, whatever else allows it.
	ExplicitDeny
)

// String names the decision: Allow, ImplicitDeny or ExplicitDeny, and
// Decision(n) for any other value.
func (d Decision) String() string {
	switch d {
	case ImplicitDeny:
		return "ImplicitDeny"
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return "Decision(" + strconv.Itoa(int(d)) + ")"
}

// PolicyKind names the kind of a policy in [Policies].
type PolicyKind int

const (
	// IdentityPolicy: attached to the user (or its groups) or the role.
	IdentityPolicy PolicyKind = iota
	// ResourcePolicy: attached to the resource: a bucket, key or queue
	// policy, or a role's trust policy.
	ResourcePolicy
	// PermissionsBoundary: the boundary set on the user or role.
	PermissionsBoundary
	// SessionPolicy: passed when the session was created.
	SessionPolicy
	// SCP: an AWS Organizations service control policy.
	SCP
	// RCP: an AWS Organizations resource control policy.
	RCP
)

// String names the kind as the IAM User Guide does.
func (k PolicyKind) String() string {
	switch k {
	case IdentityPolicy:
		return "identity-based policy"
	case ResourcePolicy:
		return "resource-based policy"
	case PermissionsBoundary:
		return "permissions boundary"
	case SessionPolicy:
		return "session policy"
	case SCP:
		return "SCP"
	case RCP:
		return "RCP"
	}
	return "PolicyKind(" + strconv.Itoa(int(k)) + ")"
}

// Request is one API request as policies see it.
type Request struct {
	// Action is service:Action, such as sts:AssumeRole.
	Action string
	// Resource is the ARN acted on: for sts:AssumeRole the role's ARN.
	// Leave it empty for actions on no particular resource (such as
	// s3:ListAllMyBuckets), which stay in the caller's account; statements
	// whose Resource is not "*" cannot be evaluated against an empty
	// Resource (an Allow does not apply, a Deny does).
	Resource string
	// ResourceAccount is the 12-digit account that owns Resource. The
	// default is the account in Resource's ARN; S3 bucket ARNs have none,
	// so set it for them. When Evaluate cannot tell whether the principal
	// and the resource share an account it applies the cross-account rule,
	// which needs both sides to allow, and says so.
	ResourceAccount string
	// Principal is the caller's ARN: an IAM user
	// (arn:aws:iam::111122223333:user/alice), a role session
	// (arn:aws:sts::111122223333:assumed-role/ops/alice), a federated user
	// session (arn:aws:sts::111122223333:federated-user/bob), the account's
	// root user (arn:aws:iam::111122223333:root); or, for callers that are
	// not IAM principals, a service principal (ec2.amazonaws.com), an
	// identity provider ARN (for AssumeRoleWithSAML and
	// AssumeRoleWithWebIdentity), or "" for an anonymous caller.
	Principal string
	// Context holds the request's condition keys and their values, such
	// as {"aws:SourceIp": {"203.0.113.7"}}. Key names match
	// case-insensitively; two keys that differ only in case make every
	// condition and variable on that key unevaluable (AWS documents such
	// contexts as failing unpredictably). A key with an empty list, or
	// with the single value "", is a null data set.
	Context map[string][]string
	// Now is the time of the request. It sets aws:CurrentTime and
	// aws:EpochTime when Context has neither; the zero Time sets neither,
	// so a date condition on them sees a missing key (Evaluate reads no
	// clock of its own: its answer depends on its arguments alone).
	Now time.Time
}

// Policies are the policies that apply to a request, by kind. Fill it
// from what you have: the output of aws iam get-account-authorization-details
// for identity policies and boundaries, a bucket or key policy, a role's
// AssumeRolePolicyDocument, the organization's SCPs and RCPs.
type Policies struct {
	// Identity are the principal's identity-based policies: for a user its
	// inline and managed policies and its groups'; for a role session the
	// role's.
	Identity []*Policy
	// Resource are the resource-based policies of the resource. For
	// sts:AssumeRole* actions these are the role's trust policy and for
	// kms: actions the key policy: those must allow the principal
	// themselves, as AWS requires.
	Resource []*Policy
	// PermissionsBoundary is the user's or role's boundary; nil for none.
	PermissionsBoundary *Policy
	// Session are the session policies passed when the session was
	// created; empty for none.
	Session []*Policy
	// SCPs are the service control policies that apply to the principal's
	// account, one entry per level of the organization (root, each OU,
	// the account): every level must allow. Empty when the account is not
	// in an organization or is its management account. A level with no
	// policies allows nothing.
	SCPs [][]*Policy
	// RCPs are the resource control policies that apply to the resource's
	// account, by level, as SCPs.
	RCPs [][]*Policy
}

// MatchedStatement is a statement that applied to the request.
type MatchedStatement struct {
	Kind      PolicyKind
	Level     int // the organization level for SCPs and RCPs (0 = first)
	Policy    int // index of the policy within its kind (or level)
	Statement int // index of the statement within the policy
	Sid       string
	PolicyID  string // the policy's Id, if it has one
	Effect    string // Allow or Deny, as evaluated
	// Assumed is set when the statement applied only because part of it
	// could not be evaluated: Evaluate counts such a Deny as applying.
	Assumed bool
}

// String says where the statement is: "SCP 1 (Id) at level 2 statement 3
// (Sid): Deny".
func (m MatchedStatement) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d", m.Kind, m.Policy+1)
	if m.PolicyID != "" {
		fmt.Fprintf(&b, " (%s)", printable(m.PolicyID))
	}
	if m.Kind == SCP || m.Kind == RCP {
		fmt.Fprintf(&b, " at level %d", m.Level+1)
	}
	fmt.Fprintf(&b, " statement %d", m.Statement+1)
	if m.Sid != "" {
		fmt.Fprintf(&b, " (%s)", printable(m.Sid))
	}
	b.WriteString(": " + m.Effect)
	if m.Assumed {
		b.WriteString(" (assumed: part of it could not be evaluated)")
	}
	return b.String()
}

// NotApplied is an Allow statement for the request's action that did not
// apply, and why.
type NotApplied struct {
	MatchedStatement
	Because string // such as "its condition IpAddress aws:SourceIp does not hold"
}

// String says where the statement is and why it did not apply.
func (n NotApplied) String() string { return n.MatchedStatement.String() + ": " + n.Because }

// Result is a decision and its explanation.
type Result struct {
	Decision Decision
	// DecidedBy is the policy kind that decided: the kind of the first
	// explicit deny, the kind that had to allow and did not, or the kind
	// whose Allow was final.
	DecidedBy PolicyKind
	// Reason says why, in one sentence.
	Reason string
	// Matched lists every statement that applied, Allow and Deny, by kind
	// in the order of Policies' fields.
	Matched []MatchedStatement
	// NotApplied lists the Allow statements whose action matched but that
	// did not apply, with the first reason.
	NotApplied []NotApplied
	// Notes list what could not be evaluated and how it was treated: a
	// malformed value, an unknown operator, an ambiguous context key.
	Notes []string
}

// String is the decision and its explanation, one item per line.
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", r.Decision, r.DecidedBy, r.Reason)
	for _, m := range r.Matched {
		b.WriteString("\n  matched " + m.String())
	}
	for _, n := range r.NotApplied {
		b.WriteString("\n  not applied " + n.String())
	}
	for _, n := range r.Notes {
		b.WriteString("\n  note: " + n)
	}
	return b.String()
}

// grant is how a resource-based policy's Principal matched the caller.
type grant uint8

const (
	grantNone    grant = iota
	grantAccount       // the caller's account: delegated to its identity policies
	grantRole          // the role of the caller's session: limited by boundary and session policies
	grantAny           // "*": anyone (kumo limits it as a role grant)
	grantDirect        // the caller's own ARN, service or identity provider
)

// Evaluate decides a request with the logic of the IAM User Guide's
// "Policy evaluation logic" and "Cross-account policy evaluation logic":
//
//  1. an explicit Deny in any policy decides;
//  2. RCPs (every level must allow), then SCPs (every level must allow)
//     for IAM principals;
//  3. role trust policies (sts:AssumeRole*) and KMS key policies (kms:)
//     must allow the principal;
//  4. same account: a resource-based Allow naming the caller (user, role
//     session or federated user ARN) allows on its own; one naming the
//     session's role (or "*") still needs the permissions boundary and
//     session policies to allow; one naming the account delegates to the
//     identity-based policies;
//  5. otherwise an identity-based Allow, within the permissions boundary
//     and the session policies, allows; cross-account, the resource-based
//     policies must allow too;
//  6. callers that are not IAM principals (services, identity providers,
//     anonymous) are allowed only by resource-based policies naming them.
//
// Evaluate never fails: what it cannot evaluate (see [Policy.Validate])
// counts against the request: such a Deny applies, such an Allow does not,
// and Result.Notes say so. A nil *Policy in a list (a ParsePolicy error
// ignored) counts as a Deny. Work is bounded: every wildcard step (a
// pattern against a value can cost the product of their lengths), every
// byte of a value a pattern is matched against, and every condition
// comparison is charged to 2^26 units per call, a
// fraction of a second; past that, comparisons count as unevaluable.
// Policy variables are substituted within the same bound, and a value is
// at most 65,536 characters once substituted, so memory is a small
// multiple of the policies and the context.
func Evaluate(r Request, in Policies) Result {
	e := &evaluator{r: r, c: newContext(r), hasBoundary: in.PermissionsBoundary != nil}
	e.caller, e.isARN = parseARN(r.Principal)
	e.run(IdentityPolicy, 0, in.Identity)
	e.run(ResourcePolicy, 0, in.Resource)
	if in.PermissionsBoundary != nil {
		e.run(PermissionsBoundary, 0, []*Policy{in.PermissionsBoundary})
	}
	e.run(SessionPolicy, 0, in.Session)
	scpAllow := make([]bool, len(in.SCPs))
	for i, level := range in.SCPs {
		scpAllow[i] = e.run(SCP, i, level)
	}
	rcpAllow := make([]bool, len(in.RCPs))
	for i, level := range in.RCPs {
		rcpAllow[i] = e.run(RCP, i, level)
	}
	res := Result{Matched: e.matched, NotApplied: e.notApplied, Notes: e.notes}
	decide := func(d Decision, k PolicyKind, format string, args ...any) Result {
		res.Decision, res.DecidedBy, res.Reason = d, k, fmt.Sprintf(format, args...)
		return res
	}
	what := printable(orDash(r.Action))
	if r.Resource != "" {
		what += " on " + printable(r.Resource)
	}

	// 1. Explicit deny.
	for _, m := range e.matched {
		if m.Effect == "Deny" {
			return decide(ExplicitDeny, m.Kind, "%s denies %s", m, what)
		}
	}
	// 2. RCPs apply to the resource, whoever asks.
	for i, ok := range rcpAllow {
		if !ok {
			return decide(ImplicitDeny, RCP, "no RCP at level %d allows %s", i+1, what)
		}
	}
	kind := e.principalKind()
	if kind == principalOther {
		if e.grant[ResourcePolicy] == grantDirect || e.grant[ResourcePolicy] == grantAny {
			return decide(Allow, ResourcePolicy, "a resource-based policy allows %s to %s; callers that are not IAM principals need nothing else", describeCaller(r.Principal), what)
		}
		return decide(ImplicitDeny, ResourcePolicy, "%s is not an IAM principal, so only a resource-based policy naming it can allow %s, and none applies", describeCaller(r.Principal), what)
	}
	for i, ok := range scpAllow {
		if !ok {
			return decide(ImplicitDeny, SCP, "no SCP at level %d allows %s", i+1, what)
		}
	}
	rbp := e.grant[ResourcePolicy]
	if requiresResourcePolicy(r.Action) && rbp == grantNone {
		return decide(ImplicitDeny, ResourcePolicy, "%s needs the resource's own policy (a role's trust policy or a KMS key policy) to allow the principal, and none applies", what)
	}
	same, known := e.sameAccount()
	if !known {
		e.note(fmt.Sprintf("could not tell whether %s and the resource are in one account (set Request.ResourceAccount); applied the cross-account rule, which needs both sides to allow", describeCaller(r.Principal)))
		res.Notes = e.notes
	}
	limits := func(allowBy PolicyKind, reason string) Result {
		if e.hasBoundary && !e.allowed[PermissionsBoundary] {
			return decide(ImplicitDeny, PermissionsBoundary, "the permissions boundary does not allow %s", what)
		}
		if e.ran[SessionPolicy] && !e.allowed[SessionPolicy] {
			return decide(ImplicitDeny, SessionPolicy, "no session policy allows %s", what)
		}
		if !e.ran[SessionPolicy] && kind == principalFederatedUser {
			return decide(ImplicitDeny, SessionPolicy, "a federated user session without a session policy is allowed nothing")
		}
		return decide(Allow, allowBy, "%s", reason)
	}
	if same {
		switch rbp {
		case grantDirect:
			return decide(Allow, ResourcePolicy, "a resource-based policy in the same account names %s directly, so implicit denies elsewhere do not limit it", describeCaller(r.Principal))
		case grantRole, grantAny:
			return limits(ResourcePolicy, "a resource-based policy in the same account allows "+what+", within the permissions boundary and session policies")
		}
		if kind == principalRoot {
			return decide(Allow, IdentityPolicy, "the account's root user may do anything in its own account that no policy denies")
		}
		if !e.allowed[IdentityPolicy] {
			why := "no identity-based policy allows " + what
			if rbp == grantAccount {
				why += "; the resource-based policy names only the account, which delegates to identity-based policies"
			}
			return decide(ImplicitDeny, IdentityPolicy, "%s", why)
		}
		return limits(IdentityPolicy, "an identity-based policy allows "+what)
	}
	// Cross-account: the principal's account and the resource's account
	// must both allow.
	if kind != principalRoot && !e.allowed[IdentityPolicy] {
		return decide(ImplicitDeny, IdentityPolicy, "cross-account, the principal's identity-based policies must allow %s, and none applies", what)
	}
	if rbp == grantNone {
		return decide(ImplicitDeny, ResourcePolicy, "cross-account, a resource-based policy must allow the principal (or its account) %s, and none applies", what)
	}
	if kind == principalRoot {
		return decide(Allow, ResourcePolicy, "the resource-based policy allows the other account, whose root user needs no identity-based policy")
	}
	return limits(ResourcePolicy, "cross-account, an identity-based policy and a resource-based policy both allow "+what)
}

// requiresResourcePolicy: role trust policies and KMS key policies must
// allow the principal themselves.
func requiresResourcePolicy(action string) bool {
	a := strings.ToLower(action)
	return strings.HasPrefix(a, "sts:assumerole") || strings.HasPrefix(a, "kms:")
}

type principalKind uint8

const (
	principalOther         principalKind = iota // service, identity provider, anonymous
	principalUser                               // IAM user
	principalRoleSession                        // assumed-role session
	principalFederatedUser                      // GetFederationToken session
	principalRoot                               // the account's root user
)

func (e *evaluator) principalKind() principalKind {
	if !e.isARN || e.caller.account == "" {
		return principalOther
	}
	switch res := e.caller.resource; {
	case e.caller.service == "iam" && res == "root":
		return principalRoot
	case e.caller.service == "iam" && strings.HasPrefix(res, "user/"):
		return principalUser
	case e.caller.service == "sts" && strings.HasPrefix(res, "assumed-role/"):
		return principalRoleSession
	case e.caller.service == "sts" && strings.HasPrefix(res, "federated-user/"):
		return principalFederatedUser
	}
	return principalOther
}

// sameAccount reports whether the caller and the resource share an
// account, and whether that is known at all.
func (e *evaluator) sameAccount() (same, known bool) {
	acct := e.r.ResourceAccount
	if acct == "" && (e.r.Resource == "" || e.r.Resource == "*") {
		// An action on no particular resource stays in the caller's account.
		acct = e.caller.account
	}
	if acct == "" {
		if a, ok := parseARN(e.r.Resource); ok {
			acct = a.account
		}
	}
	if acct == "" || e.caller.account == "" {
		return false, false
	}
	return acct == e.caller.account, true
}

func describeCaller(p string) string {
	if p == "" {
		return "an anonymous caller"
	}
	return printable(p)
}

// printable quotes a string from the request or a policy when it holds
// anything but printable characters, so that it cannot forge lines of
// an explanation.
func printable(s string) string {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

type evaluator struct {
	r           Request
	c           *reqContext
	caller      arn
	isARN       bool
	hasBoundary bool

	matched    []MatchedStatement
	notApplied []NotApplied
	notes      []string
	allowed    [RCP + 1]bool
	ran        [RCP + 1]bool // a policy of this kind was given
	grant      [RCP + 1]grant
}

func (e *evaluator) note(n string) {
	if !slices.Contains(e.notes, n) {
		e.notes = append(e.notes, n)
	}
}

// run evaluates every statement of the policies of one kind (one level
// for SCPs and RCPs) and reports whether any Allow applied.
func (e *evaluator) run(kind PolicyKind, level int, policies []*Policy) bool {
	allowed := false
	for pi, p := range policies {
		e.ran[kind] = true
		if p == nil {
			// Most likely a policy whose ParsePolicy error was ignored: it
			// may have been a Deny, so it counts as one.
			e.matched = append(e.matched, MatchedStatement{Kind: kind, Level: level, Policy: pi, Effect: "Deny", Assumed: true})
			e.note(fmt.Sprintf("%s %d is nil (a policy that did not parse?); it counts as a Deny", kind, pi+1))
			continue
		}
		vars := p.Version == "2012-10-17"
		for si := range p.Statements {
			s := &p.Statements[si]
			t, g, why, failed := e.statement(kind, s, vars)
			if t == no {
				if failed != "" && s.Effect == "Allow" {
					e.notApplied = append(e.notApplied, NotApplied{MatchedStatement: MatchedStatement{Kind: kind, Level: level, Policy: pi, Statement: si, Sid: s.Sid, PolicyID: p.ID, Effect: "Allow"}, Because: failed})
				}
				continue
			}
			deny := s.Effect != "Allow"
			if deny && s.Effect != "Deny" {
				why = append(why, fmt.Sprintf("Effect %s is neither Allow nor Deny, so it counts as Deny", quoteShort(s.Effect)))
			}
			if !deny && t == unknown {
				for _, w := range why {
					e.note(fmt.Sprintf("%s %d statement %d: %s; the Allow was not counted", kind, pi+1, si+1, w))
				}
				continue
			}
			m := MatchedStatement{Kind: kind, Level: level, Policy: pi, Statement: si, Sid: s.Sid, PolicyID: p.ID, Effect: "Allow", Assumed: t == unknown}
			if deny {
				m.Effect = "Deny"
				for _, w := range why {
					e.note(fmt.Sprintf("%s %d statement %d: %s; the Deny was counted", kind, pi+1, si+1, w))
				}
			} else {
				allowed = true
				e.allowed[kind] = true
				if g > e.grant[kind] {
					e.grant[kind] = g
				}
			}
			e.matched = append(e.matched, m)
		}
	}
	return allowed
}

// statement tests whether s applies to the request, and for
// resource-based policies how its Principal matched.
func (e *evaluator) statement(kind PolicyKind, s *Statement, vars bool) (t tri, g grant, why []string, failed string) {
	t = yes
	add := func(r tri, w string) {
		t = and(t, r)
		if r == unknown && w != "" {
			why = append(why, w)
		}
	}
	// Action.
	switch {
	case !s.Action.IsZero() && !s.NotAction.IsZero():
		add(unknown, "it has both Action and NotAction")
	case s.Action.Len() == 0 && !s.Action.IsZero(), s.NotAction.Len() == 0 && !s.NotAction.IsZero():
		// An empty NotAction would exclude nothing and so match every
		// action: IAM refuses an empty list, so it is unevaluable.
		add(unknown, "its Action or NotAction is an empty list")
	case !s.Action.IsZero():
		add(e.actions(s.Action.Strings()))
	case !s.NotAction.IsZero():
		r, w := e.actions(s.NotAction.Strings())
		add(r.not(), w)
	default:
		add(unknown, "it has neither Action nor NotAction")
	}
	if t == no {
		return no, grantNone, nil, ""
	}
	// Resource.
	switch {
	case !s.Resource.IsZero() && !s.NotResource.IsZero():
		add(unknown, "it has both Resource and NotResource")
	case s.Resource.Len() == 0 && !s.Resource.IsZero(), s.NotResource.Len() == 0 && !s.NotResource.IsZero():
		add(unknown, "its Resource or NotResource is an empty list")
	case !s.Resource.IsZero():
		add(e.resources(s.Resource.Strings(), vars))
	case !s.NotResource.IsZero():
		e.allowWithoutValue(s, s.NotResource.Strings(), vars, add)
		r, w := e.resources(s.NotResource.Strings(), vars)
		add(r.not(), w)
	case kind != ResourcePolicy:
		add(unknown, "it has neither Resource nor NotResource, which a "+kind.String()+" needs")
	}
	if t == no {
		return no, grantNone, nil, "its Resource does not match"
	}
	// Principal.
	switch {
	case s.Principal != nil && s.NotPrincipal != nil:
		add(unknown, "it has both Principal and NotPrincipal")
	case s.Principal != nil:
		var r tri
		var w string
		r, g, w = e.principal(s.Principal)
		add(r, w)
	case s.NotPrincipal != nil:
		all, anyListed, w := e.notPrincipal(s.NotPrincipal)
		// A Deny excepts the caller only when it lists every principal AWS
		// may check; an Allow leaves the caller out when it lists any.
		r := anyListed
		if s.Effect == "Deny" {
			r = all
		}
		if s.Effect == "Deny" && e.hasBoundary {
			// IAM User Guide, "Permissions boundaries for IAM entities": a
			// Deny with NotPrincipal always denies a principal that has a
			// permissions boundary: as if it were not listed.
			r = no
		}
		add(r.not(), w)
		g = grantAny
	case kind == ResourcePolicy:
		add(unknown, "a resource-based policy statement needs a Principal or NotPrincipal")
	}
	if kind != ResourcePolicy && kind != RCP && (s.Principal != nil || s.NotPrincipal != nil) {
		add(unknown, "a "+kind.String()+" cannot have a Principal")
	}
	if t == no {
		return no, grantNone, nil, "its Principal does not name the caller"
	}
	// Condition: every operator, every key.
	for _, op := range slices.Sorted(maps.Keys(s.Condition)) {
		o, err := parseOperator(op)
		if err != nil {
			add(unknown, err.Error())
			continue
		}
		keys := s.Condition[op]
		for _, key := range slices.Sorted(maps.Keys(keys)) {
			r, w := condition(o, key, keys[key].Strings(), vars, e.c)
			if w != "" {
				w = fmt.Sprintf("condition %s %s: %s", op, key, w)
			}
			add(r, w)
			if t == no {
				return no, grantNone, nil, fmt.Sprintf("its condition %s %s does not hold", op, key)
			}
		}
	}
	return t, g, why, ""
}

// actions tests the request's action against Action patterns: IAM
// compares actions case-insensitively, with * and ? wildcards.
//
// Action names are ASCII, and so is the case folding: Unicode folding
// would make the Kelvin sign (U+212A) match k, so an action with a
// non-ASCII character is unevaluable.
func (e *evaluator) actions(patterns []string) (tri, string) {
	act := asciiLower(e.r.Action)
	valid := strings.Contains(act, ":") && isASCII(act)
	r := no
	for _, p := range patterns {
		if p == "*" {
			return yes, ""
		}
		if e.c.budget < 0 {
			// The bound is spent: no pattern can be matched any more.
			return unknown, tooLarge
		}
		if !valid || !strings.Contains(p, ":") || !isASCII(p) {
			r = or(r, unknown)
			continue
		}
		switch globMatch(compile(asciiLower(p), false, true, nil).toks, act, e.c) {
		case yes:
			return yes, ""
		case unknown:
			r = unknown
		}
	}
	if r == unknown {
		if !valid {
			return unknown, fmt.Sprintf("the request's Action %s is not service:Action", quoteShort(e.r.Action))
		}
		for _, p := range patterns {
			if p != "*" && (!strings.Contains(p, ":") || !isASCII(p)) {
				return unknown, fmt.Sprintf("action %s is not * or service:Action", quoteShort(p))
			}
		}
		return unknown, tooLarge
	}
	return no, ""
}

// resources tests the request's resource against Resource patterns:
// component by component, case-sensitive, with variables (2012-10-17) in
// the resource part. A pattern whose variable has no value matches
// nothing.
func (e *evaluator) resources(patterns []string, vars bool) (tri, string) {
	r := no
	why := ""
	for _, p := range patterns {
		if p == "*" {
			return yes, ""
		}
		if e.c.budget < 0 {
			return unknown, tooLarge
		}
		t, w := e.resource(p, vars)
		if t == unknown && why == "" {
			why = w
		}
		if r = or(r, t); r == yes {
			return yes, ""
		}
	}
	return r, why
}

func (e *evaluator) resource(p string, vars bool) (tri, string) {
	if vars && variableBeforeResourcePart(p) {
		return unknown, fmt.Sprintf("resource %s has a policy variable before the resource part of the ARN, which IAM does not allow", quoteShort(p))
	}
	pat := compile(p, vars, true, e.c)
	if pat.state != yes {
		return pat.state, pat.why
	}
	if _, ok := parseARN(e.r.Resource); !ok {
		return unknown, fmt.Sprintf("the request's Resource %s is not an ARN", quoteShort(e.r.Resource))
	}
	if _, ok := arnParts(pat.toks); !ok {
		return unknown, fmt.Sprintf("resource %s is not * or an ARN", quoteShort(p))
	}
	r := arnMatch(pat, e.r.Resource, e.c)
	if r == unknown {
		return unknown, tooLarge
	}
	return r, ""
}

// variableBeforeResourcePart reports whether a ${ appears before the
// fifth colon (colons inside ${...} do not count).
func variableBeforeResourcePart(s string) bool {
	colons := 0
	for i := 0; i < len(s) && colons < 5; i++ {
		switch {
		case strings.HasPrefix(s[i:], "${"):
			return true
		case s[i] == ':':
			colons++
		}
	}
	return false
}

// principal tests the caller against a Principal element, and says how
// the strongest matching entry names it.
func (e *evaluator) principal(p *Principal) (tri, grant, string) {
	if p.Wildcard {
		return yes, grantAny, ""
	}
	best, r, why := grantNone, no, ""
	for _, kind := range slices.Sorted(maps.Keys(p.Values)) {
		for _, v := range p.Values[kind].Strings() {
			g, t, w := e.principalValue(kind, v)
			if t == unknown && why == "" {
				why = w
			}
			r = or(r, t)
			if t == yes && g > best {
				best = g
			}
		}
	}
	if best != grantNone {
		return yes, best, ""
	}
	return r, grantNone, why
}

// notPrincipal tests the caller against a NotPrincipal element: whether
// it lists every principal AWS may check for the caller (all) and whether
// it lists any of them. IAM User Guide, "AWS JSON policy elements:
// NotPrincipal": AWS may check the account first, then the user, or the
// account, the role and the assumed-role session, which only its own ARN
// names; so a user is listed by its ARN and its account, a role session by
// its ARN, its role's and its account. Other callers are listed by their
// own name.
func (e *evaluator) notPrincipal(p *Principal) (all, anyListed tri, why string) {
	need := []grant{grantDirect}
	switch e.principalKind() {
	case principalUser, principalFederatedUser:
		need = []grant{grantDirect, grantAccount}
	case principalRoleSession:
		need = []grant{grantDirect, grantRole, grantAccount}
	case principalRoot:
		need = []grant{grantAccount}
	}
	if p.Wildcard {
		return yes, yes, ""
	}
	found := map[grant]bool{}
	unsure := false
	for _, kind := range slices.Sorted(maps.Keys(p.Values)) {
		for _, v := range p.Values[kind].Strings() {
			g, t, w := e.principalValue(kind, v)
			switch {
			case t == unknown:
				unsure = true
				if why == "" {
					why = w
				}
			case t == yes && g == grantAny:
				return yes, yes, ""
			case t == yes:
				found[g] = true
			}
		}
	}
	all, anyListed = yes, no
	for _, g := range need {
		if !found[g] {
			all = no
		} else {
			anyListed = yes
		}
	}
	if unsure {
		all, anyListed = or(all, unknown), or(anyListed, unknown)
	}
	return all, anyListed, why
}

func (e *evaluator) principalValue(kind, v string) (grant, tri, string) {
	caller := e.r.Principal
	switch kind {
	case "AWS":
	case "Service", "Federated", "CanonicalUser":
		if v == "*" {
			return grantAny, yes, ""
		}
		if strings.ContainsAny(v, "*?") {
			return grantNone, unknown, fmt.Sprintf("principal %s has a wildcard, which IAM does not allow in part of a principal", quoteShort(v))
		}
		if v == caller {
			return grantDirect, yes, ""
		}
		return grantNone, no, ""
	default:
		return grantNone, unknown, fmt.Sprintf("principal type %s is not AWS, Service, Federated or CanonicalUser", quoteShort(kind))
	}
	if v == "*" {
		return grantAny, yes, ""
	}
	if strings.ContainsAny(v, "*?") {
		return grantNone, unknown, fmt.Sprintf("principal %s has a wildcard, which IAM does not allow in part of a principal", quoteShort(v))
	}
	if accountID.MatchString(v) {
		return grantAccount, boolTri(e.isARN && e.caller.account == v), ""
	}
	a, ok := parseARN(v)
	if !ok {
		return grantNone, unknown, fmt.Sprintf("principal %s is neither an ARN nor a 12-digit account ID", quoteShort(v))
	}
	switch {
	case v == caller:
		if a.service == "iam" && a.resource == "root" {
			return grantAccount, yes, ""
		}
		return grantDirect, yes, ""
	case a.service == "iam" && a.resource == "root":
		return grantAccount, boolTri(e.isARN && e.caller.account == a.account && e.caller.partition == a.partition), ""
	case a.service == "iam" && strings.HasPrefix(a.resource, "role/") && e.principalKind() == principalRoleSession:
		// A role ARN names the role's sessions. Role names are unique in an
		// account, so the session ARN (which has no path) is matched by
		// account and name.
		session := strings.Split(e.caller.resource, "/") // assumed-role/name/session
		name := a.resource[strings.LastIndexByte(a.resource, '/')+1:]
		if len(session) >= 3 && e.caller.account == a.account && e.caller.partition == a.partition && session[1] == name {
			return grantRole, yes, ""
		}
	}
	return grantNone, no, ""
}

// allowWithoutValue makes an Allow statement unevaluable when one of its
// NotResource patterns has a policy variable with no value. IAM User
// Guide, "IAM policy elements: Variables and tags": such a pattern "will
// not match any resource" (in a Resource list the other patterns still
// match), but "if AWS can't resolve a variable this might cause the entire
// statement to be invalid". Read the first way, a NotResource with it
// would allow every resource; so an Allow does not apply (the reading
// that denies), and a Deny with it still denies every resource.
func (e *evaluator) allowWithoutValue(s *Statement, patterns []string, vars bool, add func(tri, string)) {
	if !vars || s.Effect != "Allow" {
		return
	}
	for _, p := range patterns {
		if strings.Contains(p, "${") && compile(p, true, true, e.c).state == no {
			add(unknown, fmt.Sprintf("resource %s has a policy variable with no value, which may make AWS treat the statement as invalid", quoteShort(p)))
			return
		}
	}
}

// asciiLower folds A-Z only, as IAM compares action names.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
