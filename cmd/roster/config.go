package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net"
	netmail "net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/labstack/gommon/bytes"

	"github.com/rosterhq/roster/jobs/app/outbound"
	"github.com/rosterhq/roster/jobs/mail"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/web/auth"
)

// config is Roster's whole configuration, read from the environment.
// settingsHelp documents each variable; the README's table matches it.
type config struct {
	DatabaseURL        string        `env:"ROSTER_DATABASE_URL" envDefault:"sqlite:roster.db"`
	Addr               string        `env:"ROSTER_ADDR" envDefault:"127.0.0.1:8080"`
	BaseURL            string        `env:"ROSTER_BASE_URL"`
	SecretKey          string        `env:"ROSTER_SECRET_KEY"`
	OIDCIssuer         string        `env:"ROSTER_OIDC_ISSUER"`
	OIDCClientID       string        `env:"ROSTER_OIDC_CLIENT_ID"`
	OIDCClientSecret   string        `env:"ROSTER_OIDC_CLIENT_SECRET"`
	OIDCAllowedDomain  string        `env:"ROSTER_OIDC_ALLOWED_DOMAIN"`
	OIDCGroupsClaim    string        `env:"ROSTER_OIDC_GROUPS_CLAIM"`
	OIDCRoleMap        string        `env:"ROSTER_OIDC_ROLE_MAP"`
	OIDCScopes         []string      `env:"ROSTER_OIDC_SCOPES" envSeparator:","`
	OwnerEmail         string        `env:"ROSTER_OWNER_EMAIL" envDefault:"owner@localhost"`
	SessionIdleTimeout time.Duration `env:"ROSTER_SESSION_IDLE_TIMEOUT" envDefault:"2h"`
	SessionLifetime    time.Duration `env:"ROSTER_SESSION_LIFETIME" envDefault:"12h"`
	ShutdownTimeout    time.Duration `env:"ROSTER_SHUTDOWN_TIMEOUT" envDefault:"30s"`
	RescueAfter        time.Duration `env:"ROSTER_RESCUE_AFTER" envDefault:"10m"`
	TrustedProxies     string        `env:"ROSTER_TRUSTED_PROXIES"`
	AllowPrivate       string        `env:"ROSTER_ALLOW_PRIVATE_TARGETS"`
	MetricsToken       string        `env:"ROSTER_METRICS_TOKEN"`
	BodyLimit          string        `env:"ROSTER_BODY_LIMIT" envDefault:"10M"`
	SignInRate         float64       `env:"ROSTER_SIGNIN_RATE" envDefault:"2"`
	SignInBurst        int           `env:"ROSTER_SIGNIN_BURST" envDefault:"20"`
	SMTPURL            string        `env:"ROSTER_SMTP_URL"`
	MailFrom           string        `env:"ROSTER_MAIL_FROM" envDefault:"Roster <roster@localhost>"`
	LogLevel           string        `env:"ROSTER_LOG_LEVEL" envDefault:"info"`
	LogFormat          string        `env:"ROSTER_LOG_FORMAT" envDefault:"text"`

	// Derived by load.
	baseURL        *url.URL
	dialect        models.Dialect
	secretKey      []byte
	keyFile        string // set when the key was read from or written to a file
	keyGenerated   bool
	roleMap        auth.RoleMap
	trustedProxies []*net.IPNet
	allowPrivate   []netip.Prefix
	mail           *mail.Config // nil: mail stays in the outbox
}

