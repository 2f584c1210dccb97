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

// FilterTaskRows returns the tasks the filter selects with the people
// they are for, in three queries.
func (s *Store) FilterTaskRows(ctx context.Context, f TaskFilter) ([]TaskRow, error) {
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
	return s.tasksWithPeople(ctx, tasks)
}

// tasksWithPeople pairs tasks with the people their actions are for.
func (s *Store) tasksWithPeople(ctx context.Context, tasks []Task) ([]TaskRow, error) {
	rows := make([]TaskRow, len(tasks))
	if len(tasks) == 0 {
		return rows, nil
	}
	actionIDs := make([]int64, len(tasks))
	for i, t := range tasks {
		actionIDs[i] = t.ActionID
	}
	var owners []struct {
		ActionID int64
		PersonID int64
	}
	err := s.db.WithContext(ctx).Table("actions").Select("actions.id AS action_id, changes.person_id AS person_id").
		Joins("JOIN changes ON changes.id = actions.change_id").Where("actions.id IN ?", actionIDs).Scan(&owners).Error
	if err != nil {
		return nil, fmt.Errorf("store: people of tasks: %w", translate(err))
	}
	personOf := make(map[int64]int64, len(owners))
	personIDs := make([]int64, 0, len(owners))
	for _, o := range owners {
		personOf[o.ActionID] = o.PersonID
		personIDs = append(personIDs, o.PersonID)
	}
	people, err := s.PeopleByIDs(ctx, personIDs)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]Person, len(people))
	for _, p := range people {
		byID[p.ID] = p
	}
	for i, t := range tasks {
		rows[i] = TaskRow{Task: t, Person: byID[personOf[t.ActionID]]}
	}
	return rows, nil
}
