package hrsync_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/hrsync"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

var admin = models.Actor{Email: "admin@example.com", IP: "192.0.2.1"}

// fixture is a store with one CSV source (default brake) and a Syncer
// whose PlanLater records what it was given.
type fixture struct {
	t       *testing.T
	store   *models.Store
	src     *models.Source
	syncer  *hrsync.Syncer
	mu      sync.Mutex
	touched [][]int64
}

// asJoiners reads a source's first file as new hires, not a baseline:
// these tests are about joiners (see TestBaseline for the default).
var asJoiners = hrsync.Baseline(false)

func newFixture(t *testing.T, store *models.Store) *fixture {
	t.Helper()
	src, err := store.EnsureCSVSource(context.Background(), admin, "HR export")
	require.NoError(t, err)
	f := &fixture{t: t, store: store, src: src}
	f.syncer = &hrsync.Syncer{Store: store,
		Today: func(context.Context) string { return today },
		PlanLater: func(_ context.Context, _ *models.Store, _ int64, ids []int64) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.touched = append(f.touched, slices.Sorted(slices.Values(ids)))
			return nil
		}}
	return f
}

// importAll applies records through the command-line path and requires
// that the run was applied.
func (f *fixture) importAll(records ...models.PersonFields) *models.SyncRun {
	f.t.Helper()
	run, out, err := f.syncer.Import(context.Background(), models.CLIActor, f.src, "cli", "people.csv", records, nil, asJoiners)
	require.NoError(f.t, err)
	require.True(f.t, out.Applied, "import held: %s", out.HeldReason)
	return run
}

func (f *fixture) preview(records ...models.PersonFields) (*models.SyncRun, hrsync.Outcome) {
	f.t.Helper()
	run, out, err := f.syncer.Preview(context.Background(), admin, f.src, "upload", "people.csv", records, nil, asJoiners)
	require.NoError(f.t, err)
	return run, out
}

// people returns the source's people by external id.
func (f *fixture) people() map[string]models.Person {
	f.t.Helper()
	list, err := f.store.PeopleOfSource(context.Background(), f.src.ID)
	require.NoError(f.t, err)
	m := map[string]models.Person{}
	for _, p := range list {
		m[p.ExternalID] = p
	}
	return m
}

// kinds returns a person's event kinds, newest first.
func (f *fixture) kinds(personID int64) []models.EventKind {
	f.t.Helper()
	events, err := f.store.PersonEvents(context.Background(), personID)
	require.NoError(f.t, err)
	var out []models.EventKind
	for _, e := range events {
		out = append(out, e.Kind)
	}
	return out
}

// audited returns the actions audited on a run.
func (f *fixture) audited(runID int64) []string {
	f.t.Helper()
	events, _, err := f.store.ListAuditEvents(context.Background(), models.AuditFilter{Subject: fmt.Sprintf("sync_run:%d", runID)})
	require.NoError(f.t, err)
	var out []string
	for _, e := range events {
		out = append(out, e.Action)
	}
	return out
}

func (f *fixture) run(id int64) *models.SyncRun {
	f.t.Helper()
	run, err := f.store.SyncRunByID(context.Background(), id)
	require.NoError(f.t, err)
	return run
}

func people(n int) []models.PersonFields {
	out := make([]models.PersonFields, n)
	for i := range out {
		out[i] = rec(fmt.Sprintf("E%03d", i+1))
	}
	return out
}

