package iamx

import (
	"fmt"
	"strings"
)

const version = "2012-10-17"

// SAMLTrustPolicy is the trust policy of a role that users of a SAML
// identity provider assume: sts:AssumeRoleWithSAML for the provider, with
// the SAML:aud condition AWS's sign-in endpoint expects.
func SAMLTrustPolicy(providerARN string) *Policy {
	return &Policy{Version: version, Statements: []Statement{{
		Effect:    "Allow",
		Principal: &Principal{Values: map[string]Values{"Federated": NewValues(providerARN)}},
		Action:    NewValues("sts:AssumeRoleWithSAML"),
		Condition: Condition{"StringEquals": {"SAML:aud": NewValues("https://signin.aws.amazon.com/saml")}},
	}}}
}

// CrossAccountTrustPolicy lets another account (a third party) assume the
// role when it presents the agreed external ID.
func CrossAccountTrustPolicy(accountID, externalID string) *Policy {
	return &Policy{Version: version, Statements: []Statement{{
		Effect:    "Allow",
		Principal: &Principal{Values: map[string]Values{"AWS": NewValues(fmt.Sprintf("arn:aws:iam::%s:root", accountID))}},
		Action:    NewValues("sts:AssumeRole"),
		Condition: Condition{"StringEquals": {"sts:ExternalId": NewValues(externalID)}},
	}}}
}

// AllowAssumeRoleFrom is an identity policy letting its user assume roleARN
// only from the given source ranges (none: from anywhere).
func AllowAssumeRoleFrom(roleARN string, cidrs ...string) *Policy {
	st := Statement{Effect: "Allow", Action: NewValues("sts:AssumeRole"), Resource: NewValues(roleARN)}
	if len(cidrs) > 0 {
		st.Condition = Condition{"IpAddress": {"aws:SourceIp": NewValues(cidrs...)}}
	}
	return &Policy{Version: version, Statements: []Statement{st}}
}

// RestrictTrustToSourceIP returns a copy of a trust policy whose Allow
// statements for sts:AssumeRole* also require a source address in cidrs
// (nil for a nil policy). It only narrows: where a statement already
// limits aws:SourceIp with IpAddress, the result allows the addresses in
// both the old and the new ranges, and none when they do not overlap.
func RestrictTrustToSourceIP(trust *Policy, cidrs ...string) *Policy {
	if trust == nil {
		return nil
	}
	out := *trust
	out.Statements = make([]Statement, len(trust.Statements))
	for i, s := range trust.Statements {
		if s.Effect == "Allow" && anyHasPrefix(s.Action.Strings(), "sts:AssumeRole") {
			c := Condition{}
			for op, keys := range s.Condition {
				c[op] = map[string]Values{}
				for k, v := range keys {
					c[op][k] = v
				}
			}
			if c["IpAddress"] == nil {
				c["IpAddress"] = map[string]Values{}
			}
			ranges := NewValues(cidrs...)
			if old, ok := c["IpAddress"]["aws:SourceIp"]; ok {
				ranges = NewValues(intersectRanges(old.Strings(), cidrs)...)
			}
			c["IpAddress"]["aws:SourceIp"] = ranges
			s.Condition = c
		}
		out.Statements[i] = s
	}
	return &out
}

// intersectRanges returns the addresses in both lists of ranges: for each
// pair, the smaller range when one holds the other. A value that does not
// parse is kept only where it appears in both lists, so nothing widens.
func intersectRanges(a, b []string) []string {
	out := []string{}
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, x := range a {
		px, errx := parseCIDR(x)
		for _, y := range b {
			py, erry := parseCIDR(y)
			switch {
			case errx != nil || erry != nil:
				if x == y {
					add(x)
				}
			case px.Addr().Is4() != py.Addr().Is4():
			case px.Bits() >= py.Bits() && py.Contains(px.Addr()):
				add(x)
			case py.Bits() >= px.Bits() && px.Contains(py.Addr()):
				add(y)
			}
		}
	}
	return out
}

func anyHasPrefix(vs []string, prefix string) bool {
	for _, v := range vs {
		if strings.HasPrefix(v, prefix) || v == "*" || v == "sts:*" {
			return true
		}
	}
	return false
}
