package iamx

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

const tooLarge = "the comparison is too large to evaluate within kumo's bound"

type opKind uint8

const (
	kString opKind = iota
	kNumeric
	kDate
	kBool
	kBinary
	kIP
	kARN
	kNull
)

type setKind uint8

const (
	setNone setKind = iota
	setAll          // ForAllValues:
	setAny          // ForAnyValue:
)

// operator is a parsed condition operator such as
// ForAnyValue:StringNotLikeIfExists.
type operator struct {
	kind     opKind
	cmp      string // eq, eqi, like, lt, le, gt, ge
	negated  bool
	set      setKind
	ifExists bool
}

var baseOperators = map[string]operator{
	"StringEquals":              {kind: kString, cmp: "eq"},
	"StringNotEquals":           {kind: kString, cmp: "eq", negated: true},
	"StringEqualsIgnoreCase":    {kind: kString, cmp: "eqi"},
	"StringNotEqualsIgnoreCase": {kind: kString, cmp: "eqi", negated: true},
	"StringLike":                {kind: kString, cmp: "like"},
	"StringNotLike":             {kind: kString, cmp: "like", negated: true},
	"NumericEquals":             {kind: kNumeric, cmp: "eq"},
	"NumericNotEquals":          {kind: kNumeric, cmp: "eq", negated: true},
	"NumericLessThan":           {kind: kNumeric, cmp: "lt"},
	"NumericLessThanEquals":     {kind: kNumeric, cmp: "le"},
	"NumericGreaterThan":        {kind: kNumeric, cmp: "gt"},
	"NumericGreaterThanEquals":  {kind: kNumeric, cmp: "ge"},
	"DateEquals":                {kind: kDate, cmp: "eq"},
	"DateNotEquals":             {kind: kDate, cmp: "eq", negated: true},
	"DateLessThan":              {kind: kDate, cmp: "lt"},
	"DateLessThanEquals":        {kind: kDate, cmp: "le"},
	"DateGreaterThan":           {kind: kDate, cmp: "gt"},
	"DateGreaterThanEquals":     {kind: kDate, cmp: "ge"},
	"Bool":                      {kind: kBool, cmp: "eq"},
	"BinaryEquals":              {kind: kBinary, cmp: "eq"},
	"IpAddress":                 {kind: kIP, cmp: "eq"},
	"NotIpAddress":              {kind: kIP, cmp: "eq", negated: true},
	"ArnEquals":                 {kind: kARN, cmp: "like"},
	"ArnLike":                   {kind: kARN, cmp: "like"},
	"ArnNotEquals":              {kind: kARN, cmp: "like", negated: true},
	"ArnNotLike":                {kind: kARN, cmp: "like", negated: true},
	"Null":                      {kind: kNull},
}

const operatorForms = "String(Not)Equals, String(Not)EqualsIgnoreCase, String(Not)Like, " +
	"Numeric(Not)Equals, NumericLessThan(Equals), NumericGreaterThan(Equals), " +
	"Date(Not)Equals, DateLessThan(Equals), DateGreaterThan(Equals), Bool, BinaryEquals, " +
	"IpAddress, NotIpAddress, ArnEquals, ArnLike, ArnNotEquals, ArnNotLike or Null, " +
	"each (but Null) optionally ending in IfExists and starting with ForAllValues: or ForAnyValue:"

// parseOperator reads a condition operator exactly as the IAM User Guide
// spells it (names are case-sensitive).
func parseOperator(op string) (operator, error) {
	name := op
	set := setNone
	if i := strings.IndexByte(name, ':'); i >= 0 {
		switch name[:i+1] {
		case "ForAllValues:":
			set = setAll
		case "ForAnyValue:":
			set = setAny
		default:
			return operator{}, fmt.Errorf("condition operator %q: unknown set operator %q; use ForAllValues: or ForAnyValue: (with the colon)", op, name[:i+1])
		}
		name = name[i+1:]
	}
	ifExists := false
	if rest, ok := strings.CutSuffix(name, "IfExists"); ok && rest != "Null" {
		ifExists, name = true, rest
	}
	o, ok := baseOperators[name]
	if !ok {
		return operator{}, fmt.Errorf("unknown condition operator %q; the operators are %s", op, operatorForms)
	}
	if o.kind == kNull && set != setNone {
		return operator{}, fmt.Errorf("condition operator %q: Null takes no set operator", op)
	}
	o.set, o.ifExists = set, ifExists
	return o, nil
}