func TestPreviewThenConfirmApplies(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		t.Parallel()
		f := newFixture(t, store)
		ctx := context.Background()

		preview, out := f.preview(rec("E1"), rec("E2", status(models.StatusPending)), rec("E3"))
		require.Equal(t, models.SyncPreview, preview.Status)
		require.Equal(t, models.SyncCounts{Joiners: 3}, preview.SyncCounts)
		require.Equal(t, models.SyncCounts{Joiners: 3}, out.Counts)
		require.False(t, out.Held)
		require.Empty(t, f.people(), "a preview changes nobody")

		run, out, err := f.syncer.Confirm(ctx, admin, preview.ID)
		require.NoError(t, err)
		require.True(t, out.Applied)
		require.Equal(t, preview.ID, run.ID)
		require.Equal(t, models.SyncSucceeded, run.Status)
		require.Equal(t, models.SyncCounts{Joiners: 3}, run.SyncCounts)
		require.Equal(t, admin.Email, run.DecidedBy)
		require.Empty(t, run.Payload, "the records are dropped once applied")
		require.Equal(t, []string{models.ActionSyncConfirmed}, f.audited(run.ID))

		got := f.people()
		require.Len(t, got, 3)
		require.Equal(t, models.StatusPending, got["E2"].Status)
		require.Equal(t, []string{"staff"}, got["E1"].Groups)
		events, err := store.PersonEvents(ctx, got["E1"].ID)
		require.NoError(t, err)
		require.Len(t, events, 1)
		require.Equal(t, models.EventJoined, events[0].Kind)
		require.Equal(t, run.ID, *events[0].SyncRunID)
		require.Contains(t, events[0].Diff, models.FieldChange{Field: "work_email", New: "pE1@example.com"})

		require.Equal(t, [][]int64{{got["E1"].ID, got["E2"].ID, got["E3"].ID}}, f.touched)
	})
}

func TestSecondUploadRecordsMoverAndLeaver(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		t.Parallel()
		f := newFixture(t, store)
		f.importAll(rec("E1"), rec("E2"), rec("E3"))
		before := f.people()

		preview, out := f.preview(rec("E1", title("Staff Engineer")), rec("E2"))
		require.Equal(t, models.SyncCounts{Movers: 1, Leavers: 1, Unchanged: 1}, out.Counts)
		run, out, err := f.syncer.Confirm(context.Background(), admin, preview.ID)
		require.NoError(t, err)
		require.True(t, out.Applied)
		require.Equal(t, models.SyncCounts{Movers: 1, Leavers: 1, Unchanged: 1}, run.SyncCounts)

		after := f.people()
		require.Equal(t, before["E1"].ID, after["E1"].ID)
		require.Equal(t, "Staff Engineer", after["E1"].Title)
		require.Equal(t, []models.EventKind{models.EventChanged, models.EventJoined}, f.kinds(after["E1"].ID))
		events, err := store.PersonEvents(context.Background(), after["E1"].ID)
		require.NoError(t, err)
		require.Equal(t, []models.FieldChange{{Field: "title", Old: "Engineer", New: "Staff Engineer"}}, events[0].Diff)

		require.Equal(t, models.StatusTerminated, after["E3"].Status)
		require.Equal(t, today, after["E3"].TerminationDate)
		require.Equal(t, []models.EventKind{models.EventLeft, models.EventJoined}, f.kinds(after["E3"].ID), "history is kept")
		require.Equal(t, before["E2"].UpdatedAt, after["E2"].UpdatedAt, "the unchanged person is not written")

		require.Len(t, f.touched, 2)
		require.ElementsMatch(t, []int64{after["E1"].ID, after["E3"].ID}, f.touched[1])
	})
}

func TestRehireKeepsIdentityAndHistory(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		t.Parallel()
		f := newFixture(t, store)
		f.importAll(rec("E1"), rec("E2"))
		f.importAll(rec("E2"))
		_, out, err := f.syncer.Import(context.Background(), models.CLIActor, f.src, "cli", "people.csv", []models.PersonFields{rec("E1"), rec("E2")}, nil, asJoiners)
		require.NoError(t, err)
		require.Equal(t, models.SyncCounts{Rehires: 1, Unchanged: 1}, out.Counts)

		got := f.people()
		require.Len(t, got, 2)
		require.Equal(t, models.StatusActive, got["E1"].Status)
		require.Empty(t, got["E1"].TerminationDate)
		require.Equal(t, []models.EventKind{models.EventRehired, models.EventLeft, models.EventJoined}, f.kinds(got["E1"].ID))
	})
}

