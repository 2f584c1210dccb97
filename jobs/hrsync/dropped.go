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
	setBefore, activeBefore := map[string]int{}, 0
	for i := range existing {
		if existing[i].Status == models.StatusTerminated {
			continue
		}
		activeBefore++
		for k, v := range existing[i].Attributes() {
			if v != "" && !unwatchedFields[k] {
				setBefore[k]++
			}
		}
	}
	watched := map[string]int{}
	for k, n := range setBefore {
		if n >= minDroppedPeople && n*2 > activeBefore {
			watched[k] = 0 // set now, counted below
		}
	}
	if len(watched) == 0 {
		return nil
	}
	activeNow := 0
	for _, f := range snapshot {
		if f.Status == models.StatusTerminated {
			continue
		}
		activeNow++
		for k, v := range f.Attributes() {
			if _, ok := watched[k]; ok && v != "" {
				watched[k]++
			}
		}
	}
	var out []DroppedField
	for k, set := range watched {
		if blank := activeNow - set; blank*2 > activeNow {
			out = append(out, DroppedField{Field: k, SetBefore: setBefore[k] * 100 / activeBefore, BlankNow: blank * 100 / activeNow})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}
