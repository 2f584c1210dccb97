package models

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm/clause"
)

// ActionStatus is where an action is.
type ActionStatus string

// Action statuses.
const (
	ActionScheduled ActionStatus = "scheduled" // approved, waiting for its time
	ActionRunning   ActionStatus = "running"   // being carried out (or a manual task is open)
	ActionDone      ActionStatus = "done"
	ActionFailed    ActionStatus = "failed"
	ActionCancelled ActionStatus = "cancelled" // its change was re-planned before it ran
)

// Audit actions for decisions.
const (
	ActionChangeApproved = "change.approved"
	ActionChangeRejected = "change.rejected"
	ActionActionRetried  = "action.retried"
	ActionActionDone     = "action.done"
	ActionActionFailed   = "action.failed"
)

// Action is one step of an approved change, carried out by the app's
// connector at RunAt. Its IdempotencyKey is sent with every attempt, so a
// receiver sees each action's effect once however often it is retried.
type Action struct {
	ID              int64
	ChangeID        int64
	AppID           int64
	Op              string
	EntitlementID   *int64
	Params          map[string]string `gorm:"serializer:json"`
	Previous        map[string]string `gorm:"serializer:json"`
	Seq             int
	Status          ActionStatus
	Attempts        int
	LastError       string
	ResponseStatus  int
	ResponseExcerpt string
	IdempotencyKey  string
	RunAt           time.Time
	// NextAttemptAt is when an action whose last attempt failed is tried
	// again; nil unless it is waiting for that.
	NextAttemptAt *time.Time
	DoneAt        *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// TableName implements gorm's Tabler.
func (Action) TableName() string { return "actions" }

// ErrNotPending refuses to decide a change someone already decided or
// newer data superseded.
var ErrNotPending = errors.New("this change is no longer waiting for a decision")

// ErrReplanned refuses to retry an action a re-plan cancelled: the
// person's current plan no longer asks for it (they left, were rehired, or
// newer HR data or rules replaced the change).
var ErrReplanned = errors.New("the person's current plan no longer includes this step: newer HR data or rules replaced it, so it was cancelled and will not run")

// Decision is what an approver decided, for many changes at once.
type Decision struct {
	ChangeIDs []int64
	Comment   string
	Auto      bool // approved by an auto-approve rule at planning time
}

// ScheduleFunc inserts the jobs that will carry out actions, in the
// transaction that approves them: once for a whole decision, so that a
// thousand approvals insert their jobs in a few statements.
type ScheduleFunc func(tx *Store, actions []*Action) error

// decideBatch is how many changes one transaction of a decision takes. A
// bulk decision (up to 10,000 changes from "Select all") commits batch by
// batch, so SQLite's single writer is held for a fraction of a second at a
// time and every other request (sign-ins, other pages) gets its turn
// within the busy timeout; each batch is set-based: one UPDATE for its
// changes, a few INSERTs for their actions, jobs and audit rows.
const decideBatch = 500

// actionBatch is how many actions one INSERT writes (sixteen columns each:
// the SQLite driver's binding cost grows faster than the parameter count).
const actionBatch = 100

// ApproveChanges approves pending changes: each change is marked approved,
// its plan becomes actions (each run at its step's own time, or at once
// when that is past or the step runs on approval), and schedule inserts
// each action's job. Changes are decided in batches of decideBatch, each
// its own transaction: within a batch, if anything fails nothing of it is
// approved and none of its jobs exists, and the error reports how many
// earlier batches were approved (they are returned in approved). Changes
// no longer pending are returned in skipped.
func (s *Store) ApproveChanges(ctx context.Context, actor Actor, d Decision, now time.Time, schedule ScheduleFunc) (approved, skipped []int64, err error) {
	now = now.UTC()
	for batch := range slices.Chunk(d.ChangeIDs, decideBatch) {
		var done, gone []int64
		err := s.WithTx(ctx, func(tx *Store) error {
			var actions []*Action
			var err error
			done, gone, actions, err = tx.approveBatch(ctx, actor, batch, d, now)
			if err != nil || len(actions) == 0 {
				return err
			}
			return schedule(tx, actions)
		})
		if err != nil {
			if len(approved) > 0 {
				err = fmt.Errorf("%w (%d changes were approved before this)", err, len(approved))
			}
			return approved, skipped, err
		}
		approved, skipped = append(approved, done...), append(skipped, gone...)
	}
	return approved, skipped, nil
}

// decideStatus moves the pending changes among ids to status with the
// decision's fields, in one status-guarded UPDATE, and returns the ids it
// moved (in the order of ids) and those no longer pending.
func (s *Store) decideStatus(ctx context.Context, ids []int64, status ChangeStatus, actor Actor, d Decision, now time.Time) (done, gone []int64, err error) {
	set, args := "status = ?, decided_by = ?, decided_at = ?, comment = ?, updated_at = ?", []any{status, actor.Email, now, d.Comment, now}
	if status == ChangeScheduled {
		set, args = set+", auto_approved = ?", append(args, d.Auto)
	}
	var moved []int64
	err = s.db.WithContext(ctx).Raw("UPDATE changes SET "+set+" WHERE id IN ? AND status = ? RETURNING id",
		append(args, ids, ChangePending)...).Scan(&moved).Error
	if err != nil {
		return nil, nil, fmt.Errorf("store: decide changes: %w", translate(err))
	}
	in := make(map[int64]bool, len(moved))
	for _, id := range moved {
		in[id] = true
	}
	for _, id := range ids {
		if in[id] {
			done = append(done, id)
			delete(in, id) // an id listed twice is decided once
		} else {
			gone = append(gone, id)
		}
	}
	return done, gone, nil
}

// approveBatch approves the pending changes among ids and writes their
// actions and audit rows; the rest are no longer pending.
func (s *Store) approveBatch(ctx context.Context, actor Actor, ids []int64, d Decision, now time.Time) (done, gone []int64, actions []*Action, err error) {
	done, gone, err = s.decideStatus(ctx, ids, ChangeScheduled, actor, d, now)
	if err != nil || len(done) == 0 {
		return done, gone, nil, err
	}
	db := s.db.WithContext(ctx)
	var changes []Change
	if err := db.Where("id IN ?", done).Order("id").Find(&changes).Error; err != nil {
		return nil, nil, nil, fmt.Errorf("store: approved changes: %w", translate(err))
	}
	audit := make([]AuditEntry, 0, len(changes))
	for i := range changes {
		c := &changes[i]
		runAt := c.EffectiveAt.UTC() // the first step's time, for the audit trail
		for i, step := range c.Plan {
			at := step.RunAt(c.EffectiveAt, now)
			if i == 0 || at.Before(runAt) {
				runAt = at
			}
			a := &Action{ChangeID: c.ID, AppID: step.AppID, Op: step.Op, Params: nonNilMap(step.Params),
				Previous: nonNilMap(step.Previous), Seq: i, Status: ActionScheduled, IdempotencyKey: newKey(),
				RunAt: at, CreatedAt: now, UpdatedAt: now}
			if step.EntitlementID != 0 {
				eid := step.EntitlementID
				a.EntitlementID = &eid
			}
			actions = append(actions, a)
		}
		audit = append(audit, AuditEntry{Action: ActionChangeApproved, SubjectType: "change", SubjectID: c.ID,
			SubjectLabel: fmt.Sprintf("%s change %d", c.Kind, c.ID),
			After:        map[string]any{"comment": d.Comment, "auto": d.Auto, "actions": len(c.Plan), "run_at": runAt}})
	}
	if len(actions) > 0 {
		if err := db.CreateInBatches(actions, actionBatch).Error; err != nil {
			return nil, nil, nil, fmt.Errorf("store: create actions: %w", translate(err))
		}
	}
	return done, gone, actions, s.AuditMany(ctx, actor, audit)
}

// newKey is an action's idempotency key: random, so it cannot be guessed
// or collide across installations.
func newKey() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "act_" + hex.EncodeToString(b)
}

