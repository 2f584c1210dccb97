package hrsync

import (
	"fmt"
	"sort"

	"github.com/rosterhq/roster/models"
)

// minDroppedPeople is how many people must have had a field before its
// disappearance counts as a dropped column: with fewer, a few blanks are
// as likely a real edit.
const minDroppedPeople = 5

// unwatchedFields are blank for most people by nature (termination_date),
// or never blank in a valid record.
var unwatchedFields = map[string]bool{"employee_id": true, "status": true, "termination_date": true}

// DroppedField is an HR field that was set for most of a source's people
// and is blank for most of the snapshot: the export probably lost the
// column, and applying it would read as everyone moving.
type DroppedField struct {
	Field string // the attribute (CSV column) name, e.g. department
	// SetBefore is the share of the source's active people who had it,
	// BlankNow the share of the snapshot's active records without it, in
	// whole percent rounded down.
	SetBefore int
	BlankNow  int
}

// String is the brake's reason for it.
func (d DroppedField) String() string {
	return fmt.Sprintf("“%s” is blank for %d%% of people but was set for %d%% before: the export may have dropped a column",
		d.Field, d.BlankNow, d.SetBefore)
}

// droppedFields compares the source's active people (the previous
// snapshot) with the snapshot's active records: a field set for more than
// half of the former, at least minDroppedPeople of them, and blank for
// more than half of the latter is dropped. Custom attributes count like
// standard fields.
func droppedFields(existing []models.Person, snapshot map[string]models.PersonFields) []DroppedField {
	c, activeBefore := newFieldCounts(), 0
	for i := range existing {
		if existing[i].Status == models.StatusTerminated {
			continue
		}
		activeBefore++
		c.addBefore(&existing[i].PersonFields)
	}
	for _, f := range snapshot {
		if f.Status != models.StatusTerminated {
			c.addNow(&f)
		}
	}
	return c.dropped(activeBefore)
}

// standardAttribute tells a standard attribute's name from a custom one.
var standardAttribute = func() map[string]bool {
	m := make(map[string]bool, len(models.StandardAttributes))
	for _, name := range models.StandardAttributes {
		m[name] = true
	}
	return m
}()

// fieldCounts counts, per attribute, the active people who had it set
// before and the active records that have it now, one record at a time,
// so a streamed snapshot can be checked for dropped columns without
// holding either side.
type fieldCounts struct {
	before, now map[string]int
	activeNow   int
}

func newFieldCounts() fieldCounts {
	return fieldCounts{before: map[string]int{}, now: map[string]int{}}
}

// addBefore counts an active person's stored record.
func (c *fieldCounts) addBefore(f *models.PersonFields) { countSet(c.before, f) }

// addNow counts an active record of the snapshot.
func (c *fieldCounts) addNow(f *models.PersonFields) {
	c.activeNow++
	countSet(c.now, f)
}

// addBoth counts an unchanged active person: their stored record and the
// snapshot's are the same.
func (c *fieldCounts) addBoth(f *models.PersonFields) {
	c.activeNow++
	for _, name := range models.StandardAttributes {
		if unwatchedFields[name] {
			continue
		}
		if v, _ := f.Attribute(name); v != "" {
			c.before[name]++
			c.now[name]++
		}
	}
	for k, v := range f.Custom {
		if v != "" && !standardAttribute[k] && !unwatchedFields[k] {
			c.before[k]++
			c.now[k]++
		}
	}
}

// countSet adds one to every watchable attribute f has set, as
// f.Attributes() would list them, without building that map.
func countSet(m map[string]int, f *models.PersonFields) {
	for _, name := range models.StandardAttributes {
		if unwatchedFields[name] {
			continue
		}
		if v, _ := f.Attribute(name); v != "" {
			m[name]++
		}
	}
	for k, v := range f.Custom {
		if v != "" && !standardAttribute[k] && !unwatchedFields[k] {
			m[k]++
		}
	}
}

// dropped lists the dropped fields, given how many people were active
// before.
func (c *fieldCounts) dropped(activeBefore int) []DroppedField {
	var out []DroppedField
	for k, n := range c.before {
		if n < minDroppedPeople || n*2 <= activeBefore {
			continue
		}
		if blank := c.activeNow - c.now[k]; blank*2 > c.activeNow {
			out = append(out, DroppedField{Field: k, SetBefore: n * 100 / activeBefore, BlankNow: blank * 100 / c.activeNow})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}
