package webhook

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/rosterhq/roster/jobs/app/redact"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	const secret = "0123456789abcdef" // exactly 16 bytes
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"https", Config{URL: "https://hooks.example.com/roster", Secret: secret}, ""},
		{"http on a private network", Config{URL: "http://10.0.0.5:8080/roster?team=it", Secret: secret}, ""},
		{"upper-case scheme", Config{URL: "HTTPS://hooks.example.com/", Secret: secret}, ""},
		{"a timeout", Config{URL: "https://h.example.com", Secret: secret, Timeout: 30 * time.Second}, ""},
		{"the longest timeout", Config{URL: "https://h.example.com", Secret: secret, Timeout: time.Minute}, ""},
		{"a previous secret", Config{URL: "https://h.example.com", Secret: secret, PreviousSecret: "fedcba9876543210"}, ""},

		{"no URL", Config{Secret: secret}, "webhook: the URL is required"},
		{"a relative URL", Config{URL: "/hooks", Secret: secret}, "webhook: the URL must start with https:// or http://"},
		{"no scheme", Config{URL: "hooks.example.com/roster", Secret: secret}, "webhook: the URL must start with https:// or http://"},
		{"another scheme", Config{URL: "ftp://hooks.example.com", Secret: secret}, "webhook: the URL must start with https:// or http://"},
		{"no host", Config{URL: "https:///roster", Secret: secret}, "webhook: the URL must name a host, like https://example.com/hooks/roster"},
		{"only a port", Config{URL: "https://:443/roster", Secret: secret}, "webhook: the URL must name a host, like https://example.com/hooks/roster"},
		{"opaque", Config{URL: "https:hooks.example.com", Secret: secret}, "webhook: the URL must name a host, like https://example.com/hooks/roster"},
		{"unparseable", Config{URL: "https://exa mple.com/\x7f", Secret: secret}, "webhook: the URL is not a valid URL"},
		{"a secret one byte short", Config{URL: "https://h.example.com", Secret: secret[:15]}, "webhook: the signing secret must be at least 16 bytes"},
		{"a short previous secret", Config{URL: "https://h.example.com", Secret: secret, PreviousSecret: "old"}, "webhook: the previous signing secret must be at least 16 bytes"},
		{"a negative timeout", Config{URL: "https://h.example.com", Secret: secret, Timeout: -time.Second}, "webhook: the timeout must be between 0 (meaning 10s) and 60s"},
		{"a timeout beyond River's job timeout", Config{URL: "https://h.example.com", Secret: secret, Timeout: 2 * time.Minute}, "webhook: the timeout must be between 0 (meaning 10s) and 60s"},
		{"every problem at once", Config{URL: "ftp://x", Secret: "short"}, "webhook: the URL must start with https:// or http://\nwebhook: the signing secret must be at least 16 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, tt.wantErr)
		})
	}
}

func TestConfigTimeout(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 10*time.Second, Config{}.timeout())
	assert.Equal(t, 3*time.Second, Config{Timeout: 3 * time.Second}.timeout())
}

func TestConfigURLWithCredentialsIsNotRepeated(t *testing.T) {
	t.Parallel()
	err := Config{URL: "ftp://admin:pa55word@example.com", Secret: "0123456789abcdef"}.Validate()
	assert.Error(t, err)
	assert.NotContains(t, err.Error(), "pa55word")
	assert.Equal(t, "https://example.com/hooks", redact.DisplayURL("https://admin:pa55word@example.com/hooks?key=k#frag"))
	assert.Equal(t, "the app's URL", redact.DisplayURL("::"))
}