func TestDuplicateFlagIsStored(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		t.Parallel()
		f := newFixture(t, store)
		f.importAll(rec("E1"))
		f.importAll(rec("E1", terminated("2026-02-27")))
		_, out, err := f.syncer.Import(context.Background(), models.CLIActor, f.src, "cli", "people.csv",
			[]models.PersonFields{rec("E7", func(p *models.PersonFields) { p.WorkEmail = "pE1@example.com" })}, nil, asJoiners)
		require.NoError(t, err)
		require.Equal(t, 1, out.Duplicates)
		got := f.people()
		require.NotNil(t, got["E7"].DuplicateOfID)
		require.Equal(t, got["E1"].ID, *got["E7"].DuplicateOfID)
	})
}

func TestBrakeHoldsRunUntilConfirmed(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		t.Parallel()
		f := newFixture(t, store)
		ctx := context.Background()
		all := people(20)
		f.importAll(all...)

		preview, out := f.preview(all[:10]...)
		require.True(t, out.Held, "the preview warns that confirming will hold the run")
		wantReason := "10 people would lose access (10 leavers), 50% of 20 active people; the brake holds at 500 people or 10%"
		require.Equal(t, wantReason, out.HeldReason)
		require.Equal(t, wantReason, preview.HeldReason)

		held, out, err := f.syncer.Confirm(ctx, admin, preview.ID)
		require.NoError(t, err)
		require.True(t, out.Held)
		require.False(t, out.Applied)
		require.Equal(t, "joiners=0 existing=0 movers=0 leavers=10 rehires=0 unchanged=10 held=true", out.Summary())
		require.Equal(t, models.SyncHeld, held.Status)
		require.Equal(t, wantReason, held.HeldReason)
		require.Equal(t, models.SyncCounts{Leavers: 10, Unchanged: 10}, held.SyncCounts)
		require.Equal(t, preview.ID, held.ID, "the preview itself is held")
		require.Equal(t, models.SyncHeld, f.run(preview.ID).Status)
		require.Equal(t, []string{models.ActionSyncHeld}, f.audited(held.ID))
		for _, p := range f.people() {
			require.Equal(t, models.StatusActive, p.Status, "nothing of a held run is applied")
		}
		require.Len(t, f.touched, 1, "a held run re-plans nobody")
		banner, err := store.HeldSyncRuns(ctx)
		require.NoError(t, err)
		require.Len(t, banner, 1)
		require.Equal(t, held.ID, banner[0].ID)

		applied, out, err := f.syncer.Confirm(ctx, admin, held.ID)
		require.NoError(t, err)
		require.True(t, out.Applied)
		require.False(t, out.Held, "confirming a held run overrides the brake")
		require.Equal(t, models.SyncSucceeded, applied.Status)
		require.Equal(t, []string{models.ActionSyncConfirmed, models.ActionSyncHeld}, f.audited(held.ID))
		terminated := 0
		for _, p := range f.people() {
			if p.Status == models.StatusTerminated {
				terminated++
			}
		}
		require.Equal(t, 10, terminated)
		require.Len(t, f.touched, 2)
		require.Len(t, f.touched[1], 10)
		banner, err = store.HeldSyncRuns(ctx)
		require.NoError(t, err)
		require.Empty(t, banner)
	})
}

