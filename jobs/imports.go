package jobs

import (
	"context"
	"fmt"
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
// confirmation, or a failed run listing every bad row. A file that can be
// read again (an upload's multipart file) is streamed, as ImportCSV does.
func (i *Imports) PreviewCSV(ctx context.Context, actor models.Actor, src *models.Source, fileName string, r io.Reader,
	opts ...hrsync.Option) (*models.SyncRun, error) {
	if rs, ok := r.(io.ReadSeeker); ok {
		run, _, err := i.Syncer.PreviewRows(ctx, actor, src, "upload", fileName, CSVRows(ctx, i.Syncer.Store, rs), opts...)
		return run, err
	}
	res, err := csvsource.Parse(r)
	if err != nil {
		return nil, err
	}
	run, _, err := i.Syncer.Preview(ctx, actor, src, "upload", fileName, res.Records, res.Errors, opts...)
	return run, err
}

// ImportCSV parses a CSV file and applies it at once (the brake may still
// hold it): the command line's path. A file that can be read again (an
// *os.File) is streamed, row by row, never held whole.
func (i *Imports) ImportCSV(ctx context.Context, actor models.Actor, src *models.Source, fileName string, r io.Reader,
	opts ...hrsync.Option) (*models.SyncRun, hrsync.Outcome, error) {
	rs, ok := r.(io.ReadSeeker)
	if !ok {
		res, err := csvsource.Parse(r)
		if err != nil {
			return nil, hrsync.Outcome{}, err
		}
		return i.Syncer.Import(ctx, actor, src, "cli", fileName, res.Records, res.Errors, opts...)
	}
	return i.Syncer.ImportRows(ctx, actor, src, "cli", fileName, CSVRows(ctx, i.Syncer.Store, rs), opts...)
}

// CSVRows streams a CSV file for hrsync.Syncer.ImportRows, from its start
// each time it is read, with the phone numbers the store has seen written
// the same way before looked up rather than normalised again.
func CSVRows(ctx context.Context, store *models.Store, rs io.ReadSeeker) hrsync.Rows {
	var known map[string]string
	return func(fn func(models.PersonFields) error) ([]models.RowError, error) {
		if known == nil {
			var err error
			if known, err = store.KnownPhones(ctx); err != nil {
				return nil, err
			}
		}
		if _, err := rs.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("csv import: rewind: %w", err)
		}
		res, err := csvsource.StreamWith(rs, csvsource.Options{KnownPhones: known}, fn)
		if err != nil {
			return nil, err
		}
		return res.Errors, nil
	}
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
