package jobs

import (
	"context"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/email"
)

// KindTaskAssigned is the mail to a task's new assignee.
const KindTaskAssigned = "task_assigned"

// TaskMail mails a task's assignee. Its Assigned method is the store's
// OnTaskAssigned function (jobs.NewClient sets it).
type TaskMail struct {
	Mailer *Mailer
	// BaseURL is where Roster is reached, for the link to the Tasks page.
	BaseURL string
}

// Assigned queues the assignee's mail in the transaction that opened or
// reassigned the task: the title, details, app, the due time in the time
// zone of the person it is for (else the organisation's) and a link to the Tasks page. The dedupe key names the task,
// the address and the moment of the assignment, so the same assignment
// is never mailed twice.
func (m *TaskMail) Assigned(ctx context.Context, tx *models.Store, t *models.Task) error {
	to, err := assigneeAddress(ctx, tx, t)
	if err != nil || to == "" {
		return err
	}
	v, err := m.view(ctx, tx, t)
	if err != nil {
		return err
	}
	html, err := email.Render(ctx, email.TaskHTML(v))
	if err != nil {
		return err
	}
	key := fmt.Sprintf("task:%d:%s:%d", t.ID, to, t.UpdatedAt.UnixNano())
	_, err = m.Mailer.QueueTx(ctx, tx, &models.Email{Kind: KindTaskAssigned, To: []string{to}, Subject: email.TaskSubject(v),
		TextBody: email.TaskText(v), HTMLBody: html, DedupeKey: &key})
	return err
}

// assigneeAddress is where a task's mail goes: its admin's address or its
// email address.
func assigneeAddress(ctx context.Context, tx *models.Store, t *models.Task) (string, error) {
	if t.AssigneeAdminID == nil {
		return strings.TrimSpace(t.AssigneeEmail), nil
	}
	a, err := tx.AdminByID(ctx, *t.AssigneeAdminID)
	if err != nil {
		return "", err
	}
	return a.Email, nil
}

func (m *TaskMail) view(ctx context.Context, tx *models.Store, t *models.Task) (email.Task, error) {
	a, err := tx.ActionByID(ctx, t.ActionID)
	if err != nil {
		return email.Task{}, err
	}
	c, err := tx.ChangeByID(ctx, a.ChangeID)
	if err != nil {
		return email.Task{}, err
	}
	p, err := tx.PersonByID(ctx, c.PersonID)
	if err != nil {
		return email.Task{}, err
	}
	times, err := personTimes(ctx, tx, p)
	if err != nil {
		return email.Task{}, err
	}
	v := email.Task{Title: t.Title, Due: times.Format(t.DueAt), TasksURL: strings.TrimRight(m.BaseURL, "/") + "/tasks"}
	for line := range strings.SplitSeq(t.Details, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			v.Details = append(v.Details, line)
		}
	}
	names := &nameCache{tx: tx, apps: map[int64]string{}, ents: map[int64]string{}}
	if v.App, err = names.app(ctx, a.AppID); err != nil {
		return email.Task{}, err
	}
	return v, nil
}
