package jobs_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/migrations"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

var digestActor = models.Actor{Email: "tester@example.com"}

// digestAdmins creates two recipients, one opted-out admin and one
// disabled admin, and returns the recipients' ids and the opted-out one.
func digestAdmins(t *testing.T, store *models.Store) (recipients []int64, optedOut int64) {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	for i, r := range []models.Role{models.RoleOwner, models.RoleViewer, models.RoleAdmin, models.RoleAdmin} {
		a, err := store.CreateAdmin(ctx, digestActor, fmt.Sprintf("admin%d@example.com", i), fmt.Sprintf("Admin %d", i), r)
		require.NoError(t, err)
		ids = append(ids, a.ID)
	}
	require.NoError(t, store.SetDigestOptOut(ctx, digestActor, ids[2], true))
	require.NoError(t, store.SetAdminDisabled(ctx, models.Actor{AdminID: ids[0]}, ids[3], true))
	return ids[:2], ids[2]
}

func digestEmails(t *testing.T, db *models.DB) map[string]int {
	t.Helper()
	rows, err := db.SQL.Query("SELECT dedupe_key FROM emails WHERE kind = 'digest'")
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		require.NoError(t, rows.Scan(&k))
		out[k]++
	}
	require.NoError(t, rows.Err())
	return out
}

func wantDigests(recipients []int64, date string) map[string]int {
	out := map[string]int{}
	for _, id := range recipients {
		out[jobs.DigestDedupeKey(id, date)] = 1
	}
	return out
}

// startDigestClient starts a River client over db; it stops with the test.
func startDigestClient(t *testing.T, db *models.DB, store *models.Store) *jobs.Client {
	t.Helper()
	ctx := context.Background()
	client, closeClient, err := jobs.NewClient(ctx, db, store, jobs.Options{FetchPollInterval: 100 * time.Millisecond,
		BaseURL: "https://roster.example.com", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() {
		_ = client.Stop(context.Background())
		closeClient()
	})
	return client
}

func waitDigests(t *testing.T, db *models.DB, want map[string]int) {
	t.Helper()
	require.Eventually(t, func() bool { return len(digestEmails(t, db)) >= len(want) }, 20*time.Second, 50*time.Millisecond)
	time.Sleep(300 * time.Millisecond) // let any duplicate show up
	require.Equal(t, want, digestEmails(t, db))
}

func TestDigestIsNotScheduledBeforeTheDigestHour(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		_, closeClient, err := jobs.NewClient(ctx, db, store, jobs.Options{})
		require.NoError(t, err)
		t.Cleanup(closeClient)
		digestAdmins(t, store)
		require.NoError(t, store.SetSetting(ctx, digestActor, models.SettingOrgTimezone, "Europe/Berlin"))
		require.NoError(t, store.SetSetting(ctx, digestActor, models.SettingDigestHour, "9"))

		// 07:59 UTC is 08:59 in Berlin: too early.
		date, err := jobs.ScheduleDigests(ctx, store, time.Date(2026, 11, 25, 7, 59, 0, 0, time.UTC))
		require.NoError(t, err)
		require.Empty(t, date)
		require.Zero(t, countJobs(t, db, "send_digest"))

		date, err = jobs.ScheduleDigests(ctx, store, time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC))
		require.NoError(t, err)
		require.Equal(t, "2026-11-25", date)
		require.Equal(t, 2, countJobs(t, db, "send_digest"), "one per active admin who did not opt out")

		// The day is the org's: 23:30 UTC is already the 26th in Berlin.
		require.NoError(t, store.SetSetting(ctx, digestActor, models.SettingDigestHour, "0"))
		date, err = jobs.ScheduleDigests(ctx, store, time.Date(2026, 11, 25, 23, 30, 0, 0, time.UTC))
		require.NoError(t, err)
		require.Equal(t, "2026-11-26", date)
		require.Equal(t, 4, countJobs(t, db, "send_digest"))
	})
}

