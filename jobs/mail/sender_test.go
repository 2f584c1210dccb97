package mail

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func send(t *testing.T, cfg Config, m Message) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	return NewSender(cfg).Send(ctx, m)
}

func TestSendTextAndHTML(t *testing.T) {
	t.Parallel()
	srv := startSMTP(t)
	m := Message{
		To:      []string{"Zoë Weber <zoe@example.com>", "hr@example.com"},
		Cc:      []string{"IT <it@example.com>"},
		Subject: "Willkommen, Zoë",
		Text:    "Hallo Zoë,\n\nwillkommen im Team! " + strings.Repeat("Ein langer Satz mit Umlauten äöü. ", 5),
		HTML:    "<p>Hallo Zoë,</p><p>willkommen im Team!</p>",
		Headers: map[string]string{"X-Roster-Message-ID": "42"},
		// No "@": the From domain is added.
		MessageID: "outbox-42",
	}
	require.NoError(t, send(t, srv.Config(StartTLSNone), m))

	mails := srv.Mails()
	require.Len(t, mails, 1)
	got := mails[0]
	assert.Equal(t, "roster@example.com", got.From)
	assert.Equal(t, []string{"zoe@example.com", "hr@example.com", "it@example.com"}, got.To)
	assert.False(t, got.TLS)

	msg, err := netmail.ReadMessage(bytes.NewReader(got.Data))
	require.NoError(t, err)
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	require.NoError(t, err)
	assert.Equal(t, "Willkommen, Zoë", subject)
	assert.NotContains(t, msg.Header.Get("Subject"), "ë", "the raw header must be RFC 2047 encoded")

	from, err := msg.Header.AddressList("From")
	require.NoError(t, err)
	assert.Equal(t, []*netmail.Address{{Name: "Roster", Address: "roster@example.com"}}, from)
	to, err := msg.Header.AddressList("To")
	require.NoError(t, err)
	assert.Equal(t, []*netmail.Address{{Name: "Zoë Weber", Address: "zoe@example.com"}, {Address: "hr@example.com"}}, to)
	cc, err := msg.Header.AddressList("Cc")
	require.NoError(t, err)
	assert.Equal(t, []*netmail.Address{{Name: "IT", Address: "it@example.com"}}, cc)
	assert.Empty(t, msg.Header.Get("Bcc"))
	assert.Equal(t, "<outbox-42@example.com>", msg.Header.Get("Message-Id"))
	assert.Equal(t, "42", msg.Header.Get("X-Roster-Message-ID"))
	_, err = msg.Header.Date()
	assert.NoError(t, err)

	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/alternative", mediaType)
	parts := multipart.NewReader(msg.Body, params["boundary"])
	assertPart(t, parts, "text/plain", m.Text)
	assertPart(t, parts, "text/html", m.HTML)
	_, err = parts.NextPart()
	assert.ErrorIs(t, err, io.EOF, "exactly two parts")
}

// assertPart reads the next part; multipart decodes quoted-printable.
func assertPart(t *testing.T, parts *multipart.Reader, wantType, wantBody string) {
	t.Helper()
	part, err := parts.NextPart()
	require.NoError(t, err)
	mediaType, params, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
	require.NoError(t, err)
	assert.Equal(t, wantType, mediaType)
	assert.Equal(t, "utf-8", strings.ToLower(params["charset"]))
	body, err := io.ReadAll(part)
	require.NoError(t, err)
	assert.Equal(t, wantBody, strings.ReplaceAll(string(body), "\r\n", "\n"))
}

func TestSendTextOnly(t *testing.T) {
	t.Parallel()
	srv := startSMTP(t)
	require.NoError(t, send(t, srv.Config(StartTLSNone), Message{To: []string{"zoe@example.com"}, Subject: "Hi", Text: "Hello"}))

	mails := srv.Mails()
	require.Len(t, mails, 1)
	msg, err := netmail.ReadMessage(bytes.NewReader(mails[0].Data))
	require.NoError(t, err)
	mediaType, _, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	require.NoError(t, err)
	assert.Equal(t, "text/plain", mediaType)
	assert.Regexp(t, `^<[^<>@]+@[^<>@]+>$`, msg.Header.Get("Message-Id"), "a random id when the outbox gives none")
}

