package web

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/jobs/hrsync"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/sources"
)

// sourceRunsShown is how many runs a source page lists.
const sourceRunsShown = 50

// brakeForm is the safety brake's three thresholds as posted.
type brakeForm struct {
	People      string `form:"brake_people"`
	Percent     string `form:"brake_percent"`
	Revocations string `form:"brake_revocations"`
}

// Validate reads and bounds the thresholds, with a message per field.
func (f brakeForm) Validate() (b models.BrakeThresholds, errs map[string]string) {
	errs = map[string]string{}
	read := func(field, value, msg string) int {
		n, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil {
			errs[field] = msg
		}
		return n
	}
	b.People = read("brake_people", f.People, "Enter a whole number of people, like 500.")
	b.Percent = read("brake_percent", f.Percent, "Enter a whole percentage, like 10.")
	b.Revocations = read("brake_revocations", f.Revocations, "Enter a whole number, like 5000.")
	for field, msg := range b.Validate() {
		if _, ok := errs[field]; !ok {
			errs[field] = msg
		}
	}
	return b, errs
}

// view is the form as the page shows it again.
func (f brakeForm) view(errs map[string]string) sources.BrakeForm {
	return sources.BrakeForm{People: f.People, Percent: f.Percent, Revocations: f.Revocations, Errors: errs}
}

// brakeFormOf fills the form with a source's thresholds.
func brakeFormOf(b models.BrakeThresholds) sources.BrakeForm {
	return sources.BrakeForm{People: strconv.Itoa(b.People), Percent: strconv.Itoa(b.Percent), Revocations: strconv.Itoa(b.Revocations)}
}

// sourceForm is the new-source form as posted.
type sourceForm struct {
	Name        string `form:"name"`
	People      string `form:"brake_people"`
	Percent     string `form:"brake_percent"`
	Revocations string `form:"brake_revocations"`
}

// brake is the form's brake part.
func (f sourceForm) brake() brakeForm {
	return brakeForm{People: f.People, Percent: f.Percent, Revocations: f.Revocations}
}

// Validate checks the form; in is what to create when it is valid.
func (f sourceForm) Validate() (in models.SourceInput, errs map[string]string) {
	brake, errs := f.brake().Validate()
	in = models.SourceInput{Name: f.Name, Kind: models.SourceCSV, Brake: brake}
	for field, msg := range in.Validate() {
		if _, ok := errs[field]; !ok {
			errs[field] = msg
		}
	}
	return in, errs
}

// sourcesPage lists the sources with their last run.
func (s *Server) sourcesPage(c echo.Context) error {
	form := sources.SourceForm{Brake: brakeFormOf(models.DefaultBrake())}
	return s.renderSources(c, http.StatusOK, form)
}

func (s *Server) renderSources(c echo.Context, status int, form sources.SourceForm) error {
	ctx := c.Request().Context()
	list, err := s.store.ListSources(ctx)
	if err != nil {
		return err
	}
	people, err := s.store.SourcePeopleCounts(ctx)
	if err != nil {
		return err
	}
	latest, err := s.store.LatestSyncRuns(ctx)
	if err != nil {
		return err
	}
	v := sources.ListView{CanManage: currentAdmin(c).Role.AtLeast(models.RoleAdmin), Form: form}
	for _, src := range list {
		row := sources.SourceRow{ID: src.ID, Name: src.Name, Kind: string(src.Kind),
			People: people[src.ID].Total, Left: people[src.ID].Terminated}
		if run, ok := latest[src.ID]; ok {
			r := runView(&run)
			row.LastRun = &r
		}
		v.Rows = append(v.Rows, row)
	}
	return render(c, status, sources.Page(s.page(c, "Sources", "sources"), v))
}

// sourceCreate adds a CSV source.
func (s *Server) sourceCreate(c echo.Context) error {
	var f sourceForm
	if err := c.Bind(&f); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	in, errs := f.Validate()
	form := sources.SourceForm{Name: f.Name, Brake: f.brake().view(errs), Errors: errs}
	if len(errs) > 0 {
		return s.renderSources(c, http.StatusUnprocessableEntity, form)
	}
	src, err := s.store.CreateSource(c.Request().Context(), actor(c), in)
	if errors.Is(err, models.ErrConflict) {
		form.Errors = map[string]string{"name": "A source named " + in.Name + " already exists. Choose another name."}
		return s.renderSources(c, http.StatusUnprocessableEntity, form)
	}
	if err != nil {
		return err
	}
	return s.redirectWithFlash(c, fmt.Sprintf("/sources/%d", src.ID), "success",
		"Source "+src.Name+" created. Upload a CSV file to preview its people.")
}

