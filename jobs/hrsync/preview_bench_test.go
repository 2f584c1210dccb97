package hrsync_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/jobs/hrsync"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// BenchmarkPreview100000 measures an upload's preview of a 100,000-person
// CSV and its confirmation, as the Sources page runs them: the preview
// streams the file through the scan (rolled back) and keeps the records
// in sync_run_records; confirming replays them through the scan and
// applies the run. "first" previews into an empty source, "confirm"
// confirms such a preview, "unchanged" previews the same file again over
// the 100,000 people it made. The floor is encoding/csv reading the file
// (csvFloor); peak-MB is the most the heap grew (peakHeap).
//
//	go test ./jobs/hrsync -run '^$' -bench Preview100000 -benchtime 1x -count 3
func BenchmarkPreview100000(b *testing.B) {
	const n = 100000
	ctx := context.Background()
	for _, dialect := range modelstest.Dialects {
		b.Run(string(dialect), func(b *testing.B) {
			db := modelstest.Open(b, dialect)
			store := models.NewStore(db)
			s := &hrsync.Syncer{Store: store}
			path := benchCSV(b, n, 0)
			floor := csvFloor(b, path)
			preview := func(b *testing.B, src *models.Source) (*models.SyncRun, hrsync.Outcome) {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
				run, out, err := s.PreviewRows(ctx, models.CLIActor, src, "upload", filepath.Base(path), jobs.CSVRows(ctx, store, f))
				if err != nil {
					b.Fatal(err)
				}
				return run, out
			}
			// measure times fn, which runs b.N times what is measured, and
			// reports it beside the floor with the heap's peak growth.
			measure := func(b *testing.B, fn func()) {
				b.ResetTimer()
				start := time.Now()
				peak := peakHeap(fn)
				per := time.Since(start) / time.Duration(b.N)
				b.ReportMetric(floor.Seconds(), "floor-s")
				b.ReportMetric(per.Seconds()/floor.Seconds(), "x-floor")
				b.ReportMetric(peak, "peak-MB")
			}
			source := func(b *testing.B, name string) *models.Source {
				src, err := store.EnsureCSVSource(ctx, models.CLIActor, name)
				if err != nil {
					b.Fatal(err)
				}
				return src
			}
			var confirmed *models.Source // holds the 100,000 people once "confirm" ran
			b.Run("first", func(b *testing.B) {
				src := source(b, "first")
				measure(b, func() {
					for range b.N {
						if _, out := preview(b, src); out.Counts.Joiners != n {
							b.Fatalf("preview: %s", out.Summary())
						}
					}
				})
			})
			b.Run("confirm", func(b *testing.B) {
				runs := make([]*models.SyncRun, b.N)
				for i := range runs {
					confirmed = source(b, fmt.Sprint("confirm ", i))
					runs[i], _ = preview(b, confirmed)
				}
				measure(b, func() {
					for _, run := range runs {
						if _, out, err := s.Confirm(ctx, models.CLIActor, run.ID); err != nil || !out.Applied || out.Counts.Joiners != n {
							b.Fatalf("confirm: %v %s", err, out.Summary())
						}
					}
				})
			})
			b.Run("unchanged", func(b *testing.B) {
				if confirmed == nil {
					b.Skip("needs the confirm sub-benchmark's people")
				}
				measure(b, func() {
					for range b.N {
						if _, out := preview(b, confirmed); out.Counts.Unchanged != n {
							b.Fatalf("preview: %s", out.Summary())
						}
					}
				})
			})
		})
	}
}
