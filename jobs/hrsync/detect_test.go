package hrsync_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/hrsync"
	"github.com/rosterhq/roster/models"
)

const today = "2026-03-02"

// rec is an active person's record, changed by the edits.
func rec(ext string, edits ...func(*models.PersonFields)) models.PersonFields {
	f := models.PersonFields{ExternalID: ext, FirstName: "First" + ext, LastName: "Last", WorkEmail: "p" + ext + "@example.com",
		Title: "Engineer", Department: "Engineering", Status: models.StatusActive, StartDate: "2024-01-15",
		Groups: []string{"staff"}, Custom: map[string]string{"shirt": "M"}}
	for _, edit := range edits {
		edit(&f)
	}
	return f
}

func status(s models.PersonStatus) func(*models.PersonFields) {
	return func(f *models.PersonFields) { f.Status = s }
}

func title(s string) func(*models.PersonFields) { return func(f *models.PersonFields) { f.Title = s } }

func terminated(date string) func(*models.PersonFields) {
	return func(f *models.PersonFields) { f.Status, f.TerminationDate = models.StatusTerminated, date }
}

// stored is a person as the store returns them: empty groups and custom
// attributes come back empty, not nil.
func stored(id int64, f models.PersonFields) models.Person {
	if f.Groups == nil {
		f.Groups = []string{}
	}
	if f.Custom == nil {
		f.Custom = map[string]string{}
	}
	return models.Person{ID: id, SourceID: 1, PersonFields: f, Hash: f.Hash()}
}

// wantChange is the part of a PersonChange a case checks.
type wantChange struct {
	kind     models.EventKind
	ext      string
	personID int64
	diff     []string // field names, in order
	dupOf    int64
}

func summarize(changes []models.PersonChange) []wantChange {
	out := make([]wantChange, 0, len(changes))
	for _, ch := range changes {
		w := wantChange{kind: ch.Kind, ext: ch.Fields.ExternalID, personID: ch.PersonID}
		for _, d := range ch.Diff {
			w.diff = append(w.diff, d.Field)
		}
		if ch.DuplicateOfID != nil {
			w.dupOf = *ch.DuplicateOfID
		}
		out = append(out, w)
	}
	return out
}

