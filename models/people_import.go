package models

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// PersonHash is what an import compares a row with before reading the
// person: the fingerprint of their stored fields (PersonFields.Hash).
type PersonHash struct {
	ID     int64
	Hash   string
	Status PersonStatus
}

// EachPersonHash hands over a source's people one at a time, with only
// what an import needs to tell an unchanged row (its external id, id,
// hash and status), so the caller can keep them as compactly as it likes
// instead of every field of everyone.
func (s *Store) EachPersonHash(ctx context.Context, sourceID int64, fn func(externalID string, p PersonHash)) error {
	rows, err := s.db.WithContext(ctx).Raw("SELECT id, external_id, hash, status FROM people WHERE source_id = ?", sourceID).Rows()
	if err != nil {
		return fmt.Errorf("store: person hashes of source %d: %w", sourceID, translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var ext string
		var p PersonHash
		if err := rows.Scan(&p.ID, &ext, &p.Hash, &p.Status); err != nil {
			return fmt.Errorf("store: person hashes of source %d: %w", sourceID, translate(err))
		}
		fn(ext, p)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: person hashes of source %d: %w", sourceID, translate(err))
	}
	return nil
}

// PhoneKey is how Store.KnownPhones indexes a phone number as a source
// wrote it, in the country the record gives ("" for none).
func PhoneKey(input, country string) string { return input + "\x00" + country }

// KnownPhones maps every phone input people were stored with
// (PersonFields.PhoneInput, by PhoneKey) to its E.164 form: normalising a
// number depends only on what was written and the country, so a CSV
// import looks these up instead of normalising again.
func (s *Store) KnownPhones(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.WithContext(ctx).Raw("SELECT phone_input, country, phone FROM people WHERE phone_input <> '' AND phone <> ''").Rows()
	if err != nil {
		return nil, fmt.Errorf("store: known phones: %w", translate(err))
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var input, country, phone string
		if err := rows.Scan(&input, &country, &phone); err != nil {
			return nil, fmt.Errorf("store: known phones: %w", translate(err))
		}
		out[PhoneKey(input, country)] = phone
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: known phones: %w", translate(err))
	}
	return out, nil
}

// jsonBatch is how many rows one bulk statement carries. The rows travel
// as one JSON text parameter (expanded by jsonb_each on SQLite and
// json_to_recordset on PostgreSQL), because SQLite's driver binds
// parameters in time that grows with the square of their number.
const jsonBatch = 1000

// personRowColumns are the people columns a sync run writes from a
// record, in the order of personRow's fields; the JSON keys are the
// column names.
var personRowColumns = []string{
	"external_id", "first_name", "last_name", "preferred_name", "work_email", "personal_email", "phone",
	"title", "department", "team", "division", "cost_center", "manager_external_id", "location", "country",
	"timezone", "employment_type", "status", "start_date", "termination_date", "groups", "custom", "hash", "phone_input",
}

// personRow is one person as a bulk statement's JSON carries it.
type personRow struct {
	ID              int64  `json:"id,omitempty"`
	ExternalID      string `json:"external_id"`
	FirstName       string `json:"first_name"`
	LastName        string `json:"last_name"`
	PreferredName   string `json:"preferred_name"`
	WorkEmail       string `json:"work_email"`
	PersonalEmail   string `json:"personal_email"`
	Phone           string `json:"phone"`
	Title           string `json:"title"`
	Department      string `json:"department"`
	Team            string `json:"team"`
	Division        string `json:"division"`
	CostCenter      string `json:"cost_center"`
	ManagerID       string `json:"manager_external_id"`
	Location        string `json:"location"`
	Country         string `json:"country"`
	Timezone        string `json:"timezone"`
	EmploymentType  string `json:"employment_type"`
	Status          string `json:"status"`
	StartDate       string `json:"start_date"`
	TerminationDate string `json:"termination_date"`
	Groups          string `json:"groups"` // the column's JSON text
	Custom          string `json:"custom"`
	Hash            string `json:"hash"`
	PhoneInput      string `json:"phone_input"`
	DuplicateOfID   *int64 `json:"duplicate_of_id"`
}

func newPersonRow(id int64, f *PersonFields, dup *int64) personRow {
	groups, _ := json.Marshal(nonNil(f.Groups))
	custom, _ := json.Marshal(nonNilMap(f.Custom))
	return personRow{ID: id, ExternalID: f.ExternalID, FirstName: f.FirstName, LastName: f.LastName, PreferredName: f.PreferredName,
		WorkEmail: f.WorkEmail, PersonalEmail: f.PersonalEmail, Phone: f.Phone, Title: f.Title, Department: f.Department,
		Team: f.Team, Division: f.Division, CostCenter: f.CostCenter, ManagerID: f.ManagerID, Location: f.Location,
		Country: f.Country, Timezone: f.Timezone, EmploymentType: f.EmploymentType, Status: string(f.Status),
		StartDate: f.StartDate, TerminationDate: f.TerminationDate, Groups: string(groups), Custom: string(custom),
		Hash: f.Hash(), PhoneInput: f.PhoneInput, DuplicateOfID: dup}
}

// eventRow is one person event as a bulk statement's JSON carries it.
type eventRow struct {
	PersonID int64  `json:"person_id"`
	Kind     string `json:"kind"`
	Diff     string `json:"diff"`
}

// jsonRows is the FROM clause that expands a JSON array parameter into
// rows named r, with the given columns and their PostgreSQL types, and
// how to read column c of r.
func (s *Store) jsonRows(cols map[string]string) (from string, col func(c string) string) {
	if s.dialect == SQLite {
		// jsonb_each hands each element over in SQLite's binary JSON, which
		// json_extract reads without parsing the element's text again for
		// every column.
		return "jsonb_each(?) AS r", func(c string) string { return "json_extract(r.value, '$." + c + "')" }
	}
	defs := make([]string, 0, len(cols))
	for c, typ := range cols {
		defs = append(defs, c+" "+typ)
	}
	sort.Strings(defs) // the same text every time, so the driver's statement cache finds it
	// json, not jsonb: the text is read once, so converting it to binary
	// JSON first only adds work (about half of the expansion's time).
	return "json_to_recordset(CAST(? AS json)) AS r(" + strings.Join(defs, ", ") + ")", func(c string) string { return "r." + c }
}

// personRowTypes are personRow's columns with their PostgreSQL types.
func personRowTypes() map[string]string {
	m := map[string]string{"id": "bigint", "duplicate_of_id": "bigint"}
	for _, c := range personRowColumns {
		m[c] = "text"
	}
	return m
}

// insertPeople adds new people of a source in one statement and returns
// their ids by external id.
func (s *Store) insertPeople(ctx context.Context, sourceID int64, rows []personRow, now time.Time) (map[string]int64, error) {
	b, err := json.Marshal(rows)
	if err != nil {
		return nil, fmt.Errorf("store: insert people: %w", err)
	}
	from, col := s.jsonRows(personRowTypes())
	sel := make([]string, 0, len(personRowColumns)+1)
	for _, c := range personRowColumns {
		sel = append(sel, col(c))
	}
	sel = append(sel, col("duplicate_of_id"))
	q := "INSERT INTO people (source_id, " + strings.Join(personRowColumns, ", ") + ", duplicate_of_id, created_at, updated_at) " +
		"SELECT ?, " + strings.Join(sel, ", ") + ", ?, ? FROM " + from + " RETURNING id, external_id"
	res, err := s.db.WithContext(ctx).Raw(q, sourceID, now, now, string(b)).Rows()
	if err != nil {
		return nil, fmt.Errorf("store: insert people: %w", translate(err))
	}
	defer res.Close()
	ids := make(map[string]int64, len(rows))
	for res.Next() {
		var id int64
		var ext string
		if err := res.Scan(&id, &ext); err != nil {
			return nil, fmt.Errorf("store: insert people: %w", translate(err))
		}
		ids[ext] = id
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("store: insert people: %w", translate(err))
	}
	return ids, nil
}

// updatePeople rewrites the fields of existing people in one statement;
// a duplicate flag is set when given and otherwise kept.
func (s *Store) updatePeople(ctx context.Context, rows []personRow, now time.Time) error {
	b, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("store: update people: %w", err)
	}
	from, col := s.jsonRows(personRowTypes())
	set := make([]string, 0, len(personRowColumns)+2)
	for _, c := range personRowColumns {
		set = append(set, c+" = "+col(c))
	}
	set = append(set, "duplicate_of_id = COALESCE("+col("duplicate_of_id")+", people.duplicate_of_id)", "updated_at = ?")
	q := "UPDATE people SET " + strings.Join(set, ", ") + " FROM " + from + " WHERE people.id = " + col("id")
	// The FROM parameter comes after SET's in the statement.
	if err := s.db.WithContext(ctx).Exec(q, now, string(b)).Error; err != nil {
		return fmt.Errorf("store: update people: %w", translate(err))
	}
	return nil
}

