package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/source/csvsource"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/sources"
	"github.com/rosterhq/roster/web"
)

// csvPerson is one row of a test CSV file.
type csvPerson struct {
	ID, First, Last, Email, Status, Department, Title, Location string
}

// csvColumns are the columns csvFile writes.
const csvColumns = "employee_id,first_name,last_name,work_email,status,start_date,department,title,location"

// csvFile writes people as an upload would carry them.
func csvFile(people []csvPerson) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write(strings.Split(csvColumns, ","))
	for _, p := range people {
		status := p.Status
		if status == "" {
			status = "active"
		}
		email := p.Email
		if email == "" {
			email = strings.ToLower(p.First+"."+p.Last) + "@example.com"
		}
		_ = w.Write([]string{p.ID, p.First, p.Last, email, status, "2024-01-15", p.Department, p.Title, p.Location})
	}
	w.Flush()
	return b.String()
}

// staff returns n active people E001... in Engineering.
func staff(n int) []csvPerson {
	out := make([]csvPerson, n)
	for i := range out {
		out[i] = csvPerson{ID: fmt.Sprintf("E%03d", i+1), First: "Person", Last: fmt.Sprintf("Number%03d", i+1),
			Department: "Engineering", Title: "Engineer", Location: "Berlin"}
	}
	return out
}

// uploadCSV posts a file as the upload form does: multipart, with the
// CSRF token in the _csrf field. An empty fileName sends no file.
func (b *browser) uploadCSV(path, fileName, content string) *page {
	b.t.Helper()
	return b.do(b.uploadRequest(path, fileName, content))
}

// uploadRequest is the request uploadCSV sends.
func (b *browser) uploadRequest(path, fileName, content string) *http.Request {
	b.t.Helper()
	return b.uploadRequestWith(path, fileName, content, nil)
}

