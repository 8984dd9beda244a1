package iamx

import (
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

var accountID = regexp.MustCompile(`^\d{12}$`)

// Validate reports the mistakes IAM would refuse, each naming the
// statement, what is wrong and what is allowed: a missing or misspelt
// Effect; Action with NotAction, Resource with NotResource, Principal with
// NotPrincipal; a statement with no action; an action that is not
// service:Action; a resource that is not * or an ARN, or with a policy
// variable before its resource part; a malformed policy variable; a
// partial wildcard or unknown type in a principal; account IDs that are
// not 12 digits; an unknown condition operator or set-operator prefix
// (names are case-sensitive); a condition with no values; and a value its
// operator cannot compare (a number, date, Bool, base64, IP address or
// CIDR range, ARN, or Null's true/false), or a policy variable where the
// operator takes none.
//
// [Evaluate] does not require a validated policy: what it cannot evaluate
// counts against the request.
func (p *Policy) Validate() error {
	var errs []error
	if p.Version != "" && p.Version != "2012-10-17" && p.Version != "2008-10-17" {
		errs = append(errs, fmt.Errorf("the Version %q is not one IAM knows; use 2012-10-17", p.Version))
	}
	if len(p.Statements) == 0 {
		errs = append(errs, errors.New("the policy has no statements"))
	}
	vars := p.Version == "2012-10-17"
	for i, s := range p.Statements {
		where := fmt.Sprintf("statement %d", i+1)
		if s.Sid != "" {
			where += fmt.Sprintf(" (%s)", s.Sid)
		}
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s: "+format, append([]any{where}, args...)...))
		}
		switch s.Effect {
		case "Allow", "Deny":
		case "":
			bad("no Effect; it must be Allow or Deny")
		default:
			bad("Effect %q must be Allow or Deny (case matters)", s.Effect)
		}
		if !s.Action.IsZero() && !s.NotAction.IsZero() {
			bad("has both Action and NotAction; use one")
		}
		if s.Action.IsZero() && s.NotAction.IsZero() {
			bad("has neither Action nor NotAction")
		}
		if !s.Resource.IsZero() && !s.NotResource.IsZero() {
			bad("has both Resource and NotResource; use one")
		}
		for _, r := range append(s.Resource.Strings(), s.NotResource.Strings()...) {
			if r != "*" && !validARN(r) {
				bad("resource %q is not * or an ARN (arn:partition:service:region:account:resource)", r)
			}
		}
		for _, pr := range []*Principal{s.Principal, s.NotPrincipal} {
			if pr == nil {
				continue
			}
			for _, kind := range slices.Sorted(maps.Keys(pr.Values)) {
				switch kind {
				case "AWS", "Service", "Federated", "CanonicalUser":
				default:
					bad("principal type %s is not AWS, Service, Federated or CanonicalUser", quoteShort(kind))
				}
				for _, v := range pr.Values[kind].Strings() {
					if v != "*" && strings.ContainsAny(v, "*?") {
						bad("principal %s: IAM allows * only as a whole principal, not in part of one; use a condition on aws:PrincipalArn with ArnLike", quoteShort(v))
					}
				}
			}
			for _, v := range pr.Values["AWS"].Strings() {
				if v == "*" {
					continue
				}
				if strings.HasPrefix(v, "arn:") {
					if !validARN(v) {
						bad("principal %q is not a valid ARN", v)
					} else if acct := strings.Split(v, ":")[4]; !accountID.MatchString(acct) {
						bad("principal %q has account ID %q; account IDs are 12 digits", v, acct)
					}
				} else if !accountID.MatchString(v) {
					bad("principal %q is neither an ARN nor a 12-digit account ID", v)
				}
			}
		}
		for _, a := range append(s.Action.Strings(), s.NotAction.Strings()...) {
			if svc, name, ok := strings.Cut(a, ":"); a != "*" && (!ok || svc == "" || name == "" || strings.Contains(a, "${") || !isASCII(a)) {
				bad("action %s is not * or service:Action (ASCII, wildcards allowed, variables not)", quoteShort(a))
			}
		}
		for _, f := range []struct {
			name string
			v    Values
		}{{"Action", s.Action}, {"NotAction", s.NotAction}, {"Resource", s.Resource}, {"NotResource", s.NotResource}} {
			if !f.v.IsZero() && f.v.Len() == 0 {
				bad("%s is an empty list; name at least one (or \"*\")", f.name)
			}
		}
		if s.Principal != nil && s.NotPrincipal != nil {
			bad("has both Principal and NotPrincipal; use one")
		}
		for _, r := range append(s.Resource.Strings(), s.NotResource.Strings()...) {
			if !vars {
				continue
			}
			if err := checkVariables(r); err != nil {
				bad("resource: %v", err)
			} else if variableBeforeResourcePart(r) {
				bad("resource %s has a policy variable before the resource part of the ARN; variables go after the fifth colon", quoteShort(r))
			}
		}
		for _, op := range slices.Sorted(maps.Keys(s.Condition)) {
			o, err := parseOperator(op)
			if err != nil {
				bad("%v", err)
				continue
			}
			keys := s.Condition[op]
			for _, key := range slices.Sorted(maps.Keys(keys)) {
				vals := keys[key].Strings()
				if key == "" {
					bad("condition %s has an empty key name", op)
				}
				if len(vals) == 0 {
					bad("condition %s %s lists no values", op, key)
				}
				for _, w := range vals {
					if err := checkConditionValue(o, w, vars); err != nil {
						bad("condition %s %s: %v", op, key, err)
					}
				}
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidPolicy, errors.Join(errs...))
	}
	return nil
}

func validARN(s string) bool {
	parts := strings.SplitN(s, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[1] != "" && parts[2] != "" && parts[5] != ""
}

// checkVariables checks the syntax of the ${...} policy variables in s.
func checkVariables(s string) error {
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "${")
		if j < 0 {
			return nil
		}
		i += j + 2
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return fmt.Errorf("%s has a ${ with no closing }", quoteShort(s))
		}
		inner := s[i : i+end]
		i += end + 1
		switch inner {
		case "*", "?", "$":
			continue
		}
		if _, _, _, err := splitVariable(inner); err != nil {
			return err
		}
	}
	return nil
}

