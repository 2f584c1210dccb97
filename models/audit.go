package models

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Audit actions recorded so far. Later areas add their own; the Activity
// page lists whatever is in the table.
const (
	ActionSignIn          = "auth.sign_in"
	ActionSignInFailed    = "auth.sign_in_failed"
	ActionSignOut         = "auth.sign_out"
	ActionLoginLinkIssued = "auth.login_link_issued"
	ActionAdminInvited    = "admin.invited"
	ActionAdminRole       = "admin.role_changed"
	ActionAdminDisabled   = "admin.disabled"
	ActionAdminEnabled    = "admin.enabled"
)

// Actor is who did something: a signed-in admin, the command line, or
// Roster itself. It travels with every mutating Store call so that the
// audit event is written in the same transaction as the change.
type Actor struct {
	AdminID   int64 // 0 when not a signed-in admin
	Email     string
	IP        string
	RequestID string
}

// SystemActor is Roster acting on its own (start-up, scheduled jobs).
var SystemActor = Actor{Email: "system"}

// CLIActor is an operator at the roster command line.
var CLIActor = Actor{Email: "cli"}

// AuditEvent is one row of the append-only audit trail.
type AuditEvent struct {
	ID           int64
	CreatedAt    time.Time
	ActorID      *int64
	ActorEmail   string
	Action       string
	SubjectType  string
	SubjectID    string
	SubjectLabel string
	Before       *string
	After        *string
	IP           string `gorm:"column:ip"`
	RequestID    string
}

// TableName implements gorm's Tabler.
func (AuditEvent) TableName() string { return "audit_events" }

// AuditEntry describes one audited event. Before and After are marshalled
// to JSON; either may be nil.
type AuditEntry struct {
	Action       string
	SubjectType  string
	SubjectID    int64
	SubjectLabel string
	Before       any
	After        any
}

// Audit appends an event to the audit trail. Call it on the transaction
// Store that made the change, so both commit or neither does.
func (s *Store) Audit(ctx context.Context, actor Actor, e AuditEntry) error {
	return s.AuditMany(ctx, actor, []AuditEntry{e})
}

// auditBatch is how many audit rows one INSERT writes: ten columns each,
// well inside both databases' parameter limits and the SQLite driver's
// cost per parameter.
const auditBatch = 200

// AuditMany appends one event per entry, all by the same actor at the same
// moment, in as few statements as a bulk decision needs.
func (s *Store) AuditMany(ctx context.Context, actor Actor, entries []AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	now := time.Now().UTC()
	events := make([]AuditEvent, len(entries))
	for i, e := range entries {
		ev := AuditEvent{
			CreatedAt:    now,
			ActorEmail:   actor.Email,
			Action:       e.Action,
			SubjectType:  e.SubjectType,
			SubjectLabel: e.SubjectLabel,
			IP:           actor.IP,
			RequestID:    actor.RequestID,
		}
		if actor.AdminID != 0 {
			ev.ActorID = &actor.AdminID
		}
		if e.SubjectID != 0 {
			ev.SubjectID = strconv.FormatInt(e.SubjectID, 10)
		}
		var err error
		if ev.Before, err = auditJSON(e.Before); err != nil {
			return err
		}
		if ev.After, err = auditJSON(e.After); err != nil {
			return err
		}
		events[i] = ev
	}
	if err := s.db.WithContext(ctx).CreateInBatches(events, auditBatch).Error; err != nil {
		return fmt.Errorf("store: audit %s: %w", entries[0].Action, translate(err))
	}
	return nil
}

func auditJSON(v any) (*string, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("store: audit: marshal: %w", err)
	}
	s := string(b)
	return &s, nil
}

// AuditFilter selects events for the Activity page. Zero fields match
// everything. Events are returned newest first, BeforeID being the
// keyset cursor (the ID of the last event of the previous page).
type AuditFilter struct {
	Action   string
	Actor    string
	Subject  string // "type" or "type:id"
	Since    time.Time
	Until    time.Time
	BeforeID int64
	Limit    int
}

// ListAuditEvents returns one page of events and whether more follow.
func (s *Store) ListAuditEvents(ctx context.Context, f AuditFilter) ([]AuditEvent, bool, error) {
	switch {
	case f.Limit <= 0:
		f.Limit = 50
	case f.Limit > 500:
		f.Limit = 500
	}
	q := s.db.WithContext(ctx).Model(&AuditEvent{})
	q = applyAuditFilter(q, f)
	if f.BeforeID > 0 {
		q = q.Where("id < ?", f.BeforeID)
	}
	var events []AuditEvent
	if err := q.Order("id DESC").Limit(f.Limit + 1).Find(&events).Error; err != nil {
		return nil, false, fmt.Errorf("store: list audit events: %w", translate(err))
	}
	more := len(events) > f.Limit
	if more {
		events = events[:f.Limit]
	}
	return events, more, nil
}

func applyAuditFilter(q *gorm.DB, f AuditFilter) *gorm.DB {
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.Actor != "" {
		q = q.Where("actor_email = ?", f.Actor)
	}
	if f.Subject != "" {
		typ, id, found := strings.Cut(f.Subject, ":")
		q = q.Where("subject_type = ?", typ)
		if found {
			q = q.Where("subject_id = ?", id)
		}
	}
	if !f.Since.IsZero() {
		q = q.Where("created_at >= ?", f.Since.UTC())
	}
	if !f.Until.IsZero() {
		q = q.Where("created_at < ?", f.Until.UTC())
	}
	return q
}

// AuditActions lists the distinct actions present, for the filter menu.
func (s *Store) AuditActions(ctx context.Context) ([]string, error) {
	var actions []string
	err := s.db.WithContext(ctx).Model(&AuditEvent{}).Distinct("action").Order("action").Pluck("action", &actions).Error
	if err != nil {
		return nil, fmt.Errorf("store: audit actions: %w", translate(err))
	}
	return actions, nil
}