// sourceTemplate downloads the CSV template.
func (s *Server) sourceTemplate(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="roster-people-template.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", s.importer.CSVTemplate())
}

// sourcePage shows a source, its forms and its runs.
func (s *Server) sourcePage(c echo.Context) error {
	src, err := s.sourceParam(c)
	if err != nil {
		return err
	}
	return s.renderSource(c, http.StatusOK, src, sources.DetailView{})
}

// renderSource fills in a source page around the forms' state in v.
func (s *Server) renderSource(c echo.Context, status int, src *models.Source, v sources.DetailView) error {
	ctx := c.Request().Context()
	runs, err := s.store.ListSyncRuns(ctx, src.ID, sourceRunsShown)
	if err != nil {
		return err
	}
	people, err := s.store.SourcePeopleCounts(ctx)
	if err != nil {
		return err
	}
	v.Source = sources.Source{ID: src.ID, Name: src.Name, Kind: string(src.Kind), Created: formatTime(src.CreatedAt),
		People: people[src.ID].Total, Left: people[src.ID].Terminated,
		BrakePeople: src.Brake.People, BrakePercent: src.Brake.Percent, BrakeRevocations: src.Brake.Revocations}
	v.CanManage = currentAdmin(c).Role.AtLeast(models.RoleAdmin)
	if v.UploadError == "" { // a failed upload keeps the choice it was sent with
		synced, err := s.store.SourceSynced(ctx, src.ID)
		if err != nil {
			return err
		}
		v.Baseline = !synced
	}
	if v.Brake.Errors == nil {
		v.Brake = brakeFormOf(src.Brake)
	}
	for i := range runs {
		v.Runs = append(v.Runs, runView(&runs[i]))
	}
	return render(c, status, sources.Detail(s.page(c, src.Name, "sources"), v))
}

