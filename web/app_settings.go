package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/jobs/app/connector"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/apps"
	"github.com/rosterhq/roster/views/tasks"
)

// appWebhookSave connects a webhook app: it saves the URL (making a
// signing secret the first time), or with rotate=1 replaces the signing
// secret, keeping the old one valid until the next rotation.
func (s *Server) appWebhookSave(c echo.Context) error {
	app, err := s.loadApp(c)
	if err != nil {
		return err
	}
	if !s.capabilities(app).Shows(connector.SettingWebhook) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	ctx := c.Request().Context()
	rotate := c.FormValue("rotate") != ""
	in := models.WebhookInput{URL: c.FormValue("url")}
	if rotate {
		// The rotate button sends no URL: the saved one stays.
		if in.URL, _, _, err = s.store.WebhookSettings(ctx, app.ID, s.sealer); err != nil && !errors.Is(err, models.ErrWebhookUnreadable) {
			return err
		}
	}
	form := apps.WebhookForm{URL: in.URL}
	if form.Errors = in.Validate(); len(form.Errors) > 0 {
		if rotate {
			form.Errors["url"] = "Connect the app first: a signing secret is made when you save its URL."
		}
		return s.renderApp(c, http.StatusUnprocessableEntity, app, appPageState{webhook: &form})
	}
	err = s.store.SetWebhookSettings(ctx, actor(c), app.ID, in.URL, "", rotate, s.sealer)
	if errors.Is(err, models.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	msg := app.Name + "'s URL was saved."
	if rotate {
		msg = app.Name + " has a new signing secret. Give it to the receiver; the old one keeps working until the next rotation."
	}
	return s.redirectWithFlash(c, appPath(app.ID)+"#connection", "success", msg)
}

// appConcurrencySave sets how many of an app's actions run at once, for
// kinds that call the app.
func (s *Server) appConcurrencySave(c echo.Context) error {
	app, err := s.loadApp(c)
	if err != nil {
		return err
	}
	if !s.capabilities(app).Shows(connector.SettingConcurrency) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	form := apps.ConcurrencyForm{Value: strings.TrimSpace(c.FormValue("max_concurrency")), Rate: strconv.Itoa(app.MaxCallsPerSecond)}
	_, rateSent := c.Request().PostForm["max_calls_per_second"]
	if rateSent { // a form without the field keeps the rate
		form.Rate = strings.TrimSpace(c.FormValue("max_calls_per_second"))
	}
	n, err := strconv.Atoi(form.Value)
	if err != nil {
		n = 0
	}
	rate, err := strconv.Atoi(form.Rate)
	if err != nil {
		rate = -1
	}
	form.Error, form.RateError = models.ValidateConcurrency(n), models.ValidateCallRate(rate)
	if form.Error != "" || form.RateError != "" {
		return s.renderApp(c, http.StatusUnprocessableEntity, app, appPageState{concurrency: &form})
	}
	ctx := c.Request().Context()
	err = s.store.SetAppConcurrency(ctx, actor(c), app.ID, n)
	if err == nil {
		err = s.store.SetAppCallRate(ctx, actor(c), app.ID, rate)
	}
	if errors.Is(err, models.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("%s now gets at most %d calls at once from each Roster process", app.Name, n)
	if rate > 0 {
		msg += fmt.Sprintf(", and at most %d a second from all of them", rate)
	}
	return s.redirectWithFlash(c, appPath(app.ID)+"#connection", "success", msg+".")
}

// webhookView is a webhook app's connection for its page: admins see the
// secrets, viewers only the URL. form is the user's input after an error.
func (s *Server) webhookView(c echo.Context, app *models.App, form *apps.WebhookForm) (*apps.Webhook, error) {
	if !s.capabilities(app).Shows(connector.SettingWebhook) {
		return nil, nil
	}
	v := &apps.Webhook{}
	var err error
	v.URL, v.Secret, v.PreviousSecret, err = s.store.WebhookSettings(c.Request().Context(), app.ID, s.sealer)
	if errors.Is(err, models.ErrWebhookUnreadable) {
		v.Unreadable = true
	} else if err != nil {
		return nil, err
	}
	if !currentAdmin(c).Role.AtLeast(models.RoleAdmin) {
		v.Secret, v.PreviousSecret = "", ""
	}
	v.Form = apps.WebhookForm{URL: v.URL}
	if form != nil {
		v.Form = *form
	}
	return v, nil
}

// concurrencyView is the calls-at-once form of a kind that calls the
// app, or nil; form is the user's input after an error.
func (s *Server) concurrencyView(app *models.App, form *apps.ConcurrencyForm) *apps.ConcurrencyForm {
	if !s.capabilities(app).Shows(connector.SettingConcurrency) {
		return nil
	}
	if form != nil {
		return form
	}
	return &apps.ConcurrencyForm{Value: strconv.Itoa(app.MaxConcurrency), Rate: strconv.Itoa(app.MaxCallsPerSecond)}
}

// connected reports whether an app with a webhook setting has a URL;
// other kinds need none. Settings the key cannot open count as not
// connected, since the job runner cannot use them either.
func (s *Server) connected(app *models.App) bool {
	if !s.capabilities(app).Shows(connector.SettingWebhook) {
		return true
	}
	u, err := app.WebhookURL(s.sealer)
	return err == nil && u != ""
}

// appTasksSave sets who a manual app's new tasks go to: an admin who can
// mark them done, an address, or nobody.
func (s *Server) appTasksSave(c echo.Context) error {
	app, err := s.loadApp(c)
	if err != nil {
		return err
	}
	if !s.capabilities(app).Shows(connector.SettingTaskAssignee) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	ctx := c.Request().Context()
	in := readAssigneeInput(c)
	to, msg := in.Validate()
	if msg == "" {
		err = s.store.SetAppTaskAssignee(ctx, actor(c), app.ID, to)
		switch {
		case errors.Is(err, models.ErrNotFound):
			return echo.NewHTTPError(http.StatusNotFound)
		case errors.Is(err, models.ErrBadAssignee):
			msg = badAssigneeMessage
		case err != nil:
			return err
		}
	}
	if msg != "" {
		form := in.form()
		form.Error = msg
		return s.renderApp(c, http.StatusUnprocessableEntity, app, appPageState{assignee: &form})
	}
	flash := "New " + app.Name + " tasks are unassigned."
	if !to.IsZero() {
		admins, err := s.adminsByID(ctx)
		if err != nil {
			return err
		}
		label, _ := assigneeLabel(to, admins)
		flash = "New " + app.Name + " tasks go to " + label + ", who gets an email for each."
	}
	return s.redirectWithFlash(c, appPath(app.ID)+"#tasks", "success", flash)
}

// taskSettingsView is a manual app's "Tasks go to" setting for its page;
// form is the user's input after an error.
func (s *Server) taskSettingsView(c echo.Context, app *models.App, form *tasks.AssigneeForm) (*apps.TaskSettings, error) {
	if !s.capabilities(app).Shows(connector.SettingTaskAssignee) {
		return nil, nil
	}
	admins, err := s.adminsByID(c.Request().Context())
	if err != nil {
		return nil, err
	}
	v := &apps.TaskSettings{Form: assigneeForm(app.TaskAssignee())}
	v.Current, v.Unavailable = assigneeLabel(app.TaskAssignee(), admins)
	if currentAdmin(c).Role.AtLeast(models.RoleAdmin) {
		v.Options = assigneeOptions(admins)
	}
	if form != nil {
		v.Form = *form
	}
	return v, nil
}