// An export that lost its department column reads as everyone moving;
// the brake holds it instead, and applies nothing.
func TestBrakeHoldsDroppedColumn(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		t.Parallel()
		f := newFixture(t, store)
		all := people(20)
		f.importAll(all...)
		dropped := make([]models.PersonFields, len(all))
		for i, p := range all {
			p.Department = ""
			dropped[i] = p
		}
		for _, call := range []func(context.Context, models.Actor, *models.Source, string, string, []models.PersonFields, []models.RowError, ...hrsync.Option) (*models.SyncRun, hrsync.Outcome, error){
			f.syncer.Preview, f.syncer.Import,
		} {
			run, out, err := call(context.Background(), admin, f.src, "upload", "people.csv", dropped, nil)
			require.NoError(t, err)
			require.True(t, out.Held)
			require.False(t, out.Applied)
			require.Equal(t, models.SyncCounts{Movers: 20}, out.Counts)
			require.Equal(t, "“department” is blank for 100% of people but was set for 100% before: the export may have dropped a column", out.HeldReason)
			require.Equal(t, out.HeldReason, f.run(run.ID).HeldReason)
		}
		for _, p := range f.people() {
			require.Equal(t, "Engineering", p.Department, "nothing of a held run is applied")
		}
		require.Len(t, f.touched, 1, "only the first import re-planned anyone")
	})
}

// Movers who would lose a grant under the current rules count like
// leavers: three of twenty moving out of Engineering is 15%, held when
// they hold its grant, applied when they hold nothing.
func TestBrakeHoldsMoversLosingGrants(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		t.Parallel()
		f := newFixture(t, store)
		ctx := context.Background()
		app, err := store.CreateApp(ctx, admin, models.AppInput{Kind: models.AppWebhook, Name: "GitHub", DeprovisionMode: models.DeprovisionDisable})
		require.NoError(t, err)
		ent, err := store.CreateEntitlement(ctx, admin, app.ID, models.EntitlementInput{Kind: models.EntitlementGroup, Key: "eng", Name: "Engineering"})
		require.NoError(t, err)
		rule := &models.Rule{Name: "Engineers", Match: "all", Enabled: true,
			Conditions: []models.RuleCondition{{Attribute: "department", Operator: "equals", Value: "Engineering"}},
			Grants:     []models.RuleGrant{{AppID: app.ID, EntitlementID: ent.ID}}}
		require.NoError(t, store.SaveRule(ctx, admin, rule))
		all := people(20)
		f.importAll(all...)
		byExt := f.people()
		for _, ext := range []string{"E001", "E002", "E003"} {
			acct := models.Account{PersonID: byExt[ext].ID, AppID: app.ID, Status: models.AccountActive}
			require.NoError(t, db.Gorm.Create(&acct).Error)
			require.NoError(t, db.Gorm.Create(&models.Grant{AccountID: acct.ID, EntitlementID: ent.ID, RuleID: &rule.ID, Params: map[string]string{}}).Error)
		}
		moved := func(exts ...string) []models.PersonFields {
			out := slices.Clone(all)
			for i := range out {
				if slices.Contains(exts, out[i].ExternalID) {
					out[i].Department = "Sales"
				}
			}
			return out
		}

		_, out := f.preview(moved("E001", "E002", "E003")...)
		require.True(t, out.Held)
		require.Equal(t, "3 people would lose access (3 movers losing grants), 15% of 20 active people; the brake holds at 500 people or 10%", out.HeldReason)

		_, out, err = f.syncer.Import(ctx, models.CLIActor, f.src, "cli", "people.csv", moved("E001", "E002", "E003"), nil, asJoiners)
		require.NoError(t, err)
		require.True(t, out.Held)
		require.Equal(t, "Engineering", f.people()["E001"].Department, "nothing of a held run is applied")

		run := f.importAll(moved("E004", "E005", "E006")...)
		require.Equal(t, models.SyncCounts{Movers: 3, Unchanged: 17}, run.SyncCounts, "movers who hold nothing lose nothing")
	})
}

