package planner

import (
	"context"
	"sync"
	"time"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
)

// sampleSize is how many matching people a preview names.
const sampleSize = 5

// PreviewMatches counts the plannable people (not terminated, or still
// holding an account) that a rule's conditions match, whatever its
// enabled flag, and names the first few. It reads the people from a
// snapshot kept between calls (see previewCache), so a preview costs one
// version query and a pass over memory rather than loading everyone. It
// gives up with ctx's error when ctx ends.
func (p *Planner) PreviewMatches(ctx context.Context, r rules.Rule) (int, []string, error) {
	snap, err := p.previews.get(ctx, p.Store)
	if err != nil {
		return 0, nil, err
	}
	orgTZ, err := p.Store.Setting(ctx, models.SettingOrgTimezone, "UTC")
	if err != nil {
		return 0, nil, err
	}
	env := rules.Env{Today: Today(p.Now(), orgTZ)}
	// The snapshot holds canonical values, so the rule's are made
	// canonical too. One small person, refilled for each: the engine
	// reads only the rule's attributes, and nothing is allocated per
	// person.
	r = rules.Canonical(r)
	keys := rules.AttributeKeys(r)
	person := rules.Person{Attributes: make(map[string]string, len(keys))}
	count, names := 0, []string{}
	for i := range snap.people {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, nil, err
			}
		}
		f := &snap.people[i]
		for _, k := range keys {
			if v, ok := f.Attribute(k); ok {
				person.Attributes[k] = v
			} else {
				delete(person.Attributes, k)
			}
		}
		person.Groups = f.Groups
		if rules.Matches(r, person, env) {
			count++
			if len(names) < sampleSize {
				names = append(names, snap.names[i])
			}
		}
	}
	return count, names, nil
}

// previewCache keeps the plannable people's fields between previews. It
// is checked against Store.PeopleVersion on each use and rebuilt when
// that moved, or when it is older than previewSnapshotTTL: a write whose
// transaction commits after a later one can leave the version as it was,
// so the version alone could keep a stale snapshot for ever. At most one
// rebuild runs at a time, and it finishes for the next caller even when
// the one that started it gives up. Values are interned, so departments,
// locations and the like are held once.
type previewCache struct {
	mu      sync.Mutex
	snap    *previewSnapshot
	loading chan struct{} // closed when the running rebuild ends
}

type previewSnapshot struct {
	version string
	builtAt time.Time
	people  []models.PersonFields // values as rules.Value gives them
	names   []string              // display names, in the same order
	err     error                 // the rebuild's failure, for the callers waiting on it
}

const (
	// previewRebuildLimit bounds one rebuild, whoever waits for it.
	previewRebuildLimit = 2 * time.Minute
	// previewSnapshotTTL is the longest a snapshot serves previews.
	previewSnapshotTTL = time.Minute
)

func (s *previewSnapshot) fresh(version string) bool {
	return s != nil && s.err == nil && s.version == version && time.Since(s.builtAt) < previewSnapshotTTL
}

func (c *previewCache) get(ctx context.Context, store *models.Store) (*previewSnapshot, error) {
	version, err := store.PeopleVersion(ctx)
	if err != nil {
		return nil, err
	}
	for {
		c.mu.Lock()
		if c.snap.fresh(version) {
			snap := c.snap
			c.mu.Unlock()
			return snap, nil
		}
		wait := c.loading
		if wait == nil {
			wait = make(chan struct{})
			c.loading = wait
			go c.rebuild(store, version, wait)
		}
		c.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		c.mu.Lock()
		snap := c.snap
		c.mu.Unlock()
		if snap != nil && snap.err != nil {
			return nil, snap.err
		}
		// Loop: the snapshot is current unless people changed meanwhile,
		// in which case the next round rebuilds again.
		if snap.fresh(version) {
			return snap, nil
		}
		if version, err = store.PeopleVersion(ctx); err != nil {
			return nil, err
		}
	}
}

func (c *previewCache) rebuild(store *models.Store, version string, done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), previewRebuildLimit)
	defer cancel()
	snap := &previewSnapshot{version: version, builtAt: time.Now()}
	snap.people, snap.names, snap.err = loadPreviewPeople(ctx, store)
	c.mu.Lock()
	c.snap, c.loading = snap, nil
	c.mu.Unlock()
	close(done)
}

