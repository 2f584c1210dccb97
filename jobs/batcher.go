package jobs

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// batcher runs the execute workers' statements in batches, as a database
// commits a group of transactions at once: the calls that arrive while
// one batch runs form the next, and one statement (or transaction) serves
// them all. Nothing waits for a batch to fill: the worker that finds no
// batch running runs the calls queued so far (its own first, at most max),
// and the calls that arrive meanwhile form the next batch, run by the
// first of their workers. So one worker alone gets a batch of one at
// once, and many workers share their statements.
//
// A worker waits for its call's batch to finish, and only then goes on.
// The wait is bounded by timeout per batch ahead of it, not by the job's
// context: a worker that left the queue early could strand the calls
// behind it, and a batch holds other workers' calls, which must not fail
// because one job was cancelled.
type batcher[In, Out any] struct {
	what    string        // for errors: "recording 12 calls"
	max     int           // calls in one batch
	timeout time.Duration // bound of one batch
	// run does the work of a batch and returns one output per input, in
	// order; an error is every call's.
	run func(ctx context.Context, in []In) ([]Out, error)

	mu      sync.Mutex
	queue   []*batchCall[In, Out]
	running bool // a worker is running a batch
}

// batchCall is one call waiting for its batch.
type batchCall[In, Out any] struct {
	in   In
	out  Out
	err  error
	done chan struct{} // closed once out and err are set
	turn chan struct{} // this worker runs the next batch
}

// do runs in within a batch and returns its output.
func (b *batcher[In, Out]) do(ctx context.Context, in In) (Out, error) {
	c := &batchCall[In, Out]{in: in, done: make(chan struct{}), turn: make(chan struct{}, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, c)
	if !b.running {
		b.running = true
		c.turn <- struct{}{}
	}
	b.mu.Unlock()
	select {
	case <-c.done:
		return c.out, c.err
	case <-c.turn:
	}
	// This worker's call is first in the queue: the queue is empty when
	// no one runs a batch, and the runner hands over to the first call
	// left.
	b.mu.Lock()
	batch := b.queue[:min(len(b.queue), b.max)]
	b.queue = b.queue[len(batch):]
	b.mu.Unlock()
	b.runBatch(ctx, batch)
	b.mu.Lock()
	if len(b.queue) > 0 {
		b.queue[0].turn <- struct{}{}
	} else {
		b.running = false
	}
	b.mu.Unlock()
	return c.out, c.err
}

// runBatch runs one batch under a context of its own and hands each call
// its outcome. A panic is the batch's error, so the runner still hands
// over and every worker in the batch hears back.
func (b *batcher[In, Out]) runBatch(ctx context.Context, batch []*batchCall[In, Out]) {
	in := make([]In, len(batch))
	for i, c := range batch {
		in[i] = c.in
	}
	out, err := b.runSafely(ctx, in)
	if err == nil && len(out) != len(in) {
		err = fmt.Errorf("jobs: %s %d: %d outcomes", b.what, len(in), len(out))
	}
	for i, c := range batch {
		if err != nil {
			c.err = err
		} else {
			c.out = out[i]
		}
		close(c.done)
	}
}

func (b *batcher[In, Out]) runSafely(ctx context.Context, in []In) (out []Out, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("jobs: %s %d panicked: %v", b.what, len(in), p)
		}
	}()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.timeout)
	defer cancel()
	return b.run(ctx, in)
}
