package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestAcquireWaitsBrieflyForASlot checks that a worker gets a slot freed
// while it waits, gives up after its patience when none is, and never
// holds more slots than the limit.
func TestAcquireWaitsBrieflyForASlot(t *testing.T) {
	t.Parallel()
	var s appSlots
	ctx := context.Background()
	release, ok := s.acquire(ctx, 1, 1, 0)
	require.True(t, ok)

	_, ok = s.acquire(ctx, 1, 1, 20*time.Millisecond)
	require.False(t, ok, "the only slot is taken and nobody gives it back")

	got := make(chan bool)
	go func() {
		r, ok := s.acquire(ctx, 1, 1, time.Minute)
		if ok {
			defer r()
		}
		got <- ok
	}()
	release()
	require.True(t, <-got, "a slot freed during the wait is taken")

	other, ok := s.acquire(ctx, 2, 1, 0)
	require.True(t, ok, "apps have slots of their own")
	other()

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	hold, ok := s.acquire(ctx, 3, 1, 0)
	require.True(t, ok)
	defer hold()
	_, ok = s.acquire(cancelled, 3, 1, time.Minute)
	require.False(t, ok, "a cancelled job stops waiting")
}
