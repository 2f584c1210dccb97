package jobs

import (
	"context"
	"io"

	"github.com/rosterhq/roster/jobs/hrsync"
	"github.com/rosterhq/roster/jobs/source/csvsource"
	"github.com/rosterhq/roster/models"
)

// Imports reads HR files through a source's parser and hands the records
// to the syncer: what the Sources pages and `roster import` share.
type Imports struct {
	Syncer *hrsync.Syncer
}

// PreviewCSV parses an uploaded CSV file and records a run awaiting
// confirmation, or a failed run listing every bad row.
func (i *Imports) PreviewCSV(ctx context.Context, actor models.Actor, src *models.Source, fileName string, r io.Reader) (*models.SyncRun, error) {
	res, err := csvsource.Parse(r)
	if err != nil {
		return nil, err
	}
	run, _, err := i.Syncer.Preview(ctx, actor, src, "upload", fileName, res.Records, res.Errors)
	return run, err
}

// ImportCSV parses a CSV file and applies it at once (the brake may still
// hold it): the command line's path.
func (i *Imports) ImportCSV(ctx context.Context, actor models.Actor, src *models.Source, fileName string, r io.Reader) (*models.SyncRun, hrsync.Outcome, error) {
	res, err := csvsource.Parse(r)
	if err != nil {
		return nil, hrsync.Outcome{}, err
	}
	return i.Syncer.Import(ctx, actor, src, "cli", fileName, res.Records, res.Errors)
}

// Confirm applies a preview or held run.
func (i *Imports) Confirm(ctx context.Context, actor models.Actor, runID int64) (*models.SyncRun, error) {
	run, _, err := i.Syncer.Confirm(ctx, actor, runID)
	return run, err
}

// Discard drops a preview or held run.
func (i *Imports) Discard(ctx context.Context, actor models.Actor, runID int64) error {
	return i.Syncer.Discard(ctx, actor, runID)
}

// CSVTemplate is the downloadable template.
func (i *Imports) CSVTemplate() []byte { return csvsource.Template() }
