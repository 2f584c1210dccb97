package reconcile_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/planner"
	"github.com/rosterhq/roster/jobs/reconcile"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

var admin = models.Actor{Email: "admin@example.com"}

type fixture struct {
	t      *testing.T
	ctx    context.Context
	store  *models.Store
	src    *models.Source
	app    *models.App
	eng    *models.Entitlement
	admin  *models.Entitlement
	plan   *planner.Planner
	rec    *reconcile.Reconciler
	queued []int64 // the people the last Apply queued for planning
}

func newFixture(t *testing.T, store *models.Store) *fixture {
	ctx := context.Background()
	f := &fixture{t: t, ctx: ctx, store: store, plan: planner.New(store)}
	f.plan.Now = func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }
	f.rec = &reconcile.Reconciler{Store: store, Region: "GB", PlanLater: func(_ context.Context, _ *models.Store, ids []int64) (int64, error) {
		f.queued = ids
		return 0, nil
	}}
	var err error
	f.src, err = store.EnsureCSVSource(ctx, admin, "HR")
	require.NoError(t, err)
	f.app, err = store.CreateApp(ctx, admin, models.AppInput{Kind: models.AppWebhook, Name: "GitHub", DeprovisionMode: models.DeprovisionDisable})
	require.NoError(t, err)
	f.eng, err = store.CreateEntitlement(ctx, admin, f.app.ID, models.EntitlementInput{Kind: models.EntitlementGroup, Key: "eng"})
	require.NoError(t, err)
	f.admin, err = store.CreateEntitlement(ctx, admin, f.app.ID, models.EntitlementInput{Kind: models.EntitlementRole, Key: "admin"})
	require.NoError(t, err)
	r := models.Rule{Name: "Engineers", Match: "all", Enabled: true,
		Conditions: []models.RuleCondition{{Attribute: "department", Operator: "equals", Value: "Engineering"}},
		Grants:     []models.RuleGrant{{AppID: f.app.ID, EntitlementID: f.eng.ID}}}
	require.NoError(t, store.SaveRule(ctx, admin, &r))
	return f
}

// people stores people as one sync run and returns their ids by external id.
func (f *fixture) people(fields ...models.PersonFields) map[string]int64 {
	run := &models.SyncRun{SourceID: f.src.ID, Status: models.SyncRunning}
	require.NoError(f.t, f.store.CreateSyncRun(f.ctx, run, nil))
	changes := make([]models.PersonChange, len(fields))
	for i, p := range fields {
		changes[i] = models.PersonChange{Kind: models.EventJoined, Fields: p}
	}
	ids, err := f.store.ApplySyncRun(f.ctx, admin, run, models.SyncRunning, models.SyncCounts{Joiners: len(fields)}, changes)
	require.NoError(f.t, err)
	out := map[string]int64{}
	for i, id := range ids {
		out[fields[i].ExternalID] = id
	}
	return out
}

func (f *fixture) apply(file string) *reconcile.Summary {
	f.t.Helper()
	list, err := reconcile.ParseCSV(strings.NewReader(file))
	require.NoError(f.t, err)
	f.queued = nil
	sum, err := f.rec.Apply(f.ctx, admin, f.app, list, time.Now())
	require.NoError(f.t, err)
	return sum
}

func staff(id, first, email, dept string) models.PersonFields {
	return models.PersonFields{ExternalID: id, FirstName: first, LastName: "Staff", WorkEmail: email, Department: dept,
		Status: models.StatusActive, StartDate: "2021-04-01", Country: "GB"}
}

func ops(c *models.Change) []string {
	var out []string
	for _, s := range c.Plan {
		out = append(out, s.Op)
	}
	return out
}