// condition evaluates one operator on one key with the policy's values.
// why explains an unknown result.
func condition(op operator, key string, want []string, vars bool, c *reqContext) (result tri, why string) {
	if len(want) == 0 {
		return unknown, "it lists no values"
	}
	have, st := c.get(key)
	if st == keyAmbiguous {
		return unknown, "the request context has several keys that differ from " + key + " only in case"
	}
	// A null data set: no values, or an empty string.
	null := st == keyMissing || len(have) == 0 || (len(have) == 1 && have[0] == "")
	if op.kind == kNull {
		r := no
		for _, w := range want {
			switch strings.ToLower(w) {
			case "true":
				r = or(r, boolTri(null))
			case "false":
				r = or(r, boolTri(!null))
			default:
				r = or(r, unknown)
				why = fmt.Sprintf("Null takes true or false, not %s", quoteShort(w))
			}
		}
		return r, why
	}
	if st == keyMissing && op.ifExists {
		return yes, ""
	}
	// Does one context value match any policy value? Policy values are
	// ORed; a negated operator is true when none matches.
	one := func(h string) tri {
		r := no
		for _, w := range want {
			t, wwhy := compareValue(op, w, h, vars, c)
			if t == unknown && why == "" {
				why = wwhy
			}
			if r = or(r, t); r == yes || c.budget < 0 {
				break
			}
		}
		if op.negated {
			return r.not()
		}
		return r
	}
	switch op.set {
	case setAll:
		if null {
			return yes, "" // every one of no values matches
		}
		r := yes
		for _, h := range have {
			if r = and(r, one(h)); r == no || c.budget < 0 {
				break
			}
		}
		return r, why
	case setAny:
		if null {
			return no, ""
		}
		r := no
		for _, h := range have {
			if r = or(r, one(h)); r == yes || c.budget < 0 {
				break
			}
		}
		return r, why
	}
	switch {
	case st == keyMissing || len(have) == 0:
		return boolTri(op.negated), ""
	case len(have) > 1:
		return unknown, fmt.Sprintf("the context key has %d values; a multivalued key needs ForAllValues: or ForAnyValue:", len(have))
	}
	r := one(have[0])
	return r, why
}

func boolTri(b bool) tri {
	if b {
		return yes
	}
	return no
}

