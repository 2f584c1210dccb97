package hrsync_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/hrsync"
	"github.com/rosterhq/roster/models"
)

func TestBrake(t *testing.T) {
	t.Parallel()
	defaults := &models.Source{BrakeMinLeavers: models.DefaultBrakeMinLeavers, BrakePercent: models.DefaultBrakePercent}
	result := func(leavers, active int) hrsync.Result {
		return hrsync.Result{Counts: models.SyncCounts{Leavers: leavers}, ActiveBefore: active}
	}
	tests := []struct {
		name     string
		src      *models.Source
		incoming int
		result   hrsync.Result
		held     bool
		reason   string
	}{
		{name: "no leavers", src: defaults, incoming: 10, result: result(0, 10)},
		{name: "5 of 10 is not more than 5 people", src: defaults, incoming: 5, result: result(5, 10)},
		{name: "6 of 100 is not more than 10%", src: defaults, incoming: 94, result: result(6, 100)},
		{name: "6 of 60 is not more than 10%", src: defaults, incoming: 54, result: result(6, 60)},
		{name: "6 of 50 is held", src: defaults, incoming: 44, result: result(6, 50), held: true,
			reason: "6 leavers is more than 5 people and more than 10% of 50 active people"},
		{name: "42 of 300 is held", src: defaults, incoming: 258, result: result(42, 300), held: true,
			reason: "42 leavers is more than 5 people and more than 10% of 300 active people"},
		{name: "custom: 20 of 100 under 20 people", src: &models.Source{BrakeMinLeavers: 20, BrakePercent: 5}, incoming: 80, result: result(20, 100)},
		{name: "custom: 21 of 100 held", src: &models.Source{BrakeMinLeavers: 20, BrakePercent: 5}, incoming: 79, result: result(21, 100), held: true,
			reason: "21 leavers is more than 20 people and more than 5% of 100 active people"},
		{name: "custom: 30 of 100 under 50%", src: &models.Source{BrakeMinLeavers: 1, BrakePercent: 50}, incoming: 70, result: result(30, 100)},
		{name: "zero thresholds hold a single leaver", src: &models.Source{}, incoming: 9, result: result(1, 1), held: true,
			reason: "1 leaver is more than 0 people and more than 0% of 1 active person"},
		{name: "zero thresholds without leavers", src: &models.Source{}, incoming: 9, result: result(0, 9)},
		{name: "100% never holds", src: &models.Source{BrakeMinLeavers: 0, BrakePercent: 100}, incoming: 1, result: result(10, 10)},
		{name: "empty snapshot with people is held", src: defaults, incoming: 0, result: result(3, 3), held: true,
			reason: "the source returned nobody, but it has 3 active people"},
		{name: "empty snapshot with one person is held", src: &models.Source{BrakeMinLeavers: 100, BrakePercent: 100}, incoming: 0, result: result(1, 1), held: true,
			reason: "the source returned nobody, but it has 1 active person"},
		{name: "empty snapshot of an empty source", src: defaults, incoming: 0, result: result(0, 0)},
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
