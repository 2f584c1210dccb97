package scim_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/app/outbound"
	"github.com/rosterhq/roster/jobs/app/scim"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	oauth := &scim.OAuth{TokenURL: "https://idp.example/oauth2/token", ClientID: "roster", ClientSecret: "s3cr3t-client-secret"}
	private := outbound.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	tests := []struct {
		name    string
		cfg     scim.Config
		policy  outbound.Policy
		wantErr string // "" means valid
	}{
		{name: "https with a token", cfg: scim.Config{BaseURL: "https://app.example/scim/v2", Token: "t0k"}},
		{name: "a trailing slash is fine", cfg: scim.Config{BaseURL: "https://app.example/scim/v2/", Token: "t0k"}},
		{name: "OAuth", cfg: scim.Config{BaseURL: "https://app.example/scim/v2", OAuth: oauth}},
		{name: "plain http to an allowed private address", cfg: scim.Config{BaseURL: "http://10.1.2.3:8080/scim", Token: "t0k"}, policy: private},
		{name: "plain http to a name when private targets are allowed", cfg: scim.Config{BaseURL: "http://scim.internal/scim", Token: "t0k"}, policy: private},
		{name: "plain http to loopback in tests", cfg: scim.Config{BaseURL: "http://127.0.0.1:9999/scim/v2", Token: "t0k"}, policy: outbound.Loopback()},

		{name: "no base URL", cfg: scim.Config{Token: "t0k"}, wantErr: "scim: the base URL is required"},
		{name: "plain http by default", cfg: scim.Config{BaseURL: "http://app.example/scim/v2", Token: "t0k"}, wantErr: "scim: the base URL must start with https:// (plain http:// is only for private addresses allowed by ROSTER_ALLOW_PRIVATE_TARGETS)"},
		{name: "plain http to a private address not allowed", cfg: scim.Config{BaseURL: "http://192.168.1.1/scim", Token: "t0k"}, policy: private, wantErr: "must start with https://"},
		{name: "another scheme", cfg: scim.Config{BaseURL: "ftp://app.example/scim", Token: "t0k"}, wantErr: "scim: the base URL must start with https://"},
		{name: "no host", cfg: scim.Config{BaseURL: "https:///scim", Token: "t0k"}, wantErr: "scim: the base URL must name a host"},
		{name: "a query", cfg: scim.Config{BaseURL: "https://app.example/scim/v2?tenant=1", Token: "t0k"}, wantErr: "scim: the base URL must not have a query (?…) or fragment (#…)"},
		{name: "a bare question mark", cfg: scim.Config{BaseURL: "https://app.example/scim/v2?", Token: "t0k"}, wantErr: "must not have a query"},
		{name: "a fragment", cfg: scim.Config{BaseURL: "https://app.example/scim/v2#x", Token: "t0k"}, wantErr: "must not have a query"},
		{name: "spaces around", cfg: scim.Config{BaseURL: " https://app.example/scim/v2\n", Token: "t0k"}, wantErr: "scim: the base URL has spaces around it"},
		{name: "an endpoint pasted", cfg: scim.Config{BaseURL: "https://app.example/scim/v2/Users", Token: "t0k"}, wantErr: "scim: the base URL must be the SCIM root, without /Users at the end"},
		{name: "credentials in the URL", cfg: scim.Config{BaseURL: "https://svc:pw@app.example/scim", Token: "t0k"}, wantErr: "scim: the base URL must not carry a user name or password"},
		{name: "no credentials", cfg: scim.Config{BaseURL: "https://app.example/scim/v2"}, wantErr: "scim: set a bearer token or OAuth client credentials"},
		{name: "both credentials", cfg: scim.Config{BaseURL: "https://app.example/scim/v2", Token: "t0k", OAuth: oauth}, wantErr: "not both"},
		{name: "a token with a line break", cfg: scim.Config{BaseURL: "https://app.example/scim/v2", Token: "t0k\r\nX-Evil: 1"}, wantErr: "scim: the bearer token must not contain spaces or line breaks"},
		{name: "OAuth without a secret", cfg: scim.Config{BaseURL: "https://app.example/scim/v2", OAuth: &scim.OAuth{TokenURL: "https://idp.example/token", ClientID: "roster"}}, wantErr: "scim: the OAuth client secret is required"},
		{name: "OAuth without an id", cfg: scim.Config{BaseURL: "https://app.example/scim/v2", OAuth: &scim.OAuth{TokenURL: "https://idp.example/token", ClientSecret: "x"}}, wantErr: "scim: the OAuth client id is required"},
		{name: "OAuth over http", cfg: scim.Config{BaseURL: "https://app.example/scim/v2", OAuth: &scim.OAuth{TokenURL: "http://idp.example/token", ClientID: "r", ClientSecret: "x"}}, wantErr: "scim: the OAuth token URL must start with https://"},
		{name: "OAuth scope with a space", cfg: scim.Config{BaseURL: "https://app.example/scim/v2", OAuth: &scim.OAuth{TokenURL: "https://idp.example/token", ClientID: "r", ClientSecret: "x", Scopes: []string{"a b"}}}, wantErr: "each OAuth scope is one word"},
		{name: "a long timeout", cfg: scim.Config{BaseURL: "https://app.example/scim/v2", Token: "t0k", Timeout: 2 * time.Minute}, wantErr: "scim: the timeout must be between 0 (meaning 30s) and 60s"},
		{name: "too many attempts", cfg: scim.Config{BaseURL: "https://app.example/scim/v2", Token: "t0k", Attempts: 11}, wantErr: "scim: attempts must be between 0 (meaning 3) and 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate(tt.policy)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, err.Error(), "pw@")
			assert.NotContains(t, err.Error(), "s3cr3t")
			_, err = scim.NewClient(tt.cfg, scim.Options{Policy: tt.policy})
			assert.Error(t, err, "NewClient validates too")
		})
	}
}
