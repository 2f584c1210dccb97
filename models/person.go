package models

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
)

// PersonStatus is where a person is in their employment.
type PersonStatus string

// Person statuses, as HR sources report them.
const (
	StatusPending    PersonStatus = "pending"
	StatusActive     PersonStatus = "active"
	StatusLeave      PersonStatus = "leave"
	StatusTerminated PersonStatus = "terminated"
)

// Valid reports whether s is a known status.
func (s PersonStatus) Valid() bool {
	switch s {
	case StatusPending, StatusActive, StatusLeave, StatusTerminated:
		return true
	}
	return false
}

// EmploymentTypes are the accepted employment types.
var EmploymentTypes = []string{"full_time", "part_time", "intern", "contractor", "freelance"}

// PersonFields are a person's HR attributes as a source reports them,
// normalised: emails lower-case, phones E.164, dates YYYY-MM-DD.
type PersonFields struct {
	ExternalID      string `gorm:"column:external_id"`
	FirstName       string
	LastName        string
	PreferredName   string
	WorkEmail       string
	PersonalEmail   string
	Phone           string
	Title           string
	Department      string
	Team            string
	Division        string
	CostCenter      string
	ManagerID       string `gorm:"column:manager_external_id"` // the manager's external id
	Location        string
	Country         string
	Timezone        string
	EmploymentType  string
	Status          PersonStatus
	StartDate       string            // YYYY-MM-DD or ""
	TerminationDate string            // YYYY-MM-DD or ""
	Groups          []string          `gorm:"serializer:json"`
	Custom          map[string]string `gorm:"serializer:json"`
	// PhoneInput is Phone as the source wrote it, kept so that the next
	// import need not normalise it again (Store.KnownPhones). It is not an
	// attribute: Hash, Attributes and diffs leave it out, and a new way of
	// writing the same number is no change.
	PhoneInput string `gorm:"column:phone_input" json:",omitempty"`
}

// StandardAttributes are the attribute names of PersonFields, in the order
// the CSV template and the person page use.
var StandardAttributes = []string{
	"employee_id", "first_name", "last_name", "preferred_name", "work_email", "personal_email", "phone",
	"title", "department", "team", "division", "cost_center", "manager_id", "location", "country",
	"timezone", "employment_type", "status", "start_date", "termination_date", "groups",
}

// Attributes returns every attribute by name, custom ones included
// (groups joined with ";"). Rules and diffs work on this map.
func (f *PersonFields) Attributes() map[string]string {
	m := make(map[string]string, len(StandardAttributes)+len(f.Custom))
	for _, name := range StandardAttributes {
		m[name], _ = f.Attribute(name)
	}
	for k, v := range f.Custom {
		if _, standard := m[k]; !standard {
			m[k] = v
		}
	}
	return m
}

// Attribute returns one attribute as Attributes would, without building
// the map: a standard attribute by its name, otherwise a custom one. ok
// is false for a name the person has no attribute of.
func (f *PersonFields) Attribute(name string) (value string, ok bool) {
	switch name {
	case "employee_id":
		return f.ExternalID, true
	case "first_name":
		return f.FirstName, true
	case "last_name":
		return f.LastName, true
	case "preferred_name":
		return f.PreferredName, true
	case "work_email":
		return f.WorkEmail, true
	case "personal_email":
		return f.PersonalEmail, true
	case "phone":
		return f.Phone, true
	case "title":
		return f.Title, true
	case "department":
		return f.Department, true
	case "team":
		return f.Team, true
	case "division":
		return f.Division, true
	case "cost_center":
		return f.CostCenter, true
	case "manager_id":
		return f.ManagerID, true
	case "location":
		return f.Location, true
	case "country":
		return f.Country, true
	case "timezone":
		return f.Timezone, true
	case "employment_type":
		return f.EmploymentType, true
	case "status":
		return string(f.Status), true
	case "start_date":
		return f.StartDate, true
	case "termination_date":
		return f.TerminationDate, true
	case "groups":
		return strings.Join(f.Groups, ";"), true
	}
	value, ok = f.Custom[name]
	return value, ok
}

