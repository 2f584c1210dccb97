package models_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// awkwardFields are people whose values would break a careless bulk
// encoding (JSON parameters, or COPY's text format if it is tried again):
// quotes, tabs, newlines, backslashes, COPY's text markers, unicode, empty values, groups and custom attributes with odd
// names.
func awkwardFields() []models.PersonFields {
	odd := []string{
		`O'Brien "Jr"`, "tab\there", "line\nbreak\r\nwindows", `back\slash \\ \N \.`, "Zoë 山田 🙂", "",
		"  spaced  ", `{"json":"lookalike"}`, "comma, semi; pipe|", "\u00a0nbsp\u200bzero-width",
	}
	out := make([]models.PersonFields, 0, len(odd)+2)
	for i, v := range odd {
		// Each column gets its own value, so a column written into
		// another's place shows.
		tag := func(column string) string { return column + ":" + v }
		out = append(out, models.PersonFields{
			ExternalID: fmt.Sprintf("odd-%d %s", i, v), FirstName: v, LastName: tag("last"), WorkEmail: fmt.Sprintf("odd%d@example.com", i),
			PersonalEmail: tag("personal"), Phone: "+442079460001", PhoneInput: tag("input"), Title: tag("title"),
			Department: tag("dept"), Team: tag("team"), Division: tag("division"), CostCenter: tag("cc"), ManagerID: tag("manager"),
			Location: tag("location"), Country: "GB", Timezone: "Europe/London", EmploymentType: tag("type"),
			Status: models.StatusActive, StartDate: "2024-01-15", TerminationDate: tag("end"),
			Groups: []string{v, "", "b;c", `q"uote`}, Custom: map[string]string{v + "key": v, "laptop": `Model \ 3`},
		})
	}
	// Nothing set but the essentials: empty strings, no groups (nil), no
	// custom attributes, a leaver.
	out = append(out,
		models.PersonFields{ExternalID: "bare", Status: models.StatusPending},
		models.PersonFields{ExternalID: "empty-groups", Status: models.StatusTerminated, Groups: []string{}, Custom: map[string]string{}},
	)
	return out
}

// writeAwkward imports awkwardFields and filler past one batch into a
// fresh database, then moves one person and flags duplicates, the way a
// sync run writes them, and returns the database.
func writeAwkward(t *testing.T, dialect models.Dialect) *models.DB {
	t.Helper()
	ctx := context.Background()
	db := modelstest.Open(t, dialect)
	store := models.NewStore(db)
	src, err := store.EnsureCSVSource(ctx, tester, "HR")
	require.NoError(t, err)
	run := &models.SyncRun{SourceID: src.ID, Status: models.SyncRunning}
	require.NoError(t, store.CreateSyncRun(ctx, run, nil))

	var joiners []models.PersonChange
	for _, f := range awkwardFields() {
		diff := []models.FieldChange{{Field: "first_name", New: f.FirstName}, {Field: "title\t\"x\"", Old: "\\", New: f.Title}}
		joiners = append(joiners, models.PersonChange{Kind: models.EventJoined, Fields: f, Diff: diff})
	}
	first, err := store.WritePeople(ctx, src.ID, run.ID, joiners)
	require.NoError(t, err)

	// A second run of joiners past one batch, some flagged as duplicates
	// of the first, and a mover in the same call.
	dup := first[0]
	var changes []models.PersonChange
	for i := range 1003 {
		f := models.PersonFields{ExternalID: fmt.Sprintf("E%05d", i), FirstName: fmt.Sprintf("First%d", i), Status: models.StatusActive}
		ch := models.PersonChange{Kind: models.EventJoined, Fields: f}
		if i%250 == 0 {
			ch.DuplicateOfID = &dup
		}
		changes = append(changes, ch)
	}
	moved := awkwardFields()[3]
	moved.Title = "moved\t\\"
	changes = append(changes, models.PersonChange{Kind: models.EventChanged, PersonID: first[3], Fields: moved,
		Diff: []models.FieldChange{{Field: "title", Old: awkwardFields()[3].Title, New: moved.Title}}})
	_, err = store.WritePeople(ctx, src.ID, run.ID, changes)
	require.NoError(t, err)
	return db
}

