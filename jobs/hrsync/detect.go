package hrsync

import (
	"slices"
	"sort"
	"strings"

	"github.com/rosterhq/roster/models"
)

// Result is what a snapshot would change.
type Result struct {
	Counts models.SyncCounts
	// Changes is everything to write, ordered by external id; unchanged
	// people are not included.
	Changes []models.PersonChange
	// Duplicates counts the joiners flagged as possible duplicates.
	Duplicates int
	// ActiveBefore counts the source's people not terminated before the
	// run (pending, active or on leave): the base of the brake's percentage.
	ActiveBefore int
	// Ignored counts people new to Roster who are already terminated in the
	// snapshot: there is nothing to provision or revoke for them, so they
	// are neither joiners nor stored.
	Ignored int
	// Dropped are the fields most people had and the snapshot lacks for
	// most: the brake holds such a run.
	Dropped []DroppedField
	// Losses is what the run would take away under the current rules.
	// Detect cannot see access: it fills in the leavers and leaves, and
	// the syncer adds the movers losing grants and the revocations.
	Losses Losses
}

// Detect compares a full snapshot of one source (incoming) with the people
// that source already has (existing). identities are every known person
// across all sources, for duplicate flags. today (YYYY-MM-DD, the org's
// calendar date) becomes the termination date of people missing from the
// snapshot who have none.
//
// Records are compared in a canonical form (groups sorted, empty custom
// attributes dropped), which is also the form stored. When an external id
// appears more than once in the snapshot, its last record wins.
func Detect(existing []models.Person, incoming []models.PersonFields, identities []models.PersonIdentity, today string) Result {
	var r Result
	known := make(map[string]*models.Person, len(existing))
	for i := range existing {
		p := &existing[i]
		known[p.ExternalID] = p
		if p.Status != models.StatusTerminated {
			r.ActiveBefore++
		}
	}
	snapshot := lastByExternalID(incoming)
	dups := newIdentityIndex(identities)
	for ext, in := range snapshot {
		p, ok := known[ext]
		if !ok {
			r.addJoiner(in, dups)
			continue
		}
		old := canonical(p.PersonFields)
		r.addExisting(p.ID, &old, &in)
	}
	for i := range existing {
		p := &existing[i]
		if _, ok := snapshot[p.ExternalID]; !ok && p.Status != models.StatusTerminated {
			r.addMissing(p, today)
		}
	}
	sort.Slice(r.Changes, func(i, j int) bool { return r.Changes[i].Fields.ExternalID < r.Changes[j].Fields.ExternalID })
	r.Dropped = droppedFields(existing, snapshot)
	for _, ch := range r.Changes {
		switch ch.Kind {
		case models.EventLeft:
			r.Losses.Leavers++
		case models.EventLeave:
			r.Losses.Leaves++
		}
	}
	return r
}

// addJoiner records a person new to this source.
func (r *Result) addJoiner(in models.PersonFields, dups identityIndex) {
	if in.Status == models.StatusTerminated {
		r.Ignored++
		return
	}
	ch := models.PersonChange{Kind: models.EventJoined, Fields: in, Diff: models.DiffFields(&models.PersonFields{}, &in)}
	if id, ok := dups.match(&in); ok {
		ch.DuplicateOfID = &id
		r.Duplicates++
	}
	r.Counts.Joiners++
	r.Changes = append(r.Changes, ch)
}

// addExisting records what happened to a person the snapshot still has.
func (r *Result) addExisting(id int64, old, in *models.PersonFields) {
	if old.Hash() == in.Hash() {
		r.Counts.Unchanged++
		return
	}
	diff := models.DiffFields(old, in)
	if len(diff) == 0 {
		// The fingerprint differs in a way no attribute shows (say, a
		// custom attribute named like a standard one): nothing to act on.
		r.Counts.Unchanged++
		return
	}
	kind := classify(old, in)
	r.count(kind)
	r.Changes = append(r.Changes, models.PersonChange{Kind: kind, PersonID: id, Fields: *in, Diff: diff})
}