// settingsHelp is the text of `roster --help` for each variable, in order.
var settingsHelp = [][2]string{
	{"ROSTER_DATABASE_URL", "sqlite:PATH for the embedded database (default sqlite:roster.db), or a postgres:// URL"},
	{"ROSTER_ADDR", "listen address (default 127.0.0.1:8080)"},
	{"ROSTER_BASE_URL", "public URL of Roster, used in links and the SSO callback (default http:// + ROSTER_ADDR)"},
	{"ROSTER_SECRET_KEY", "32 random bytes, base64 or hex, encrypting secrets at rest; required with PostgreSQL.\n      With SQLite and no key, one is generated into PATH.key (mode 0600) beside the database"},
	{"ROSTER_OIDC_ISSUER", "OIDC issuer URL for admin sign-in (SSO is off when unset)"},
	{"ROSTER_OIDC_CLIENT_ID", "OIDC client id"},
	{"ROSTER_OIDC_CLIENT_SECRET", "OIDC client secret"},
	{"ROSTER_OIDC_ALLOWED_DOMAIN", "only emails at this domain may sign in (optional)"},
	{"ROSTER_OIDC_GROUPS_CLAIM", "ID token claim holding the user's groups, e.g. groups (optional)"},
	{"ROSTER_OIDC_ROLE_MAP", "group=role pairs, comma-separated, e.g. it-owners=owner,it=admin (optional)"},
	{"ROSTER_OIDC_SCOPES", "extra scopes to request besides openid email profile, comma-separated, e.g. groups (optional)"},
	{"ROSTER_OWNER_EMAIL", "email of the first owner, created with a sign-in link on the first start (default owner@localhost)"},
	{"ROSTER_SESSION_IDLE_TIMEOUT", "sign out after this long without activity (default 2h)"},
	{"ROSTER_SESSION_LIFETIME", "sign out after this long in any case (default 12h)"},
	{"ROSTER_SHUTDOWN_TIMEOUT", "time to finish requests and jobs on SIGINT/SIGTERM (default 30s)"},
	{"ROSTER_RESCUE_AFTER", "a job still running after this long is taken for hung and runs again (jobs of a killed process run again at once) (default 10m)"},
	{"ROSTER_TRUSTED_PROXIES", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is trusted (optional)"},
	{"ROSTER_ALLOW_PRIVATE_TARGETS", "comma-separated CIDRs of private networks webhook and SCIM apps may call, e.g. 10.0.0.0/8,fd00::/8;\n      loopback, private, link-local and other inside addresses are refused otherwise (Roster's own address is allowed for the sample receiver)"},
	{"ROSTER_METRICS_TOKEN", "bearer token required on /metrics (optional; open when unset)"},
	{"ROSTER_BODY_LIMIT", "largest request body accepted, uploads included, e.g. 10M or 50M (default 10M); larger ones get 413"},
	{"ROSTER_SIGNIN_RATE", "sign-in requests per second allowed from one client address, per replica (default 2)"},
	{"ROSTER_SIGNIN_BURST", "sign-in requests one client address may make at once before ROSTER_SIGNIN_RATE applies (default 20)"},
	{"ROSTER_SMTP_URL", "smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465 (implicit TLS) for sending mail;\n      percent-encode @ : / ? # % in the password. Unset: mail stays in the Outbox page, unsent"},
	{"ROSTER_MAIL_FROM", "sender of Roster's mail (default Roster <roster@localhost>)"},
	{"ROSTER_LOG_LEVEL", "debug, info, warn or error (default info)"},
	{"ROSTER_LOG_FORMAT", "text or json (default text)"},
}

// configError is an invalid setting: one line naming the variable.
type configError struct {
	Var string
	Msg string
}

func (e *configError) Error() string { return "invalid " + e.Var + ": " + e.Msg }

// loadConfig reads and checks the configuration. Errors are *configError.
func loadConfig(environ map[string]string) (*config, error) {
	var cfg config
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: environ}); err != nil {
		return nil, envError(err)
	}
	var err error
	if cfg.dialect, _, err = models.ParseDatabaseURL(cfg.DatabaseURL); err != nil {
		return nil, &configError{"ROSTER_DATABASE_URL", err.Error()}
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, &configError{"ROSTER_ADDR", fmt.Sprintf("%q is not host:port", cfg.Addr)}
	}
	if cfg.baseURL, err = parseBaseURL(cfg.BaseURL, cfg.Addr); err != nil {
		return nil, &configError{"ROSTER_BASE_URL", err.Error()}
	}
	if cfg.SecretKey != "" {
		if cfg.secretKey, err = models.ParseSecretKey(cfg.SecretKey); err != nil {
			return nil, &configError{"ROSTER_SECRET_KEY", err.Error()}
		}
	} else if cfg.dialect == models.Postgres {
		return nil, &configError{"ROSTER_SECRET_KEY", "required with PostgreSQL (generate one with: openssl rand -base64 32)"}
	}
	if err := cfg.checkOIDC(); err != nil {
		return nil, err
	}
	if _, err := models.NormalizeEmail(cfg.OwnerEmail); err != nil {
		return nil, &configError{"ROSTER_OWNER_EMAIL", err.Error()}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"ROSTER_SESSION_IDLE_TIMEOUT", cfg.SessionIdleTimeout}, {"ROSTER_SESSION_LIFETIME", cfg.SessionLifetime}, {"ROSTER_SHUTDOWN_TIMEOUT", cfg.ShutdownTimeout}, {"ROSTER_RESCUE_AFTER", cfg.RescueAfter}} {
		if d.v <= 0 {
			return nil, &configError{d.name, "must be a positive duration like 30s or 2h"}
		}
	}
	if cfg.trustedProxies, err = parseCIDRs(cfg.TrustedProxies); err != nil {
		return nil, &configError{"ROSTER_TRUSTED_PROXIES", err.Error()}
	}
	if cfg.allowPrivate, err = outbound.ParseAllow(cfg.AllowPrivate); err != nil {
		return nil, &configError{"ROSTER_ALLOW_PRIVATE_TARGETS", err.Error()}
	}
	// The parser echo's BodyLimit uses, which panics on what it cannot read.
	if n, err := bytes.Parse(cfg.BodyLimit); err != nil || n < 1<<10 || n > 1<<30 {
		return nil, &configError{"ROSTER_BODY_LIMIT", fmt.Sprintf("%q: use a size from 1K to 1G, like 10M", cfg.BodyLimit)}
	}
	if cfg.SignInRate <= 0 || cfg.SignInRate > 1000 || math.IsNaN(cfg.SignInRate) {
		return nil, &configError{"ROSTER_SIGNIN_RATE", "must be a number of requests per second above 0 and at most 1000, like 2 or 0.5"}
	}
	if cfg.SignInBurst < 1 || cfg.SignInBurst > 10000 {
		return nil, &configError{"ROSTER_SIGNIN_BURST", "must be a whole number from 1 to 10000"}
	}
	if err := cfg.checkMail(); err != nil {
		return nil, err
	}
	switch cfg.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return nil, &configError{"ROSTER_LOG_LEVEL", fmt.Sprintf("%q: use debug, info, warn or error", cfg.LogLevel)}
	}
	if cfg.LogFormat != "text" && cfg.LogFormat != "json" {
		return nil, &configError{"ROSTER_LOG_FORMAT", fmt.Sprintf("%q: use text or json", cfg.LogFormat)}
	}
	return &cfg, nil
}