// checkConditionValue checks one policy value of a condition operator.
func checkConditionValue(o operator, w string, vars bool) error {
	hasVar := vars && strings.Contains(w, "${")
	switch o.kind {
	case kString:
		if hasVar {
			return checkVariables(w)
		}
		return nil
	case kBool:
		if hasVar {
			return checkVariables(w)
		}
		if _, ok := parseBool(w); !ok {
			return fmt.Errorf("%s is not true or false", quoteShort(w))
		}
		return nil
	case kARN:
		if hasVar {
			if err := checkVariables(w); err != nil {
				return err
			}
		}
		if !validARNPattern(w) {
			return fmt.Errorf("%s is not an ARN (arn:partition:service:region:account:resource, each part may hold * and ?)", quoteShort(w))
		}
		return nil
	}
	if hasVar {
		return fmt.Errorf("%s holds a policy variable, which only String, Bool and Arn operators take", quoteShort(w))
	}
	switch o.kind {
	case kNumeric:
		if _, err := parseDecimal(w); err != nil {
			return fmt.Errorf("%s is not a number (digits with an optional leading - and decimal point)", quoteShort(w))
		}
	case kDate:
		if _, ok := parseDate(w); !ok {
			return fmt.Errorf("%s is not a date (ISO 8601, such as 2026-01-02 or 2026-01-02T15:04:05Z, or epoch seconds)", quoteShort(w))
		}
	case kBinary:
		if _, err := base64.StdEncoding.DecodeString(w); err != nil {
			return fmt.Errorf("%s is not base64", quoteShort(w))
		}
	case kIP:
		if _, err := parseCIDR(w); err != nil {
			return fmt.Errorf("%s is not an IP address or CIDR range (such as 203.0.113.0/24 or 2001:db8::/32)", quoteShort(w))
		}
	case kNull:
		if _, ok := parseBool(w); !ok {
			return fmt.Errorf("%s is not true or false", quoteShort(w))
		}
	}
	return nil
}

// validARNPattern: six colon-separated parts, colons inside ${...} not
// counted.
func validARNPattern(s string) bool {
	colons := 0
	for i := 0; i < len(s); i++ {
		if strings.HasPrefix(s[i:], "${") {
			if end := strings.IndexByte(s[i:], '}'); end > 0 {
				i += end
				continue
			}
		}
		if s[i] == ':' {
			colons++
		}
	}
	return colons >= 5 && strings.HasPrefix(s, "arn:")
}
