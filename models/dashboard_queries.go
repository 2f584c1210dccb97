package models

import (
	"context"
	"fmt"
	"time"
)

// ScheduledAction is one scheduled action with the names a list shows.
type ScheduledAction struct {
	ID            int64
	ChangeID      int64
	PersonID      int64
	FirstName     string
	PreferredName string
	LastName      string
	AppName       string
	Op            string
	RunAt         time.Time
}

// DisplayName is the person's preferred or first name and last name.
func (a ScheduledAction) DisplayName() string {
	f := PersonFields{FirstName: a.FirstName, PreferredName: a.PreferredName, LastName: a.LastName}
	return f.DisplayName()
}

// ScheduledActionsBetween counts the actions still scheduled to run in
// [from, to) and returns the first limit of them, soonest first, with the
// person's and app's names, in one query (the count is a window over the
// matching rows).
func (s *Store) ScheduledActionsBetween(ctx context.Context, from, to time.Time, limit int) (int64, []ScheduledAction, error) {
	var rows []struct {
		ScheduledAction
		Total int64
	}
	err := s.db.WithContext(ctx).Table("actions").
		Select("actions.id, actions.change_id, changes.person_id, people.first_name, people.preferred_name, people.last_name, "+
			"apps.name AS app_name, actions.op, actions.run_at, COUNT(*) OVER () AS total").
		Joins("JOIN changes ON changes.id = actions.change_id").
		Joins("JOIN people ON people.id = changes.person_id").
		Joins("JOIN apps ON apps.id = actions.app_id").
		Where("actions.status = ? AND actions.run_at >= ? AND actions.run_at < ?", ActionScheduled, from.UTC(), to.UTC()).
		Order("actions.run_at, actions.id").Limit(limit).Scan(&rows).Error
	if err != nil {
		return 0, nil, fmt.Errorf("store: scheduled actions: %w", translate(err))
	}
	if len(rows) == 0 {
		return 0, nil, nil
	}
	out := make([]ScheduledAction, len(rows))
	for i, r := range rows {
		out[i] = r.ScheduledAction
	}
	return rows[0].Total, out, nil
}
