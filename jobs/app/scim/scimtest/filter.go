package scimtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// filter is a parsed RFC 7644 §3.4.2.2 filter: comparisons joined by
// "and", "or" and "not", with value paths such as
// emails[type eq "work"].value.
type filter interface {
	match(r map[string]any) bool
}

type and struct{ l, r filter }
type or struct{ l, r filter }
type not struct{ f filter }

// compare is attrPath op value; pr has no value.
type compare struct {
	path  attrPath
	op    string
	value any
}

// attrPath is attr[filter].sub: filter and sub are optional.
type attrPath struct {
	schema string // "urn:...:User" for an extension attribute
	attr   string
	filter filter
	sub    string
}

func (f and) match(r map[string]any) bool { return f.l.match(r) && f.r.match(r) }
func (f or) match(r map[string]any) bool  { return f.l.match(r) || f.r.match(r) }
func (f not) match(r map[string]any) bool { return !f.f.match(r) }

func (c compare) match(r map[string]any) bool {
	for _, v := range c.path.values(r) {
		if c.op == "pr" {
			if v != nil && v != "" {
				return true
			}
			continue
		}
		if compareValues(c.op, v, c.value, caseExact(c.path)) {
			return true
		}
	}
	return false
}

// caseExact says whether the attribute compares case-sensitively: in
// RFC 7643 §4.1 and §8.7.1, id, externalId and $ref/value references are;
// userName, emails, displayName and the like are not.
func caseExact(p attrPath) bool {
	name := strings.ToLower(p.attr)
	if p.sub != "" {
		name += "." + strings.ToLower(p.sub)
	}
	switch name {
	case "id", "externalid", "members.value", "groups.value":
		return true
	}
	return false
}

func compareValues(op string, have, want any, exact bool) bool {
	hs, hok := have.(string)
	ws, wok := want.(string)
	if hok && wok {
		if !exact {
			hs, ws = strings.ToLower(hs), strings.ToLower(ws)
		}
		switch op {
		case "eq":
			return hs == ws
		case "ne":
			return hs != ws
		case "co":
			return strings.Contains(hs, ws)
		case "sw":
			return strings.HasPrefix(hs, ws)
		case "ew":
			return strings.HasSuffix(hs, ws)
		}
		return false
	}
	switch op {
	case "eq":
		return fmt.Sprint(have) == fmt.Sprint(want)
	case "ne":
		return fmt.Sprint(have) != fmt.Sprint(want)
	}
	return false
}

// values are the values the path names in r, flattening multi-valued
// attributes.
func (p attrPath) values(r map[string]any) []any {
	holder := r
	if p.schema != "" {
		ext, _ := get(r, p.schema).(map[string]any)
		holder = ext
	}
	v := get(holder, p.attr)
	var elems []any
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		elems = t
	default:
		elems = []any{t}
	}
	var out []any
	for _, e := range elems {
		m, isMap := e.(map[string]any)
		if p.filter != nil && (!isMap || !p.filter.match(m)) {
			continue
		}
		switch {
		case p.sub != "" && isMap:
			out = append(out, get(m, p.sub))
		case p.sub != "":
		case isMap && p.filter == nil:
			out = append(out, get(m, "value")) // "emails eq x" compares the value sub-attribute
		default:
			out = append(out, e)
		}
	}
	return out
}

// get is m's attribute name, ignoring case (RFC 7643 §2.1).
func get(m map[string]any, name string) any {
	if m == nil {
		return nil
	}
	if v, ok := m[name]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// parseFilter reads a filter; errors become 400 invalidFilter.
func parseFilter(s string) (filter, error) {
	p := &parser{toks: tokenize(s)}
	f, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.peek() != "" {
		return nil, fmt.Errorf("unexpected %q", p.peek())
	}
	return f, nil
}

// parsePath reads a PATCH path: an attrPath whose filter may stand
// alone (members[value eq "2819c223"]).
func parsePath(s string) (attrPath, error) {
	p := &parser{toks: tokenize(s)}
	ap, err := p.attrPath()
	if err == nil && p.peek() != "" {
		err = fmt.Errorf("unexpected %q", p.peek())
	}
	return ap, err
}

type parser struct {
	toks []string
	i    int
}

func (p *parser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *parser) next() string {
	t := p.peek()
	p.i++
	return t
}

func (p *parser) or() (filter, error) {
	l, err := p.and()
	for err == nil && strings.EqualFold(p.peek(), "or") {
		p.next()
		var r filter
		if r, err = p.and(); err == nil {
			l = or{l, r}
		}
	}
	return l, err
}

func (p *parser) and() (filter, error) {
	l, err := p.factor()
	for err == nil && strings.EqualFold(p.peek(), "and") {
		p.next()
		var r filter
		if r, err = p.factor(); err == nil {
			l = and{l, r}
		}
	}
	return l, err
}

func (p *parser) factor() (filter, error) {
	negate := false
	if strings.EqualFold(p.peek(), "not") {
		p.next()
		negate = true
	}
	if p.peek() == "(" {
		p.next()
		f, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.next() != ")" {
			return nil, errors.New("missing )")
		}
		if negate {
			return not{f}, nil
		}
		return f, nil
	}
	path, err := p.attrPath()
	if err != nil {
		return nil, err
	}
	op := strings.ToLower(p.next())
	var f filter
	switch op {
	case "pr":
		f = compare{path: path, op: op}
	case "eq", "ne", "co", "sw", "ew":
		raw := p.next()
		var v any
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return nil, fmt.Errorf("%q is not a JSON value", raw)
		}
		f = compare{path: path, op: op, value: v}
	default:
		return nil, fmt.Errorf("unsupported operator %q", op)
	}
	if negate {
		return not{f}, nil
	}
	return f, nil
}

func (p *parser) attrPath() (attrPath, error) {
	word := p.next()
	if word == "" || strings.ContainsAny(word[:1], `"()[].`) {
		return attrPath{}, fmt.Errorf("expected an attribute, got %q", word)
	}
	var ap attrPath
	if strings.HasPrefix(strings.ToLower(word), "urn:") {
		i := strings.LastIndex(word, ":")
		ap.schema, word = word[:i], word[i+1:]
	}
	ap.attr, ap.sub, _ = strings.Cut(word, ".")
	if p.peek() == "[" {
		p.next()
		f, err := p.or()
		if err != nil {
			return attrPath{}, err
		}
		if p.next() != "]" {
			return attrPath{}, errors.New("missing ]")
		}
		ap.filter = f
		if strings.HasPrefix(p.peek(), ".") {
			ap.sub = strings.TrimPrefix(p.next(), ".")
		}
	}
	return ap, nil
}

// tokenize splits a filter into words, JSON strings and brackets.
func tokenize(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ':
			i++
		case strings.IndexByte("()[]", c) >= 0:
			toks = append(toks, string(c))
			i++
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(s))
			toks = append(toks, s[i:j])
			i = j
		default:
			j := i
			for j < len(s) && strings.IndexByte(` ()[]"`, s[j]) < 0 {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks
}
