package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// ActionAppTested is the audit action of an admin's "Test connection".
const ActionAppTested = "app.tested"

// AppCall is one outbound call to an app: an action's webhook call or a
// "Test connection". The app's page shows the last one and the recent
// error rate from them.
type AppCall struct {
	ID       int64
	AppID    int64
	ActionID *int64 // nil for a test
	Test     bool
	OK       bool
	Status   int    // the HTTP status; 0 when the app did not answer
	Excerpt  string // what the app answered, trimmed and redacted
	Error    string // "" when OK
	At       time.Time
}

// TableName implements gorm's Tabler.
func (AppCall) TableName() string { return "app_calls" }

// FailingPolicy is when an app counts as failing, for the one IT/security
// alert of a failing streak: Calls failed calls in a row, or at least two
// failed calls in a row spanning For.
type FailingPolicy struct {
	Calls int
	For   time.Duration
}

// RecordAppCall stores a call and keeps the app's failing streak: a
// success ends it, a failure extends it. It reports alert = true exactly
// once per streak, when the streak first meets p; the caller then queues
// the alert in the same transaction. Tests (an admin's probe, answered on
// the page) are stored but leave the streak alone.
func (s *Store) RecordAppCall(ctx context.Context, call *AppCall, p FailingPolicy) (alert bool, err error) {
	err = s.WithTx(ctx, func(tx *Store) error {
		alert = false
		db := tx.db.WithContext(ctx)
		call.At = call.At.UTC()
		if err := db.Create(call).Error; err != nil {
			return fmt.Errorf("store: record call to app %d: %w", call.AppID, translate(err))
		}
		if call.Test {
			return nil
		}
		apps := db.Model(&App{}).Where("id = ?", call.AppID)
		if call.OK {
			if err := apps.Where("failed_calls > 0 OR alerted_at IS NOT NULL").Updates(map[string]any{
				"failed_calls": 0, "failing_since": nil, "alerted_at": nil}).Error; err != nil {
				return fmt.Errorf("store: app %d recovered: %w", call.AppID, translate(err))
			}
			return nil
		}
		if err := apps.Updates(map[string]any{"failed_calls": gorm.Expr("failed_calls + 1"),
			"failing_since": gorm.Expr("COALESCE(failing_since, ?)", call.At)}).Error; err != nil {
			return fmt.Errorf("store: app %d failing: %w", call.AppID, translate(err))
		}
		// Conditional, so concurrent failures (several workers) alert once.
		res := db.Model(&App{}).Where("id = ? AND alerted_at IS NULL", call.AppID).
			Where("failed_calls >= ? OR (failed_calls >= 2 AND failing_since <= ?)", p.Calls, call.At.Add(-p.For)).
			Update("alerted_at", call.At)
		if res.Error != nil {
			return fmt.Errorf("store: alert for app %d: %w", call.AppID, translate(res.Error))
		}
		alert = res.RowsAffected == 1
		return nil
	})
	return alert, err
}

// RecordSuccessfulCalls is RecordAppCall for many successful calls to
// apps (the job runner's batched completions) in one transaction and a
// fixed number of statements: the calls are stored and their apps'
// failing streaks end. A success never alerts.
func (s *Store) RecordSuccessfulCalls(ctx context.Context, calls []*AppCall) error {
	if len(calls) == 0 {
		return nil
	}
	apps := make([]int64, 0, len(calls))
	for _, c := range calls {
		if !c.OK || c.Test {
			return fmt.Errorf("store: record calls: the call to app %d is not a successful action's call", c.AppID)
		}
		c.At = c.At.UTC()
		apps = append(apps, c.AppID)
	}
	return s.WithTx(ctx, func(tx *Store) error {
		db := tx.db.WithContext(ctx)
		if err := db.CreateInBatches(calls, 200).Error; err != nil {
			return fmt.Errorf("store: record calls: %w", translate(err))
		}
		if err := db.Model(&App{}).Where("id IN ? AND (failed_calls > 0 OR alerted_at IS NOT NULL)", uniqueIDs(apps)).Updates(map[string]any{
			"failed_calls": 0, "failing_since": nil, "alerted_at": nil}).Error; err != nil {
			return fmt.Errorf("store: apps recovered: %w", translate(err))
		}
		return nil
	})
}

// AppHealth is how an app's calls went lately.
type AppHealth struct {
	Last   *AppCall // nil before the first call
	Calls  int64    // since the window began
	Failed int64
}

// AppHealthSince returns the app's last call and how many calls since
// since failed, in two queries on app_calls_app_at_idx.
func (s *Store) AppHealthSince(ctx context.Context, appID int64, since time.Time) (AppHealth, error) {
	var h AppHealth
	db := s.db.WithContext(ctx)
	var last AppCall
	err := db.Where("app_id = ?", appID).Order("at DESC, id DESC").First(&last).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return h, nil
	case err != nil:
		return h, fmt.Errorf("store: last call to app %d: %w", appID, translate(err))
	}
	h.Last = &last
	var row struct{ Calls, Failed int64 }
	if err := db.Model(&AppCall{}).Select("COUNT(*) AS calls, COALESCE(SUM(CASE WHEN ok THEN 0 ELSE 1 END), 0) AS failed").
		Where("app_id = ? AND at >= ?", appID, since.UTC()).Scan(&row).Error; err != nil {
		return h, fmt.Errorf("store: calls to app %d: %w", appID, translate(err))
	}
	h.Calls, h.Failed = row.Calls, row.Failed
	return h, nil
}

// PruneAppCalls deletes calls made before before.
func (s *Store) PruneAppCalls(ctx context.Context, before time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("at < ?", before.UTC()).Delete(&AppCall{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: prune app calls: %w", translate(res.Error))
	}
	return res.RowsAffected, nil
}

// RetryingActionCount returns how many actions wait to be tried again
// after a failed attempt, for the dashboard beside Failed.
func (s *Store) RetryingActionCount(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Action{}).
		Where("status IN ? AND attempts > 0 AND last_error <> ''", []ActionStatus{ActionScheduled, ActionRunning}).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("store: retrying actions: %w", translate(err))
	}
	return n, nil
}
