package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

// withMailConfigured tells the server SMTP is set up.
func withMailConfigured() serverOption {
	return func(s *serverSetup) { s.deps.MailConfigured = true }
}

func queueTestEmail(t *testing.T, srv *testServer, e *models.Email) *models.Email {
	t.Helper()
	queued, err := srv.Store.QueueEmail(context.Background(), e, nil)
	require.NoError(t, err)
	require.True(t, queued)
	return e
}

func TestOutboxPage(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		b := srv.browser(t)
		b.signInAs(models.RoleViewer)

		p := b.get("/outbox")
		p.requireStatus(http.StatusOK)
		require.True(t, p.TestID("nav-outbox").HasClass("active"))
		require.Equal(t, 1, p.TestID("smtp-not-configured").Length())
		require.Zero(t, p.TestID("smtp-configured").Length())
		require.Equal(t, 1, p.TestID("outbox-empty").Length())

		ctx := context.Background()
		welcome := queueTestEmail(t, srv, &models.Email{Kind: "welcome", To: []string{"Ada Lovelace <ada@example.com>"},
			Subject: "Welcome to Example", TextBody: "Hello Ada,\nyour laptop ships Monday.",
			HTMLBody: `<p>Hello <b>Ada</b></p><script>alert("x")</script>`})
		refused := queueTestEmail(t, srv, &models.Email{Kind: "alert", To: []string{"it@example.com", "sec@example.com"},
			Subject: "GitHub access granted", TextBody: "Ada got GitHub"})
		require.NoError(t, srv.Store.RecordEmailFailure(ctx, refused.ID, "550 5.1.1 no such user", true))
		sent := queueTestEmail(t, srv, &models.Email{Kind: "digest", To: []string{"owner@example.com"},
			Subject: "3 changes waiting", TextBody: "Digest"})
		require.NoError(t, srv.Store.MarkEmailSent(ctx, sent.ID, time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)))

		p = b.get("/outbox")
		p.requireStatus(http.StatusOK)
		rows := p.TestID("outbox-row")
		require.Equal(t, 3, rows.Length())
		var subjects, statuses []string
		rows.Each(func(_ int, r *goquery.Selection) {
			subjects = append(subjects, squash(r.Find(`[data-testid="email-subject"]`).Text()))
			statuses = append(statuses, squash(r.Find(`[data-testid="email-status"]`).Text()))
		})
		require.Equal(t, []string{"3 changes waiting", "GitHub access granted", "Welcome to Example"}, subjects, "newest first")
		require.Equal(t, []string{"sent", "failed", "pending"}, statuses)
		require.Contains(t, rows.Eq(0).Text(), "2026-03-01 08:00 UTC")
		require.Equal(t, "550 5.1.1 no such user", squash(rows.Eq(1).Find(`[data-testid="email-error"]`).Text()))
		require.Equal(t, "1 attempt", squash(rows.Eq(1).Find(`[data-testid="email-attempts"]`).Text()))
		require.Zero(t, rows.Eq(2).Find(`[data-testid="email-attempts"]`).Length(), "never tried: no count")
		to := rows.Eq(1).Find(`[data-testid="email-to"] div`)
		require.Equal(t, 2, to.Length(), "one recipient a line")
		require.Equal(t, "sec@example.com", to.Eq(1).Text())

		w := rows.Eq(2)
		require.Equal(t, "Ada Lovelace <ada@example.com>", squash(w.Find(`[data-testid="email-to"]`).Text()))
		require.Equal(t, "Hello Ada,\nyour laptop ships Monday.", w.Find(`[data-testid="email-text"]`).Text())
		frame := w.Find(`iframe[data-testid="email-html"]`)
		require.Equal(t, 1, frame.Length())
		sandbox, ok := frame.Attr("sandbox")
		require.True(t, ok)
		require.Empty(t, sandbox, "no script, no same origin")
		require.Equal(t, welcome.HTMLBody, frame.AttrOr("srcdoc", ""))
		require.Equal(t, welcome.HTMLBody, w.Find(`[data-testid="email-html-source"]`).Text())
		require.NotContains(t, p.Body, `<script>alert`, "the message's HTML is escaped into the attribute")
		require.Zero(t, rows.Eq(1).Find(`iframe`).Length(), "a text-only mail has no HTML frame")

		p = b.get("/outbox?status=failed")
		p.requireStatus(http.StatusOK)
		require.True(t, p.TestID("tab-failed").HasClass("active"))
		require.Equal(t, 1, p.TestID("outbox-row").Length())
		require.Equal(t, "GitHub access granted", squash(p.TestID("email-subject").Text()))
	})
}

func TestOutboxPagination(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	b.signInAs(models.RoleViewer)
	for i := range 55 {
		queueTestEmail(t, srv, &models.Email{Kind: "test", To: []string{"a@example.com"}, Subject: fmt.Sprintf("Mail %02d", i), TextBody: "x"})
	}
	p := b.get("/outbox")
	p.requireStatus(http.StatusOK)
	require.Equal(t, 50, p.TestID("outbox-row").Length())
	require.Equal(t, "Mail 54", squash(p.TestID("email-subject").First().Text()))
	next := p.TestID("page-next").AttrOr("href", "")
	require.True(t, strings.HasPrefix(next, "/outbox?before="), next)
	p = b.get(next)
	p.requireStatus(http.StatusOK)
	require.Equal(t, 5, p.TestID("outbox-row").Length())
	require.Equal(t, "Mail 04", squash(p.TestID("email-subject").First().Text()))
	require.Zero(t, p.TestID("page-next").Length())
	require.Equal(t, "/outbox", p.TestID("page-first").AttrOr("href", ""))
}

func TestOutboxSaysWhenSMTPIsConfigured(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite, withMailConfigured())
	b := srv.browser(t)
	b.signInAs(models.RoleViewer)
	p := b.get("/outbox")
	p.requireStatus(http.StatusOK)
	require.Equal(t, 1, p.TestID("smtp-configured").Length())
	require.Zero(t, p.TestID("smtp-not-configured").Length())
}

func TestOutboxNeedsSignIn(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	p := srv.browser(t).get("/outbox")
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.True(t, strings.HasPrefix(p.Location(), "/login"), p.Location())
}