// RejectChanges rejects pending changes with an optional comment, in
// batches as ApproveChanges decides them. Changes no longer pending are
// returned in skipped.
func (s *Store) RejectChanges(ctx context.Context, actor Actor, d Decision, now time.Time) (rejected, skipped []int64, err error) {
	now = now.UTC()
	for batch := range slices.Chunk(d.ChangeIDs, decideBatch) {
		var done, gone []int64
		err := s.WithTx(ctx, func(tx *Store) error {
			var err error
			if done, gone, err = tx.decideStatus(ctx, batch, ChangeRejected, actor, d, now); err != nil {
				return err
			}
			audit := make([]AuditEntry, len(done))
			for i, id := range done {
				audit[i] = AuditEntry{Action: ActionChangeRejected, SubjectType: "change", SubjectID: id,
					SubjectLabel: fmt.Sprintf("change %d", id), After: map[string]any{"comment": d.Comment}}
			}
			return tx.AuditMany(ctx, actor, audit)
		})
		if err != nil {
			if len(rejected) > 0 {
				err = fmt.Errorf("%w (%d changes were rejected before this)", err, len(rejected))
			}
			return rejected, skipped, err
		}
		rejected, skipped = append(rejected, done...), append(skipped, gone...)
	}
	return rejected, skipped, nil
}