// TestReconcileFromAnUpload is the whole loop short of executing: an
// existing company's accounts come in, each is matched or not, and the
// planner proposes only what the rules say is missing: a current
// employee's existing account is not created again, access the app has
// beyond the rules is kept, and a terminated person's account that
// predates Roster is taken away.
func TestReconcileFromAnUpload(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		f := newFixture(t, store)
		grace := staff("E2", "Grace", "grace@example.com", "Engineering")
		grace.Status, grace.TerminationDate = models.StatusTerminated, "2026-01-31"
		lin := staff("E3", "Lin", "lin@example.com", "Sales")
		lin.Phone = "+442079460018"
		ids := f.people(staff("E1", "Ada", "ada@example.com", "Engineering"), grace, lin, staff("E4", "Max", "max@example.com", "Sales"))

		sum := f.apply("account_id,email,phone,employee_number,name,status,entitlements\n" +
			"u-1, ADA@example.com ,,,Ada,active,admin\n" + // matched by work email; admin is beyond the rules
			"u-2,grace@example.com,,,Grace,active,eng\n" + // a leaver's account that predates Roster
			"u-3,max@example.com,020 7946 0018,,Who?,active,\n" + // Max's email, Lin's phone
			"u-4,contractor@elsewhere.com,,,Contractor,active,ghost\n")
		require.Equal(t, "matched=2 ambiguous=1 not_in_hr=1 terminated_active=1", sum.Line())
		require.Equal(t, []string{"ghost"}, sum.Unknown, "keys the catalogue lacks are reported")
		require.ElementsMatch(t, []int64{ids["E1"], ids["E2"]}, f.queued, "the people whose recorded access changed are planned")

		access, err := store.AccessOf(f.ctx, []int64{ids["E1"], ids["E3"], ids["E4"]})
		require.NoError(t, err)
		require.Len(t, access[ids["E1"]].Accounts, 1)
		require.Equal(t, "u-1", access[ids["E1"]].Accounts[0].RemoteID)
		require.Len(t, access[ids["E1"]].Grants, 1)
		require.Equal(t, f.admin.ID, access[ids["E1"]].Grants[0].EntitlementID)
		require.Equal(t, models.GrantByApp, access[ids["E1"]].Grants[0].Origin)
		require.Empty(t, access[ids["E3"]].Accounts, "an ambiguous account is linked to nobody")
		require.Empty(t, access[ids["E4"]].Accounts)

		listed, err := store.AppAccounts(f.ctx, f.app.ID, models.AppAccountsFilter{})
		require.NoError(t, err)
		require.Equal(t, "u-3", listed[0].RemoteID, "ambiguous accounts come first")
		require.Equal(t, models.VerdictAmbiguous, listed[0].Verdict)
		require.ElementsMatch(t, []int64{ids["E3"], ids["E4"]}, listed[0].Candidates)
		require.Equal(t, "u-4", listed[1].RemoteID)
		require.Equal(t, models.VerdictNotInHR, listed[1].Verdict)

		require.NoError(t, f.plan.PlanPeople(f.ctx, f.queued))
		ada, err := store.OpenChangeOf(f.ctx, ids["E1"])
		require.NoError(t, err)
		require.Equal(t, models.ChangeMove, ada.Kind, "a current employee with an account is not a joiner")
		require.Equal(t, []string{"grant"}, ops(ada), "only the missing eng is proposed: no new account, admin is not revoked")
		require.Equal(t, f.eng.ID, ada.Plan[0].EntitlementID)
		leaver, err := store.OpenChangeOf(f.ctx, ids["E2"])
		require.NoError(t, err)
		require.Equal(t, models.ChangeLeave, leaver.Kind)
		require.Equal(t, []string{"revoke", "disable"}, ops(leaver), "the leaver loses the account Roster never created")
		require.False(t, leaver.AutoApproved, "a leaver's change waits for an admin")

		// The next list no longer has Ada's account nor the ambiguous one,
		// and Grace's account lost eng.
		sum = f.apply("account_id,email,entitlements\nu-2,grace@example.com,\nu-4,contractor@elsewhere.com,\n")
		require.Equal(t, 2, sum.Gone)
		require.ElementsMatch(t, []int64{ids["E1"], ids["E2"]}, f.queued)
		access, err = store.AccessOf(f.ctx, []int64{ids["E1"], ids["E2"]})
		require.NoError(t, err)
		require.Equal(t, models.AccountDeleted, access[ids["E1"]].Accounts[0].Status, "an account gone from the app is recorded gone")
		require.Empty(t, access[ids["E1"]].Grants)
		require.Empty(t, access[ids["E2"]].Grants, "an entitlement the app no longer reports is gone")
		counts, err := store.CountAppAccounts(f.ctx, f.app.ID)
		require.NoError(t, err)
		require.Equal(t, models.AppAccountCounts{Matched: 1, NotInHR: 1, Gone: 2}, counts)
	})
}

