package models

import (
	"context"
	"errors"
	"fmt"
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

// Default brake thresholds: a run is held when its leavers exceed both.
const (
	DefaultBrakeMinLeavers = 5
	DefaultBrakePercent    = 10
)

// Source is an HR system Roster reads people from.
type Source struct {
	ID                  int64
	Kind                SourceKind
	Name                string
	Config              string // sealed JSON (secrets encrypted at rest)
	SyncIntervalMinutes int
	// The brake holds a run whose leavers are more than BrakeMinLeavers
	// people and more than BrakePercent % of the source's active people.
	BrakeMinLeavers int
	BrakePercent    int
	CreatedAt       time.Time
	UpdatedAt       time.Time
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
	Name            string
	Kind            SourceKind
	BrakeMinLeavers int
	BrakePercent    int
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
	if in.BrakeMinLeavers < 0 {
		errs["brake_min_leavers"] = "Use 0 or more."
	}
	if in.BrakePercent < 0 || in.BrakePercent > 100 {
		errs["brake_percent"] = "Use a percentage from 0 to 100."
	}
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
	src := &Source{Kind: in.Kind, Name: in.Name, BrakeMinLeavers: in.BrakeMinLeavers, BrakePercent: in.BrakePercent}
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
	return s.CreateSource(ctx, actor, SourceInput{Name: name, Kind: SourceCSV,
		BrakeMinLeavers: DefaultBrakeMinLeavers, BrakePercent: DefaultBrakePercent})
}

// UpdateSourceBrake changes a source's brake thresholds.
func (s *Store) UpdateSourceBrake(ctx context.Context, actor Actor, id int64, minLeavers, percent int) error {
	return s.WithTx(ctx, func(tx *Store) error {
		src, err := tx.SourceByID(ctx, id)
		if err != nil {
			return err
		}
		err = tx.db.WithContext(ctx).Model(&Source{}).Where("id = ?", id).Updates(map[string]any{
			"brake_min_leavers": minLeavers, "brake_percent": percent, "updated_at": time.Now().UTC()}).Error
		if err != nil {
			return fmt.Errorf("store: update source %d: %w", id, translate(err))
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: ActionSourceUpdated, SubjectType: "source", SubjectID: id, SubjectLabel: src.Name,
			Before: map[string]int{"brake_min_leavers": src.BrakeMinLeavers, "brake_percent": src.BrakePercent},
			After:  map[string]int{"brake_min_leavers": minLeavers, "brake_percent": percent}})
	})
}

func firstMessage(errs map[string]string) string {
	for _, m := range errs {
		return m
	}
	return ""
}