// insertEvents records people's events of one run in one statement.
func (s *Store) insertEvents(ctx context.Context, runID int64, rows []eventRow, now time.Time) error {
	b, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("store: insert person events: %w", err)
	}
	from, col := s.jsonRows(map[string]string{"person_id": "bigint", "kind": "text", "diff": "text"})
	q := "INSERT INTO person_events (person_id, sync_run_id, kind, diff, created_at) SELECT " +
		col("person_id") + ", ?, " + col("kind") + ", " + col("diff") + ", ? FROM " + from
	if err := s.db.WithContext(ctx).Exec(q, runID, now, string(b)).Error; err != nil {
		return fmt.Errorf("store: insert person events: %w", translate(err))
	}
	return nil
}

// UpdatePersonHashes stores fresh fingerprints for people whose fields
// are unchanged but whose stored hash was made another way (before
// PersonFields.Hash was built by hand): not a change of the person, so
// updated_at and their history stay as they are.
func (s *Store) UpdatePersonHashes(ctx context.Context, hashes map[int64]string) error {
	type hashRow struct {
		ID   int64  `json:"id"`
		Hash string `json:"hash"`
	}
	rows := make([]hashRow, 0, len(hashes))
	for id, h := range hashes {
		rows = append(rows, hashRow{id, h})
	}
	from, col := s.jsonRows(map[string]string{"id": "bigint", "hash": "text"})
	q := "UPDATE people SET hash = " + col("hash") + " FROM " + from + " WHERE people.id = " + col("id")
	for len(rows) > 0 {
		n := min(len(rows), jsonBatch)
		b, err := json.Marshal(rows[:n])
		if err != nil {
			return fmt.Errorf("store: update person hashes: %w", err)
		}
		if err := s.db.WithContext(ctx).Exec(q, string(b)).Error; err != nil {
			return fmt.Errorf("store: update person hashes: %w", translate(err))
		}
		rows = rows[n:]
	}
	return nil
}

