package mail

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	netmail "net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Default ports: submission with STARTTLS (RFC 6409) and submissions with
// implicit TLS (RFC 8314).
const (
	DefaultPort         = 587
	DefaultImplicitPort = 465
)

// StartTLSPolicy says whether an smtp:// connection must be upgraded with
// STARTTLS. The zero value is the safe one.
type StartTLSPolicy int

const (
	// StartTLSRequired refuses to talk to a server that does not offer
	// STARTTLS, so credentials and mail never cross the network in clear.
	StartTLSRequired StartTLSPolicy = iota
	// StartTLSOpportunistic upgrades when the server offers STARTTLS and
	// carries on in clear when it does not (?starttls=opportunistic).
	StartTLSOpportunistic
	// StartTLSNone never upgrades: for a relay on localhost or a trusted
	// network (?starttls=none).
	StartTLSNone
)

// String returns the value of the ?starttls= parameter.
func (p StartTLSPolicy) String() string {
	switch p {
	case StartTLSRequired:
		return "required"
	case StartTLSOpportunistic:
		return "opportunistic"
	case StartTLSNone:
		return "none"
	}
	return "StartTLSPolicy(" + strconv.Itoa(int(p)) + ")"
}

// Config is parsed from ROSTER_SMTP_URL and ROSTER_MAIL_FROM.
type Config struct {
	Host     string
	Port     int
	Username string
	Password string
	// ImplicitTLS is set by smtps://: TLS from the first byte.
	ImplicitTLS bool
	// StartTLS applies to smtp:// only.
	StartTLS StartTLSPolicy
	// From is the sender address, optionally with a display name
	// ("Roster <roster@example.com>").
	From string
	// InsecureSkipVerify accepts any server certificate. Set only by
	// ?insecure=true, which is meant for testing against a server with a
	// throwaway certificate.
	InsecureSkipVerify bool
	// RootCAs verifies the server certificate instead of the system roots
	// when set: a private CA, or a test's self-signed certificate. It cannot
	// be set from the URL.
	RootCAs *x509.CertPool
}

// ParseURL parses ROSTER_SMTP_URL and ROSTER_MAIL_FROM.
//
// The URL is smtp://[user[:pass]@]host[:port] (port 587, STARTTLS required
// unless ?starttls=opportunistic or ?starttls=none) or
// smtps://[user[:pass]@]host[:port] (port 465, implicit TLS). User and
// password are percent-decoded, so a password with @ : / ? # or % must be
// percent-encoded. ?insecure=true skips certificate verification (testing
// only). Errors name the problem without echoing the password.
func ParseURL(raw, from string) (Config, error) {
	c, err := parseSMTPURL(strings.TrimSpace(raw))
	if err != nil {
		return Config{}, fmt.Errorf("mail: ROSTER_SMTP_URL: %w", err)
	}
	c.From, err = parseFrom(from)
	if err != nil {
		return Config{}, fmt.Errorf("mail: ROSTER_MAIL_FROM: %w", err)
	}
	return c, nil
}

func parseSMTPURL(raw string) (Config, error) {
	var c Config
	if raw == "" {
		return c, errors.New("empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's error quotes the input, password and all.
		return c, errors.New("not a valid URL (percent-encode @ : / ? # and % in the user name and password)")
	}
	switch u.Scheme {
	case "smtp":
		c.Port = DefaultPort
	case "smtps":
		c.Port = DefaultImplicitPort
		c.ImplicitTLS = true
	case "":
		return c, errors.New("no scheme: want smtp://host or smtps://host")
	default:
		// The scheme ends at the first colon, so it cannot hold the password.
		return c, fmt.Errorf("scheme %q not supported: want smtp or smtps", u.Scheme)
	}
	if u.Opaque != "" {
		return c, fmt.Errorf("want %s://host, with two slashes", u.Scheme)
	}
	if u.Fragment != "" {
		return c, errors.New("unexpected '#' (percent-encode it as %23 in the password)")
	}
	if u.Path != "" && u.Path != "/" {
		return c, errors.New("unexpected path after the host")
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return c, errors.New("missing host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return c, fmt.Errorf("port %q out of range", p)
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
		if c.Username == "" && c.Password != "" {
			return c, errors.New("password without a user name")
		}
	}
	if err := c.parseQuery(u); err != nil {
		return c, err
	}
	return c, nil
}

func (c *Config) parseQuery(u *url.URL) error {
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return errors.New("query is not valid")
	}
	for _, key := range slices.Sorted(maps.Keys(query)) {
		values := query[key]
		if len(values) != 1 {
			return fmt.Errorf("?%s given %d times", key, len(values))
		}
		value := values[0]
		switch key {
		case "starttls":
			if c.ImplicitTLS {
				return errors.New("?starttls applies to smtp://, not smtps://")
			}
			switch value {
			case "required":
				c.StartTLS = StartTLSRequired
			case "opportunistic":
				c.StartTLS = StartTLSOpportunistic
			case "none":
				c.StartTLS = StartTLSNone
			default:
				return fmt.Errorf("?starttls=%q: want required, opportunistic or none", value)
			}
		case "insecure":
			insecure, err := strconv.ParseBool(value)
			if err != nil {
				return fmt.Errorf("?insecure=%q: want true or false", value)
			}
			c.InsecureSkipVerify = insecure
		default:
			return fmt.Errorf("unknown parameter ?%s (known: starttls, insecure)", key)
		}
	}
	return nil
}

func parseFrom(from string) (string, error) {
	from = strings.TrimSpace(from)
	if from == "" {
		return "", errors.New("empty")
	}
	if _, err := netmail.ParseAddress(from); err != nil {
		return "", fmt.Errorf("%q is not an email address: %w", from, err)
	}
	return from, nil
}

// String describes the server for logs, e.g. "smtp://user@host:587
// (STARTTLS)". It never includes the password.
func (c Config) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(c.Host, strconv.Itoa(c.Port))}
	if c.ImplicitTLS {
		u.Scheme = "smtps"
	}
	if c.Username != "" {
		u.User = url.User(c.Username)
	}
	var mode string
	switch {
	case c.ImplicitTLS:
		mode = "TLS"
	case c.StartTLS == StartTLSOpportunistic:
		mode = "STARTTLS if offered"
	case c.StartTLS == StartTLSNone:
		mode = "no TLS"
	default:
		mode = "STARTTLS"
	}
	if c.InsecureSkipVerify && mode != "no TLS" {
		mode += ", certificate not verified"
	}
	return u.String() + " (" + mode + ")"
}

// GoString keeps %#v from printing the password.
func (c Config) GoString() string {
	return "mail.Config(" + strconv.Quote(c.String()) + ")"
}

// LogValue keeps slog (the JSON handler included) from printing the password.
func (c Config) LogValue() slog.Value {
	return slog.StringValue(c.String())
}
