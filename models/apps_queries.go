package models

import (
	"context"
	"fmt"
)

// EntitlementCounts returns the size of each app's catalogue by app id;
// apps without entitlements are absent.
func (s *Store) EntitlementCounts(ctx context.Context) (map[int64]int, error) {
	var rows []struct {
		AppID int64
		N     int
	}
	err := s.db.WithContext(ctx).Model(&Entitlement{}).Select("app_id, COUNT(*) AS n").Group("app_id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: entitlement counts: %w", translate(err))
	}
	out := make(map[int64]int, len(rows))
	for _, r := range rows {
		out[r.AppID] = r.N
	}
	return out, nil
}
