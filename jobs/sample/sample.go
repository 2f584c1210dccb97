// Package sample loads a small, made-up company into an empty Roster so a
// new user sees the whole loop in a minute: an HR source with about fifty
// people, a webhook app pointing at Roster's built-in sample receiver, a
// manual "Laptop" app, three rules, and the Team Updates they produce.
package sample

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rosterhq/roster/jobs/hrsync"
	"github.com/rosterhq/roster/jobs/reconcile"
	"github.com/rosterhq/roster/models"
)

// Names of what Load creates.
const (
	SourceName  = "Sample HR"
	WebhookApp  = "Sample app"
	LaptopApp   = "Laptop"
	ReceiverURL = "/sample-receiver/hook" // appended to the base URL
	fileName    = "sample-hr.csv"
)

// ErrNotEmpty means Roster already has people or sources: sample data is
// only for an empty install.
var ErrNotEmpty = errors.New("sample data can only be loaded into an empty Roster (there are already people or sources)")

// Importer is the import path of the Sources page: jobs.Imports and
// web.Importer implement it.
type Importer interface {
	PreviewCSV(ctx context.Context, actor models.Actor, src *models.Source, fileName string, r io.Reader, opts ...hrsync.Option) (*models.SyncRun, error)
	Confirm(ctx context.Context, actor models.Actor, runID int64) (*models.SyncRun, error)
}

// Deps are what Load needs.
type Deps struct {
	Store    *models.Store
	Sealer   *models.Sealer
	Importer Importer
	// PlanEveryone re-plans everyone once the rules exist
	// (planner.Planner.PlanEveryone).
	PlanEveryone func(ctx context.Context) error
	// Now is the clock (time.Now when nil): pending joiners start in the
	// two weeks after it.
	Now func() time.Time
}

// Summary says what Load created.
type Summary struct {
	People  int
	Pending int
	Apps    int
	Rules   int
	Changes int64 // Team Updates waiting for review
	// TasksTo is who the Laptop app's tasks go to; "" for nobody.
	TasksTo string
}

// String is the summary the command prints and the flash shows.
func (s Summary) String() string {
	out := fmt.Sprintf("Loaded sample data: %d people (%d starting soon), %d apps, %d rules and %d Team Updates to review.",
		s.People, s.Pending, s.Apps, s.Rules, s.Changes)
	if s.TasksTo != "" {
		out += fmt.Sprintf(" %s tasks go to %s.", LaptopApp, s.TasksTo)
	}
	return out
}

