package web

import (
	"context"
	"io"

	"github.com/rosterhq/roster/jobs/hrsync"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
)

// Importer runs HR imports for the Sources pages. jobs.Imports implements
// it; main wires it in.
type Importer interface {
	// PreviewCSV parses an uploaded file and records a run awaiting
	// confirmation (or a failed run listing every bad row); options say
	// whether it is a baseline (hrsync.Baseline).
	PreviewCSV(ctx context.Context, actor models.Actor, src *models.Source, fileName string, r io.Reader, opts ...hrsync.Option) (*models.SyncRun, error)
	// Confirm applies a preview or held run; a preview that trips the
	// brake becomes held instead.
	Confirm(ctx context.Context, actor models.Actor, runID int64) (*models.SyncRun, error)
	// Discard drops a preview or held run.
	Discard(ctx context.Context, actor models.Actor, runID int64) error
	// CSVTemplate is the downloadable template file.
	CSVTemplate() []byte
}

// Planner evaluates rules and keeps Team Updates current. *planner.Planner
// implements it.
type Planner interface {
	// PlanPeople re-plans the given people.
	PlanPeople(ctx context.Context, ids []int64) error
	// PlanEveryone re-plans everyone rules can affect.
	PlanEveryone(ctx context.Context) error
	// PreviewMatches counts the people a rule's conditions match and names
	// the first few.
	PreviewMatches(ctx context.Context, r rules.Rule) (int, []string, error)
	// RuleImpact is what replacing (or adding) rule ruleID with proposed
	// would do; a nil proposed deletes the rule.
	RuleImpact(ctx context.Context, proposed *rules.Rule, ruleID int64) (rules.Impact, error)
	// ExplainPerson evaluates every rule for a person and resolves their
	// desired access.
	ExplainPerson(ctx context.Context, p *models.Person) ([]rules.RuleMatch, rules.Desired, error)
}

// Replanner queues re-planning as jobs. *jobs.Planning implements it:
// the request commits with a job, and the rules page shows its progress.
type Replanner interface {
	PlanEveryone(ctx context.Context, actor models.Actor, reason string) (*models.PlanRun, error)
}

// Decider approves, rejects and retries changes. *jobs.Decisions
// implements it: approving writes actions and their jobs in one
// transaction.
type Decider interface {
	Approve(ctx context.Context, actor models.Actor, d models.Decision) (approved, skipped []int64, err error)
	Reject(ctx context.Context, actor models.Actor, d models.Decision) (rejected, skipped []int64, err error)
	Retry(ctx context.Context, actor models.Actor, actionID int64) error
}

// AppTester sends an app a signed test call and records what it
// answered, audited. *jobs.AppTests implements it.
type AppTester interface {
	Test(ctx context.Context, actor models.Actor, appID int64) (*models.AppCall, error)
}
