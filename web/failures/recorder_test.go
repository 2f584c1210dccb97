package failures_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/web/failures"
)

// trail is an in-memory audit trail.
type trail struct {
	mu     sync.Mutex
	events []event
	fail   bool
}

type event struct {
	actor models.Actor
	entry models.AuditEntry
}

func (t *trail) Audit(_ context.Context, actor models.Actor, e models.AuditEntry) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fail {
		return errors.New("database down")
	}
	t.events = append(t.events, event{actor, e})
	return nil
}

func (t *trail) written() []event {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]event(nil), t.events...)
}

func (t *trail) setFail(fail bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fail = fail
}

// clock is a settable time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var start = time.Date(2026, 12, 2, 17, 47, 10, 0, time.UTC)

func newRecorder(t *testing.T, opts failures.Options) (*failures.Recorder, *trail, *clock) {
	t.Helper()
	tr, clk := &trail{}, &clock{now: start}
	opts.Now, opts.Tick = clk.Now, time.Millisecond
	r := failures.New(tr, opts)
	t.Cleanup(func() { _ = r.Close(context.Background()) })
	return r, tr, clk
}

func junkLink(ip string) failures.Failure {
	return failures.Failure{Action: models.ActionSignInFailed, Actor: models.Actor{Email: "unknown", IP: ip, RequestID: "req"},
		SubjectType: "admin", Reason: "invalid sign-in link"}
}

func after(e event) map[string]any { return e.entry.After.(map[string]any) }

func TestRecordCollapsesAMinute(t *testing.T) {
	t.Parallel()
	r, tr, clk := newRecorder(t, failures.Options{})
	ctx := context.Background()
	for range 200 {
		require.NoError(t, r.Record(ctx, junkLink("203.0.113.9")))
	}
	first := tr.written()
	require.Len(t, first, 1, "the first is written at once, the rest counted")
	require.Equal(t, map[string]any{"reason": "invalid sign-in link"}, after(first[0]))
	require.Equal(t, "203.0.113.9", first[0].actor.IP)

	clk.advance(time.Minute)
	require.Eventually(t, func() bool { return len(tr.written()) == 2 }, 5*time.Second, time.Millisecond,
		"the count is written when the minute closes")
	sum := tr.written()[1]
	require.Equal(t, map[string]any{"reason": "invalid sign-in link", "count": 200, "window": "2026-12-02T17:47:00Z"}, after(sum))
	require.Equal(t, models.Actor{Email: "unknown", IP: "203.0.113.9", RequestID: "req"}, sum.actor)
	require.Equal(t, models.ActionSignInFailed, sum.entry.Action)

	// The next minute starts afresh.
	require.NoError(t, r.Record(ctx, junkLink("203.0.113.9")))
	require.Len(t, tr.written(), 3)
}

func TestRecordKeepsKindsApart(t *testing.T) {
	t.Parallel()
	r, tr, _ := newRecorder(t, failures.Options{})
	ctx := context.Background()
	other := junkLink("203.0.113.9")
	other.Reason = "no sign-in in progress"
	tried := junkLink("203.0.113.9")
	tried.Actor.Email, tried.SubjectLabel = "sam@example.com", "sam@example.com"
	for _, f := range []failures.Failure{junkLink("203.0.113.9"), junkLink("203.0.113.10"), other, tried} {
		require.NoError(t, r.Record(ctx, f))
		require.NoError(t, r.Record(ctx, f))
	}
	require.Len(t, tr.written(), 4, "each address, reason and email is its own kind")
	require.NoError(t, r.Close(ctx))
	require.Len(t, tr.written(), 8)
	for _, e := range tr.written()[4:] {
		require.Equal(t, 2, after(e)["count"])
	}
}

func TestRecordLoneFailureHasNoCount(t *testing.T) {
	t.Parallel()
	r, tr, clk := newRecorder(t, failures.Options{})
	require.NoError(t, r.Record(context.Background(), junkLink("203.0.113.9")))
	clk.advance(time.Minute)
	require.NoError(t, r.Record(context.Background(), junkLink("198.51.100.1"))) // a kind in the new window
	require.NoError(t, r.Close(context.Background()))
	require.Len(t, tr.written(), 2, "no count event for a failure that happened once")
	for _, e := range tr.written() {
		require.NotContains(t, after(e), "count")
	}
}

func TestRecordFoldsOverTheCap(t *testing.T) {
	t.Parallel()
	r, tr, _ := newRecorder(t, failures.Options{MaxKeys: 2})
	ctx := context.Background()
	for i := range 5 {
		require.NoError(t, r.Record(ctx, junkLink(fmt.Sprintf("203.0.113.%d", i))))
	}
	require.Len(t, tr.written(), 2, "only the first two kinds are tracked")
	require.NoError(t, r.Close(ctx))
	events := tr.written()
	require.Len(t, events, 3)
	many := events[2]
	require.Equal(t, 3, after(many)["count"], "the rest are counted together, not dropped")
	require.Equal(t, true, after(many)["many_addresses"])
	require.Empty(t, many.actor.IP)
	require.Equal(t, models.ActionSignInFailed, many.entry.Action)
}

func TestRecordAfterClose(t *testing.T) {
	t.Parallel()
	r, tr, _ := newRecorder(t, failures.Options{})
	ctx := context.Background()
	require.NoError(t, r.Record(ctx, junkLink("203.0.113.9")))
	require.NoError(t, r.Record(ctx, junkLink("203.0.113.9")))
	require.NoError(t, r.Close(ctx))
	require.Len(t, tr.written(), 2, "Close writes the open window's count")
	require.NoError(t, r.Close(ctx), "Close twice is harmless")
	require.NoError(t, r.Record(ctx, junkLink("203.0.113.9")))
	require.Len(t, tr.written(), 3, "after Close every failure is written at once")
}

func TestRecordFirstWriteFails(t *testing.T) {
	t.Parallel()
	r, tr, _ := newRecorder(t, failures.Options{})
	ctx := context.Background()
	tr.setFail(true)
	require.Error(t, r.Record(ctx, junkLink("203.0.113.9")))
	tr.setFail(false)
	require.NoError(t, r.Record(ctx, junkLink("203.0.113.9")))
	require.NoError(t, r.Close(ctx))
	events := tr.written()
	require.Len(t, events, 1)
	require.Equal(t, 2, after(events[0])["count"], "the count event carries the failure that was not written")
}
