package models_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// auditTrail tells a test which audit events the calls since its last look
// wrote, so each mutation can be checked for exactly one event.
type auditTrail struct {
	t     *testing.T
	store *models.Store
	seen  int64
}

// newAuditTrail starts watching after the events already present.
func newAuditTrail(t *testing.T, store *models.Store) *auditTrail {
	t.Helper()
	trail := &auditTrail{t: t, store: store}
	trail.since()
	return trail
}

// since returns the events written since the last look, oldest first.
func (tr *auditTrail) since() []models.AuditEvent {
	tr.t.Helper()
	events, more, err := tr.store.ListAuditEvents(context.Background(), models.AuditFilter{Limit: 500})
	require.NoError(tr.t, err)
	require.False(tr.t, more, "auditTrail reads at most 500 events")
	var fresh []models.AuditEvent
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].ID > tr.seen {
			fresh = append(fresh, events[i])
		}
	}
	if len(fresh) > 0 {
		tr.seen = fresh[len(fresh)-1].ID
	}
	return fresh
}

// one requires exactly one event since the last look and returns it.
func (tr *auditTrail) one() models.AuditEvent {
	tr.t.Helper()
	events := tr.since()
	require.Len(tr.t, events, 1, "want exactly one audit event, got %+v", events)
	return events[0]
}

// none requires that nothing was audited since the last look.
func (tr *auditTrail) none() {
	tr.t.Helper()
	require.Empty(tr.t, tr.since(), "want no audit event")
}

// anyJSON in wantEvent accepts any non-NULL payload.
const anyJSON = "*"

// wantEvent is an expected audit event; empty before or after means NULL.
type wantEvent struct {
	action    string
	actor     models.Actor
	subjectID int64
	label     string
	before    string
	after     string
}

func requireEvent(t *testing.T, ev models.AuditEvent, want wantEvent) {
	t.Helper()
	require.Equal(t, want.action, ev.Action)
	require.Equal(t, want.actor.Email, ev.ActorEmail)
	require.Equal(t, want.actor.IP, ev.IP)
	require.Equal(t, want.actor.RequestID, ev.RequestID)
	require.Equal(t, "admin", ev.SubjectType)
	require.Equal(t, strconv.FormatInt(want.subjectID, 10), ev.SubjectID)
	require.Equal(t, want.label, ev.SubjectLabel)
	requireJSON(t, want.before, ev.Before, "before")
	requireJSON(t, want.after, ev.After, "after")
	require.WithinDuration(t, time.Now(), ev.CreatedAt, time.Minute)
}

func requireJSON(t *testing.T, want string, got *string, field string) {
	t.Helper()
	if want == "" {
		require.Nil(t, got, "%s must be NULL", field)
		return
	}
	require.NotNil(t, got, "%s must be set", field)
	if want != anyJSON {
		require.JSONEq(t, want, *got, field)
	}
}

func countRows(t *testing.T, db *models.DB, table string) int {
	t.Helper()
	var n int
	require.NoError(t, db.SQL.QueryRow("SELECT count(*) FROM "+table).Scan(&n))
	return n
}

func eventIDs(events []models.AuditEvent) []int64 {
	ids := make([]int64, len(events))
	for i, ev := range events {
		ids[i] = ev.ID
	}
	return ids
}

func TestAuditStoresEntry(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		trail := newAuditTrail(t, store)
		actor := models.Actor{AdminID: 12, Email: "alice@example.com", IP: "203.0.113.9", RequestID: "req-7"}

		require.NoError(t, store.Audit(ctx, actor, models.AuditEntry{
			Action: "source.renamed", SubjectType: "source", SubjectID: 7, SubjectLabel: "Workday",
			Before: map[string]any{"name": "WD"}, After: map[string]any{"name": "Workday"},
		}))
		ev := trail.one()
		require.Equal(t, "source.renamed", ev.Action)
		require.NotNil(t, ev.ActorID)
		require.EqualValues(t, 12, *ev.ActorID)
		require.Equal(t, "alice@example.com", ev.ActorEmail)
		require.Equal(t, "203.0.113.9", ev.IP)
		require.Equal(t, "req-7", ev.RequestID)
		require.Equal(t, "source", ev.SubjectType)
		require.Equal(t, "7", ev.SubjectID)
		require.Equal(t, "Workday", ev.SubjectLabel)
		requireJSON(t, `{"name":"WD"}`, ev.Before, "before")
		requireJSON(t, `{"name":"Workday"}`, ev.After, "after")

		// No admin, no subject ID and no payload are stored as such.
		require.NoError(t, store.Audit(ctx, models.SystemActor, models.AuditEntry{Action: "settings.checked", SubjectType: "settings"}))
		ev = trail.one()
		require.Nil(t, ev.ActorID)
		require.Equal(t, "system", ev.ActorEmail)
		require.Empty(t, ev.SubjectID)
		require.Nil(t, ev.Before)
		require.Nil(t, ev.After)

		// A payload that cannot be marshalled is an error and writes nothing.
		err := store.Audit(ctx, actor, models.AuditEntry{Action: "broken", After: map[string]any{"ch": make(chan int)}})
		require.Error(t, err)
		trail.none()
	})
}

