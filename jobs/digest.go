package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/email"
)

// digestInterval is how often schedule_digests looks at the clock.
const digestInterval = 15 * time.Minute

// ScheduleDigestsArgs inserts the day's send_digest jobs once the
// org-local digest hour has come. It runs every 15 minutes and at start.
type ScheduleDigestsArgs struct{}

// Kind implements river.JobArgs.
func (ScheduleDigestsArgs) Kind() string { return "schedule_digests" }

// InsertOpts keeps one schedule_digests waiting at a time.
func (ScheduleDigestsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMail, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: liveStates}}
}

var liveStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// SendDigestArgs sends one admin's digest for one org-local day.
type SendDigestArgs struct {
	AdminID int64  `json:"admin_id"`
	Date    string `json:"date"` // org-local YYYY-MM-DD
}

// Kind implements river.JobArgs.
func (SendDigestArgs) Kind() string { return "send_digest" }

// InsertOpts makes the job unique per admin and day in every state,
// completed and cancelled included, so neither a restart nor a second
// instance inserts it again. The outbox's dedupe key is the second line
// of defence, after River has cleaned the finished job away.
func (SendDigestArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMail, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStateCancelled, rivertype.JobStateCompleted,
		rivertype.JobStateDiscarded, rivertype.JobStatePending, rivertype.JobStateRetryable,
		rivertype.JobStateRunning, rivertype.JobStateScheduled,
	}}}
}

// DigestDedupeKey is the outbox key of an admin's digest for a day.
func DigestDedupeKey(adminID int64, date string) string {
	return "digest:" + strconv.FormatInt(adminID, 10) + ":" + date
}

