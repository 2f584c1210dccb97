package web_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
)

func TestDashboardWidgets(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		b := srv.browser(t)
		b.signInAs(models.RoleViewer)

		p := b.get("/")
		p.requireStatus(200)
		require.Equal(t, "0", p.Text("metric-held"))
		require.Zero(t, p.TestID("held-run").Length())
		require.Equal(t, "0", p.Text("metric-failed"))
		require.Equal(t, "0", p.Text("metric-scheduled"))
		require.Contains(t, p.Text("card-upcoming"), "No starts or leaves.")

		ctx := context.Background()
		f := newQueueFixture(t, srv)
		// a held run
		run := &models.SyncRun{SourceID: f.hr.ID, Status: models.SyncHeld, HeldReason: "40 % would leave", Trigger: "upload"}
		require.NoError(t, srv.Store.CreateSyncRun(ctx, run, nil))
		// a failed change
		failedChange(t, srv, f, personSpec{first: "Fay", last: "Failed"})
		// actions: two scheduled for today, one tomorrow
		_, c := f.joiner(personSpec{first: "Sam", last: "Scheduled"})
		_, c2 := f.joiner(personSpec{first: "Tom", last: "Tomorrow"})
		_, _, err := srv.Store.ApproveChanges(ctx, models.CLIActor, models.Decision{ChangeIDs: []int64{c.ID, c2.ID}}, time.Now(), noSchedule)
		require.NoError(t, err)
		now := time.Now().UTC()
		require.NoError(t, srv.DB.Gorm.Model(&models.Action{}).Where("change_id = ?", c.ID).Updates(map[string]any{"run_at": now, "status": models.ActionScheduled}).Error)
		require.NoError(t, srv.DB.Gorm.Model(&models.Action{}).Where("change_id = ?", c2.ID).Updates(map[string]any{"run_at": now.Add(48 * time.Hour), "status": models.ActionScheduled}).Error)
		scheduled := len(srv.actionsOf(t, c.ID))
		require.NotZero(t, scheduled)
		// starts and leaves
		day := func(d int) string { return now.AddDate(0, 0, d).Format("2006-01-02") }
		starter := f.person(personSpec{first: "Stella", last: "Starter"})
		leaver := f.person(personSpec{first: "Leo", last: "Leaver"})
		later := f.person(personSpec{first: "Lars", last: "Later"})
		require.NoError(t, srv.DB.Gorm.Model(starter).Update("start_date", day(1)).Error)
		require.NoError(t, srv.DB.Gorm.Model(leaver).Update("termination_date", day(3)).Error)
		require.NoError(t, srv.DB.Gorm.Model(later).Update("start_date", day(12)).Error)

		p = b.get("/")
		p.requireStatus(200)
		require.Equal(t, "1", p.Text("metric-held"))
		require.Equal(t, 1, p.TestID("held-run").Length())
		href, _ := p.TestID("held-run").Find("a").Attr("href")
		require.Equal(t, "/sources/"+strconv.FormatInt(f.hr.ID, 10)+"/runs/"+strconv.FormatInt(run.ID, 10), href)
		require.Contains(t, p.Text("held-run"), "40 % would leave")

		require.Equal(t, "1", p.Text("metric-failed"))
		require.Equal(t, "/team-updates?tab=failed", p.TestID("card-failed").AttrOr("href", ""))

		require.Equal(t, strconv.Itoa(scheduled), p.Text("metric-scheduled"), "today's scheduled actions only")
		require.Equal(t, scheduled, p.TestID("scheduled-action").Length())
		require.Contains(t, p.TestID("scheduled-action").First().Text(), "Sam Scheduled")
		require.Contains(t, p.TestID("scheduled-action").First().Text(), "GitHub")
		require.Equal(t, "/people/"+strconv.FormatInt(c.PersonID, 10), p.TestID("scheduled-action").First().Find("a").AttrOr("href", ""))
		require.NotContains(t, p.Text("card-scheduled"), "Tom Tomorrow")
		require.Equal(t, 1, p.TestID("card-scheduled").Find(`a[href="/team-updates?tab=scheduled"]`).Length())

		require.Equal(t, 1, p.TestID("upcoming-start").Length())
		require.Contains(t, p.Text("upcoming-start"), "Stella Starter")
		require.Contains(t, p.Text("upcoming-start"), day(1))
		require.Equal(t, "/people/"+strconv.FormatInt(starter.ID, 10), p.TestID("upcoming-start").Find("a").AttrOr("href", ""))
		require.Equal(t, 1, p.TestID("upcoming-leave").Length())
		require.Contains(t, p.Text("upcoming-leave"), "Leo Leaver")
		require.Contains(t, p.Text("upcoming-leave"), day(3))
		require.NotContains(t, p.Text("card-upcoming"), "Lars Later", "more than 7 days away")
	})
}

func TestDashboardScheduledTodayUsesOrgTimezone(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		b := srv.browser(t)
		b.signInAs(models.RoleViewer)
		ctx := context.Background()
		f := newQueueFixture(t, srv)
		require.NoError(t, srv.Store.SetSetting(ctx, models.CLIActor, models.SettingOrgTimezone, "Pacific/Kiritimati"))
		_, c := f.joiner(personSpec{first: "Kira", last: "Kiritimati"})
		_, _, err := srv.Store.ApproveChanges(ctx, models.CLIActor, models.Decision{ChangeIDs: []int64{c.ID}}, time.Now(), noSchedule)
		require.NoError(t, err)
		// the last minute of the org's day, which is already tomorrow in UTC
		loc, err := time.LoadLocation("Pacific/Kiritimati")
		require.NoError(t, err)
		l := time.Now().In(loc)
		endOfDay := time.Date(l.Year(), l.Month(), l.Day(), 23, 59, 0, 0, loc)
		require.NoError(t, srv.DB.Gorm.Model(&models.Action{}).Where("change_id = ?", c.ID).Updates(map[string]any{"run_at": endOfDay.UTC(), "status": models.ActionScheduled}).Error)
		n := len(srv.actionsOf(t, c.ID))
		p := b.get("/")
		p.requireStatus(200)
		require.Equal(t, strconv.Itoa(n), p.Text("metric-scheduled"))
		require.Contains(t, p.TestID("scheduled-action").First().Text(), "23:59")
		// and a minute later it is tomorrow
		require.NoError(t, srv.DB.Gorm.Model(&models.Action{}).Where("change_id = ?", c.ID).Update("run_at", endOfDay.Add(2*time.Minute).UTC()).Error)
		p = b.get("/")
		require.Equal(t, "0", p.Text("metric-scheduled"))
	})
}