// sourceUpload reads an uploaded file into a preview run.
func (s *Server) sourceUpload(c echo.Context) error {
	src, err := s.sourceParam(c)
	if err != nil {
		return err
	}
	baseline := c.FormValue("baseline") == "on"
	fail := func(msg string) error {
		return s.renderSource(c, http.StatusUnprocessableEntity, src, sources.DetailView{UploadError: msg, Baseline: baseline})
	}
	if src.Kind != models.SourceCSV {
		return fail("Only CSV sources take uploaded files.")
	}
	fh, err := c.FormFile("file")
	if errors.Is(err, http.ErrMissingFile) {
		return fail("Choose a file to upload.")
	} else if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The upload could not be read.").SetInternal(err)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	var opts []hrsync.Option
	if c.FormValue("baseline_choice") != "" { // the form says; a bare API post keeps the default
		opts = append(opts, hrsync.Baseline(baseline))
	}
	run, err := s.importer.PreviewCSV(c.Request().Context(), actor(c), src, fh.Filename, f, opts...)
	var parseErr *csv.ParseError
	if errors.As(err, &parseErr) {
		return fail("The file could not be read as CSV: " + parseErr.Error() + ". Save it as comma-separated CSV (UTF-8) and try again.")
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/sources/%d/runs/%d", src.ID, run.ID))
}

// sourceBrake changes a source's brake thresholds.
func (s *Server) sourceBrake(c echo.Context) error {
	src, err := s.sourceParam(c)
	if err != nil {
		return err
	}
	var f brakeForm
	if err := c.Bind(&f); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	brake, errs := f.Validate()
	if len(errs) > 0 {
		return s.renderSource(c, http.StatusUnprocessableEntity, src, sources.DetailView{BrakeOpen: true, Brake: f.view(errs)})
	}
	if err := s.store.UpdateSourceBrake(c.Request().Context(), actor(c), src.ID, brake); err != nil {
		return err
	}
	return s.redirectWithFlash(c, fmt.Sprintf("/sources/%d", src.ID), "success", "Safety brake saved: "+sources.BrakeText(
		sources.Source{BrakePeople: brake.People, BrakePercent: brake.Percent, BrakeRevocations: brake.Revocations}))
}

// syncRunPage shows one run of a source.
func (s *Server) syncRunPage(c echo.Context) error {
	src, run, err := s.runParams(c)
	if err != nil {
		return err
	}
	v := sources.RunView{Run: runView(run), SourceName: src.Name, HeldReason: run.HeldReason, Error: run.Error,
		CanDecide: run.Waiting() && currentAdmin(c).Role.AtLeast(models.RoleAdmin)}
	for _, e := range run.RowErrors {
		v.RowErrors = append(v.RowErrors, sources.RowError{Line: e.Line, Column: e.Field, Problem: e.Message})
	}
	title := fmt.Sprintf("Run #%d of %s", run.ID, src.Name)
	return render(c, http.StatusOK, sources.RunPage(s.page(c, title, "sources"), v))
}

// syncRunConfirm applies a preview or held run; the brake may hold a
// preview instead.
func (s *Server) syncRunConfirm(c echo.Context) error {
	src, run, err := s.runParams(c)
	if err != nil {
		return err
	}
	back := fmt.Sprintf("/sources/%d/runs/%d", src.ID, run.ID)
	done, err := s.importer.Confirm(c.Request().Context(), actor(c), run.ID)
	if errors.Is(err, models.ErrRunDecided) {
		return s.redirectWithFlash(c, back, "error", "Someone already decided this run: it was applied or discarded.")
	}
	if err != nil {
		return err
	}
	if done.Status == models.SyncHeld {
		return s.redirectWithFlash(c, back, "info", "Not applied: the safety brake held this run. Review it below.")
	}
	counts := sources.CountsText(runView(done).Counts)
	return s.redirectWithFlash(c, back, "success", "Applied: "+counts+".")
}

// syncRunDiscard drops a preview or held run.
func (s *Server) syncRunDiscard(c echo.Context) error {
	src, run, err := s.runParams(c)
	if err != nil {
		return err
	}
	back := fmt.Sprintf("/sources/%d/runs/%d", src.ID, run.ID)
	err = s.importer.Discard(c.Request().Context(), actor(c), run.ID)
	if errors.Is(err, models.ErrRunDecided) {
		return s.redirectWithFlash(c, back, "error", "Someone already decided this run: it was applied or discarded.")
	}
	if err != nil {
		return err
	}
	return s.redirectWithFlash(c, back, "success", "Run discarded. Nothing from it was applied.")
}

// sourceParam loads the :id source, or 404.
func (s *Server) sourceParam(c echo.Context) (*models.Source, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	src, err := s.store.SourceByID(c.Request().Context(), id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, echo.NewHTTPError(http.StatusNotFound)
	}
	return src, err
}

// runParams loads the :id source and its :run run; a run of another
// source is 404.
func (s *Server) runParams(c echo.Context) (*models.Source, *models.SyncRun, error) {
	src, err := s.sourceParam(c)
	if err != nil {
		return nil, nil, err
	}
	runID, err := strconv.ParseInt(c.Param("run"), 10, 64)
	if err != nil || runID <= 0 {
		return nil, nil, echo.NewHTTPError(http.StatusNotFound)
	}
	run, err := s.store.SyncRunByID(c.Request().Context(), runID)
	if errors.Is(err, models.ErrNotFound) || (err == nil && run.SourceID != src.ID) {
		return nil, nil, echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return nil, nil, err
	}
	return src, run, nil
}

// runView is a run as the Sources pages show it.
func runView(r *models.SyncRun) sources.Run {
	v := sources.Run{ID: r.ID, SourceID: r.SourceID, Status: string(r.Status), Trigger: r.Trigger, FileName: r.FileName,
		Created: formatTime(r.CreatedAt), CreatedAt: r.CreatedAt.UTC().Format(time.RFC3339), CreatedBy: r.CreatedBy,
		DecidedBy: r.DecidedBy, Errors: len(r.RowErrors),
		Baseline: r.Baseline,
		Counts:   sources.Counts{Joiners: r.Joiners, Existing: r.Existing, Movers: r.Movers, Leavers: r.Leavers, Rehires: r.Rehires, Unchanged: r.Unchanged}}
	if r.DecidedAt != nil {
		v.Decided = formatTime(*r.DecidedAt)
	}
	return v
}