func TestDetect(t *testing.T) {
	t.Parallel()
	joinerDiff := []string{"department", "employee_id", "first_name", "groups", "last_name", "shirt", "start_date", "status", "title", "work_email"}
	tests := []struct {
		name     string
		existing []models.Person
		incoming []models.PersonFields
		want     []wantChange
		counts   models.SyncCounts
		active   int
		ignored  int
		check    func(t *testing.T, r hrsync.Result)
	}{
		{
			name:     "joiner active",
			incoming: []models.PersonFields{rec("E1")},
			want:     []wantChange{{kind: models.EventJoined, ext: "E1", diff: joinerDiff}},
			counts:   models.SyncCounts{Joiners: 1},
		},
		{
			name:     "joiner pending",
			incoming: []models.PersonFields{rec("E1", status(models.StatusPending))},
			want:     []wantChange{{kind: models.EventJoined, ext: "E1", diff: joinerDiff}},
			counts:   models.SyncCounts{Joiners: 1},
			check: func(t *testing.T, r hrsync.Result) {
				require.Equal(t, models.StatusPending, r.Changes[0].Fields.Status)
			},
		},
		{
			name:     "mover with a field diff",
			existing: []models.Person{stored(7, rec("E1"))},
			incoming: []models.PersonFields{rec("E1", title("Staff Engineer"))},
			want:     []wantChange{{kind: models.EventChanged, ext: "E1", personID: 7, diff: []string{"title"}}},
			counts:   models.SyncCounts{Movers: 1},
			active:   1,
			check: func(t *testing.T, r hrsync.Result) {
				require.Equal(t, []models.FieldChange{{Field: "title", Old: "Engineer", New: "Staff Engineer"}}, r.Changes[0].Diff)
				require.Equal(t, "Staff Engineer", r.Changes[0].Fields.Title)
			},
		},
		{
			name:     "mover with a custom attribute diff",
			existing: []models.Person{stored(7, rec("E1"))},
			incoming: []models.PersonFields{rec("E1", func(f *models.PersonFields) { f.Custom = map[string]string{"shirt": "L", "desk": "4B"} })},
			want:     []wantChange{{kind: models.EventChanged, ext: "E1", personID: 7, diff: []string{"desk", "shirt"}}},
			counts:   models.SyncCounts{Movers: 1},
			active:   1,
		},
		{
			name:     "mover with a groups change",
			existing: []models.Person{stored(7, rec("E1"))},
			incoming: []models.PersonFields{rec("E1", func(f *models.PersonFields) { f.Groups = []string{"staff", "admins"} })},
			want:     []wantChange{{kind: models.EventChanged, ext: "E1", personID: 7, diff: []string{"groups"}}},
			counts:   models.SyncCounts{Movers: 1},
			active:   1,
			check: func(t *testing.T, r hrsync.Result) {
				require.Equal(t, []models.FieldChange{{Field: "groups", Old: "staff", New: "admins;staff"}}, r.Changes[0].Diff)
			},
		},
		{
			name:     "groups in another order are unchanged",
			existing: []models.Person{stored(7, rec("E1", func(f *models.PersonFields) { f.Groups = []string{"a", "b"} }))},
			incoming: []models.PersonFields{rec("E1", func(f *models.PersonFields) { f.Groups = []string{"b", "a"} })},
			counts:   models.SyncCounts{Unchanged: 1},
			active:   1,
		},
		{
			name:     "leaver by status",
			existing: []models.Person{stored(7, rec("E1"))},
			incoming: []models.PersonFields{rec("E1", terminated("2026-02-27"))},
			want:     []wantChange{{kind: models.EventLeft, ext: "E1", personID: 7, diff: []string{"status", "termination_date"}}},
			counts:   models.SyncCounts{Leavers: 1},
			active:   1,
		},
		{
			name:     "leaver by a termination date ahead",
			existing: []models.Person{stored(7, rec("E1"))},
			incoming: []models.PersonFields{rec("E1", func(f *models.PersonFields) { f.TerminationDate = "2026-04-30" })},
			want:     []wantChange{{kind: models.EventLeft, ext: "E1", personID: 7, diff: []string{"termination_date"}}},
			counts:   models.SyncCounts{Leavers: 1},
			active:   1,
			check: func(t *testing.T, r hrsync.Result) {
				require.Equal(t, models.StatusActive, r.Changes[0].Fields.Status, "a future leaver stays active until HR terminates them")
			},
		},
		{
			name:     "leaver by absence from the snapshot",
			existing: []models.Person{stored(7, rec("E1")), stored(8, rec("E2"))},
			incoming: []models.PersonFields{rec("E1")},
			want:     []wantChange{{kind: models.EventLeft, ext: "E2", personID: 8, diff: []string{"status", "termination_date"}}},
			counts:   models.SyncCounts{Leavers: 1, Unchanged: 1},
			active:   2,
			check: func(t *testing.T, r hrsync.Result) {
				f := r.Changes[0].Fields
				require.Equal(t, models.StatusTerminated, f.Status)
				require.Equal(t, today, f.TerminationDate)
				require.Equal(t, "FirstE2", f.FirstName, "the rest of the record is kept")
				require.Contains(t, r.Changes[0].Diff, models.FieldChange{Field: "termination_date", Old: "", New: today})
			},
		},
		{
			name:     "leaver by absence keeps a termination date already set",
			existing: []models.Person{stored(8, rec("E2", func(f *models.PersonFields) { f.TerminationDate = "2026-02-20" }))},
			incoming: []models.PersonFields{rec("E1")},
			want: []wantChange{
				{kind: models.EventJoined, ext: "E1", diff: joinerDiff},
				{kind: models.EventLeft, ext: "E2", personID: 8, diff: []string{"status"}},
			},
			counts: models.SyncCounts{Joiners: 1, Leavers: 1},
			active: 1,
			check: func(t *testing.T, r hrsync.Result) {
				require.Equal(t, "2026-02-20", r.Changes[1].Fields.TerminationDate)
			},
		},
		{
			name:     "rehire keeps the person",
			existing: []models.Person{stored(7, rec("E1", terminated("2025-06-30")))},
			incoming: []models.PersonFields{rec("E1", func(f *models.PersonFields) { f.StartDate = "2026-03-16" })},
			want:     []wantChange{{kind: models.EventRehired, ext: "E1", personID: 7, diff: []string{"start_date", "status", "termination_date"}}},
			counts:   models.SyncCounts{Rehires: 1},
		},
		{
			name:     "rehire straight onto leave is a rehire",
			existing: []models.Person{stored(7, rec("E1", terminated("2025-06-30")))},
			incoming: []models.PersonFields{rec("E1", status(models.StatusLeave))},
			want:     []wantChange{{kind: models.EventRehired, ext: "E1", personID: 7, diff: []string{"status", "termination_date"}}},
			counts:   models.SyncCounts{Rehires: 1},
		},
		{
			name:     "leave of absence",
			existing: []models.Person{stored(7, rec("E1"))},
			incoming: []models.PersonFields{rec("E1", status(models.StatusLeave))},
			want:     []wantChange{{kind: models.EventLeave, ext: "E1", personID: 7, diff: []string{"status"}}},
			counts:   models.SyncCounts{Movers: 1},
			active:   1,
		},
		{
			name:     "return from leave is a mover",
			existing: []models.Person{stored(7, rec("E1", status(models.StatusLeave)))},
			incoming: []models.PersonFields{rec("E1")},
			want:     []wantChange{{kind: models.EventChanged, ext: "E1", personID: 7, diff: []string{"status"}}},
			counts:   models.SyncCounts{Movers: 1},
			active:   1,
		},
		{
			name:     "a terminated person's record changing is a mover",
			existing: []models.Person{stored(7, rec("E1", terminated("2025-06-30")))},
			incoming: []models.PersonFields{rec("E1", terminated("2025-06-30"), title("Former"))},
			want:     []wantChange{{kind: models.EventChanged, ext: "E1", personID: 7, diff: []string{"title"}}},
			counts:   models.SyncCounts{Movers: 1},
		},
		{
			name: "unchanged, whether empty lists are nil or empty",
			existing: []models.Person{stored(7, rec("E1", func(f *models.PersonFields) {
				f.Groups, f.Custom = nil, nil
			}))},
			incoming: []models.PersonFields{rec("E1", func(f *models.PersonFields) {
				f.Groups, f.Custom = nil, map[string]string{"shirt": ""}
			})},
			counts: models.SyncCounts{Unchanged: 1},
			active: 1,
		},
		{
			name:     "already terminated and missing is nothing",
			existing: []models.Person{stored(7, rec("E1", terminated("2025-06-30")))},
			incoming: []models.PersonFields{},
		},
		{
			name:     "new but already terminated is ignored",
			incoming: []models.PersonFields{rec("E1", terminated("2025-06-30"))},
			ignored:  1,
		},
		{
			name: "active before counts pending, active and on leave",
			existing: []models.Person{stored(1, rec("E1", status(models.StatusPending))), stored(2, rec("E2")),
				stored(3, rec("E3", status(models.StatusLeave))), stored(4, rec("E4", terminated("2025-01-31")))},
			incoming: []models.PersonFields{rec("E1", status(models.StatusPending)), rec("E2"), rec("E3", status(models.StatusLeave))},
			counts:   models.SyncCounts{Unchanged: 3},
			active:   3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := hrsync.Detect(tt.existing, tt.incoming, nil, today)
			require.Equal(t, tt.want, nilIfEmpty(summarize(r.Changes)))
			require.Equal(t, tt.counts, r.Counts)
			require.Equal(t, tt.active, r.ActiveBefore)
			require.Equal(t, tt.ignored, r.Ignored)
			require.Zero(t, r.Duplicates)
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func nilIfEmpty(w []wantChange) []wantChange {
	if len(w) == 0 {
		return nil
	}
	return w
}

func TestDetectDuplicates(t *testing.T) {
	t.Parallel()
	email := func(e string) func(*models.PersonFields) { return func(f *models.PersonFields) { f.WorkEmail = e } }
	phone := func(p string) func(*models.PersonFields) { return func(f *models.PersonFields) { f.Phone = p } }
	tests := []struct {
		name       string
		existing   []models.Person
		incoming   models.PersonFields
		identities []models.PersonIdentity
		dupOf      int64
	}{
		{
			name:       "same work email in another source, any case",
			incoming:   rec("E1", email("ana@example.com")),
			identities: []models.PersonIdentity{{ID: 40, SourceID: 2, ExternalID: "okta-1", WorkEmail: "Ana@Example.com", Status: models.StatusActive}},
			dupOf:      40,
		},
		{
			name:       "same phone",
			incoming:   rec("E1", phone("+447700900123")),
			identities: []models.PersonIdentity{{ID: 41, SourceID: 2, ExternalID: "x", WorkEmail: "other@example.com", Phone: "+447700900123"}},
			dupOf:      41,
		},
		{
			name:       "rehire under a new employee id in the same source",
			existing:   []models.Person{stored(5, rec("E1", email("bo@example.com"), terminated("2025-06-30")))},
			incoming:   rec("E9", email("bo@example.com")),
			identities: []models.PersonIdentity{{ID: 5, SourceID: 1, ExternalID: "E1", WorkEmail: "bo@example.com", Status: models.StatusTerminated}},
			dupOf:      5,
		},
		{
			name:     "an email match wins over a lower id matching the phone",
			incoming: rec("E1", email("cy@example.com"), phone("+15550100")),
			identities: []models.PersonIdentity{
				{ID: 3, SourceID: 2, WorkEmail: "someone@example.com", Phone: "+15550100"},
				{ID: 9, SourceID: 3, WorkEmail: "cy@example.com"},
			},
			dupOf: 9,
		},
		{
			name:     "the lowest id among email matches",
			incoming: rec("E1", email("di@example.com")),
			identities: []models.PersonIdentity{
				{ID: 12, SourceID: 2, WorkEmail: "di@example.com"},
				{ID: 4, SourceID: 3, WorkEmail: "di@example.com"},
			},
			dupOf: 4,
		},
		{
			name:       "empty email and phone match nobody",
			incoming:   rec("E1", email(""), phone("")),
			identities: []models.PersonIdentity{{ID: 12, SourceID: 2}},
		},
		{
			name:       "no match",
			incoming:   rec("E1"),
			identities: []models.PersonIdentity{{ID: 12, SourceID: 2, WorkEmail: "else@example.com", Phone: "+15550199"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := hrsync.Detect(tt.existing, []models.PersonFields{tt.incoming}, tt.identities, today)
			require.Len(t, r.Changes, 1)
			ch := r.Changes[0]
			require.Equal(t, models.EventJoined, ch.Kind)
			if tt.dupOf == 0 {
				require.Nil(t, ch.DuplicateOfID)
				require.Zero(t, r.Duplicates)
				return
			}
			require.NotNil(t, ch.DuplicateOfID)
			require.Equal(t, tt.dupOf, *ch.DuplicateOfID)
			require.Equal(t, 1, r.Duplicates)
		})
	}
}

func TestDetectOnlyFlagsJoiners(t *testing.T) {
	t.Parallel()
	existing := []models.Person{stored(7, rec("E1"))}
	identities := []models.PersonIdentity{{ID: 7, SourceID: 1, ExternalID: "E1", WorkEmail: "pE1@example.com"},
		{ID: 3, SourceID: 2, WorkEmail: "pE1@example.com"}}
	r := hrsync.Detect(existing, []models.PersonFields{rec("E1", title("Lead"))}, identities, today)
	require.Len(t, r.Changes, 1)
	require.Equal(t, models.EventChanged, r.Changes[0].Kind)
	require.Nil(t, r.Changes[0].DuplicateOfID, "a known person is not a duplicate of anyone")
}

func TestDetectIsDeterministic(t *testing.T) {
	t.Parallel()
	var existing []models.Person
	var incoming []models.PersonFields
	for i := range 40 {
		ext := string(rune('A'+i%26)) + string(rune('a'+i/26))
		if i%3 != 0 {
			existing = append(existing, stored(int64(i+1), rec(ext)))
		}
		switch i % 4 {
		case 0: // joiner or unchanged
			incoming = append(incoming, rec(ext))
		case 1:
			incoming = append(incoming, rec(ext, title("Moved")))
		case 2: // missing: a leaver
		case 3:
			incoming = append(incoming, rec(ext, status(models.StatusLeave)))
		}
	}
	first := hrsync.Detect(existing, incoming, nil, today)
	var exts []string
	for _, ch := range first.Changes {
		exts = append(exts, ch.Fields.ExternalID)
	}
	require.IsIncreasing(t, exts)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		rng.Shuffle(len(existing), func(i, j int) { existing[i], existing[j] = existing[j], existing[i] })
		rng.Shuffle(len(incoming), func(i, j int) { incoming[i], incoming[j] = incoming[j], incoming[i] })
		require.Equal(t, first, hrsync.Detect(existing, incoming, nil, today))
	}
}

func TestDetectLastRecordOfAnExternalIDWins(t *testing.T) {
	t.Parallel()
	r := hrsync.Detect(nil, []models.PersonFields{rec("E1", title("First")), rec("E1", title("Second"))}, nil, today)
	require.Len(t, r.Changes, 1)
	require.Equal(t, "Second", r.Changes[0].Fields.Title)
	require.Equal(t, 1, r.Counts.Joiners)
}
