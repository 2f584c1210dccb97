package web

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"
)

// The rules editor's live preview evaluates a rule over everyone, as
// often as the admin types. previewGate keeps that from crowding out the
// rest of Roster:
//   - one preview at a time per session: a newer one cancels the one
//     still running (its answer would be out of date anyway) and starts
//     once it has stopped;
//   - at most a few across the server (half the CPUs, at least one), so
//     many editors at once queue here instead of slowing every page;
//   - each preview, queueing included, has a time limit.
type previewGate struct {
	timeout time.Duration
	slots   chan struct{}

	mu      sync.Mutex
	running map[string]*previewRun // by session token
}

type previewRun struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when the run has left the gate
}

// Preview limits, used unless Config says otherwise.
const defaultPreviewTimeout = 5 * time.Second

func defaultPreviewConcurrency() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// errPreviewBusy is a preview that waited its whole time limit for a slot.
var errPreviewBusy = errors.New("preview: every slot is busy")

func newPreviewGate(timeout time.Duration, concurrency int) *previewGate {
	if timeout <= 0 {
		timeout = defaultPreviewTimeout
	}
	if concurrency <= 0 {
		concurrency = defaultPreviewConcurrency()
	}
	return &previewGate{timeout: timeout, slots: make(chan struct{}, concurrency), running: map[string]*previewRun{}}
}

// enter admits a preview for session: it cancels and waits out the
// session's running preview, then waits for a slot. The context it
// returns ends at the time limit, or when a newer preview of the session
// arrives; leave must be called once the preview is done. The error is
// ctx's when the caller gave up or was superseded while waiting, and
// errPreviewBusy when no slot freed up in time.
func (g *previewGate) enter(ctx context.Context, session string) (context.Context, func(), error) {
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	run := &previewRun{cancel: cancel, done: make(chan struct{})}
	for {
		g.mu.Lock()
		prev := g.running[session]
		if prev == nil {
			g.running[session] = run
			g.mu.Unlock()
			break
		}
		g.mu.Unlock()
		prev.cancel()
		select {
		case <-prev.done:
		case <-ctx.Done():
			cancel()
			return nil, nil, ctx.Err()
		}
	}
	leave := func() {
		cancel()
		g.mu.Lock()
		if g.running[session] == run {
			delete(g.running, session)
		}
		g.mu.Unlock()
		close(run.done)
	}
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		leave()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, nil, errPreviewBusy
		}
		return nil, nil, ctx.Err()
	}
	return ctx, func() { <-g.slots; leave() }, nil
}