// orgClock returns the org time zone and digest hour.
func orgClock(ctx context.Context, store *models.Store) (*time.Location, int, error) {
	tz, err := store.Setting(ctx, models.SettingOrgTimezone, "UTC")
	if err != nil {
		return nil, 0, err
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	hs, err := store.Setting(ctx, models.SettingDigestHour, strconv.Itoa(models.DefaultDigestHour))
	if err != nil {
		return nil, 0, err
	}
	hour, err := strconv.Atoi(hs)
	if err != nil || hour < 0 || hour > 23 {
		hour = models.DefaultDigestHour
	}
	return loc, hour, nil
}

// ScheduleDigests inserts a send_digest job for every active admin who
// has not opted out, once the org-local hour is at least the digest hour.
// It may run any number of times, on any number of instances: each admin
// gets one job per org-local day. It returns the day, or "" when it is
// too early.
func ScheduleDigests(ctx context.Context, store *models.Store, now time.Time) (string, error) {
	loc, hour, err := orgClock(ctx, store)
	if err != nil {
		return "", err
	}
	local := now.In(loc)
	if local.Hour() < hour {
		return "", nil
	}
	date := local.Format(time.DateOnly)
	admins, err := store.DigestRecipients(ctx)
	if err != nil {
		return "", err
	}
	for _, a := range admins {
		if err := store.Enqueue(ctx, SendDigestArgs{AdminID: a.ID, Date: date}, nil); err != nil {
			return "", err
		}
	}
	return date, nil
}

// ScheduleDigestsWorker runs ScheduleDigestsArgs.
type ScheduleDigestsWorker struct {
	river.WorkerDefaults[ScheduleDigestsArgs]
	store *models.Store
}

// Work implements river.Worker.
func (w *ScheduleDigestsWorker) Work(ctx context.Context, _ *river.Job[ScheduleDigestsArgs]) error {
	_, err := ScheduleDigests(ctx, w.store, time.Now())
	return err
}

// SendDigestWorker builds an admin's digest and puts it in the outbox.
type SendDigestWorker struct {
	river.WorkerDefaults[SendDigestArgs]
	store   *models.Store
	mailer  *Mailer
	baseURL string
	logger  *slog.Logger
}

// Work implements river.Worker. An admin disabled or opted out since the
// job was scheduled gets nothing.
func (w *SendDigestWorker) Work(ctx context.Context, job *river.Job[SendDigestArgs]) error {
	_, err := SendDigest(ctx, w.store, w.mailer, w.baseURL, job.Args, time.Now())
	if errors.Is(err, models.ErrNotFound) {
		return river.JobCancel(err)
	}
	return err
}

// SendDigest queues args' digest unless the admin is disabled or opted
// out, or it is in the outbox already. queued says whether it was written.
func SendDigest(ctx context.Context, store *models.Store, mailer *Mailer, baseURL string, args SendDigestArgs, now time.Time) (queued bool, err error) {
	a, err := store.AdminByID(ctx, args.AdminID)
	if err != nil {
		return false, err
	}
	optOut, err := store.DigestOptOut(ctx, a.ID)
	if err != nil || optOut || !a.Active() {
		return false, err
	}
	v, err := BuildDigest(ctx, store, baseURL, now)
	if err != nil {
		return false, err
	}
	v.Date = args.Date
	v.AdminName = a.Name
	if v.AdminName == "" {
		v.AdminName = a.Email
	}
	var html bytes.Buffer
	if err := email.DigestHTML(v).Render(ctx, &html); err != nil {
		return false, fmt.Errorf("jobs: render digest: %w", err)
	}
	key := DigestDedupeKey(a.ID, args.Date)
	return mailer.Queue(ctx, &models.Email{
		Kind: "digest", To: []string{a.Email}, Subject: email.DigestSubject(v),
		TextBody: email.DigestText(v), HTMLBody: html.String(), DedupeKey: &key,
	})
}

// queueLabels name the Team Updates tabs as the digest does.
var queueLabels = map[models.Queue]string{
	models.QueueInvite: "To Invite", models.QueueUpdate: "To Update", models.QueueTerminate: "To Terminate",
}

// BuildDigest gathers the digest's content as of now (its Date and
// AdminName are left to the caller). Links start with baseURL.
func BuildDigest(ctx context.Context, store *models.Store, baseURL string, now time.Time) (email.Digest, error) {
	base := strings.TrimRight(baseURL, "/")
	loc, _, err := orgClock(ctx, store)
	if err != nil {
		return email.Digest{}, err
	}
	v := email.Digest{FailedURL: base + "/team-updates?tab=failed", SettingsURL: base + "/settings"}
	ages, err := store.QueueAges(ctx)
	if err != nil {
		return v, err
	}
	for _, q := range models.Queues {
		age := ages[q]
		dq := email.DigestQueue{Label: queueLabels[q], Count: age.Count, URL: base + "/team-updates?tab=" + string(q)}
		if age.Count > 0 {
			dq.Oldest = Age(now.Sub(age.Oldest))
		}
		v.Queues = append(v.Queues, dq)
	}
	runs, err := store.HeldSyncRuns(ctx)
	if err != nil {
		return v, err
	}
	for _, r := range runs {
		note := "held " + Age(now.Sub(r.CreatedAt))
		if r.HeldReason != "" {
			note += ": " + r.HeldReason
		}
		v.HeldRuns = append(v.HeldRuns, email.DigestLink{
			Label: fmt.Sprintf("Sync run %d", r.ID), Note: note,
			URL: fmt.Sprintf("%s/sources/%d/runs/%d", base, r.SourceID, r.ID),
		})
	}
	if v.Failed, err = store.FailedChangeCount(ctx); err != nil {
		return v, err
	}
	today := now.In(loc)
	from, to := today.Format(time.DateOnly), today.AddDate(0, 0, 7).Format(time.DateOnly)
	starts, err := store.UpcomingStarts(ctx, from, to)
	if err != nil {
		return v, err
	}
	leaves, err := store.UpcomingLeaves(ctx, from, to)
	if err != nil {
		return v, err
	}
	v.Starts = personLinks(base, starts, func(p *models.Person) string { return "starts " + p.StartDate })
	v.Leaves = personLinks(base, leaves, func(p *models.Person) string { return "leaves " + p.TerminationDate })
	return v, nil
}

func personLinks(base string, people []models.Person, note func(*models.Person) string) []email.DigestLink {
	links := make([]email.DigestLink, len(people))
	for i := range people {
		p := &people[i]
		links[i] = email.DigestLink{Label: p.DisplayName(), Note: note(p), URL: fmt.Sprintf("%s/people/%d", base, p.ID)}
	}
	return links
}

// Age says how long ago, roughly: "under an hour", "5 hours", "3 days".
func Age(d time.Duration) string {
	switch {
	case d < time.Hour:
		return "under an hour"
	case d < 2*time.Hour:
		return "1 hour"
	case d < 24*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	case d < 48*time.Hour:
		return "1 day"
	}
	return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
}