// uploadRequestWith is uploadRequest with more form fields.
func (b *browser) uploadRequestWith(path, fileName, content string, fields map[string]string) *http.Request {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	require.NoError(b.t, w.WriteField("_csrf", b.token()))
	for k, v := range fields {
		require.NoError(b.t, w.WriteField(k, v))
	}
	if fileName != "" {
		part, err := w.CreateFormFile("file", fileName)
		require.NoError(b.t, err)
		_, err = part.Write([]byte(content))
		require.NoError(b.t, err)
	}
	require.NoError(b.t, w.Close())
	req := b.request(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return req
}

// newSource creates a CSV source with the default brake.
func (s *testServer) newSource(t *testing.T, name string) *models.Source {
	t.Helper()
	src, err := s.Store.CreateSource(context.Background(), models.CLIActor, models.SourceInput{Name: name, Kind: models.SourceCSV,
		Brake: models.DefaultBrake()})
	require.NoError(t, err)
	return src
}

// uploadRun uploads a file and returns the run page it redirects to.
func (b *browser) uploadRun(src *models.Source, content string) (runPath string, p *page) {
	b.t.Helper()
	up := b.uploadCSV(fmt.Sprintf("/sources/%d/upload", src.ID), "people.csv", content)
	require.Equal(b.t, http.StatusSeeOther, up.Status, "body: %s", up.Body)
	runPath = up.Location()
	require.Regexp(b.t, fmt.Sprintf(`^/sources/%d/runs/\d+$`, src.ID), runPath)
	p = b.get(runPath)
	p.requireStatus(http.StatusOK)
	require.Equal(b.t, 1, p.TestID("run-page").Length())
	return runPath, p
}

// peopleTotal counts the people of a status ("" for all).
func (s *testServer) peopleTotal(t *testing.T, status models.PersonStatus) int64 {
	t.Helper()
	_, total, err := s.Store.ListPeople(context.Background(), models.PeopleFilter{Status: status})
	require.NoError(t, err)
	return total
}

// runOf loads the run a run page path names.
func (s *testServer) runOf(t *testing.T, runPath string) *models.SyncRun {
	t.Helper()
	var sourceID, runID int64
	_, err := fmt.Sscanf(runPath, "/sources/%d/runs/%d", &sourceID, &runID)
	require.NoError(t, err)
	run, err := s.Store.SyncRunByID(context.Background(), runID)
	require.NoError(t, err)
	return run
}

func TestSourceCreate(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)

		p := b.get("/sources")
		p.requireStatus(http.StatusOK)
		require.Equal(t, 1, p.TestID("sources-empty").Length())
		require.Equal(t, 1, p.TestID("source-form").Length())
		assert.Equal(t, "500", p.TestID("brake-people").AttrOr("value", ""), "the default brake is filled in")
		assert.Equal(t, "10", p.TestID("brake-percent").AttrOr("value", ""))
		assert.Equal(t, "5000", p.TestID("brake-revocations").AttrOr("value", ""))

		for name, tt := range map[string]struct {
			form    url.Values
			message string
		}{
			"no name":       {brakeValues("  ", "5", "10", "100"), "Give the source a name"},
			"not a number":  {brakeValues("HR", "five", "10", "100"), "Enter a whole number of people"},
			"negative":      {brakeValues("HR", "-1", "10", "100"), "Use a number of people from 0 to 1,000,000."},
			"over 100 %":    {brakeValues("HR", "5", "150", "100"), "Use a percentage from 0 to 100."},
			"empty percent": {brakeValues("HR", "5", "", "100"), "Enter a whole percentage"},
			"huge":          {brakeValues("HR", "99999999999999999999", "10", "100"), "Enter a whole number of people"},
			"over int32":    {brakeValues("HR", "5", "10", "9999999999"), "Use a number from 0 to 1,000,000."},
		} {
			p := b.post("/sources", tt.form)
			p.requireStatus(http.StatusUnprocessableEntity)
			assert.Contains(t, p.TestID("source-form").Find(".field-error").Text(), tt.message, name)
			assert.Equal(t, tt.form.Get("name"), p.Doc().Find("#source-name").AttrOr("value", "?"), "%s: the input is kept", name)
		}
		list, err := srv.Store.ListSources(context.Background())
		require.NoError(t, err)
		require.Empty(t, list)

		p = b.post("/sources", brakeValues("Workday export", "3", "20", "40"))
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		src, err := srv.Store.SourceByName(context.Background(), "Workday export")
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("/sources/%d", src.ID), p.Location())
		require.Equal(t, models.SourceCSV, src.Kind)
		require.Equal(t, models.BrakeThresholds{People: 3, Percent: 20, Revocations: 40}, src.Brake)
		require.Len(t, srv.auditEvents(t, models.ActionSourceCreated), 1)

		page := b.get(p.Location())
		page.requireStatus(http.StatusOK)
		assert.Contains(t, page.Flash("success"), "Source Workday export created")
		assert.Contains(t, page.Text("source-brake"), "Holds a run when 3 people or 20% of its active people would lose access")
		assert.Contains(t, page.Text("source-brake"), "take away 40 grants and accounts")
		assert.Equal(t, 1, page.TestID("upload-form").Length())
		assert.Equal(t, 1, page.TestID("runs-empty").Length())

		p = b.post("/sources", brakeValues("Workday export", "5", "10", "100"))
		p.requireStatus(http.StatusUnprocessableEntity)
		assert.Contains(t, p.TestID("source-form").Find(".field-error").Text(), "already exists")

		list = nil
		list, err = srv.Store.ListSources(context.Background())
		require.NoError(t, err)
		require.Len(t, list, 1)
		p = b.get("/sources")
		require.Equal(t, 1, p.TestID("source-row-Workday export").Length())
		assert.Contains(t, p.TestID("source-row-Workday export").Text(), "Never run")
	})
}

func TestSourceTemplateDownload(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	b := srv.browser(t)
	b.signInAs(models.RoleViewer)

	p := b.get("/sources/template.csv")
	p.requireStatus(http.StatusOK)
	require.True(t, strings.HasPrefix(p.Header.Get("Content-Type"), "text/csv"), p.Header.Get("Content-Type"))
	require.Equal(t, `attachment; filename="roster-people-template.csv"`, p.Header.Get("Content-Disposition"))
	header, _, _ := strings.Cut(strings.TrimPrefix(p.Body, "\ufeff"), "\n") // a BOM tells Excel it is UTF-8
	for _, col := range []string{"employee_id", "status", "work_email", "start_date"} {
		require.Contains(t, strings.Split(strings.TrimSpace(header), ","), col)
	}

	res, err := csvsource.Parse(strings.NewReader(p.Body))
	require.NoError(t, err)
	require.Empty(t, res.Errors, "the template itself is a valid file")
}

