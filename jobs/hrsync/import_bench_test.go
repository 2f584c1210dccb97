package hrsync_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/jobs/hrsync"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// benchCSV writes a 100,000-person CSV export: a few managers each with
// many reports, four countries with local phone numbers, groups and a
// custom column. version changes the title of every hundredth person, so
// two versions differ in 1,000 people.
func benchCSV(b *testing.B, n, version int) string {
	b.Helper()
	places := []struct{ country, zone, phone string }{
		{"GB", "Europe/London", "020 7946 %04d"},
		{"US", "America/New_York", "(212) 555-%04d"},
		{"JP", "Asia/Tokyo", "03-1234-%04d"},
		{"DE", "Europe/Berlin", "+49 30 9018%04d"},
	}
	var buf bytes.Buffer
	buf.WriteString("employee_id,first_name,last_name,work_email,status,start_date,phone,title,department," +
		"manager_id,country,timezone,employment_type,groups,laptop\n")
	for i := range n {
		p := places[i%len(places)]
		manager := ""
		if i >= 10 {
			manager = fmt.Sprintf("E%06d", i%10)
		}
		title := "Engineer"
		if i%100 == 0 && version > 0 {
			title = fmt.Sprintf("Engineer v%d", version)
		}
		fmt.Fprintf(&buf, "E%06d,First%d,Last%d,Person.%d@Example.com,active,2020-%02d-%02d,"+p.phone+",%s,Dept %d,%s,%s,%s,Full-Time,\"eng;team-%d\",Model %d\n",
			i, i, i, i, i%12+1, i%28+1, i%10000, title, i%20, manager, p.country, p.zone, i%7, i%3)
	}
	path := filepath.Join(b.TempDir(), fmt.Sprintf("people-%d.csv", version))
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

// csvFloor is the least any import of the file costs: encoding/csv
// reading every record, nothing checked or stored.
func csvFloor(b *testing.B, path string) time.Duration {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	start := time.Now()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	for {
		if _, err := r.Read(); err == io.EOF {
			break
		} else if err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}

// storeFloor is the least the database itself takes to store what a
// first import of n people stores: the same number of people rows (every
// column the import fills, of like lengths) and of joined events (a diff
// of like length), inserted by the database from a generated series in
// one transaction, through every index, constraint and foreign key of
// the schema, with no client work and no parameters; rolled back. The
// statistics refresh after an import is not in it.
func storeFloor(b *testing.B, db *models.DB, sourceID int64, n int) time.Duration {
	b.Helper()
	ctx := context.Background()
	arg := func(q string) string { // $N on PostgreSQL, ?N on SQLite
		if db.Dialect == models.SQLite {
			return strings.NewReplacer("$1", "?1", "$2", "?2").Replace(q)
		}
		return q
	}
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // rolled back on purpose
	var runID int64
	if err := tx.QueryRowContext(ctx, arg("INSERT INTO sync_runs (source_id, status, created_at) VALUES ($1, 'running', CURRENT_TIMESTAMP) RETURNING id"), sourceID).Scan(&runID); err != nil {
		b.Fatal(err)
	}
	series := "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < $2) "
	people := series + `INSERT INTO people (source_id, external_id, first_name, last_name, preferred_name, work_email,
		personal_email, phone, title, department, team, division, cost_center, manager_external_id, location, country,
		timezone, employment_type, status, start_date, termination_date, groups, custom, hash, phone_input, created_at, updated_at)
		SELECT $1, 'E' || (1000000 + g), 'First' || g, 'Last' || g, '', 'person.' || g || '@example.com', '',
		'+1212555' || (1000 + g % 9000), 'Engineer', 'Dept ' || (g % 20), '', '', '', 'E' || (1000000 + g % 10), '', 'US',
		'America/New_York', 'full_time', 'active', '2020-01-01', '', '["eng","team-' || (g % 7) || '"]',
		'{"laptop":"Model ' || (g % 3) || '"}', '0123456789abcdef0123456789abcdef' || g, '(212) 555-' || (1000 + g % 9000),
		CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM s`
	events := `INSERT INTO person_events (person_id, sync_run_id, kind, diff, created_at)
		SELECT id, $1, 'joined', '[{"field":"country","new":"US"},{"field":"department","new":"' || department ||
		'"},{"field":"email","new":"' || work_email || '"},{"field":"employee_id","new":"' || external_id ||
		'"},{"field":"employment_type","new":"full_time"},{"field":"first_name","new":"' || first_name ||
		'"},{"field":"groups","new":"eng;team-1"},{"field":"last_name","new":"' || last_name ||
		'"},{"field":"laptop","new":"Model 1"},{"field":"manager_id","new":"' || manager_external_id ||
		'"},{"field":"phone","new":"' || phone || '"},{"field":"start_date","new":"2020-01-01"},{"field":"status","new":"active"},' ||
		'{"field":"timezone","new":"America/New_York"},{"field":"title","new":"Engineer"}]', CURRENT_TIMESTAMP
		FROM people WHERE source_id = $2`
	start := time.Now()
	if _, err := tx.ExecContext(ctx, arg(people), sourceID, n); err != nil {
		b.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, arg(events), runID, sourceID); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// peakHeap samples the heap in use while fn runs and returns the most it
// grew above what was in use before (after a collection), in MB.
func peakHeap(fn func()) float64 {
	runtime.GC()
	base := heapInUse()
	peak := base
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				peak = max(peak, heapInUse())
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return float64(peak-base) / (1 << 20)
}

// heapInUse is MemStats.HeapInuse (objects and the free space in their
// spans), read through runtime/metrics, which unlike ReadMemStats does
// not stop the world: sampling it 200 times a second would slow the
// import it measures.
func heapInUse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() + s[1].Value.Uint64()
}

// BenchmarkImport100000 imports a 100,000-person CSV file through the
// command line's path (jobs.CSVRows: streamed, validated, compared with
// stored hashes, written, audited; planning is BenchmarkPlanEveryone100000's
// business), on both databases: a first import into an empty source, the
// same file again, and a file with 1% of people changed. Beside each it
// reports the floor (encoding/csv reading the same file, in the same
// run), the ratio to it, the peak growth of the heap, and the rows the
// run wrote to people and person_events; a first import also reports the
// database's own floor for what it stores (storeFloor) and the ratio to
// that.
func BenchmarkImport100000(b *testing.B) {
	const n = 100000
	ctx := context.Background()
	for _, dialect := range modelstest.Dialects {
		b.Run(string(dialect), func(b *testing.B) {
			setup := func(b *testing.B) (*hrsync.Syncer, *models.Store, *models.DB, *models.Source) {
				db := modelstest.Open(b, dialect)
				store := models.NewStore(db)
				src, err := store.EnsureCSVSource(ctx, models.CLIActor, "HR")
				if err != nil {
					b.Fatal(err)
				}
				return &hrsync.Syncer{Store: store}, store, db, src
			}
			run := func(b *testing.B, s *hrsync.Syncer, src *models.Source, path string, want func(hrsync.Outcome) bool) {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
				_, out, err := s.ImportRows(ctx, models.CLIActor, src, "cli", filepath.Base(path), jobs.CSVRows(ctx, s.Store, f))
				if err != nil {
					b.Fatal(err)
				}
				if !out.Applied || !want(out) {
					b.Fatalf("unexpected outcome: %s %v", out.Summary(), out.RowErrors)
				}
			}
			measure := func(b *testing.B, db *models.DB, path string, fn func()) time.Duration {
				before := eventCount(b, db)
				floor := csvFloor(b, path)
				b.ResetTimer()
				start := time.Now()
				peak := peakHeap(fn)
				elapsed := time.Since(start) / time.Duration(b.N)
				b.StopTimer()
				b.ReportMetric(floor.Seconds(), "floor-s")
				b.ReportMetric(elapsed.Seconds()/floor.Seconds(), "x-floor")
				b.ReportMetric(peak, "peak-MB")
				b.ReportMetric(float64(eventCount(b, db)-before)/float64(b.N), "events/op")
				return elapsed
			}
			b.Run("first", func(b *testing.B) {
				// The database's own floor, in a database of its own so that
				// the rows it rolls back leave the measured one untouched.
				_, _, floorDB, floorSrc := setup(b)
				stored := storeFloor(b, floorDB, floorSrc.ID, n)
				s, store, db, _ := setup(b)
				path := benchCSV(b, n, 0)
				sources := make([]*models.Source, b.N) // an empty source each time
				for i := range sources {
					src, err := store.EnsureCSVSource(ctx, models.CLIActor, fmt.Sprintf("HR %d", i))
					if err != nil {
						b.Fatal(err)
					}
					sources[i] = src
				}
				elapsed := measure(b, db, path, func() {
					for _, src := range sources {
						run(b, s, src, path, func(o hrsync.Outcome) bool { return o.Counts.Joiners == n })
					}
				})
				b.ReportMetric(stored.Seconds(), "store-floor-s")
				b.ReportMetric(elapsed.Seconds()/stored.Seconds(), "x-store-floor")
			})
			b.Run("unchanged", func(b *testing.B) {
				s, _, db, src := setup(b)
				path := benchCSV(b, n, 0)
				run(b, s, src, path, func(o hrsync.Outcome) bool { return o.Counts.Joiners == n })
				measure(b, db, path, func() {
					for range b.N {
						run(b, s, src, path, func(o hrsync.Outcome) bool { return o.Counts.Unchanged == n })
					}
				})
			})
			b.Run("one_percent_changed", func(b *testing.B) {
				s, _, db, src := setup(b)
				run(b, s, src, benchCSV(b, n, 0), func(o hrsync.Outcome) bool { return o.Counts.Joiners == n })
				paths := make([]string, b.N)
				for i := range paths {
					paths[i] = benchCSV(b, n, i+1)
				}
				measure(b, db, paths[0], func() {
					for _, p := range paths {
						run(b, s, src, p, func(o hrsync.Outcome) bool { return o.Counts.Movers == n/100 && o.Counts.Unchanged == n-n/100 })
					}
				})
			})
		})
	}
}

// eventCount counts the people's events: one per person an import
// wrote.
func eventCount(b *testing.B, db *models.DB) int64 {
	b.Helper()
	var n int64
	if err := db.SQL.QueryRow("SELECT count(*) FROM person_events").Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}
