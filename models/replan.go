package models

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// ActionChangeReplanned is the audit action for a decided change that a
// re-plan replaced before all of it ran: its scheduled actions were
// cancelled. The event's After carries the reason and the successor.
const ActionChangeReplanned = "change.replanned"

// Why people are re-planned, as the audit trail records it.
const (
	ReplanHRChanged    = "HR data changed"
	ReplanRulesChanged = "rules or settings changed"
	ReplanAccountsSeen = "app accounts reconciled"
)

// unfinished are the statuses of a decided change whose actions have not
// all run: in flight, or failed and waiting for a retry. A re-plan squares
// the new plan with such a change (ReplanChanges).
var unfinished = []ChangeStatus{ChangeApproved, ChangeScheduled, ChangeRunning, ChangeFailed}

// cancellable are the statuses of the actions a re-plan may still take
// back: due later, or failed and not retried.
var cancellable = []ActionStatus{ActionScheduled, ActionFailed}

// replanned is the After of a change.replanned audit event.
type replanned struct {
	Reason       string `json:"reason"`
	SupersededBy *int64 `json:"superseded_by"` // nil: nothing is to be done any more
	Note         string `json:"note,omitempty"`
}

// leftoversNote explains a change.replanned event of a change superseded
// earlier whose failed or retried actions a later re-plan cancelled.
const leftoversNote = "actions left to finish by an earlier re-plan that failed or were retried are cancelled; the new plan asks for them again if still wanted"

// PlanFunc computes the people's next changes (nil: nothing to do) from
// what it reads through tx, the re-plan's own transaction.
type PlanFunc func(tx *Store) (map[int64]*Change, error)

// ReplanPeople re-plans people in one transaction: it takes hold of the
// people's actions a re-plan may cancel (on PostgreSQL a row lock, so a
// worker cannot start one between the plan's read and the cancel: its
// status-guarded start waits, then finds it cancelled), calls plan, which
// reads their access and running actions through tx, and writes the
// result with ReplanChanges. A change decided meanwhile by another
// process fails the call with ErrReplanRace, having written nothing.
func (s *Store) ReplanPeople(ctx context.Context, personIDs []int64, reason string, plan PlanFunc) (map[int64]*Change, error) {
	var result map[int64]*Change
	err := s.WithTx(ctx, func(tx *Store) error {
		if err := tx.lockPlanningInputs(ctx, false); err != nil {
			return err
		}
		if err := tx.lockCancellable(ctx, personIDs); err != nil {
			return err
		}
		next, err := plan(tx)
		if err != nil {
			return err
		}
		result, err = tx.ReplanChanges(ctx, next, reason)
		return err
	})
	if err != nil {
		return nil, err
	}
	return result, nil
}

// planningInputsLock is the PostgreSQL advisory lock key that orders
// re-plans with edits of what plans are made from (rules, settings).
const planningInputsLock = 7415_0001

// lockPlanningInputs orders a re-plan against rule and setting edits:
// a re-plan takes it shared and reads the rules inside its transaction, an
// edit takes it exclusively. So no re-plan can commit a plan made from
// rules an edit has replaced since it read them: the edit waits for the
// re-plans under way, and re-plans after it see it (and the re-plan the
// edit queues plans everyone again). SQLite needs nothing: its
// transactions begin immediate and run one at a time.
func (s *Store) lockPlanningInputs(ctx context.Context, exclusive bool) error {
	if s.dialect != Postgres {
		return nil
	}
	fn := "pg_advisory_xact_lock_shared"
	if exclusive {
		fn = "pg_advisory_xact_lock"
	}
	if err := s.db.WithContext(ctx).Exec("SELECT "+fn+"(?)", planningInputsLock).Error; err != nil {
		return fmt.Errorf("store: lock planning inputs: %w", translate(err))
	}
	return nil
}

// lockCancellable row-locks the people's scheduled and failed actions on
// PostgreSQL. SQLite needs nothing: its transactions write one at a time.
func (s *Store) lockCancellable(ctx context.Context, personIDs []int64) error {
	if s.dialect != Postgres {
		return nil
	}
	for _, chunk := range chunks(personIDs, 1000) {
		var ids []int64
		err := s.db.WithContext(ctx).Raw(`SELECT actions.id FROM actions JOIN changes ON changes.id = actions.change_id
			WHERE changes.person_id IN ? AND actions.status IN ? ORDER BY actions.id FOR UPDATE OF actions`, chunk, cancellable).Scan(&ids).Error
		if err != nil {
			return fmt.Errorf("store: lock actions for re-plan: %w", translate(err))
		}
	}
	return nil
}

