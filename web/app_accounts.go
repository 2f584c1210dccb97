package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/jobs/reconcile"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/apps"
)

// accountsPageSize is how many accounts the Accounts tab lists at once.
const accountsPageSize = 200

// previewRows is how many accounts an upload's preview lists.
const previewRows = 500

// matchKeyWords names the match keys in the UI.
var matchKeyWords = map[string]string{
	"work_email": "work email", "personal_email": "personal email", "phone": "phone", "employee_number": "employee number",
}

// appAccountsPage is an app's Accounts tab.
func (s *Server) appAccountsPage(c echo.Context) error {
	app, err := s.loadApp(c)
	if err != nil {
		return err
	}
	return s.renderAccounts(c, http.StatusOK, app, apps.AccountsView{})
}

func (s *Server) renderAccounts(c echo.Context, status int, app *models.App, v apps.AccountsView) error {
	ctx := c.Request().Context()
	v.App = apps.App{ID: app.ID, Name: app.Name, Kind: string(app.Kind)}
	v.CanManage = currentAdmin(c).Role.AtLeast(models.RoleAdmin)
	if v.Matching.Keys == nil {
		order, plus := app.Matching()
		v.Matching = apps.MatchingForm{Keys: padKeys(order), Plus: plus}
	}
	v.Matching.Options = matchKeyOptions()
	if s.capabilities(app).ListsAccounts {
		if v.FromApp == nil {
			v.FromApp = &apps.FromApp{Every: strconv.Itoa(app.ReconcileEveryMinutes)}
		}
		if app.ReconciledAt != nil {
			v.FromApp.Last = formatTime(*app.ReconciledAt)
		}
		v.FromApp.Summary, v.FromApp.Error, v.FromApp.CanNow = app.ReconcileSummary, app.ReconcileError, s.reconciles != nil
	}
	v.Filter = c.QueryParam("verdict")
	if !slices.Contains([]string{"", models.VerdictMatched, models.VerdictAmbiguous, models.VerdictNotInHR}, v.Filter) {
		v.Filter = ""
	}
	offset, _ := strconv.Atoi(c.QueryParam("offset"))
	offset = max(offset, 0)
	counts, err := s.store.CountAppAccounts(ctx, app.ID)
	if err != nil {
		return err
	}
	v.Counts = apps.AccountCounts{Matched: counts.Matched, Ambiguous: counts.Ambiguous, NotInHR: counts.NotInHR + counts.Service,
		Gone: counts.Gone, Service: counts.Service}
	base := string(apps.AccountsURL(app.ID))
	for _, f := range []struct {
		key, label string
		n          int
	}{
		{"", "All", counts.Matched + counts.Ambiguous + counts.NotInHR + counts.Service + counts.Gone},
		{models.VerdictAmbiguous, "Ambiguous", counts.Ambiguous},
		{models.VerdictNotInHR, "Not in HR", counts.NotInHR + counts.Service},
		{models.VerdictMatched, "Matched", counts.Matched},
	} {
		u := base
		if f.key != "" {
			u += "?verdict=" + f.key
		}
		key := f.key
		if key == "" {
			key = "all"
		}
		v.Filters = append(v.Filters, apps.AccountFilter{Key: key, Label: f.label, URL: u, Count: f.n, Active: f.key == v.Filter})
	}
	list, err := s.store.AppAccounts(ctx, app.ID, models.AppAccountsFilter{Verdict: v.Filter, Limit: accountsPageSize + 1, Offset: offset})
	if err != nil {
		return err
	}
	if len(list) > accountsPageSize {
		list = list[:accountsPageSize]
		q := url.Values{"offset": {strconv.Itoa(offset + accountsPageSize)}}
		if v.Filter != "" {
			q.Set("verdict", v.Filter)
		}
		v.NextURL = base + "?" + q.Encode()
	}
	if v.Rows, err = s.accountRows(c, list, true); err != nil {
		return err
	}
	for i := range v.Rows {
		if v.Rows[i].ID == v.LinkFailed {
			v.Rows[i].LinkError = v.LinkError
		}
	}
	return render(c, status, apps.Accounts(s.page(c, app.Name+": accounts", "apps"), v))
}

