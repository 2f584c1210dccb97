package hrsync_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/hrsync"
	"github.com/rosterhq/roster/models"
)

func TestBrake(t *testing.T) {
	t.Parallel()
	defaults := &models.Source{Brake: models.DefaultBrake()}
	custom := func(people, percent, revocations int) *models.Source {
		return &models.Source{Brake: models.BrakeThresholds{People: people, Percent: percent, Revocations: revocations}}
	}
	leavers := func(n, active int) hrsync.Result {
		return hrsync.Result{Counts: models.SyncCounts{Leavers: n}, Losses: hrsync.Losses{Leavers: n}, ActiveBefore: active}
	}
	losses := func(l hrsync.Losses, active int) hrsync.Result {
		return hrsync.Result{Losses: l, ActiveBefore: active}
	}
	department := hrsync.DroppedField{Field: "department", SetBefore: 97, BlankNow: 98}
	tests := []struct {
		name     string
		src      *models.Source
		incoming int
		result   hrsync.Result
		held     bool
		reason   string
	}{
		{name: "no losses", src: defaults, incoming: 10, result: leavers(0, 10)},

		// Each threshold holds on its own.
		{name: "9,999 leavers of 100,000 are held by the count alone", src: defaults, incoming: 90001, result: leavers(9999, 100000), held: true,
			reason: "9,999 people would lose access (9,999 leavers), 9% of 100,000 active people; the brake holds at 500 people or 10%"},
		{name: "500 of 100,000 reach the count", src: defaults, incoming: 99500, result: leavers(500, 100000), held: true,
			reason: "500 people would lose access (500 leavers), under 1% of 100,000 active people; the brake holds at 500 people or 10%"},
		{name: "499 of 100,000 pass", src: defaults, incoming: 99501, result: leavers(499, 100000)},
		{name: "6 of 50 are held by the percentage alone", src: defaults, incoming: 44, result: leavers(6, 50), held: true,
			reason: "6 people would lose access (6 leavers), 12% of 50 active people; the brake holds at 500 people or 10%"},
		{name: "5 of 50 reach 10%", src: defaults, incoming: 45, result: leavers(5, 50), held: true,
			reason: "5 people would lose access (5 leavers), 10% of 50 active people; the brake holds at 500 people or 10%"},
		{name: "4 of 50 pass", src: defaults, incoming: 46, result: leavers(4, 50)},
		{name: "the percentage holds no fewer than 3 people", src: defaults, incoming: 8, result: leavers(2, 10)},
		{name: "3 of 10 are held by the percentage", src: defaults, incoming: 7, result: leavers(3, 10), held: true,
			reason: "3 people would lose access (3 leavers), 30% of 10 active people; the brake holds at 500 people or 10%"},
		{name: "a people threshold under 3 lowers the floor", src: custom(2, 10, 100), incoming: 8, result: leavers(2, 10), held: true,
			reason: "2 people would lose access (2 leavers), 20% of 10 active people; the brake holds at 2 people or 10%"},
		{name: "5,000 revocations are held by themselves", src: defaults, incoming: 100000, result: losses(hrsync.Losses{Movers: 3, Revocations: 5000}, 100000), held: true,
			reason: "5,000 grants and accounts would be taken away; the brake holds at 5,000"},
		{name: "4,999 revocations pass", src: defaults, incoming: 100000, result: losses(hrsync.Losses{Movers: 3, Revocations: 4999}, 100000)},

		// Who loses access: movers losing grants and leaves count like leavers.
		{name: "movers losing grants are counted", src: defaults, incoming: 50, result: losses(hrsync.Losses{Movers: 6, Revocations: 6}, 50), held: true,
			reason: "6 people would lose access (6 movers losing grants), 12% of 50 active people; the brake holds at 500 people or 10%"},
		{name: "leaves of absence are counted", src: defaults, incoming: 50, result: losses(hrsync.Losses{Leaves: 5}, 50), held: true,
			reason: "5 people would lose access (5 going on leave), 10% of 50 active people; the brake holds at 500 people or 10%"},
		{name: "every kind adds up", src: defaults, incoming: 1000, result: losses(hrsync.Losses{Leavers: 42, Leaves: 3, Movers: 270, Revocations: 1200}, 1000), held: true,
			reason: "315 people would lose access (42 leavers, 3 going on leave, 270 movers losing grants), 31% of 1,000 active people; the brake holds at 500 people or 10%"},

		// A normal day is not held, small or large.
		{name: "normal day of 50 people", src: defaults, incoming: 50, result: losses(hrsync.Losses{Leavers: 1, Movers: 1, Revocations: 9}, 50)},
		{name: "normal day of 100,000 people", src: defaults, incoming: 100000, result: losses(hrsync.Losses{Leavers: 80, Leaves: 20, Movers: 150, Revocations: 2400}, 100000)},

		{name: "custom thresholds", src: custom(20, 50, 100), incoming: 80, result: leavers(20, 100), held: true,
			reason: "20 people would lose access (20 leavers), 20% of 100 active people; the brake holds at 20 people or 50%"},
		{name: "custom thresholds pass", src: custom(21, 50, 100), incoming: 80, result: losses(hrsync.Losses{Leavers: 20, Revocations: 99}, 100)},
		{name: "both limits in one reason", src: custom(1, 0, 1), incoming: 1, result: losses(hrsync.Losses{Movers: 1, Revocations: 2}, 1), held: true,
			reason: "1 person would lose access (1 mover losing grants), 100% of 1 active person; the brake holds at 1 person or 0%; and " +
				"2 grants and accounts would be taken away; the brake holds at 1"},
		{name: "zero thresholds hold a single leaver", src: custom(0, 0, 0), incoming: 9, result: leavers(1, 10), held: true,
			reason: "1 person would lose access (1 leaver), 10% of 10 active people; the brake holds at 0 people or 0%"},
		{name: "zero thresholds without losses", src: custom(0, 0, 0), incoming: 9, result: leavers(0, 9)},
		{name: "100% holds only everyone", src: custom(models.MaxBrakeCount, 100, models.MaxBrakeCount), incoming: 1, result: leavers(9, 10)},

		{name: "a dropped column is held", src: defaults, incoming: 100, result: hrsync.Result{Dropped: []hrsync.DroppedField{department}, ActiveBefore: 100}, held: true,
			reason: "“department” is blank for 98% of people but was set for 97% before: the export may have dropped a column"},
		{name: "a dropped column and its losses", src: defaults, incoming: 100,
			result: hrsync.Result{Dropped: []hrsync.DroppedField{department}, Losses: hrsync.Losses{Movers: 60, Revocations: 60}, ActiveBefore: 100}, held: true,
			reason: "“department” is blank for 98% of people but was set for 97% before: the export may have dropped a column; and " +
				"60 people would lose access (60 movers losing grants), 60% of 100 active people; the brake holds at 500 people or 10%"},

		{name: "empty snapshot with people is held", src: defaults, incoming: 0, result: leavers(3, 3), held: true,
			reason: "the source returned nobody, but it has 3 active people"},
		{name: "empty snapshot with one person is held", src: custom(100, 100, 100), incoming: 0, result: leavers(1, 1), held: true,
			reason: "the source returned nobody, but it has 1 active person"},
		{name: "empty snapshot of an empty source", src: defaults, incoming: 0, result: leavers(0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			held, reason := hrsync.Brake(tt.src, tt.incoming, tt.result)
			require.Equal(t, tt.held, held)
			require.Equal(t, tt.reason, reason)
		})
	}
}