// TestCSVColumnsDocumented keeps the column list the pages show and
// docs/csv.md in step with the parser's.
func TestCSVColumnsDocumented(t *testing.T) {
	t.Parallel()
	var shown []string
	for _, c := range sources.RequiredColumns {
		shown = append(shown, c.Name+" required")
	}
	for _, c := range sources.OptionalColumns {
		shown = append(shown, c.Name+" optional")
	}
	var parsed []string
	for _, c := range csvsource.Columns {
		kind := " optional"
		if c.Required {
			kind = " required"
		}
		parsed = append(parsed, c.Name+kind)
	}
	require.ElementsMatch(t, parsed, shown)

	doc, err := os.ReadFile("../docs/csv.md")
	require.NoError(t, err)
	for _, c := range csvsource.Columns {
		require.Contains(t, string(doc), "`"+c.Name+"`", "docs/csv.md documents %s", c.Name)
	}
}

func TestUploadPreviewConfirmAndBrake(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		src := srv.newSource(t, "HR")
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)

		// A new source's upload form starts as a baseline.
		form := b.get(fmt.Sprintf("/sources/%d", src.ID))
		_, checked := form.TestID("upload-baseline").Attr("checked")
		require.True(t, checked, "a new source's first file is a baseline by default")

		// A first file: 20 people already on staff (a baseline), shown but
		// not stored.
		runPath, p := b.uploadRun(src, csvFile(staff(20)))
		assert.Equal(t, "Preview", p.TestID("run-page").Find(`[data-testid="run-status"]`).First().Text())
		assert.Equal(t, 1, p.TestID("run-baseline").Length())
		assert.Equal(t, "20", p.Text("count-existing"))
		assert.Equal(t, "0", p.Text("count-joiners"))
		assert.Equal(t, "0", p.Text("count-movers"))
		assert.Equal(t, "0", p.Text("count-leavers"))
		assert.Equal(t, "0", p.Text("count-rehires"))
		assert.Equal(t, "0", p.Text("count-unchanged"))
		assert.Equal(t, 0, p.TestID("brake-warning").Length())
		assert.Equal(t, "people.csv", p.Text("run-file"))
		require.Equal(t, 1, p.TestID("run-confirm").Length())
		require.Zero(t, srv.peopleTotal(t, ""), "a preview stores nobody")

		p = b.post(runPath+"/confirm", nil)
		p.requireRedirect(http.StatusSeeOther, runPath)
		p = b.get(runPath)
		assert.Equal(t, "Applied: 20 people already on staff, 0 joiners, 0 movers, 0 leavers, 0 rehires.", p.Flash("success"))
		assert.Equal(t, 1, p.TestID("run-applied").Length())
		assert.Equal(t, 0, p.TestID("run-confirm").Length(), "an applied run has no buttons")
		require.Equal(t, models.SyncSucceeded, srv.runOf(t, runPath).Status)
		require.EqualValues(t, 20, srv.peopleTotal(t, models.StatusActive))

		// Confirming twice is refused with a message, not an error page.
		p = b.post(runPath+"/confirm", nil)
		p.requireRedirect(http.StatusSeeOther, runPath)
		assert.Contains(t, b.get(runPath).Flash("error"), "already decided")

		form = b.get(fmt.Sprintf("/sources/%d", src.ID))
		_, checked = form.TestID("upload-baseline").Attr("checked")
		require.False(t, checked, "once applied, a source's files bring joiners")

		// A second file missing 7 of the 20: at least 10 %.
		runPath, p = b.uploadRun(src, csvFile(staff(13)))
		assert.Equal(t, 0, p.TestID("run-baseline").Length())
		assert.Equal(t, "7", p.Text("count-leavers"))
		assert.Equal(t, "13", p.Text("count-unchanged"))
		assert.Contains(t, p.Text("brake-warning"), "7 people would lose access (7 leavers), 35% of 20 active people; the brake holds at 500 people or 10%")

		p = b.post(runPath+"/confirm", nil)
		p.requireRedirect(http.StatusSeeOther, runPath)
		p = b.get(runPath)
		assert.Contains(t, p.Flash("info"), "Not applied: the safety brake held this run")
		assert.Contains(t, p.Text("held-reason"), "7 people would lose access (7 leavers)")
		require.Zero(t, p.TestID("banner").Length(), "the run's own page does not repeat it in a banner")
		require.Equal(t, models.SyncHeld, srv.runOf(t, runPath).Status)
		require.EqualValues(t, 20, srv.peopleTotal(t, models.StatusActive), "a held run applies nothing")

		other := b.get("/people")
		require.Equal(t, 1, other.TestID("banner").Length(), "every other page shows the held run")
		assert.Contains(t, other.Text("banner"), "held by the safety brake")
		assert.Equal(t, runPath, other.TestID("banner").Find("a").AttrOr("href", ""))
		src1 := b.get(fmt.Sprintf("/sources/%d", src.ID))
		assert.Equal(t, 2, src1.TestID("run-row").Length())
		assert.Contains(t, src1.TestID("run-row").First().Text(), "Held")

		// Confirming the held run applies it anyway.
		p = b.post(runPath+"/confirm", nil)
		p.requireRedirect(http.StatusSeeOther, runPath)
		p = b.get(runPath)
		assert.Equal(t, "Applied: 0 joiners, 0 movers, 7 leavers, 0 rehires.", p.Flash("success"))
		assert.Equal(t, 0, p.TestID("banner").Length())
		require.EqualValues(t, 13, srv.peopleTotal(t, models.StatusActive))
		require.EqualValues(t, 7, srv.peopleTotal(t, models.StatusTerminated))

		list := b.get("/sources")
		row := list.TestID("source-row-HR")
		assert.Contains(t, row.Text(), "20")
		assert.Contains(t, row.Text(), "7 left")
		assert.Contains(t, row.Text(), "Applied")
		assert.Contains(t, row.Text(), "7 leavers")
	})
}

