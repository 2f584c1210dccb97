package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/jobs/app/outbound"
	"github.com/rosterhq/roster/jobs/app/webhook"
	"github.com/rosterhq/roster/jobs/hrsync"
	"github.com/rosterhq/roster/jobs/mail"
	"github.com/rosterhq/roster/jobs/planner"
)

// This file holds what the whole-loop browser test needs beyond the
// harness in server_test.go: a started job runner wired as `roster serve`
// wires it, the two outside systems faked at the network edge (a webhook
// receiver and an SMTP server). Headless Chromium and the page helpers
// are in web/browsertest.

// withJobRunner replaces the harness's idle job client with a started one
// running every worker, and wires planning, imports and decisions as
// cmd/roster's services() does: applied imports re-plan the people they
// touched, and auto-approving rules approve as they plan. opts.Sealer is
// the server's.
func withJobRunner(t *testing.T, opts jobs.Options) serverOption {
	return func(s *serverSetup) {
		ctx := context.Background()
		store := s.deps.Store
		opts.Sealer = s.deps.Sealer
		opts.Outbound = outbound.Loopback() // receivers are httptest servers
		client, closeJobs, err := jobs.NewClient(ctx, s.deps.DB, store, opts)
		require.NoError(t, err)
		t.Cleanup(closeJobs)
		decisions := &jobs.Decisions{Store: store}
		plan := planner.New(store)
		plan.Approve = decisions.AutoApprove
		s.deps.Planner = plan
		s.deps.Importer = &jobs.Imports{Syncer: &hrsync.Syncer{Store: store, PlanLater: (&jobs.Planning{Store: store}).PlanSyncRun}}
		s.deps.Decider = decisions
		s.deps.Reconciles = &jobs.Reconciles{Store: store}
		s.deps.MailConfigured = opts.Mail != nil
		require.NoError(t, client.Start(ctx))
		t.Cleanup(func() {
			stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = client.Stop(stopCtx)
		})
	}
}

// quietLogger drops the job runner's log lines.
func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// hookCall is one request the webhook receiver got.
type hookCall struct {
	Key         string // Idempotency-Key header
	BodyID      string // the body's id
	Op          string
	EmployeeID  string
	Entitlement string // the entitlement's key, "" for account operations
	Signed      bool   // Verify accepted the signature
	Status      int    // what the receiver answered
}

// hookReceiver is an app's webhook endpoint: it verifies every request
// with the signing secret Roster made (given to it once the app is
// connected, as an admin would paste it), records it, and answers 503 to
// the first attempt of the first create_account so Roster has to retry.
type hookReceiver struct {
	URL string

	mu       sync.Mutex
	secret   string
	failOnce bool
	calls    []hookCall
}

func startHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	h := &hookReceiver{failOnce: true}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	h.URL = srv.URL + "/hooks/roster"
	return h
}

// setSecret is the admin pasting the app's signing secret into the
// receiver's configuration.
func (h *hookReceiver) setSecret(secret string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.secret = secret
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var p webhook.Payload
	_ = json.Unmarshal(body, &p)
	h.mu.Lock()
	defer h.mu.Unlock()
	c := hookCall{Key: r.Header.Get(webhook.HeaderIdempotencyKey), BodyID: p.ID, Op: p.Op, EmployeeID: p.Person.EmployeeID,
		Signed: h.secret != "" && webhook.Verify(h.secret, r.Header, body, time.Now(), 0) == nil}
	if p.Entitlement != nil {
		c.Entitlement = p.Entitlement.Key
	}
	switch {
	case !c.Signed:
		c.Status = http.StatusUnauthorized
	case h.failOnce && c.Op == "create_account":
		h.failOnce = false
		c.Status = http.StatusServiceUnavailable
	default:
		c.Status = http.StatusOK
	}
	h.calls = append(h.calls, c)
	w.WriteHeader(c.Status)
	_, _ = io.WriteString(w, `{"ok":`+strconv.FormatBool(c.Status == http.StatusOK)+`}`)
}

// Calls returns every request so far, in arrival order.
func (h *hookReceiver) Calls() []hookCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookCall(nil), h.calls...)
}

// accepted returns the calls answered 200 for this employee, keyed by
// "op entitlement".
func accepted(calls []hookCall, employeeID string) map[string]hookCall {
	out := map[string]hookCall{}
	for _, c := range calls {
		if c.Status == http.StatusOK && c.EmployeeID == employeeID {
			out[strings.TrimSpace(c.Op+" "+c.Entitlement)] = c
		}
	}
	return out
}

// smtpMail is one message the fake SMTP server accepted.
type smtpMail struct {
	To   []string
	Data string
}

// fakeSMTP is an in-process SMTP server on 127.0.0.1 that records what it
// accepts (a trimmed copy of the one in jobs/outbox_test.go, which lives
// in another package's tests).
type fakeSMTP struct {
	host string
	port int

	mu    sync.Mutex
	mails []smtpMail
}

func startFakeSMTP(t *testing.T) *fakeSMTP {
	t.Helper()
	f := &fakeSMTP{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &fakeSMTPSession{f: f}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	host, port, err := net.SplitHostPort(ln.Addr().String())
	require.NoError(t, err)
	f.host = host
	f.port, err = strconv.Atoi(port)
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return f
}

// sender sends to the server in clear, as to a relay on localhost.
func (f *fakeSMTP) sender() *mail.Sender {
	return mail.NewSender(mail.Config{Host: f.host, Port: f.port, StartTLS: mail.StartTLSNone, From: "Roster <roster@example.com>"})
}

// Mails returns the accepted messages so far.
func (f *fakeSMTP) Mails() []smtpMail {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]smtpMail(nil), f.mails...)
}

type fakeSMTPSession struct {
	f  *fakeSMTP
	to []string
}

func (s *fakeSMTPSession) Mail(string, *smtp.MailOptions) error { return nil }

func (s *fakeSMTPSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *fakeSMTPSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.f.mu.Lock()
	s.f.mails = append(s.f.mails, smtpMail{To: s.to, Data: string(data)})
	s.f.mu.Unlock()
	return nil
}

func (s *fakeSMTPSession) Reset()        { s.to = nil }
func (s *fakeSMTPSession) Logout() error { return nil }