func TestListAuditEvents(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		alice := models.Actor{Email: "alice@example.com"}
		bob := models.Actor{Email: "bob@example.com"}
		source := models.AuditEntry{SubjectType: "source", SubjectID: 7, SubjectLabel: "Workday"}

		// Seven events, oldest first.
		carol, err := store.CreateAdmin(ctx, alice, "carol@example.com", "", models.RoleOwner)
		require.NoError(t, err)
		dave, err := store.CreateAdmin(ctx, alice, "dave@example.com", "", models.RoleViewer)
		require.NoError(t, err)
		require.NoError(t, store.SetAdminRole(ctx, bob, dave.ID, models.RoleApprover))
		require.NoError(t, store.SetAdminDisabled(ctx, bob, dave.ID, true))
		created, synced := source, source
		created.Action, synced.Action = "source.created", "source.synced"
		require.NoError(t, store.Audit(ctx, alice, created))
		require.NoError(t, store.SetAdminDisabled(ctx, bob, dave.ID, false))
		require.NoError(t, store.Audit(ctx, models.SystemActor, synced))

		all, more, err := store.ListAuditEvents(ctx, models.AuditFilter{})
		require.NoError(t, err)
		require.False(t, more)
		require.Len(t, all, 7)
		var actions []string
		for i, ev := range all {
			actions = append(actions, ev.Action)
			if i > 0 {
				require.Less(t, ev.ID, all[i-1].ID, "newest first")
			}
		}
		require.Equal(t, []string{
			"source.synced", models.ActionAdminEnabled, "source.created", models.ActionAdminDisabled,
			models.ActionAdminRole, models.ActionAdminInvited, models.ActionAdminInvited,
		}, actions)
		byAction := func(action string) []int64 {
			var ids []int64
			for _, ev := range all {
				if ev.Action == action {
					ids = append(ids, ev.ID)
				}
			}
			return ids
		}

		daveID := strconv.FormatInt(dave.ID, 10)
		tests := []struct {
			name   string
			filter models.AuditFilter
			want   []int64
		}{
			{name: "action", filter: models.AuditFilter{Action: models.ActionAdminInvited}, want: byAction(models.ActionAdminInvited)},
			{name: "unknown action", filter: models.AuditFilter{Action: "nothing.happened"}, want: nil},
			{name: "actor alice", filter: models.AuditFilter{Actor: "alice@example.com"}, want: []int64{all[2].ID, all[5].ID, all[6].ID}},
			{name: "actor bob", filter: models.AuditFilter{Actor: "bob@example.com"}, want: []int64{all[1].ID, all[3].ID, all[4].ID}},
			{name: "actor system", filter: models.AuditFilter{Actor: "system"}, want: []int64{all[0].ID}},
			{name: "subject type admin", filter: models.AuditFilter{Subject: "admin"}, want: []int64{all[1].ID, all[3].ID, all[4].ID, all[5].ID, all[6].ID}},
			{name: "subject type source", filter: models.AuditFilter{Subject: "source"}, want: []int64{all[0].ID, all[2].ID}},
			{name: "subject admin:dave", filter: models.AuditFilter{Subject: "admin:" + daveID}, want: []int64{all[1].ID, all[3].ID, all[4].ID, all[5].ID}},
			{name: "subject admin:carol", filter: models.AuditFilter{Subject: "admin:" + strconv.FormatInt(carol.ID, 10)}, want: []int64{all[6].ID}},
			{name: "subject source:7", filter: models.AuditFilter{Subject: "source:7"}, want: []int64{all[0].ID, all[2].ID}},
			{name: "subject missing admin", filter: models.AuditFilter{Subject: "admin:99999"}, want: nil},
			{name: "action and actor", filter: models.AuditFilter{Action: models.ActionAdminDisabled, Actor: "bob@example.com"}, want: []int64{all[3].ID}},
			{name: "action and wrong actor", filter: models.AuditFilter{Action: models.ActionAdminDisabled, Actor: "alice@example.com"}, want: nil},
			{name: "since an hour ago", filter: models.AuditFilter{Since: time.Now().Add(-time.Hour), Until: time.Now().Add(time.Hour)}, want: eventIDs(all)},
			{name: "since later", filter: models.AuditFilter{Since: time.Now().Add(time.Hour)}, want: nil},
			{name: "until earlier", filter: models.AuditFilter{Until: time.Now().Add(-time.Hour)}, want: nil},
			{name: "before the newest", filter: models.AuditFilter{BeforeID: all[0].ID}, want: eventIDs(all[1:])},
		}
		for _, tt := range tests {
			events, more, err := store.ListAuditEvents(ctx, tt.filter)
			require.NoError(t, err, tt.name)
			require.False(t, more, tt.name)
			require.Equal(t, tt.want, nilIfEmpty(eventIDs(events)), tt.name)
		}

		actionsList, err := store.AuditActions(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{
			models.ActionAdminDisabled, models.ActionAdminEnabled, models.ActionAdminInvited, models.ActionAdminRole,
			"source.created", "source.synced",
		}, actionsList)
	})
}

