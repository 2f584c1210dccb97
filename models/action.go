package models

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
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
	_, n, err := s.ActionWaiting(ctx, a.ID)
	return n, err
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
// Completing an action twice has the effect of completing it once; an
// action that does not exist is ErrNotFound.
func (s *Store) CompleteAction(ctx context.Context, actor Actor, id int64, r AttemptResult, now time.Time) error {
	return s.WithTx(ctx, func(tx *Store) error {
		done, err := tx.CompleteActions(ctx, actor, []Completion{{ActionID: id, Result: r}}, now)
		if err != nil || len(done) == 1 {
			return err
		}
		_, err = tx.ActionByID(ctx, id) // done before, or gone
		return err
	})
}

// Completion is one action's successful attempt, for CompleteActions.
type Completion struct {
	ActionID int64
	Result   AttemptResult
}

// completionRow is a Completion as the bulk UPDATE's JSON carries it.
type completionRow struct {
	ActionID        int64  `json:"action_id"`
	ResponseStatus  int    `json:"response_status"`
	ResponseExcerpt string `json:"response_excerpt"`
}

// CompleteActions is CompleteAction for many actions in one transaction
// and a fixed number of statements (the job runner's completions, batched
// across its workers): each action is marked done, its effect applied and
// audited, and every change whose last action this was is settled. It
// returns the ids it completed; one already done, or gone, is left out.
func (s *Store) CompleteActions(ctx context.Context, actor Actor, cs []Completion, now time.Time) ([]int64, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	var ids []int64
	err := s.WithTx(ctx, func(tx *Store) error {
		ids = nil
		now := now.UTC()
		done, err := tx.markDone(ctx, cs, now)
		if err != nil || len(done) == 0 {
			return err
		}
		changeIDs := make([]int64, 0, len(done))
		for _, a := range done {
			changeIDs = append(changeIDs, a.ChangeID)
		}
		changes, err := tx.changesByID(ctx, changeIDs)
		if err != nil {
			return err
		}
		if err := tx.applyEffects(ctx, changes, done, now); err != nil {
			return err
		}
		results := make(map[int64]AttemptResult, len(cs))
		for _, c := range cs {
			results[c.ActionID] = c.Result
		}
		entries := make([]AuditEntry, len(done))
		for i, a := range done {
			ids = append(ids, a.ID)
			entries[i] = AuditEntry{Action: ActionActionDone, SubjectType: "action", SubjectID: a.ID,
				SubjectLabel: fmt.Sprintf("%s (change %d)", a.Op, a.ChangeID), After: results[a.ID]}
		}
		if err := tx.AuditMany(ctx, actor, entries); err != nil {
			return err
		}
		return tx.settle(ctx, changes, now)
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// markDone is CompleteActions' status-guarded UPDATE: an action already
// done (a job run twice) is left as it is and not returned. The returned
// actions are in the order of cs.
func (s *Store) markDone(ctx context.Context, cs []Completion, now time.Time) ([]Action, error) {
	rows := make([]completionRow, len(cs))
	order := make(map[int64]int, len(cs))
	for i, c := range cs {
		rows[i] = completionRow{ActionID: c.ActionID, ResponseStatus: c.Result.ResponseStatus, ResponseExcerpt: c.Result.ResponseExcerpt}
		if _, dup := order[c.ActionID]; !dup {
			order[c.ActionID] = i
		}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return nil, fmt.Errorf("store: complete actions: %w", err)
	}
	from, col := s.jsonRows(map[string]string{"action_id": "bigint", "response_status": "bigint", "response_excerpt": "text"})
	var done []Action
	// The same action twice in cs is updated once: the second row finds
	// it done.
	err = s.db.WithContext(ctx).Raw(`UPDATE actions SET status = ?, done_at = ?, last_error = '', next_attempt_at = NULL,
		response_status = `+col("response_status")+`, response_excerpt = `+col("response_excerpt")+`, updated_at = ?
		FROM `+from+` WHERE actions.id = `+col("action_id")+` AND actions.status <> ?
		RETURNING id, change_id, app_id, op, entitlement_id, params, seq`,
		ActionDone, now, now, string(b), ActionDone).Scan(&done).Error
	if err != nil {
		return nil, fmt.Errorf("store: complete actions: %w", translate(err))
	}
	slices.SortStableFunc(done, func(x, y Action) int { return order[x.ID] - order[y.ID] })
	return done, nil
}

// changesByID reads changes by id, each once.
func (s *Store) changesByID(ctx context.Context, ids []int64) (map[int64]*Change, error) {
	out := make(map[int64]*Change, len(ids))
	for _, chunk := range chunks(uniqueIDs(ids), 1000) {
		var found []*Change
		if err := s.db.WithContext(ctx).Where("id IN ?", chunk).Find(&found).Error; err != nil {
			return nil, fmt.Errorf("store: changes: %w", translate(err))
		}
		for _, c := range found {
			out[c.ID] = c
		}
	}
	return out, nil
}

// uniqueIDs returns ids without repeats, in first-seen order.
func uniqueIDs(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
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

// settle marks each of changes done once every action of it is done, in
// one statement, and runs the OnChangesDone function for those it
// settled. A superseded change is never settled (its cancelled actions
// are not done anyway): an action a re-plan left running completes
// without it looking done or sending its mail.
func (s *Store) settle(ctx context.Context, changes map[int64]*Change, now time.Time) error {
	ids := make([]int64, 0, len(changes))
	for id := range changes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var settled []*Change
	for _, chunk := range chunks(ids, 1000) {
		var done []int64
		err := s.db.WithContext(ctx).Raw(`UPDATE changes SET status = ?, updated_at = ?
			WHERE id IN ? AND status NOT IN ?
			AND NOT EXISTS (SELECT 1 FROM actions WHERE actions.change_id = changes.id AND actions.status <> ?)
			RETURNING id`, ChangeDone, now, chunk, []ChangeStatus{ChangeDone, ChangeSuperseded}, ActionDone).Scan(&done).Error
		if err != nil {
			return fmt.Errorf("store: settle changes: %w", translate(err))
		}
		slices.Sort(done)
		for _, id := range done {
			c := changes[id]
			c.Status, c.UpdatedAt = ChangeDone, now
			settled = append(settled, c)
		}
	}
	if len(settled) == 0 || s.changesDone == nil {
		return nil
	}
	return s.changesDone(ctx, s, settled)
}

// ChangesDoneFunc runs when changes are done (their last actions
// completed), in that transaction: tx is the Store inside it, and
// whatever it writes commits or rolls back with the completion. An error
// rolls back the completion too, so it should fail only when the database
// does. The changes are in id order, each at most once.
type ChangesDoneFunc func(ctx context.Context, tx *Store, cs []*Change) error

// OnChangesDone sets the function that runs each time changes are done,
// whichever path completed their last actions (the execute worker or a
// manual task marked done). Like UseJobs it is set once at start-up
// (jobs.NewClient sets it to queue the welcome and IT alert mail); nil
// turns it off.
func (s *Store) OnChangesDone(fn ChangesDoneFunc) { s.changesDone = fn }

// applyEffects applies completed actions' effects in their order. Account
// creations are one statement for all of them when no other action of
// the batch touches the same person's account in the same app, which the
// runner's ordering (WaitingOn) makes the rule.
func (s *Store) applyEffects(ctx context.Context, changes map[int64]*Change, done []Action, now time.Time) error {
	type pair struct{ person, app int64 }
	touches := make(map[pair]int, len(done))
	for _, a := range done {
		touches[pair{changes[a.ChangeID].PersonID, a.AppID}]++
	}
	var accounts []Account
	for i := range done {
		a, c := &done[i], changes[done[i].ChangeID]
		if a.Op == "create_account" && touches[pair{c.PersonID, a.AppID}] == 1 {
			accounts = append(accounts, Account{PersonID: c.PersonID, AppID: a.AppID, Status: AccountActive, CreatedAt: now, UpdatedAt: now})
			continue
		}
		if err := s.applyEffect(ctx, c, a, now); err != nil {
			return err
		}
	}
	if len(accounts) == 0 {
		return nil
	}
	if err := s.activateAccounts(ctx, accounts, now); err != nil {
		return fmt.Errorf("store: accounts created: %w", translate(err))
	}
	return nil
}

// activateAccounts creates accounts, or makes existing ones of the same
// person and app active again: what create_account did.
func (s *Store) activateAccounts(ctx context.Context, accounts []Account, now time.Time) error {
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "person_id"}, {Name: "app_id"}},
		DoUpdates: clause.Assignments(map[string]any{"status": AccountActive, "updated_at": now})}).CreateInBatches(accounts, 500).Error
}

// applyEffect records what a completed action did to the person's actual
// access, which the planner diffs against next time.
func (s *Store) applyEffect(ctx context.Context, c *Change, a *Action, now time.Time) error {
	db := s.db.WithContext(ctx)
	account := Account{PersonID: c.PersonID, AppID: a.AppID, Status: AccountActive, CreatedAt: now, UpdatedAt: now}
	switch a.Op {
	case "create_account":
		return s.activateAccounts(ctx, []Account{account}, now)
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
		g := Grant{AccountID: account.ID, EntitlementID: *a.EntitlementID, Params: nonNilMap(a.Params), RuleID: s.ruleOf(ctx, c, a),
			Origin: GrantByRoster, CreatedAt: now, UpdatedAt: now}
		return db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "account_id"}, {Name: "entitlement_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"params", "rule_id", "origin", "updated_at"})}).Create(&g).Error
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
