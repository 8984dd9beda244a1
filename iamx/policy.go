package iamx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
)

// Principal is a statement's Principal: "*" (anyone) or a map of kinds
// (AWS, Federated, Service, CanonicalUser) to values.
type Principal struct {
	Wildcard bool
	Values   map[string]Values
}

// MarshalJSON writes "*" or the map.
func (p Principal) MarshalJSON() ([]byte, error) {
	if p.Wildcard {
		return []byte(`"*"`), nil
	}
	return json.Marshal(p.Values)
}

// UnmarshalJSON reads "*" or a map.
func (p *Principal) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		if s != "*" {
			return fmt.Errorf(`a Principal string must be "*", not %q`, s)
		}
		*p = Principal{Wildcard: true}
		return nil
	}
	fields, _, err := objectFields(b)
	if err != nil {
		return fmt.Errorf(`a Principal is "*" or a map such as {"AWS": "…"}: %w`, err)
	}
	m := make(map[string]Values, len(fields))
	for k, raw := range fields {
		var v Values
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("principal %s: %w", k, err)
		}
		m[k] = v
	}
	*p = Principal{Values: m}
	return nil
}

// Condition maps operators (StringEquals, IpAddress, ForAnyValue:StringLike,
// StringEqualsIfExists, ...) to context keys and their values.
type Condition map[string]map[string]Values

// UnmarshalJSON reads a Condition block, refusing an operator or a key
// that appears twice in one object: encoding/json would keep only the
// last, so a policy would be evaluated without a condition it states.
func (c *Condition) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		*c = nil
		return nil
	}
	ops, _, err := objectFields(b)
	if err != nil {
		return fmt.Errorf("a Condition must be an object of operators: %w", err)
	}
	out := make(Condition, len(ops))
	for op, raw := range ops {
		keys, _, err := objectFields(raw)
		if err != nil {
			return fmt.Errorf("condition %s must be an object of keys: %w", op, err)
		}
		m := make(map[string]Values, len(keys))
		for k, rv := range keys {
			var v Values
			if err := json.Unmarshal(rv, &v); err != nil {
				return fmt.Errorf("condition %s %s: %w", op, k, err)
			}
			m[k] = v
		}
		out[op] = m
	}
	*c = out
	return nil
}

// Statement is one statement of a policy. Unknown fields are kept.
type Statement struct {
	Sid          string
	Effect       string
	Principal    *Principal
	NotPrincipal *Principal
	Action       Values
	NotAction    Values
	Resource     Values
	NotResource  Values
	Condition    Condition

	extra map[string]json.RawMessage
	order []string
}

var statementFields = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}

// UnmarshalJSON reads a statement, keeping fields it does not know.
func (s *Statement) UnmarshalJSON(b []byte) error {
	fields, order, err := objectFields(b)
	if err != nil {
		return fmt.Errorf("a statement must be a JSON object: %w", err)
	}
	*s = Statement{order: order}
	for k, raw := range fields {
		var err error
		switch k {
		case "Sid":
			err = json.Unmarshal(raw, &s.Sid)
		case "Effect":
			err = json.Unmarshal(raw, &s.Effect)
		case "Principal":
			s.Principal = &Principal{}
			err = json.Unmarshal(raw, s.Principal)
		case "NotPrincipal":
			s.NotPrincipal = &Principal{}
			err = json.Unmarshal(raw, s.NotPrincipal)
		case "Action":
			err = json.Unmarshal(raw, &s.Action)
		case "NotAction":
			err = json.Unmarshal(raw, &s.NotAction)
		case "Resource":
			err = json.Unmarshal(raw, &s.Resource)
		case "NotResource":
			err = json.Unmarshal(raw, &s.NotResource)
		case "Condition":
			err = json.Unmarshal(raw, &s.Condition)
		default:
			if s.extra == nil {
				s.extra = map[string]json.RawMessage{}
			}
			s.extra[k] = raw
		}
		if err != nil {
			return fmt.Errorf("statement field %s: %w", k, err)
		}
	}
	return nil
}

// MarshalJSON writes the statement, fields in the order they were read
// (the usual order for new ones), unknown fields included.
func (s Statement) MarshalJSON() ([]byte, error) {
	fields := map[string]any{}
	set := func(k string, present bool, v any) {
		if present {
			fields[k] = v
		}
	}
	set("Sid", s.Sid != "", s.Sid)
	set("Effect", s.Effect != "", s.Effect)
	set("Principal", s.Principal != nil, s.Principal)
	set("NotPrincipal", s.NotPrincipal != nil, s.NotPrincipal)
	set("Action", !s.Action.IsZero(), s.Action)
	set("NotAction", !s.NotAction.IsZero(), s.NotAction)
	set("Resource", !s.Resource.IsZero(), s.Resource)
	set("NotResource", !s.NotResource.IsZero(), s.NotResource)
	set("Condition", s.Condition != nil, s.Condition)
	for k, v := range s.extra {
		fields[k] = v
	}
	return writeObject(fields, s.order, statementFields)
}

