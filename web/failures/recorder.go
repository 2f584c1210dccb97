// Package failures audits refused unauthenticated requests (sign-ins now,
// SCIM authentication later) so that a flood of them cannot flood the
// append-only audit trail: identical failures from one client address are
// written as at most two events a minute.
//
// The first failure of its kind (action, address, claimed email, subject
// and reason) in a minute is written at once, so a lone refusal shows up
// immediately. Further ones in that minute are only counted; when the
// minute is over, one more event carries the minute's total in
// After["count"] and the minute's start in After["window"]. Rows are only
// ever added, never updated.
//
// Counts live in memory, per replica, up to Options.MaxKeys kinds at a
// time; past that, new kinds are folded into one "many addresses" event
// per action and minute instead of being dropped. Close writes what is
// still counted, so a shutdown loses nothing.
package failures

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/rosterhq/roster/models"
)

// Defaults for the zero Options.
const (
	DefaultWindow  = time.Minute
	DefaultMaxKeys = 1000
	DefaultTick    = 10 * time.Second
)

// Failure is one refused request.
type Failure struct {
	Action string
	// Actor is who the request claimed to be (Email; "unknown" if nobody)
	// and where it came from (IP, RequestID).
	Actor        models.Actor
	SubjectType  string
	SubjectLabel string
	Reason       string
}

// Auditor appends to the audit trail; *models.Store is one.
type Auditor interface {
	Audit(ctx context.Context, actor models.Actor, e models.AuditEntry) error
}

// Options tune a Recorder; zero fields take the defaults.
type Options struct {
	Window  time.Duration    // failures are counted per window (default a minute)
	MaxKeys int              // kinds of failure counted at once before folding
	Tick    time.Duration    // how often closed windows are written
	Now     func() time.Time // the clock, for tests
	Logger  *slog.Logger     // where failed writes of counts are reported
}

// Recorder collapses repeated failures; it is safe for concurrent use.
type Recorder struct {
	audit  Auditor
	opts   Options
	mu     sync.Mutex
	counts map[key]*tally
	closed bool

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// key is what makes two failures identical. A zero IP with many set is
// the fold of every kind of this action over the cap.
type key struct {
	window                                          time.Time
	action, ip, email, subjectType, subject, reason string
	many                                            bool
}

type tally struct {
	count     int  // failures in the window, the one written at once included
	written   bool // the first one was written at once
	requestID string
}

// New starts a Recorder that writes closed windows every opts.Tick until
// Close.
func New(a Auditor, opts Options) *Recorder {
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.MaxKeys <= 0 {
		opts.MaxKeys = DefaultMaxKeys
	}
	if opts.Tick <= 0 {
		opts.Tick = DefaultTick
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Recorder{audit: a, opts: opts, counts: map[key]*tally{}, stop: make(chan struct{}), done: make(chan struct{})}
	go r.run()
	return r
}

// Record audits one failure: written at once if it is the first of its
// kind in this window, otherwise counted. After Close every failure is
// written at once.
func (r *Recorder) Record(ctx context.Context, f Failure) error {
	k := key{window: r.opts.Now().UTC().Truncate(r.opts.Window), action: f.Action, ip: f.Actor.IP, email: f.Actor.Email,
		subjectType: f.SubjectType, subject: f.SubjectLabel, reason: f.Reason}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return r.audit.Audit(ctx, f.Actor, f.entry(nil))
	}
	if t, ok := r.counts[k]; ok {
		t.count++
		t.requestID = f.Actor.RequestID
		r.mu.Unlock()
		return nil
	}
	if len(r.counts) >= r.opts.MaxKeys {
		r.fold(k, f.Actor.RequestID)
		r.mu.Unlock()
		return nil
	}
	t := &tally{count: 1, written: true, requestID: f.Actor.RequestID}
	r.counts[k] = t
	r.mu.Unlock()
	if err := r.audit.Audit(ctx, f.Actor, f.entry(nil)); err != nil {
		// Not written: the window's count event will carry it instead.
		r.mu.Lock()
		t.written = false
		r.mu.Unlock()
		return err
	}
	return nil
}

// fold counts a failure in its action's "many addresses" tally. There is
// one per action and window, so the map stays bounded.
func (r *Recorder) fold(k key, requestID string) {
	many := key{window: k.window, action: k.action, many: true}
	t, ok := r.counts[many]
	if !ok {
		t = &tally{}
		r.counts[many] = t
	}
	t.count++
	t.requestID = requestID
}

// Close stops the ticker and writes every count still held, closed
// window or not. It is safe to call more than once.
func (r *Recorder) Close(ctx context.Context) error {
	var err error
	r.closeOnce.Do(func() {
		close(r.stop)
		<-r.done
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
		err = r.flush(ctx, true)
	})
	return err
}

func (r *Recorder) run() {
	defer close(r.done)
	t := time.NewTicker(r.opts.Tick)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			if err := r.flush(context.Background(), false); err != nil {
				r.opts.Logger.Error("audit repeated failures", "error", err)
			}
		}
	}
}

// flush writes the count events of closed windows (all: every window)
// and forgets them.
func (r *Recorder) flush(ctx context.Context, all bool) error {
	current := r.opts.Now().UTC().Truncate(r.opts.Window)
	type due struct {
		key
		tally
	}
	var out []due
	r.mu.Lock()
	for k, t := range r.counts {
		if !all && !k.window.Before(current) {
			continue
		}
		delete(r.counts, k)
		if t.count > 1 || !t.written {
			out = append(out, due{k, *t})
		}
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b due) int { return a.window.Compare(b.window) })
	var errs []error
	for _, d := range out {
		actor, entry := d.summary(d.tally)
		errs = append(errs, r.audit.Audit(ctx, actor, entry))
	}
	return errors.Join(errs...)
}

// summary is the event that carries a window's count.
func (k key) summary(t tally) (models.Actor, models.AuditEntry) {
	counted := map[string]any{"count": t.count, "window": k.window.Format(time.RFC3339)}
	if k.many {
		counted["many_addresses"] = true
		f := Failure{Action: k.action, Actor: models.Actor{Email: "unknown", RequestID: t.requestID},
			Reason: "many kinds at once, from many addresses: counted together"}
		return f.Actor, f.entry(counted)
	}
	f := Failure{Action: k.action, Actor: models.Actor{Email: k.email, IP: k.ip, RequestID: t.requestID},
		SubjectType: k.subjectType, SubjectLabel: k.subject, Reason: k.reason}
	return f.Actor, f.entry(counted)
}

// entry is the audit entry for f, with extra fields in After.
func (f Failure) entry(extra map[string]any) models.AuditEntry {
	after := map[string]any{"reason": f.Reason}
	maps.Copy(after, extra)
	return models.AuditEntry{Action: f.Action, SubjectType: f.SubjectType, SubjectLabel: f.SubjectLabel, After: after}
}
