package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

// testSecretKey is a valid ROSTER_SECRET_KEY: 32 bytes, base64.
const testSecretKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// runResult is what one in-process run of the command left behind.
type runResult struct {
	code           int
	stdout, stderr string
}

// runCommand runs the command to completion with env as its whole
// environment. It is for commands that end by themselves; a server is
// started with startServer.
func runCommand(t *testing.T, ctx context.Context, env map[string]string, args ...string) runResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, env, nil, &stdout, &stderr)
	return runResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// sqliteEnv is an environment with a fresh SQLite file of its own, so no
// test touches roster.db in the working directory.
func sqliteEnv(t *testing.T, extra map[string]string) map[string]string {
	t.Helper()
	env := map[string]string{"ROSTER_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "roster.db")}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// oidcEnv sets the three settings that turn SSO on.
var oidcEnv = map[string]string{
	"ROSTER_OIDC_ISSUER":        "https://idp.example.com",
	"ROSTER_OIDC_CLIENT_ID":     "roster",
	"ROSTER_OIDC_CLIENT_SECRET": "s3cret",
}

func withOIDC(extra map[string]string) map[string]string {
	env := map[string]string{}
	for k, v := range oidcEnv {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

func TestInvalidConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
	}{
		{name: "address without port", env: map[string]string{"ROSTER_ADDR": "nonsense"}, wantVar: "ROSTER_ADDR"},
		{name: "database of another kind", env: map[string]string{"ROSTER_DATABASE_URL": "mysql://x"}, wantVar: "ROSTER_DATABASE_URL"},
		{name: "sqlite without a path", env: map[string]string{"ROSTER_DATABASE_URL": "sqlite:"}, wantVar: "ROSTER_DATABASE_URL"},
		{name: "sqlite in memory", env: map[string]string{"ROSTER_DATABASE_URL": "sqlite::memory:"}, wantVar: "ROSTER_DATABASE_URL"},
		{name: "sqlite with options", env: map[string]string{"ROSTER_DATABASE_URL": "sqlite:x.db?mode=ro"}, wantVar: "ROSTER_DATABASE_URL"},
		{name: "postgres without a host", env: map[string]string{"ROSTER_DATABASE_URL": "postgres:///roster", "ROSTER_SECRET_KEY": testSecretKey}, wantVar: "ROSTER_DATABASE_URL"},
		{name: "shutdown timeout not a duration", env: map[string]string{"ROSTER_SHUTDOWN_TIMEOUT": "abc"}, wantVar: "ROSTER_SHUTDOWN_TIMEOUT"},
		{name: "shutdown timeout zero", env: map[string]string{"ROSTER_SHUTDOWN_TIMEOUT": "0s"}, wantVar: "ROSTER_SHUTDOWN_TIMEOUT"},
		{name: "idle timeout negative", env: map[string]string{"ROSTER_SESSION_IDLE_TIMEOUT": "-1s"}, wantVar: "ROSTER_SESSION_IDLE_TIMEOUT"},
		{name: "session lifetime not a duration", env: map[string]string{"ROSTER_SESSION_LIFETIME": "forever"}, wantVar: "ROSTER_SESSION_LIFETIME"},
		{name: "base URL not http", env: map[string]string{"ROSTER_BASE_URL": "ftp://x"}, wantVar: "ROSTER_BASE_URL"},
		{name: "base URL relative", env: map[string]string{"ROSTER_BASE_URL": "/roster"}, wantVar: "ROSTER_BASE_URL"},
		{name: "base URL with a query", env: map[string]string{"ROSTER_BASE_URL": "https://roster.example.com/?a=b"}, wantVar: "ROSTER_BASE_URL"},
		{name: "secret key too short", env: map[string]string{"ROSTER_SECRET_KEY": "short"}, wantVar: "ROSTER_SECRET_KEY"},
		{name: "postgres without a secret key", env: map[string]string{"ROSTER_DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test"}, wantVar: "ROSTER_SECRET_KEY"},
		{name: "issuer without client id", env: map[string]string{"ROSTER_OIDC_ISSUER": "https://idp.example.com"}, wantVar: "ROSTER_OIDC_CLIENT_ID"},
		{name: "client id without issuer", env: map[string]string{"ROSTER_OIDC_CLIENT_ID": "roster"}, wantVar: "ROSTER_OIDC_ISSUER"},
		{name: "issuer and client id without secret", env: map[string]string{"ROSTER_OIDC_ISSUER": "https://idp.example.com", "ROSTER_OIDC_CLIENT_ID": "roster"}, wantVar: "ROSTER_OIDC_CLIENT_SECRET"},
		{name: "issuer not a URL", env: withOIDC(map[string]string{"ROSTER_OIDC_ISSUER": "idp.example.com"}), wantVar: "ROSTER_OIDC_ISSUER"},
		{name: "role map bad", env: withOIDC(map[string]string{"ROSTER_OIDC_ROLE_MAP": "bad", "ROSTER_OIDC_GROUPS_CLAIM": "groups"}), wantVar: "ROSTER_OIDC_ROLE_MAP"},
		{name: "role map with an unknown role", env: withOIDC(map[string]string{"ROSTER_OIDC_ROLE_MAP": "it=god", "ROSTER_OIDC_GROUPS_CLAIM": "groups"}), wantVar: "ROSTER_OIDC_ROLE_MAP"},
		{name: "role map without groups claim", env: withOIDC(map[string]string{"ROSTER_OIDC_ROLE_MAP": "it=admin"}), wantVar: "ROSTER_OIDC_GROUPS_CLAIM"},
		{name: "role map bad without SSO", env: map[string]string{"ROSTER_OIDC_ROLE_MAP": "bad"}, wantVar: "ROSTER_OIDC_ISSUER"},
		{name: "owner email not an address", env: map[string]string{"ROSTER_OWNER_EMAIL": "not an address"}, wantVar: "ROSTER_OWNER_EMAIL"},
		{name: "log level unknown", env: map[string]string{"ROSTER_LOG_LEVEL": "loud"}, wantVar: "ROSTER_LOG_LEVEL"},
		{name: "log format unknown", env: map[string]string{"ROSTER_LOG_FORMAT": "xml"}, wantVar: "ROSTER_LOG_FORMAT"},
		{name: "trusted proxy not a CIDR", env: map[string]string{"ROSTER_TRUSTED_PROXIES": "notacidr"}, wantVar: "ROSTER_TRUSTED_PROXIES"},
		{name: "private target not a CIDR", env: map[string]string{"ROSTER_ALLOW_PRIVATE_TARGETS": "10.0.0.0/8, intranet"}, wantVar: "ROSTER_ALLOW_PRIVATE_TARGETS"},
		{name: "second trusted proxy not a CIDR", env: map[string]string{"ROSTER_TRUSTED_PROXIES": "10.0.0.0/8, 10.0.0.0/99"}, wantVar: "ROSTER_TRUSTED_PROXIES"},
		{name: "body limit not a size", env: map[string]string{"ROSTER_BODY_LIMIT": "lots"}, wantVar: "ROSTER_BODY_LIMIT"},
		{name: "body limit too small", env: map[string]string{"ROSTER_BODY_LIMIT": "10"}, wantVar: "ROSTER_BODY_LIMIT"},
		{name: "sign-in rate zero", env: map[string]string{"ROSTER_SIGNIN_RATE": "0"}, wantVar: "ROSTER_SIGNIN_RATE"},
		{name: "sign-in rate not a number", env: map[string]string{"ROSTER_SIGNIN_RATE": "fast"}, wantVar: "ROSTER_SIGNIN_RATE"},
		{name: "sign-in burst zero", env: map[string]string{"ROSTER_SIGNIN_BURST": "0"}, wantVar: "ROSTER_SIGNIN_BURST"},
		{name: "SMTP URL of another scheme", env: map[string]string{"ROSTER_SMTP_URL": "http://u:hunter2@mail.example.com"}, wantVar: "ROSTER_SMTP_URL"},
		{name: "SMTP URL without a host", env: map[string]string{"ROSTER_SMTP_URL": "smtp://u:hunter2@"}, wantVar: "ROSTER_SMTP_URL"},
		{name: "mail from not an address with SMTP", env: map[string]string{"ROSTER_SMTP_URL": "smtp://mail.example.com", "ROSTER_MAIL_FROM": "roster at example"}, wantVar: "ROSTER_MAIL_FROM"},
		{name: "mail from not an address without SMTP", env: map[string]string{"ROSTER_MAIL_FROM": "roster at example"}, wantVar: "ROSTER_MAIL_FROM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := sqliteEnv(t, tt.env)

			_, err := loadConfig(env)
			var ce *configError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.wantVar, ce.Var)

			// A cancelled context: should the configuration pass after
			// all, the server gives up at once instead of serving.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			res := runCommand(t, ctx, env)
			assert.Equal(t, exitUsage, res.code)
			assert.Empty(t, res.stdout)
			lines := strings.Split(strings.TrimSuffix(res.stderr, "\n"), "\n")
			require.Len(t, lines, 1, "stderr: %q", res.stderr)
			assert.True(t, strings.HasPrefix(lines[0], "roster: invalid "+tt.wantVar+": "), "stderr: %q", lines[0])
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig(map[string]string{})
	require.NoError(t, err)
	assert.Equal(t, "sqlite:roster.db", cfg.DatabaseURL)
	assert.Equal(t, models.SQLite, cfg.dialect)
	assert.Equal(t, "127.0.0.1:8080", cfg.Addr)
	assert.Equal(t, "http://127.0.0.1:8080", cfg.baseURL.String())
	assert.Equal(t, "owner@localhost", cfg.OwnerEmail)
	assert.Equal(t, 2*time.Hour, cfg.SessionIdleTimeout)
	assert.Equal(t, 12*time.Hour, cfg.SessionLifetime)
	assert.Equal(t, 30*time.Second, cfg.ShutdownTimeout)
	assert.Equal(t, "info", cfg.LogLevel)
	assert.Equal(t, "text", cfg.LogFormat)
	assert.Nil(t, cfg.secretKey, "SQLite generates its key on first use, not while loading")
	assert.Nil(t, cfg.roleMap)
	assert.Empty(t, cfg.trustedProxies)
	assert.Equal(t, "Roster <roster@localhost>", cfg.MailFrom)
	assert.Nil(t, cfg.mail, "no SMTP: mail stays in the outbox")
}

func TestConfigMail(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig(map[string]string{
		"ROSTER_SMTP_URL": "smtp://roster:p%40ss@mail.example.com", "ROSTER_MAIL_FROM": "IT <it@example.com>",
	})
	require.NoError(t, err)
	require.NotNil(t, cfg.mail)
	assert.Equal(t, "smtp://roster@mail.example.com:587 (STARTTLS)", cfg.mail.String())
	assert.Equal(t, "p@ss", cfg.mail.Password)
	assert.Equal(t, "IT <it@example.com>", cfg.mail.From)

	_, err = loadConfig(map[string]string{"ROSTER_SMTP_URL": "smtp://roster:hunter2@mail.example.com:99999"})
	var ce *configError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "invalid ROSTER_SMTP_URL: port \"99999\" out of range", ce.Error())
	assert.NotContains(t, ce.Error(), "hunter2")
}

func TestConfigDerived(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		env         map[string]string
		wantBaseURL string
	}{
		{name: "base URL follows the address", env: map[string]string{"ROSTER_ADDR": "127.0.0.1:9000"}, wantBaseURL: "http://127.0.0.1:9000"},
		{name: "all interfaces become localhost", env: map[string]string{"ROSTER_ADDR": "0.0.0.0:9000"}, wantBaseURL: "http://localhost:9000"},
		{name: "empty host becomes localhost", env: map[string]string{"ROSTER_ADDR": ":9000"}, wantBaseURL: "http://localhost:9000"},
		{name: "IPv6 address", env: map[string]string{"ROSTER_ADDR": "[::1]:9000"}, wantBaseURL: "http://[::1]:9000"},
		{name: "explicit base URL loses its trailing slash", env: map[string]string{"ROSTER_BASE_URL": "https://roster.example.com/"}, wantBaseURL: "https://roster.example.com"},
		{name: "base URL with a path", env: map[string]string{"ROSTER_BASE_URL": "https://example.com/roster/"}, wantBaseURL: "https://example.com/roster"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := loadConfig(tt.env)
			require.NoError(t, err)
			assert.Equal(t, tt.wantBaseURL, cfg.baseURL.String())
		})
	}

	t.Run("postgres with a key", func(t *testing.T) {
		t.Parallel()
		cfg, err := loadConfig(map[string]string{
			"ROSTER_DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test", "ROSTER_SECRET_KEY": testSecretKey,
		})
		require.NoError(t, err)
		assert.Equal(t, models.Postgres, cfg.dialect)
		assert.Len(t, cfg.secretKey, models.SecretKeySize)
	})
	t.Run("SSO with a role map", func(t *testing.T) {
		t.Parallel()
		cfg, err := loadConfig(withOIDC(map[string]string{
			"ROSTER_OIDC_ROLE_MAP": "it-owners=owner, it=admin", "ROSTER_OIDC_GROUPS_CLAIM": "groups",
		}))
		require.NoError(t, err)
		role, ok := cfg.roleMap.RoleFor([]string{"it"})
		assert.True(t, ok)
		assert.Equal(t, models.RoleAdmin, role)
	})
	t.Run("trusted proxies", func(t *testing.T) {
		t.Parallel()
		cfg, err := loadConfig(map[string]string{"ROSTER_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7,,2001:db8::1"})
		require.NoError(t, err)
		var got []string
		for _, n := range cfg.trustedProxies {
			got = append(got, n.String())
		}
		assert.Equal(t, []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::1/128"}, got)
	})
	t.Run("private targets and the sample receiver", func(t *testing.T) {
		t.Parallel()
		cfg, err := loadConfig(map[string]string{"ROSTER_ALLOW_PRIVATE_TARGETS": "10.0.0.0/8, fd00::/8", "ROSTER_ADDR": "0.0.0.0:9090"})
		require.NoError(t, err)
		p := cfg.outbound(context.Background())
		assert.NoError(t, p.ControlPlain("tcp", "10.2.3.4:80", nil))
		assert.NoError(t, p.Control("tcp", "[fd00::5]:443", nil))
		assert.ErrorContains(t, p.Control("tcp", "192.168.0.5:443", nil), "set ROSTER_ALLOW_PRIVATE_TARGETS=192.168.0.0/16")
		// The sample receiver is at the base URL, http://localhost:9090.
		assert.NoError(t, p.ControlPlain("tcp", "127.0.0.1:9090", nil))
		assert.Error(t, p.Control("tcp", "127.0.0.1:5432", nil), "only Roster's own port is allowed")
	})
}

// configVars are the variables the config struct reads, from its tags.
func configVars(t *testing.T) []string {
	t.Helper()
	var vars []string
	typ := reflect.TypeFor[config]()
	for i := range typ.NumField() {
		tag, ok := typ.Field(i).Tag.Lookup("env")
		if !ok {
			continue
		}
		name := strings.Split(tag, ",")[0]
		require.True(t, strings.HasPrefix(name, "ROSTER_"), "field %s reads %s", typ.Field(i).Name, name)
		vars = append(vars, name)
	}
	require.NotEmpty(t, vars)
	return vars
}

func TestHelpDocumentsEveryVariable(t *testing.T) {
	t.Parallel()
	vars := configVars(t)
	documented := map[string]bool{}
	for _, s := range settingsHelp {
		assert.False(t, documented[s[0]], "%s is documented twice", s[0])
		documented[s[0]] = true
		assert.NotEmpty(t, strings.TrimSpace(s[1]), "%s has no description", s[0])
	}
	for _, v := range vars {
		assert.True(t, documented[v], "%s is read from the environment but missing from settingsHelp", v)
	}
	for name := range documented {
		assert.Contains(t, vars, name, "settingsHelp documents %s, which the config does not read", name)
	}

	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	for _, v := range vars {
		assert.True(t, strings.Contains(string(readme), "| `"+v+"` |"), "the README's configuration table lacks %s", v)
	}

	for _, args := range [][]string{{"--help"}, {"-h"}, {"-help"}, {"help"}, {"migrate", "--help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			// Help needs no valid configuration: it is what you read to
			// fix one.
			res := runCommand(t, context.Background(), map[string]string{"ROSTER_ADDR": "nonsense"}, args...)
			assert.Equal(t, exitOK, res.code)
			assert.Empty(t, res.stderr)
			assert.Contains(t, res.stdout, "Usage:")
			for _, v := range vars {
				assert.True(t, strings.Contains(res.stdout, "\n  "+v+"\n"), "help does not list %s", v)
			}
			for _, cmd := range []string{"roster [serve]", "roster migrate", "roster login-link", "roster backup", "roster help"} {
				assert.True(t, strings.Contains(res.stdout, "\n  "+cmd+" "), "help does not show %q", cmd)
			}
		})
	}
}

func TestBadCommandLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantText string
	}{
		{name: "unknown command", args: []string{"frobnicate"}, wantText: `unknown command "frobnicate"`},
		{name: "serve with an argument", args: []string{"serve", "now"}, wantText: "serve takes no arguments"},
		{name: "unknown flag", args: []string{"--verbose"}, wantText: "serve takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // nothing may start
			res := runCommand(t, ctx, sqliteEnv(t, nil), tt.args...)
			assert.Equal(t, exitUsage, res.code)
			assert.Empty(t, res.stdout)
			assert.Equal(t, 1, strings.Count(res.stderr, "\n"), "stderr: %q", res.stderr)
			assert.Contains(t, res.stderr, tt.wantText)
		})
	}
}

func TestConfigErrorNamesTheVariable(t *testing.T) {
	t.Parallel()
	// envError maps the env library's field names back to variable names.
	_, err := loadConfig(map[string]string{"ROSTER_SESSION_LIFETIME": "12 hours"})
	var ce *configError
	require.True(t, errors.As(err, &ce))
	assert.Equal(t, "ROSTER_SESSION_LIFETIME", ce.Var)
	assert.Equal(t, "invalid ROSTER_SESSION_LIFETIME: must be a duration like 30s, 15m or 2h", err.Error())
}
