package iamx

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// tri is the result of testing one part of a statement: it holds, it
// does not, or it cannot be evaluated (a malformed value, an unknown
// operator, an ambiguous context key). Evaluate resolves unknown to the
// answer that denies: a Deny statement applies, an Allow statement does not.
type tri uint8

const (
	no tri = iota
	yes
	unknown
)

func (t tri) not() tri {
	switch t {
	case yes:
		return no
	case no:
		return yes
	}
	return unknown
}

func and(a, b tri) tri {
	if a == no || b == no {
		return no
	}
	if a == unknown || b == unknown {
		return unknown
	}
	return yes
}

func or(a, b tri) tri {
	if a == yes || b == yes {
		return yes
	}
	if a == unknown || b == unknown {
		return unknown
	}
	return no
}

type tokKind uint8

const (
	tLit  tokKind = iota // one literal character
	tStar                // * : any run of characters, none included
	tOne                 // ? : exactly one character
)

type token struct {
	kind tokKind
	r    rune
}

// pattern is a policy value after policy variables were substituted. Its
// state is yes when it is usable, no when a variable had no value (AWS:
// the value then matches nothing), and unknown when it cannot be
// evaluated, with why saying so.
type pattern struct {
	toks  []token
	state tri
	why   string
}

// literal returns the pattern's characters, wildcards as written.
func (p pattern) literal() string {
	var b strings.Builder
	for _, t := range p.toks {
		switch t.kind {
		case tStar:
			b.WriteByte('*')
		case tOne:
			b.WriteByte('?')
		default:
			b.WriteRune(t.r)
		}
	}
	return b.String()
}

// compile turns a policy value into a pattern. With vars, ${...} policy
// variables are substituted from the request context (their values are
// always literal text, never wildcards); with wild, * and ? written in the
// policy are wildcards.
func compile(s string, vars, wild bool, c *reqContext) pattern {
	p := pattern{state: yes, toks: make([]token, 0, len(s))}
	for i := 0; i < len(s); {
		if vars && strings.HasPrefix(s[i:], "${") {
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return pattern{state: unknown, why: fmt.Sprintf("%s has a ${ with no closing }", quoteShort(s))}
			}
			val, st, why := c.variable(s[i+2 : i+2+end])
			i += 2 + end + 1
			switch st {
			case unknown:
				return pattern{state: unknown, why: why}
			case no:
				p.state = no
			}
			// Each substitution copies a context value: charge it, and
			// bound the result, or a value repeating one variable would
			// grow with the product of the policy's and the context's size.
			if c.budget -= substituteCost * len(val); c.budget < 0 || len(p.toks)+len(val) > maxSubstituted {
				return pattern{state: unknown, why: fmt.Sprintf("%s is over %d characters once its policy variables are substituted", quoteShort(s), maxSubstituted)}
			}
			for _, r := range val {
				p.toks = append(p.toks, token{kind: tLit, r: r})
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case wild && r == '*':
			p.toks = append(p.toks, token{kind: tStar})
		case wild && r == '?':
			p.toks = append(p.toks, token{kind: tOne})
		default:
			p.toks = append(p.toks, token{kind: tLit, r: r})
		}
	}
	return p
}

// maxSubstituted bounds a policy value after its policy variables are
// substituted: far above any ARN (2,048 characters) or condition value a
// policy can hold, far below what exhausts memory.
const maxSubstituted = 1 << 16

// substituteCost is what one substituted byte is charged: it becomes a
// token of 8 bytes that every later match of the pattern steps over.
const substituteCost = 8

// matchBudget bounds the work of all wildcard matching in one Evaluate:
// a hostile pattern such as *a*a*a… against a long value costs the
// product of their lengths. Real policies and ARNs stay far below it;
// past it, comparisons are unknown and count against the request.
const matchBudget = 1 << 26

// globMatch matches s against the tokens character by character (a
// character is a rune: ? matches é, not half of it). Each step is charged
// to c's budget; unknown when the budget is spent.
func globMatch(toks []token, s string, c *reqContext) tri {
	// Reading s costs its length even when the first step fails: charge
	// it, or many short patterns against one huge value are unbounded.
	if c.budget -= len(s); c.budget < 0 {
		return unknown
	}
	// Characters are decoded in place (an invalid byte is one U+FFFD, as
	// a conversion to []rune would make it), so matching allocates nothing.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		if c.budget--; c.budget < 0 {
			return unknown
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case p < len(toks) && (toks[p].kind == tOne || (toks[p].kind == tLit && toks[p].r == r)):
			p++
			i += size
		case p < len(toks) && toks[p].kind == tStar:
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			_, n := utf8.DecodeRuneInString(s[mark:])
			mark += n
			i = mark
		default:
			return no
		}
	}
	for p < len(toks) && toks[p].kind == tStar {
		p++
	}
	return boolTri(p == len(toks))
}

// arnParts splits tokens at their first five literal colons, as an ARN's
// six components; ok is false when there are fewer than six.
func arnParts(toks []token) ([6][]token, bool) {
	var parts [6][]token
	n, start := 0, 0
	for i, t := range toks {
		if n < 5 && t.kind == tLit && t.r == ':' {
			parts[n] = toks[start:i]
			n++
			start = i + 1
		}
	}
	if n < 5 {
		return parts, false
	}
	parts[5] = toks[start:]
	return parts, true
}

// arnMatch matches an ARN component by component, each with its own
// wildcards, as ArnLike and the Resource element do: a * never spans a
// colon before the resource part.
func arnMatch(p pattern, arn string, c *reqContext) tri {
	parts, ok := arnParts(p.toks)
	if !ok {
		return unknown
	}
	vs := strings.SplitN(arn, ":", 6)
	if len(vs) != 6 {
		return no
	}
	r := yes
	for i := range parts {
		if r = and(r, globMatch(parts[i], vs[i], c)); r == no {
			return no
		}
	}
	return r
}

func quoteShort(s string) string {
	if len(s) > 60 {
		cut := 60
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut-- // never split a character
		}
		s = s[:cut] + "…"
	}
	return fmt.Sprintf("%q", s)
}