// accountRows turns accounts into rows, naming the people they match or
// fit.
func (s *Server) accountRows(c echo.Context, list []models.AppAccount, seen bool) ([]apps.AccountRow, error) {
	var ids []int64
	for _, a := range list {
		if a.PersonID != nil {
			ids = append(ids, *a.PersonID)
		}
		ids = append(ids, a.Candidates...)
	}
	slices.Sort(ids)
	ppl, err := s.store.PeopleByIDs(c.Request().Context(), slices.Compact(ids))
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*models.Person, len(ppl))
	for i := range ppl {
		byID[ppl[i].ID] = &ppl[i]
	}
	link := func(id int64) apps.PersonLink {
		if p, ok := byID[id]; ok {
			return apps.PersonLink{Name: p.DisplayName(), URL: fmt.Sprintf("/people/%d", id)}
		}
		return apps.PersonLink{Name: fmt.Sprintf("person %d", id), URL: fmt.Sprintf("/people/%d", id)}
	}
	out := make([]apps.AccountRow, len(list))
	for i, a := range list {
		r := apps.AccountRow{ID: a.ID, RemoteID: a.RemoteID, Service: a.Decision == models.DecisionService, Name: a.Name, Email: a.Email, Phone: a.Phone, Employee: a.EmployeeNumber,
			Status: a.Status, Verdict: a.Verdict, MatchedBy: matchKeyWords[a.MatchedBy], Reason: a.Reason,
			Entitlements: strings.Join(a.Entitlements, ", ")}
		if a.Status == models.AccountDeleted {
			r.Status = "gone from the app"
		}
		if a.Decision == models.DecisionLinked {
			r.LinkedBy = a.DecidedBy
		}
		if !seen {
			r.ID = 0 // a preview's rows are not recorded yet
		}
		if seen {
			r.LastSeen = formatTime(a.LastSeenAt)
		}
		if a.PersonID != nil && a.Verdict == models.VerdictMatched {
			l := link(*a.PersonID)
			r.Person = &l
			r.Terminated = a.Status == models.AccountActive && byID[*a.PersonID] != nil && byID[*a.PersonID].Status == models.StatusTerminated
		}
		for _, id := range a.Candidates {
			r.Candidates = append(r.Candidates, link(id))
		}
		out[i] = r
	}
	return out, nil
}

// accountsTemplate is the accounts file template.
func (s *Server) accountsTemplate(c echo.Context) error {
	if _, err := s.loadApp(c); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="accounts-template.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", []byte(reconcile.Template))
}

// accountsUpload reads an app's accounts file and keeps it for its
// preview; a file with problems is rejected with them, by line.
func (s *Server) accountsUpload(c echo.Context) error {
	app, err := s.loadApp(c)
	if err != nil {
		return err
	}
	fail := func(v apps.AccountsView) error { return s.renderAccounts(c, http.StatusUnprocessableEntity, app, v) }
	fh, err := c.FormFile("file")
	if errors.Is(err, http.ErrMissingFile) {
		return fail(apps.AccountsView{UploadError: "Choose a file to upload."})
	} else if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The upload could not be read.").SetInternal(err)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	list, err := reconcile.ParseCSV(f)
	var fe *reconcile.FileError
	if errors.As(err, &fe) {
		v := apps.AccountsView{UploadError: fmt.Sprintf("%s was rejected: fix the problems listed above and upload it again.", fh.Filename)}
		for _, p := range fe.Problems {
			v.Problems = append(v.Problems, apps.AccountProblem{Line: p.Line, Column: p.Field, Problem: p.Message})
		}
		return fail(v)
	}
	if err != nil {
		return err
	}
	up, err := s.accounts.SaveUpload(c.Request().Context(), actor(c), app, fh.Filename, list)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/apps/%d/accounts/uploads/%d", app.ID, up.ID))
}

// loadUpload reads the app and the upload the path names.
func (s *Server) loadUpload(c echo.Context) (*models.App, *models.AccountUpload, error) {
	app, err := s.loadApp(c)
	if err != nil {
		return nil, nil, err
	}
	id, err := strconv.ParseInt(c.Param("upload"), 10, 64)
	if err != nil {
		return nil, nil, echo.NewHTTPError(http.StatusNotFound)
	}
	up, err := s.store.AccountUploadByID(c.Request().Context(), app.ID, id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil, echo.NewHTTPError(http.StatusNotFound, "This upload was applied or discarded, or replaced by a newer one.")
	}
	return app, up, err
}