// Hash fingerprints the fields, so an unchanged record is recognised
// without comparing field by field; imports compare it with the hash
// stored with each person. It is built by hand (each value length-prefixed,
// groups sorted, custom attributes by sorted name with empty ones left
// out) rather than by encoding the struct, which cost more than the rest
// of comparing a row.
func (f *PersonFields) Hash() string {
	var stack [512]byte
	buf := stack[:0]
	for _, v := range [...]string{f.ExternalID, f.FirstName, f.LastName, f.PreferredName, f.WorkEmail, f.PersonalEmail,
		f.Phone, f.Title, f.Department, f.Team, f.Division, f.CostCenter, f.ManagerID, f.Location, f.Country,
		f.Timezone, f.EmploymentType, string(f.Status), f.StartDate, f.TerminationDate} {
		buf = appendHashField(buf, v)
	}
	groups := f.Groups
	if !sort.StringsAreSorted(groups) {
		groups = append([]string(nil), groups...)
		sort.Strings(groups)
	}
	buf = binary.AppendUvarint(buf, uint64(len(groups)))
	for _, g := range groups {
		buf = appendHashField(buf, g)
	}
	keys := make([]string, 0, len(f.Custom))
	for k, v := range f.Custom {
		if v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	buf = binary.AppendUvarint(buf, uint64(len(keys)))
	for _, k := range keys {
		buf = appendHashField(buf, k)
		buf = appendHashField(buf, f.Custom[k])
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:16])
}

// appendHashField adds one value to a fingerprint's input, prefixed by
// its length so that no two sequences of values read the same.
func appendHashField(buf []byte, v string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(v)))
	return append(buf, v...)
}

// DisplayName is the name people use for this person.
func (f *PersonFields) DisplayName() string {
	first := f.FirstName
	if f.PreferredName != "" {
		first = f.PreferredName
	}
	name := strings.TrimSpace(first + " " + f.LastName)
	if name == "" {
		return f.WorkEmail
	}
	return name
}

