package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// Audit actions for tasks.
const (
	ActionTaskDone     = "task.done"
	ActionTaskUndone   = "task.undone"
	ActionTaskAssigned = "task.assigned"
)

// ErrBadAssignee refuses an assignee who cannot take tasks: an admin who
// does not exist, is disabled or may not mark tasks done (below approver),
// or an address that does not parse.
var ErrBadAssignee = errors.New("tasks go to an active admin who can mark them done, or to a valid email address")

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

// Assignee returns who the task is assigned to.
func (t *Task) Assignee() Assignee {
	return Assignee{AdminID: t.AssigneeAdminID, Email: t.AssigneeEmail}
}

// Assignee is who tasks go to: an admin, anyone by email address, or
// (the zero value) nobody. At most one of the two is set.
type Assignee struct {
	AdminID *int64
	Email   string
}

// IsZero reports whether nobody is assigned.
func (a Assignee) IsZero() bool { return a.AdminID == nil && a.Email == "" }

// Equal reports whether a and b are the same assignee.
func (a Assignee) Equal(b Assignee) bool {
	if (a.AdminID == nil) != (b.AdminID == nil) {
		return false
	}
	return (a.AdminID == nil || *a.AdminID == *b.AdminID) && a.Email == b.Email
}

// AssignedAdmin is an Assignee for the admin with this ID.
func AssignedAdmin(id int64) Assignee { return Assignee{AdminID: &id} }

// CanTakeTasks reports whether tasks may be assigned to the admin: active
// and allowed to mark them done.
func (a *Admin) CanTakeTasks() bool { return a.Active() && a.Role.AtLeast(RoleApprover) }

// assigneeAudit is an assignee as the audit trail keeps it.
type assigneeAudit struct {
	AdminID int64  `json:"admin_id,omitempty"`
	Email   string `json:"email,omitempty"`
}

// auditedAssignee is a stored assignee as the audit trail keeps it.
func (s *Store) auditedAssignee(ctx context.Context, a Assignee) assigneeAudit {
	out := assigneeAudit{Email: a.Email}
	if a.AdminID != nil {
		out.AdminID = *a.AdminID
		if admin, err := s.AdminByID(ctx, *a.AdminID); err == nil {
			out.Email = admin.Email
		}
	}
	return out
}

// checkAssignee normalises to and returns it with the admin's email for
// the audit trail, or ErrBadAssignee. On PostgreSQL the admin's row is
// share-locked, so a concurrent disable waits for the assignment.
func (s *Store) checkAssignee(ctx context.Context, to Assignee) (Assignee, assigneeAudit, error) {
	switch {
	case to.AdminID != nil:
		q := s.db.WithContext(ctx)
		if s.dialect == Postgres {
			q = q.Clauses(clause.Locking{Strength: "SHARE"})
		}
		var a Admin
		err := q.First(&a, *to.AdminID).Error
		if errors.Is(translate(err), ErrNotFound) {
			return Assignee{}, assigneeAudit{}, fmt.Errorf("store: admin %d: %w", *to.AdminID, ErrBadAssignee)
		}
		if err != nil {
			return Assignee{}, assigneeAudit{}, fmt.Errorf("store: admin %d: %w", *to.AdminID, translate(err))
		}
		if !a.CanTakeTasks() {
			return Assignee{}, assigneeAudit{}, fmt.Errorf("store: admin %d cannot take tasks: %w", a.ID, ErrBadAssignee)
		}
		return AssignedAdmin(a.ID), assigneeAudit{AdminID: a.ID, Email: a.Email}, nil
	case to.Email != "":
		addr, err := NormalizeEmail(to.Email)
		if err != nil {
			return Assignee{}, assigneeAudit{}, fmt.Errorf("store: task assignee: %w", ErrBadAssignee)
		}
		return Assignee{Email: addr}, assigneeAudit{Email: addr}, nil
	}
	return Assignee{}, assigneeAudit{}, nil
}

