package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/rosterhq/roster/jobs/mail"
	"github.com/rosterhq/roster/models"
)

// SendEmailArgs sends one email from the outbox. It is inserted in the
// transaction that queues the email, and by FlushOutboxArgs for mail
// queued while SMTP was not configured.
type SendEmailArgs struct {
	EmailID int64 `json:"email_id"`
}

// Kind implements river.JobArgs.
func (SendEmailArgs) Kind() string { return "send_email" }

// sendEmailMaxAttempts is about seven hours of River's default backoff;
// after that the email stays pending and the next flush tries again.
const sendEmailMaxAttempts = 10

// InsertOpts makes an email's job unique while it is live, so queueing
// and flushing never send it twice at once.
func (SendEmailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:       QueueMail,
		MaxAttempts: sendEmailMaxAttempts,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
			rivertype.JobStateRunning, rivertype.JobStateScheduled,
		}},
	}
}

// Mailer puts mail in the outbox. With SMTP configured, each email's send
// job is inserted with it; without, the email stays pending and the Outbox
// page shows it as it would be sent.
type Mailer struct {
	Store *models.Store
	// Configured is whether ROSTER_SMTP_URL is set (jobs.Options.Mail).
	Configured bool
}

// Queue writes e to the outbox. queued is false when e.DedupeKey was
// already there.
func (m *Mailer) Queue(ctx context.Context, e *models.Email) (queued bool, err error) {
	return m.QueueTx(ctx, m.Store, e)
}

// QueueTx writes e to the outbox in tx, a Store inside a transaction, so
// the email exists if and only if the transaction commits.
func (m *Mailer) QueueTx(ctx context.Context, tx *models.Store, e *models.Email) (queued bool, err error) {
	var send models.SendFunc
	if m.Configured {
		send = func(tx *models.Store, e *models.Email) error {
			return tx.Enqueue(ctx, SendEmailArgs{EmailID: e.ID}, nil)
		}
	}
	return tx.QueueEmail(ctx, e, send)
}

// QueueManyTx is QueueTx for many mails, each with a dedupe key, in a
// fixed number of statements (models.Store.QueueEmails); their send jobs
// are inserted together.
func (m *Mailer) QueueManyTx(ctx context.Context, tx *models.Store, es []*models.Email) error {
	if len(es) == 0 {
		return nil
	}
	var send func(tx *models.Store, queued []*models.Email) error
	if m.Configured {
		send = func(tx *models.Store, queued []*models.Email) error {
			params := make([]river.InsertManyParams, len(queued))
			for i, e := range queued {
				params[i] = river.InsertManyParams{Args: SendEmailArgs{EmailID: e.ID}}
			}
			return tx.EnqueueMany(ctx, params)
		}
	}
	_, err := tx.QueueEmails(ctx, es, send)
	return err
}

// SendEmailWorker sends an outbox email over SMTP. It is idempotent: an
// email already sent is not sent again.
type SendEmailWorker struct {
	river.WorkerDefaults[SendEmailArgs]
	store  *models.Store
	sender *mail.Sender // nil when SMTP is not configured
	logger *slog.Logger
}

// Timeout bounds one attempt; mail.Sender has its own, shorter one.
func (w *SendEmailWorker) Timeout(*river.Job[SendEmailArgs]) time.Duration { return time.Minute }

// Work implements river.Worker.
func (w *SendEmailWorker) Work(ctx context.Context, job *river.Job[SendEmailArgs]) error {
	e, err := w.store.EmailByID(ctx, job.Args.EmailID)
	if errors.Is(err, models.ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	if e.Status != models.EmailPending {
		return nil // sent already, or refused for good
	}
	if w.sender == nil {
		// SMTP was turned off since the job was queued: the email waits in
		// the outbox, and the flush queues it again once SMTP is back.
		return river.JobCancel(errors.New("SMTP is not configured; the email stays in the outbox"))
	}
	sendErr := w.sender.Send(ctx, emailMessage(e))
	if sendErr == nil {
		return w.store.MarkEmailSent(ctx, e.ID, time.Now())
	}
	permanent := mail.IsPermanent(sendErr)
	if err := w.store.RecordEmailFailure(ctx, e.ID, sendErr.Error(), permanent); err != nil {
		return errors.Join(sendErr, err)
	}
	if permanent {
		w.logger.Warn("email refused", "email_id", e.ID, "kind", e.Kind, "error", sendErr)
		return river.JobCancel(sendErr)
	}
	return sendErr
}

// emailMessage is an outbox row as mail.Sender sends it. Its Message-ID
// comes from the row, so a resend is recognisably the same mail.
func emailMessage(e *models.Email) mail.Message {
	return mail.Message{
		To: e.To, Subject: e.Subject, Text: e.TextBody, HTML: e.HTMLBody,
		Headers:   map[string]string{"X-Roster-Kind": e.Kind},
		MessageID: fmt.Sprintf("roster-email-%d", e.ID),
	}
}

// FlushOutboxArgs queues a send job for every pending email, so mail
// written while SMTP was off (or whose retries ran out) goes once SMTP
// works. It runs every five minutes and at start when SMTP is configured.
type FlushOutboxArgs struct{}

// Kind implements river.JobArgs.
func (FlushOutboxArgs) Kind() string { return "flush_outbox" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (FlushOutboxArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueMail} }

// flushBatch bounds one flush; the next one picks up the rest.
const flushBatch = 500

// FlushOutboxWorker runs FlushOutboxArgs.
type FlushOutboxWorker struct {
	river.WorkerDefaults[FlushOutboxArgs]
	store      *models.Store
	configured bool
}

// Work implements river.Worker. Emails whose job is live already are
// skipped by SendEmailArgs' uniqueness.
func (w *FlushOutboxWorker) Work(ctx context.Context, _ *river.Job[FlushOutboxArgs]) error {
	if !w.configured {
		return nil
	}
	ids, err := w.store.PendingEmailIDs(ctx, flushBatch)
	if err != nil || len(ids) == 0 {
		return err
	}
	return w.store.WithTx(ctx, func(tx *models.Store) error {
		for _, id := range ids {
			if err := tx.Enqueue(ctx, SendEmailArgs{EmailID: id}, nil); err != nil {
				return err
			}
		}
		return nil
	})
}