// Unticking the baseline box reads a new source's first file as joiners.
func TestUploadWithoutBaseline(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		src := srv.newSource(t, "HR")
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)
		up := b.do(b.uploadRequestWith(fmt.Sprintf("/sources/%d/upload", src.ID), "people.csv", csvFile(staff(4)),
			map[string]string{"baseline_choice": "1"}))
		require.Equal(t, http.StatusSeeOther, up.Status, "body: %s", up.Body)
		p := b.get(up.Location())
		assert.Equal(t, "4", p.Text("count-joiners"))
		assert.Equal(t, 0, p.TestID("count-existing").Length())
		assert.Equal(t, 0, p.TestID("run-baseline").Length())
		require.False(t, srv.runOf(t, up.Location()).Baseline)
	})
}

func TestUploadHeaderOnlyIsHeld(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	src := srv.newSource(t, "HR")
	b := srv.browser(t)
	b.signInAs(models.RoleOwner)
	runPath, _ := b.uploadRun(src, csvFile(staff(3)))
	b.post(runPath+"/confirm", nil).requireRedirect(http.StatusSeeOther, runPath)

	// A file with a header and nobody in it would mean everyone left:
	// the preview warns, and confirming holds the run instead of applying it.
	runPath, p := b.uploadRun(src, csvColumns+"\n")
	require.Equal(t, 1, p.TestID("brake-warning").Length())
	b.post(runPath+"/confirm", nil).requireRedirect(http.StatusSeeOther, runPath)
	require.Equal(t, models.SyncHeld, srv.runOf(t, runPath).Status)
	require.EqualValues(t, 3, srv.peopleTotal(t, models.StatusActive), "nothing of a held run is applied")
	require.Equal(t, 1, b.get("/people").TestID("banner").Length())
}

