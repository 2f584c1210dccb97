package models

import (
	"context"
	"fmt"
	"time"
)

// Digest settings and audit actions.
const (
	// SettingDigestHour is the org-local hour (0–23) from which each
	// admin's daily digest is sent.
	SettingDigestHour = "digest_hour"
	// DefaultDigestHour is the digest hour when none is set.
	DefaultDigestHour = 8
	// ActionDigestPreference records an admin opting out of or into the digest.
	ActionDigestPreference = "admin.digest_preference"
)

// DigestOptOut reports whether the admin has opted out of the daily digest.
func (s *Store) DigestOptOut(ctx context.Context, adminID int64) (bool, error) {
	var out []bool
	err := s.db.WithContext(ctx).Table("admins").Where("id = ?", adminID).Pluck("digest_opt_out", &out).Error
	if err != nil {
		return false, fmt.Errorf("store: digest preference of admin %d: %w", adminID, translate(err))
	}
	if len(out) == 0 {
		return false, fmt.Errorf("store: digest preference of admin %d: %w", adminID, ErrNotFound)
	}
	return out[0], nil
}

// SetDigestOptOut opts the admin out of (or back into) the daily digest,
// and audits the change.
func (s *Store) SetDigestOptOut(ctx context.Context, actor Actor, adminID int64, optOut bool) error {
	return s.WithTx(ctx, func(tx *Store) error {
		a, err := tx.AdminByID(ctx, adminID)
		if err != nil {
			return err
		}
		old, err := tx.DigestOptOut(ctx, adminID)
		if err != nil {
			return err
		}
		if old == optOut {
			return nil
		}
		if err := tx.db.WithContext(ctx).Table("admins").Where("id = ?", adminID).
			Updates(map[string]any{"digest_opt_out": optOut, "updated_at": time.Now().UTC()}).Error; err != nil {
			return fmt.Errorf("store: digest preference of admin %d: %w", adminID, translate(err))
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: ActionDigestPreference, SubjectType: "admin", SubjectID: a.ID,
			SubjectLabel: a.Label(), Before: map[string]bool{"digest_opt_out": old}, After: map[string]bool{"digest_opt_out": optOut}})
	})
}

// DigestRecipients returns the active admins who have not opted out of
// the daily digest, by id.
func (s *Store) DigestRecipients(ctx context.Context) ([]Admin, error) {
	var admins []Admin
	err := s.db.WithContext(ctx).Where("disabled_at IS NULL AND digest_opt_out = ?", false).Order("id").Find(&admins).Error
	if err != nil {
		return nil, fmt.Errorf("store: digest recipients: %w", translate(err))
	}
	return admins, nil
}

// QueueAge is how many changes wait in a Team Updates tab and since when
// the oldest has waited.
type QueueAge struct {
	Count  int64
	Oldest time.Time // zero when Count is 0
}

// QueueAges returns, per Team Updates tab, the pending changes and the
// creation time of the oldest.
func (s *Store) QueueAges(ctx context.Context) (map[Queue]QueueAge, error) {
	out := make(map[Queue]QueueAge, len(Queues))
	for _, q := range Queues {
		var n int64
		if err := s.pendingChanges(ctx, ChangeFilter{}).Where("changes.kind IN ?", q.kinds()).Count(&n).Error; err != nil {
			return nil, fmt.Errorf("store: queue %s: %w", q, translate(err))
		}
		age := QueueAge{Count: n}
		if n > 0 {
			var c Change
			err := s.pendingChanges(ctx, ChangeFilter{}).Where("changes.kind IN ?", q.kinds()).
				Order("changes.created_at, changes.id").Limit(1).Find(&c).Error
			if err != nil {
				return nil, fmt.Errorf("store: oldest in queue %s: %w", q, translate(err))
			}
			age.Oldest = c.CreatedAt
		}
		out[q] = age
	}
	return out, nil
}

// FailedChangeCount returns how many changes the Failed tab lists.
func (s *Store) FailedChangeCount(ctx context.Context) (int64, error) {
	var n int64
	if err := inStatuses(s.db.WithContext(ctx).Model(&Change{}), []ChangeStatus{ChangeFailed}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: failed changes: %w", translate(err))
	}
	return n, nil
}

// UpcomingStarts returns people (not duplicates) whose start date is
// between from and to inclusive (YYYY-MM-DD), soonest first.
func (s *Store) UpcomingStarts(ctx context.Context, from, to string) ([]Person, error) {
	return s.peopleDatedBetween(ctx, "start_date", from, to)
}

// UpcomingLeaves returns people (not duplicates) whose termination date
// is between from and to inclusive (YYYY-MM-DD), soonest first.
func (s *Store) UpcomingLeaves(ctx context.Context, from, to string) ([]Person, error) {
	return s.peopleDatedBetween(ctx, "termination_date", from, to)
}

func (s *Store) peopleDatedBetween(ctx context.Context, column, from, to string) ([]Person, error) {
	var people []Person
	err := s.db.WithContext(ctx).Where("duplicate_of_id IS NULL").
		Where(column+" <> '' AND "+column+" >= ? AND "+column+" <= ?", from, to).
		Order(column + ", id").Limit(200).Find(&people).Error
	if err != nil {
		return nil, fmt.Errorf("store: people by %s: %w", column, translate(err))
	}
	return people, nil
}