func (cfg *config) checkOIDC() error {
	set := map[string]string{
		"ROSTER_OIDC_ISSUER": cfg.OIDCIssuer, "ROSTER_OIDC_CLIENT_ID": cfg.OIDCClientID, "ROSTER_OIDC_CLIENT_SECRET": cfg.OIDCClientSecret,
	}
	if cfg.OIDCIssuer == "" && cfg.OIDCClientID == "" && cfg.OIDCClientSecret == "" && cfg.OIDCAllowedDomain == "" &&
		cfg.OIDCGroupsClaim == "" && cfg.OIDCRoleMap == "" && len(cfg.OIDCScopes) == 0 {
		return nil // SSO off
	}
	for _, name := range []string{"ROSTER_OIDC_ISSUER", "ROSTER_OIDC_CLIENT_ID", "ROSTER_OIDC_CLIENT_SECRET"} {
		if set[name] == "" {
			return &configError{name, "required when any ROSTER_OIDC_ setting is given"}
		}
	}
	if u, err := url.Parse(cfg.OIDCIssuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return &configError{"ROSTER_OIDC_ISSUER", fmt.Sprintf("%q is not an http(s) URL", cfg.OIDCIssuer)}
	}
	var err error
	if cfg.roleMap, err = auth.ParseRoleMap(cfg.OIDCRoleMap); err != nil {
		return &configError{"ROSTER_OIDC_ROLE_MAP", err.Error()}
	}
	if len(cfg.roleMap) > 0 && cfg.OIDCGroupsClaim == "" {
		return &configError{"ROSTER_OIDC_GROUPS_CLAIM", "required when ROSTER_OIDC_ROLE_MAP is set"}
	}
	return nil
}

