package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/rosterhq/roster/jobs/app/connector"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/email"
)

// KindAppFailing is the mail kind of the alert that an app keeps failing.
const KindAppFailing = "app_failing"

// appFailing is when an app counts as failing: IT/security get one alert
// per failing streak, at the fifth failed call in a row or once failed
// calls in a row have gone on for 15 minutes, and none again until a call
// succeeds.
var appFailing = models.FailingPolicy{Calls: 5, For: 15 * time.Minute}

// appCallsKept is how long calls stay for the app page's history.
const appCallsKept = 30 * 24 * time.Hour

// callRecorder stores every outbound call to an app and queues the
// failing-app alert in the same transaction.
type callRecorder struct {
	store   *models.Store
	mailer  *Mailer
	baseURL string
	policy  models.FailingPolicy
	logger  *slog.Logger
}

// record stores one call's result; a failure to store it is logged, not
// returned: the call happened, and its action's outcome matters more.
func (r *callRecorder) record(ctx context.Context, app *models.App, actionID *int64, res connector.Outcome, at time.Time) *models.AppCall {
	call := newCall(app, actionID, false, res, at)
	if err := r.store.WithTx(ctx, func(tx *models.Store) error { return r.recordTx(ctx, tx, app, call) }); err != nil {
		r.logger.Error("recording a call to an app failed", "app_id", app.ID, "error", err)
	}
	return call
}

func newCall(app *models.App, actionID *int64, test bool, res connector.Outcome, at time.Time) *models.AppCall {
	call := &models.AppCall{AppID: app.ID, ActionID: actionID, Test: test, OK: res.Err == nil, Status: res.Status,
		Excerpt: res.Excerpt, At: at}
	if res.Err != nil {
		call.Error = res.Err.Error()
	}
	return call
}

// recordTx stores call in tx and queues the alert when the app's failing
// streak has just begun to count.
func (r *callRecorder) recordTx(ctx context.Context, tx *models.Store, app *models.App, call *models.AppCall) error {
	alert, err := tx.RecordAppCall(ctx, call, r.policy)
	if err != nil || !alert {
		return err
	}
	return r.queueAlert(ctx, tx, app, call)
}

// queueAlert queues the one alert of the app's failing streak for the
// alert addresses, deduplicated by the streak's start.
func (r *callRecorder) queueAlert(ctx context.Context, tx *models.Store, app *models.App, call *models.AppCall) error {
	to, err := alertRecipients(ctx, tx)
	if err != nil {
		return err
	}
	if len(to) == 0 {
		return nil
	}
	fresh, err := tx.AppByID(ctx, app.ID)
	if err != nil {
		return err
	}
	since := call.At
	if fresh.FailingSince != nil {
		since = *fresh.FailingSince
	}
	v := email.AppFailing{App: app.Name, FailedCalls: fresh.FailedCalls, Since: since.UTC().Format("2 Jan 2006 15:04 MST"),
		LastStatus: call.Status, LastError: call.Error, LastExcerpt: call.Excerpt}
	if r.baseURL != "" {
		v.Link = strings.TrimRight(r.baseURL, "/") + "/apps/" + strconv.FormatInt(app.ID, 10)
	}
	html, err := email.Render(ctx, email.AppFailingHTML(v))
	if err != nil {
		return err
	}
	key := fmt.Sprintf("alert:app:%d:%d", app.ID, since.UnixMilli())
	_, err = r.mailer.QueueTx(ctx, tx, &models.Email{Kind: KindAppFailing, To: to, Subject: email.AppFailingSubject(v),
		TextBody: email.AppFailingText(v), HTMLBody: html, DedupeKey: &key})
	if err == nil {
		r.logger.Warn("app keeps failing: IT/security alerted", "app_id", app.ID, "failed_calls", fresh.FailedCalls)
	}
	return err
}

// AppTests sends "Test connection" calls through the app's connector
// (for a webhook app, a signed webhook with op test through the same
// client, URL checks and secrets as actions), recorded among the app's
// calls and audited.
type AppTests struct {
	store *models.Store
	kinds *connector.Registry
	env   connector.Env
	calls *callRecorder
}

// NewAppTests returns the tester main wires into the web server; opts are
// the job client's (its HTTP client, sealer and app kinds).
func NewAppTests(store *models.Store, opts Options) *AppTests {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &AppTests{store: store, kinds: kindsOf(opts), env: ConnectorEnv(store, opts),
		calls: newCallRecorder(store, opts)}
}

func newCallRecorder(store *models.Store, opts Options) *callRecorder {
	return &callRecorder{store: store, mailer: &Mailer{Store: store, Configured: opts.Mail != nil},
		baseURL: opts.BaseURL, policy: appFailing, logger: opts.Logger}
}

// Test calls the app once and returns what it answered. An app of a kind
// Roster does not call, or without a usable connection, is not called:
// the returned call (not recorded, ID 0) says why.
func (t *AppTests) Test(ctx context.Context, actor models.Actor, appID int64) (*models.AppCall, error) {
	app, err := t.store.AppByID(ctx, appID)
	if err != nil {
		return nil, err
	}
	kind, ok := t.kinds.Lookup(app.Kind)
	if !ok {
		return &models.AppCall{AppID: app.ID, Test: true, Error: fmt.Sprintf("%s is a %s app: Roster has no connector for it", app.Name, app.Kind)}, nil
	}
	conn, err := kind.Open(t.env, app)
	if err != nil {
		return &models.AppCall{AppID: app.ID, Test: true, Error: err.Error()}, nil
	}
	now := time.Now()
	res := conn.Test(ctx)
	call := newCall(app, nil, true, res, now)
	if !kind.CallsApp { // nothing was called: nothing to record
		return call, nil
	}
	err = t.store.WithTx(ctx, func(tx *models.Store) error {
		if err := t.calls.recordTx(ctx, tx, app, call); err != nil {
			return err
		}
		return tx.Audit(ctx, actor, models.AuditEntry{Action: models.ActionAppTested, SubjectType: "app", SubjectID: app.ID,
			SubjectLabel: app.Name, After: map[string]any{"ok": call.OK, "status": call.Status, "error": call.Error}})
	})
	return call, err
}

// PruneAppCallsArgs deletes app calls older than 30 days. It runs hourly
// and at start.
type PruneAppCallsArgs struct{}

// Kind implements river.JobArgs.
func (PruneAppCallsArgs) Kind() string { return "prune_app_calls" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (PruneAppCallsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueHousekeeping}
}

// PruneAppCallsWorker runs PruneAppCallsArgs.
type PruneAppCallsWorker struct {
	river.WorkerDefaults[PruneAppCallsArgs]
	store *models.Store
}

// Work implements river.Worker.
func (w *PruneAppCallsWorker) Work(ctx context.Context, job *river.Job[PruneAppCallsArgs]) error {
	_, err := w.store.PruneAppCalls(ctx, time.Now().Add(-appCallsKept))
	return err
}