func nilIfEmpty(ids []int64) []int64 {
	if len(ids) == 0 {
		return nil
	}
	return ids
}

func TestListAuditEventsPaginates(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		for i := range 7 {
			require.NoError(t, store.Audit(ctx, tester, models.AuditEntry{Action: "test.step", SubjectType: "step", SubjectID: int64(i + 1)}))
		}
		all, _, err := store.ListAuditEvents(ctx, models.AuditFilter{})
		require.NoError(t, err)
		require.Len(t, all, 7)

		var pages [][]int64
		var mores []bool
		filter := models.AuditFilter{Limit: 3}
		for range 5 {
			events, more, err := store.ListAuditEvents(ctx, filter)
			require.NoError(t, err)
			pages = append(pages, eventIDs(events))
			mores = append(mores, more)
			if !more {
				break
			}
			filter.BeforeID = events[len(events)-1].ID
		}
		ids := eventIDs(all)
		require.Equal(t, [][]int64{ids[0:3], ids[3:6], ids[6:7]}, pages)
		require.Equal(t, []bool{true, true, false}, mores)

		// Pagination composes with a filter.
		events, more, err := store.ListAuditEvents(ctx, models.AuditFilter{Subject: "step:4", Limit: 3})
		require.NoError(t, err)
		require.False(t, more)
		require.Len(t, events, 1)
		require.Equal(t, "4", events[0].SubjectID)

		// An exact fit has no further page.
		events, more, err = store.ListAuditEvents(ctx, models.AuditFilter{Limit: 7})
		require.NoError(t, err)
		require.False(t, more)
		require.Len(t, events, 7)
	})
}

func TestAuditActionsOfEmptyTrail(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		actions, err := store.AuditActions(context.Background())
		require.NoError(t, err)
		require.Empty(t, actions)
	})
}

func TestAuditTrailIsAppendOnly(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		a := createAdmin(t, store, "alice@example.com", models.RoleOwner)
		require.NoError(t, store.SetAdminRole(ctx, tester, a.ID, models.RoleOwner)) // no-op, no event
		before, _, err := store.ListAuditEvents(ctx, models.AuditFilter{})
		require.NoError(t, err)
		require.Len(t, before, 1)

		stmts := []string{
			"UPDATE audit_events SET action = 'x'",
			"UPDATE audit_events SET before = NULL, after = NULL WHERE id = " + strconv.FormatInt(before[0].ID, 10),
			"DELETE FROM audit_events",
			"DELETE FROM audit_events WHERE id = " + strconv.FormatInt(before[0].ID, 10),
		}
		if db.Dialect == models.Postgres {
			stmts = append(stmts, "TRUNCATE audit_events")
		}
		for _, stmt := range stmts {
			_, err := db.SQL.ExecContext(ctx, stmt)
			require.Error(t, err, stmt)
			require.Contains(t, err.Error(), "append-only", stmt)
		}

		after, _, err := store.ListAuditEvents(ctx, models.AuditFilter{})
		require.NoError(t, err)
		require.Equal(t, before, after)
	})
}

func TestRolledBackTxLeavesNoAdminAndNoAuditEvent(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		ctx := context.Background()
		errRollback := errors.New("roll back")

		err := store.WithTx(ctx, func(tx *models.Store) error {
			if _, err := tx.CreateAdmin(ctx, tester, "rolled@example.com", "", models.RoleOwner); err != nil {
				return err
			}
			if err := tx.Audit(ctx, tester, models.AuditEntry{Action: "test.extra", SubjectType: "test"}); err != nil {
				return err
			}
			return errRollback
		})
		require.ErrorIs(t, err, errRollback)
		_, err = store.AdminByEmail(ctx, "rolled@example.com")
		require.ErrorIs(t, err, models.ErrNotFound)
		require.Zero(t, countRows(t, db, "admins"))
		require.Zero(t, countRows(t, db, "audit_events"))

		// A failing mutation inside a transaction rolls back the earlier ones too.
		err = store.WithTx(ctx, func(tx *models.Store) error {
			if _, err := tx.CreateAdmin(ctx, tester, "first@example.com", "", models.RoleOwner); err != nil {
				return err
			}
			_, err := tx.CreateAdmin(ctx, tester, "FIRST@example.com", "", models.RoleOwner)
			return err
		})
		require.ErrorIs(t, err, models.ErrConflict)
		require.Zero(t, countRows(t, db, "admins"))
		require.Zero(t, countRows(t, db, "audit_events"))

		// The same work committed leaves both.
		err = store.WithTx(ctx, func(tx *models.Store) error {
			_, err := tx.CreateAdmin(ctx, tester, "kept@example.com", "", models.RoleOwner)
			return err
		})
		require.NoError(t, err)
		require.Equal(t, 1, countRows(t, db, "admins"))
		require.Equal(t, 1, countRows(t, db, "audit_events"))
	})
}
