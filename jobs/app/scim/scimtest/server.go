// Package scimtest is an in-memory SCIM 2.0 service provider (RFC 7643,
// RFC 7644) for tests, on an httptest server listening on 127.0.0.1.
//
// It serves /ServiceProviderConfig, /Users and /Groups under URL(): list
// with filters (eq, ne, co, sw, ew, pr, and, or, not, value paths such as
// emails[type eq "work"].value; attribute names and userName compare
// without case), paging with startIndex and count, POST, GET, PUT, PATCH
// and DELETE. Options switch on the habits of real servers: no PATCH,
// short pages, no Resources when there are none, a required bearer token,
// OAuth client credentials. Queue forces the next answers to a route, for
// rate limits, outages and slow answers. Count and Requests say what the
// client sent.
//
// It follows the RFCs where a test needs them, not everywhere: there is no
// /Bulk, /Schemas, sorting, ETags or attribute selection.
package scimtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BasePath is where the SCIM endpoints are served; URL() includes it.
const BasePath = "/scim/v2"

// TokenPath is the OAuth token endpoint, outside BasePath as on most
// identity providers.
const TokenPath = "/oauth2/token"

// Options are the habits of the server.
type Options struct {
	// Token, when set, is the bearer token every SCIM request must carry.
	Token string
	// OAuth, when set, serves TokenPath for the client credentials grant
	// and accepts the access tokens it issued (besides Token, if set).
	OAuth *Credentials
	// NoPatch makes the ServiceProviderConfig say patch is unsupported
	// and PATCH answer 501 Not Implemented.
	NoPatch bool
	// NoServiceProviderConfig makes /ServiceProviderConfig answer 404.
	NoServiceProviderConfig bool
	// MaxPageSize caps count: pages are smaller than asked. 0 means 1000.
	MaxPageSize int
	// OmitEmptyResources leaves Resources out of a list with no results.
	OmitEmptyResources bool
	// OmitItemsPerPage leaves itemsPerPage out of lists.
	OmitItemsPerPage bool
	// EchoCredentials puts the presented bearer token in the detail of a
	// 401, as careless servers do, so tests can check it is redacted.
	EchoCredentials bool
}

// Credentials of an OAuth client.
type Credentials struct {
	ClientID     string
	ClientSecret string
}

// Reply is a forced answer; see Server.Queue.
type Reply struct {
	Status   int
	Header   map[string]string // such as "Retry-After": "30"
	SCIMType string            // with Detail, makes an RFC 7644 §3.12 error body
	Detail   string
	Body     string // a raw body instead of the error body
	// Hold, when not nil, delays the answer until it is closed or the
	// client gives up (its request context ends), for timeout tests.
	Hold <-chan struct{}
	// Arrived, when not nil, is closed when the request comes in, so a
	// test can act while the server holds the answer.
	Arrived chan<- struct{}
}

// Request is one request the server received.
type Request struct {
	Method string
	Path   string // relative to BasePath for SCIM endpoints, such as "/Users/3"; TokenPath as is
	Query  string
	Header http.Header
	Body   []byte
}

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	opts Options
	srv  *httptest.Server

	mu       sync.Mutex
	users    *store
	groups   *store
	queued   map[string][]Reply
	requests []Request
	issued   map[string]bool // OAuth access tokens
}

// New starts a server on 127.0.0.1 and stops it when the test ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{
		opts:   opts,
		users:  newStore("User"),
		groups: newStore("Group"),
		queued: map[string][]Reply{},
		issued: map[string]bool{},
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("scimtest: listen: %v", err)
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.srv.Listener.Close()
	s.srv.Listener = l
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the SCIM base URL, such as http://127.0.0.1:41234/scim/v2.
func (s *Server) URL() string { return s.srv.URL + BasePath }

// TokenURL is the OAuth token endpoint.
func (s *Server) TokenURL() string { return s.srv.URL + TokenPath }

// Queue forces the next answers to method and path (relative to BasePath,
// without the query, such as "/Users" or "/Users/3"; "*" matches any
// method or any path), one reply per matching request, in order. Once
// they are used up the server answers normally again.
func (s *Server) Queue(method, path string, replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := method + " " + path
	s.queued[key] = append(s.queued[key], replies...)
}

// Count is how many requests came for method and path ("*" matches any
// method or any path).
func (s *Server) Count(method, path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if (method == "*" || r.Method == method) && (path == "*" || r.Path == path) {
			n++
		}
	}
	return n
}