func TestDiscard(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		t.Parallel()
		f := newFixture(t, store)
		ctx := context.Background()
		f.importAll(rec("E1"), rec("E2"))

		tests := []struct {
			name string
			kept int // records the run keeps until decided
			run  func() *models.SyncRun
		}{
			{name: "preview", kept: 2, run: func() *models.SyncRun {
				run, _ := f.preview(rec("E1", title("Changed")), rec("E3"))
				return run
			}},
			{name: "held", run: func() *models.SyncRun {
				run, out, err := f.syncer.Import(ctx, models.CLIActor, f.src, "cli", "empty.csv", nil, nil, asJoiners)
				require.NoError(t, err)
				require.True(t, out.Held)
				require.Equal(t, "the source returned nobody, but it has 2 active people", out.HeldReason)
				return run
			}},
		}
		for _, tt := range tests {
			run := tt.run()
			before := f.people()
			kept, err := f.syncer.Store.SyncRunRecords(ctx, run.ID)
			require.NoError(t, err)
			require.Len(t, kept, tt.kept, tt.name)
			require.NoError(t, f.syncer.Discard(ctx, admin, run.ID), tt.name)
			kept, err = f.syncer.Store.SyncRunRecords(ctx, run.ID)
			require.NoError(t, err)
			require.Empty(t, kept, "discarding deletes the records: %s", tt.name)
			require.Equal(t, before, f.people(), tt.name)
			got := f.run(run.ID)
			require.Equal(t, models.SyncDiscarded, got.Status, tt.name)
			require.Empty(t, got.Payload, tt.name)
			require.Equal(t, admin.Email, got.DecidedBy, tt.name)
			require.ErrorIs(t, f.syncer.Discard(ctx, admin, run.ID), models.ErrRunDecided, tt.name)
			_, _, err = f.syncer.Confirm(ctx, admin, run.ID)
			require.ErrorIs(t, err, models.ErrRunDecided, tt.name)
		}
		require.Len(t, f.touched, 1, "only the first import re-planned anyone")
	})
}

func TestRowErrorsRecordFailedRun(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		t.Parallel()
		f := newFixture(t, store)
		rowErrors := []models.RowError{{Line: 3, Field: "work_email", Message: "is not an email address"}, {Line: 7, Message: "has 3 columns, want 21"}}
		for _, call := range []func(context.Context, models.Actor, *models.Source, string, string, []models.PersonFields, []models.RowError, ...hrsync.Option) (*models.SyncRun, hrsync.Outcome, error){
			f.syncer.Preview, f.syncer.Import,
		} {
			run, out, err := call(context.Background(), admin, f.src, "upload", "bad.csv", []models.PersonFields{rec("E1")}, rowErrors)
			require.NoError(t, err)
			require.Equal(t, rowErrors, out.RowErrors)
			require.False(t, out.Applied)
			require.Equal(t, "joiners=0 existing=0 movers=0 leavers=0 rehires=0 unchanged=0 held=false", out.Summary())
			got := f.run(run.ID)
			require.Equal(t, models.SyncFailed, got.Status)
			require.Equal(t, rowErrors, got.RowErrors)
			require.Equal(t, "2 invalid rows", got.Error)
			require.Equal(t, models.SyncCounts{}, got.SyncCounts)
			require.Empty(t, got.Payload)
			require.NotNil(t, got.FinishedAt)
			require.Equal(t, []string{models.ActionSyncRejected}, f.audited(run.ID))
		}
		require.Empty(t, f.people())
		require.Empty(t, f.touched)
	})
}

