package mail

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// DefaultTimeout bounds a whole Send (connect, TLS, AUTH, transaction)
// when the context has no deadline.
const DefaultTimeout = 30 * time.Second

// authPreference is tried in order among the mechanisms the server offers;
// when it offers none of them, go-mail falls back to its own discovery
// (CRAM-MD5, NTLM). PLAIN and LOGIN refuse to send the password over a
// connection without TLS unless the server is localhost, judged on the
// actual connection. go-mail's AUTODISCOVER is not used because with our
// dialer it would take an smtps:// connection for unencrypted and skip
// PLAIN and LOGIN.
var authPreference = []gomail.SMTPAuthType{
	gomail.SMTPAuthSCRAMSHA256PLUS,
	gomail.SMTPAuthSCRAMSHA256,
	gomail.SMTPAuthSCRAMSHA1PLUS,
	gomail.SMTPAuthSCRAMSHA1,
	gomail.SMTPAuthPlain,
	gomail.SMTPAuthLogin,
}

// Sender sends mail over SMTP. It holds no connection and is safe for
// concurrent use.
type Sender struct {
	cfg Config
}

// NewSender returns a Sender for cfg, usually from ParseURL.
func NewSender(cfg Config) *Sender {
	return &Sender{cfg: cfg}
}

// Send delivers one message. It dials per call and gives up when ctx is
// done, or after DefaultTimeout when ctx has no deadline. An error for
// which IsPermanent is true will not go away on retry; any other is worth
// retrying. Once the server has accepted the message, Send reports success
// even if the goodbye fails, so a retry does not deliver it twice.
func (s *Sender) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return Permanent(fmt.Errorf("mail: invalid message: %w", err))
	}
	msg, err := m.newMsg(s.cfg.From)
	if err != nil {
		return fmt.Errorf("mail: build message: %w", err)
	}

	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	deadline, _ := ctx.Deadline()
	timeout := time.Until(deadline)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mail: send via %s: %w", s.cfg, err)
	}
	if timeout <= 0 {
		return fmt.Errorf("mail: send via %s: %w", s.cfg, context.DeadlineExceeded)
	}

	client, err := s.newClient(ctx, timeout)
	if err != nil {
		return fmt.Errorf("mail: smtp client for %s: %w", s.cfg, err)
	}
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return fmt.Errorf("mail: connect to %s: %w", s.cfg, withContextErr(ctx, err))
	}
	defer func() {
		// After delivery there is nothing to act on; before it, the send
		// error says more. The context's cleanup closes the socket anyway.
		_ = client.CloseWithSMTPClient(conn)
	}()
	err = client.SendWithSMTPClient(conn, msg)
	if err == nil || msg.IsDelivered() {
		// IsDelivered with an error means only the RSET after the accepted
		// DATA failed.
		return nil
	}
	return classifySend(fmt.Errorf("mail: send via %s: %w", s.cfg, withContextErr(ctx, err)))
}

func (s *Sender) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, DefaultTimeout)
}

// newClient configures go-mail for one session. The TLS options are the
// ones without port logic (WithSSL, WithTLSPolicy rather than WithSSLPort,
// WithTLSPortPolicy): those rewrite an explicit port 25 to 587 or 465 and
// add a silent fallback to plain port 25.
func (s *Sender) newClient(ctx context.Context, timeout time.Duration) (*gomail.Client, error) {
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		// go-mail sets this as the socket deadline after connecting and
		// again before sending; the context bounds the total.
		gomail.WithTimeout(timeout),
		gomail.WithTLSConfig(s.tlsConfig()),
		gomail.WithDialContextFunc(s.dialer(ctx)),
	}
	if s.cfg.ImplicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(s.tlsPolicy()))
	}
	if s.cfg.Username != "" {
		opts = append(opts,
			gomail.WithUsername(s.cfg.Username),
			gomail.WithPassword(s.cfg.Password),
			gomail.WithOpportunisticSMTPAuth(authPreference...),
		)
	}
	return gomail.NewClient(s.cfg.Host, opts...)
}

func (s *Sender) tlsPolicy() gomail.TLSPolicy {
	switch s.cfg.StartTLS {
	case StartTLSOpportunistic:
		return gomail.TLSOpportunistic
	case StartTLSNone:
		return gomail.NoTLS
	}
	return gomail.TLSMandatory
}

func (s *Sender) tlsConfig() *tls.Config {
	return &tls.Config{
		ServerName:         s.cfg.Host,
		MinVersion:         tls.VersionTLS12,
		RootCAs:            s.cfg.RootCAs,
		InsecureSkipVerify: s.cfg.InsecureSkipVerify, //nolint:gosec // only via ?insecure=true, for testing
	}
}

func (s *Sender) addr() string {
	return net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
}

// dialer connects to the configured address (go-mail's own host:port
// formatting breaks IPv6 literals) and ties the socket to the Send
// context: when it is done the socket closes, which unblocks any read or
// write go-mail is waiting on. go-mail's smtp.Client holds its lock during
// I/O, so closing through it would wait; closing the raw socket does not.
// For smtps:// the TLS handshake happens here, so the smtp client sees a
// *tls.Conn and treats the session as encrypted.
func (s *Sender) dialer(sendCtx context.Context) gomail.DialContextFunc {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		raw, err := d.DialContext(ctx, network, s.addr())
		if err != nil {
			return nil, err
		}
		context.AfterFunc(sendCtx, func() { _ = raw.Close() })
		if !s.cfg.ImplicitTLS {
			return raw, nil
		}
		conn := tls.Client(raw, s.tlsConfig())
		if err := conn.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			return nil, fmt.Errorf("tls handshake: %w", err)
		}
		return conn, nil
	}
}
