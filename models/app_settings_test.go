package models_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

func testSealer(t *testing.T, fill byte) *models.Sealer {
	t.Helper()
	s, err := models.NewSealer(bytes.Repeat([]byte{fill}, models.SecretKeySize))
	require.NoError(t, err)
	return s
}

// rawConfig reads apps.config as stored, below the store.
func rawConfig(t *testing.T, db *models.DB, appID int64) string {
	t.Helper()
	var config string
	require.NoError(t, db.SQL.QueryRow(fmt.Sprintf("SELECT config FROM apps WHERE id = %d", appID)).Scan(&config))
	return config
}

// webhookEvents returns the app.webhook_updated events, newest first.
func webhookEvents(t *testing.T, store *models.Store) []models.AuditEvent {
	t.Helper()
	events, _, err := store.ListAuditEvents(context.Background(), models.AuditFilter{Action: models.ActionAppWebhookUpdated, Limit: 100})
	require.NoError(t, err)
	return events
}

func TestWebhookInputValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url, secret string
		fields      []string
	}{
		{url: "https://example.com/hooks/roster"},
		{url: "  http://10.0.0.5:8080/hook?x=1  "},
		{url: "", fields: []string{"url"}},
		{url: "example.com/hooks", fields: []string{"url"}},
		{url: "ftp://example.com/hooks", fields: []string{"url"}},
		{url: "https:///hooks", fields: []string{"url"}},
		{url: "https:example.com", fields: []string{"url"}},
		{url: "https://user:hunter2@example.com/hooks", fields: []string{"url"}},
		{url: "https://exa mple.com/", fields: []string{"url"}},
		{url: "https://example.com/" + strings.Repeat("a", models.MaxWebhookURLLength), fields: []string{"url"}},
		{url: "https://example.com/hooks", secret: "short", fields: []string{"secret"}},
		{url: "https://example.com/hooks", secret: strings.Repeat("s", models.MinWebhookSecretLength)},
	} {
		in := models.WebhookInput{URL: tc.url, Secret: tc.secret}
		errs := in.Validate()
		var got []string
		for f, msg := range errs {
			got = append(got, f)
			require.NotContains(t, msg, "hunter2", "messages do not repeat the URL")
		}
		require.ElementsMatch(t, tc.fields, got, "%q", tc.url)
		if len(errs) == 0 {
			require.Equal(t, strings.TrimSpace(tc.url), in.URL)
		}
	}
}