// TestReconcileDrift: an account Roster knows that changed outside
// Roster (disabled, an entitlement removed, one added) is recorded on the
// person's history and the planner proposes putting it back as the rules
// say: re-enable, grant eng again, revoke the admin role no rule gives.
// An account seen for the first time is taken as it is: no drift.
func TestReconcileDrift(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		f := newFixture(t, store)
		ids := f.people(staff("E1", "Ada", "ada@example.com", "Engineering"))
		ada := ids["E1"]
		sum := f.apply("account_id,email,status,entitlements\nu-1,ada@example.com,active,eng\n")
		require.Empty(t, sum.Drifted, "a first sight is not a change outside Roster")
		require.NoError(t, f.plan.PlanPeople(f.ctx, f.queued))
		_, err := store.OpenChangeOf(f.ctx, ada)
		require.ErrorIs(t, err, models.ErrNotFound, "Ada has what the rules say")

		sum = f.apply("account_id,email,status,entitlements\nu-1,ada@example.com,disabled,admin\n")
		require.Equal(t, []int64{ada}, sum.Drifted)
		events, err := store.PersonEvents(f.ctx, ada)
		require.NoError(t, err)
		require.Equal(t, models.EventOutsideChange, events[0].Kind, "newest first")
		require.Equal(t, []models.FieldChange{
			{Field: "GitHub account", Old: "active", New: "disabled"},
			{Field: "GitHub · admin", Old: "", New: "added"},
			{Field: "GitHub · eng", Old: "held", New: "removed"},
		}, events[0].Diff)
		access, err := store.AccessOf(f.ctx, []int64{ada})
		require.NoError(t, err)
		require.Len(t, access[ada].Grants, 1)
		require.Equal(t, models.GrantByRoster, access[ada].Grants[0].Origin, "added outside Roster: the rules decide")

		require.NoError(t, f.plan.PlanPeople(f.ctx, f.queued))
		c, err := store.OpenChangeOf(f.ctx, ada)
		require.NoError(t, err)
		require.Equal(t, models.ChangeMove, c.Kind)
		require.Equal(t, models.ReasonOutsideChange, c.Reason)
		require.Equal(t, []string{"create_account", "grant", "revoke"}, ops(c))
		require.False(t, c.AutoApproved, "revoking what no rule gave waits for an admin")
		require.Contains(t, c.Summary, "Changed outside Roster")

		// An app that suddenly lists nobody is not read as everyone gone.
		_, err = f.rec.Apply(f.ctx, admin, f.app, nil, time.Now())
		require.ErrorIs(t, err, reconcile.ErrEmptyList)
		access, err = store.AccessOf(f.ctx, []int64{ada})
		require.NoError(t, err)
		require.Equal(t, models.AccountDisabled, access[ada].Accounts[0].Status, "nothing was recorded")
	})
}

