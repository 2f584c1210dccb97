package jobs

import (
	"context"
	"sync"
	"time"
)

// appSlots bounds how many actions of each app run at once, so a slow app
// cannot starve the others. The limit is per process: with several
// replicas an app may see up to replicas × its limit concurrent calls.
type appSlots struct {
	mu    sync.Mutex
	byApp map[int64]chan struct{}
}

// acquire takes one of the app's slots, waiting up to wait for one to
// free up: a fast app's slots come back within milliseconds, and waiting
// briefly beats putting the job back for a second. A slow app's jobs give
// up after wait, so they hold workers for no longer than that. It reports
// false when all limit slots stay taken (or ctx ends); otherwise release
// gives the slot back. A limit below 1 means no limit.
func (s *appSlots) acquire(ctx context.Context, appID int64, limit int, wait time.Duration) (release func(), ok bool) {
	if limit < 1 {
		return func() {}, true
	}
	s.mu.Lock()
	if s.byApp == nil {
		s.byApp = map[int64]chan struct{}{}
	}
	ch, found := s.byApp[appID]
	if !found || cap(ch) != limit {
		// A changed limit starts afresh; holders of the old slots give
		// them back to the old channel.
		ch = make(chan struct{}, limit)
		s.byApp[appID] = ch
	}
	s.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, true
	default:
	}
	if wait <= 0 {
		return nil, false
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, true
	case <-t.C:
		return nil, false
	case <-ctx.Done():
		return nil, false
	}
}