// Policy is an IAM policy document (identity, resource or trust policy).
type Policy struct {
	Version    string
	ID         string
	Statements []Statement

	statementObject bool // Statement was a single object, not a list
	extra           map[string]json.RawMessage
	order           []string
}

var policyFields = []string{"Version", "Id", "Statement"}

// maxPolicy bounds ParsePolicy; IAM's own limits are far smaller.
const maxPolicy = 1 << 20

// ErrInvalidPolicy is returned for a policy that does not parse or fails
// Validate.
var ErrInvalidPolicy = errors.New("iamx: invalid policy")

// ParsePolicy reads an IAM policy document: JSON, or JSON URL-encoded as
// the IAM API returns it (GetPolicyVersion, GetRolePolicy,
// GetAccountAuthorizationDetails and the role's AssumeRolePolicyDocument
// in the SDK's output start with %7B), so those strings can be passed as
// they come.
func ParsePolicy(data []byte) (*Policy, error) {
	if len(data) > maxPolicy {
		return nil, fmt.Errorf("%w: %d bytes, over %d", ErrInvalidPolicy, len(data), maxPolicy)
	}
	if t := bytes.TrimSpace(data); len(t) >= 3 && t[0] == '%' && strings.EqualFold(string(t[:3]), "%7B") {
		dec, err := url.PathUnescape(string(t))
		if err != nil {
			return nil, fmt.Errorf("%w: a URL-encoded document that does not decode: %v", ErrInvalidPolicy, err)
		}
		data = []byte(dec)
	}
	var p Policy
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPolicy, err)
	}
	return &p, nil
}

// UnmarshalJSON reads a policy, keeping fields it does not know.
func (p *Policy) UnmarshalJSON(b []byte) error {
	fields, order, err := objectFields(b)
	if err != nil {
		return fmt.Errorf("a policy must be a JSON object: %w", err)
	}
	*p = Policy{order: order}
	for k, raw := range fields {
		switch k {
		case "Version":
			err = json.Unmarshal(raw, &p.Version)
		case "Id":
			err = json.Unmarshal(raw, &p.ID)
		case "Statement":
			t := bytes.TrimSpace(raw)
			if len(t) > 0 && t[0] == '{' {
				var st Statement
				err = json.Unmarshal(t, &st)
				p.Statements, p.statementObject = []Statement{st}, true
			} else {
				err = json.Unmarshal(t, &p.Statements)
			}
		default:
			if p.extra == nil {
				p.extra = map[string]json.RawMessage{}
			}
			p.extra[k] = raw
		}
		if err != nil {
			return fmt.Errorf("policy field %s: %w", k, err)
		}
	}
	return nil
}

// MarshalJSON writes the policy as it was read: Statement as an object
// when it was one, fields in their order, unknown fields included.
func (p Policy) MarshalJSON() ([]byte, error) {
	fields := map[string]any{}
	if p.Version != "" {
		fields["Version"] = p.Version
	}
	if p.ID != "" {
		fields["Id"] = p.ID
	}
	if p.statementObject && len(p.Statements) == 1 {
		fields["Statement"] = p.Statements[0]
	} else {
		fields["Statement"] = p.Statements
		if p.Statements == nil {
			fields["Statement"] = []Statement{}
		}
	}
	for k, v := range p.extra {
		fields[k] = v
	}
	return writeObject(fields, p.order, policyFields)
}

// objectFields decodes a JSON object into its raw fields and their order,
// refusing duplicate keys (IAM does, and they would be lost).
func objectFields(b []byte) (map[string]json.RawMessage, []string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, errors.New("not an object")
	}
	fields := map[string]json.RawMessage{}
	var order []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		k := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, err
		}
		if _, dup := fields[k]; dup {
			return nil, nil, fmt.Errorf("field %s appears twice", k)
		}
		fields[k], order = raw, append(order, k)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, err
	}
	return fields, order, nil
}

// writeObject writes fields in the given order, then in the usual order,
// then any others sorted.
func writeObject(fields map[string]any, order, usual []string) ([]byte, error) {
	var keys []string
	seen := map[string]bool{}
	add := func(k string) {
		if _, ok := fields[k]; ok && !seen[k] {
			keys, seen[k] = append(keys, k), true
		}
	}
	for _, k := range order {
		add(k)
	}
	for _, k := range usual {
		add(k)
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		add(k)
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(fields[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
