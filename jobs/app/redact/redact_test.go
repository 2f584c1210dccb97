package redact

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSecrets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"plain text stays", `{"error": "no such group", "group": "eng"}`, `{"error": "no such group", "group": "eng"}`},
		{"JSON token", `{"ok":false,"token":"s3cr3t-value"}`, `{"ok":false,"token":[redacted]}`},
		{"JSON access_token with spaces", `{ "access_token" : "abc.def" , "expires_in": 3600 }`, `{ "access_token" : [redacted] , "expires_in": 3600 }`},
		{"camelCase apiKey", `{"apiKey": "k-123"}`, `{"apiKey": [redacted]}`},
		{"JSON password, escaped quote inside", `{"password": "pa\"ss"}`, `{"password": [redacted]}`},
		{"single-quoted repr", `{'client_secret': 'xyz'}`, `{'client_secret': [redacted]}`},
		{"unquoted JSON value", `{"pin": 1234}`, `{"pin": [redacted]}`},
		{"query string", `GET /cb?code=1&access_token=abc123&state=x`, `GET /cb?code=1&access_token=[redacted]&state=x`},
		{"form", `user=ada&password=hunter2`, `user=ada&password=[redacted]`},
		{"header line", "Authorization: Bearer abcdefghijkl\nX-Other: 1", "Authorization: [redacted]\nX-Other: 1"},
		{"Go header dump", `map[Authorization:[Bearer abcdefghijkl] X-Roster-Signature:[sha256=00ff]]`, `map[Authorization:[redacted]] X-Roster-Signature:[redacted]]]`},
		{"API key header", `X-Api-Key: 0123456789`, `X-Api-Key: [redacted]`},
		{"YAML", "api_key: abc\nname: eng", "api_key: [redacted]\nname: eng"},
		{"bearer in prose", `rejected Bearer eyJhbGciOiJIUzI1NiJ9x because`, `rejected Bearer [redacted] because`},
		{"JWT anywhere", `bad jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U here`, `bad jwt [redacted] here`},
		{"GitHub token", `invalid credentials ghp_0123456789abcdefghijABCDEFGHIJ012345`, `invalid credentials [redacted]`},
		{"GitHub fine-grained token", `github_pat_11ABCDEFG0123456789_abcdefghijklmnop`, `[redacted]`},
		{"Slack token", `xoxb-1234567890-abcdefghij`, `[redacted]`},
		{"Stripe key", `sk_live_0123456789abcdefABCD`, `[redacted]`},
		{"AWS key id", `key AKIAIOSFODNN7EXAMPLE used`, `key [redacted] used`},
		{"private key block", "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY----- tail", "[redacted] tail"},
		{"cut-off private key", "x -----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBgkqhk", "x [redacted]"},
		{"URL password", `dial https://svc:p4ss@example.com/scim failed`, `dial https://svc:[redacted]@example.com/scim failed`},
		{"already redacted stays", `secret=[redacted]`, `secret=[redacted]`},
		{"words that only contain a secret word stay", `author: Ada, tokens_used: 5, design: ok`, `author: Ada, tokens_used: 5, design: ok`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, Secrets(tt.in))
		})
	}
}

func FuzzSecrets(f *testing.F) {
	f.Add(`{"token":"abc"}`)
	f.Add("Authorization: Bearer abcdefghijkl")
	f.Fuzz(func(t *testing.T, s string) {
		out := Secrets(s)
		// Redacting twice changes nothing more: the mark is never itself
		// taken for a secret value to redact again in a different way.
		assert.Equal(t, out, Secrets(out))
	})
}
