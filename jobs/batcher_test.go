package jobs

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// echo is a batcher whose batches double their inputs and record their
// sizes; the first batch waits for release, so the calls that arrive
// meanwhile queue behind it.
type echo struct {
	*batcher[int, int]
	sizes   chan int
	release chan struct{}
	first   atomic.Bool
}

func newEcho(max int, run func([]int) error) *echo {
	e := &echo{sizes: make(chan int, 1000), release: make(chan struct{})}
	e.batcher = &batcher[int, int]{what: "doubling", max: max, timeout: time.Minute,
		run: func(ctx context.Context, in []int) ([]int, error) {
			if e.first.CompareAndSwap(false, true) {
				<-e.release
			}
			e.sizes <- len(in)
			if run != nil {
				if err := run(in); err != nil {
					return nil, err
				}
			}
			out := make([]int, len(in))
			for i, v := range in {
				out[i] = 2 * v
			}
			return out, nil
		}}
	return e
}

// queued waits until n calls wait behind the running batch.
func (e *echo) queued(t *testing.T, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		return len(e.queue) == n
	}, 10*time.Second, time.Millisecond)
}

// doAll calls do for 1..n at once and returns each call's outcome.
func (e *echo) doAll(n int) ([]int, []error) {
	outs, errs := make([]int, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { outs[i], errs[i] = e.do(context.Background(), i+1) })
	}
	wg.Wait()
	return outs, errs
}

// Calls that arrive while a batch runs share the next batches, at most max
// each, and each gets its own output.
func TestBatcherSharesBatches(t *testing.T) {
	t.Parallel()
	e := newEcho(10, nil)
	done := make(chan struct{})
	var outs []int
	var errs []error
	go func() { outs, errs = e.doAll(31); close(done) }()
	e.queued(t, 30) // one batch runs, held, while 30 calls wait
	close(e.release)
	<-done
	for i := range outs {
		require.NoError(t, errs[i])
		require.Equal(t, 2*(i+1), outs[i])
	}
	close(e.sizes)
	var sizes []int
	for s := range e.sizes {
		sizes = append(sizes, s)
	}
	require.Equal(t, []int{1, 10, 10, 10}, sizes, "the held batch, then the 30 waiting in batches of 10")
	require.False(t, e.running, "the last runner hands over to no one")
}

// A batch's error, or its panic, is each of its calls' error, and the
// batches behind it still run.
func TestBatcherFailsOnlyTheFailingBatch(t *testing.T) {
	t.Parallel()
	for name, fail := range map[string]func([]int) error{
		"error": func(in []int) error {
			if len(in) == 5 {
				return errors.New("boom")
			}
			return nil
		},
		"panic": func(in []int) error {
			if len(in) == 5 {
				panic("boom")
			}
			return nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEcho(5, fail)
			done := make(chan struct{})
			var errs []error
			go func() { _, errs = e.doAll(8); close(done) }()
			e.queued(t, 7)
			close(e.release)
			<-done
			failed := 0
			for _, err := range errs {
				if err != nil {
					require.ErrorContains(t, err, "boom")
					failed++
				}
			}
			require.Equal(t, 5, failed, "one batch of five failed; the one before and the two after did not")
		})
	}
}
