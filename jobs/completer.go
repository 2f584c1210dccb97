package jobs

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/rosterhq/roster/models"
)

// completionBatch bounds how many successful calls one transaction
// records.
const completionBatch = 100

// completionTimeout bounds one batch's transaction.
const completionTimeout = 30 * time.Second

// completer records the execute workers' successful calls in batches, as
// a database commits a group of transactions at once: one transaction
// stores each call, completes each action (models.Store.CompleteActions)
// and settles the changes, in a fixed number of statements however many
// calls it holds. Nothing waits for a batch to fill: the worker that
// finds no batch being written writes the calls queued so far (its own
// first), and the calls that arrive meanwhile form the next batch,
// written by the first of their workers. So one worker alone gets a batch
// of one at once, and many workers share their transactions.
//
// A worker waits for its call's batch to commit, and only then returns
// to River, so a job ends only once its outcome is stored. The wait is
// bounded by completionTimeout per batch ahead of it, not by the job's
// context: a worker that left the queue early could strand the calls
// behind it.
type completer struct {
	store *models.Store

	mu      sync.Mutex
	queue   []*completion
	writing bool // a worker is writing a batch
}

// completion is one successful call waiting to be recorded.
type completion struct {
	call   *models.AppCall
	done   models.Completion
	result chan error    // the batch's outcome
	turn   chan struct{} // this worker writes the next batch
}

// record stores call and completes its action with r, in a batch with
// whatever other workers record meanwhile. An error (the batch's
// transaction failed, for any of its calls) leaves nothing recorded.
func (c *completer) record(ctx context.Context, call *models.AppCall, actionID int64, r models.AttemptResult) error {
	it := &completion{call: call, done: models.Completion{ActionID: actionID, Result: r},
		result: make(chan error, 1), turn: make(chan struct{}, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, it)
	if !c.writing {
		c.writing = true
		it.turn <- struct{}{}
	}
	c.mu.Unlock()
	select {
	case err := <-it.result:
		return err
	case <-it.turn:
	}
	// This worker's call is first in the queue: the queue is empty when
	// no one writes, and the writer hands over to the first call left.
	c.mu.Lock()
	batch := c.queue[:min(len(c.queue), completionBatch)]
	c.queue = c.queue[len(batch):]
	c.mu.Unlock()
	err := c.write(ctx, batch)
	for _, b := range batch {
		b.result <- err
	}
	c.mu.Lock()
	if len(c.queue) > 0 {
		c.queue[0].turn <- struct{}{}
	} else {
		c.writing = false
	}
	c.mu.Unlock()
	return <-it.result
}

// write records one batch in one transaction, under a context of its own:
// the batch holds other workers' calls, which must not fail because this
// worker's job was cancelled. A panic is the batch's error, so the writer
// still hands over and every worker in the batch hears back (and records
// its call alone, where a panic is its own job's).
func (c *completer) write(ctx context.Context, batch []*completion) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("jobs: recording %d calls panicked: %v", len(batch), p)
		}
	}()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), completionTimeout)
	defer cancel()
	calls := make([]*models.AppCall, len(batch))
	done := make([]models.Completion, len(batch))
	for i, b := range batch {
		calls[i], done[i] = b.call, b.done
	}
	return c.store.WithTx(ctx, func(tx *models.Store) error {
		if err := tx.RecordSuccessfulCalls(ctx, calls); err != nil {
			return err
		}
		_, err := tx.CompleteActions(ctx, runner, done, time.Now())
		return err
	})
}
