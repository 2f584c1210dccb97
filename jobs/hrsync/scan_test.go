package hrsync_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// csvFile is a valid export of n people; titled maps a row index to
// another title.
func csvFile(n int, titled map[int]string) string {
	var b strings.Builder
	b.WriteString("employee_id,first_name,last_name,work_email,status,start_date,phone,country,title,laptop\n")
	for i := range n {
		title := "Engineer"
		if t, ok := titled[i]; ok {
			title = t
		}
		fmt.Fprintf(&b, "E%03d,First%d,Last,p%d@example.com,active,2024-01-15,020 7946 %04d,GB,%s,Model %d\n", i, i, i, i, title, i%3)
	}
	return b.String()
}

// importCSV streams a file through the command line's path.
func (f *fixture) importCSV(file string) (*models.SyncRun, []models.RowError, bool) {
	f.t.Helper()
	ctx := context.Background()
	run, out, err := f.syncer.ImportRows(ctx, models.CLIActor, f.src, "cli", "people.csv",
		jobs.CSVRows(ctx, f.store, strings.NewReader(file)), asJoiners)
	require.NoError(f.t, err)
	return run, out.RowErrors, out.Applied
}

// written is what an import may write of people: every person as stored
// and the number of events.
type written struct {
	people map[string]models.Person
	events int64
}

func (f *fixture) written(db *models.DB) written {
	f.t.Helper()
	var n int64
	require.NoError(f.t, db.SQL.QueryRow("SELECT count(*) FROM person_events").Scan(&n))
	return written{people: f.people(), events: n}
}

// changedPeople lists the people whose stored row differs between two
// reads, by external id.
func changedPeople(before, after written) []string {
	var out []string
	for ext, a := range after.people {
		b, ok := before.people[ext]
		if !ok || !a.UpdatedAt.Equal(b.UpdatedAt) || a.Hash != b.Hash || a.PhoneInput != b.PhoneInput || a.Title != b.Title {
			out = append(out, ext)
		}
	}
	return out
}

// The same file again writes nothing to people or their history, and a
// file with some people changed writes exactly those.
func TestStreamedImportWritesOnlyChangedPeople(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		t.Parallel()
		f := newFixture(t, store)
		_, errs, applied := f.importCSV(csvFile(50, nil))
		require.Empty(t, errs)
		require.True(t, applied)
		first := f.written(db)
		require.Len(t, first.people, 50)
		require.Equal(t, int64(50), first.events)
		require.Equal(t, "020 7946 0007", first.people["E007"].PhoneInput)
		require.Equal(t, "+442079460007", first.people["E007"].Phone)

		run, errs, applied := f.importCSV(csvFile(50, nil))
		require.Empty(t, errs)
		require.True(t, applied)
		require.Equal(t, models.SyncCounts{Unchanged: 50}, run.SyncCounts)
		again := f.written(db)
		require.Equal(t, first.events, again.events, "no events")
		require.Empty(t, changedPeople(first, again), "no person rewritten")

		run, errs, applied = f.importCSV(csvFile(50, map[int]string{3: "Lead", 17: "Manager"}))
		require.Empty(t, errs)
		require.True(t, applied)
		require.Equal(t, models.SyncCounts{Movers: 2, Unchanged: 48}, run.SyncCounts)
		moved := f.written(db)
		require.Equal(t, first.events+2, moved.events)
		require.ElementsMatch(t, []string{"E003", "E017"}, changedPeople(again, moved))
		require.Equal(t, []models.EventKind{models.EventChanged, models.EventJoined}, f.kinds(moved.people["E017"].ID))
		require.Len(t, f.touched, 2, "the unchanged run re-plans nobody")
		require.ElementsMatch(t, []int64{moved.people["E003"].ID, moved.people["E017"].ID}, f.touched[1])
	})
}

