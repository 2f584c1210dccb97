package models

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"
)

// SourceKind is the kind of HR system a source reads.
type SourceKind string

// Source kinds.
const (
	SourceCSV      SourceKind = "csv"
	SourceMerge    SourceKind = "merge"
	SourceBambooHR SourceKind = "bamboohr"
	SourceSCIM     SourceKind = "scim"
)

// BrakeThresholds are a source's safety brake (hrsync.Brake): a run is
// held when at least People people, or at least Percent % of the source's
// active people, would lose access (leavers, leaves of absence, movers
// losing a grant), or when it would take away at least Revocations grants
// and accounts. Each threshold holds a run on its own.
type BrakeThresholds struct {
	People      int
	Percent     int
	Revocations int
}

// Default brake thresholds. 10 % holds a 50-person company's run at 5
// people; 500 people hold a 100,000-person company's at 0.5 %, several
// times a normal day's leavers and movers there; 5,000 revocations are 500
// people's worth at ten grants and accounts each (docs/csv.md).
const (
	DefaultBrakePeople      = 500
	DefaultBrakePercent     = 10
	DefaultBrakeRevocations = 5000
)

// MaxBrakeCount bounds the people and revocation thresholds: a larger
// number holds nothing a million would not, and must not reach the
// database's integer columns.
const MaxBrakeCount = 1_000_000

// DefaultBrake is the brake a new source gets.
func DefaultBrake() BrakeThresholds {
	return BrakeThresholds{People: DefaultBrakePeople, Percent: DefaultBrakePercent, Revocations: DefaultBrakeRevocations}
}

// Validate returns a message per threshold out of bounds, keyed by form
// field (brake_people, brake_percent, brake_revocations).
func (b BrakeThresholds) Validate() map[string]string {
	errs := map[string]string{}
	if b.People < 0 || b.People > MaxBrakeCount {
		errs["brake_people"] = "Use a number of people from 0 to 1,000,000."
	}
	if b.Percent < 0 || b.Percent > 100 {
		errs["brake_percent"] = "Use a percentage from 0 to 100."
	}
	if b.Revocations < 0 || b.Revocations > MaxBrakeCount {
		errs["brake_revocations"] = "Use a number from 0 to 1,000,000."
	}
	return errs
}

// Source is an HR system Roster reads people from.
type Source struct {
	ID                  int64
	Kind                SourceKind
	Name                string
	Config              string // sealed JSON (secrets encrypted at rest)
	SyncIntervalMinutes int
	// Brake is stored as brake_people, brake_percent and
	// brake_revocations.
	Brake     BrakeThresholds `gorm:"embedded;embeddedPrefix:brake_"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TableName implements gorm's Tabler.
func (Source) TableName() string { return "sources" }

// Audit actions for sources and sync runs.
const (
	ActionSourceCreated  = "source.created"
	ActionSourceUpdated  = "source.updated"
	ActionSyncApplied    = "sync.applied"
	ActionSyncHeld       = "sync.held"
	ActionSyncConfirmed  = "sync.confirmed"
	ActionSyncDiscarded  = "sync.discarded"
	ActionSyncRejected   = "sync.rejected"
	ActionSettingChanged = "setting.changed"
)

// SourceInput is what an admin sets on a source.
type SourceInput struct {
	Name  string
	Kind  SourceKind
	Brake BrakeThresholds
}

// Validate returns a message per invalid field.
func (in *SourceInput) Validate() map[string]string {
	errs := map[string]string{}
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.Name == "":
		errs["name"] = "Give the source a name, like “Workday export”."
	case len([]rune(in.Name)) > 100:
		errs["name"] = "Keep the name under 100 characters."
	}
	switch in.Kind {
	case SourceCSV:
	default:
		errs["kind"] = "Only CSV sources can be created here for now."
	}
	maps.Copy(errs, in.Brake.Validate())
	return errs
}

// ListSources returns every source by name.
func (s *Store) ListSources(ctx context.Context) ([]Source, error) {
	var out []Source
	if err := s.db.WithContext(ctx).Order("name").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list sources: %w", translate(err))
	}
	return out, nil
}

// SourceByID returns one source.
func (s *Store) SourceByID(ctx context.Context, id int64) (*Source, error) {
	var src Source
	if err := s.db.WithContext(ctx).First(&src, id).Error; err != nil {
		return nil, fmt.Errorf("store: source %d: %w", id, translate(err))
	}
	return &src, nil
}

// SourceByName returns the source with this name.
func (s *Store) SourceByName(ctx context.Context, name string) (*Source, error) {
	var src Source
	if err := s.db.WithContext(ctx).Where("name = ?", strings.TrimSpace(name)).First(&src).Error; err != nil {
		return nil, fmt.Errorf("store: source %q: %w", name, translate(err))
	}
	return &src, nil
}

// CreateSource adds a source. A name in use is ErrConflict.
func (s *Store) CreateSource(ctx context.Context, actor Actor, in SourceInput) (*Source, error) {
	if errs := in.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("store: create source: %w", errors.New(firstMessage(errs)))
	}
	src := &Source{Kind: in.Kind, Name: in.Name, Brake: in.Brake}
	err := s.WithTx(ctx, func(tx *Store) error {
		if err := tx.db.WithContext(ctx).Create(src).Error; err != nil {
			return fmt.Errorf("store: create source %q: %w", in.Name, translate(err))
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: ActionSourceCreated, SubjectType: "source", SubjectID: src.ID,
			SubjectLabel: src.Name, After: in})
	})
	if err != nil {
		return nil, err
	}
	return src, nil
}

// EnsureCSVSource returns the CSV source with this name, creating it with
// the default brake if missing.
func (s *Store) EnsureCSVSource(ctx context.Context, actor Actor, name string) (*Source, error) {
	src, err := s.SourceByName(ctx, name)
	if err == nil {
		if src.Kind != SourceCSV {
			return nil, fmt.Errorf("source %q is a %s source, not csv", name, src.Kind)
		}
		return src, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	return s.CreateSource(ctx, actor, SourceInput{Name: name, Kind: SourceCSV, Brake: DefaultBrake()})
}

// UpdateSourceBrake changes a source's brake thresholds; thresholds out
// of bounds are refused before they reach the database.
func (s *Store) UpdateSourceBrake(ctx context.Context, actor Actor, id int64, b BrakeThresholds) error {
	if errs := b.Validate(); len(errs) > 0 {
		return fmt.Errorf("store: update source %d: %w", id, errors.New(firstMessage(errs)))
	}
	return s.WithTx(ctx, func(tx *Store) error {
		src, err := tx.SourceByID(ctx, id)
		if err != nil {
			return err
		}
		err = tx.db.WithContext(ctx).Model(&Source{}).Where("id = ?", id).Updates(map[string]any{
			"brake_people": b.People, "brake_percent": b.Percent, "brake_revocations": b.Revocations, "updated_at": time.Now().UTC()}).Error
		if err != nil {
			return fmt.Errorf("store: update source %d: %w", id, translate(err))
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: ActionSourceUpdated, SubjectType: "source", SubjectID: id, SubjectLabel: src.Name,
			Before: src.Brake.columns(), After: b.columns()})
	})
}

// columns are the thresholds by column, for the audit trail.
func (b BrakeThresholds) columns() map[string]int {
	return map[string]int{"brake_people": b.People, "brake_percent": b.Percent, "brake_revocations": b.Revocations}
}

func firstMessage(errs map[string]string) string {
	for _, m := range errs {
		return m
	}
	return ""
}
