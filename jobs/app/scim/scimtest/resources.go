package scimtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// store holds one resource type, in creation order; ids are 1, 2, 3...
type store struct {
	kind  string // "User", "Group"
	order []string
	byID  map[string]map[string]any
	next  int
}

func newStore(kind string) *store {
	return &store{kind: kind, byID: map[string]map[string]any{}}
}

func (st *store) add(r map[string]any) map[string]any {
	st.next++
	id := strconv.Itoa(st.next)
	r["id"] = id
	r["meta"] = map[string]any{"resourceType": st.kind, "created": now(), "lastModified": now(), "location": "/" + st.kind + "s/" + id}
	st.order = append(st.order, id)
	st.byID[id] = r
	return r
}

func (st *store) remove(id string) {
	delete(st.byID, id)
	for i, have := range st.order {
		if have == id {
			st.order = append(st.order[:i], st.order[i+1:]...)
			break
		}
	}
}

// all are the resources matching f (nil: all), in creation order.
func (st *store) all(f filter) []map[string]any {
	var out []map[string]any
	for _, id := range st.order {
		if r := st.byID[id]; f == nil || f.match(r) {
			out = append(out, r)
		}
	}
	return out
}

// resource serves /Users and /Groups, and /Users/{id}, /Groups/{id}.
func (s *Server) resource(w http.ResponseWriter, r *http.Request, st *store, rest []string, body []byte) {
	if len(rest) > 1 {
		writeError(w, http.StatusNotFound, "", "no such endpoint")
		return
	}
	if len(rest) == 0 {
		switch r.Method {
		case http.MethodGet:
			s.list(w, r, st)
		case http.MethodPost:
			s.create(w, st, body)
		default:
			writeError(w, http.StatusMethodNotAllowed, "", "method not allowed")
		}
		return
	}
	id := rest[0]
	s.mu.Lock()
	defer s.mu.Unlock()
	current, ok := st.byID[id]
	if !ok {
		writeError(w, http.StatusNotFound, "", "Resource "+id+" not found")
		return
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, current)
	case http.MethodDelete:
		st.remove(id)
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPut:
		s.put(w, st, current, body)
	case http.MethodPatch:
		s.patch(w, st, current, body)
	default:
		writeError(w, http.StatusMethodNotAllowed, "", "method not allowed")
	}
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, st *store) {
	q := r.URL.Query()
	var f filter
	if raw := q.Get("filter"); raw != "" {
		var err error
		if f, err = parseFilter(raw); err != nil {
			writeError(w, http.StatusBadRequest, "invalidFilter", "cannot read the filter: "+err.Error())
			return
		}
	}
	start := max(atoi(q.Get("startIndex"), 1), 1)
	count := min(max(atoi(q.Get("count"), s.pageCap()), 0), s.pageCap())

	s.mu.Lock()
	defer s.mu.Unlock() // until written: the resources are the store's
	matches := st.all(f)
	page := []map[string]any{}
	if start <= len(matches) {
		page = matches[start-1 : min(start-1+count, len(matches))]
	}
	out := map[string]any{
		"schemas":      []string{"urn:ietf:params:scim:api:messages:2.0:ListResponse"},
		"totalResults": len(matches),
		"startIndex":   start,
		"Resources":    page,
	}
	if len(matches) == 0 && s.opts.OmitEmptyResources {
		delete(out, "Resources")
	}
	if !s.opts.OmitItemsPerPage {
		out["itemsPerPage"] = len(page)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) create(w http.ResponseWriter, st *store, body []byte) {
	r, ok := decodeResource(w, body)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if msg, ok := s.invalid(st, r, ""); !ok {
		writeError(w, http.StatusBadRequest, "invalidValue", msg)
		return
	}
	if s.taken(st, r, "") {
		writeError(w, http.StatusConflict, "uniqueness", "userName is already taken")
		return
	}
	delete(r, "meta")
	made := st.add(r)
	w.Header().Set("Location", s.URL()+"/"+st.kind+"s/"+made["id"].(string))
	writeJSON(w, http.StatusCreated, made)
}

func (s *Server) put(w http.ResponseWriter, st *store, current map[string]any, body []byte) {
	r, ok := decodeResource(w, body)
	if !ok {
		return
	}
	id := current["id"].(string)
	if msg, ok := s.invalid(st, r, id); !ok {
		writeError(w, http.StatusBadRequest, "invalidValue", msg)
		return
	}
	if s.taken(st, r, id) {
		writeError(w, http.StatusConflict, "uniqueness", "userName is already taken")
		return
	}
	r["id"], r["meta"] = id, touched(current["meta"])
	st.byID[id] = r
	writeJSON(w, http.StatusOK, r)
}

// invalid checks the attributes RFC 7643 requires; s.mu is held.
func (s *Server) invalid(st *store, r map[string]any, _ string) (string, bool) {
	switch st.kind {
	case "User":
		if name, _ := get(r, "userName").(string); strings.TrimSpace(name) == "" {
			return "userName is required", false
		}
	case "Group":
		if name, _ := get(r, "displayName").(string); strings.TrimSpace(name) == "" {
			return "displayName is required", false
		}
	}
	return "", true
}

// taken reports a userName already used by another user, compared
// without case (userName is caseExact false, RFC 7643 §4.1.1); s.mu is
// held.
func (s *Server) taken(st *store, r map[string]any, self string) bool {
	if st.kind != "User" {
		return false
	}
	name, _ := get(r, "userName").(string)
	for _, other := range st.all(nil) {
		if other["id"] != self && strings.EqualFold(name, stringOf(get(other, "userName"))) {
			return true
		}
	}
	return false
}

func decodeResource(w http.ResponseWriter, body []byte) (map[string]any, bool) {
	var r map[string]any
	if err := json.Unmarshal(body, &r); err != nil || r == nil {
		writeError(w, http.StatusBadRequest, "invalidSyntax", "the body is not a JSON object")
		return nil, false
	}
	return r, true
}

func touched(meta any) any {
	m, _ := meta.(map[string]any)
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	out["lastModified"] = now()
	return out
}

func atoi(s string, otherwise int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return otherwise
	}
	return n
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}

func parseForm(body []byte) (url.Values, error) { return url.ParseQuery(string(body)) }
