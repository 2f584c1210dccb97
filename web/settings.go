package web

import (
	"net/http"
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

// settingsPage shows the organisation settings.
func (s *Server) settingsPage(c echo.Context) error {
	tz, err := s.store.Setting(c.Request().Context(), models.SettingOrgTimezone, "UTC")
	if err != nil {
		return err
	}
	return s.renderSettings(c, http.StatusOK, tz, nil)
}

func (s *Server) renderSettings(c echo.Context, status int, tz string, errs map[string]string) error {
	v := settings.View{Timezone: tz, Zones: commonZones, CanEdit: currentAdmin(c).Role.AtLeast(models.RoleAdmin), Errors: errs}
	if loc, err := time.LoadLocation(tz); err == nil {
		v.LocalTime = time.Now().In(loc).Format("15:04 MST")
	}
	return render(c, status, settings.Page(s.page(c, "Settings", "settings"), v))
}

// settingsSave changes the organisation time zone and re-plans everyone,
// since effective times of people without a zone of their own move.
func (s *Server) settingsSave(c echo.Context) error {
	tz := strings.TrimSpace(c.FormValue("timezone"))
	if _, err := time.LoadLocation(tz); err != nil || tz == "" || tz == "Local" {
		return s.renderSettings(c, http.StatusUnprocessableEntity, tz,
			map[string]string{"timezone": "Enter an IANA time zone such as Europe/Berlin or America/New_York."})
	}
	ctx := c.Request().Context()
	if err := s.store.SetSetting(ctx, actor(c), models.SettingOrgTimezone, tz); err != nil {
		return err
	}
	if err := s.planner.PlanEveryone(ctx); err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/settings", "success", "Organisation time zone set to "+tz+". Team Updates re-planned.")
}
