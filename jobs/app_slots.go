package jobs

import "sync"

// appSlots bounds how many actions of each app run at once, so a slow app
// cannot starve the others. The limit is per process: with several
// replicas an app may see up to replicas × its limit concurrent calls.
type appSlots struct {
	mu    sync.Mutex
	byApp map[int64]chan struct{}
}

// tryAcquire takes one of the app's slots without waiting. It reports
// false when all limit slots are taken; otherwise release gives the slot
// back. A limit below 1 means no limit.
func (s *appSlots) tryAcquire(appID int64, limit int) (release func(), ok bool) {
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
		return nil, false
	}
}
