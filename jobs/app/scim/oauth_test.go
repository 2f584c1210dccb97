package scim_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/app/outbound"
	"github.com/rosterhq/roster/jobs/app/scim"
	"github.com/rosterhq/roster/jobs/app/scim/scimtest"
)

const clientSecret = "cs-8d1e44a0b7f94c2a9e55"

func oauthServer(t *testing.T) *scimtest.Server {
	return scimtest.New(t, scimtest.Options{OAuth: &scimtest.Credentials{ClientID: "roster", ClientSecret: clientSecret}, EchoCredentials: true})
}

func oauthClient(t *testing.T, srv *scimtest.Server, secret string) *scim.Client {
	t.Helper()
	cfg := scim.Config{
		BaseURL:  srv.URL(),
		OAuth:    &scim.OAuth{TokenURL: srv.TokenURL(), ClientID: "roster", ClientSecret: secret, Scopes: []string{"scim.read", "scim.write"}},
		Attempts: 1,
	}
	c, err := scim.NewClient(cfg, scim.Options{Policy: outbound.Loopback()})
	require.NoError(t, err)
	return c
}

func TestOAuthClientCredentials(t *testing.T) {
	t.Parallel()
	srv := oauthServer(t)
	srv.AddUsers(3)
	c := oauthClient(t, srv, clientSecret)

	conn, err := c.TestConnection(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 3, conn.TotalUsers)
	_, err = c.GetUser(context.Background(), "1")
	require.NoError(t, err)

	assert.Equal(t, 1, srv.Count(http.MethodPost, scimtest.TokenPath), "the token is reused")
	tokens := srv.AccessTokens()
	require.Len(t, tokens, 1)
	for _, r := range srv.Requests() {
		if r.Path == scimtest.TokenPath {
			assert.Contains(t, string(r.Body), "grant_type=client_credentials")
			assert.Contains(t, string(r.Body), "scope=scim.read+scim.write")
			continue
		}
		assert.Equal(t, "Bearer "+tokens[0], r.Header.Get("Authorization"))
	}
}

func TestOAuthWrongSecret(t *testing.T) {
	t.Parallel()
	srv := oauthServer(t)
	wrong := "cs-wrong-0000000000000000"
	_, err := oauthClient(t, srv, wrong).GetUser(context.Background(), "1")
	var e *scim.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 401, e.Status)
	assert.False(t, e.Retry)
	assert.Equal(t, "scim: POST "+srv.TokenURL()+": no OAuth token: 401 Unauthorized: invalid_client: unknown client or wrong secret", err.Error())
	assertNoSecret(t, err, wrong, clientSecret)
	assert.Zero(t, srv.Count(http.MethodGet, "*"), "no SCIM call without a token")
}

func TestOAuthTokenEndpointDown(t *testing.T) {
	t.Parallel()
	srv := oauthServer(t)
	// Two: the oauth2 package tries the secret in a header, then in the form.
	down := scimtest.Reply{Status: 503, Header: map[string]string{"Content-Type": "application/json"}, Body: `{"error":"temporarily_unavailable"}`}
	srv.Queue(http.MethodPost, scimtest.TokenPath, down, down)
	_, err := oauthClient(t, srv, clientSecret).GetUser(context.Background(), "1")
	retry, _ := scim.Retryable(err)
	assert.True(t, retry, "%v", err)
	assert.Zero(t, srv.Count(http.MethodGet, "*"))
}

// Servers that echo credentials in their errors do not get them into
// Roster's: not the static token, not an OAuth access token, not the
// client secret.
func TestSecretsNeverInErrors(t *testing.T) {
	t.Parallel()
	t.Run("bearer token echoed by a 401", func(t *testing.T) {
		t.Parallel()
		srv := scimtest.New(t, scimtest.Options{Token: "the-right-token-123456", EchoCredentials: true})
		c := newClient(t, srv) // sends testToken, which is wrong here
		_, err := c.GetUser(context.Background(), "1")
		require.Error(t, err)
		var e *scim.Error
		require.ErrorAs(t, err, &e)
		assert.Contains(t, e.Detail, "[redacted]")
		assertNoSecret(t, err)
	})
	t.Run("bearer token echoed in any answer", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, scimtest.Options{})
		srv.Queue(http.MethodPost, "/Users", scimtest.Reply{Status: 400, SCIMType: "invalidValue", Detail: "request " + testToken + " rejected"})
		srv.Queue(http.MethodGet, "/Users/1", scimtest.Reply{Status: 500, Body: "debug: token=" + testToken})
		c := newClient(t, srv)
		_, err := c.Create(context.Background(), scim.User{UserName: "ada"})
		assertNoSecret(t, err)
		_, err = c.GetUser(context.Background(), "1")
		assertNoSecret(t, err)
	})
	t.Run("OAuth access token echoed", func(t *testing.T) {
		t.Parallel()
		srv := oauthServer(t)
		c := oauthClient(t, srv, clientSecret)
		_, _ = c.GetUser(context.Background(), "1")
		tokens := srv.AccessTokens()
		require.Len(t, tokens, 1)
		srv.Queue(http.MethodGet, "/Users/1", scimtest.Reply{Status: 403, Detail: "token " + tokens[0] + " lacks scim.write; client secret " + clientSecret})
		_, err := c.GetUser(context.Background(), "1")
		require.Error(t, err)
		assertNoSecret(t, err, tokens[0], clientSecret)
	})
	t.Run("formatted configs", func(t *testing.T) {
		t.Parallel()
		cfg := scim.Config{BaseURL: "https://app.example/scim/v2", Token: testToken}
		ocfg := scim.Config{BaseURL: "https://app.example/scim/v2", OAuth: &scim.OAuth{TokenURL: "https://idp.example/token", ClientID: "roster", ClientSecret: clientSecret}}
		var logged bytes.Buffer
		slog.New(slog.NewTextHandler(&logged, nil)).Info("app", "config", cfg, "oauth", ocfg)
		text := fmt.Sprintf("%v %+v %#v %s %v %+v %#v", cfg, cfg, cfg, ocfg, ocfg, *ocfg.OAuth, ocfg.OAuth) + logged.String()
		assert.NotContains(t, text, testToken)
		assert.NotContains(t, text, clientSecret)
		assert.Equal(t, "SCIM https://app.example/scim/v2 with a bearer token", cfg.String())
		assert.Equal(t, `SCIM https://app.example/scim/v2 with OAuth client "roster" at https://idp.example/token`, ocfg.String())
		assert.False(t, strings.Contains(fmt.Sprint(cfg.Validate(outbound.Policy{})), testToken))
	})
}
