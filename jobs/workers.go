package jobs

import (
	"cmp"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"

	"github.com/rosterhq/roster/jobs/app/webhook"
	"github.com/rosterhq/roster/jobs/planner"
	"github.com/rosterhq/roster/models"
)

// registerWorkers is the one place every worker is registered.
func registerWorkers(w *river.Workers, store *models.Store, opts Options) {
	river.AddWorker(w, &PurgeLoginTokensWorker{store: store, logger: opts.Logger})
	plan := planner.New(store)
	plan.Approve = (&Decisions{Store: store}).AutoApprove
	river.AddWorker(w, &PlanPeopleWorker{store: store, planner: plan, logger: opts.Logger})
	river.AddWorker(w, &PlanEveryoneWorker{store: store, logger: opts.Logger})
	river.AddWorker(w, &PlanSweepWorker{planning: &Planning{Store: store}})
	retryDelay := opts.RetryDelay
	if retryDelay == nil {
		retryDelay = func(attempt int) time.Duration { return webhook.Backoff(attempt, webhook.Result{}, rand.Float64) }
	}
	wait := opts.OrderWait
	if wait == nil {
		wait = orderWait
	}
	bound := retryBound{maxCalls: cmp.Or(opts.MaxCalls, executeMaxCalls), window: cmp.Or(opts.RetryWindow, executeRetryWindow)}
	river.AddWorker(w, &ExecuteActionWorker{store: store, kinds: kindsOf(opts), env: ConnectorEnv(store, opts), limits: &appLimits{store: store},
		logger: opts.Logger, retryDelay: retryDelay, bound: bound, orderWait: wait, calls: newCallRecorder(store, opts),
		reader: newReader(store), starter: newStarter(store), completer: newCompleter(store)})
	river.AddWorker(w, &PruneAppCallsWorker{store: store})
	river.AddWorker(w, &ReconcileAppWorker{store: store, kinds: kindsOf(opts), env: ConnectorEnv(store, opts), logger: opts.Logger})
	river.AddWorker(w, &ScheduleReconcilesWorker{store: store, kinds: kindsOf(opts)})
	river.AddWorker(w, &SettleLostActionsWorker{store: store, logger: opts.Logger})
	river.AddWorker(w, &SendEmailWorker{store: store, sender: opts.Mail, logger: opts.Logger})
	river.AddWorker(w, &FlushOutboxWorker{store: store, configured: opts.Mail != nil})
	river.AddWorker(w, &ScheduleDigestsWorker{store: store})
	river.AddWorker(w, &SendDigestWorker{store: store, mailer: &Mailer{Store: store, Configured: opts.Mail != nil},
		baseURL: opts.BaseURL, logger: opts.Logger})
}

// periodicJobs is Roster's schedule. On PostgreSQL only the elected leader
// among replicas enqueues them.
func periodicJobs(opts Options) []*river.PeriodicJob {
	if opts.PlanOnly {
		return nil
	}
	periodic := []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(sweepInterval),
			func() (river.JobArgs, *river.InsertOpts) { return PlanSweepArgs{}, nil },
			&river.PeriodicJobOpts{ID: "plan_sweep"}), // not on start: planning jobs are durable, so a restart has nothing to catch up
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return PurgeLoginTokensArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true, ID: "purge_login_tokens"}),
		river.NewPeriodicJob(river.PeriodicInterval(lostActionsInterval),
			func() (river.JobArgs, *river.InsertOpts) { return SettleLostActionsArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true, ID: "settle_lost_actions"}),
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return PruneAppCallsArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true, ID: "prune_app_calls"}),
		river.NewPeriodicJob(river.PeriodicInterval(reconcileScheduleInterval),
			func() (river.JobArgs, *river.InsertOpts) { return ScheduleReconcilesArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true, ID: "schedule_reconciles"}),
		river.NewPeriodicJob(river.PeriodicInterval(digestInterval),
			func() (river.JobArgs, *river.InsertOpts) { return ScheduleDigestsArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true, ID: "schedule_digests"}),
	}
	if opts.Mail != nil {
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(5*time.Minute),
			func() (river.JobArgs, *river.InsertOpts) { return FlushOutboxArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true, ID: "flush_outbox"}))
	}
	return periodic
}