// ActionByID returns one action.
func (s *Store) ActionByID(ctx context.Context, id int64) (*Action, error) {
	var a Action
	if err := s.db.WithContext(ctx).First(&a, id).Error; err != nil {
		return nil, fmt.Errorf("store: action %d: %w", id, translate(err))
	}
	return &a, nil
}

// ActionsOf returns a change's actions in plan order.
func (s *Store) ActionsOf(ctx context.Context, changeID int64) ([]Action, error) {
	var out []Action
	if err := s.db.WithContext(ctx).Where("change_id = ?", changeID).Order("seq").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: actions of change %d: %w", changeID, translate(err))
	}
	return out, nil
}

// WaitingOn counts the actions an action waits for. A person's steps in
// one app run in order (its account before its grants), while different
// apps proceed independently. An action waits for
//
//   - the earlier steps of its own change in the same app that are not
//     done (a failed one holds the rest until it is retried), and
//   - the person's actions in the same app from earlier changes that are
//     running, or that belong to a superseded change and are not done:
//     a re-plan leaves running actions to finish and does not ask for
//     their steps again (ReplanChanges), so a successor's grant waits for
//     the account its predecessor is still creating, through that
//     action's failure and retry as well (until a later re-plan cancels
//     it and asks for it again).
//
// An action that is no longer to be run (done, failed, or cancelled with
// its re-planned change, whose earlier steps may be cancelled too and
// never be done) waits for nothing: StartAttempt then finds nothing to do.
func (s *Store) WaitingOn(ctx context.Context, a *Action) (int64, error) {
	if a.Status != ActionScheduled && a.Status != ActionRunning {
		return 0, nil
	}
	// One statement: the earlier steps of its own change, then the
	// person's earlier changes (changes_person_status_idx) and their
	// actions (actions_change_idx), so what is in flight for everyone else
	// is never read, however much that is.
	var n struct{ Own, Carried int64 }
	err := s.db.WithContext(ctx).Raw(`SELECT
		(SELECT COUNT(*) FROM actions WHERE change_id = ? AND app_id = ? AND seq < ? AND status <> ?) AS own,
		(SELECT COUNT(*) FROM actions JOIN changes ON changes.id = actions.change_id
			WHERE changes.person_id = (SELECT person_id FROM changes WHERE id = ?) AND changes.id < ?
			AND actions.app_id = ? AND actions.status IN ? AND (actions.status = ? OR changes.status = ?)) AS carried`,
		a.ChangeID, a.AppID, a.Seq, ActionDone,
		a.ChangeID, a.ChangeID, a.AppID, []ActionStatus{ActionRunning, ActionScheduled, ActionFailed}, ActionRunning, ChangeSuperseded).
		Scan(&n).Error
	if err != nil {
		return 0, fmt.Errorf("store: what action %d waits for: %w", a.ID, translate(err))
	}
	if n.Own > 0 {
		return n.Own, nil
	}
	return n.Carried, nil
}

// UnfinishedActions returns which of ids are still scheduled or running,
// for the sweep that fails actions whose jobs ended without an outcome.
func (s *Store) UnfinishedActions(ctx context.Context, ids []int64) ([]int64, error) {
	var out []int64
	for _, chunk := range chunks(ids, 1000) {
		var found []int64
		if err := s.db.WithContext(ctx).Model(&Action{}).Where("id IN ? AND status IN ?", chunk,
			[]ActionStatus{ActionScheduled, ActionRunning}).Order("id").Pluck("id", &found).Error; err != nil {
			return nil, fmt.Errorf("store: unfinished actions: %w", translate(err))
		}
		out = append(out, found...)
	}
	return out, nil
}

