package models

import (
	"context"
	"fmt"
	"reflect"
	"time"
)

// ActionChangeReplanned is the audit action for a decided change sent
// back to planning because the person's HR data changed before it ran.
const ActionChangeReplanned = "change.replanned"

// inFlight are the statuses of a decided change whose actions have not all
// run.
var inFlight = []ChangeStatus{ChangeApproved, ChangeScheduled, ChangeRunning}

// ReplanChanges is ReplaceOpenChanges for the planner: a person whose
// decided change, not yet fully run, already does what next would do gets
// no new change, so re-planning after a rule edit cannot queue (or
// auto-approve) the same work twice.
func (s *Store) ReplanChanges(ctx context.Context, next map[int64]*Change) (map[int64]*Change, error) {
	return s.replan(ctx, next, false)
}

// ReplanChangesAfterHR is ReplanChanges for people whose HR data just
// changed: a decided change of theirs that next does not repeat and that
// still has scheduled actions is re-planned. Those actions are cancelled
// (their jobs find them cancelled and do nothing), actions already done or
// running stay as they are (their effect is, or will be, in accounts and
// grants, which next is diffed against), and the change is superseded by
// next, which goes back to review or auto-approval. A decided change that
// next repeats is kept, so an HR edit that does not touch access leaves
// approved work alone.
func (s *Store) ReplanChangesAfterHR(ctx context.Context, next map[int64]*Change) (map[int64]*Change, error) {
	return s.replan(ctx, next, true)
}

func (s *Store) replan(ctx context.Context, next map[int64]*Change, afterHR bool) (map[int64]*Change, error) {
	var result map[int64]*Change
	err := s.WithTx(ctx, func(tx *Store) error {
		ids := make([]int64, 0, len(next))
		for id := range next {
			ids = append(ids, id)
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
			if afterHR && d.scheduled {
				stale = append(stale, personID)
			}
		}
		superseded, err := tx.SupersedeScheduled(ctx, stale, time.Now())
		if err != nil {
			return err
		}
		if result, err = tx.ReplaceOpenChanges(ctx, next); err != nil {
			return err
		}
		for personID, oldIDs := range superseded {
			n := result[personID]
			if n == nil {
				continue
			}
			if err := tx.db.WithContext(ctx).Model(&Change{}).Where("id IN ?", oldIDs).
				Update("superseded_by_id", n.ID).Error; err != nil {
				return fmt.Errorf("store: link superseded changes of person %d: %w", personID, translate(err))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return result, nil
}

// decidedChange is an in-flight change with the steps it has still to do.
type decidedChange struct {
	change    Change
	remaining []PlanStep
	scheduled bool // some of its actions wait for their time
}

// repeats reports whether n would do what the decided change still has to
// do. Once some of its actions have run its time has come, and n (diffed
// against their effect, so perhaps a mover rather than a joiner) is judged
// by its steps alone; before that, kind and time must match too.
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
			if a.Status != ActionDone && a.Seq < len(d.change.Plan) {
				d.remaining = append(d.remaining, d.change.Plan[a.Seq])
			}
			d.scheduled = d.scheduled || a.Status == ActionScheduled
		}
	}
	return out, nil
}

// SupersedeScheduled supersedes the people's decided changes that still
// have scheduled actions, and cancels those actions. Done and running
// actions are left alone. It returns the superseded change IDs per person.
func (s *Store) SupersedeScheduled(ctx context.Context, personIDs []int64, now time.Time) (map[int64][]int64, error) {
	out := map[int64][]int64{}
	now = now.UTC()
	err := s.WithTx(ctx, func(tx *Store) error {
		db := tx.db.WithContext(ctx)
		for _, chunk := range chunks(personIDs, 1000) {
			var rows []Change
			err := db.Select("id", "person_id").Where("person_id IN ? AND status IN ?", chunk, inFlight).
				Where("EXISTS (SELECT 1 FROM actions WHERE actions.change_id = changes.id AND actions.status = ?)", ActionScheduled).
				Find(&rows).Error
			if err != nil {
				return fmt.Errorf("store: scheduled changes: %w", translate(err))
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
				return fmt.Errorf("store: cancel actions: %w", translate(err))
			}
			if err := db.Model(&Change{}).Where("id IN ?", ids).
				Updates(map[string]any{"status": ChangeSuperseded, "updated_at": now}).Error; err != nil {
				return fmt.Errorf("store: supersede scheduled changes: %w", translate(err))
			}
			for _, id := range ids {
				if err := tx.Audit(ctx, Actor{Email: "roster"}, AuditEntry{Action: ActionChangeReplanned, SubjectType: "change",
					SubjectID: id, SubjectLabel: fmt.Sprintf("change %d", id)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}