// FieldChange is one attribute's change in an HR event.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// DiffFields lists the attributes that differ between two records, by name.
func DiffFields(old, new *PersonFields) []FieldChange {
	a, b := old.Attributes(), new.Attributes()
	var out []FieldChange
	for k, nv := range b {
		if ov := a[k]; ov != nv {
			out = append(out, FieldChange{Field: k, Old: ov, New: nv})
		}
	}
	for k, ov := range a {
		if _, ok := b[k]; !ok && ov != "" {
			out = append(out, FieldChange{Field: k, Old: ov})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// Person is someone an HR source knows about, identified by source and
// external id. A person is never deleted: a leaver stays, terminated, with
// their history.
type Person struct {
	ID       int64
	SourceID int64
	PersonFields
	Hash          string
	DuplicateOfID *int64
	// BaselineAt is when a baseline sync took the person as current
	// staff (hrsync: a source's first sync, or an upload that chose it):
	// employed before Roster knew them, never a joiner. Nil for people
	// who joined under Roster.
	BaselineAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// TableName implements gorm's Tabler.
func (Person) TableName() string { return "people" }

// EventKind is what happened to a person in a sync run.
type EventKind string

// HR event kinds.
const (
	EventJoined  EventKind = "joined"
	EventChanged EventKind = "changed" // a mover: some attribute changed
	EventLeft    EventKind = "left"
	EventRehired EventKind = "rehired"
	EventLeave   EventKind = "leave" // went on leave of absence
	// EventBaseline: a baseline sync found the person already employed
	// and took them as current staff (Person.BaselineAt), not a joiner.
	EventBaseline EventKind = "baseline"
	// EventOutsideChange: reconciliation found one of the person's app
	// accounts changed outside Roster (drift); the diff says how.
	EventOutsideChange EventKind = "outside_change"
)

// PersonEvent is one entry of a person's history.
type PersonEvent struct {
	ID        int64
	PersonID  int64
	SyncRunID *int64
	Kind      EventKind
	Diff      []FieldChange `gorm:"serializer:json"`
	CreatedAt time.Time
}

// TableName implements gorm's Tabler.
func (PersonEvent) TableName() string { return "person_events" }

// PersonByID returns one person.
func (s *Store) PersonByID(ctx context.Context, id int64) (*Person, error) {
	var p Person
	if err := s.db.WithContext(ctx).First(&p, id).Error; err != nil {
		return nil, fmt.Errorf("store: person %d: %w", id, translate(err))
	}
	return &p, nil
}

// PeopleByIDs returns the given people (missing ids are skipped).
func (s *Store) PeopleByIDs(ctx context.Context, ids []int64) ([]Person, error) {
	out := make([]Person, 0, len(ids))
	for _, chunk := range chunks(ids, 1000) {
		var people []Person
		if err := s.db.WithContext(ctx).Where("id IN ?", chunk).Find(&people).Error; err != nil {
			return nil, fmt.Errorf("store: people by id: %w", translate(err))
		}
		out = append(out, people...)
	}
	return out, nil
}

// PeopleVersion changes whenever a person or an account is added or
// updated, so a cache of people can tell it is stale without reading
// them. Neither is ever deleted, so the newest id and the newest update
// of each say it; all four are index lookups.
func (s *Store) PeopleVersion(ctx context.Context) (string, error) {
	var people, accounts sql.NullInt64
	var peopleAt, accountsAt sql.NullString
	err := s.db.WithContext(ctx).Raw(`SELECT (SELECT max(id) FROM people), (SELECT max(updated_at) FROM people),
		(SELECT max(id) FROM accounts), (SELECT max(updated_at) FROM accounts)`).
		Row().Scan(&people, &peopleAt, &accounts, &accountsAt)
	if err != nil {
		return "", fmt.Errorf("store: people version: %w", translate(err))
	}
	return fmt.Sprintf("%d/%s/%d/%s", people.Int64, peopleAt.String, accounts.Int64, accountsAt.String), nil
}

// PlannableIDs returns the people whose access rules can affect: everyone
// not terminated, and anyone who still holds an account.
func (s *Store) PlannableIDs(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Model(&Person{}).
		Where("status <> ? OR id IN (SELECT person_id FROM accounts WHERE status <> ?)", StatusTerminated, "deleted").
		Order("id").Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("store: plannable people: %w", translate(err))
	}
	return ids, nil
}

// LatestEvents returns each given person's most recent HR event.
func (s *Store) LatestEvents(ctx context.Context, ids []int64) (map[int64]PersonEvent, error) {
	out := make(map[int64]PersonEvent, len(ids))
	for _, chunk := range chunks(ids, 1000) {
		var events []PersonEvent
		err := s.db.WithContext(ctx).
			Where("id IN (SELECT max(id) FROM person_events WHERE person_id IN ? GROUP BY person_id)", chunk).Find(&events).Error
		if err != nil {
			return nil, fmt.Errorf("store: latest events: %w", translate(err))
		}
		for _, e := range events {
			out[e.PersonID] = e
		}
	}
	return out, nil
}

// PeopleOfSource returns every person a source has reported, for
// comparing a new snapshot against.
func (s *Store) PeopleOfSource(ctx context.Context, sourceID int64) ([]Person, error) {
	var people []Person
	if err := s.db.WithContext(ctx).Where("source_id = ?", sourceID).Order("id").Find(&people).Error; err != nil {
		return nil, fmt.Errorf("store: people of source %d: %w", sourceID, translate(err))
	}
	return people, nil
}

// PeopleFilter selects people for the People page. Zero fields match all.
type PeopleFilter struct {
	Search     string // name, email or employee id, case-insensitive substring
	Department string
	Status     PersonStatus
	SourceID   int64
	Offset     int
	Limit      int
}

// ListPeople returns one page of people ordered by name, and the total.
func (s *Store) ListPeople(ctx context.Context, f PeopleFilter) ([]Person, int64, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	q := s.db.WithContext(ctx).Model(&Person{})
	if f.Search != "" {
		cond, args := s.searchCond("people", f.Search)
		q = q.Where(cond, args...)
	}
	if f.Department != "" {
		q = q.Where("department = ?", f.Department)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.SourceID != 0 {
		q = q.Where("source_id = ?", f.SourceID)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("store: count people: %w", translate(err))
	}
	var people []Person
	if err := q.Order("last_name, first_name, id").Offset(f.Offset).Limit(f.Limit).Find(&people).Error; err != nil {
		return nil, 0, fmt.Errorf("store: list people: %w", translate(err))
	}
	return people, total, nil
}

// Departments lists the distinct departments, for filters.
func (s *Store) Departments(ctx context.Context) ([]string, error) {
	var out []string
	err := s.db.WithContext(ctx).Model(&Person{}).Where("department <> ''").Distinct("department").Order("department").Pluck("department", &out).Error
	if err != nil {
		return nil, fmt.Errorf("store: departments: %w", translate(err))
	}
	return out, nil
}

// PersonEvents returns a person's history, newest first.
func (s *Store) PersonEvents(ctx context.Context, personID int64) ([]PersonEvent, error) {
	var events []PersonEvent
	if err := s.db.WithContext(ctx).Where("person_id = ?", personID).Order("id DESC").Find(&events).Error; err != nil {
		return nil, fmt.Errorf("store: events of person %d: %w", personID, translate(err))
	}
	return events, nil
}

// PersonIdentity is the part of a person that duplicate detection
// compares.
type PersonIdentity struct {
	ID         int64
	SourceID   int64
	ExternalID string
	WorkEmail  string
	Phone      string
	Status     PersonStatus
}

// PersonIdentities returns every known person's identity, across sources.
func (s *Store) PersonIdentities(ctx context.Context) ([]PersonIdentity, error) {
	var out []PersonIdentity
	err := s.db.WithContext(ctx).Model(&Person{}).Select("id, source_id, external_id, work_email, phone, status").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: person identities: %w", translate(err))
	}
	return out, nil
}
