package models

import (
	"context"
	"fmt"
	"time"
)

// ActionToRun is what the runner reads about an action before it acts:
// the action as stored, how many actions it waits for (see WaitingOn),
// and the app, person and entitlement its call or task is about. The
// runner reads these for every job, so ActionsToRun reads them for many
// jobs at once, in three statements however many there are.
type ActionToRun struct {
	Action      *Action
	Waiting     int64
	App         *App
	Person      *Person
	Entitlement *Entitlement // nil unless the action is about one (ID, app, kind, key, name and params)
}

// ActionsToRun returns, in the order of ids, what the runner needs about
// each action; an id whose action is gone (deleted with its person or
// app, which the later statements may find too) is nil.
func (s *Store) ActionsToRun(ctx context.Context, ids []int64) ([]*ActionToRun, error) {
	waiting, err := s.actionsWaiting(ctx, ids)
	if err != nil {
		return nil, err
	}
	var appIDs, changeIDs []int64
	for _, w := range waiting {
		appIDs = append(appIDs, w.AppID)
		changeIDs = append(changeIDs, w.ChangeID)
	}
	apps := map[int64]*App{}
	var appRows []App
	if err := s.db.WithContext(ctx).Where("id IN ?", uniqueIDs(appIDs)).Find(&appRows).Error; err != nil {
		return nil, fmt.Errorf("store: apps of actions: %w", translate(err))
	}
	for i := range appRows {
		apps[appRows[i].ID] = &appRows[i]
	}
	people := map[int64]*Person{} // by change
	var personRows []struct {
		ChangeID int64
		Person   `gorm:"embedded"`
	}
	if err := s.db.WithContext(ctx).Raw(`SELECT changes.id AS change_id, people.* FROM changes
		JOIN people ON people.id = changes.person_id WHERE changes.id IN ?`, uniqueIDs(changeIDs)).Scan(&personRows).Error; err != nil {
		return nil, fmt.Errorf("store: people of actions: %w", translate(err))
	}
	for i := range personRows {
		people[personRows[i].ChangeID] = &personRows[i].Person
	}
	out := make([]*ActionToRun, len(ids))
	for i, id := range ids {
		w, ok := waiting[id]
		if !ok {
			continue
		}
		r := &ActionToRun{Action: &w.Action, Waiting: w.waiting(), App: apps[w.AppID], Person: people[w.ChangeID]}
		if r.App == nil || r.Person == nil {
			continue // deleted since the first statement, and the action with it
		}
		if w.EntitlementID != nil {
			r.Entitlement = &w.Ent
		}
		out[i] = r
	}
	return out, nil
}

// ActionWaiting returns an action as it is stored and how many actions it
// waits for (WaitingOn), in one statement.
func (s *Store) ActionWaiting(ctx context.Context, id int64) (*Action, int64, error) {
	waiting, err := s.actionsWaiting(ctx, []int64{id})
	if err != nil {
		return nil, 0, err
	}
	w, ok := waiting[id]
	if !ok {
		return nil, 0, fmt.Errorf("store: action %d: %w", id, ErrNotFound)
	}
	return &w.Action, w.waiting(), nil
}

// actionWaits is an action, the two counts of what it waits for, and
// its entitlement (read with it, so never missing: deleting one clears
// the actions' entitlement_id).
type actionWaits struct {
	Action  `gorm:"embedded"`
	Own     int64
	Carried int64
	Ent     Entitlement `gorm:"embedded;embeddedPrefix:ent_"`
}

// waiting is what the action waits for: the earlier steps of its own
// change first, then what earlier changes left in flight.
func (w *actionWaits) waiting() int64 {
	if w.Own > 0 {
		return w.Own
	}
	return w.Carried
}

// actionsWaiting reads the actions of ids with what each waits for, in
// one statement, keyed by id.
func (s *Store) actionsWaiting(ctx context.Context, ids []int64) (map[int64]*actionWaits, error) {
	// The earlier steps of its own change, then the person's earlier
	// changes (changes_person_status_idx) and their actions
	// (actions_change_idx), so what is in flight for everyone else is
	// never read, however much that is.
	var rows []actionWaits
	err := s.db.WithContext(ctx).Raw(`SELECT a.*,
		CASE WHEN a.status IN ? THEN
			(SELECT COUNT(*) FROM actions o WHERE o.change_id = a.change_id AND o.app_id = a.app_id AND o.seq < a.seq AND o.status <> ?)
		ELSE 0 END AS own,
		CASE WHEN a.status IN ? THEN
			(SELECT COUNT(*) FROM actions p JOIN changes ON changes.id = p.change_id
				WHERE changes.person_id = (SELECT person_id FROM changes WHERE id = a.change_id) AND changes.id < a.change_id
				AND p.app_id = a.app_id AND p.status IN ? AND (p.status = ? OR changes.status = ?))
		ELSE 0 END AS carried,
		COALESCE(e.id, 0) AS ent_id, COALESCE(e.app_id, 0) AS ent_app_id, COALESCE(e.kind, '') AS ent_kind,
		COALESCE(e.key, '') AS ent_key, COALESCE(e.name, '') AS ent_name, COALESCE(e.params, '[]') AS ent_params
		FROM actions a LEFT JOIN entitlements e ON e.id = a.entitlement_id WHERE a.id IN ?`,
		[]ActionStatus{ActionScheduled, ActionRunning}, ActionDone,
		[]ActionStatus{ActionScheduled, ActionRunning}, []ActionStatus{ActionRunning, ActionScheduled, ActionFailed}, ActionRunning, ChangeSuperseded,
		ids).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: what %d actions wait for: %w", len(ids), translate(err))
	}
	out := make(map[int64]*actionWaits, len(rows))
	for i := range rows {
		out[rows[i].ID] = &rows[i]
	}
	return out, nil
}

// StartAttempt records that an attempt at an action begins. It returns
// false when there is nothing to do: the action is done, failed or
// cancelled (a retried or duplicated job is then a no-op).
func (s *Store) StartAttempt(ctx context.Context, id int64, now time.Time) (*Action, bool, error) {
	started, err := s.StartAttempts(ctx, []int64{id}, now)
	if err != nil {
		return nil, false, err
	}
	if a := started[id]; a != nil {
		return a, true, nil
	}
	// Not started: gone (ErrNotFound), or not runnable.
	a, err := s.ActionByID(ctx, id)
	if err != nil {
		return nil, false, err
	}
	return a, false, nil
}

// StartAttempts records that an attempt begins at each of ids that is
// still to run, in one statement, and returns the started actions by id;
// an id left out is done, failed, cancelled or gone.
func (s *Store) StartAttempts(ctx context.Context, ids []int64, now time.Time) (map[int64]*Action, error) {
	// One status-guarded UPDATE, so a re-plan that cancelled an action
	// meanwhile (PostgreSQL reads committed) is never overwritten, and on
	// SQLite the writer is taken for one statement rather than a
	// read-then-write transaction. The started rows come back with it.
	var started []Action
	err := s.db.WithContext(ctx).Raw("UPDATE actions SET status = ?, attempts = attempts + 1, updated_at = ? WHERE id IN ? AND status IN ? RETURNING *",
		ActionRunning, now.UTC(), ids, []ActionStatus{ActionScheduled, ActionRunning}).Scan(&started).Error
	if err != nil {
		return nil, fmt.Errorf("store: start %d actions: %w", len(ids), translate(err))
	}
	out := make(map[int64]*Action, len(started))
	for i := range started {
		out[started[i].ID] = &started[i]
	}
	return out, nil
}
