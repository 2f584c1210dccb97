package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/apps"
)

// appWebhookSave connects a webhook app: it saves the URL (making a
// signing secret the first time), or with rotate=1 replaces the signing
// secret, keeping the old one valid until the next rotation.
func (s *Server) appWebhookSave(c echo.Context) error {
	app, err := s.loadApp(c)
	if err != nil {
		return err
	}
	if app.Kind != models.AppWebhook {
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

// webhookView is a webhook app's connection for its page: admins see the
// secrets, viewers only the URL. form is the user's input after an error.
func (s *Server) webhookView(c echo.Context, app *models.App, form *apps.WebhookForm) (*apps.Webhook, error) {
	if app.Kind != models.AppWebhook {
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

// webhookConnected reports whether a webhook app has a URL; other kinds
// need none. Settings the key cannot open count as not connected, since
// the job runner cannot use them either.
func (s *Server) webhookConnected(app *models.App) bool {
	if app.Kind != models.AppWebhook {
		return true
	}
	u, err := app.WebhookURL(s.sealer)
	return err == nil && u != ""
}