// checkMail parses the SMTP settings; mail.ParseURL's errors name the
// variable and never the password.
func (cfg *config) checkMail() error {
	if strings.TrimSpace(cfg.SMTPURL) == "" {
		if _, err := netmail.ParseAddress(strings.TrimSpace(cfg.MailFrom)); err != nil {
			return &configError{"ROSTER_MAIL_FROM", fmt.Sprintf("%q is not an email address", cfg.MailFrom)}
		}
		return nil
	}
	c, err := mail.ParseURL(cfg.SMTPURL, cfg.MailFrom)
	if err != nil {
		for _, name := range []string{"ROSTER_SMTP_URL", "ROSTER_MAIL_FROM"} {
			if msg, ok := strings.CutPrefix(err.Error(), "mail: "+name+": "); ok {
				return &configError{name, msg}
			}
		}
		return &configError{"ROSTER_SMTP_URL", err.Error()}
	}
	cfg.mail = &c
	return nil
}

func parseBaseURL(raw, addr string) (*url.URL, error) {
	if raw == "" {
		host, port, _ := net.SplitHostPort(addr)
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		raw = "http://" + net.JoinHostPort(host, port)
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	return u, nil
}

func parseCIDRs(raw string) ([]*net.IPNet, error) {
	var nets []*net.IPNet
	for _, part := range strings.Split(raw, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			if ip := net.ParseIP(part); ip != nil && ip.To4() != nil {
				part += "/32"
			} else {
				part += "/128"
			}
		}
		_, n, err := net.ParseCIDR(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR like 10.0.0.0/8", part)
		}
		nets = append(nets, n)
	}
	return nets, nil
}

// envError turns the env library's error into a configError naming the
// variable.
func envError(err error) error {
	var agg env.AggregateError
	if errors.As(err, &agg) && len(agg.Errors) > 0 {
		err = agg.Errors[0]
	}
	var pe env.ParseError
	if errors.As(err, &pe) {
		name := pe.Name
		if f, ok := reflect.TypeOf(config{}).FieldByName(pe.Name); ok {
			name = strings.Split(f.Tag.Get("env"), ",")[0]
		}
		msg := pe.Err.Error()
		if pe.Type == reflect.TypeOf(time.Duration(0)) {
			msg = "must be a duration like 30s, 15m or 2h"
		}
		return &configError{name, msg}
	}
	return &configError{"environment", err.Error()}
}

// ensureSecretKey makes sure an SQLite installation has a key: it reads
// PATH.key beside the database, or creates it with mode 0600.
func (cfg *config) ensureSecretKey() error {
	if cfg.secretKey != nil {
		return nil
	}
	path := models.SQLitePath(cfg.DatabaseURL) + ".key"
	cfg.keyFile = path
	if b, err := os.ReadFile(path); err == nil {
		key, err := models.ParseSecretKey(string(b))
		if err != nil {
			return fmt.Errorf("secret key file %s: %w", path, err)
		}
		cfg.secretKey = key
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read secret key file: %w", err)
	}
	key := make([]byte, models.SecretKeySize)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create secret key file: %w", err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	cfg.secretKey, cfg.keyGenerated = key, true
	return nil
}

// outbound is the policy of webhook calls: the allowed private ranges,
// and Roster's own addresses so that the sample receiver (at the base
// URL) is reached.
func (cfg *config) outbound(ctx context.Context) outbound.Policy {
	port := cfg.baseURL.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[cfg.baseURL.Scheme]
	}
	return outbound.Policy{Allow: cfg.allowPrivate, Self: outbound.SelfAddrs(ctx, cfg.Addr, cfg.baseURL.Hostname(), port)}
}