// StartAttempt records that an attempt at an action begins. It returns
// false when there is nothing to do: the action is done, failed or
// cancelled (a retried or duplicated job is then a no-op).
func (s *Store) StartAttempt(ctx context.Context, id int64, now time.Time) (*Action, bool, error) {
	// One status-guarded UPDATE, so a re-plan that cancelled the action
	// meanwhile (PostgreSQL reads committed) is never overwritten, and on
	// SQLite the writer is taken for one statement rather than a
	// read-then-write transaction.
	// The started row comes back with the UPDATE; only an action that
	// was not started (gone, or not runnable) is read again.
	var started []Action
	err := s.db.WithContext(ctx).Raw("UPDATE actions SET status = ?, attempts = attempts + 1, updated_at = ? WHERE id = ? AND status IN ? RETURNING *",
		ActionRunning, now.UTC(), id, []ActionStatus{ActionScheduled, ActionRunning}).Scan(&started).Error
	if err != nil {
		return nil, false, fmt.Errorf("store: start action %d: %w", id, translate(err))
	}
	if len(started) == 1 {
		return &started[0], true, nil
	}
	a, err := s.ActionByID(ctx, id)
	if err != nil {
		return nil, false, err
	}
	return a, false, nil
}

// AttemptResult is what one attempt at an action found out.
type AttemptResult struct {
	ResponseStatus  int
	ResponseExcerpt string
	Error           string
	// NextAttemptAt is when a failed attempt is tried again (RecordRetry
	// only; zero when not known).
	NextAttemptAt time.Time `json:"-"`
}

// Retrying reports whether the action's last attempt failed and it waits
// to be tried again.
func (a *Action) Retrying() bool {
	return (a.Status == ActionScheduled || a.Status == ActionRunning) && a.Attempts > 0 && a.LastError != ""
}

// RecordRetry notes a failed attempt that will be tried again.
func (s *Store) RecordRetry(ctx context.Context, id int64, r AttemptResult, now time.Time) error {
	var next *time.Time
	if !r.NextAttemptAt.IsZero() {
		t := r.NextAttemptAt.UTC()
		next = &t
	}
	err := s.db.WithContext(ctx).Model(&Action{}).Where("id = ? AND status = ?", id, ActionRunning).Updates(map[string]any{
		"last_error": r.Error, "response_status": r.ResponseStatus, "response_excerpt": r.ResponseExcerpt,
		"next_attempt_at": next, "updated_at": now.UTC(),
	}).Error
	if err != nil {
		return fmt.Errorf("store: record retry of action %d: %w", id, translate(err))
	}
	return nil
}

// CompleteAction marks an action done, applies its effect to the person's
// accounts and grants, and completes the change when it was the last one.
// Completing an action twice has the effect of completing it once.
func (s *Store) CompleteAction(ctx context.Context, actor Actor, id int64, r AttemptResult, now time.Time) error {
	return s.WithTx(ctx, func(tx *Store) error {
		db := tx.db.WithContext(ctx)
		now := now.UTC()
		// One status-guarded UPDATE: an action already done (a job run
		// twice) is left as it is.
		var done []Action
		if err := db.Raw(`UPDATE actions SET status = ?, done_at = ?, last_error = '', next_attempt_at = NULL, response_status = ?,
			response_excerpt = ?, updated_at = ? WHERE id = ? AND status <> ? RETURNING id, change_id, app_id, op, entitlement_id, params, seq`,
			ActionDone, now, r.ResponseStatus, r.ResponseExcerpt, now, id, ActionDone).Scan(&done).Error; err != nil {
			return fmt.Errorf("store: complete action %d: %w", id, translate(err))
		}
		if len(done) == 0 {
			if _, err := tx.ActionByID(ctx, id); err != nil {
				return err
			}
			return nil
		}
		a := &done[0]
		c, err := tx.ChangeByID(ctx, a.ChangeID)
		if err != nil {
			return err
		}
		if err := tx.applyEffect(ctx, c, a, now); err != nil {
			return err
		}
		if err := tx.Audit(ctx, actor, AuditEntry{Action: ActionActionDone, SubjectType: "action", SubjectID: id,
			SubjectLabel: fmt.Sprintf("%s (change %d)", a.Op, a.ChangeID), After: r}); err != nil {
			return err
		}
		return tx.settle(ctx, c, now)
	})
}