func TestDigestOncePerAdminPerDayAcrossRestarts(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		recipients, optedOut := digestAdmins(t, store)
		require.NoError(t, store.SetSetting(ctx, digestActor, models.SettingDigestHour, "0"))
		now := time.Now()
		date := now.UTC().Format(time.DateOnly)

		client := startDigestClient(t, db, store)
		for range 2 {
			got, err := jobs.ScheduleDigests(ctx, store, now)
			require.NoError(t, err)
			require.Equal(t, date, got)
		}
		// Inserting the real args again is skipped as a duplicate.
		res, err := client.Insert(ctx, jobs.SendDigestArgs{AdminID: recipients[0], Date: date}, nil)
		require.NoError(t, err)
		require.True(t, res.UniqueSkippedAsDuplicate)
		waitDigests(t, db, wantDigests(recipients, date))
		require.Equal(t, 2, countJobs(t, db, "send_digest"))

		// Restart: a new client over the same database schedules again
		// (its periodic job runs on start too), once it has finished.
		require.NoError(t, client.Stop(ctx))
		startDigestClient(t, db, store)
		_, err = jobs.ScheduleDigests(ctx, store, now)
		require.NoError(t, err)
		waitDigests(t, db, wantDigests(recipients, date))
		require.Equal(t, 2, countJobs(t, db, "send_digest"))

		// Even a job River has forgotten does not mail twice: the outbox
		// dedupes the digest.
		_, err = db.SQL.Exec("DELETE FROM river_job WHERE kind = 'send_digest'")
		require.NoError(t, err)
		_, err = jobs.ScheduleDigests(ctx, store, now)
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			var n int
			require.NoError(t, db.SQL.QueryRow("SELECT count(*) FROM river_job WHERE kind = 'send_digest' AND state = 'completed'").Scan(&n))
			return n == 2
		}, 20*time.Second, 50*time.Millisecond)
		require.Equal(t, wantDigests(recipients, date), digestEmails(t, db))

		// An admin who opted out after being scheduled gets nothing.
		require.NoError(t, store.SetDigestOptOut(ctx, digestActor, recipients[1], true))
		queued, err := jobs.SendDigest(ctx, store, &jobs.Mailer{Store: store}, "", jobs.SendDigestArgs{AdminID: recipients[1], Date: "2030-01-01"}, now)
		require.NoError(t, err)
		require.False(t, queued)
		queued, err = jobs.SendDigest(ctx, store, &jobs.Mailer{Store: store}, "", jobs.SendDigestArgs{AdminID: optedOut, Date: "2030-01-01"}, now)
		require.NoError(t, err)
		require.False(t, queued)
	})
}

