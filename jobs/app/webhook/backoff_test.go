package webhook

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// fixed returns a "random" source that always says f.
func fixed(f float64) func() float64 { return func() float64 { return f } }

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	t.Parallel()
	// The table in docs/webhooks.md ("When Roster tries again").
	tests := []struct {
		attempt  int
		shortest time.Duration
		longest  time.Duration
	}{
		{1, 7500 * time.Millisecond, 10 * time.Second},
		{2, 15 * time.Second, 20 * time.Second},
		{3, 30 * time.Second, 40 * time.Second},
		{4, 60 * time.Second, 80 * time.Second},
		{5, 120 * time.Second, 160 * time.Second},
		{6, 240 * time.Second, 320 * time.Second},
		{7, 480 * time.Second, 640 * time.Second},
		{8, 960 * time.Second, 1280 * time.Second},
		{9, 1920 * time.Second, 2560 * time.Second},
		{10, 45 * time.Minute, time.Hour},
		{25, 45 * time.Minute, time.Hour},
		{64, 45 * time.Minute, time.Hour},
		{1 << 30, 45 * time.Minute, time.Hour},
	}
	previousLongest := time.Duration(0)
	for _, tt := range tests {
		longest := Backoff(tt.attempt, Result{Retry: true}, fixed(0))
		shortest := Backoff(tt.attempt, Result{Retry: true}, fixed(1))
		assert.Equal(t, tt.longest, longest, "attempt %d, longest", tt.attempt)
		assert.Equal(t, tt.shortest, shortest, "attempt %d, shortest", tt.attempt)
		if tt.attempt <= 9 {
			assert.Greater(t, shortest, previousLongest, "attempt %d waits longer than any wait before it", tt.attempt)
		}
		previousLongest = longest
	}
}

func TestBackoffJitter(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 35*time.Second, Backoff(3, Result{}, fixed(0.5)))
	assert.Equal(t, 10*time.Second, Backoff(0, Result{}, fixed(0)), "attempt 0 counts as the first")
	assert.Equal(t, 10*time.Second, Backoff(-3, Result{}, fixed(0)))
	assert.Equal(t, 10*time.Second, Backoff(1, Result{}, fixed(-2)), "a source out of range is clamped")
	assert.Equal(t, 7500*time.Millisecond, Backoff(1, Result{}, fixed(7)))
	seen := map[time.Duration]bool{}
	for range 50 {
		d := Backoff(4, Result{}, nil)
		assert.GreaterOrEqual(t, d, 60*time.Second)
		assert.LessOrEqual(t, d, 80*time.Second)
		seen[d] = true
	}
	assert.Greater(t, len(seen), 1, "nil means math/rand")
}

func TestBackoffHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		attempt    int
		retryAfter time.Duration
		want       time.Duration
	}{
		{"longer than the backoff", 1, 2 * time.Minute, 2 * time.Minute},
		{"shorter than the backoff", 9, 30 * time.Second, 30 * time.Second},
		{"no jitter on a receiver's wish", 3, 45 * time.Second, 45 * time.Second},
		{"at least a second", 5, 200 * time.Millisecond, time.Second},
		{"at most an hour", 1, 3 * time.Hour, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, Backoff(tt.attempt, Result{Retry: true, RetryAfter: tt.retryAfter}, fixed(0.9)))
		})
	}
}
