package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/outbox"
)

const outboxPageSize = 50

var outboxTabs = []struct {
	status models.EmailStatus
	label  string
}{{"", "All"}, {models.EmailPending, "Pending"}, {models.EmailSent, "Sent"}, {models.EmailFailed, "Failed"}}

// outboxPage lists the mail Roster has written, newest first, with each
// message's bodies as they are (or would be) sent.
func (s *Server) outboxPage(c echo.Context) error {
	status := models.EmailStatus(c.QueryParam("status"))
	switch status {
	case "", models.EmailPending, models.EmailSent, models.EmailFailed:
	default:
		status = ""
	}
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	emails, more, err := s.store.ListEmails(c.Request().Context(), status, before, outboxPageSize)
	if err != nil {
		return err
	}
	v := outbox.View{Configured: s.mailConfigured}
	for _, t := range outboxTabs {
		v.Tabs = append(v.Tabs, outbox.Tab{Key: string(t.status), Label: t.label, URL: outboxURL(t.status, 0), Active: t.status == status})
	}
	v.Tabs[0].Key = "all"
	for i := range emails {
		v.Emails = append(v.Emails, outboxEmail(&emails[i]))
	}
	if before > 0 {
		v.FirstURL = outboxURL(status, 0)
	}
	if more {
		v.NextURL = outboxURL(status, emails[len(emails)-1].ID)
	}
	return render(c, http.StatusOK, outbox.Page(s.page(c, "Outbox", "outbox"), v))
}

func outboxURL(status models.EmailStatus, before int64) string {
	q := url.Values{}
	if status != "" {
		q.Set("status", string(status))
	}
	if before > 0 {
		q.Set("before", strconv.FormatInt(before, 10))
	}
	if len(q) == 0 {
		return "/outbox"
	}
	return "/outbox?" + q.Encode()
}

func outboxEmail(e *models.Email) outbox.Email {
	v := outbox.Email{
		ID: e.ID, Status: string(e.Status), To: e.To, Subject: e.Subject, Kind: e.Kind,
		Created: formatTime(e.CreatedAt), CreatedISO: e.CreatedAt.UTC().Format(time.RFC3339),
		Attempts: e.Attempts, LastError: e.LastError, Text: e.TextBody, HTML: e.HTMLBody,
	}
	if e.SentAt != nil {
		v.Sent, v.SentISO = formatTime(*e.SentAt), e.SentAt.UTC().Format(time.RFC3339)
	}
	return v
}
