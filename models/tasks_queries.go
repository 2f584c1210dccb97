package models

import (
	"context"
	"fmt"
)

// TaskFilter selects tasks for the Tasks page.
type TaskFilter struct {
	// Done lists done tasks, most recently done first, instead of open
	// ones, soonest due first.
	Done bool
	// Mine, when set, keeps the tasks assigned to this admin: by their ID,
	// or by their email address.
	Mine *Admin
	// Limit caps the rows (100 when not in 1..500).
	Limit int
}

// TaskItem is a task as the Tasks page lists it: with the person it is
// for and the app its action is in.
type TaskItem struct {
	Task
	Person Person
	App    App
}

// ListTaskItems returns the tasks the filter selects with their people
// and apps, in four queries.
func (s *Store) ListTaskItems(ctx context.Context, f TaskFilter) ([]TaskItem, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	q := s.db.WithContext(ctx).Limit(f.Limit)
	if f.Done {
		q = q.Where("done_at IS NOT NULL").Order("done_at DESC, id DESC")
	} else {
		q = q.Where("done_at IS NULL").Order("due_at, id")
	}
	if f.Mine != nil {
		q = q.Where("(assignee_admin_id = ? OR assignee_email = ?)", f.Mine.ID, f.Mine.Email)
	}
	var tasks []Task
	if err := q.Find(&tasks).Error; err != nil {
		return nil, fmt.Errorf("store: tasks: %w", translate(err))
	}
	return s.taskItems(ctx, tasks)
}

// taskItems pairs tasks with the people and apps of their actions.
func (s *Store) taskItems(ctx context.Context, tasks []Task) ([]TaskItem, error) {
	items := make([]TaskItem, len(tasks))
	if len(tasks) == 0 {
		return items, nil
	}
	actionIDs := make([]int64, len(tasks))
	for i, t := range tasks {
		actionIDs[i] = t.ActionID
	}
	var owners []struct {
		ActionID int64
		PersonID int64
		AppID    int64
	}
	err := s.db.WithContext(ctx).Table("actions").
		Select("actions.id AS action_id, changes.person_id AS person_id, actions.app_id AS app_id").
		Joins("JOIN changes ON changes.id = actions.change_id").Where("actions.id IN ?", actionIDs).Scan(&owners).Error
	if err != nil {
		return nil, fmt.Errorf("store: people of tasks: %w", translate(err))
	}
	personOf := make(map[int64]int64, len(owners))
	appOf := make(map[int64]int64, len(owners))
	personIDs := make([]int64, 0, len(owners))
	appIDs := make([]int64, 0, len(owners))
	for _, o := range owners {
		personOf[o.ActionID], appOf[o.ActionID] = o.PersonID, o.AppID
		personIDs, appIDs = append(personIDs, o.PersonID), append(appIDs, o.AppID)
	}
	people, err := s.PeopleByIDs(ctx, personIDs)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]Person, len(people))
	for _, p := range people {
		byID[p.ID] = p
	}
	var apps []App
	if err := s.db.WithContext(ctx).Where("id IN ?", appIDs).Find(&apps).Error; err != nil {
		return nil, fmt.Errorf("store: apps of tasks: %w", translate(err))
	}
	appByID := make(map[int64]App, len(apps))
	for _, a := range apps {
		appByID[a.ID] = a
	}
	for i, t := range tasks {
		items[i] = TaskItem{Task: t, Person: byID[personOf[t.ActionID]], App: appByID[appOf[t.ActionID]]}
	}
	return items, nil
}
