package jobs

import (
	"context"

	"github.com/rosterhq/roster/models"
)

// OrderWait exposes the default ordering wait to the external tests.
var OrderWait = orderWait

// NewDriver and Queues expose the client's driver and queue configuration
// to the benchmarks' River floor, so the floor runs as Roster does.
var (
	NewDriver = newDriver
	Queues    = queues
)

// StartBatch runs one batch of the execute workers' starter.
func StartBatch(ctx context.Context, store *models.Store, ids []int64) ([]*models.Action, error) {
	return newStarter(store).run(ctx, ids)
}
