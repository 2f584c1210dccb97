package models

import (
	"context"
	"fmt"
	"time"
)

// MaxCallsPerSecond bounds an app's calls per second limit.
const MaxCallsPerSecond = 1000

// ActionAppCallRate records a change of an app's calls per second.
const ActionAppCallRate = "app.call_rate_changed"

// ValidateCallRate checks a calls per second limit an admin typed; ""
// when fine. 0 is no limit.
func ValidateCallRate(n int) string {
	if n < 0 || n > MaxCallsPerSecond {
		return fmt.Sprintf("Enter a number from 0 (no limit) to %d.", MaxCallsPerSecond)
	}
	return ""
}

// SetAppCallRate sets how many calls per second the installation makes
// to an app, audited.
func (s *Store) SetAppCallRate(ctx context.Context, actor Actor, appID int64, n int) error {
	if msg := ValidateCallRate(n); msg != "" {
		return fmt.Errorf("store: call rate of app %d: %s", appID, msg)
	}
	return s.setAppNumber(ctx, actor, appID, "max_calls_per_second", ActionAppCallRate, n,
		func(a *App) (int, error) { return a.MaxCallsPerSecond, nil })
}

// TakeAppCall counts one call to an app in its current one-second
// window, the window starting afresh once a second has passed. It
// reports whether the call is within perSecond; when not, next is when
// the window ends.
func (s *Store) TakeAppCall(ctx context.Context, appID int64, perSecond int, now time.Time) (ok bool, next time.Time, err error) {
	nowMs := now.UnixMilli()
	var row struct {
		WindowMs int64
		Calls    int
	}
	err = s.db.WithContext(ctx).Raw(`INSERT INTO app_call_windows (app_id, window_ms, calls) VALUES (?, ?, 1)
		ON CONFLICT (app_id) DO UPDATE SET
			calls = CASE WHEN app_call_windows.window_ms <= ? THEN 1 ELSE app_call_windows.calls + 1 END,
			window_ms = CASE WHEN app_call_windows.window_ms <= ? THEN ? ELSE app_call_windows.window_ms END
		RETURNING window_ms, calls`, appID, nowMs, nowMs-1000, nowMs-1000, nowMs).Scan(&row).Error
	if err != nil {
		return false, time.Time{}, fmt.Errorf("store: app %d call window: %w", appID, translate(err))
	}
	return row.Calls <= perSecond, time.UnixMilli(row.WindowMs + 1000), nil
}