// FailAction marks an action failed for good (a permanent error or no
// attempts left); its change moves to Failed, where an admin can retry it.
// An action already done, failed or cancelled (by a re-plan) is left as it is.
// The action of a superseded change (one a re-plan left running) fails
// alone: the change stays superseded, and is listed in Failed by that
// action until it is retried or a later re-plan cancels it.
func (s *Store) FailAction(ctx context.Context, actor Actor, id int64, r AttemptResult, now time.Time) error {
	return s.WithTx(ctx, func(tx *Store) error {
		a, err := tx.ActionByID(ctx, id)
		if err != nil {
			return err
		}
		if a.Status == ActionDone || a.Status == ActionFailed || a.Status == ActionCancelled {
			return nil
		}
		db := tx.db.WithContext(ctx)
		if err := db.Model(&Action{}).Where("id = ?", id).Updates(map[string]any{
			"status": ActionFailed, "last_error": r.Error, "next_attempt_at": nil, "response_status": r.ResponseStatus,
			"response_excerpt": r.ResponseExcerpt, "updated_at": now.UTC()}).Error; err != nil {
			return fmt.Errorf("store: fail action %d: %w", id, translate(err))
		}
		// A superseded change stays superseded: the Failed tab lists it by
		// its failed action (inStatuses), whose own status says it all.
		if err := db.Model(&Change{}).Where("id = ? AND status <> ?", a.ChangeID, ChangeSuperseded).
			Updates(map[string]any{"status": ChangeFailed, "updated_at": now.UTC()}).Error; err != nil {
			return fmt.Errorf("store: fail change %d: %w", a.ChangeID, translate(err))
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: ActionActionFailed, SubjectType: "action", SubjectID: id,
			SubjectLabel: fmt.Sprintf("%s (change %d)", a.Op, a.ChangeID), After: r})
	})
}

// RetryAction puts a failed action back on the schedule (an admin's
// Retry) and inserts its job again; one a re-plan cancelled is refused
// with ErrReplanned (jobs.Decisions.Retry re-plans the person first). A failed change is scheduled again;
// a superseded one stays superseded.
func (s *Store) RetryAction(ctx context.Context, actor Actor, id int64, now time.Time, schedule ScheduleFunc) error {
	return s.WithTx(ctx, func(tx *Store) error {
		a, err := tx.ActionByID(ctx, id)
		if err != nil {
			return err
		}
		if a.Status == ActionCancelled {
			return ErrReplanned
		}
		if a.Status != ActionFailed {
			return ErrNotPending
		}
		db := tx.db.WithContext(ctx)
		a.Status, a.RunAt = ActionScheduled, now.UTC()
		if err := db.Model(&Action{}).Where("id = ?", id).Updates(map[string]any{
			"status": ActionScheduled, "run_at": a.RunAt, "next_attempt_at": nil, "updated_at": now.UTC()}).Error; err != nil {
			return fmt.Errorf("store: retry action %d: %w", id, translate(err))
		}
		if err := db.Model(&Change{}).Where("id = ? AND status = ?", a.ChangeID, ChangeFailed).
			Updates(map[string]any{"status": ChangeScheduled, "updated_at": now.UTC()}).Error; err != nil {
			return fmt.Errorf("store: retry change %d: %w", a.ChangeID, translate(err))
		}
		if err := schedule(tx, []*Action{a}); err != nil {
			return err
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: ActionActionRetried, SubjectType: "action", SubjectID: id,
			SubjectLabel: fmt.Sprintf("%s (change %d)", a.Op, a.ChangeID)})
	})
}

// settleChange marks a change done once every action of it is done, and
// runs the OnChangeDone function when it did. A superseded change is never
// settled (its cancelled actions are not done anyway): an action a re-plan
// left running completes without it looking done or sending its mail.
func (s *Store) settleChange(ctx context.Context, changeID int64, now time.Time) error {
	c, err := s.ChangeByID(ctx, changeID)
	if err != nil {
		return err
	}
	return s.settle(ctx, c, now)
}