// ReplanChanges is ReplaceOpenChanges for the planner, which also squares
// next with each person's decisions, whatever made the planner run (an HR
// change, a rule edit):
//
//   - a rejected change stays rejected: when the person's latest decision
//     is a rejection of the same outcome (Change.sameOutcome: the same
//     steps at the same times from the same HR event), next is dropped,
//     so only new HR data or a new outcome of the rules asks again;
//   - if a decided change whose actions have not all run (in flight, or
//     failed and waiting for a retry) already does what next would do, it
//     is kept and the person gets no new change, so re-planning never
//     queues (or auto-approves) the same work twice, and an edit that
//     does not touch a person's access leaves their approved work alone;
//   - otherwise, if it still has scheduled or failed actions, those are
//     cancelled (their jobs find them cancelled and do nothing; a Retry is
//     refused) and the change is superseded by next, which goes back to
//     review or auto-approval: a failed joiner who has since left does
//     not get their remaining grants, a failed leaver who was rehired does
//     not lose the account.
//
// Running actions (a webhook call being retried, a manual app's task open)
// cannot be cancelled and are left to finish, in whatever change they are:
// next must be diffed against recorded access plus their effect
// (RunningActions), so it does not ask for their steps again, and the
// successor's later steps of the same app wait for them (WaitingOn). Done
// actions are in recorded access already. Call it inside ReplanPeople, so
// that what next was computed from cannot change before it is written.
//
// If such a left-over action fails (or is retried by an admin), it stays
// with its superseded change, in the Failed tab, until the person's next
// re-plan: that cancels it, and next, which did not count it, asks for its
// step again if still wanted.
//
// reason (ReplanHRChanged, ReplanRulesChanged) goes into the audit event of
// each superseded decided change.
func (s *Store) ReplanChanges(ctx context.Context, next map[int64]*Change, reason string) (map[int64]*Change, error) {
	var result map[int64]*Change
	err := s.WithTx(ctx, func(tx *Store) error {
		now := time.Now()
		ids := make([]int64, 0, len(next))
		for id := range next {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		if err := tx.keepRejections(ctx, next, ids); err != nil {
			return err
		}
		leftovers, err := tx.cancelLeftovers(ctx, ids, now)
		if err != nil {
			return err
		}
		decided, err := tx.unfinishedChanges(ctx, ids)
		if err != nil {
			return err
		}
		var stale []int64
		for _, personID := range ids {
			d, ok := decided[personID]
			if !ok {
				continue
			}
			if n := next[personID]; n != nil && d.repeats(n) {
				next[personID] = nil // the decided change already does it
				continue
			}
			if d.cancellable {
				stale = append(stale, personID)
			}
		}
		superseded, err := tx.supersedeUnfinished(ctx, stale, now)
		if err != nil {
			return err
		}
		if result, err = tx.ReplaceOpenChanges(ctx, next); err != nil {
			return err
		}
		if err := tx.linkReplanned(ctx, superseded, result, replanned{Reason: reason}, true); err != nil {
			return err
		}
		return tx.linkReplanned(ctx, leftovers, result, replanned{Reason: reason, Note: leftoversNote}, false)
	})
	if err != nil {
		return nil, err
	}
	return result, nil
}

// keepRejections drops next for each person whose latest decision is a
// rejection of the same outcome.
func (s *Store) keepRejections(ctx context.Context, next map[int64]*Change, ids []int64) error {
	var want []int64
	for _, id := range ids {
		if next[id] != nil {
			want = append(want, id)
		}
	}
	db := s.db.WithContext(ctx)
	for _, chunk := range chunks(want, 1000) {
		var rows []Change
		err := db.Where("id IN (SELECT max(id) FROM changes WHERE person_id IN ? AND status NOT IN ? GROUP BY person_id)",
			chunk, []ChangeStatus{ChangePending, ChangeSuperseded}).Find(&rows).Error
		if err != nil {
			return fmt.Errorf("store: latest decisions: %w", translate(err))
		}
		for _, c := range rows {
			if c.Status == ChangeRejected && c.sameOutcome(next[c.PersonID]) {
				next[c.PersonID] = nil
			}
		}
	}
	return nil
}

// RunningActions returns, per person, their actions being carried out (a
// webhook call being tried, a manual app's task open), whatever their
// change's status, in change and plan order. Nothing cancels them and each
// records its effect in accounts and grants when it completes, so the
// planner counts them as done already.
func (s *Store) RunningActions(ctx context.Context, personIDs []int64) (map[int64][]Action, error) {
	out := map[int64][]Action{}
	db := s.db.WithContext(ctx)
	for _, chunk := range chunks(personIDs, 1000) {
		var actions []Action
		err := db.Joins("JOIN changes ON changes.id = actions.change_id").Select("actions.*").
			Where("actions.status = ? AND changes.person_id IN ?", ActionRunning, chunk).
			Order("actions.change_id, actions.seq").Find(&actions).Error
		if err != nil {
			return nil, fmt.Errorf("store: running actions: %w", translate(err))
		}
		if len(actions) == 0 {
			continue
		}
		changeIDs := make([]int64, len(actions))
		for i, a := range actions {
			changeIDs[i] = a.ChangeID
		}
		var owners []Change
		if err := db.Select("id", "person_id").Where("id IN ?", changeIDs).Find(&owners).Error; err != nil {
			return nil, fmt.Errorf("store: changes of running actions: %w", translate(err))
		}
		personOf := make(map[int64]int64, len(owners))
		for _, c := range owners {
			personOf[c.ID] = c.PersonID
		}
		for _, a := range actions {
			out[personOf[a.ChangeID]] = append(out[personOf[a.ChangeID]], a)
		}
	}
	return out, nil
}

// linkReplanned audits a change.replanned event, after, for each of the
// people's changes, naming the person's new open change, if any, as the
// successor; with link, it also points the changes' superseded_by_id at it.
func (s *Store) linkReplanned(ctx context.Context, changes map[int64][]int64, open map[int64]*Change, after replanned, link bool) error {
	people := make([]int64, 0, len(changes))
	for personID := range changes {
		people = append(people, personID)
	}
	slices.Sort(people)
	for _, personID := range people {
		oldIDs := changes[personID]
		after.SupersededBy = nil
		if n := open[personID]; n != nil {
			after.SupersededBy = &n.ID
			if link {
				if err := s.db.WithContext(ctx).Model(&Change{}).Where("id IN ?", oldIDs).
					Update("superseded_by_id", n.ID).Error; err != nil {
					return fmt.Errorf("store: link superseded changes of person %d: %w", personID, translate(err))
				}
			}
		}
		for _, id := range oldIDs {
			if err := s.Audit(ctx, Actor{Email: "roster"}, AuditEntry{Action: ActionChangeReplanned, SubjectType: "change",
				SubjectID: id, SubjectLabel: fmt.Sprintf("change %d", id), After: after}); err != nil {
				return err
			}
		}
	}
	return nil
}

// decidedChange is an unfinished change with the steps it has still to
// do: those of its scheduled and failed actions. Its running actions count
// as done, as they do for the planner.
type decidedChange struct {
	change      Change
	remaining   []PlanStep
	cancellable bool // some of its actions wait for their time or a retry
}

// repeats reports whether n would do what the decided change still has to
// do: the same step effects (sameEffect: each at its own time). Once some
// of its actions have run or are running, n (diffed against their effect,
// so perhaps a mover rather than a joiner) is judged by its steps alone;
// before that, the kind must match too.
func (d *decidedChange) repeats(n *Change) bool {
	if !sameEffects(d.remaining, n.Plan, n.planned()) {
		return false
	}
	started := len(d.remaining) < len(d.change.Plan)
	if started {
		return true
	}
	return d.change.Kind == n.Kind && (timedBySteps(n.Plan) || d.change.EffectiveAt.Equal(n.EffectiveAt))
}

// unfinishedChanges returns, per person, their latest decided change that is
// not fully run yet: in flight, or failed and waiting for a retry.
func (s *Store) unfinishedChanges(ctx context.Context, personIDs []int64) (map[int64]*decidedChange, error) {
	out := map[int64]*decidedChange{}
	db := s.db.WithContext(ctx)
	for _, chunk := range chunks(personIDs, 1000) {
		var rows []Change
		err := db.Where("person_id IN ? AND status IN ?", chunk, unfinished).Order("id").Find(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("store: decided changes: %w", translate(err))
		}
		for _, c := range rows {
			out[c.PersonID] = &decidedChange{change: c}
		}
	}
	changeIDs := make([]int64, 0, len(out))
	for _, d := range out {
		changeIDs = append(changeIDs, d.change.ID)
	}
	actions, err := s.ActionsOfChanges(ctx, changeIDs)
	if err != nil {
		return nil, err
	}
	for _, d := range out {
		for _, a := range actions[d.change.ID] {
			if !slices.Contains(cancellable, a.Status) {
				continue
			}
			if a.Seq < len(d.change.Plan) {
				d.remaining = append(d.remaining, d.change.Plan[a.Seq])
			}
			d.cancellable = true
		}
	}
	return out, nil
}

// supersedeUnfinished supersedes the people's unfinished changes that
// still have scheduled or failed actions, and cancels those actions. Done
// and running actions are left alone. It returns the superseded change IDs
// per person.
func (s *Store) supersedeUnfinished(ctx context.Context, personIDs []int64, now time.Time) (map[int64][]int64, error) {
	out := map[int64][]int64{}
	now = now.UTC()
	db := s.db.WithContext(ctx)
	for _, chunk := range chunks(personIDs, 1000) {
		var rows []Change
		err := db.Select("id", "person_id").Where("person_id IN ? AND status IN ?", chunk, unfinished).
			Where("EXISTS (SELECT 1 FROM actions WHERE actions.change_id = changes.id AND actions.status IN ?)", cancellable).
			Find(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("store: unfinished changes: %w", translate(err))
		}
		if len(rows) == 0 {
			continue
		}
		ids := make([]int64, len(rows))
		for i, c := range rows {
			ids[i] = c.ID
			out[c.PersonID] = append(out[c.PersonID], c.ID)
		}
		if err := db.Model(&Action{}).Where("change_id IN ? AND status IN ?", ids, cancellable).
			Updates(map[string]any{"status": ActionCancelled, "updated_at": now}).Error; err != nil {
			return nil, fmt.Errorf("store: cancel actions: %w", translate(err))
		}
		if err := db.Model(&Change{}).Where("id IN ? AND status IN ?", ids, unfinished).
			Updates(map[string]any{"status": ChangeSuperseded, "updated_at": now}).Error; err != nil {
			return nil, fmt.Errorf("store: supersede unfinished changes: %w", translate(err))
		}
	}
	return out, nil
}

// cancelLeftovers cancels the actions of the people's superseded changes
// that are neither done nor running: those a re-plan left running that
// failed since, and those an admin retried after that. The plan being
// written takes them over: it was diffed against recorded access and
// running actions only, so it asks for their steps again if they are still
// wanted. It returns the changes it touched, per person.
func (s *Store) cancelLeftovers(ctx context.Context, personIDs []int64, now time.Time) (map[int64][]int64, error) {
	out := map[int64][]int64{}
	leftover := cancellable
	db := s.db.WithContext(ctx)
	for _, chunk := range chunks(personIDs, 1000) {
		var rows []Change
		err := db.Select("id", "person_id").Where("person_id IN ? AND status = ?", chunk, ChangeSuperseded).
			Where("id IN (SELECT change_id FROM actions WHERE status IN ?)", leftover).Order("id").Find(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("store: left-over actions: %w", translate(err))
		}
		if len(rows) == 0 {
			continue
		}
		ids := make([]int64, len(rows))
		for i, c := range rows {
			ids[i] = c.ID
			out[c.PersonID] = append(out[c.PersonID], c.ID)
		}
		if err := db.Model(&Action{}).Where("change_id IN ? AND status IN ?", ids, leftover).
			Updates(map[string]any{"status": ActionCancelled, "updated_at": now.UTC()}).Error; err != nil {
			return nil, fmt.Errorf("store: cancel left-over actions: %w", translate(err))
		}
	}
	return out, nil
}
