package hrsync

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rosterhq/roster/jobs/planner"
	"github.com/rosterhq/roster/models"
)

// Rows hands a snapshot's records to fn one at a time, in order, and
// returns the snapshot's row errors once it has read them all. It may be
// called again to read the snapshot again (a held run keeps its records).
// With row errors, what fn was handed must be undone: the snapshot is
// invalid and changes nothing.
type Rows func(fn func(models.PersonFields) error) ([]models.RowError, error)

// SliceRows reads a snapshot already in memory. When an external id
// appears more than once, its last record wins, as in Detect.
func SliceRows(records []models.PersonFields) Rows {
	return func(fn func(models.PersonFields) error) ([]models.RowError, error) {
		last := make(map[string]int, len(records))
		for i := range records {
			last[records[i].ExternalID] = i
		}
		for i := range records {
			if last[records[i].ExternalID] != i {
				continue
			}
			if err := fn(records[i]); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
}

// scanBatch is how many changed people a scan gathers before reading
// their stored records and writing them.
const scanBatch = 1000

// scan compares a streamed snapshot with a source's people through their
// stored hashes (models.Store.EachPersonHash), in one transaction: only rows whose
// hash differs are compared field by field, and their changes are written
// in batches as they come, so neither snapshot is ever held whole. An
// unchanged snapshot writes nothing. The brake is decided at the end,
// from counts gathered on the way (a held or invalid run rolls back);
// leavers, the people the snapshot lacks, are written last, once the run
// is known to go ahead. A dry scan (a preview) counts and weighs the same
// and writes nothing.
type scan struct {
	tx  *models.Store
	dry bool
	// baseline takes people already employed (active, start date
	// passed) as current staff, not joiners (see started).
	baseline bool
	src      *models.Source
	runID    int64
	today    string
	now      time.Time
	stored   map[string]storedHash
	joined   map[string]struct{} // external ids of this run's joiners
	incoming int
	res      Result
	fields   fieldCounts
	movers   []mover
	joiners  []models.PersonChange
	dups     *identityIndex
	repair   map[int64]string
	touched  []int64
}

// storedHash is a stored person as the scan compares rows with them.
type storedHash struct {
	id     int64
	hash   string
	status models.PersonStatus
	seen   bool // the snapshot has them
}

// mover is a row whose hash differs from its person's stored one: a
// change, unless the fields turn out equal.
type mover struct {
	id     int64
	fields models.PersonFields
	hash   string
}

func newScan(ctx context.Context, tx *models.Store, src *models.Source, runID int64, today string, now time.Time) (*scan, error) {
	if err := tx.LockSource(ctx, src.ID); err != nil {
		return nil, err
	}
	sc := &scan{tx: tx, src: src, runID: runID, today: today, now: now, stored: map[string]storedHash{},
		joined: map[string]struct{}{}, repair: map[int64]string{}, fields: newFieldCounts()}
	err := tx.EachPersonHash(ctx, src.ID, func(ext string, p models.PersonHash) {
		sc.stored[ext] = storedHash{id: p.ID, hash: p.Hash, status: p.Status}
		if p.Status != models.StatusTerminated {
			sc.res.ActiveBefore++
		}
	})
	if err != nil {
		return nil, err
	}
	return sc, nil
}

// add takes one record of the snapshot.
func (sc *scan) add(ctx context.Context, f models.PersonFields) error {
	c := canonical(f)
	st, known := sc.stored[c.ExternalID]
	_, joined := sc.joined[c.ExternalID]
	if st.seen || joined {
		return fmt.Errorf("hrsync: employee id %q appears twice in the snapshot", c.ExternalID)
	}
	sc.incoming++
	active := c.Status != models.StatusTerminated
	if !known {
		if active {
			sc.fields.addNow(&c)
		}
		sc.joined[strings.Clone(c.ExternalID)] = struct{}{} // not the row's memory
		if !active {
			sc.res.Ignored++
			return nil
		}
		kind := models.EventJoined
		if sc.baseline && started(&c, sc.today) {
			kind = models.EventBaseline
		}
		sc.joiners = append(sc.joiners, models.PersonChange{Kind: kind, Fields: c})
		if len(sc.joiners) >= scanBatch {
			return sc.flushJoiners(ctx)
		}
		return nil
	}
	st.seen = true
	sc.stored[c.ExternalID] = st
	h := c.Hash()
	if st.hash == h {
		sc.res.Counts.Unchanged++
		if active {
			sc.fields.addBoth(&c) // the stored record is this one
		}
		return nil
	}
	if active {
		sc.fields.addNow(&c)
	}
	sc.movers = append(sc.movers, mover{id: st.id, fields: c, hash: h})
	if len(sc.movers) >= scanBatch {
		return sc.flushMovers(ctx)
	}
	return nil
}

// started reports whether a baseline run takes a record as current
// staff: employed (active or on leave, not pending) and their start date
// has passed (before today, in the organisation's zone) or HR gives none.
// Someone starting today or later, or still pending in HR, is a joiner in
// a baseline too.
func started(f *models.PersonFields, today string) bool {
	return f.Status != models.StatusPending && (f.StartDate == "" || f.StartDate < today)
}

// flushJoiners writes the joiners gathered so far, flagging possible
// duplicates of people known before the first of them was written.
func (sc *scan) flushJoiners(ctx context.Context) error {
	if len(sc.joiners) == 0 {
		return nil
	}
	if sc.dups == nil {
		identities, err := sc.tx.PersonIdentities(ctx)
		if err != nil {
			return err
		}
		ix := newIdentityIndex(identities)
		sc.dups = &ix
	}
	for i := range sc.joiners {
		ch := &sc.joiners[i]
		ch.Diff = joinerDiff(&ch.Fields)
		if id, ok := sc.dups.match(&ch.Fields); ok {
			ch.DuplicateOfID = &id
			sc.res.Duplicates++
		}
		if ch.Kind == models.EventBaseline {
			sc.res.Counts.Existing++
		} else {
			sc.res.Counts.Joiners++
		}
	}
	err := sc.write(ctx, sc.joiners)
	sc.joiners = sc.joiners[:0]
	return err
}

// flushMovers compares the rows whose hash differs with their people's
// stored records and writes what changed.
func (sc *scan) flushMovers(ctx context.Context) error {
	if len(sc.movers) == 0 {
		return nil
	}
	ids := make([]int64, len(sc.movers))
	for i, m := range sc.movers {
		ids[i] = m.id
	}
	old, err := sc.storedFields(ctx, ids)
	if err != nil {
		return err
	}
	changes := make([]models.PersonChange, 0, len(sc.movers))
	for _, m := range sc.movers {
		o := old[m.id]
		if o.fields.Status != models.StatusTerminated {
			sc.fields.addBefore(&o.fields)
		}
		diff := models.DiffFields(&o.fields, &m.fields)
		if len(diff) == 0 {
			// Equal fields under another fingerprint: a hash stored before
			// Hash was built by hand, or a custom attribute named like a
			// standard one. Nothing to act on; a stale hash is refreshed.
			sc.res.Counts.Unchanged++
			if o.hash != m.hash {
				sc.repair[m.id] = m.hash
			}
			continue
		}
		kind := classify(&o.fields, &m.fields)
		sc.res.count(kind)
		changes = append(changes, models.PersonChange{Kind: kind, PersonID: m.id, Fields: m.fields, Diff: diff})
	}
	sc.movers = sc.movers[:0]
	if err := sc.weigh(ctx, changes, old); err != nil {
		return err
	}
	return sc.write(ctx, changes)
}

// storedRecord is a person's stored record in canonical form.
type storedRecord struct {
	fields models.PersonFields
	hash   string
}

func (sc *scan) storedFields(ctx context.Context, ids []int64) (map[int64]storedRecord, error) {
	people, err := sc.tx.PeopleByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]storedRecord, len(people))
	for i := range people {
		out[people[i].ID] = storedRecord{fields: canonical(people[i].PersonFields), hash: people[i].Hash}
	}
	return out, nil
}