// WritePeople stores one batch of a run's changes, people inserted or
// updated and one event each, in a few statements whatever the batch's
// size; it sets the PersonID of joiners and returns the ids of everyone
// touched. Changes must be in canonical form (what the import compared).
func (s *Store) WritePeople(ctx context.Context, sourceID, runID int64, changes []PersonChange) ([]int64, error) {
	now := time.Now().UTC()
	touched := make([]int64, 0, len(changes))
	for len(changes) > 0 {
		n := min(len(changes), jsonBatch)
		ids, err := s.writePeopleBatch(ctx, sourceID, runID, changes[:n], now)
		if err != nil {
			return nil, err
		}
		touched = append(touched, ids...)
		changes = changes[n:]
	}
	return touched, nil
}

func (s *Store) writePeopleBatch(ctx context.Context, sourceID, runID int64, changes []PersonChange, now time.Time) ([]int64, error) {
	var joiners, movers []personRow
	for i := range changes {
		ch := &changes[i]
		row := newPersonRow(ch.PersonID, &ch.Fields, ch.DuplicateOfID)
		if ch.PersonID == 0 {
			joiners = append(joiners, row)
		} else {
			movers = append(movers, row)
		}
	}
	if len(joiners) > 0 {
		ids, err := s.insertPeople(ctx, sourceID, joiners, now)
		if err != nil {
			return nil, err
		}
		for i := range changes {
			if ch := &changes[i]; ch.PersonID == 0 {
				ch.PersonID = ids[ch.Fields.ExternalID]
			}
		}
	}
	if len(movers) > 0 {
		if err := s.updatePeople(ctx, movers, now); err != nil {
			return nil, err
		}
	}
	if err := s.markBaseline(ctx, changes, now); err != nil {
		return nil, err
	}
	touched := make([]int64, len(changes))
	events := make([]eventRow, len(changes))
	for i := range changes {
		ch := &changes[i]
		diff, _ := json.Marshal(nonNilDiff(ch.Diff))
		touched[i] = ch.PersonID
		events[i] = eventRow{PersonID: ch.PersonID, Kind: string(ch.Kind), Diff: string(diff)}
	}
	if err := s.insertEvents(ctx, runID, events, now); err != nil {
		return nil, err
	}
	return touched, nil
}

// markBaseline records when a baseline run took its people as current
// staff (EventBaseline): Person.BaselineAt, which the planner reads.
func (s *Store) markBaseline(ctx context.Context, changes []PersonChange, now time.Time) error {
	var ids []int64
	for i := range changes {
		if changes[i].Kind == EventBaseline {
			ids = append(ids, changes[i].PersonID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	err := s.db.WithContext(ctx).Model(&Person{}).Where("id IN ? AND baseline_at IS NULL", ids).
		UpdateColumn("baseline_at", now).Error
	if err != nil {
		return fmt.Errorf("store: mark baseline: %w", translate(err))
	}
	return nil
}

func nonNilDiff(d []FieldChange) []FieldChange {
	if d == nil {
		return []FieldChange{}
	}
	return d
}

// insertBatch is how many rows one multi-row INSERT with a parameter per
// value carries. SQLite's driver binds parameters in time that grows with
// the square of their number, so it gets small batches.
func (s *Store) insertBatch() int {
	if s.dialect == SQLite {
		return 50
	}
	return 500
}