func loadPreviewPeople(ctx context.Context, store *models.Store) (people []models.PersonFields, names []string, err error) {
	ids, err := store.PlannableIDs(ctx)
	if err != nil {
		return nil, nil, err
	}
	people, names = make([]models.PersonFields, 0, len(ids)), make([]string, 0, len(ids))
	in := interner{}
	for start := 0; start < len(ids); start += 5000 {
		batch, err := store.PeopleByIDs(ctx, ids[start:min(start+5000, len(ids))])
		if err != nil {
			return nil, nil, err
		}
		for i := range batch {
			names = append(names, batch[i].DisplayName())
			people = append(people, in.fields(batch[i].PersonFields))
		}
	}
	return people, names, nil
}

// interner keeps each attribute value once, as conditions compare it
// (rules.Value), so a snapshot of 100,000 people holds each department,
// title or location a single time and the engine folds nothing.
type interner map[string]string

func (in interner) s(v string) string {
	v = rules.Value(v)
	if v == "" {
		return ""
	}
	if w, ok := in[v]; ok {
		return w
	}
	in[v] = v
	return v
}

func (in interner) fields(f models.PersonFields) models.PersonFields {
	for _, p := range []*string{&f.ExternalID, &f.FirstName, &f.LastName, &f.PreferredName, &f.WorkEmail,
		&f.PersonalEmail, &f.Phone, &f.Title, &f.Department, &f.Team, &f.Division, &f.CostCenter, &f.ManagerID,
		&f.Location, &f.Country, &f.Timezone, &f.EmploymentType, &f.StartDate, &f.TerminationDate} {
		*p = in.s(*p)
	}
	f.Status = models.PersonStatus(in.s(string(f.Status)))
	if f.Groups == nil {
		f.Groups = []string{} // read as groups, never as the joined attribute
	}
	for i, g := range f.Groups {
		f.Groups[i] = in.s(g)
	}
	for k, v := range f.Custom {
		f.Custom[k] = in.s(v)
	}
	return f
}

func (p *Planner) activePeople(ctx context.Context) ([]models.Person, error) {
	ids, err := p.Store.PlannableIDs(ctx)
	if err != nil {
		return nil, err
	}
	return p.Store.PeopleByIDs(ctx, ids)
}

// RuleImpact compares desired access under the current rules with the
// rules after a change: proposed replaces (or adds) the rule with its ID;
// a nil proposed with ruleID set deletes that rule.
func (p *Planner) RuleImpact(ctx context.Context, proposed *rules.Rule, ruleID int64) (rules.Impact, error) {
	w, err := p.load(ctx)
	if err != nil {
		return rules.Impact{}, err
	}
	after := make([]rules.Rule, 0, len(w.rules)+1)
	replaced := false
	for _, r := range w.rules {
		if r.ID == ruleID && ruleID != 0 {
			replaced = true
			if proposed != nil {
				after = append(after, *proposed)
			}
			continue
		}
		after = append(after, r)
	}
	if !replaced && proposed != nil {
		after = append(after, *proposed)
	}
	people, err := p.activePeople(ctx)
	if err != nil {
		return rules.Impact{}, err
	}
	var imp rules.Impact
	afterCompiled := rules.Compile(after)
	for i := range people {
		rp := EnginePerson(&people[i].PersonFields)
		imp.Add(w.compiled.Resolve(rp, w.env), afterCompiled.Resolve(rp, w.env))
	}
	return imp, nil
}

// ExplainPerson evaluates every rule, enabled or not, for one person, and
// resolves their desired access: the person page's "which rules match and
// why".
func (p *Planner) ExplainPerson(ctx context.Context, person *models.Person) ([]rules.RuleMatch, rules.Desired, error) {
	w, err := p.load(ctx)
	if err != nil {
		return nil, rules.Desired{}, err
	}
	rp := EnginePerson(&person.PersonFields)
	all := make([]rules.RuleMatch, 0, len(w.rules))
	for _, r := range w.rules {
		all = append(all, rules.RuleMatch{RuleID: r.ID, RuleName: r.Name, Priority: r.Priority, Evaluation: rules.Evaluate(r, rp, w.env)})
	}
	return all, w.compiled.Resolve(rp, w.env), nil
}