// weigh adds what changes would take away under the current rules
// (planner.AccessTaken), as addAccessTaken does for a whole snapshot.
func (sc *scan) weigh(ctx context.Context, changes []models.PersonChange, old map[int64]storedRecord) error {
	var proposed []planner.Proposed
	for i := range changes {
		ch := &changes[i]
		switch ch.Kind {
		case models.EventLeft:
			sc.res.Losses.Leavers++
		case models.EventLeave:
			sc.res.Losses.Leaves++
		}
		if ch.Kind != models.EventRehired {
			o := old[ch.PersonID].fields
			proposed = append(proposed, planner.Proposed{PersonID: ch.PersonID, Old: &o, New: &ch.Fields})
		}
	}
	taken, err := planner.AccessTaken(ctx, sc.tx, sc.now, proposed)
	if err != nil {
		return fmt.Errorf("hrsync: weigh access taken: %w", err)
	}
	for _, ch := range changes {
		n := taken[ch.PersonID]
		if n > 0 && ch.Kind == models.EventChanged {
			sc.res.Losses.Movers++
		}
		sc.res.Losses.Revocations += n
	}
	return nil
}

func (sc *scan) write(ctx context.Context, changes []models.PersonChange) error {
	if len(changes) == 0 || sc.dry {
		return nil
	}
	ids, err := sc.tx.WritePeople(ctx, sc.src.ID, sc.runID, changes)
	sc.touched = append(sc.touched, ids...)
	return err
}