func TestWebhookSettings(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		sealer := testSealer(t, 7)
		app, err := store.CreateApp(ctx, tester, models.AppInput{Kind: models.AppWebhook, Name: "GitHub", DeprovisionMode: models.DeprovisionDisable})
		require.NoError(t, err)

		u, secret, prev, err := store.WebhookSettings(ctx, app.ID, sealer)
		require.NoError(t, err)
		require.Empty(t, u+secret+prev, "a new app is not connected")

		// Saving a URL generates a secret and stores both sealed.
		const url1 = "https://hooks.example.com/roster?token=abc"
		require.NoError(t, store.SetWebhookSettings(ctx, tester, app.ID, "  "+url1+" ", "", false, sealer))
		u, secret, prev, err = store.WebhookSettings(ctx, app.ID, sealer)
		require.NoError(t, err)
		require.Equal(t, url1, u)
		require.Empty(t, prev)
		raw, err := base64.RawURLEncoding.DecodeString(secret)
		require.NoError(t, err, "the secret is base64url")
		require.Len(t, raw, 32)

		config := rawConfig(t, db, app.ID)
		require.True(t, strings.HasPrefix(config, "v1:"), config)
		require.NotContains(t, config, "hooks.example.com")
		require.NotContains(t, config, secret)

		// The job runner reads the same JSON keys.
		plain, err := sealer.Open(config)
		require.NoError(t, err)
		var stored map[string]string
		require.NoError(t, json.Unmarshal([]byte(plain), &stored))
		require.Equal(t, map[string]string{"url": url1, "secret": secret}, stored)

		reloaded, err := store.AppByID(ctx, app.ID)
		require.NoError(t, err)
		got, err := reloaded.WebhookURL(sealer)
		require.NoError(t, err)
		require.Equal(t, url1, got)

		events := webhookEvents(t, store)
		require.Len(t, events, 1)
		require.JSONEq(t, `{"url":"`+url1+`","secret":"set"}`, *events[0].After)
		require.Nil(t, events[0].Before)
		require.Equal(t, "GitHub", events[0].SubjectLabel)

		// Saving the same URL again changes nothing and audits nothing.
		require.NoError(t, store.SetWebhookSettings(ctx, tester, app.ID, url1, "", false, sealer))
		require.Len(t, webhookEvents(t, store), 1)

		// A new URL keeps the secret.
		const url2 = "https://hooks.example.com/v2"
		require.NoError(t, store.SetWebhookSettings(ctx, tester, app.ID, url2, "", false, sealer))
		u, secret2, _, err := store.WebhookSettings(ctx, app.ID, sealer)
		require.NoError(t, err)
		require.Equal(t, url2, u)
		require.Equal(t, secret, secret2)
		events = webhookEvents(t, store)
		require.Len(t, events, 2)
		require.JSONEq(t, `{"url":"`+url2+`","secret":"unchanged"}`, *events[0].After)
		require.JSONEq(t, `{"url":"`+url1+`"}`, *events[0].Before)

		// Rotating moves the current secret to previous and makes a new one.
		require.NoError(t, store.SetWebhookSettings(ctx, tester, app.ID, url2, "", true, sealer))
		_, secret3, prev, err := store.WebhookSettings(ctx, app.ID, sealer)
		require.NoError(t, err)
		require.NotEqual(t, secret, secret3)
		require.Equal(t, secret, prev)
		require.JSONEq(t, `{"url":"`+url2+`","secret":"rotated"}`, *webhookEvents(t, store)[0].After)

		// The next rotation forgets the oldest secret.
		require.NoError(t, store.SetWebhookSettings(ctx, tester, app.ID, url2, "", true, sealer))
		_, secret4, prev, err := store.WebhookSettings(ctx, app.ID, sealer)
		require.NoError(t, err)
		require.Equal(t, secret3, prev)
		require.NotContains(t, []string{secret, secret3}, secret4)

		// A given secret replaces both.
		given := strings.Repeat("g", 20)
		require.ErrorContains(t, store.SetWebhookSettings(ctx, tester, app.ID, url2, "too-short", false, sealer), "invalid [secret]")
		require.NoError(t, store.SetWebhookSettings(ctx, tester, app.ID, url2, given, false, sealer))
		_, secret5, prev, err := store.WebhookSettings(ctx, app.ID, sealer)
		require.NoError(t, err)
		require.Equal(t, given, secret5)
		require.Empty(t, prev)
		require.JSONEq(t, `{"url":"`+url2+`","secret":"set"}`, *webhookEvents(t, store)[0].After)

		// No audit event ever holds a secret.
		for _, ev := range webhookEvents(t, store) {
			for _, s := range []string{secret, secret3, secret4, given} {
				require.NotContains(t, *ev.After, s)
				if ev.Before != nil {
					require.NotContains(t, *ev.Before, s)
				}
			}
		}

		// Invalid URLs are refused without being echoed.
		err = store.SetWebhookSettings(ctx, tester, app.ID, "https://me:hunter2@example.com", "", false, sealer)
		require.ErrorContains(t, err, "invalid [url]")
		require.NotContains(t, err.Error(), "hunter2")
	})
}

func TestWebhookSettingsErrors(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		sealer := testSealer(t, 7)

		_, _, _, err := store.WebhookSettings(ctx, 999, sealer)
		require.ErrorIs(t, err, models.ErrNotFound)
		require.ErrorIs(t, store.SetWebhookSettings(ctx, tester, 999, "https://example.com", "", false, sealer), models.ErrNotFound)

		manual, err := store.CreateApp(ctx, tester, models.AppInput{Kind: models.AppManual, Name: "Laptop", DeprovisionMode: models.DeprovisionDisable})
		require.NoError(t, err)
		require.ErrorIs(t, store.SetWebhookSettings(ctx, tester, manual.ID, "https://example.com", "", false, sealer), models.ErrNotFound,
			"manual apps have no webhook")
		require.Empty(t, rawConfig(t, db, manual.ID))

		// Settings sealed under another key cannot be read; saving starts over.
		app, err := store.CreateApp(ctx, tester, models.AppInput{Kind: models.AppWebhook, Name: "Card", DeprovisionMode: models.DeprovisionDisable})
		require.NoError(t, err)
		require.NoError(t, store.SetWebhookSettings(ctx, tester, app.ID, "https://old.example.com", "", false, testSealer(t, 9)))
		_, _, _, err = store.WebhookSettings(ctx, app.ID, sealer)
		require.ErrorIs(t, err, models.ErrWebhookUnreadable)

		require.NoError(t, store.SetWebhookSettings(ctx, tester, app.ID, "https://new.example.com", "", true, sealer))
		u, secret, prev, err := store.WebhookSettings(ctx, app.ID, sealer)
		require.NoError(t, err)
		require.Equal(t, "https://new.example.com", u)
		require.NotEmpty(t, secret)
		require.Empty(t, prev, "an unreadable secret is not kept")
		require.JSONEq(t, `{"url":"https://new.example.com","secret":"set"}`, *webhookEvents(t, store)[0].After)
	})
}