func TestSendAuth(t *testing.T) {
	t.Parallel()
	// A relay on localhost may take AUTH PLAIN without TLS; go-mail allows
	// that for localhost only.
	srv := startSMTP(t, withAuth("roster", "p@ss:w0rd"), withInsecureAuth())
	cfg := srv.Config(StartTLSNone)
	cfg.Username, cfg.Password = "roster", "p@ss:w0rd"
	require.NoError(t, send(t, cfg, validMessage()))
	mails := srv.Mails()
	require.Len(t, mails, 1)
	assert.Equal(t, "roster", mails[0].User)
}

func TestSendAuthFailureIsTemporary(t *testing.T) {
	t.Parallel()
	srv := startSMTP(t, withAuth("roster", "right"), withInsecureAuth())
	cfg := srv.Config(StartTLSNone)
	cfg.Username, cfg.Password = "roster", "wrong-hunter2"
	err := send(t, cfg, validMessage())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "535")
	// Bad credentials fail every message alike: keep them for after the fix.
	assert.False(t, IsPermanent(err), err)
	assert.NotContains(t, err.Error(), "hunter2")
	assert.Empty(t, srv.Mails())
}

func TestSendWithoutCredentialsToAuthServer(t *testing.T) {
	t.Parallel()
	srv := startSMTP(t, withAuth("roster", "pw"), withInsecureAuth())
	err := send(t, srv.Config(StartTLSNone), validMessage())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "502")
	// A 5xx to MAIL FROM rejects the configuration, not this message.
	assert.False(t, IsPermanent(err), err)
}

func TestSendStartTLS(t *testing.T) {
	t.Parallel()
	cert := newTestCert(t)
	// No insecure auth: the password is accepted only after STARTTLS.
	srv := startSMTP(t, withStartTLS(cert.Cert), withAuth("roster", "pw"))
	cfg := srv.Config(StartTLSRequired)
	cfg.Username, cfg.Password, cfg.RootCAs = "roster", "pw", cert.Pool
	require.NoError(t, send(t, cfg, validMessage()))
	mails := srv.Mails()
	require.Len(t, mails, 1)
	assert.True(t, mails[0].TLS)
	assert.Equal(t, "roster", mails[0].User)
}

func TestSendStartTLSOpportunistic(t *testing.T) {
	t.Parallel()
	cert := newTestCert(t)
	withTLS := startSMTP(t, withStartTLS(cert.Cert))
	withoutTLS := startSMTP(t)

	cfg := withTLS.Config(StartTLSOpportunistic)
	cfg.RootCAs = cert.Pool
	require.NoError(t, send(t, cfg, validMessage()))
	require.Len(t, withTLS.Mails(), 1)
	assert.True(t, withTLS.Mails()[0].TLS, "upgrades when offered")

	require.NoError(t, send(t, withoutTLS.Config(StartTLSOpportunistic), validMessage()))
	require.Len(t, withoutTLS.Mails(), 1)
	assert.False(t, withoutTLS.Mails()[0].TLS, "carries on in clear when not")
}

func TestSendStartTLSRequiredButNotOffered(t *testing.T) {
	t.Parallel()
	srv := startSMTP(t, withAuth("roster", "pw"), withInsecureAuth())
	cfg := srv.Config(StartTLSRequired)
	cfg.Username, cfg.Password = "roster", "pw"
	err := send(t, cfg, validMessage())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "STARTTLS")
	assert.False(t, IsPermanent(err), err)
	assert.Empty(t, srv.Mails())
}

func TestSendImplicitTLS(t *testing.T) {
	t.Parallel()
	cert := newTestCert(t)
	srv := startSMTPS(t, cert.Cert, withAuth("roster", "pw"))
	cfg := srv.Config(StartTLSRequired)
	cfg.ImplicitTLS = true
	cfg.Username, cfg.Password, cfg.RootCAs = "roster", "pw", cert.Pool
	require.NoError(t, send(t, cfg, validMessage()))
	mails := srv.Mails()
	require.Len(t, mails, 1)
	assert.True(t, mails[0].TLS)
	assert.Equal(t, "roster", mails[0].User, "PLAIN is chosen on an smtps:// connection")
}

func TestSendVerifiesCertificates(t *testing.T) {
	t.Parallel()
	cert := newTestCert(t)
	starttls := startSMTP(t, withStartTLS(cert.Cert))
	implicit := startSMTPS(t, cert.Cert)
	implicitCfg := implicit.Config(StartTLSRequired)
	implicitCfg.ImplicitTLS = true

	for name, cfg := range map[string]Config{"starttls": starttls.Config(StartTLSRequired), "smtps": implicitCfg} {
		// Without the test CA the chain is unknown: refused, and temporary
		// because fixing the configuration fixes it.
		err := send(t, cfg, validMessage())
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "certificate", name)
		assert.False(t, IsPermanent(err), name)

		// ?insecure=true is the testing escape hatch.
		cfg.InsecureSkipVerify = true
		require.NoError(t, send(t, cfg, validMessage()), name)
	}
	assert.Len(t, starttls.Mails(), 1)
	assert.Len(t, implicit.Mails(), 1)
}