func TestUploadDiscard(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		src := srv.newSource(t, "HR")
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)
		runPath, _ := b.uploadRun(src, csvFile(staff(10)))
		b.post(runPath+"/confirm", nil).requireRedirect(http.StatusSeeOther, runPath)

		// A preview discarded.
		moved := staff(10)
		moved[0].Title = "Staff Engineer"
		runPath, p := b.uploadRun(src, csvFile(moved))
		assert.Equal(t, "1", p.Text("count-movers"))
		b.post(runPath+"/discard", nil).requireRedirect(http.StatusSeeOther, runPath)
		p = b.get(runPath)
		assert.Equal(t, "Run discarded. Nothing from it was applied.", p.Flash("success"))
		assert.Equal(t, 1, p.TestID("run-discarded").Length())
		require.Equal(t, models.SyncDiscarded, srv.runOf(t, runPath).Status)
		people, _, err := srv.Store.ListPeople(context.Background(), models.PeopleFilter{Search: "E001"})
		require.NoError(t, err)
		require.Len(t, people, 1)
		require.Equal(t, "Engineer", people[0].Title, "a discarded run changes nobody")

		// A held run discarded.
		runPath, _ = b.uploadRun(src, csvFile(staff(2)))
		b.post(runPath+"/confirm", nil).requireRedirect(http.StatusSeeOther, runPath)
		require.Equal(t, models.SyncHeld, srv.runOf(t, runPath).Status)
		b.post(runPath+"/discard", nil).requireRedirect(http.StatusSeeOther, runPath)
		p = b.get(runPath)
		assert.Equal(t, 0, p.TestID("banner").Length(), "a discarded run no longer warns")
		require.EqualValues(t, 10, srv.peopleTotal(t, models.StatusActive))

		// Too late to confirm or discard it again.
		b.post(runPath+"/confirm", nil).requireRedirect(http.StatusSeeOther, runPath)
		assert.Contains(t, b.get(runPath).Flash("error"), "already decided")
		b.post(runPath+"/discard", nil).requireRedirect(http.StatusSeeOther, runPath)
		assert.Contains(t, b.get(runPath).Flash("error"), "already decided")
	})
}

func TestUploadBadRows(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		src := srv.newSource(t, "HR")
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)

		file := csvColumns + "\n" +
			"E1,Ada,Lovelace,ada@example.com,active,2024-01-15,Engineering,Engineer,London\n" +
			"E2,Alan,Turing,not-an-email,active,2024-01-15,Engineering,Engineer,London\n" +
			"E3,Grace,Hopper,grace@example.com,gone,2024-13-01,Engineering,Engineer,London\n"
		runPath, p := b.uploadRun(src, file)
		require.Equal(t, 1, p.TestID("run-failed").Length())
		assert.Contains(t, p.Text("run-failed"), "nothing was changed")
		rows := p.TestID("row-error")
		require.Equal(t, 3, rows.Length(), p.Text("row-errors"))
		cells := func(i int) []string {
			return rows.Eq(i).Find("td").Map(func(_ int, s *goquery.Selection) string { return strings.TrimSpace(s.Text()) })
		}
		assert.Equal(t, []string{"3", "work_email", `malformed email "not-an-email"`}, cells(0))
		assert.Equal(t, "4", cells(1)[0])
		assert.Equal(t, "4", cells(2)[0])
		assert.Contains(t, p.Text("row-errors"), `unknown status "gone"`)
		assert.Equal(t, 0, p.TestID("run-confirm").Length())
		assert.Equal(t, 0, p.TestID("run-counts").Length())

		require.Zero(t, srv.peopleTotal(t, ""), "a file with a bad row changes nothing")
		run := srv.runOf(t, runPath)
		require.Equal(t, models.SyncFailed, run.Status)

		src1 := b.get(fmt.Sprintf("/sources/%d", src.ID))
		assert.Contains(t, src1.TestID("run-row").Text(), "Rejected")
		assert.Contains(t, src1.TestID("run-row").Text(), "Nothing was changed")
	})
}

