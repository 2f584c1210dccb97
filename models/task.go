package models

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Audit actions for tasks.
const (
	ActionTaskDone   = "task.done"
	ActionTaskUndone = "task.undone"
)

// Task is manual work for IT that a manual app's action becomes: ship a
// laptop, collect a badge. Marking it done completes the action.
type Task struct {
	ID              int64
	ActionID        int64
	Title           string
	Details         string
	AssigneeAdminID *int64
	AssigneeEmail   string
	DueAt           time.Time
	DoneBy          string
	DoneAt          *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// TableName implements gorm's Tabler.
func (Task) TableName() string { return "tasks" }

// EnsureTask creates the task for an action unless it exists, and
// returns it with created reporting whether it is new (so its assignee is
// mailed once).
func (s *Store) EnsureTask(ctx context.Context, t *Task) (created bool, err error) {
	err = s.WithTx(ctx, func(tx *Store) error {
		var existing Task
		err := tx.db.WithContext(ctx).Where("action_id = ?", t.ActionID).First(&existing).Error
		if err == nil {
			*t = existing
			return nil
		}
		if !errors.Is(translate(err), ErrNotFound) {
			return fmt.Errorf("store: task of action %d: %w", t.ActionID, translate(err))
		}
		now := time.Now().UTC()
		t.CreatedAt, t.UpdatedAt = now, now
		if err := tx.db.WithContext(ctx).Create(t).Error; err != nil {
			return fmt.Errorf("store: create task: %w", translate(err))
		}
		created = true
		return nil
	})
	return created, err
}

// ListTasks returns open tasks (done false) or done ones, soonest due
// first.
func (s *Store) ListTasks(ctx context.Context, done bool, limit int) ([]Task, error) {
	q := s.db.WithContext(ctx).Order("due_at, id").Limit(limit)
	if done {
		q = q.Where("done_at IS NOT NULL")
	} else {
		q = q.Where("done_at IS NULL")
	}
	var out []Task
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: tasks: %w", translate(err))
	}
	return out, nil
}

// SetTaskDone marks a task done (completing its action) or undone.
func (s *Store) SetTaskDone(ctx context.Context, actor Actor, id int64, done bool, now time.Time) error {
	return s.WithTx(ctx, func(tx *Store) error {
		var t Task
		if err := tx.db.WithContext(ctx).First(&t, id).Error; err != nil {
			return fmt.Errorf("store: task %d: %w", id, translate(err))
		}
		if (t.DoneAt != nil) == done {
			return nil
		}
		updates := map[string]any{"done_by": "", "done_at": nil, "updated_at": now.UTC()}
		action := ActionTaskUndone
		if done {
			updates["done_by"], updates["done_at"], action = actor.Email, now.UTC(), ActionTaskDone
		}
		if err := tx.db.WithContext(ctx).Model(&Task{}).Where("id = ?", id).Updates(updates).Error; err != nil {
			return fmt.Errorf("store: update task %d: %w", id, translate(err))
		}
		if err := tx.Audit(ctx, actor, AuditEntry{Action: action, SubjectType: "task", SubjectID: id, SubjectLabel: t.Title}); err != nil {
			return err
		}
		if done {
			return tx.CompleteAction(ctx, actor, t.ActionID, AttemptResult{}, now)
		}
		return tx.reopenAction(ctx, t.ActionID, now)
	})
}

// reopenAction undoes a manual action marked done by mistake: the action
// and its change are running again. The access it recorded stays until
// the planner is asked again.
func (s *Store) reopenAction(ctx context.Context, id int64, now time.Time) error {
	a, err := s.ActionByID(ctx, id)
	if err != nil {
		return err
	}
	db := s.db.WithContext(ctx)
	if err := db.Model(&Action{}).Where("id = ?", id).Updates(map[string]any{"status": ActionRunning, "done_at": nil, "updated_at": now.UTC()}).Error; err != nil {
		return fmt.Errorf("store: reopen action %d: %w", id, translate(err))
	}
	return db.Model(&Change{}).Where("id = ? AND status = ?", a.ChangeID, ChangeDone).
		Updates(map[string]any{"status": ChangeScheduled, "updated_at": now.UTC()}).Error
}