func TestSendClassifiesRejections(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		opt       fakeOption
		wantCode  string
		permanent bool
	}{
		{
			name:      "550 unknown recipient",
			opt:       withRcpt(rejectRcpt("gone@example.com", 550, smtp.EnhancedCode{5, 1, 1}, "No such user")),
			wantCode:  "550",
			permanent: true,
		},
		{
			name:      "451 greylisted",
			opt:       withRcpt(rejectRcpt("gone@example.com", 451, smtp.EnhancedCode{4, 7, 1}, "Greylisted, try again")),
			wantCode:  "451",
			permanent: false,
		},
		{
			name:      "452 mailbox full",
			opt:       withRcpt(rejectRcpt("gone@example.com", 452, smtp.EnhancedCode{4, 2, 2}, "Mailbox full")),
			wantCode:  "452",
			permanent: false,
		},
		{
			name:      "554 after DATA",
			opt:       withData(func() error { return smtpReply(554, smtp.EnhancedCode{5, 7, 1}, "Message rejected as spam") }),
			wantCode:  "554",
			permanent: true,
		},
		{
			name:      "421 after DATA",
			opt:       withData(func() error { return smtpReply(421, smtp.EnhancedCode{4, 3, 0}, "Try later") }),
			wantCode:  "421",
			permanent: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startSMTP(t, tt.opt)
			m := validMessage()
			m.To = []string{"zoe@example.com", "gone@example.com"}
			err := send(t, srv.Config(StartTLSNone), m)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantCode)
			assert.Equal(t, tt.permanent, IsPermanent(err), err)
			assert.Empty(t, srv.Mails())
		})
	}
}

func rejectRcpt(addr string, code int, enhanced smtp.EnhancedCode, msg string) func(string) error {
	return func(to string) error {
		if to == addr {
			return smtpReply(code, enhanced, msg)
		}
		return nil
	}
}

func TestSendInvalidMessageIsPermanent(t *testing.T) {
	t.Parallel()
	// Nothing listens there: Validate must fail before any dialling.
	cfg := Config{Host: "127.0.0.1", Port: closedPort(t), StartTLS: StartTLSNone, From: testFrom}
	m := validMessage()
	m.To = []string{"not an address"}
	err := send(t, cfg, m)
	require.Error(t, err)
	assert.True(t, IsPermanent(err), err)
	assert.Contains(t, err.Error(), "invalid message")
}

func TestSendServerNeverAnswers(t *testing.T) {
	t.Parallel()
	host, port := startSilent(t)
	cfg := Config{Host: host, Port: port, StartTLS: StartTLSNone, From: testFrom}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := NewSender(cfg).Send(ctx, validMessage())
	require.Error(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, IsPermanent(err), err)
}

func TestSendCancelled(t *testing.T) {
	t.Parallel()
	host, port := startSilent(t)
	cfg := Config{Host: host, Port: port, StartTLS: StartTLSNone, From: testFrom}
	// No deadline: only cancellation (a shutting-down worker) can stop the
	// wait for the greeting before DefaultTimeout.
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	err := NewSender(cfg).Send(ctx, validMessage())
	require.Error(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, IsPermanent(err), err)
}

func TestSendConnectionRefused(t *testing.T) {
	t.Parallel()
	cfg := Config{Host: "127.0.0.1", Port: closedPort(t), StartTLS: StartTLSNone, From: testFrom}
	err := send(t, cfg, validMessage())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "connection refused")
	assert.False(t, IsPermanent(err), err)
}

func TestPermanent(t *testing.T) {
	t.Parallel()
	base := errors.New("550 no such user")
	assert.NoError(t, Permanent(nil))
	assert.False(t, IsPermanent(base))
	assert.False(t, IsPermanent(nil))
	p := Permanent(base)
	assert.True(t, IsPermanent(p))
	assert.ErrorIs(t, p, base)
	assert.Equal(t, base.Error(), p.Error())
	assert.True(t, IsPermanent(errors.Join(errors.New("job"), p)), "survives wrapping")
	assert.Same(t, p, Permanent(p), "not wrapped twice")
}
