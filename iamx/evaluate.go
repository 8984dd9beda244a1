package iamx

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Decision is the outcome of evaluating policies for a request.
type Decision int

const (
	// ImplicitDeny: no statement allows the request.
	ImplicitDeny Decision = iota
	// Allow: a statement allows it and none denies it.
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

// Request is one API request as policies see it.
type Request struct {
	// Action is service:Action, such as sts:AssumeRole.
	Action string
	// Resource is the ARN acted on; empty matches any Resource (as for
	// trust policies, which have none).
	Resource string
	// Principal is the caller's ARN, checked against Principal elements.
	Principal string
	// Context holds condition keys and their values, such as
	// {"aws:SourceIp": {"203.0.113.7"}}. Keys match case-insensitively.
	Context map[string][]string
	// Now is the time for aws:CurrentTime when Context has none.
	Now time.Time
}

// Evaluate decides r against one set of policies with IAM's logic: an
// explicit Deny wins, then any Allow, else an implicit deny. Where AWS asks
// two sets (an identity policy and a role's trust policy for AssumeRole),
// evaluate each: both must allow.
func Evaluate(policies []*Policy, r Request) Decision {
	d := ImplicitDeny
	for _, p := range policies {
		if p == nil {
			continue
		}
		for i := range p.Statements {
			s := &p.Statements[i]
			if !s.applies(r) {
				continue
			}
			if s.Effect == "Deny" {
				return ExplicitDeny
			}
			if s.Effect == "Allow" {
				d = Allow
			}
		}
	}
	return d
}

func (s *Statement) applies(r Request) bool {
	switch {
	case !s.Action.IsZero() && !anyMatch(s.Action.Strings(), r.Action, true):
		return false
	case !s.NotAction.IsZero() && anyMatch(s.NotAction.Strings(), r.Action, true):
		return false
	case r.Resource != "" && !s.Resource.IsZero() && !anyMatch(s.Resource.Strings(), r.Resource, false):
		return false
	case r.Resource != "" && !s.NotResource.IsZero() && anyMatch(s.NotResource.Strings(), r.Resource, false):
		return false
	case s.Principal != nil && !principalMatches(s.Principal, r.Principal):
		return false
	case s.NotPrincipal != nil && principalMatches(s.NotPrincipal, r.Principal):
		return false
	}
	for op, keys := range s.Condition {
		for key, vals := range keys {
			if !conditionHolds(op, key, vals.Strings(), r) {
				return false
			}
		}
	}
	return true
}

func anyMatch(patterns []string, v string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			if glob(strings.ToLower(p), strings.ToLower(v)) {
				return true
			}
		} else if glob(p, v) {
			return true
		}
	}
	return false
}

func principalMatches(p *Principal, caller string) bool {
	if p.Wildcard {
		return true
	}
	for kind, vals := range p.Values {
		for _, v := range vals.Strings() {
			switch {
			case v == "*" || v == caller:
				return true
			case kind == "AWS" && accountID.MatchString(v):
				if strings.Split(caller+":::::", ":")[4] == v {
					return true
				}
			case kind == "AWS" && strings.HasSuffix(v, ":root"):
				if acct := strings.Split(v, ":"); len(acct) == 6 && strings.Split(caller+":::::", ":")[4] == acct[4] {
					return true
				}
			}
		}
	}
	return false
}

// conditionHolds evaluates one operator on one key.
func conditionHolds(op, key string, want []string, r Request) bool {
	set := ""
	if rest, ok := strings.CutPrefix(op, "ForAnyValue:"); ok {
		set, op = "any", rest
	} else if rest, ok := strings.CutPrefix(op, "ForAllValues:"); ok {
		set, op = "all", rest
	}
	ifExists := false
	if rest, ok := strings.CutSuffix(op, "IfExists"); ok {
		ifExists, op = true, rest
	}
	have, present := lookup(r, key)
	if op == "Null" {
		return len(want) > 0 && strings.EqualFold(want[0], "true") == !present
	}
	negated := strings.Contains(op, "Not")
	if !present {
		return ifExists || set == "all" || negated
	}
	match := func(h string) bool {
		for _, w := range want {
			if compare(strings.Replace(op, "Not", "", 1), w, h) {
				return true
			}
		}
		return false
	}
	switch set {
	case "any":
		for _, h := range have {
			if match(h) != negated {
				return true
			}
		}
		return false
	case "all":
		for _, h := range have {
			if match(h) == negated {
				return false
			}
		}
		return true
	}
	for _, h := range have {
		if match(h) {
			return !negated
		}
	}
	return negated
}

func lookup(r Request, key string) ([]string, bool) {
	for k, v := range r.Context {
		if strings.EqualFold(k, key) {
			return v, len(v) > 0
		}
	}
	if strings.EqualFold(key, "aws:CurrentTime") && !r.Now.IsZero() {
		return []string{r.Now.UTC().Format(time.RFC3339)}, true
	}
	return nil, false
}

// compare applies a positive operator: does context value h satisfy the
// policy value w?
func compare(op, w, h string) bool {
	switch op {
	case "StringEquals", "ArnEquals":
		return w == h
	case "StringEqualsIgnoreCase":
		return strings.EqualFold(w, h)
	case "StringLike", "ArnLike":
		return glob(w, h)
	case "Bool":
		return strings.EqualFold(w, h)
	case "IpAddress":
		pfx, err := parseCIDR(w)
		a, err2 := netip.ParseAddr(h)
		return err == nil && err2 == nil && pfx.Contains(a)
	}
	if rest, ok := strings.CutPrefix(op, "Numeric"); ok {
		a, err := strconv.ParseFloat(h, 64)
		b, err2 := strconv.ParseFloat(w, 64)
		return err == nil && err2 == nil && order(rest, a-b)
	}
	if rest, ok := strings.CutPrefix(op, "Date"); ok {
		a, ok1 := parseDate(h)
		b, ok2 := parseDate(w)
		return ok1 && ok2 && order(rest, float64(a.Sub(b)))
	}
	return false // an operator this evaluator does not know never matches
}

// order applies Equals, LessThan, LessThanEquals, GreaterThan or
// GreaterThanEquals to the sign of a difference.
func order(op string, diff float64) bool {
	switch op {
	case "Equals":
		return diff == 0
	case "LessThan":
		return diff < 0
	case "LessThanEquals":
		return diff <= 0
	case "GreaterThan":
		return diff > 0
	case "GreaterThanEquals":
		return diff >= 0
	}
	return false
}

func parseDate(s string) (time.Time, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// glob matches * (any run) and ? (one character).
func glob(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
