package scimtest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

const enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// patchError is a failed operation: a 400 with a scimType.
type patchError struct{ scimType, detail string }

func (e *patchError) Error() string { return e.detail }

// patch applies RFC 7644 §3.5.2's PatchOp, all operations or none; s.mu
// is held.
func (s *Server) patch(w http.ResponseWriter, st *store, current map[string]any, body []byte) {
	if s.opts.NoPatch {
		writeError(w, http.StatusNotImplemented, "", "PATCH is not supported")
		return
	}
	var req struct {
		Operations []struct {
			Op    string          `json:"op"`
			Path  string          `json:"path"`
			Value json.RawMessage `json:"value"`
		} `json:"Operations"`
	}
	if err := json.Unmarshal(body, &req); err != nil || len(req.Operations) == 0 {
		writeError(w, http.StatusBadRequest, "invalidSyntax", "the body is not a PatchOp with Operations")
		return
	}
	r := deepCopy(current)
	for _, op := range req.Operations {
		var value any
		if len(op.Value) > 0 {
			_ = json.Unmarshal(op.Value, &value)
		}
		if err := apply(r, strings.ToLower(op.Op), op.Path, value); err != nil {
			var pe *patchError
			errors.As(err, &pe)
			writeError(w, http.StatusBadRequest, pe.scimType, pe.detail)
			return
		}
	}
	id := current["id"].(string)
	if s.taken(st, r, id) {
		writeError(w, http.StatusConflict, "uniqueness", "userName is already taken")
		return
	}
	r["id"], r["meta"] = id, touched(current["meta"])
	st.byID[id] = r
	writeJSON(w, http.StatusOK, r)
}

func apply(r map[string]any, op, path string, value any) error {
	if op != "add" && op != "replace" && op != "remove" {
		return &patchError{"invalidSyntax", "unknown op " + op}
	}
	if path == "" {
		m, ok := value.(map[string]any)
		if op == "remove" || !ok {
			return &patchError{"noTarget", "an operation without a path needs an object value"}
		}
		for k, v := range m {
			set(r, k, combine(op, get(r, k), v))
		}
		return nil
	}
	ap, err := parsePath(path)
	if err != nil {
		return &patchError{"invalidPath", "cannot read the path: " + err.Error()}
	}
	holder := r
	switch {
	case strings.EqualFold(ap.schema+":"+ap.attr, enterpriseURN):
		ap.schema, ap.attr = "", enterpriseURN
	case ap.schema != "":
		ext, _ := get(r, ap.schema).(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			set(r, ap.schema, ext)
		}
		holder = ext
	}
	if ap.filter != nil {
		return applyFiltered(holder, op, ap, value)
	}
	if ap.sub == "" {
		if op == "remove" {
			unset(holder, ap.attr)
		} else {
			set(holder, ap.attr, combine(op, get(holder, ap.attr), value))
		}
		return nil
	}
	parent, _ := get(holder, ap.attr).(map[string]any)
	if parent == nil {
		if op == "remove" {
			return nil
		}
		parent = map[string]any{}
		set(holder, ap.attr, parent)
	}
	if op == "remove" {
		unset(parent, ap.sub)
	} else {
		set(parent, ap.sub, value)
	}
	return nil
}

// applyFiltered changes the values of a multi-valued attribute the
// path's filter selects: members[value eq "2"], emails[type eq "work"].value.
func applyFiltered(holder map[string]any, op string, ap attrPath, value any) error {
	elems, _ := get(holder, ap.attr).([]any)
	var kept []any
	matched := false
	for _, e := range elems {
		m, ok := e.(map[string]any)
		if !ok || !ap.filter.match(m) {
			kept = append(kept, e)
			continue
		}
		matched = true
		switch {
		case op == "remove" && ap.sub == "":
			continue
		case op == "remove":
			unset(m, ap.sub)
		case ap.sub != "":
			set(m, ap.sub, value)
		default:
			if v, ok := value.(map[string]any); ok {
				for k, x := range v {
					set(m, k, x)
				}
			}
		}
		kept = append(kept, m)
	}
	if !matched {
		return &patchError{"noTarget", "no value matches the path's filter"}
	}
	set(holder, ap.attr, kept)
	return nil
}

// combine is what an add or replace of v leaves where have was: add
// appends to a multi-valued attribute (without repeating a value),
// objects merge by sub-attribute, anything else is replaced.
func combine(op string, have, v any) any {
	if hl, ok := have.([]any); ok && op == "add" {
		if vl, ok := v.([]any); ok {
			for _, x := range vl {
				if !containsValue(hl, x) {
					hl = append(hl, x)
				}
			}
			return hl
		}
	}
	hm, ok1 := have.(map[string]any)
	vm, ok2 := v.(map[string]any)
	if ok1 && ok2 {
		for k, x := range vm {
			set(hm, k, x)
		}
		return hm
	}
	return v
}

func containsValue(list []any, x any) bool {
	xm, _ := x.(map[string]any)
	for _, e := range list {
		em, _ := e.(map[string]any)
		if xm != nil && em != nil && stringOf(get(em, "value")) != "" && stringOf(get(em, "value")) == stringOf(get(xm, "value")) {
			return true
		}
	}
	return false
}

// set writes m's attribute name, replacing it under any case.
func set(m map[string]any, name string, v any) {
	unset(m, name)
	m[name] = v
}

func unset(m map[string]any, name string) {
	for k := range m {
		if strings.EqualFold(k, name) {
			delete(m, k)
		}
	}
}

func deepCopy(m map[string]any) map[string]any {
	raw, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out
}