// A previous snapshot's column that comes back blank for most people is
// a dropped column; a few blanks, a column few people had, or a source
// with fewer than five people who had it, are not.
func TestDetectDroppedField(t *testing.T) {
	t.Parallel()
	existing := func(n int, edits ...func(*models.PersonFields)) []models.Person {
		out := make([]models.Person, n)
		for i := range out {
			out[i] = stored(int64(i+1), rec(fmt.Sprintf("E%03d", i+1), edits...))
		}
		return out
	}
	snapshot := func(n, blank int, edit func(*models.PersonFields)) []models.PersonFields {
		out := make([]models.PersonFields, n)
		for i := range out {
			out[i] = rec(fmt.Sprintf("E%03d", i+1))
			if i < blank {
				edit(&out[i])
			}
		}
		return out
	}
	noDepartment := func(f *models.PersonFields) { f.Department = "" }
	noShirt := func(f *models.PersonFields) { f.Custom = nil }
	tests := []struct {
		name     string
		existing []models.Person
		incoming []models.PersonFields
		want     []hrsync.DroppedField
	}{
		{name: "department gone for everyone", existing: existing(40), incoming: snapshot(40, 40, noDepartment),
			want: []hrsync.DroppedField{{Field: "department", SetBefore: 100, BlankNow: 100}}},
		{name: "department gone for 21 of 40", existing: existing(40), incoming: snapshot(40, 21, noDepartment),
			want: []hrsync.DroppedField{{Field: "department", SetBefore: 100, BlankNow: 52}}},
		{name: "department gone for 20 of 40 is half, not most", existing: existing(40), incoming: snapshot(40, 20, noDepartment)},
		{name: "a custom column gone", existing: existing(10), incoming: snapshot(10, 10, noShirt),
			want: []hrsync.DroppedField{{Field: "shirt", SetBefore: 100, BlankNow: 100}}},
		{name: "four people are too few to tell", existing: existing(4), incoming: snapshot(4, 4, noDepartment)},
		{name: "a column few people had", existing: append(existing(7, noDepartment), existing(6)...), incoming: snapshot(13, 13, noDepartment)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for i := range tt.existing {
				tt.existing[i].ID = int64(i + 1)
				tt.existing[i].ExternalID = fmt.Sprintf("E%03d", i+1)
			}
			r := hrsync.Detect(tt.existing, tt.incoming, nil, today)
			require.Equal(t, tt.want, r.Dropped)
		})
	}
}