func TestImport(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		t.Parallel()
		f := newFixture(t, store)
		ctx := context.Background()
		steps := []struct {
			name    string
			records []models.PersonFields
			summary string
			status  models.SyncStatus
			audit   string
		}{
			{name: "first", records: []models.PersonFields{rec("E1"), rec("E2"), rec("E3")},
				summary: "joiners=3 existing=0 movers=0 leavers=0 rehires=0 unchanged=0 held=false", status: models.SyncSucceeded, audit: models.ActionSyncApplied},
			{name: "same again", records: []models.PersonFields{rec("E1"), rec("E2"), rec("E3")},
				summary: "joiners=0 existing=0 movers=0 leavers=0 rehires=0 unchanged=3 held=false", status: models.SyncSucceeded, audit: models.ActionSyncApplied},
			{name: "mixed", records: []models.PersonFields{rec("E1", status(models.StatusLeave)), rec("E2"), rec("E4")},
				summary: "joiners=1 existing=0 movers=1 leavers=1 rehires=0 unchanged=1 held=false", status: models.SyncSucceeded, audit: models.ActionSyncApplied},
			{name: "empty", records: nil,
				summary: "joiners=0 existing=0 movers=0 leavers=3 rehires=0 unchanged=0 held=true", status: models.SyncHeld, audit: models.ActionSyncHeld},
		}
		for _, step := range steps {
			run, out, err := f.syncer.Import(ctx, models.CLIActor, f.src, "cli", "people.csv", step.records, nil, asJoiners)
			require.NoError(t, err, step.name)
			require.Equal(t, step.summary, out.Summary(), step.name)
			require.Equal(t, step.status, run.Status, step.name)
			require.Equal(t, "cli", run.Trigger, step.name)
			require.Equal(t, models.CLIActor.Email, run.CreatedBy, step.name)
			require.Equal(t, []string{step.audit}, f.audited(run.ID), step.name)
		}
	})
}

func TestConfirmComparesWithCurrentState(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		t.Parallel()
		f := newFixture(t, store)
		preview, out := f.preview(rec("E1"), rec("E2"))
		require.Equal(t, 2, out.Counts.Joiners)
		f.importAll(rec("E1"))

		run, out, err := f.syncer.Confirm(context.Background(), admin, preview.ID)
		require.NoError(t, err)
		require.Equal(t, models.SyncCounts{Joiners: 1, Unchanged: 1}, out.Counts)
		require.Equal(t, models.SyncCounts{Joiners: 1, Unchanged: 1}, run.SyncCounts)
		require.Len(t, f.people(), 2)
	})
}

func TestConcurrentConfirm(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		t.Parallel()
		f := newFixture(t, store)
		preview, _ := f.preview(people(50)...)

		errs := make([]error, 2)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range errs {
			wg.Go(func() {
				<-start
				_, _, errs[i] = f.syncer.Confirm(context.Background(), admin, preview.ID)
			})
		}
		close(start)
		wg.Wait()

		var ok, decided int
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, models.ErrRunDecided):
				decided++
			default:
				t.Fatalf("unexpected error: %v", err)
			}
		}
		require.Equal(t, 1, ok)
		require.Equal(t, 1, decided)
		got := f.people()
		require.Len(t, got, 50)
		require.Equal(t, []models.EventKind{models.EventJoined}, f.kinds(got["E001"].ID))
		require.Len(t, f.touched, 1)
	})
}

// A run whose planning jobs cannot be written is not applied: people are
// never changed without the work that re-plans them (issue 8.7).
func TestPlanLaterFailureAppliesNothing(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		t.Parallel()
		f := newFixture(t, store)
		boom := errors.New("job table unreachable")
		f.syncer.PlanLater = func(context.Context, *models.Store, int64, []int64) error { return boom }
		_, _, err := f.syncer.Import(context.Background(), models.CLIActor, f.src, "cli", "people.csv", people(2), nil, asJoiners)
		require.ErrorIs(t, err, boom)
		require.Empty(t, f.people(), "nothing applied without its planning")

		f.syncer.PlanLater = nil
		f.importAll(people(2)...)
		require.Len(t, f.people(), 2, "the same file applies once planning can be queued")
	})
}

func TestDefaultTodayUsesOrgTimezone(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		t.Parallel()
		f := newFixture(t, store)
		ctx := context.Background()
		f.importAll(rec("E1"), rec("E2"))
		require.NoError(t, store.SetSetting(ctx, admin, models.SettingOrgTimezone, "Pacific/Auckland"))
		f.syncer.Today = nil
		f.syncer.Now = func() time.Time { return time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC) } // 01:30 on the 2nd in Auckland

		f.importAll(rec("E1"))
		require.Equal(t, "2026-03-02", f.people()["E2"].TerminationDate)
	})
}

