package cfsign

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/kumo-go/kumo/internal/pyjson"
)

// Policy says which resource may be fetched, when, and from where.
type Policy struct {
	// Resource is the URL the policy covers. In a custom policy it may use
	// the wildcards * (any run of characters) and ? (one character).
	Resource string
	// DateLessThan is when access ends; required.
	DateLessThan time.Time
	// DateGreaterThan, when set, is when access begins.
	DateGreaterThan time.Time
	// SourceIP, when set, is the IPv4 address or CIDR range requests must
	// come from; a bare address means /32.
	SourceIP string
}

// Canned reports whether the policy can be sent as a canned policy: an
// expiry only, and a resource without the wildcard *. A ? does not make a
// policy custom: in a URL it starts the query string, and the AWS CLI (whose
// output examples/cfsign reproduces byte for byte) signs such a URL with a
// canned policy, which covers exactly that URL and query. To use ? as a
// one-character wildcard, sign the policy with [Signer.SignURLWithPolicy].
func (p Policy) Canned() bool {
	return p.DateGreaterThan.IsZero() && p.SourceIP == "" && !strings.Contains(p.Resource, "*")
}

// validate checks what CloudFront would refuse.
func (p Policy) validate() error {
	if p.Resource == "" {
		return errors.New("cfsign: the policy has no resource")
	}
	if err := checkURLChars(p.Resource, "the resource"); err != nil {
		return err
	}
	if p.DateLessThan.IsZero() {
		return errors.New("cfsign: the policy has no DateLessThan; every policy needs an end")
	}
	if !p.DateGreaterThan.IsZero() && !p.DateGreaterThan.Before(p.DateLessThan) {
		return fmt.Errorf("cfsign: DateGreaterThan (%s) is not before DateLessThan (%s)", p.DateGreaterThan.UTC().Format(time.RFC3339), p.DateLessThan.UTC().Format(time.RFC3339))
	}
	if p.SourceIP != "" {
		if _, err := sourcePrefix(p.SourceIP); err != nil {
			return err
		}
	}
	return nil
}

// sourcePrefix parses SourceIP: an IPv4 CIDR, or a bare IPv4 address.
func sourcePrefix(s string) (netip.Prefix, error) {
	var pfx netip.Prefix
	var err error
	if strings.Contains(s, "/") {
		pfx, err = netip.ParsePrefix(s)
	} else {
		var a netip.Addr
		if a, err = netip.ParseAddr(s); err == nil {
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
	}
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("cfsign: source IP %q is not an IPv4 address or CIDR range such as 192.0.2.0/24", s)
	}
	if !pfx.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("cfsign: source IP %q is IPv6; CloudFront policies take IPv4 ranges only", s)
	}
	return pfx, nil
}

// sourceIP is the SourceIP as it goes into the policy: a bare address gets
// /32, as the AWS CLI does; anything else is kept as given.
func (p Policy) sourceIP() string {
	if p.SourceIP != "" && !strings.Contains(p.SourceIP, "/") {
		return p.SourceIP + "/32"
	}
	return p.SourceIP
}

// JSON renders the policy exactly as the AWS CLI does for the same inputs:
// compact, conditions in the order DateLessThan, IpAddress, DateGreaterThan,
// non-ASCII escaped as \uXXXX.
func (p Policy) JSON() ([]byte, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	return p.render(), nil
}

func (p Policy) render() []byte {
	var b bytes.Buffer
	b.WriteString(`{"Statement":[{"Resource":`)
	b.Write(pyjson.Append(b.AvailableBuffer(), p.Resource))
	b.WriteString(`,"Condition":{"DateLessThan":{"AWS:EpochTime":`)
	b.WriteString(strconv.FormatInt(p.DateLessThan.Unix(), 10))
	b.WriteString("}")
	if p.SourceIP != "" {
		b.WriteString(`,"IpAddress":{"AWS:SourceIp":`)
		b.Write(pyjson.Append(b.AvailableBuffer(), p.sourceIP()))
		b.WriteString("}")
	}
	if !p.DateGreaterThan.IsZero() {
		b.WriteString(`,"DateGreaterThan":{"AWS:EpochTime":`)
		b.WriteString(strconv.FormatInt(p.DateGreaterThan.Unix(), 10))
		b.WriteString("}")
	}
	b.WriteString("}}]}")
	return b.Bytes()
}