// A bad row on line N of a streamed file is reported on line N, and the
// rows before it, already compared and written, are undone.
func TestStreamedImportBadRowChangesNothing(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		t.Parallel()
		f := newFixture(t, store)
		_, _, applied := f.importCSV(csvFile(30, nil))
		require.True(t, applied)
		before := f.written(db)

		// Twenty people change, then line 25 (the header is line 1) has a
		// start date that is no date.
		titled := map[int]string{}
		for i := range 20 {
			titled[i] = "Lead"
		}
		file := strings.Replace(csvFile(40, titled), "E023,First23,Last,p23@example.com,active,2024-01-15",
			"E023,First23,Last,p23@example.com,active,someday", 1)
		run, errs, applied := f.importCSV(file)
		require.False(t, applied)
		require.Len(t, errs, 1)
		require.Equal(t, 25, errs[0].Line)
		require.Equal(t, "start_date", errs[0].Field)
		require.Equal(t, models.SyncFailed, run.Status)
		require.Equal(t, []string{models.ActionSyncRejected}, f.audited(run.ID))
		after := f.written(db)
		require.Equal(t, before.events, after.events)
		require.Len(t, after.people, 30, "no joiner kept")
		require.Empty(t, changedPeople(before, after))
	})
}

// People stored with a hash made another way (before it was built by
// hand) are compared field by field once: their hashes are refreshed,
// with no event and no change to when they were updated.
func TestStreamedImportRefreshesStaleHashes(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		t.Parallel()
		f := newFixture(t, store)
		_, _, applied := f.importCSV(csvFile(10, nil))
		require.True(t, applied)
		fresh := f.written(db)
		_, err := db.SQL.Exec("UPDATE people SET hash = 'made by encoding/json'")
		require.NoError(t, err)

		run, _, applied := f.importCSV(csvFile(10, nil))
		require.True(t, applied)
		require.Equal(t, models.SyncCounts{Unchanged: 10}, run.SyncCounts)
		after := f.written(db)
		require.Equal(t, fresh.events, after.events)
		require.Empty(t, changedPeople(fresh, after), "hashes as before the damage, updated_at untouched")
	})
}

// A streamed run the brake holds writes nothing and keeps the records an
// admin confirms later, which then applies.
func TestStreamedImportHeldKeepsRecords(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		t.Parallel()
		f := newFixture(t, store)
		_, _, applied := f.importCSV(csvFile(20, nil))
		require.True(t, applied)
		before := f.written(db)

		file := csvFile(10, map[int]string{0: "Lead"}) + "E100,New,Joiner,new@example.com,active,2024-01-15,,,Engineer,\n"
		run, errs, applied := f.importCSV(file)
		require.Empty(t, errs)
		require.False(t, applied)
		require.Equal(t, models.SyncHeld, run.Status)
		require.Equal(t, models.SyncCounts{Joiners: 1, Movers: 1, Leavers: 10, Unchanged: 9}, run.SyncCounts)
		require.Equal(t, []string{models.ActionSyncHeld}, f.audited(run.ID))
		after := f.written(db)
		require.Equal(t, before.events, after.events)
		require.Len(t, after.people, 20, "the joiner is not kept")
		require.Empty(t, changedPeople(before, after))
		require.Empty(t, run.Payload, "the records are rows of sync_run_records")
		records, err := f.syncer.Store.SyncRunRecords(context.Background(), run.ID)
		require.NoError(t, err)
		require.Len(t, records, 11)
		require.Equal(t, "E100", records[10].ExternalID, "in file order")

		applied2, out, err := f.syncer.Confirm(context.Background(), admin, run.ID)
		require.NoError(t, err)
		require.True(t, out.Applied)
		require.Equal(t, models.SyncSucceeded, applied2.Status)
		require.Equal(t, models.SyncCounts{Joiners: 1, Movers: 1, Leavers: 10, Unchanged: 9}, applied2.SyncCounts,
			"confirming applies exactly the held records")
		require.Len(t, f.people(), 21)
		records, err = f.syncer.Store.SyncRunRecords(context.Background(), run.ID)
		require.NoError(t, err)
		require.Empty(t, records, "an applied run keeps no records")
	})
}