// addMissing records a person the snapshot no longer has: they have left.
func (r *Result) addMissing(p *models.Person, today string) {
	old := canonical(p.PersonFields)
	left := old
	left.Status = models.StatusTerminated
	if left.TerminationDate == "" {
		left.TerminationDate = today
	}
	r.count(models.EventLeft)
	r.Changes = append(r.Changes, models.PersonChange{Kind: models.EventLeft, PersonID: p.ID, Fields: left,
		Diff: models.DiffFields(&old, &left)})
}

func (r *Result) count(kind models.EventKind) {
	switch kind {
	case models.EventRehired:
		r.Counts.Rehires++
	case models.EventLeft:
		r.Counts.Leavers++
	default: // changed, leave
		r.Counts.Movers++
	}
}

// classify names the change of a person whose record differs, the first
// matching rule winning: rehired, left, leave of absence, changed.
func classify(old, in *models.PersonFields) models.EventKind {
	wasTerminated := old.Status == models.StatusTerminated
	switch {
	case wasTerminated && in.Status != models.StatusTerminated:
		return models.EventRehired
	case in.Status == models.StatusTerminated && !wasTerminated:
		return models.EventLeft
	case old.TerminationDate == "" && in.TerminationDate != "" && in.Status != models.StatusTerminated:
		return models.EventLeft // a future leaver: HR set the last day ahead of time
	case in.Status == models.StatusLeave && old.Status != models.StatusLeave:
		return models.EventLeave
	}
	return models.EventChanged
}

// lastByExternalID indexes the snapshot in canonical form.
func lastByExternalID(incoming []models.PersonFields) map[string]models.PersonFields {
	m := make(map[string]models.PersonFields, len(incoming))
	for _, f := range incoming {
		m[f.ExternalID] = canonical(f)
	}
	return m
}

// canonical returns the form records are compared and stored in: the
// order of groups carries no meaning, and an empty custom attribute is the
// same as a missing one (Hash would otherwise tell nil from empty).
func canonical(f models.PersonFields) models.PersonFields {
	switch {
	case len(f.Groups) == 0:
		f.Groups = nil
	case !sort.StringsAreSorted(f.Groups):
		f.Groups = slices.Clone(f.Groups)
		sort.Strings(f.Groups)
	}
	if len(f.Custom) == 0 {
		f.Custom = nil
		return f
	}
	empty := 0
	for _, v := range f.Custom {
		if v == "" {
			empty++
		}
	}
	if empty == 0 {
		return f // already canonical; records are never modified in place
	}
	var custom map[string]string
	for k, v := range f.Custom {
		if v == "" {
			continue
		}
		if custom == nil {
			custom = make(map[string]string, len(f.Custom)-empty)
		}
		custom[k] = v
	}
	f.Custom = custom
	return f
}

// identityIndex finds the known person a joiner may duplicate, by the
// lowest id per work email and per phone.
type identityIndex struct {
	email map[string]int64
	phone map[string]int64
}

func newIdentityIndex(identities []models.PersonIdentity) identityIndex {
	ix := identityIndex{email: map[string]int64{}, phone: map[string]int64{}}
	for _, id := range identities {
		if e := strings.ToLower(strings.TrimSpace(id.WorkEmail)); e != "" {
			keepLowest(ix.email, e, id.ID)
		}
		if p := strings.TrimSpace(id.Phone); p != "" {
			keepLowest(ix.phone, p, id.ID)
		}
	}
	return ix
}

func keepLowest(m map[string]int64, key string, id int64) {
	if cur, ok := m[key]; !ok || id < cur {
		m[key] = id
	}
}

// match returns the person a joiner may duplicate, an email match before a
// phone match.
func (ix identityIndex) match(f *models.PersonFields) (int64, bool) {
	if e := strings.ToLower(strings.TrimSpace(f.WorkEmail)); e != "" {
		if id, ok := ix.email[e]; ok {
			return id, true
		}
	}
	if p := strings.TrimSpace(f.Phone); p != "" {
		if id, ok := ix.phone[p]; ok {
			return id, true
		}
	}
	return 0, false
}
