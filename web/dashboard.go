package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/dashboard"
)

// dashboardScheduledShown is how many of today's scheduled actions the
// dashboard lists; the count covers all of them.
const dashboardScheduledShown = 5

// dashboard is the page admins land on.
func (s *Server) dashboard(c echo.Context) error {
	ctx := c.Request().Context()
	n, err := s.store.CountAdmins(ctx)
	if err != nil {
		return err
	}
	recent, _, err := s.store.ListAuditEvents(ctx, models.AuditFilter{Limit: 5})
	if err != nil {
		return err
	}
	counts, err := s.store.QueueCounts(ctx, models.ChangeFilter{})
	if err != nil {
		return err
	}
	people, err := s.store.CountPeople(ctx)
	if err != nil {
		return err
	}
	v := dashboard.View{Admins: n, CanManage: currentAdmin(c).Role.AtLeast(models.RoleOwner), People: people,
		CanLoadSample: people == 0 && currentAdmin(c).Role.AtLeast(models.RoleAdmin),
		ToInvite:      counts[models.QueueInvite], ToUpdate: counts[models.QueueUpdate], ToTerminate: counts[models.QueueTerminate]}
	for _, e := range recent {
		v.RecentActions = append(v.RecentActions, dashboard.Recent{
			At: formatTime(e.CreatedAt), Actor: e.ActorEmail, Action: actionLabel(e.Action),
		})
	}
	if err := s.dashboardWidgets(ctx, &v, time.Now()); err != nil {
		return err
	}
	return render(c, http.StatusOK, dashboard.Page(s.page(c, "Dashboard", "dashboard"), v))
}

// dashboardWidgets fills held runs, failures, retries, today's scheduled actions
// and the week's starts and leaves: one query each.
func (s *Server) dashboardWidgets(ctx context.Context, v *dashboard.View, now time.Time) error {
	held, err := s.store.HeldSyncRuns(ctx)
	if err != nil {
		return err
	}
	for _, r := range held {
		v.HeldRuns = append(v.HeldRuns, dashboard.HeldRun{
			Href:   "/sources/" + strconv.FormatInt(r.SourceID, 10) + "/runs/" + strconv.FormatInt(r.ID, 10),
			Label:  "Run #" + strconv.FormatInt(r.ID, 10),
			Reason: r.HeldReason, At: formatTime(r.CreatedAt),
		})
	}
	if v.Failed, err = s.store.FailedChangeCount(ctx); err != nil {
		return err
	}
	if v.Retrying, err = s.store.RetryingActionCount(ctx); err != nil {
		return err
	}

	tz, err := s.store.Setting(ctx, models.SettingOrgTimezone, "UTC")
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	local := now.In(loc)
	dayStart := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	dayEnd := dayStart.AddDate(0, 0, 1)
	total, scheduled, err := s.store.ScheduledActionsBetween(ctx, dayStart, dayEnd, dashboardScheduledShown)
	if err != nil {
		return err
	}
	v.ScheduledToday = total
	for _, a := range scheduled {
		v.Scheduled = append(v.Scheduled, dashboard.ScheduledAction{
			Person: a.DisplayName(), PersonHref: dashboardPersonHref(a.PersonID), App: a.AppName,
			Op: strings.ReplaceAll(a.Op, "_", " "), At: a.RunAt.In(loc).Format("15:04"),
		})
	}

	from, to := dayStart.Format("2006-01-02"), dayStart.AddDate(0, 0, 7).Format("2006-01-02")
	starts, err := s.store.UpcomingStarts(ctx, from, to)
	if err != nil {
		return err
	}
	for _, p := range starts {
		v.Starts = append(v.Starts, dashboard.Dated{Name: p.DisplayName(), Href: dashboardPersonHref(p.ID), Date: p.StartDate})
	}
	leaves, err := s.store.UpcomingLeaves(ctx, from, to)
	if err != nil {
		return err
	}
	for _, p := range leaves {
		v.Leaves = append(v.Leaves, dashboard.Dated{Name: p.DisplayName(), Href: dashboardPersonHref(p.ID), Date: p.TerminationDate})
	}
	return nil
}

func dashboardPersonHref(id int64) string { return "/people/" + strconv.FormatInt(id, 10) }