// TestReconcileFollowsTheAppsMatching: the keys an admin sets, in their
// order, are the only ones tried, and plus addressing folds only when on.
func TestReconcileFollowsTheAppsMatching(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		f := newFixture(t, store)
		f.people(staff("E1", "Ada", "ada@example.com", "Engineering"), staff("E2", "Grace", "grace@example.com", "Engineering"))
		file := "account_id,email,employee_number\nu-1,ada+github@example.com,\nu-2,grace@example.com,\nu-3,,E1\n"
		reload := func() {
			var err error
			f.app, err = store.AppByID(f.ctx, f.app.ID)
			require.NoError(t, err)
		}
		require.Equal(t, "matched=2 ambiguous=0 not_in_hr=1 terminated_active=0", f.apply(file).Line(),
			"by default a plus address is another mailbox: u-1 is nobody's")

		require.NoError(t, store.SetAppMatching(f.ctx, admin, f.app.ID, []string{"work_email"}, true))
		reload()
		require.Equal(t, "matched=2 ambiguous=0 not_in_hr=1 terminated_active=0", f.apply(file).Line(),
			"plus addressing folded: u-1 is Ada; employee numbers are not used: u-3 is nobody's")
		listed, err := store.AppAccounts(f.ctx, f.app.ID, models.AppAccountsFilter{Verdict: models.VerdictNotInHR})
		require.NoError(t, err)
		require.Len(t, listed, 1)
		require.Equal(t, "u-3", listed[0].RemoteID)

		require.Error(t, store.SetAppMatching(f.ctx, admin, f.app.ID, []string{"phone", "phone"}, false), "a key twice")
		require.Error(t, store.SetAppMatching(f.ctx, admin, f.app.ID, nil, false), "no key")
		require.Error(t, store.SetAppMatching(f.ctx, admin, f.app.ID, []string{"shoe_size"}, false))
		reload()
		order, plus := f.app.Matching()
		require.Equal(t, []string{"work_email"}, order, "a refused order changes nothing")
		require.True(t, plus)
	})
}

// TestReconcileNothingHappensToAmbiguousAccounts: two accounts that
// match the same person are both ambiguous, and neither is linked.
func TestReconcileNothingHappensToAmbiguousAccounts(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, _ *models.DB, store *models.Store) {
		f := newFixture(t, store)
		ids := f.people(staff("E1", "Ada", "ada@example.com", "Engineering"))
		sum := f.apply("account_id,email,employee_number\nu-1,ada@example.com,\nu-2,,E1\n")
		require.Equal(t, "matched=0 ambiguous=2 not_in_hr=0 terminated_active=0", sum.Line())
		require.Empty(t, f.queued)
		access, err := store.AccessOf(f.ctx, []int64{ids["E1"]})
		require.NoError(t, err)
		require.Empty(t, access[ids["E1"]].Accounts)
	})
}

func TestParseCSV(t *testing.T) {
	t.Parallel()
	list, err := reconcile.ParseCSV(strings.NewReader(reconcile.Template))
	require.NoError(t, err)
	require.Equal(t, []reconcile.Account{
		{ID: "u-1001", Email: "ada@example.com", Phone: "+44 20 7946 0018", EmployeeNumber: "E1001", Name: "Ada Lovelace",
			Status: models.AccountActive, Entitlements: []string{"eng", "admin"}},
		{ID: "u-1002", Email: "grace@example.com", EmployeeNumber: "E1002", Name: "Grace Hopper", Status: models.AccountDisabled},
	}, list, "the template is a valid file")

	for _, tc := range []struct {
		name, file string
		want       []string
	}{
		{"no account_id column", "email\nada@example.com\n", []string{"line 1: account_id: the file needs an account_id column"}},
		{"an unknown column", "account_id,mail\nu-1,a@b.c\n", []string{"line 1: mail: not a column of an accounts file"}},
		{"rows with problems, by line", "account_id,email,status\nu-1,ada@example.com,active\n,x@y.z,\nu-1,bad,gone\n",
			[]string{"line 3: account_id: every account needs its id", "line 4: email: \"bad\" is not an email address",
				"line 4: status: \"gone\" is not a status", "line 4: account_id: u-1 appears twice (first on line 2)"}},
		{"UTF-16", "\xff\xfea\x00", []string{"line 1: the file is UTF-16 text"}},
		{"not text", "\x89PNG\r\n\x1a\n\x00\x00", []string{"line 1: this does not look like a CSV file"}},
		{"empty", "", []string{"line 1: the file is empty"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := reconcile.ParseCSV(strings.NewReader(tc.file))
			var fe *reconcile.FileError
			require.ErrorAs(t, err, &fe)
			require.Len(t, fe.Problems, len(tc.want), "%v", fe.Problems)
			for i, w := range tc.want {
				require.True(t, strings.HasPrefix(fe.Problems[i].String(), w), "problem %d: %s, want %s…", i, fe.Problems[i], w)
			}
		})
	}
}