// policyDoc is the JSON shape ParsePolicy accepts.
type policyDoc struct {
	Statement []struct {
		Resource  string `json:"Resource"`
		Condition struct {
			DateLessThan    *epochCondition `json:"DateLessThan"`
			DateGreaterThan *epochCondition `json:"DateGreaterThan"`
			IPAddress       *struct {
				SourceIP string `json:"AWS:SourceIp"`
			} `json:"IpAddress"`
		} `json:"Condition"`
	} `json:"Statement"`
}

type epochCondition struct {
	Epoch *int64 `json:"AWS:EpochTime"`
}

// maxPolicy bounds what ParsePolicy reads; CloudFront's own limit on a
// policy in a URL is far lower.
const maxPolicy = 16 << 10

// ParsePolicy reads a CloudFront policy document, such as one decoded from
// a signed URL's Policy parameter. It takes exactly one statement with a
// DateLessThan condition, and refuses fields CloudFront does not know.
func ParsePolicy(data []byte) (Policy, error) {
	if len(data) > maxPolicy {
		return Policy{}, fmt.Errorf("cfsign: the policy is %d bytes, over the %d this reads", len(data), maxPolicy)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc policyDoc
	if err := dec.Decode(&doc); err != nil {
		return Policy{}, fmt.Errorf("cfsign: the policy is not a CloudFront policy document: %v", err)
	}
	if dec.More() {
		return Policy{}, errors.New("cfsign: text follows the policy document")
	}
	if len(doc.Statement) != 1 {
		return Policy{}, fmt.Errorf("cfsign: the policy has %d statements; CloudFront takes exactly one", len(doc.Statement))
	}
	st := doc.Statement[0]
	c := st.Condition
	if c.DateLessThan == nil || c.DateLessThan.Epoch == nil {
		return Policy{}, errors.New("cfsign: the policy has no DateLessThan AWS:EpochTime condition")
	}
	p := Policy{Resource: st.Resource, DateLessThan: time.Unix(*c.DateLessThan.Epoch, 0).UTC()}
	if c.DateGreaterThan != nil {
		if c.DateGreaterThan.Epoch == nil {
			return Policy{}, errors.New("cfsign: the DateGreaterThan condition has no AWS:EpochTime")
		}
		p.DateGreaterThan = time.Unix(*c.DateGreaterThan.Epoch, 0).UTC()
	}
	if c.IPAddress != nil {
		if c.IPAddress.SourceIP == "" {
			return Policy{}, errors.New("cfsign: the IpAddress condition has no AWS:SourceIp")
		}
		p.SourceIP = c.IPAddress.SourceIP
	}
	if err := p.validate(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// checkURLChars refuses characters a client would percent-encode before
// sending, which would then not match what was signed.
func checkURLChars(s, what string) error {
	for i, r := range s {
		if r <= ' ' || r >= 0x7f {
			return fmt.Errorf("cfsign: %s has %q at byte %d; percent-encode spaces and non-ASCII first (as a client will), for example %s",
				what, r, i, percentEncode(s))
		}
	}
	return nil
}

// percentEncode suggests the encoded form of a URL with spaces or non-ASCII.
func percentEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// matchResource reports whether resource (with * and ?) matches u.
func matchResource(resource, u string) bool {
	// Iterative glob match with backtracking on the last *.
	p, s := 0, 0
	star, mark := -1, 0
	for s < len(u) {
		switch {
		case p < len(resource) && (resource[p] == '?' || resource[p] == u[s]):
			p++
			s++
		case p < len(resource) && resource[p] == '*':
			star, mark = p, s
			p++
		case star >= 0:
			p = star + 1
			mark++
			s = mark
		default:
			return false
		}
	}
	for p < len(resource) && resource[p] == '*' {
		p++
	}
	return p == len(resource)
}
