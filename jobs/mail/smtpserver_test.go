package mail

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"
)

// received is one transaction the fake server accepted.
type received struct {
	From string
	To   []string
	Data []byte
	// User is who authenticated, "" without AUTH.
	User string
	// TLS says whether the transaction ran over TLS.
	TLS bool
}

// fakeSMTP is an in-process SMTP server on 127.0.0.1 that records what it
// accepts.
type fakeSMTP struct {
	Host string
	Port int

	// user and pass, when set, make AUTH PLAIN required and checked.
	user, pass string
	// rcpt, when set, answers RCPT TO; a non-nil error rejects.
	rcpt func(to string) error
	// data, when set, answers the end of DATA.
	data func() error

	mu    sync.Mutex
	mails []received
}

type fakeOption func(*fakeSMTP, *smtp.Server)

// withAuth requires AUTH PLAIN with these credentials.
func withAuth(user, pass string) fakeOption {
	return func(f *fakeSMTP, _ *smtp.Server) { f.user, f.pass = user, pass }
}

// withStartTLS offers STARTTLS with cert.
func withStartTLS(cert tls.Certificate) fakeOption {
	return func(_ *fakeSMTP, s *smtp.Server) {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
}

// withInsecureAuth allows AUTH without TLS, as a local relay might.
func withInsecureAuth() fakeOption {
	return func(_ *fakeSMTP, s *smtp.Server) { s.AllowInsecureAuth = true }
}

func withRcpt(fn func(to string) error) fakeOption {
	return func(f *fakeSMTP, _ *smtp.Server) { f.rcpt = fn }
}

func withData(fn func() error) fakeOption {
	return func(f *fakeSMTP, _ *smtp.Server) { f.data = fn }
}

// startSMTP runs a plain SMTP server (STARTTLS with withStartTLS).
func startSMTP(t *testing.T, opts ...fakeOption) *fakeSMTP {
	t.Helper()
	return serveSMTP(t, nil, opts...)
}

// startSMTPS runs a server with implicit TLS, as on port 465.
func startSMTPS(t *testing.T, cert tls.Certificate, opts ...fakeOption) *fakeSMTP {
	t.Helper()
	return serveSMTP(t, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, opts...)
}

func serveSMTP(t *testing.T, implicitTLS *tls.Config, opts ...fakeOption) *fakeSMTP {
	t.Helper()
	f := &fakeSMTP{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &fakeSession{f: f, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	for _, opt := range opts {
		opt(f, srv)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f.Host, f.Port = splitHostPort(t, ln.Addr())
	if implicitTLS != nil {
		ln = tls.NewListener(ln, implicitTLS)
	}
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

// Mails returns the accepted transactions so far.
func (f *fakeSMTP) Mails() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]received(nil), f.mails...)
}

// Config returns a Config pointing at the server with the given TLS mode.
func (f *fakeSMTP) Config(mode StartTLSPolicy) Config {
	return Config{Host: f.Host, Port: f.Port, StartTLS: mode, From: "Roster <roster@example.com>"}
}

type fakeSession struct {
	f    *fakeSMTP
	conn *smtp.Conn
	user string
	mail received
}

func (s *fakeSession) AuthMechanisms() []string {
	if s.f.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *fakeSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.f.user || pass != s.f.pass {
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}), nil
}

func (s *fakeSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.f.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.mail = received{From: from, User: s.user}
	return nil
}

func (s *fakeSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.f.rcpt != nil {
		if err := s.f.rcpt(to); err != nil {
			return err
		}
	}
	s.mail.To = append(s.mail.To, to)
	return nil
}

func (s *fakeSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.f.data != nil {
		if err := s.f.data(); err != nil {
			return err
		}
	}
	s.mail.Data = data
	_, s.mail.TLS = s.conn.TLSConnectionState()
	s.f.mu.Lock()
	s.f.mails = append(s.f.mails, s.mail)
	s.f.mu.Unlock()
	return nil
}

func (s *fakeSession) Reset()        { s.mail = received{User: s.user} }
func (s *fakeSession) Logout() error { return nil }

// smtpReply builds the server's answer for a rejection.
func smtpReply(code int, enhanced smtp.EnhancedCode, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: enhanced, Message: msg}
}

// startSilent accepts connections and never says a word, like a
// firewall that black-holes the session after the handshake.
func startSilent(t *testing.T) (string, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return splitHostPort(t, ln.Addr())
}

// closedPort returns a port on 127.0.0.1 that nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	_, port := splitHostPort(t, ln.Addr())
	require.NoError(t, ln.Close())
	return port
}

func splitHostPort(t *testing.T, addr net.Addr) (string, int) {
	t.Helper()
	host, portStr, err := net.SplitHostPort(addr.String())
	require.NoError(t, err)
	port, err := strconv.Atoi(portStr)
	require.NoError(t, err)
	return host, port
}

// testCert is a self-signed certificate for 127.0.0.1 and localhost, and a
// pool that trusts it, so TLS tests verify the chain instead of skipping
// verification.
type testCert struct {
	Cert tls.Certificate
	Pool *x509.CertPool
}

func newTestCert(t *testing.T) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Roster test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	parsed, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(parsed)
	return testCert{
		Cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: parsed},
		Pool: pool,
	}
}
