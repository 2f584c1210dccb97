package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/apps"
)

// appHealthWindow is how far back an app's error rate looks.
const appHealthWindow = 24 * time.Hour

// appTest sends an app Roster calls a test call through its connector
// (a webhook app: a signed one) and says in a flash what it answered
// (admins; the tester audits it).
func (s *Server) appTest(c echo.Context) error {
	app, err := s.loadApp(c)
	if err != nil {
		return err
	}
	if !s.capabilities(app).CallsApp || s.appTester == nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	call, err := s.appTester.Test(c.Request().Context(), actor(c), app.ID)
	if err != nil {
		return err
	}
	back := appPath(app.ID) + "#health"
	if !call.OK {
		return s.redirectWithFlash(c, back, "error", "Test connection failed: "+call.Error)
	}
	msg := fmt.Sprintf("%s answered the test call with HTTP %d.", app.Name, call.Status)
	if call.Excerpt != "" {
		msg += " It said: " + call.Excerpt
	}
	return s.redirectWithFlash(c, back, "success", msg)
}

// appHealthView is the last call and recent error rate of an app Roster
// calls.
func (s *Server) appHealthView(c echo.Context, app *models.App, now time.Time) (*apps.Health, error) {
	if !s.capabilities(app).CallsApp {
		return nil, nil
	}
	h, err := s.store.AppHealthSince(c.Request().Context(), app.ID, now.Add(-appHealthWindow))
	if err != nil {
		return nil, err
	}
	isAdmin := currentAdmin(c).Role.AtLeast(models.RoleAdmin)
	v := &apps.Health{CanTest: s.appTester != nil && isAdmin,
		Failing: app.FailedCalls, Alerted: app.AlertedAt != nil}
	if h.Last != nil {
		v.Last = &apps.Call{At: formatTime(h.Last.At), OK: h.Last.OK, Test: h.Last.Test, Error: h.Last.Error}
		if isAdmin { // what the app answered is for admins only, as on Team Updates
			v.Last.Excerpt = h.Last.Excerpt
		}
		if h.Last.Status != 0 {
			v.Last.Status = fmt.Sprintf("HTTP %d", h.Last.Status)
		}
	}
	if h.Calls == 0 {
		v.ErrorRate = "no calls in the last 24 hours"
	} else {
		v.ErrorRate = fmt.Sprintf("%d%% of %s failed in the last 24 hours", h.Failed*100/h.Calls, plural(int(h.Calls), "call", "calls"))
	}
	return v, nil
}