// tableText reads every row of a query as text, NULL as "<null>".
func tableText(t *testing.T, db *models.DB, query string) [][]string {
	t.Helper()
	rows, err := db.SQL.Query(query)
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
			if !v.Valid {
				row[i] = "<null>"
			}
		}
		out = append(out, row)
	}
	require.NoError(t, rows.Err())
	return out
}

// An import writes the same on PostgreSQL (jsonb_to_recordset) as on
// SQLite (jsonb_each): the same people with the same ids for the same external ids,
// every column's stored text (groups, custom attributes and the hash
// included, empty kept apart from NULL), and the same events with the
// same diffs, in the same order.
func TestWritePeopleSameOnBothDialects(t *testing.T) {
	t.Parallel()
	lite, pg := writeAwkward(t, models.SQLite), writeAwkward(t, models.Postgres)
	queries := map[string]string{
		"people": "SELECT id, source_id, " + strings.Join(peopleColumns, ", ") + ", duplicate_of_id, " +
			"CASE WHEN created_at = updated_at THEN 'same' ELSE 'differ' END FROM people ORDER BY id",
		"person_events": "SELECT e.id, e.person_id, p.external_id, e.sync_run_id, e.kind, e.diff, " +
			"CASE WHEN e.created_at = p.created_at THEN 'with person' ELSE 'later' END " +
			"FROM person_events e JOIN people p ON p.id = e.person_id ORDER BY e.id",
	}
	for table, q := range queries {
		want, got := tableText(t, lite, q), tableText(t, pg, q)
		require.Len(t, got, len(want), table)
		for i := range want {
			require.Equal(t, want[i], got[i], "%s row %d (SQLite first, PostgreSQL second)", table, i)
		}
	}

	// And they read back as written.
	store := models.NewStore(pg)
	for i, f := range awkwardFields() {
		p, err := store.PersonByID(context.Background(), int64(i+1))
		require.NoError(t, err)
		if i == 3 {
			f.Title = "moved\t\\"
		}
		want := f
		if want.Groups == nil {
			want.Groups = []string{}
		}
		if want.Custom == nil {
			want.Custom = map[string]string{}
		}
		require.Equal(t, want, p.PersonFields, "person %d", i)
		require.Equal(t, f.Hash(), p.Hash)
	}
}

var peopleColumns = []string{
	"external_id", "first_name", "last_name", "preferred_name", "work_email", "personal_email", "phone",
	"title", "department", "team", "division", "cost_center", "manager_external_id", "location", "country",
	"timezone", "employment_type", "status", "start_date", "termination_date", "groups", "custom", "hash", "phone_input",
}

// A joiner whose employee id the source already has fails the batch as a
// conflict on both databases, and the transaction it ran in keeps
// nothing of it.
func TestWritePeopleConflictChangesNothing(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, db *models.DB, store *models.Store) {
		t.Parallel()
		ctx := context.Background()
		src, err := store.EnsureCSVSource(ctx, tester, "HR")
		require.NoError(t, err)
		run := &models.SyncRun{SourceID: src.ID, Status: models.SyncRunning}
		require.NoError(t, store.CreateSyncRun(ctx, run, nil))
		joiner := func(ext string) models.PersonChange {
			return models.PersonChange{Kind: models.EventJoined, Fields: models.PersonFields{ExternalID: ext, Status: models.StatusActive}}
		}
		_, err = store.WritePeople(ctx, src.ID, run.ID, []models.PersonChange{joiner("E1")})
		require.NoError(t, err)

		err = store.WithTx(ctx, func(tx *models.Store) error {
			if _, err := tx.WritePeople(ctx, src.ID, run.ID, []models.PersonChange{joiner("E2")}); err != nil {
				return err
			}
			_, err := tx.WritePeople(ctx, src.ID, run.ID, []models.PersonChange{joiner("E3"), joiner("E1")})
			return err
		})
		require.ErrorIs(t, err, models.ErrConflict)
		require.ErrorContains(t, err, "store: insert people")
		require.Equal(t, [][]string{{"E1", "1"}}, tableText(t, db,
			"SELECT p.external_id, (SELECT count(*) FROM person_events e WHERE e.person_id = p.id) FROM people p ORDER BY p.id"))
	})
}