// accountsPreview shows what applying an upload would record.
func (s *Server) accountsPreview(c echo.Context) error {
	app, up, err := s.loadUpload(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	list, err := s.accounts.LoadUpload(ctx, up)
	if err != nil {
		return err
	}
	pv, err := s.accounts.Preview(ctx, app, list)
	if err != nil {
		return err
	}
	// Ambiguous and unmatched accounts first: they need an admin.
	rows := slices.Clone(pv.Rows)
	order := map[string]int{models.VerdictAmbiguous: 0, models.VerdictNotInHR: 1, models.VerdictMatched: 2}
	slices.SortStableFunc(rows, func(a, b models.AppAccount) int { return order[a.Verdict] - order[b.Verdict] })
	more := 0
	if len(rows) > previewRows {
		more, rows = len(rows)-previewRows, rows[:previewRows]
	}
	v := apps.AccountsPreviewView{App: apps.App{ID: app.ID, Name: app.Name}, UploadID: up.ID, FileName: up.FileName,
		Uploaded: formatTime(up.CreatedAt) + " by " + up.UploadedBy, MoreRows: more, CanManage: true,
		Counts: apps.AccountCounts{Matched: pv.Matched, Ambiguous: pv.Ambiguous, NotInHR: pv.NotInHR, Gone: pv.Gone,
			TerminatedActive: pv.TerminatedActive, Seen: pv.Seen},
		Unknown: unknownKeys(pv.Rows, s, c, app)}
	if v.Rows, err = s.accountRows(c, rows, false); err != nil {
		return err
	}
	return render(c, http.StatusOK, apps.AccountsPreview(s.page(c, app.Name+": accounts preview", "apps"), v))
}

// unknownKeys are the entitlement keys of rows that the app's catalogue
// lacks, sorted.
func unknownKeys(rows []models.AppAccount, s *Server, c echo.Context, app *models.App) []string {
	ents, err := s.store.Entitlements(c.Request().Context(), app.ID)
	if err != nil {
		return nil
	}
	known := map[string]bool{}
	for _, e := range ents {
		known[e.Key] = true
	}
	var out []string
	for _, r := range rows {
		for _, k := range r.Entitlements {
			if !known[k] && !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return out
}

// accountsApply records an upload as the app's current accounts.
func (s *Server) accountsApply(c echo.Context) error {
	app, up, err := s.loadUpload(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	list, err := s.accounts.LoadUpload(ctx, up)
	if err != nil {
		return err
	}
	sum, err := s.accounts.Apply(ctx, actor(c), app, list, time.Now())
	if err != nil {
		return err
	}
	if err := s.store.DeleteAccountUpload(ctx, up.ID); err != nil {
		return err
	}
	msg := fmt.Sprintf("%s's %d accounts were recorded: %d matched, %d ambiguous, %d not in HR, %d gone.",
		app.Name, sum.Seen, sum.Matched, sum.Ambiguous, sum.NotInHR, sum.Gone)
	if n := len(sum.Changed) + sum.TerminatedActive; n > 0 {
		msg += " Team Updates lists what the rules now propose for the people whose access changed."
	}
	return s.redirectWithFlash(c, string(apps.AccountsURL(app.ID)), "success", msg)
}

// accountsDiscard drops an upload unapplied.
func (s *Server) accountsDiscard(c echo.Context) error {
	app, up, err := s.loadUpload(c)
	if err != nil {
		return err
	}
	if err := s.store.DeleteAccountUpload(c.Request().Context(), up.ID); err != nil {
		return err
	}
	return s.redirectWithFlash(c, string(apps.AccountsURL(app.ID)), "info", up.FileName+" was discarded; nothing was recorded.")
}

// accountLink links an ambiguous or not-in-HR account to a person: a
// candidate's id, or a work email or employee id typed in. Their access
// is then planned again, in the same transaction.
func (s *Server) accountLink(c echo.Context) error {
	app, accountID, err := s.accountParams(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	back := string(apps.AccountsURL(app.ID))
	fail := func(msg string) error {
		v := apps.AccountsView{}
		v.LinkFailed, v.LinkError = accountID, msg
		return s.renderAccounts(c, http.StatusUnprocessableEntity, app, v)
	}
	var personID int64
	if raw := c.FormValue("person_id"); raw != "" {
		if personID, err = strconv.ParseInt(raw, 10, 64); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "The person could not be read.")
		}
	} else {
		key := strings.TrimSpace(c.FormValue("person"))
		if key == "" {
			return fail("Type the person's work email or employee id.")
		}
		p, err := s.store.PersonByKey(ctx, key)
		if errors.Is(err, models.ErrNotFound) {
			return fail(fmt.Sprintf("Nobody in HR has the work email or employee id %q.", key))
		}
		if err != nil {
			return err
		}
		personID = p.ID
	}
	err = s.store.WithTx(ctx, func(tx *models.Store) error {
		changed, err := tx.LinkAppAccount(ctx, actor(c), app.ID, accountID, personID, time.Now())
		if err != nil {
			return err
		}
		if s.accounts.PlanLater == nil || len(changed) == 0 {
			return nil
		}
		_, err = s.accounts.PlanLater(ctx, tx, changed)
		return err
	})
	switch {
	case errors.Is(err, models.ErrConflict):
		msg := err.Error()
		if i := strings.LastIndex(msg, "conflict: "); i >= 0 {
			msg = msg[i+len("conflict: "):]
		}
		return fail(upperFirst(msg) + ".")
	case errors.Is(err, models.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound)
	case err != nil:
		return err
	}
	return s.redirectWithFlash(c, back, "success", "The account was linked. Team Updates lists what the rules now propose for its person.")
}

// accountService marks an account not in HR as a service account, or
// takes the mark off.
func (s *Server) accountService(c echo.Context) error {
	app, accountID, err := s.accountParams(c)
	if err != nil {
		return err
	}
	service := c.FormValue("service") == "1"
	err = s.store.MarkServiceAccount(c.Request().Context(), actor(c), app.ID, accountID, service, time.Now())
	switch {
	case errors.Is(err, models.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound)
	case errors.Is(err, models.ErrConflict):
		return s.redirectWithFlash(c, string(apps.AccountsURL(app.ID)), "error", "Only an account not in HR can be a service account.")
	case err != nil:
		return err
	}
	msg := "Marked as a service account: kept, and ignored by planning."
	if !service {
		msg = "No longer marked as a service account."
	}
	return s.redirectWithFlash(c, string(apps.AccountsURL(app.ID)), "success", msg)
}

// accountParams loads the :id app and reads the :account id.
func (s *Server) accountParams(c echo.Context) (*models.App, int64, error) {
	app, err := s.loadApp(c)
	if err != nil {
		return nil, 0, err
	}
	id, err := strconv.ParseInt(c.Param("account"), 10, 64)
	if err != nil || id <= 0 {
		return nil, 0, echo.NewHTTPError(http.StatusNotFound)
	}
	return app, id, nil
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// matchKeyOptions are the match keys in words, in the default order.
func matchKeyOptions() []apps.Option {
	out := make([]apps.Option, len(models.MatchKeys))
	for i, k := range models.MatchKeys {
		out[i] = apps.Option{Value: k, Label: matchKeyWords[k]}
	}
	return out
}

// padKeys is an order as the form's selects show it: one per key, the
// unused ones empty.
func padKeys(order []string) []string {
	out := make([]string, len(models.MatchKeys))
	copy(out, order)
	return out
}

// accountsMatching saves how the app's accounts are matched.
func (s *Server) accountsMatching(c echo.Context) error {
	app, err := s.loadApp(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	var order []string
	for _, k := range form["key"] {
		if k = strings.TrimSpace(k); k != "" {
			order = append(order, k)
		}
	}
	plus := c.FormValue("plus") == "on"
	if msg := models.ValidateMatchOrder(order); msg != "" {
		keys := form["key"]
		if len(keys) > len(models.MatchKeys) {
			keys = keys[:len(models.MatchKeys)]
		}
		return s.renderAccounts(c, http.StatusUnprocessableEntity, app,
			apps.AccountsView{Matching: apps.MatchingForm{Keys: padKeys(keys), Plus: plus, Error: msg}})
	}
	if err := s.store.SetAppMatching(c.Request().Context(), actor(c), app.ID, order, plus); err != nil {
		return err
	}
	return s.redirectWithFlash(c, string(apps.AccountsURL(app.ID))+"#matching", "success",
		"Matching saved. It applies from the next reconciliation of "+app.Name+".")
}

// accountsReconcileNow queues a reconciliation of the app from the app
// itself.
func (s *Server) accountsReconcileNow(c echo.Context) error {
	app, err := s.loadApp(c)
	if err != nil {
		return err
	}
	if s.reconciles == nil || !s.capabilities(app).ListsAccounts {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err := s.reconciles.ReconcileNow(c.Request().Context(), actor(c), app); err != nil {
		return err
	}
	return s.redirectWithFlash(c, string(apps.AccountsURL(app.ID))+"#from-app", "success",
		"Roster is listing "+app.Name+"'s accounts. Reload this page in a moment to see what it found.")
}

// accountsSchedule sets how often the app's accounts are listed.
func (s *Server) accountsSchedule(c echo.Context) error {
	app, err := s.loadApp(c)
	if err != nil {
		return err
	}
	if !s.capabilities(app).ListsAccounts {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	raw := strings.TrimSpace(c.FormValue("every"))
	n, err := strconv.Atoi(raw)
	msg := models.ValidateReconcileEvery(n)
	if err != nil {
		msg = models.ValidateReconcileEvery(-1)
	}
	if msg != "" {
		return s.renderAccounts(c, http.StatusUnprocessableEntity, app, apps.AccountsView{FromApp: &apps.FromApp{Every: raw, EveryError: msg}})
	}
	if err := s.store.SetAppReconcileEvery(c.Request().Context(), actor(c), app.ID, n); err != nil {
		return err
	}
	say := fmt.Sprintf("%s's accounts are listed every %d minutes.", app.Name, n)
	if n == 0 {
		say = app.Name + "'s accounts are listed only when you ask."
	}
	return s.redirectWithFlash(c, string(apps.AccountsURL(app.ID))+"#from-app", "success", say)
}