func TestUploadWithoutFile(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	src := srv.newSource(t, "HR")
	b := srv.browser(t)
	b.signInAs(models.RoleAdmin)
	b.get(fmt.Sprintf("/sources/%d", src.ID)).requireStatus(http.StatusOK)

	p := b.uploadCSV(fmt.Sprintf("/sources/%d/upload", src.ID), "", "")
	p.requireStatus(http.StatusUnprocessableEntity)
	assert.Contains(t, p.TestID("upload-form").Find(".field-error").Text(), "Choose a file")

	p = b.uploadCSV(fmt.Sprintf("/sources/%d/upload", src.ID), "people.csv", "employee_id,\"first_name\n")
	p.requireStatus(http.StatusUnprocessableEntity)
	assert.Contains(t, p.TestID("upload-form").Find(".field-error").Text(), "could not be read as CSV")

	runs, err := srv.Store.ListSyncRuns(context.Background(), src.ID, 10)
	require.NoError(t, err)
	require.Empty(t, runs)

	b.uploadCSV("/sources/999999/upload", "people.csv", csvFile(staff(1))).requireStatus(http.StatusNotFound)
}

// An upload past the body limit is refused with 413 and a page that says
// so, whether it states its length or is sent in chunks (which only
// reading can measure, in the CSRF check or in the handler), and nothing
// is recorded.
func TestUploadTooLarge(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect, withConfig(func(c *web.Config) { c.BodyLimit = "64K" }))
		src := srv.newSource(t, "HR")
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)
		path := fmt.Sprintf("/sources/%d/upload", src.ID)
		big := csvFile(staff(1000))
		require.Greater(t, len(big), 64<<10)

		for _, tt := range []struct {
			name      string
			chunked   bool
			fetchSite string // same-origin skips the token, so the handler is the first to read
		}{
			{"with Content-Length", false, ""},
			{"chunked, token in the form", true, ""},
			{"chunked, same-origin", true, "same-origin"},
		} {
			req := b.uploadRequest(path, "people.csv", big)
			if tt.chunked {
				body, err := io.ReadAll(req.Body)
				require.NoError(t, err)
				req.Body, req.ContentLength, req.GetBody = io.NopCloser(bytes.NewReader(body)), -1, nil
			}
			if tt.fetchSite != "" {
				req.Header.Set("Sec-Fetch-Site", tt.fetchSite)
			}
			p := b.do(req)
			p.requireStatus(http.StatusRequestEntityTooLarge)
			require.Equal(t, 1, p.TestID("error-page").Length(), tt.name)
			assert.Contains(t, p.Text("error-page"), "larger than the 64 KB Roster accepts, so nothing was changed", tt.name)
			assert.NotContains(t, p.Body, "Request Entity Too Large", tt.name)
			assert.Contains(t, p.Text("error-page"), "Back to the dashboard", "%s: the signed-in page", tt.name)
		}

		runs, err := srv.Store.ListSyncRuns(context.Background(), src.ID, 10)
		require.NoError(t, err)
		require.Empty(t, runs, "a refused upload records no run")
		require.Zero(t, srv.peopleTotal(t, ""))

		b.uploadRun(src, csvFile(staff(3)))
		srv.waitPlanned(t)
	})
}