// compareValue applies an operator's positive comparison to one policy
// value w and one context value h.
func compareValue(op operator, w, h string, vars bool, c *reqContext) (tri, string) {
	// Every comparison is charged to the call's budget, so that many
	// policy values times many context values stay bounded too.
	if c.budget -= 64 + len(w) + len(h); c.budget < 0 { // about one glob step per unit
		return unknown, tooLarge
	}
	switch op.kind {
	case kString:
		p := compile(w, vars, op.cmp == "like", c)
		if p.state != yes {
			return p.state, p.why
		}
		switch op.cmp {
		case "eq":
			return boolTri(p.literal() == h), ""
		case "eqi":
			return boolTri(strings.EqualFold(p.literal(), h)), ""
		}
		if r := globMatch(p.toks, h, c); r != unknown {
			return r, ""
		}
		return unknown, tooLarge
	case kARN:
		p := compile(w, vars, true, c)
		if p.state != yes {
			return p.state, p.why
		}
		if _, ok := arnParts(p.toks); !ok {
			return unknown, fmt.Sprintf("%s is not an ARN (six colon-separated parts)", quoteShort(w))
		}
		r := arnMatch(p, h, c)
		if r == unknown {
			return unknown, tooLarge
		}
		return r, ""
	case kBool:
		p := compile(w, vars, false, c)
		if p.state != yes {
			return p.state, p.why
		}
		pw, ok1 := parseBool(p.literal())
		ph, ok2 := parseBool(h)
		if !ok1 || !ok2 {
			return unknown, fmt.Sprintf("Bool compares true or false, not %s with %s", quoteShort(p.literal()), quoteShort(h))
		}
		return boolTri(pw == ph), ""
	case kNumeric:
		a, err1 := parseDecimal(h)
		b, err2 := parseDecimal(w)
		if err1 != nil || err2 != nil {
			return unknown, fmt.Sprintf("%s compares numbers, not %s with %s", "a Numeric operator", quoteShort(h), quoteShort(w))
		}
		return boolTri(order(op.cmp, cmpDecimal(a, b))), ""
	case kDate:
		a, ok1 := parseDate(h)
		b, ok2 := parseDate(w)
		if !ok1 || !ok2 {
			return unknown, fmt.Sprintf("a Date operator compares ISO 8601 dates or epoch seconds, not %s with %s", quoteShort(h), quoteShort(w))
		}
		return boolTri(order(op.cmp, a.Compare(b))), ""
	case kBinary:
		b, err := base64.StdEncoding.DecodeString(w)
		if err != nil {
			return unknown, fmt.Sprintf("BinaryEquals takes base64, not %s", quoteShort(w))
		}
		return boolTri(bytes.Equal(b, []byte(h))), ""
	case kIP:
		pfx, err := parseCIDR(w)
		if err != nil {
			return unknown, fmt.Sprintf("%s is not an IP address or CIDR range", quoteShort(w))
		}
		a, err := netip.ParseAddr(h)
		if err != nil || a.Zone() != "" {
			return unknown, fmt.Sprintf("the context value %s is not an IP address", quoteShort(h))
		}
		return boolTri(pfx.Contains(a)), ""
	}
	return unknown, "unknown operator"
}

func order(cmp string, c int) bool {
	switch cmp {
	case "eq":
		return c == 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	}
	return false
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// decimal is a parsed decimal number: sign, integer digits without
// leading zeros, fraction digits without trailing zeros.
type decimal struct {
	neg        bool
	intp, frac string
}

const maxDecimalLen = 400

var errDecimal = errors.New("not a decimal number")

// parseDecimal reads -?digits(.digits)? exactly, so that large integers
// compare without the rounding of a float64.
func parseDecimal(s string) (decimal, error) {
	if len(s) == 0 || len(s) > maxDecimalLen {
		return decimal{}, errDecimal
	}
	var d decimal
	if s[0] == '-' {
		d.neg, s = true, s[1:]
	}
	ip, fp, hasDot := strings.Cut(s, ".")
	if ip == "" || !allDigits(ip) || (hasDot && (fp == "" || !allDigits(fp))) {
		return decimal{}, errDecimal
	}
	d.intp = strings.TrimLeft(ip, "0")
	d.frac = strings.TrimRight(fp, "0")
	if d.intp == "" && d.frac == "" {
		d.neg = false // -0 is 0
	}
	return d, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func cmpDecimal(a, b decimal) int {
	if a.neg != b.neg {
		if a.neg {
			return -1
		}
		return 1
	}
	c := cmpAbs(a, b)
	if a.neg {
		return -c
	}
	return c
}

func cmpAbs(a, b decimal) int {
	if len(a.intp) != len(b.intp) {
		if len(a.intp) < len(b.intp) {
			return -1
		}
		return 1
	}
	if c := strings.Compare(a.intp, b.intp); c != 0 {
		return c
	}
	return strings.Compare(a.frac, b.frac)
}

// dateLayouts are the W3C profile of ISO 8601 the IAM User Guide points to.
var dateLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02",
	"2006-01",
	"2006",
}

// parseDate reads an ISO 8601 date (W3C profile) or epoch seconds.
func parseDate(s string) (time.Time, bool) {
	if len(s) == 0 || len(s) > 64 {
		return time.Time{}, false
	}
	if allDigits(s) && len(s) != 4 { // four digits alone are a year
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > 1<<40 {
			return time.Time{}, false
		}
		return time.Unix(n, 0), true
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseCIDR reads a CIDR range or a bare address (as /32 or /128).
func parseCIDR(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a.Zone() != "" {
		return netip.Prefix{}, errors.New("an address with a zone")
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
