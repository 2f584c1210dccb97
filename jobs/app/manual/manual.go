// Package manual is the connector for manual apps: Roster does not call
// them, it opens a task for IT (order a laptop, set up an account by
// hand) for the app's task assignee. The action completes when someone
// marks the task done (models.Store.SetTaskDone), so Do's Outcome is
// pending.
package manual

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/rosterhq/roster/jobs/app/connector"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
)

// Kind is the manual kind for the registry (jobs/app/kinds).
func Kind() connector.Kind {
	caps := connector.AllOps()
	caps.Settings = []connector.Setting{connector.SettingTaskAssignee}
	return connector.Kind{Name: models.AppManual, Label: "manual",
		Description:  "Roster creates a task for IT to do by hand, like ordering a laptop.",
		Capabilities: caps, Open: open}
}

func open(env connector.Env, app *models.App) (connector.Connector, error) {
	if env.Store == nil {
		return nil, fmt.Errorf("%s: manual apps need the store to open tasks", app.Name)
	}
	logger := env.Logger
	if logger == nil {
		logger = slog.Default()
	}
	return &tasks{store: env.Store, logger: logger, app: app}, nil
}

// tasks is one manual app's connector.
type tasks struct {
	store  *models.Store
	logger *slog.Logger
	app    *models.App
}

// Do opens the action's task, due at its run time, for the app's task
// assignee, once: a second Do for the same action finds the task. The
// assignee is mailed in the transaction that creates the task, so a
// retried job mails nobody again.
func (m *tasks) Do(ctx context.Context, r connector.Request) connector.Outcome {
	t := &models.Task{ActionID: r.ActionID, Title: title(m.app, r), Details: details(r), DueAt: r.RunAt,
		AssigneeAdminID: m.app.TaskAssigneeAdminID, AssigneeEmail: m.app.TaskAssigneeEmail}
	created, err := m.store.EnsureTask(ctx, t)
	if err != nil {
		return connector.Outcome{Err: err, Retry: true}
	}
	if created {
		m.logger.Info("task opened", "task_id", t.ID, "action_id", r.ActionID, "app", m.app.Name, "assigned", !t.Assignee().IsZero())
	}
	return connector.Outcome{Pending: true}
}

// Test says there is nothing to test.
func (m *tasks) Test(context.Context) connector.Outcome {
	return connector.Outcome{Err: fmt.Errorf("%s is a %s app: Roster does not call it", m.app.Name, m.app.Kind)}
}

// ListAccounts: a manual app's accounts are uploaded, not listed.
func (m *tasks) ListAccounts(context.Context, func([]connector.RemoteAccount) error) error {
	return fmt.Errorf("manual apps: listing accounts: %w", connector.ErrUnsupported)
}

var opWords = map[rules.Op]string{
	rules.OpCreateAccount: "Set up", rules.OpGrant: "Give", rules.OpUpdate: "Change", rules.OpRevoke: "Take back",
	rules.OpDisable: "Disable", rules.OpDelete: "Remove",
}

func title(app *models.App, r connector.Request) string {
	what := app.Name
	if r.Entitlement != nil {
		what += ": " + r.Entitlement.Name
	}
	return fmt.Sprintf("%s %s for %s", opWords[r.Op], what, r.Person.DisplayName())
}

func details(r connector.Request) string {
	p := r.Person
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s), %s", p.DisplayName(), p.WorkEmail, p.Title)
	if p.Location != "" {
		fmt.Fprintf(&b, ", %s", p.Location)
	}
	for k, v := range r.Params {
		fmt.Fprintf(&b, "\n%s: %s", k, v)
	}
	return b.String()
}