// TaskAssignedFunc runs when a task gets an assignee (opened with one, or
// reassigned), in that transaction: tx is the Store inside it, and what
// it writes (the assignee's mail in the outbox) commits or rolls back
// with the assignment.
type TaskAssignedFunc func(ctx context.Context, tx *Store, t *Task) error

// OnTaskAssigned sets the function that runs each time a task gets an
// assignee. Like OnChangesDone it is set once at start-up (jobs.NewClient
// sets it to mail the assignee); nil turns it off.
func (s *Store) OnTaskAssigned(fn TaskAssignedFunc) { s.taskAssigned = fn }

// notifyAssigned runs the OnTaskAssigned function for an assigned task.
func (s *Store) notifyAssigned(ctx context.Context, t *Task) error {
	if s.taskAssigned == nil || t.Assignee().IsZero() {
		return nil
	}
	return s.taskAssigned(ctx, s, t)
}

// EnsureTask creates the task for an action unless it exists, and
// returns it with created reporting whether it is new. A new task keeps
// the assignee it is given when they can take tasks (else it is
// unassigned), and the OnTaskAssigned function runs in the transaction
// that creates it: a task that exists already (a retried job) is not
// announced again.
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
		to, _, err := tx.checkAssignee(ctx, t.Assignee())
		if errors.Is(err, ErrBadAssignee) {
			to = Assignee{} // disabled or demoted since it was chosen: nobody
		} else if err != nil {
			return err
		}
		now := time.Now().UTC()
		t.ID, t.AssigneeAdminID, t.AssigneeEmail = 0, to.AdminID, to.Email
		t.CreatedAt, t.UpdatedAt = now, now
		if err := tx.db.WithContext(ctx).Create(t).Error; err != nil {
			return fmt.Errorf("store: create task: %w", translate(err))
		}
		created = true
		return tx.notifyAssigned(ctx, t)
	})
	if err != nil {
		created = false
	}
	return created, err
}

// TaskByID returns one task.
func (s *Store) TaskByID(ctx context.Context, id int64) (*Task, error) {
	var t Task
	if err := s.db.WithContext(ctx).First(&t, id).Error; err != nil {
		return nil, fmt.Errorf("store: task %d: %w", id, translate(err))
	}
	return &t, nil
}

// AssignTask gives an open task to someone else, or to nobody, and runs
// the OnTaskAssigned function for the new assignee. A done task is
// ErrConflict; an assignee who cannot take tasks is ErrBadAssignee.
// Assigning the current assignee again changes nothing.
func (s *Store) AssignTask(ctx context.Context, actor Actor, id int64, to Assignee, now time.Time) error {
	return s.WithTx(ctx, func(tx *Store) error {
		t, err := tx.TaskByID(ctx, id)
		if err != nil {
			return err
		}
		if t.DoneAt != nil {
			return fmt.Errorf("store: assign task %d: it is done: %w", id, ErrConflict)
		}
		to, after, err := tx.checkAssignee(ctx, to)
		if err != nil {
			return err
		}
		if to.Equal(t.Assignee()) {
			return nil
		}
		before := tx.auditedAssignee(ctx, t.Assignee())
		t.AssigneeAdminID, t.AssigneeEmail, t.UpdatedAt = to.AdminID, to.Email, now.UTC()
		err = tx.db.WithContext(ctx).Model(&Task{}).Where("id = ?", id).Updates(map[string]any{
			"assignee_admin_id": to.AdminID, "assignee_email": to.Email, "updated_at": t.UpdatedAt}).Error
		if err != nil {
			return fmt.Errorf("store: assign task %d: %w", id, translate(err))
		}
		if err := tx.Audit(ctx, actor, AuditEntry{Action: ActionTaskAssigned, SubjectType: "task", SubjectID: id,
			SubjectLabel: t.Title, Before: before, After: after}); err != nil {
			return err
		}
		return tx.notifyAssigned(ctx, t)
	})
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
