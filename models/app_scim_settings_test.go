package models_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

func TestSCIMInputValidate(t *testing.T) {
	t.Parallel()
	const base = "https://example.com/scim/v2"
	for _, tc := range []struct {
		name   string
		in     models.SCIMInput
		fields []string
	}{
		{"token", models.SCIMInput{BaseURL: base, Token: "tok"}, nil},
		{"oauth", models.SCIMInput{BaseURL: base, OAuthTokenURL: "https://example.com/token", OAuthClientID: "roster", OAuthClientSecret: "s"}, nil},
		{"no credentials", models.SCIMInput{BaseURL: base}, []string{"token"}},
		{"both", models.SCIMInput{BaseURL: base, Token: "tok", OAuthClientID: "roster"}, []string{"token"}},
		{"half oauth", models.SCIMInput{BaseURL: base, OAuthClientID: "roster"}, []string{"oauth_token_url", "oauth_client_secret"}},
		{"token with a space", models.SCIMInput{BaseURL: base, Token: "a b"}, []string{"token"}},
		{"no base URL", models.SCIMInput{Token: "tok"}, []string{"base_url"}},
		{"user info", models.SCIMInput{BaseURL: "https://me:hunter2@example.com/scim", Token: "tok"}, []string{"base_url"}},
		{"ftp", models.SCIMInput{BaseURL: "ftp://example.com/scim", Token: "tok"}, []string{"base_url"}},
		{"bad scope", models.SCIMInput{BaseURL: base, Token: "tok", Scopes: []string{"a b"}}, []string{"scopes"}},
		{"on not found", models.SCIMInput{BaseURL: base, Token: "tok", OnNotFound: "ignore"}, []string{"on_not_found"}},
	} {
		in := tc.in
		errs := in.Validate()
		var got []string
		for f, msg := range errs {
			got = append(got, f)
			require.NotContains(t, msg, "hunter2", "messages do not repeat the URL")
		}
		require.ElementsMatch(t, tc.fields, got, tc.name)
		if len(errs) == 0 {
			require.Equal(t, models.SCIMOnNotFoundGone, in.OnNotFound, "%s: gone by default", tc.name)
		}
	}
}

// TestSCIMSettings: a SCIM app's connection is sealed in apps.config and
// read back whole; its audit events name the non-secret fields only.
func TestSCIMSettings(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		sealer := testSealer(t, 7)
		app, err := store.CreateApp(ctx, tester, models.AppInput{Kind: models.AppSCIM, Name: "Slack", DeprovisionMode: models.DeprovisionDisable})
		require.NoError(t, err)

		in, err := store.SCIMSettings(ctx, app.ID, sealer)
		require.NoError(t, err)
		require.Zero(t, in, "a new app is not connected")

		const token = "scim-token-5d1e0a9b77c2"
		require.NoError(t, store.SetSCIMSettings(ctx, tester, app.ID,
			models.SCIMInput{BaseURL: " https://slack.example.com/scim/v2 ", Token: token}, sealer))
		in, err = store.SCIMSettings(ctx, app.ID, sealer)
		require.NoError(t, err)
		require.Equal(t, models.SCIMInput{BaseURL: "https://slack.example.com/scim/v2", Token: token, OnNotFound: models.SCIMOnNotFoundGone}, in)

		config := rawConfig(t, db, app.ID)
		require.True(t, strings.HasPrefix(config, "v1:"), config)
		require.NotContains(t, config, token)
		require.NotContains(t, config, "slack.example.com")
		plain, err := sealer.Open(config)
		require.NoError(t, err)
		require.JSONEq(t, `{"base_url":"https://slack.example.com/scim/v2","token":"`+token+`","on_not_found":"gone"}`, plain,
			"the JSON of the SCIM client's Config, which the connector reads")

		// Switching to OAuth replaces the token.
		const secret = "client-secret-88a1f03c"
		oauth := models.SCIMInput{BaseURL: "https://slack.example.com/scim/v2", OAuthTokenURL: "https://slack.example.com/oauth/token",
			OAuthClientID: "roster", OAuthClientSecret: secret, Scopes: []string{"scim"}, OnNotFound: models.SCIMOnNotFoundRecreate}
		require.NoError(t, store.SetSCIMSettings(ctx, tester, app.ID, oauth, sealer))
		in, err = store.SCIMSettings(ctx, app.ID, sealer)
		require.NoError(t, err)
		require.Equal(t, oauth, in)

		events, _, err := store.ListAuditEvents(ctx, models.AuditFilter{Action: models.ActionAppSCIMUpdated, Limit: 10})
		require.NoError(t, err)
		require.Len(t, events, 2)
		require.JSONEq(t, `{"base_url":"https://slack.example.com/scim/v2","auth":"oauth","oauth_token_url":"https://slack.example.com/oauth/token",`+
			`"oauth_client_id":"roster","scopes":["scim"],"on_not_found":"recreate","secret":"set"}`, *events[0].After)
		require.JSONEq(t, `{"base_url":"https://slack.example.com/scim/v2","auth":"bearer token","on_not_found":"gone"}`, *events[0].Before)
		for _, ev := range events {
			for _, s := range []string{token, secret} {
				require.NotContains(t, *ev.After, s)
				if ev.Before != nil {
					require.NotContains(t, *ev.Before, s)
				}
			}
		}

		// Invalid input is refused without being echoed; other kinds have no SCIM connection.
		err = store.SetSCIMSettings(ctx, tester, app.ID, models.SCIMInput{BaseURL: "https://me:hunter2@example.com", Token: token}, sealer)
		require.ErrorContains(t, err, "invalid [base_url]")
		require.NotContains(t, err.Error(), "hunter2")
		hook, err := store.CreateApp(ctx, tester, models.AppInput{Kind: models.AppWebhook, Name: "Hook", DeprovisionMode: models.DeprovisionDisable})
		require.NoError(t, err)
		require.ErrorIs(t, store.SetSCIMSettings(ctx, tester, hook.ID, models.SCIMInput{BaseURL: "https://example.com/scim", Token: token}, sealer),
			models.ErrNotFound)

		// Settings sealed under another key cannot be read.
		_, err = store.SCIMSettings(ctx, app.ID, testSealer(t, 9))
		require.ErrorIs(t, err, models.ErrWebhookUnreadable)
	})
}
