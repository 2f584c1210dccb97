package web

import (
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/settings"
)

// commonZones are suggested in the time zone field; any IANA zone works.
var commonZones = []string{
	"UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Amsterdam",
	"Europe/Madrid", "Europe/Rome", "Europe/Stockholm", "Europe/Warsaw", "Europe/Helsinki", "Europe/Istanbul",
	"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Toronto",
	"America/Sao_Paulo", "America/Mexico_City", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore",
	"Asia/Shanghai", "Asia/Tokyo", "Asia/Seoul", "Australia/Sydney", "Pacific/Auckland", "Africa/Johannesburg",
}

// settingsForm is the organisation settings as submitted.
type settingsForm struct {
	Timezone       string
	WelcomeAddress string
	AlertAddresses string
	// DigestHour is the org-local hour (0–23) the daily digest goes out.
	DigestHour string
}

// Validate checks the form and normalises it; it returns messages by field.
func (f *settingsForm) Validate() map[string]string {
	errs := map[string]string{}
	f.Timezone = strings.TrimSpace(f.Timezone)
	if _, err := time.LoadLocation(f.Timezone); err != nil || f.Timezone == "" || f.Timezone == "Local" {
		errs["timezone"] = "Enter an IANA time zone such as Europe/Berlin or America/New_York."
	}
	switch f.WelcomeAddress = strings.TrimSpace(f.WelcomeAddress); f.WelcomeAddress {
	case "":
		f.WelcomeAddress = models.WelcomeWork
	case models.WelcomeWork, models.WelcomePersonal:
	default:
		errs["welcome_address"] = "Choose the work or the personal address."
	}
	var addrs []string
	for _, part := range strings.Split(f.AlertAddresses, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		a, err := mail.ParseAddress(part)
		if err != nil {
			errs["alert_addresses"] = "“" + part + "” is not an email address. Separate addresses with commas."
			break
		}
		addrs = append(addrs, a.Address)
	}
	if errs["alert_addresses"] == "" {
		f.AlertAddresses = strings.Join(addrs, ", ")
	}
	f.DigestHour = strings.TrimSpace(f.DigestHour)
	if f.DigestHour == "" {
		f.DigestHour = strconv.Itoa(models.DefaultDigestHour)
	}
	if h, err := strconv.Atoi(f.DigestHour); err != nil || h < 0 || h > 23 {
		errs["digest_hour"] = "Choose an hour from 0 to 23."
	} else {
		f.DigestHour = strconv.Itoa(h)
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// settingsPage shows the organisation settings.
func (s *Server) settingsPage(c echo.Context) error {
	f, err := s.currentSettings(c)
	if err != nil {
		return err
	}
	return s.renderSettings(c, http.StatusOK, f, nil)
}

// currentSettings reads the stored settings, with their defaults.
func (s *Server) currentSettings(c echo.Context) (settingsForm, error) {
	ctx := c.Request().Context()
	var f settingsForm
	var err error
	if f.Timezone, err = s.store.Setting(ctx, models.SettingOrgTimezone, "UTC"); err != nil {
		return f, err
	}
	if f.WelcomeAddress, err = s.store.Setting(ctx, models.SettingWelcomeAddress, models.WelcomeWork); err != nil {
		return f, err
	}
	if f.AlertAddresses, err = s.store.Setting(ctx, models.SettingAlertAddresses, ""); err != nil {
		return f, err
	}
	f.DigestHour, err = s.store.Setting(ctx, models.SettingDigestHour, strconv.Itoa(models.DefaultDigestHour))
	return f, err
}

func (s *Server) renderSettings(c echo.Context, status int, f settingsForm, errs map[string]string) error {
	v := settings.View{Timezone: f.Timezone, Zones: commonZones, WelcomeAddress: f.WelcomeAddress,
		AlertAddresses: f.AlertAddresses, CanEdit: currentAdmin(c).Role.AtLeast(models.RoleAdmin), Errors: errs,
		DigestHour: f.DigestHour}
	optOut, err := s.store.DigestOptOut(c.Request().Context(), currentAdmin(c).ID)
	if err != nil {
		return err
	}
	v.DigestMe = !optOut
	if loc, err := time.LoadLocation(f.Timezone); err == nil {
		v.LocalTime = time.Now().In(loc).Format("15:04 MST")
	}
	return render(c, status, settings.Page(s.page(c, "Settings", "settings"), v))
}

// settingsSave stores the organisation settings that changed. A new time
// zone re-plans everyone, since effective times of people without a zone
// of their own move.
func (s *Server) settingsSave(c echo.Context) error {
	f := settingsForm{Timezone: c.FormValue("timezone"), WelcomeAddress: c.FormValue("welcome_address"),
		AlertAddresses: c.FormValue("alert_addresses"), DigestHour: c.FormValue("digest_hour")}
	if errs := f.Validate(); errs != nil {
		return s.renderSettings(c, http.StatusUnprocessableEntity, f, errs)
	}
	// A form from before these fields existed leaves them as they are.
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	old, err := s.currentSettings(c)
	if err != nil {
		return err
	}
	if _, ok := form["welcome_address"]; !ok {
		f.WelcomeAddress = old.WelcomeAddress
	}
	if _, ok := form["alert_addresses"]; !ok {
		f.AlertAddresses = old.AlertAddresses
	}
	if _, ok := form["digest_hour"]; !ok {
		f.DigestHour = old.DigestHour
	}
	ctx := c.Request().Context()
	for _, kv := range []struct{ key, old, new string }{
		{models.SettingOrgTimezone, old.Timezone, f.Timezone},
		{models.SettingWelcomeAddress, old.WelcomeAddress, f.WelcomeAddress},
		{models.SettingAlertAddresses, old.AlertAddresses, f.AlertAddresses},
		{models.SettingDigestHour, old.DigestHour, f.DigestHour},
	} {
		if kv.old == kv.new {
			continue
		}
		if err := s.store.SetSetting(ctx, actor(c), kv.key, kv.new); err != nil {
			return err
		}
	}
	if old.Timezone != f.Timezone {
		if err := s.replanEveryone(c); err != nil {
			return err
		}
		return s.redirectWithFlash(c, "/settings", "success", "Organisation time zone set to "+f.Timezone+". Team Updates are being re-planned.")
	}
	return s.redirectWithFlash(c, "/settings", "success", "Settings saved.")
}
