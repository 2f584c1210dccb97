package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/jobs/app/webhook"
	"github.com/rosterhq/roster/jobs/sample"
	"github.com/rosterhq/roster/models"
	sampleview "github.com/rosterhq/roster/views/sample"
)

// sampleCallsShown caps the sample receiver's page.
const sampleCallsShown = 200

// sampleDataLoad fills an empty Roster with the sample company and sends
// the admin to the Team Updates it produced.
func (s *Server) sampleDataLoad(c echo.Context) error {
	ctx := c.Request().Context()
	sum, err := sample.Load(ctx, sample.Deps{
		Store: s.store, Sealer: s.sealer, Importer: s.importer, PlanEveryone: s.planner.PlanEveryone,
	}, s.externalBase(c), actor(c))
	if errors.Is(err, sample.ErrNotEmpty) {
		return s.redirectWithFlash(c, "/", "error", "Sample data can only be loaded into an empty Roster, and this one already has people or an HR source.")
	}
	if err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/team-updates", "success", sum.String()+" The Sample app's calls land on the sample receiver (/sample-receiver).")
}

// externalBase is the address Roster is reached at: ROSTER_BASE_URL, or
// this request's scheme and host when it is not set.
func (s *Server) externalBase(c echo.Context) string {
	if s.cfg.BaseURL != nil {
		return strings.TrimRight(s.cfg.BaseURL.String(), "/")
	}
	return c.Scheme() + "://" + c.Request().Host
}

// sampleApp returns the sample data's webhook app and its secrets; nil
// when there is none.
func (s *Server) sampleApp(c echo.Context) (app *models.App, secret, previous string, err error) {
	ctx := c.Request().Context()
	apps, err := s.store.ListApps(ctx)
	if err != nil {
		return nil, "", "", err
	}
	for i := range apps {
		if apps[i].Name == sample.WebhookApp && apps[i].Kind == models.AppWebhook {
			_, secret, previous, err = s.store.WebhookSettings(ctx, apps[i].ID, s.sealer)
			return &apps[i], secret, previous, err
		}
	}
	return nil, "", "", nil
}

// sampleReceiverHook is the built-in stand-in for a real app: it checks
// the Sample app's signature and records each idempotency key once,
// counting repeats. It runs without a session or CSRF check (skipInfra):
// the signature is its authentication.
func (s *Server) sampleReceiverHook(c echo.Context) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return c.JSON(http.StatusBadRequest, map[string]string{"error": "could not read the body"})
	}
	app, secret, previous, err := s.sampleApp(c)
	if err != nil {
		return err
	}
	if app == nil || secret == "" {
		return c.JSON(http.StatusNotFound, map[string]string{"error": "there is no Sample app: load sample data first"})
	}
	now := time.Now()
	err = webhook.Verify(secret, c.Request().Header, body, now, 0)
	if err != nil && previous != "" {
		err = webhook.Verify(previous, c.Request().Header, body, now, 0)
	}
	if err != nil {
		return c.JSON(http.StatusUnauthorized, map[string]string{"error": "the signature does not match the Sample app's secret"})
	}
	var p webhook.Payload
	if err := json.Unmarshal(body, &p); err != nil {
		return c.JSON(http.StatusBadRequest, map[string]string{"error": "the body is not a Roster webhook payload"})
	}
	key := c.Request().Header.Get(webhook.HeaderIdempotencyKey)
	if key == "" {
		key = p.ID
	}
	if key == "" {
		return c.JSON(http.StatusBadRequest, map[string]string{"error": "the call has no idempotency key"})
	}
	call := models.SampleReceiverCall{IdempotencyKey: key, Op: p.Op, Person: personLabel(p.Person)}
	if p.Entitlement != nil {
		call.Entitlement = p.Entitlement.Key + " (" + p.Entitlement.Kind + ")"
	}
	dup, err := s.store.RecordSampleCall(c.Request().Context(), call, now)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"ok": true, "duplicate": dup})
}

// personLabel names a payload's person as the people list does.
func personLabel(p webhook.Person) string {
	first := p.FirstName
	if p.PreferredName != "" {
		first = p.PreferredName
	}
	name := strings.TrimSpace(first + " " + p.LastName)
	if name == "" {
		return p.EmployeeID
	}
	return name
}

// sampleReceiverPage lists what the sample receiver got.
func (s *Server) sampleReceiverPage(c echo.Context) error {
	calls, err := s.store.ListSampleCalls(c.Request().Context(), sampleCallsShown)
	if err != nil {
		return err
	}
	app, _, _, err := s.sampleApp(c)
	if err != nil && !errors.Is(err, models.ErrWebhookUnreadable) {
		return err
	}
	v := sampleview.View{HookURL: s.externalBase(c) + sample.ReceiverURL}
	if app != nil {
		v.AppID = app.ID
	}
	for _, call := range calls {
		v.Calls = append(v.Calls, sampleview.Call{At: formatTime(call.ReceivedAt), Op: call.Op, Person: call.Person,
			Entitlement: call.Entitlement, Key: call.IdempotencyKey, Duplicates: call.Duplicates})
	}
	return render(c, http.StatusOK, sampleview.Page(s.page(c, "Sample receiver", "apps"), v))
}