// A file past the parser's limits is rejected by line, and the people
// already imported stay exactly as they were.
func TestUploadPastCSVLimitsChangesNothing(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		src := srv.newSource(t, "HR")
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)
		b.importPeople(src, csvFile(staff(3)))
		id := srv.personID(t, "E002")
		before, err := srv.Store.PersonByID(context.Background(), id)
		require.NoError(t, err)

		renamed := staff(3)
		renamed[1].Last, renamed[1].Email = "Number002\nBcc: someone@example.com", "person.number002@example.com"
		wide := strings.Replace(csvFile(staff(3)), "\n", strings.Repeat(",extra", 201)+"\n", 1)
		for _, tt := range []struct {
			name, file string
			want       []string
		}{
			{"a line break in a name", csvFile(renamed), []string{"3", "last_name", "contains a line break: a value must be on one line"}},
			{"too many custom columns", wide, []string{"1", "", "the header has 201 custom columns: a file may have at most 200 " +
				"(every column that is not a standard one is a custom attribute)"}},
		} {
			runPath, p := b.uploadRun(src, tt.file)
			require.Equal(t, 1, p.TestID("run-failed").Length(), tt.name)
			rows := p.TestID("row-error")
			require.Equal(t, 1, rows.Length(), "%s: %s", tt.name, p.Text("row-errors"))
			cells := rows.Find("td").Map(func(_ int, s *goquery.Selection) string { return strings.TrimSpace(s.Text()) })
			assert.Equal(t, tt.want, cells, tt.name)
			require.Equal(t, models.SyncFailed, srv.runOf(t, runPath).Status, tt.name)
		}

		srv.waitPlanned(t)
		after, err := srv.Store.PersonByID(context.Background(), id)
		require.NoError(t, err)
		assert.Equal(t, before.LastName, after.LastName)
		assert.Empty(t, after.Custom)
		assert.Equal(t, before.UpdatedAt, after.UpdatedAt)
		require.EqualValues(t, 3, srv.peopleTotal(t, ""))
	})
}

// brakeValues is the new-source form (name set) or the brake form.
func brakeValues(name, people, percent, revocations string) url.Values {
	v := url.Values{"brake_people": {people}, "brake_percent": {percent}, "brake_revocations": {revocations}}
	if name != "" {
		v.Set("name", name)
	}
	return v
}

func TestSourceBrakeSettings(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		src := srv.newSource(t, "HR")
		b := srv.browser(t)
		b.signInAs(models.RoleAdmin)
		path := fmt.Sprintf("/sources/%d", src.ID)
		b.get(path).requireStatus(http.StatusOK)

		p := b.post(path+"/brake", brakeValues("", "x", "101", "-1"))
		p.requireStatus(http.StatusUnprocessableEntity)
		form := p.TestID("brake-form")
		errs := form.Find(".field-error").Text()
		assert.Contains(t, errs, "Enter a whole number of people")
		assert.Contains(t, errs, "Use a percentage from 0 to 100.")
		assert.Contains(t, errs, "Use a number from 0 to 1,000,000.")
		assert.Equal(t, "x", form.Find(`[data-testid="brake-people"]`).AttrOr("value", ""))
		_, open := p.TestID("brake-settings").Attr("open")
		assert.True(t, open, "the form stays unfolded after an error")

		// Numbers too big for the database's columns are a message next to
		// their field, not a server error, and change nothing.
		for name, tt := range map[string]struct {
			form          url.Values
			field, errMsg string
		}{
			"people past int64":      {brakeValues("", "99999999999999999999", "10", "100"), "brake-people", "Enter a whole number of people"},
			"people past int32":      {brakeValues("", "9999999999", "10", "100"), "brake-people", "Use a number of people from 0 to 1,000,000."},
			"people past the bound":  {brakeValues("", "1000001", "10", "100"), "brake-people", "Use a number of people from 0 to 1,000,000."},
			"percent past int64":     {brakeValues("", "5", "99999999999999999999", "100"), "brake-percent", "Enter a whole percentage"},
			"revocations past int32": {brakeValues("", "5", "10", "99999999999"), "brake-revocations", "Use a number from 0 to 1,000,000."},
			"revocations past int64": {brakeValues("", "5", "10", "99999999999999999999"), "brake-revocations", "Enter a whole number"},
			"revocations a fraction": {brakeValues("", "5", "10", "2.5"), "brake-revocations", "Enter a whole number"},
			"percent past the bound": {brakeValues("", "5", "1000", "100"), "brake-percent", "Use a percentage from 0 to 100."},
		} {
			p := b.post(path+"/brake", tt.form)
			p.requireStatus(http.StatusUnprocessableEntity)
			input := p.TestID("brake-form").Find(`[data-testid="` + tt.field + `"]`)
			require.Equal(t, 1, input.Length(), name)
			assert.Contains(t, input.Parent().Next().Filter(".field-error").Text(), tt.errMsg, "%s: the message follows its field", name)
			assert.Equal(t, 1, p.TestID("brake-form").Find(".field-error").Length(), "%s: only that field is wrong", name)
		}
		got, err := srv.Store.SourceByID(context.Background(), src.ID)
		require.NoError(t, err)
		require.Equal(t, models.DefaultBrake(), got.Brake, "a refused form changes nothing")
		require.Empty(t, srv.auditEvents(t, models.ActionSourceUpdated))

		b.post(path+"/brake", brakeValues("", "0", "0", "1000000")).requireRedirect(http.StatusSeeOther, path)
		got, err = srv.Store.SourceByID(context.Background(), src.ID)
		require.NoError(t, err)
		require.Equal(t, models.BrakeThresholds{People: 0, Percent: 0, Revocations: 1000000}, got.Brake)
		assert.Equal(t, "Safety brake saved: runs are held when 0 people or 0% of the active people would lose access, "+
			"or 1,000,000 grants and accounts would be taken away.", b.get(path).Flash("success"))

		b.post("/sources/999999/brake", brakeValues("", "1", "1", "1")).requireStatus(http.StatusNotFound)
	})
}

