package jobs

import (
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/rosterhq/roster/models"
)

// registerWorkers is the one place every worker is registered.
func registerWorkers(w *river.Workers, store *models.Store, logger *slog.Logger) {
	river.AddWorker(w, &PurgeLoginTokensWorker{store: store, logger: logger})
}

// periodicJobs is Roster's schedule. On PostgreSQL only the elected leader
// among replicas enqueues them.
func periodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return PurgeLoginTokensArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true, ID: "purge_login_tokens"}),
	}
}
