// Package reconcile brings an app's existing accounts into Roster (issue
// 11): it reads them (an uploaded CSV file here; an app's own listing
// through its connector), matches each to the people HR knows
// (jobs/app/match), records the outcome (models.Store.RecordAccounts) and
// has the people whose recorded access changed planned again, in the
// same transaction.
//
// Reconciling never calls an app. What it changes is Roster's picture of
// actual access; planning then proposes what the rules say, in Team
// Updates: access a person lacks, and a terminated person's accounts.
// Access an app reports beyond the rules is shown, not revoked, unless
// the person leaves.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/rosterhq/roster/jobs/app/connector"
	"github.com/rosterhq/roster/jobs/app/match"
	"github.com/rosterhq/roster/models"
)

// Account is one of an app's accounts as the app reports it: the
// connectors' RemoteAccount, so a kind that lists accounts feeds
// reconciling as an upload does.
type Account = connector.RemoteAccount

// Reconciler matches and records an app's accounts.
type Reconciler struct {
	Store *models.Store
	// PlanLater, when set, is called in the transaction that records the
	// accounts with the people to plan again (jobs.Planning.PlanAccounts),
	// and returns the plan run it requested (0 for none).
	PlanLater func(ctx context.Context, tx *models.Store, personIDs []int64) (int64, error)
	// Region is the country numbers without a country code are read in
	// (the organisation's); "" reads none of them.
	Region string
}

// Summary is what one reconciliation found.
type Summary struct {
	models.Reconciliation
	// TerminatedActive counts the matched accounts of terminated people
	// that are still active: each is proposed in To Terminate.
	TerminatedActive int
	// PlanRunID is the plan run of the people to plan again; 0 for none.
	PlanRunID int64
}

// Line is the machine-readable summary the CLI prints last.
func (s *Summary) Line() string {
	return fmt.Sprintf("matched=%d ambiguous=%d not_in_hr=%d terminated_active=%d", s.Matched, s.Ambiguous, s.NotInHR, s.TerminatedActive)
}

// ErrEmptyList refuses an empty list of accounts for an app that had
// some: nothing is recorded.
var ErrEmptyList = errors.New("the app listed no accounts")

// Apply records the full list of an app's accounts: matched against
// everyone HR knows, recorded, and the people whose access changed (and
// terminated people with an active account) queued for planning, in one
// transaction.
func (r *Reconciler) Apply(ctx context.Context, actor models.Actor, app *models.App, accounts []Account, now time.Time) (*Summary, error) {
	if len(accounts) == 0 {
		known, err := r.Store.AppAccountIDs(ctx, app.ID)
		if err != nil {
			return nil, fmt.Errorf("reconcile %s: %w", app.Name, err)
		}
		if len(known) > 0 {
			// An app that suddenly reports nobody is far likelier broken
			// (a wrong filter, an expired scope) than empty: reading it
			// as every account gone would also stop leavers' accounts
			// from being taken away.
			return nil, fmt.Errorf("reconcile %s: %w (it had %d before); nothing was recorded", app.Name, ErrEmptyList, len(known))
		}
	}
	m, err := r.match(ctx, app, accounts)
	if err != nil {
		return nil, fmt.Errorf("reconcile %s: %w", app.Name, err)
	}
	out := &Summary{TerminatedActive: len(m.terminatedActive)}
	plan := m.terminatedActive
	err = r.Store.WithTx(ctx, func(tx *models.Store) error {
		rec, err := tx.RecordAccounts(ctx, actor, app.ID, m.rows, now)
		if err != nil {
			return err
		}
		out.Reconciliation = *rec
		plan = append(plan, rec.Changed...)
		slices.Sort(plan)
		plan = slices.Compact(plan)
		if r.PlanLater == nil || len(plan) == 0 {
			return nil
		}
		out.PlanRunID, err = r.PlanLater(ctx, tx, plan)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reconcile %s: %w", app.Name, err)
	}
	return out, nil
}

// Preview is what applying a list would find, recorded nowhere.
type Preview struct {
	Summary
	// Rows are the accounts with their verdicts, in the list's order.
	Rows []models.AppAccount
}

// Preview matches a list as Apply would and says what it would record:
// the verdicts, and how many accounts seen before the list leaves out.
func (r *Reconciler) Preview(ctx context.Context, app *models.App, accounts []Account) (*Preview, error) {
	m, err := r.match(ctx, app, accounts)
	if err != nil {
		return nil, fmt.Errorf("reconcile %s: %w", app.Name, err)
	}
	out := &Preview{Rows: m.rows}
	out.Seen, out.TerminatedActive = len(m.rows), len(m.terminatedActive)
	listed := make(map[string]bool, len(accounts))
	for _, row := range m.rows {
		listed[row.RemoteID] = true
		switch row.Verdict {
		case models.VerdictMatched:
			out.Matched++
		case models.VerdictAmbiguous:
			out.Ambiguous++
		default:
			out.NotInHR++
		}
	}
	known, err := r.Store.AppAccountIDs(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	for _, id := range known {
		if !listed[id] {
			out.Gone++
		}
	}
	return out, nil
}

// matched is a list matched against everyone.
type matched struct {
	rows             []models.AppAccount
	terminatedActive []int64 // people terminated in HR whose matched account is active
}

func (r *Reconciler) match(ctx context.Context, app *models.App, accounts []Account) (*matched, error) {
	keys, plus := app.Matching()
	order := make([]match.Key, len(keys))
	for i, k := range keys {
		order[i] = match.Key(k)
	}
	ix := match.NewIndex(nil, match.Options{Order: order, PlusAddressing: plus, Region: r.Region})
	terminated := map[int64]bool{}
	err := r.Store.PeopleToMatch(ctx, func(batch []models.MatchFields) error {
		for _, p := range batch {
			ix.Add(match.Person{ID: p.ID, WorkEmail: p.WorkEmail, PersonalEmail: p.PersonalEmail, Phone: p.Phone,
				Country: p.Country, EmployeeNumber: p.EmployeeNumber})
			if p.Status == models.StatusTerminated {
				terminated[p.ID] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	list := make([]match.Account, len(accounts))
	for i, a := range accounts {
		list[i] = match.Account{ID: a.ID, Email: a.Email, Phone: a.Phone, EmployeeNumber: a.EmployeeNumber}
	}
	results := ix.Reconcile(list)
	out := &matched{rows: make([]models.AppAccount, len(accounts))}
	for i, a := range accounts {
		res := results[i]
		row := models.AppAccount{RemoteID: a.ID, Email: a.Email, Phone: a.Phone, EmployeeNumber: a.EmployeeNumber, Name: a.Name,
			Status: a.Status, Entitlements: a.Entitlements, Verdict: string(res.Verdict), MatchedBy: string(res.By),
			Candidates: res.Candidates, Reason: res.Reason}
		if res.Verdict == match.Matched {
			id := res.PersonID
			row.PersonID = &id
			if terminated[id] && a.Status != models.AccountDisabled {
				out.terminatedActive = append(out.terminatedActive, id)
			}
		}
		out.rows[i] = row
	}
	return out, nil
}