// leaverIDs are the source's people the snapshot lacks who have not left
// yet, in id order.
func (sc *scan) leaverIDs() []int64 {
	var ids []int64
	for _, p := range sc.stored {
		if !p.seen && p.status != models.StatusTerminated {
			ids = append(ids, p.id)
		}
	}
	slices.Sort(ids)
	return ids
}

// leavers builds the changes of one batch of leavers.
func (sc *scan) leavers(ctx context.Context, ids []int64) ([]models.PersonChange, map[int64]storedRecord, error) {
	old, err := sc.storedFields(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	changes := make([]models.PersonChange, 0, len(ids))
	for _, id := range ids {
		o := old[id].fields
		left := o
		left.Status = models.StatusTerminated
		if left.TerminationDate == "" {
			left.TerminationDate = sc.today
		}
		changes = append(changes, models.PersonChange{Kind: models.EventLeft, PersonID: id, Fields: left, Diff: models.DiffFields(&o, &left)})
	}
	return changes, old, nil
}

// finish flushes what is gathered, weighs the leavers and decides the
// brake. Nothing of the leavers is written yet.
func (sc *scan) finish(ctx context.Context) (Outcome, error) {
	if err := sc.flushJoiners(ctx); err != nil {
		return Outcome{}, err
	}
	if err := sc.flushMovers(ctx); err != nil {
		return Outcome{}, err
	}
	for _, batch := range batches(sc.leaverIDs(), scanBatch) {
		changes, old, err := sc.leavers(ctx, batch)
		if err != nil {
			return Outcome{}, err
		}
		for _, o := range old {
			sc.fields.addBefore(&o.fields)
		}
		sc.res.Counts.Leavers += len(changes)
		if err := sc.weigh(ctx, changes, old); err != nil {
			return Outcome{}, err
		}
	}
	sc.res.Dropped = sc.fields.dropped(sc.res.ActiveBefore)
	held, reason := Brake(sc.src, sc.incoming, sc.res)
	return Outcome{Counts: sc.res.Counts, Duplicates: sc.res.Duplicates, Held: held, HeldReason: reason}, nil
}

// applyLeavers writes the leavers and refreshes stale hashes, once the
// run goes ahead.
func (sc *scan) applyLeavers(ctx context.Context) error {
	for _, batch := range batches(sc.leaverIDs(), scanBatch) {
		changes, _, err := sc.leavers(ctx, batch)
		if err != nil {
			return err
		}
		if err := sc.write(ctx, changes); err != nil {
			return err
		}
	}
	if len(sc.repair) > 0 {
		return sc.tx.UpdatePersonHashes(ctx, sc.repair)
	}
	return nil
}

func batches(ids []int64, size int) [][]int64 {
	var out [][]int64
	for len(ids) > size {
		out = append(out, ids[:size])
		ids = ids[size:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

// joinerDiff is models.DiffFields from nobody to f, without building two
// attribute maps per joiner: every attribute that is set, by name.
func joinerDiff(f *models.PersonFields) []models.FieldChange {
	out := make([]models.FieldChange, 0, len(models.StandardAttributes)+len(f.Custom))
	for _, name := range models.StandardAttributes {
		if v, _ := f.Attribute(name); v != "" {
			out = append(out, models.FieldChange{Field: name, New: v})
		}
	}
	for k, v := range f.Custom {
		if v != "" && !standardAttribute[k] {
			out = append(out, models.FieldChange{Field: k, New: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}
