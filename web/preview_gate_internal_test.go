package web

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A session runs one preview at a time: a newer one stops the running
// one and starts only once it has left.
func TestPreviewGateOnePerSession(t *testing.T) {
	t.Parallel()
	g := newPreviewGate(time.Minute, 4)
	first, leaveFirst, err := g.enter(context.Background(), "session-a")
	require.NoError(t, err)

	admitted := make(chan func())
	go func() {
		_, leave, err := g.enter(context.Background(), "session-a")
		if err == nil {
			admitted <- leave
		}
	}()
	<-first.Done() // the newer preview cancelled the running one
	require.ErrorIs(t, first.Err(), context.Canceled)
	select {
	case <-admitted:
		t.Fatal("the newer preview started before the older one left")
	default:
	}
	leaveFirst()
	leaveSecond := <-admitted
	leaveSecond()

	// Another session is not held up by session-a.
	_, leave, err := g.enter(context.Background(), "session-b")
	require.NoError(t, err)
	leave()
}

// Across sessions, previews beyond the slots wait, and give up as busy
// at the time limit instead of piling onto the CPUs.
func TestPreviewGateSlots(t *testing.T) {
	t.Parallel()
	g := newPreviewGate(50*time.Millisecond, 1)
	_, leaveA, err := g.enter(context.Background(), "a")
	require.NoError(t, err)
	_, _, err = g.enter(context.Background(), "b")
	require.ErrorIs(t, err, errPreviewBusy)
	leaveA()
	ctx, leaveB, err := g.enter(context.Background(), "b")
	require.NoError(t, err, "a freed slot is taken")
	deadline, ok := ctx.Deadline()
	require.True(t, ok, "each preview has a time limit")
	require.WithinDuration(t, time.Now().Add(50*time.Millisecond), deadline, 50*time.Millisecond)
	leaveB()
	require.Empty(t, g.running, "nothing is left behind")
	require.Zero(t, len(g.slots))
}

// A caller that goes away while queued leaves nothing held.
func TestPreviewGateCallerGone(t *testing.T) {
	t.Parallel()
	g := newPreviewGate(time.Minute, 1)
	_, leaveA, err := g.enter(context.Background(), "a")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = g.enter(ctx, "b")
	require.ErrorIs(t, err, context.Canceled)
	leaveA()
	g.mu.Lock()
	defer g.mu.Unlock()
	require.Empty(t, g.running)
}
