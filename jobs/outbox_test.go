package jobs_test

import (
	"context"
	"io"
	"log"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/jobs/mail"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// smtpServer is an in-process SMTP server that records what it accepts
// and refuses recipients for whom reject returns an error.
type smtpServer struct {
	host   string
	port   int
	reject func(to string) error

	mu    sync.Mutex
	rcpts []string // every RCPT TO seen, accepted or not
	mails [][]byte
}

func startSMTPServer(t *testing.T, reject func(to string) error) *smtpServer {
	t.Helper()
	f := &smtpServer{reject: reject}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{f: f}, nil }))
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
func (f *smtpServer) sender() *mail.Sender {
	return mail.NewSender(mail.Config{Host: f.host, Port: f.port, StartTLS: mail.StartTLSNone, From: "Roster <roster@example.com>"})
}

func (f *smtpServer) seen() (rcpts []string, mails [][]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.rcpts...), append([][]byte(nil), f.mails...)
}

type smtpSession struct {
	f *smtpServer
}

func (s *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.f.mu.Lock()
	s.f.rcpts = append(s.f.rcpts, to)
	s.f.mu.Unlock()
	if s.f.reject != nil {
		return s.f.reject(to)
	}
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.f.mu.Lock()
	s.f.mails = append(s.f.mails, data)
	s.f.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }

// startMailClient runs a River client that sends mail with sender (nil:
// SMTP not configured).
func startMailClient(t *testing.T, db *models.DB, store *models.Store, sender *mail.Sender) {
	t.Helper()
	ctx := context.Background()
	client, closeClient, err := jobs.NewClient(ctx, db, store, jobs.Options{Mail: sender, FetchPollInterval: 100 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(closeClient)
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() { _ = client.Stop(context.Background()) })
}

func welcome(to string) *models.Email {
	return &models.Email{Kind: "welcome", To: []string{to}, Subject: "Welcome to Example",
		TextBody: "Hello Ada", HTMLBody: "<p>Hello <b>Ada</b></p>"}
}

// waitEmail polls until the email has the status or the deadline passes.
func waitEmail(t *testing.T, store *models.Store, id int64, status models.EmailStatus) *models.Email {
	t.Helper()
	var e *models.Email
	require.Eventually(t, func() bool {
		var err error
		e, err = store.EmailByID(context.Background(), id)
		require.NoError(t, err)
		return e.Status == status
	}, 20*time.Second, 50*time.Millisecond, "email %d never became %s", id, status)
	return e
}

func TestQueuedMailIsSent(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		smtpd := startSMTPServer(t, nil)
		startMailClient(t, db, store, smtpd.sender())
		mailer := &jobs.Mailer{Store: store, Configured: true}

		e := welcome("ada@example.com")
		queued, err := mailer.Queue(context.Background(), e)
		require.NoError(t, err)
		require.True(t, queued)

		sent := waitEmail(t, store, e.ID, models.EmailSent)
		require.NotNil(t, sent.SentAt)
		require.Equal(t, 1, sent.Attempts)
		rcpts, mails := smtpd.seen()
		require.Equal(t, []string{"ada@example.com"}, rcpts)
		require.Len(t, mails, 1)
		require.Contains(t, string(mails[0]), "Subject: Welcome to Example")
		require.Contains(t, string(mails[0]), "Message-ID: <roster-email-"+strconv.FormatInt(e.ID, 10)+"@example.com>")
		require.Contains(t, string(mails[0]), "X-Roster-Kind: welcome")
	})
}

func TestRefusedMailFailsWithoutRetry(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		smtpd := startSMTPServer(t, func(string) error {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
		})
		startMailClient(t, db, store, smtpd.sender())
		e := welcome("nobody@example.com")
		_, err := (&jobs.Mailer{Store: store, Configured: true}).Queue(context.Background(), e)
		require.NoError(t, err)

		failed := waitEmail(t, store, e.ID, models.EmailFailed)
		require.Equal(t, 1, failed.Attempts)
		require.Contains(t, failed.LastError, "No such user")
		time.Sleep(500 * time.Millisecond)
		rcpts, mails := smtpd.seen()
		require.Len(t, rcpts, 1, "a 550 is not retried")
		require.Empty(t, mails)
	})
}

func TestTemporaryFailureStaysPendingAndRetries(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		var mu sync.Mutex
		refusals := 1
		smtpd := startSMTPServer(t, func(string) error {
			mu.Lock()
			defer mu.Unlock()
			if refusals > 0 {
				refusals--
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
			}
			return nil
		})
		startMailClient(t, db, store, smtpd.sender())
		e := welcome("ada@example.com")
		_, err := (&jobs.Mailer{Store: store, Configured: true}).Queue(context.Background(), e)
		require.NoError(t, err)

		require.Eventually(t, func() bool {
			got, err := store.EmailByID(context.Background(), e.ID)
			require.NoError(t, err)
			return got.Attempts == 1
		}, 20*time.Second, 50*time.Millisecond)
		got, err := store.EmailByID(context.Background(), e.ID)
		require.NoError(t, err)
		require.Equal(t, models.EmailPending, got.Status, "a 451 leaves the email pending")
		require.Contains(t, got.LastError, "Try again later")
		// River's first retry comes after about a second.
		sent := waitEmail(t, store, e.ID, models.EmailSent)
		require.Equal(t, 2, sent.Attempts)
		require.Empty(t, sent.LastError)
	})
}

func TestUnconfiguredMailStaysInTheOutboxUntilSMTPIsSet(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		// A first run without SMTP: the email waits, with no job.
		_, closeClient, err := jobs.NewClient(ctx, db, store, jobs.Options{})
		require.NoError(t, err)
		e := welcome("ada@example.com")
		queued, err := (&jobs.Mailer{Store: store}).Queue(ctx, e)
		require.NoError(t, err)
		require.True(t, queued)
		closeClient()
		require.Equal(t, 0, countJobs(t, db, jobs.SendEmailArgs{}.Kind()), "no job without SMTP")
		got, err := store.EmailByID(ctx, e.ID)
		require.NoError(t, err)
		require.Equal(t, models.EmailPending, got.Status)

		// The next start has SMTP: the flush at start sends it.
		smtpd := startSMTPServer(t, nil)
		startMailClient(t, db, store, smtpd.sender())
		waitEmail(t, store, e.ID, models.EmailSent)
		_, mails := smtpd.seen()
		require.Len(t, mails, 1)
	})
}
