package models

import (
	"context"
	"fmt"
	"reflect"
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
)

// inFlight are the statuses of a decided change whose actions have not all
// run.
var inFlight = []ChangeStatus{ChangeApproved, ChangeScheduled, ChangeRunning}

// replanned is the After of a change.replanned audit event.
type replanned struct {
	Reason       string `json:"reason"`
	SupersededBy *int64 `json:"superseded_by"` // nil: nothing is to be done any more
	Note         string `json:"note,omitempty"`
}

// leftoversNote explains a change.replanned event of a change superseded
// earlier whose failed or retried actions a later re-plan cancelled.
const leftoversNote = "actions left to finish by an earlier re-plan that failed or were retried are cancelled; the new plan asks for them again if still wanted"

// ReplanChanges is ReplaceOpenChanges for the planner, which also squares
// next with each person's decided change whose actions have not all run,
// whatever made the planner run (an HR change, a rule edit):
//
//   - if the decided change already does what next would do, it is kept and
//     the person gets no new change, so re-planning never queues (or
//     auto-approves) the same work twice, and an edit that does not touch a
//     person's access leaves their approved work alone;
//   - otherwise, if it still has scheduled actions, those are cancelled
//     (their jobs find them cancelled and do nothing) and the change is
//     superseded by next, which goes back to review or auto-approval.
//
// Running actions (a webhook call being retried, a manual app's task open)
// cannot be cancelled and are left to finish, in whatever change they are:
// next must be diffed against recorded access plus their effect
// (RunningActions), so it does not ask for their steps again, and the
// successor's later steps of the same app wait for them (WaitingOn). Done
// actions are in recorded access already.
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
		leftovers, err := tx.cancelLeftovers(ctx, ids, now)
		if err != nil {
			return err
		}
		decided, err := tx.unfinishedChanges(ctx, ids)
		if err != nil {
			return err
		}
		var stale []int64
		for personID, d := range decided {
			if n := next[personID]; n != nil && d.repeats(n) {
				next[personID] = nil // the decided change already does it
				continue
			}
			if d.scheduled {
				stale = append(stale, personID)
			}
		}
		superseded, err := tx.supersedeScheduled(ctx, stale, now)
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

// decidedChange is an in-flight change with the steps it has still to do:
// those of its scheduled actions. Its running actions count as done, as
// they do for the planner.
type decidedChange struct {
	change    Change
	remaining []PlanStep
	scheduled bool // some of its actions wait for their time
}

// repeats reports whether n would do what the decided change still has to
// do. Once some of its actions have run or are running its time has come,
// and n (diffed against their effect, so perhaps a mover rather than a
// joiner) is judged by its steps alone; before that, kind and time must
// match too.
func (d *decidedChange) repeats(n *Change) bool {
	if len(d.remaining) != len(n.Plan) || (len(n.Plan) > 0 && !reflect.DeepEqual(d.remaining, n.Plan)) {
		return false
	}
	started := len(d.remaining) < len(d.change.Plan)
	return started || (d.change.Kind == n.Kind && d.change.EffectiveAt.Equal(n.EffectiveAt))
}

// unfinishedChanges returns, per person, their latest decided change that is
// not fully run yet (failed changes wait for a retry and are left out).
func (s *Store) unfinishedChanges(ctx context.Context, personIDs []int64) (map[int64]*decidedChange, error) {
	out := map[int64]*decidedChange{}
	db := s.db.WithContext(ctx)
	for _, chunk := range chunks(personIDs, 1000) {
		var rows []Change
		err := db.Where("person_id IN ? AND status IN ?", chunk, inFlight).Order("id").Find(&rows).Error
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
			if a.Status == ActionScheduled && a.Seq < len(d.change.Plan) {
				d.remaining = append(d.remaining, d.change.Plan[a.Seq])
			}
			d.scheduled = d.scheduled || a.Status == ActionScheduled
		}
	}
	return out, nil
}

// supersedeScheduled supersedes the people's decided changes that still
// have scheduled actions, and cancels those actions. Done and running
// actions are left alone. It returns the superseded change IDs per person.
func (s *Store) supersedeScheduled(ctx context.Context, personIDs []int64, now time.Time) (map[int64][]int64, error) {
	out := map[int64][]int64{}
	now = now.UTC()
	db := s.db.WithContext(ctx)
	for _, chunk := range chunks(personIDs, 1000) {
		var rows []Change
		err := db.Select("id", "person_id").Where("person_id IN ? AND status IN ?", chunk, inFlight).
			Where("EXISTS (SELECT 1 FROM actions WHERE actions.change_id = changes.id AND actions.status = ?)", ActionScheduled).
			Find(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("store: scheduled changes: %w", translate(err))
		}
		if len(rows) == 0 {
			continue
		}
		ids := make([]int64, len(rows))
		for i, c := range rows {
			ids[i] = c.ID
			out[c.PersonID] = append(out[c.PersonID], c.ID)
		}
		if err := db.Model(&Action{}).Where("change_id IN ? AND status = ?", ids, ActionScheduled).
			Updates(map[string]any{"status": ActionCancelled, "updated_at": now}).Error; err != nil {
			return nil, fmt.Errorf("store: cancel actions: %w", translate(err))
		}
		if err := db.Model(&Change{}).Where("id IN ?", ids).
			Updates(map[string]any{"status": ChangeSuperseded, "updated_at": now}).Error; err != nil {
			return nil, fmt.Errorf("store: supersede scheduled changes: %w", translate(err))
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
	leftover := []ActionStatus{ActionScheduled, ActionFailed}
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
