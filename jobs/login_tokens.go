package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/rosterhq/roster/models"
)

// PurgeLoginTokensArgs deletes one-time sign-in links that expired more
// than a day ago. It runs hourly and at start.
type PurgeLoginTokensArgs struct{}

// Kind implements river.JobArgs.
func (PurgeLoginTokensArgs) Kind() string { return "purge_login_tokens" }

// InsertOpts makes the job unique per hour, so several instances or a
// manual trigger never pile up copies.
func (PurgeLoginTokensArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueHousekeeping, UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}
}

// PurgeLoginTokensWorker runs PurgeLoginTokensArgs.
type PurgeLoginTokensWorker struct {
	river.WorkerDefaults[PurgeLoginTokensArgs]
	store  *models.Store
	logger *slog.Logger
}

// Work implements river.Worker.
func (w *PurgeLoginTokensWorker) Work(ctx context.Context, job *river.Job[PurgeLoginTokensArgs]) error {
	n, err := w.store.PurgeLoginTokens(ctx, time.Now().Add(-24*time.Hour))
	if err != nil {
		return err
	}
	if n > 0 {
		w.logger.Info("purged expired sign-in links", "count", n)
	}
	return nil
}
