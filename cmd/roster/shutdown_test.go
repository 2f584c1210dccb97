package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

// syncBuffer collects the server's log; the server writes from its own
// goroutines while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// freeAddr returns a loopback address whose port nobody listens on at the
// moment. The base URL must be known before the server starts (it goes
// into sign-in links and the SSO callback), so port 0 will not do.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// testServer is `roster serve` running in-process.
type testServer struct {
	URL string      // base URL, http://127.0.0.1:PORT
	Log *syncBuffer // stderr: the slog lines

	cancel   context.CancelFunc
	done     chan int
	stopOnce sync.Once
	code     int
}

// startServer runs `roster serve` with env (plus ROSTER_ADDR on a free
// port when env has none) and waits until /readyz answers 200. The server
// is stopped when the test ends; its log is printed if the test failed.
func startServer(t *testing.T, env map[string]string) *testServer {
	t.Helper()
	env = copyEnv(env)
	if env["ROSTER_ADDR"] == "" {
		env["ROSTER_ADDR"] = freeAddr(t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &testServer{URL: "http://" + env["ROSTER_ADDR"], Log: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	go func() { s.done <- run(ctx, nil, env, nil, s.Log, s.Log) }()
	t.Cleanup(func() {
		s.Stop(t, time.Minute)
		if t.Failed() {
			t.Logf("server log:\n%s", s.Log)
		}
	})

	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case code := <-s.done:
			s.done <- code
			t.Fatalf("roster serve exited with %d before it was ready; log:\n%s", code, s.Log)
		default:
		}
		if resp, err := client.Get(s.URL + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("roster serve was not ready within 30s; log:\n%s", s.Log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop cancels the server's context, as SIGTERM does, and returns its exit
// code. The test fails if run has not returned within wait.
func (s *testServer) Stop(t testing.TB, wait time.Duration) int {
	t.Helper()
	s.stopOnce.Do(func() {
		s.cancel()
		select {
		case s.code = <-s.done:
		case <-time.After(wait):
			s.code = -1
			t.Errorf("roster serve did not return within %s of being stopped", wait)
		}
	})
	return s.code
}

// exited reports whether run has returned without being stopped.
func (s *testServer) exited() bool {
	select {
	case code := <-s.done:
		s.done <- code
		return true
	default:
		return false
	}
}

func copyEnv(env map[string]string) map[string]string {
	c := make(map[string]string, len(env)+1)
	for k, v := range env {
		c[k] = v
	}
	return c
}

// slowUpload starts a form POST on a connection of its own and sends its
// headers and the first part of its body, then leaves the rest for later:
// the request is in flight, its handler (the CSRF check) waiting for the
// body. The returned func sends the rest and reads the answer.
func slowUpload(t *testing.T, baseURL string) (finish func() (*http.Response, error)) {
	t.Helper()
	u, err := url.Parse(baseURL)
	require.NoError(t, err)
	conn, err := net.Dial("tcp", u.Host)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	first, rest := "a=1", "&b=2"
	_, err = fmt.Fprintf(conn, "POST /logout HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Content-Length: %d\r\nConnection: close\r\n\r\n%s", u.Host, len(first)+len(rest), first)
	require.NoError(t, err)
	// Give the server a moment to read the headers and call the handler;
	// only then is the connection active rather than new.
	time.Sleep(200 * time.Millisecond)
	return func() (*http.Response, error) {
		if _, err := io.WriteString(conn, rest); err != nil {
			return nil, err
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err == nil {
			resp.Body.Close()
		}
		return resp, err
	}
}

func TestServeStopsOnCancel(t *testing.T) {
	t.Parallel()
	srv := startServer(t, sqliteEnv(t, map[string]string{"ROSTER_SHUTDOWN_TIMEOUT": "5s"}))
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(srv.URL + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	finish := slowUpload(t, srv.URL)

	stopped := time.Now()
	srv.cancel()
	time.Sleep(300 * time.Millisecond)
	assert.False(t, srv.exited(), "run returned while a request was in flight")
	_, err = client.Get(srv.URL + "/healthz")
	assert.Error(t, err, "new connections are refused once shutdown began")
	resp, err = finish()
	require.NoError(t, err, "the request in flight gets no answer")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "the request in flight is answered (403: it had no CSRF token)")

	assert.Equal(t, exitOK, srv.Stop(t, 5*time.Second+2*time.Second))
	assert.Less(t, time.Since(stopped), 5*time.Second, "shutdown took the whole timeout")
	_, err = client.Get(srv.URL + "/healthz")
	assert.Error(t, err, "/healthz still answers after run returned")

	log := srv.Log.String()
	assert.Contains(t, log, `msg="roster is running"`)
	assert.Contains(t, log, `msg="shutting down"`)
	assert.Contains(t, log, "msg=stopped")
	assert.Contains(t, log, `msg="River client stopped"`)
	assert.NotContains(t, log, "level=ERROR")
	assert.NotContains(t, log, "still running at the shutdown timeout")
}

func TestServeShutdownTimeout(t *testing.T) {
	t.Parallel()
	srv := startServer(t, sqliteEnv(t, map[string]string{"ROSTER_SHUTDOWN_TIMEOUT": "1s"}))
	slowUpload(t, srv.URL) // never finished

	stopped := time.Now()
	assert.Equal(t, exitOK, srv.Stop(t, 10*time.Second), "a request cut off at the timeout is no failure")
	elapsed := time.Since(stopped)
	assert.GreaterOrEqual(t, elapsed, time.Second, "run returned before the shutdown timeout")
	assert.Less(t, elapsed, 5*time.Second)
	assert.Contains(t, srv.Log.String(), "requests still open at the shutdown timeout")
	assert.Contains(t, srv.Log.String(), "msg=stopped")
}

// loginLinkRE finds the owner's sign-in link in the bootstrap log line.
var loginLinkRE = regexp.MustCompile(`link=(http://127\.0\.0\.1:\d+/login/link/[A-Za-z0-9_-]{40,})`)

func TestServeBootstrapsTheFirstOwner(t *testing.T) {
	t.Parallel()
	env := sqliteEnv(t, map[string]string{"ROSTER_OWNER_EMAIL": "Boss@Example.com"})

	srv := startServer(t, env)
	log := srv.Log.String()
	require.Contains(t, log, "no admins yet")
	assert.Contains(t, log, "owner=boss@example.com")
	m := loginLinkRE.FindStringSubmatch(log)
	require.NotNil(t, m, "no sign-in link in the log")
	link := m[1]
	require.True(t, strings.HasPrefix(link, srv.URL+"/login/link/"), "link %s is not on %s", link, srv.URL)
	assert.Equal(t, 1, strings.Count(log, "/login/link/"), "one link, logged once")

	// The link signs the owner in.
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	page := getPage(t, browser, link)
	assert.Contains(t, page, `data-testid="link-email">boss@example.com<`)
	token := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(page)
	require.NotNil(t, token, "no CSRF field on the link page")
	resp, err := browser.PostForm(link, url.Values{"_csrf": {token[1]}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "after the redirect to the dashboard")
	assert.Equal(t, "/", resp.Request.URL.Path)
	assert.Contains(t, getPage(t, browser, srv.URL+"/"), `data-testid="dashboard-empty"`)
	require.Equal(t, exitOK, srv.Stop(t, 30*time.Second))

	// A second start finds an owner and makes no other.
	again := startServer(t, env)
	require.Equal(t, exitOK, again.Stop(t, 30*time.Second))
	assert.NotContains(t, again.Log.String(), "no admins yet")
	assert.NotContains(t, again.Log.String(), "/login/link/")

	db, err := models.Open(context.Background(), env["ROSTER_DATABASE_URL"])
	require.NoError(t, err)
	defer db.Close()
	admins, err := models.NewStore(db).ListAdmins(context.Background())
	require.NoError(t, err)
	require.Len(t, admins, 1)
	assert.Equal(t, "boss@example.com", admins[0].Email)
	assert.Equal(t, models.RoleOwner, admins[0].Role)
	assert.NotNil(t, admins[0].LastLoginAt, "the link was used")
}

// getPage fetches a page that must answer 200 and returns its HTML.
func getPage(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s: %s", u, b)
	return string(b)
}
