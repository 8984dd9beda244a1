package iamx

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

var accountID = regexp.MustCompile(`^\d{12}$`)

// Validate reports the common mistakes, each with what is wrong and where:
// a missing or misspelt Effect, Action and NotAction (or Resource and
// NotResource) together, a statement with no action, a malformed ARN, an
// invalid CIDR in aws:SourceIp, and account IDs that are not 12 digits.
func (p *Policy) Validate() error {
	var errs []error
	if p.Version != "" && p.Version != "2012-10-17" && p.Version != "2008-10-17" {
		errs = append(errs, fmt.Errorf("the Version %q is not one IAM knows; use 2012-10-17", p.Version))
	}
	if len(p.Statements) == 0 {
		errs = append(errs, errors.New("the policy has no statements"))
	}
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
		for op, keys := range s.Condition {
			for key, vals := range keys {
				if strings.EqualFold(key, "aws:SourceIp") && strings.Contains(op, "IpAddress") {
					for _, c := range vals.Strings() {
						if _, err := parseCIDR(c); err != nil {
							bad("condition %s %s: %q is not an IP address or CIDR range", op, key, c)
						}
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

func parseCIDR(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