// Requests are the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	path := r.URL.Path
	if p, ok := strings.CutPrefix(path, BasePath); ok && path != TokenPath {
		path = p
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
	reply, forced := s.dequeue(r.Method, path)
	s.mu.Unlock()

	if forced {
		s.force(w, r, reply)
		return
	}
	if r.URL.Path == TokenPath && s.opts.OAuth != nil {
		s.token(w, r, body)
		return
	}
	if !strings.HasPrefix(r.URL.Path, BasePath+"/") {
		writeError(w, http.StatusNotFound, "", "no such endpoint")
		return
	}
	if !s.authorized(w, r) {
		return
	}
	s.route(w, r, path, body)
}

// dequeue takes the first queued reply for the request; s.mu is held.
func (s *Server) dequeue(method, path string) (Reply, bool) {
	for _, key := range []string{method + " " + path, method + " *", "* " + path, "* *"} {
		if q := s.queued[key]; len(q) > 0 {
			s.queued[key] = q[1:]
			return q[0], true
		}
	}
	return Reply{}, false
}

func (s *Server) force(w http.ResponseWriter, r *http.Request, reply Reply) {
	if reply.Arrived != nil {
		close(reply.Arrived)
	}
	if reply.Hold != nil {
		select {
		case <-reply.Hold:
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range reply.Header {
		w.Header().Set(k, v)
	}
	if reply.Body != "" || (reply.SCIMType == "" && reply.Detail == "") {
		w.WriteHeader(reply.Status)
		_, _ = io.WriteString(w, reply.Body)
		return
	}
	writeError(w, reply.Status, reply.SCIMType, reply.Detail)
}

// authorized checks the bearer token when the server requires one.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.Token == "" && s.opts.OAuth == nil {
		return true
	}
	presented, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	valid := ok && presented != "" && (presented == s.opts.Token || s.issued[presented])
	s.mu.Unlock()
	if valid {
		return true
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="scimtest"`)
	detail := "a valid bearer token is required"
	if s.opts.EchoCredentials {
		detail = fmt.Sprintf("the token %q is not valid (Authorization: %s)", presented, r.Header.Get("Authorization"))
	}
	writeError(w, http.StatusUnauthorized, "", detail)
	return false
}

// token serves the client credentials grant (RFC 6749 §4.4), with the
// client authenticated by HTTP Basic or by form parameters.
func (s *Server) token(w http.ResponseWriter, r *http.Request, body []byte) {
	form, _ := parseForm(body)
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodPost || form.Get("grant_type") != "client_credentials" {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"unsupported_grant_type"}`)
		return
	}
	if id != s.opts.OAuth.ClientID || secret != s.opts.OAuth.ClientSecret {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"invalid_client","error_description":"unknown client or wrong secret"}`)
		return
	}
	tok := "at-" + randomHex(16)
	s.mu.Lock()
	s.issued[tok] = true
	s.mu.Unlock()
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600, "scope": form.Get("scope")})
}

// AccessTokens are the OAuth access tokens issued so far.
func (s *Server) AccessTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for t := range s.issued {
		out = append(out, t)
	}
	return out
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, path string, body []byte) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) == 1 && strings.EqualFold(parts[0], "ServiceProviderConfig") && r.Method == http.MethodGet:
		s.serviceProviderConfig(w)
	case strings.EqualFold(parts[0], "Users"):
		s.resource(w, r, s.users, parts[1:], body)
	case strings.EqualFold(parts[0], "Groups"):
		s.resource(w, r, s.groups, parts[1:], body)
	default:
		writeError(w, http.StatusNotFound, "", "no such endpoint")
	}
}

func (s *Server) serviceProviderConfig(w http.ResponseWriter) {
	if s.opts.NoServiceProviderConfig {
		writeError(w, http.StatusNotFound, "", "no such endpoint")
		return
	}
	scheme := map[string]any{"type": "oauthbearertoken", "name": "OAuth Bearer Token", "description": "Authentication with a bearer token", "primary": true}
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":               []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"patch":                 map[string]any{"supported": !s.opts.NoPatch},
		"bulk":                  map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":                map[string]any{"supported": true, "maxResults": s.pageCap()},
		"changePassword":        map[string]any{"supported": false},
		"sort":                  map[string]any{"supported": false},
		"etag":                  map[string]any{"supported": false},
		"authenticationSchemes": []any{scheme},
	})
}

func (s *Server) pageCap() int {
	if s.opts.MaxPageSize > 0 {
		return s.opts.MaxPageSize
	}
	return 1000
}

// writeError writes RFC 7644 §3.12's error body.
func writeError(w http.ResponseWriter, status int, scimType, detail string) {
	body := map[string]any{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:Error"},
		"status":  strconv.Itoa(status),
		"detail":  detail,
	}
	if scimType != "" {
		body["scimType"] = scimType
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func now() string { return time.Now().UTC().Format(time.RFC3339) }