// settle is settleChange for a change already read in this transaction.
func (s *Store) settle(ctx context.Context, c *Change, now time.Time) error {
	var open int64
	err := s.db.WithContext(ctx).Model(&Action{}).Where("change_id = ? AND status <> ?", c.ID, ActionDone).Count(&open).Error
	if err != nil {
		return fmt.Errorf("store: settle change %d: %w", c.ID, translate(err))
	}
	if open > 0 {
		return nil
	}
	res := s.db.WithContext(ctx).Model(&Change{}).Where("id = ? AND status NOT IN ?", c.ID, []ChangeStatus{ChangeDone, ChangeSuperseded}).
		Updates(map[string]any{"status": ChangeDone, "updated_at": now})
	if res.Error != nil {
		return fmt.Errorf("store: settle change %d: %w", c.ID, translate(res.Error))
	}
	if res.RowsAffected == 0 || s.changeDone == nil {
		return nil
	}
	c.Status, c.UpdatedAt = ChangeDone, now
	return s.changeDone(ctx, s, c)
}

// ChangeDoneFunc runs when a change is done (its last action completed),
// in that transaction: tx is the Store inside it, and whatever it writes
// commits or rolls back with the completion. An error rolls back the
// completion too, so it should fail only when the database does.
type ChangeDoneFunc func(ctx context.Context, tx *Store, c *Change) error

// OnChangeDone sets the function that runs each time a change is done,
// whichever path completed its last action (the execute worker or a
// manual task marked done). Like UseJobs it is set once at start-up
// (jobs.NewClient sets it to queue the welcome and IT alert mail); nil
// turns it off.
func (s *Store) OnChangeDone(fn ChangeDoneFunc) { s.changeDone = fn }

// applyEffect records what a completed action did to the person's actual
// access, which the planner diffs against next time.
func (s *Store) applyEffect(ctx context.Context, c *Change, a *Action, now time.Time) error {
	db := s.db.WithContext(ctx)
	account := Account{PersonID: c.PersonID, AppID: a.AppID, Status: AccountActive, CreatedAt: now, UpdatedAt: now}
	switch a.Op {
	case "create_account":
		return db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "person_id"}, {Name: "app_id"}},
			DoUpdates: clause.Assignments(map[string]any{"status": AccountActive, "updated_at": now})}).Create(&account).Error
	case "disable", "delete":
		status := AccountDisabled
		if a.Op == "delete" {
			status = AccountDeleted
		}
		if err := db.Model(&Account{}).Where("person_id = ? AND app_id = ?", c.PersonID, a.AppID).
			Updates(map[string]any{"status": status, "updated_at": now}).Error; err != nil {
			return err
		}
		if a.Op == "delete" {
			return db.Where("account_id IN (SELECT id FROM accounts WHERE person_id = ? AND app_id = ?)", c.PersonID, a.AppID).Delete(&Grant{}).Error
		}
		return nil
	}
	if a.EntitlementID == nil {
		return nil
	}
	// Grants need the account; one exists once create_account ran (it
	// comes first in every plan), or from before.
	if err := db.Where("person_id = ? AND app_id = ?", c.PersonID, a.AppID).First(&account).Error; err != nil {
		return fmt.Errorf("store: account for action %d: %w", a.ID, translate(err))
	}
	switch a.Op {
	case "grant", "update":
		g := Grant{AccountID: account.ID, EntitlementID: *a.EntitlementID, Params: nonNilMap(a.Params), RuleID: s.ruleOf(ctx, c, a), CreatedAt: now, UpdatedAt: now}
		return db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "account_id"}, {Name: "entitlement_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"params", "rule_id", "updated_at"})}).Create(&g).Error
	case "revoke":
		return db.Where("account_id = ? AND entitlement_id = ?", account.ID, *a.EntitlementID).Delete(&Grant{}).Error
	}
	return nil
}

// ruleOf is the highest-priority rule behind the plan step of an action,
// if it still exists.
func (s *Store) ruleOf(ctx context.Context, c *Change, a *Action) *int64 {
	if a.Seq >= len(c.Plan) || len(c.Plan[a.Seq].Rules) == 0 {
		return nil
	}
	id := c.Plan[a.Seq].Rules[0]
	var n int64
	if s.db.WithContext(ctx).Model(&Rule{}).Where("id = ?", id).Count(&n).Error != nil || n == 0 {
		return nil
	}
	return &id
}