// Load fills an empty Roster with the sample company, as actor: the
// "Sample HR" CSV source imported through the Sources page's path, the
// "Sample app" webhook app calling baseURL + ReceiverURL with a generated
// secret, the manual "Laptop" app (its tasks assigned to actor when they
// are an admin who can take them, else to the first active owner), three
// rules, and Team Updates planned for everyone. It refuses with
// ErrNotEmpty once any person or source exists.
func Load(ctx context.Context, d Deps, baseURL string, actor models.Actor) (Summary, error) {
	var sum Summary
	now := time.Now()
	if d.Now != nil {
		now = d.Now()
	}
	if err := checkEmpty(ctx, d.Store); err != nil {
		return sum, err
	}
	people := People(now)
	for _, p := range people {
		if p.Status == "pending" {
			sum.Pending++
		}
	}
	src, err := d.Store.EnsureCSVSource(ctx, actor, SourceName)
	if err != nil {
		return sum, err
	}
	// A baseline: the company's staff are current staff, not joiners; only
	// the people starting soon are.
	run, err := d.Importer.PreviewCSV(ctx, actor, src, fileName, bytes.NewReader(CSV(now)), hrsync.Baseline(true))
	if err != nil {
		return sum, err
	}
	if run.Status == models.SyncFailed {
		return sum, fmt.Errorf("sample: the sample HR file was refused: %s", run.Error)
	}
	if run, err = d.Importer.Confirm(ctx, actor, run.ID); err != nil {
		return sum, err
	}
	if run.Status != models.SyncSucceeded {
		return sum, fmt.Errorf("sample: the sample import ended %s", run.Status)
	}
	sum.People = len(people)

	hook, err := d.Store.CreateApp(ctx, actor, models.AppInput{Kind: models.AppWebhook, Name: WebhookApp,
		Description:     "Sends signed calls to Roster's built-in sample receiver; see what it got under /sample-receiver.",
		DeprovisionMode: models.DeprovisionDisable})
	if err != nil {
		return sum, err
	}
	url := strings.TrimRight(baseURL, "/") + ReceiverURL
	if err := d.Store.SetWebhookSettings(ctx, actor, hook.ID, url, "", false, d.Sealer); err != nil {
		return sum, err
	}
	ents := map[string]*models.Entitlement{}
	for _, in := range []models.EntitlementInput{
		{Kind: models.EntitlementGroup, Key: "eng", Name: "Engineering group"},
		{Kind: models.EntitlementRole, Key: "member", Name: "Member"},
		{Kind: models.EntitlementRole, Key: "admin", Name: "Admin"},
	} {
		e, err := d.Store.CreateEntitlement(ctx, actor, hook.ID, in)
		if err != nil {
			return sum, err
		}
		ents[in.Key] = e
	}
	laptop, err := d.Store.CreateApp(ctx, actor, models.AppInput{Kind: models.AppManual, Name: LaptopApp,
		Description:     "IT hands out a laptop to every joiner: each grant is a task on the Tasks page.",
		DeprovisionMode: models.DeprovisionDisable})
	if err != nil {
		return sum, err
	}
	if sum.TasksTo, err = assignTasks(ctx, d.Store, actor, laptop); err != nil {
		return sum, err
	}
	laptopEnt, err := d.Store.CreateEntitlement(ctx, actor, laptop.ID, models.EntitlementInput{
		Kind: models.EntitlementAttribute, Key: "laptop", Name: "Laptop",
		Params: []models.ParamSpec{{Name: "model", Type: models.ParamText, Required: true, Label: "Model"}}})
	if err != nil {
		return sum, err
	}
	sum.Apps = 2

	eng := models.RuleCondition{Attribute: "department", Operator: "equals", Value: "Engineering"}
	for _, r := range []*models.Rule{
		{Name: "Engineering gets the eng group", Enabled: true, Priority: 10, Match: "all",
			Conditions: []models.RuleCondition{eng},
			Grants:     []models.RuleGrant{{AppID: hook.ID, EntitlementID: ents["eng"].ID}}},
		{Name: "Everyone gets a laptop", Enabled: true, Priority: 10, Match: "all",
			Grants: []models.RuleGrant{{AppID: laptop.ID, EntitlementID: laptopEnt.ID, Params: map[string]string{"model": "MacBook Air"}}}},
		{Name: "Engineering in Berlin gets admin", Enabled: true, Priority: 20, Match: "all",
			Conditions: []models.RuleCondition{eng, {Attribute: "location", Operator: "equals", Value: "Berlin"}},
			Grants:     []models.RuleGrant{{AppID: hook.ID, EntitlementID: ents["admin"].ID}}},
	} {
		if err := d.Store.SaveRule(ctx, actor, r); err != nil {
			return sum, err
		}
		sum.Rules++
	}
	// The company's apps have their accounts already: record them, so
	// Team Updates proposes only what the staff really lack.
	rec := &reconcile.Reconciler{Store: d.Store}
	hookAccounts, laptops := Accounts(people)
	if _, err := rec.Apply(ctx, actor, hook, hookAccounts, now); err != nil {
		return sum, err
	}
	if _, err := rec.Apply(ctx, actor, laptop, laptops, now); err != nil {
		return sum, err
	}
	if err := d.PlanEveryone(ctx); err != nil {
		return sum, err
	}
	counts, err := d.Store.QueueCounts(ctx, models.ChangeFilter{})
	if err != nil {
		return sum, err
	}
	for _, n := range counts {
		sum.Changes += n
	}
	return sum, nil
}

// assignTasks gives the manual app's tasks to the admin loading the
// sample (or, from the command line, the first owner) and returns who.
func assignTasks(ctx context.Context, store *models.Store, actor models.Actor, app *models.App) (string, error) {
	who, err := store.SampleTaskAssignee(ctx, actor)
	if err != nil || who == nil {
		return "", err
	}
	if err := store.SetAppTaskAssignee(ctx, actor, app.ID, models.AssignedAdmin(who.ID)); err != nil {
		return "", err
	}
	return who.Email, nil
}

// checkEmpty is ErrNotEmpty once anyone or any source exists.
func checkEmpty(ctx context.Context, store *models.Store) error {
	_, people, err := store.ListPeople(ctx, models.PeopleFilter{Limit: 1})
	if err != nil {
		return err
	}
	sources, err := store.ListSources(ctx)
	if err != nil {
		return err
	}
	if people > 0 || len(sources) > 0 {
		return ErrNotEmpty
	}
	return nil
}
