package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// readOnly are attributes a client never writes (RFC 7643 §3.1, §4.1.2).
var readOnly = []string{"schemas", "id", "meta", "groups"}

// complexByPart are the attributes whose sub-attributes are replaced one
// by one, so that Roster's name.givenName does not erase the app's
// name.middleName. Multi-valued attributes (emails...) are replaced whole:
// Roster manages the values it maps.
var complexByPart = []string{"name", SchemaEnterprise}

// replaceOps are the PATCH replace operations that set what u carries.
func replaceOps(u User) ([]patchOp, error) {
	attrs, err := attributes(u)
	if err != nil {
		return nil, err
	}
	var ops []patchOp
	for _, k := range sortedKeys(attrs) {
		if !slices.Contains(complexByPart, k) {
			ops = append(ops, patchOp{Op: "replace", Path: k, Value: attrs[k]})
			continue
		}
		var sub map[string]json.RawMessage
		if err := json.Unmarshal(attrs[k], &sub); err != nil {
			return nil, fmt.Errorf("scim: cannot encode %s: %w", k, err)
		}
		sep := "."
		if strings.HasPrefix(k, "urn:") {
			sep = ":" // RFC 7644 §3.10: the URN, a colon, the attribute
		}
		for _, s := range sortedKeys(sub) {
			ops = append(ops, patchOp{Op: "replace", Path: k + sep + s, Value: sub[s]})
		}
	}
	return ops, nil
}

// mergeUser lays overlay's attributes over current, matching names
// case-insensitively, for a PUT: complex attributes merge by
// sub-attribute, others are replaced, meta is dropped.
func mergeUser(current rawResource, overlay User) (rawResource, error) {
	attrs, err := attributes(overlay)
	if err != nil {
		return nil, err
	}
	merged := rawResource{}
	for k, v := range current {
		if !strings.EqualFold(k, "meta") {
			merged[k] = v
		}
	}
	for _, k := range sortedKeys(attrs) {
		have := findKey(merged, k)
		if have == "" {
			merged[k] = attrs[k]
			continue
		}
		v := attrs[k]
		if slices.Contains(complexByPart, k) {
			if v, err = mergeObject(merged[have], v); err != nil {
				return nil, fmt.Errorf("scim: cannot merge %s: %w", k, err)
			}
		}
		delete(merged, have)
		merged[k] = v
	}
	if overlay.Enterprise != nil {
		if err := addSchema(merged, SchemaEnterprise); err != nil {
			return nil, err
		}
	}
	return merged, nil
}

// mergeObject lays the JSON object over on the JSON object base.
func mergeObject(base, over json.RawMessage) (json.RawMessage, error) {
	var b, o map[string]json.RawMessage
	if err := json.Unmarshal(base, &b); err != nil || b == nil {
		return over, nil // not an object on the server: ours wins
	}
	if err := json.Unmarshal(over, &o); err != nil {
		return nil, err
	}
	for k, v := range o {
		if have := findKey(b, k); have != "" {
			delete(b, have)
		}
		b[k] = v
	}
	return json.Marshal(b)
}

func addSchema(r rawResource, schema string) error {
	key := findKey(r, "schemas")
	if key == "" {
		key = "schemas"
	}
	var schemas []string
	_ = json.Unmarshal(r[key], &schemas) // missing or odd: start again
	if !slices.ContainsFunc(schemas, func(s string) bool { return strings.EqualFold(s, schema) }) {
		schemas = append(schemas, schema)
	}
	if !slices.ContainsFunc(schemas, func(s string) bool { return strings.EqualFold(s, SchemaUser) }) {
		schemas = append([]string{SchemaUser}, schemas...)
	}
	raw, err := json.Marshal(schemas)
	r[key] = raw
	return err
}

// attributes are u's writable attributes as JSON, by name.
func attributes(u User) (map[string]json.RawMessage, error) {
	raw, err := json.Marshal(u)
	if err != nil {
		return nil, fmt.Errorf("scim: cannot encode the user: %w", err)
	}
	var attrs map[string]json.RawMessage
	if err := json.Unmarshal(raw, &attrs); err != nil {
		return nil, fmt.Errorf("scim: cannot encode the user: %w", err)
	}
	for _, k := range readOnly {
		delete(attrs, k)
	}
	for k, v := range attrs {
		if bytes.Equal(v, []byte("{}")) {
			delete(attrs, k) // an empty name or extension sets nothing
		}
	}
	return attrs, nil
}

// findKey is the key of m equal to name ignoring case, or "".
func findKey[V any](m map[string]V, name string) string {
	if _, ok := m[name]; ok {
		return name
	}
	for k := range m {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
