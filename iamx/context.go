package iamx

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// keyState says what the request context holds for a condition key.
type keyState uint8

const (
	keyMissing   keyState = iota
	keyPresent            // one or more values (possibly an empty list)
	keyAmbiguous          // several context keys differ only in case
)

// reqContext is the request context with keys folded to lower case, as
// IAM compares condition key names case-insensitively.
type reqContext struct {
	vals      map[string][]string
	ambiguous map[string]bool
	budget    int // wildcard-matching steps left; see matchBudget
}

// newContext folds r.Context and adds the keys Evaluate derives from r
// when Context lacks them: aws:CurrentTime and aws:EpochTime from Now,
// aws:PrincipalAccount from Principal's ARN, aws:username when Principal
// is an IAM user.
func newContext(r Request) *reqContext {
	c := &reqContext{vals: make(map[string][]string, len(r.Context)+4), ambiguous: map[string]bool{}, budget: matchBudget}
	for k, v := range r.Context {
		lk := strings.ToLower(k)
		if _, dup := c.vals[lk]; dup {
			c.ambiguous[lk] = true
		}
		c.vals[lk] = v
	}
	derive := func(k, v string) {
		if _, ok := c.vals[k]; !ok && !c.ambiguous[k] {
			c.vals[k] = []string{v}
		}
	}
	if !r.Now.IsZero() {
		derive("aws:currenttime", r.Now.UTC().Format(time.RFC3339))
		derive("aws:epochtime", strconv.FormatInt(r.Now.Unix(), 10))
	}
	if a, ok := parseARN(r.Principal); ok && a.account != "" {
		derive("aws:principalaccount", a.account)
		if name := a.resource[strings.LastIndexByte(a.resource, '/')+1:]; a.service == "iam" && strings.HasPrefix(a.resource, "user/") && name != "" {
			derive("aws:username", name)
		}
	}
	return c
}

func (c *reqContext) get(key string) ([]string, keyState) {
	lk := strings.ToLower(key)
	if c.ambiguous[lk] {
		return nil, keyAmbiguous
	}
	v, ok := c.vals[lk]
	if !ok {
		return nil, keyMissing
	}
	return v, keyPresent
}

// variable resolves the inside of a ${...} policy variable: ${*}, ${?}
// and ${$} stand for those characters; ${key} for the key's single value;
// ${key, 'default'} for the default when the key is missing. A missing
// key without a default gives state no (AWS: the value then matches
// nothing); a multivalued or ambiguous key, or a malformed variable, gives
// unknown.
func (c *reqContext) variable(inner string) (string, tri, string) {
	switch inner {
	case "*", "?", "$":
		return inner, yes, ""
	}
	name, def, hasDef, err := splitVariable(inner)
	if err != nil {
		return "", unknown, err.Error()
	}
	vals, st := c.get(name)
	switch {
	case st == keyAmbiguous:
		return "", unknown, fmt.Sprintf("policy variable ${%s}: the request context has several keys that differ from it only in case", name)
	case st == keyPresent && len(vals) == 1:
		return vals[0], yes, ""
	case st == keyPresent && len(vals) > 1:
		return "", unknown, fmt.Sprintf("policy variable ${%s}: the context key has %d values; only single-valued keys can be variables", name, len(vals))
	case hasDef:
		return def, yes, ""
	}
	return "", no, ""
}

// splitVariable reads "key" or "key, 'default'".
func splitVariable(inner string) (name, def string, hasDef bool, err error) {
	name = inner
	if i := strings.IndexByte(inner, ','); i >= 0 {
		name = strings.TrimSpace(inner[:i])
		d := strings.TrimSpace(inner[i+1:])
		if len(d) < 2 || d[0] != '\'' || d[len(d)-1] != '\'' {
			return "", "", false, fmt.Errorf("policy variable ${%s}: a default value is written in single quotes after a comma, as ${aws:username, 'guest'}", inner)
		}
		def, hasDef = d[1:len(d)-1], true
	}
	if name == "" || strings.ContainsAny(name, " \t\r\n${}'") {
		return "", "", false, fmt.Errorf("policy variable ${%s}: not a context key name; use ${key}, ${key, 'default'}, ${*}, ${?} or ${$}", inner)
	}
	return name, def, hasDef, nil
}

// arn is a parsed ARN.
type arn struct {
	partition, service, region, account, resource string
}

func parseARN(s string) (arn, bool) {
	p := strings.SplitN(s, ":", 6)
	if len(p) != 6 || p[0] != "arn" {
		return arn{}, false
	}
	return arn{partition: p[1], service: p[2], region: p[3], account: p[4], resource: p[5]}, true
}
