package mail

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testFrom = "Roster <roster@example.com>"

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  string
		want Config
		str  string
	}{
		{
			name: "smtp defaults to 587 and required STARTTLS",
			raw:  "smtp://mail.example.com",
			want: Config{Host: "mail.example.com", Port: 587},
			str:  "smtp://mail.example.com:587 (STARTTLS)",
		},
		{
			name: "smtps defaults to 465 and implicit TLS",
			raw:  "smtps://user:pw@mail.example.com",
			want: Config{Host: "mail.example.com", Port: 465, Username: "user", Password: "pw", ImplicitTLS: true},
			str:  "smtps://user@mail.example.com:465 (TLS)",
		},
		{
			name: "explicit port, trailing slash and surrounding space",
			raw:  "  smtp://mail.example.com:2525/ ",
			want: Config{Host: "mail.example.com", Port: 2525},
			str:  "smtp://mail.example.com:2525 (STARTTLS)",
		},
		{
			name: "port 25 stays 25 with starttls required",
			raw:  "smtp://mail.example.com:25?starttls=required",
			want: Config{Host: "mail.example.com", Port: 25},
			str:  "smtp://mail.example.com:25 (STARTTLS)",
		},
		{
			name: "user and password are percent-decoded",
			raw:  "smtp://apikey%40example.com:p%40ss%3Aw%2Fo%23r%3Fd%25@smtp.example.com?starttls=opportunistic",
			want: Config{Host: "smtp.example.com", Port: 587, Username: "apikey@example.com", Password: "p@ss:w/o#r?d%", StartTLS: StartTLSOpportunistic},
			str:  "smtp://apikey%40example.com@smtp.example.com:587 (STARTTLS if offered)",
		},
		{
			name: "local relay without TLS",
			raw:  "smtp://localhost:25?starttls=none",
			want: Config{Host: "localhost", Port: 25, StartTLS: StartTLSNone},
			str:  "smtp://localhost:25 (no TLS)",
		},
		{
			name: "IPv6 literal",
			raw:  "smtp://[::1]:2525?starttls=none",
			want: Config{Host: "::1", Port: 2525, StartTLS: StartTLSNone},
			str:  "smtp://[::1]:2525 (no TLS)",
		},
		{
			name: "insecure for testing",
			raw:  "smtps://mail.test?insecure=true",
			want: Config{Host: "mail.test", Port: 465, ImplicitTLS: true, InsecureSkipVerify: true},
			str:  "smtps://mail.test:465 (TLS, certificate not verified)",
		},
		{
			name: "scheme is case-insensitive",
			raw:  "SMTPS://mail.example.com:1465",
			want: Config{Host: "mail.example.com", Port: 1465, ImplicitTLS: true},
			str:  "smtps://mail.example.com:1465 (TLS)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseURL(tt.raw, testFrom)
			require.NoError(t, err)
			tt.want.From = testFrom
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.str, got.String())
		})
	}
}

func TestParseURLErrors(t *testing.T) {
	t.Parallel()
	// Every URL carries this password somewhere; no error may show it.
	const secret = "hunter2"
	tests := []struct {
		name    string
		raw     string
		from    string
		wantErr string
	}{
		{"empty", "", testFrom, "ROSTER_SMTP_URL: empty"},
		{"http scheme", "http://u:hunter2@mail.example.com", testFrom, `scheme "http" not supported`},
		{"no scheme", "mail.example.com", testFrom, "no scheme"},
		{"opaque", "smtp:u:hunter2@mail.example.com", testFrom, "two slashes"},
		{"missing host", "smtp://u:hunter2@", testFrom, "missing host"},
		{"missing host with port", "smtp://u:hunter2@:25", testFrom, "missing host"},
		{"port zero", "smtp://u:hunter2@mail.example.com:0", testFrom, `port "0" out of range`},
		{"port too large", "smtp://u:hunter2@mail.example.com:70000", testFrom, `port "70000" out of range`},
		{"bad escape in password", "smtp://u:hunter2%zz@mail.example.com", testFrom, "not a valid URL"},
		{"unencoded # in password", "smtp://u:hunter2#x@mail.example.com", testFrom, "not a valid URL"},
		{"unencoded ? in password", "smtp://u:hun?ter2@mail.example.com", testFrom, "not a valid URL"},
		{"unencoded @ and # in password", "smtp://u:p@ss#hunter2@mail.example.com", testFrom, "'#'"},
		{"password without user", "smtp://:hunter2@mail.example.com", testFrom, "password without a user name"},
		{"path", "smtp://u:hunter2@mail.example.com/hunter2", testFrom, "unexpected path"},
		{"unknown starttls", "smtp://u:hunter2@mail.example.com?starttls=maybe", testFrom, `?starttls="maybe"`},
		{"starttls with smtps", "smtps://u:hunter2@mail.example.com?starttls=none", testFrom, "not smtps://"},
		{"unknown parameter", "smtp://u:hunter2@mail.example.com?tls=1", testFrom, "unknown parameter ?tls"},
		{"bad insecure", "smtp://u:hunter2@mail.example.com?insecure=yes", testFrom, `?insecure="yes"`},
		{"repeated parameter", "smtp://u:hunter2@mail.example.com?starttls=none&starttls=required", testFrom, "given 2 times"},
		{"empty from", "smtp://u:hunter2@mail.example.com", " ", "ROSTER_MAIL_FROM: empty"},
		{"bad from", "smtp://u:hunter2@mail.example.com", "roster at example", "ROSTER_MAIL_FROM: \"roster at example\" is not an email address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseURL(tt.raw, tt.from)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.True(t, strings.HasPrefix(err.Error(), "mail: "), err.Error())
			assert.NotContains(t, err.Error(), secret)
			assert.NotContains(t, err.Error(), "hun")
		})
	}
}

func TestParseURLFrom(t *testing.T) {
	t.Parallel()
	for _, from := range []string{"roster@example.com", "Roster <roster@example.com>", "Zoë’s Team <zoe@example.com>"} {
		c, err := ParseURL("smtp://mail.example.com", from)
		require.NoError(t, err, from)
		assert.Equal(t, from, c.From)
	}
}

func TestConfigNeverShowsPassword(t *testing.T) {
	t.Parallel()
	c, err := ParseURL("smtp://roster:hunter2@mail.example.com", testFrom)
	require.NoError(t, err)
	require.Equal(t, "hunter2", c.Password)

	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("smtp", "config", c)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("smtp", "config", c)
	for _, s := range []string{
		c.String(), fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), logged.String(),
	} {
		assert.NotContains(t, s, "hunter2")
		assert.Contains(t, s, "smtp://roster@mail.example.com:587")
	}
}