func TestSourcesViewer(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dialect models.Dialect) {
		srv := newServer(t, dialect)
		src := srv.newSource(t, "HR")
		admin := srv.browser(t)
		admin.signInAs(models.RoleAdmin)
		runPath, _ := admin.uploadRun(src, csvFile(staff(3)))

		b := srv.browser(t)
		b.signInAs(models.RoleViewer)
		p := b.get("/sources")
		p.requireStatus(http.StatusOK)
		assert.Equal(t, 0, p.TestID("source-form").Length())
		p = b.get(fmt.Sprintf("/sources/%d", src.ID))
		p.requireStatus(http.StatusOK)
		assert.Equal(t, 0, p.TestID("upload-form").Length())
		assert.Equal(t, 0, p.TestID("brake-form").Length())
		assert.Equal(t, 1, p.TestID("run-row").Length())
		p = b.get(runPath)
		p.requireStatus(http.StatusOK)
		assert.Equal(t, "3", p.Text("count-existing"), "a new source's first file is a baseline")
		assert.Equal(t, 0, p.TestID("run-confirm").Length())
		assert.Equal(t, 1, p.TestID("run-readonly").Length())

		b.post("/sources", brakeValues("Mine", "5", "10", "100")).requireStatus(http.StatusForbidden)
		b.uploadCSV(fmt.Sprintf("/sources/%d/upload", src.ID), "people.csv", csvFile(staff(3))).requireStatus(http.StatusForbidden)
		b.post(runPath+"/confirm", nil).requireStatus(http.StatusForbidden)
		b.post(runPath+"/discard", nil).requireStatus(http.StatusForbidden)
		b.post(fmt.Sprintf("/sources/%d/brake", src.ID), brakeValues("", "1", "1", "1")).requireStatus(http.StatusForbidden)

		require.Equal(t, models.SyncPreview, srv.runOf(t, runPath).Status)
		require.Zero(t, srv.peopleTotal(t, ""))
	})
}

func TestSyncRunBelongsToSource(t *testing.T) {
	t.Parallel()
	srv := newServer(t, models.SQLite)
	hr, other := srv.newSource(t, "HR"), srv.newSource(t, "Other")
	b := srv.browser(t)
	b.signInAs(models.RoleAdmin)
	runPath, _ := b.uploadRun(hr, csvFile(staff(2)))
	run := srv.runOf(t, runPath)

	wrong := fmt.Sprintf("/sources/%d/runs/%d", other.ID, run.ID)
	b.get(wrong).requireStatus(http.StatusNotFound)
	b.post(wrong+"/confirm", nil).requireStatus(http.StatusNotFound)
	b.post(wrong+"/discard", nil).requireStatus(http.StatusNotFound)
	b.get(fmt.Sprintf("/sources/%d/runs/999999", hr.ID)).requireStatus(http.StatusNotFound)
	b.get(fmt.Sprintf("/sources/%d/runs/abc", hr.ID)).requireStatus(http.StatusNotFound)
	b.get("/sources/999999").requireStatus(http.StatusNotFound)
	require.Equal(t, models.SyncPreview, srv.runOf(t, runPath).Status)
}