// A preview of a large file keeps its records as rows of sync_run_records,
// never as one payload string, and confirming it replays exactly those.
func TestLargePreviewKeepsRecordsAsRows(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		t.Parallel()
		ctx := context.Background()
		f := newFixture(t, store)
		const n = 20000
		records := make([]models.PersonFields, n)
		for i := range records {
			records[i] = rec(fmt.Sprintf("E%05d", i))
		}
		run, out := f.preview(records...)
		require.Equal(t, models.SyncCounts{Joiners: n}, out.Counts)
		require.Equal(t, models.SyncPreview, run.Status)
		require.Empty(t, f.people(), "a preview changes nobody")
		var payload, kept int
		require.NoError(t, db.SQL.QueryRowContext(ctx, "SELECT length(payload) FROM sync_runs WHERE id = $1", run.ID).Scan(&payload))
		require.Zero(t, payload, "no payload string is written")
		require.NoError(t, db.SQL.QueryRowContext(ctx, "SELECT count(*) FROM sync_run_records WHERE sync_run_id = $1", run.ID).Scan(&kept))
		require.Equal(t, n, kept)

		got, out, err := f.syncer.Confirm(ctx, admin, run.ID)
		require.NoError(t, err)
		require.True(t, out.Applied)
		require.Equal(t, models.SyncCounts{Joiners: n}, got.SyncCounts)
		people := f.people()
		require.Len(t, people, n)
		require.Contains(t, people, "E19999")
		require.NoError(t, db.SQL.QueryRowContext(ctx, "SELECT count(*) FROM sync_run_records WHERE sync_run_id = $1", run.ID).Scan(&kept))
		require.Zero(t, kept, "an applied run keeps no records")
	})
}

// A preview counts what confirming it then applies (joiners, a possible
// duplicate, a mover, a leaver, a rehire), and writes no person and no
// event: it is a dry scan, in the same pass that keeps the records.
func TestPreviewCountsWhatConfirmApplies(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		t.Parallel()
		f := newFixture(t, store)
		f.importAll(rec("E1"), rec("E2"), rec("E3"), rec("E4"))
		f.importAll(rec("E1"), rec("E2"), rec("E3"), rec("E4", terminated("2026-02-27")))
		before := f.people()
		var events int64
		require.NoError(t, db.Gorm.Model(&models.PersonEvent{}).Count(&events).Error)

		snapshot := []models.PersonFields{rec("E1", title("Staff Engineer")), rec("E2"), rec("E4"), rec("E5"),
			rec("E6", func(p *models.PersonFields) { p.WorkEmail = "pE2@example.com" })}
		preview, out := f.preview(snapshot...)
		want := models.SyncCounts{Joiners: 2, Movers: 1, Leavers: 1, Rehires: 1, Unchanged: 1}
		require.Equal(t, want, out.Counts)
		require.Equal(t, 1, out.Duplicates)
		require.Equal(t, want, f.run(preview.ID).SyncCounts, "the run shows what the preview found")
		require.Equal(t, before, f.people(), "a preview changes nobody")
		var after int64
		require.NoError(t, db.Gorm.Model(&models.PersonEvent{}).Count(&after).Error)
		require.Equal(t, events, after, "nor writes an event")
		records, err := store.SyncRunRecords(context.Background(), preview.ID)
		require.NoError(t, err)
		require.Len(t, records, len(snapshot))
		require.Equal(t, "E6", records[4].ExternalID, "records kept in order")

		run, applied, err := f.syncer.Confirm(context.Background(), admin, preview.ID)
		require.NoError(t, err)
		require.True(t, applied.Applied)
		require.Equal(t, want, applied.Counts)
		require.Equal(t, out.Duplicates, applied.Duplicates)
		require.Equal(t, want, run.SyncCounts)
	})
}