func TestDigestOncePerAdminPerDayWithTwoClientsOnPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := modelstest.URL(t, models.Postgres)
	open := func() (*models.DB, *models.Store) {
		db, err := models.Open(ctx, url)
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		return db, models.NewStore(db)
	}
	db1, store1 := open()
	require.NoError(t, migrations.Up(ctx, db1.SQL, string(db1.Dialect), slog.New(slog.NewTextHandler(io.Discard, nil))))
	db2, store2 := open()
	recipients, _ := digestAdmins(t, store1)
	require.NoError(t, store1.SetSetting(ctx, digestActor, models.SettingDigestHour, "0"))
	now := time.Now()
	date := now.UTC().Format(time.DateOnly)

	startDigestClient(t, db1, store1)
	startDigestClient(t, db2, store2)
	var wg sync.WaitGroup
	for i := range 6 {
		store := store1
		if i%2 == 1 {
			store = store2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := jobs.ScheduleDigests(ctx, store, now)
			if err != nil {
				t.Errorf("schedule %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	waitDigests(t, db1, wantDigests(recipients, date))
	require.Equal(t, 2, countJobs(t, db1, "send_digest"))
}

func TestDigestContent(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		src, err := store.EnsureCSVSource(ctx, digestActor, "HR")
		require.NoError(t, err)
		now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
		person := func(n int, start, end string) *models.Person {
			p := &models.Person{SourceID: src.ID, PersonFields: models.PersonFields{
				ExternalID: "E" + strconv.Itoa(n), FirstName: "Ada", LastName: "Number" + strconv.Itoa(n),
				WorkEmail: fmt.Sprintf("p%d@example.com", n), Status: models.StatusActive, StartDate: start, TerminationDate: end,
				Groups: []string{}, Custom: map[string]string{}}}
			p.Hash = p.PersonFields.Hash()
			require.NoError(t, db.Gorm.Create(p).Error)
			return p
		}
		joiner := person(1, "2026-11-27", "")
		leaver := person(2, "2020-01-01", "2026-12-01")
		person(3, "2026-12-20", "")
		for _, p := range []*models.Person{joiner, leaver} {
			kind := models.ChangeJoin
			if p == leaver {
				kind = models.ChangeLeave
			}
			_, err := store.ReplaceOpenChange(ctx, p.ID, &models.Change{Kind: kind, Why: "{}", EffectiveAt: now.Add(48 * time.Hour)})
			require.NoError(t, err)
		}
		require.NoError(t, db.Gorm.Model(&models.Change{}).Where("person_id = ?", joiner.ID).Update("created_at", now.Add(-72*time.Hour)).Error)
		require.NoError(t, db.Gorm.Model(&models.Change{}).Where("person_id = ?", leaver.ID).Update("created_at", now.Add(-5*time.Hour)).Error)
		run := &models.SyncRun{SourceID: src.ID, Status: models.SyncHeld, Trigger: "upload", HeldReason: "12 leavers at once",
			CreatedAt: now.Add(-26 * time.Hour)}
		require.NoError(t, store.CreateSyncRun(ctx, run, nil))
		require.NoError(t, db.Gorm.Model(run).Update("created_at", now.Add(-26*time.Hour)).Error)
		failed := person(4, "", "")
		fc, err := store.ReplaceOpenChange(ctx, failed.ID, &models.Change{Kind: models.ChangeMove, Why: "{}", EffectiveAt: now})
		require.NoError(t, err)
		require.NoError(t, db.Gorm.Model(&models.Change{}).Where("id = ?", fc.ID).Update("status", models.ChangeFailed).Error)
		a, err := store.CreateAdmin(ctx, digestActor, "ops@example.com", "Grace", models.RoleAdmin)
		require.NoError(t, err)

		queued, err := jobs.SendDigest(ctx, store, &jobs.Mailer{Store: store}, "https://roster.example.com/",
			jobs.SendDigestArgs{AdminID: a.ID, Date: "2026-11-25"}, now)
		require.NoError(t, err)
		require.True(t, queued)
		emails, _, err := store.ListEmails(ctx, "", 0, 10)
		require.NoError(t, err)
		require.Len(t, emails, 1)
		e := emails[0]
		require.Equal(t, "digest", e.Kind)
		require.Equal(t, []string{"ops@example.com"}, e.To)
		require.Equal(t, "[Roster] Daily digest 2026-11-25: 2 waiting, 1 held sync runs, 1 failed", e.Subject)
		base := "https://roster.example.com"
		for _, want := range []string{
			"Hello Grace,",
			"- To Invite: 1 waiting, oldest 3 days\n  " + base + "/team-updates?tab=invite",
			"- To Update: nothing waiting\n  " + base + "/team-updates?tab=update",
			"- To Terminate: 1 waiting, oldest 5 hours\n  " + base + "/team-updates?tab=terminate",
			fmt.Sprintf("- Sync run %d: held 1 day: 12 leavers at once\n  %s/sources/%d/runs/%d", run.ID, base, src.ID, run.ID),
			"Failed changes: 1\n  " + base + "/team-updates?tab=failed",
			fmt.Sprintf("Starting in the next 7 days\n- Ada Number1, starts 2026-11-27\n  %s/people/%d", base, joiner.ID),
			fmt.Sprintf("Leaving in the next 7 days\n- Ada Number2, leaves 2026-12-01\n  %s/people/%d", base, leaver.ID),
			base + "/settings",
		} {
			require.Contains(t, e.TextBody, want)
		}
		require.NotContains(t, e.TextBody, "Number3", "starts after 7 days are left out")
		require.Contains(t, e.HTMLBody, fmt.Sprintf(`<a href="%s/people/%d">Ada Number1</a>`, base, joiner.ID))
		require.Contains(t, e.HTMLBody, `<a href="`+base+`/team-updates?tab=invite">To Invite</a>: 1 waiting, oldest 3 days`)

		// The same day again is deduplicated by the outbox.
		queued, err = jobs.SendDigest(ctx, store, &jobs.Mailer{Store: store}, base, jobs.SendDigestArgs{AdminID: a.ID, Date: "2026-11-25"}, now)
		require.NoError(t, err)
		require.False(t, queued)
	})
}
