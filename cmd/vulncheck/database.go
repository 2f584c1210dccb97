package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/semver"
)

// osvEntry is the part of an OSV report the database indexes need.
type osvEntry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases"`
	Affected []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
		Ranges []osvRange `json:"ranges"`
	} `json:"affected"`
}

type osvRange struct {
	Type   string `json:"type"`
	Events []struct {
		Introduced string `json:"introduced"`
		Fixed      string `json:"fixed"`
	} `json:"events"`
}

// osvTime marshals as the OSV specification and govulncheck's database
// client expect: RFC 3339 in UTC, whole seconds.
type osvTime time.Time

func (t osvTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Time(t).UTC().Format(time.RFC3339))
}

type dbMeta struct {
	Modified osvTime `json:"modified"`
}

type moduleMeta struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type moduleVuln struct {
	ID       string  `json:"id"`
	Modified osvTime `json:"modified"`
	Fixed    string  `json:"fixed,omitempty"`
}

type vulnMeta struct {
	ID       string   `json:"id"`
	Modified osvTime  `json:"modified"`
	Aliases  []string `json:"aliases,omitempty"`
}

// buildDatabase writes the v1 vulnerability database layout that
// `govulncheck -db file://DIR` reads (index/db.json, index/modules.json,
// index/vulns.json, ID/<id>.json) into outDir, from a directory of OSV
// reports such as golang.org/x/vulndb's data/osv. It mirrors x/vulndb's own
// cmd/indexdb, which is not used because it pulls in go-git and Google Cloud
// libraries; released is the x/vulndb version's commit time, used as the
// database's modified time because the reports in the repository carry none.
func buildDatabase(osvDir, outDir string, released time.Time) error {
	files, err := filepath.Glob(filepath.Join(osvDir, "*.json"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("vulndb: no OSV reports in %s", osvDir)
	}
	if err := os.MkdirAll(filepath.Join(outDir, "ID"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(outDir, "index"), 0o755); err != nil {
		return err
	}
	db := dbMeta{Modified: osvTime(released)}
	modules := map[string]*moduleMeta{}
	var vulns []vulnMeta
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		var e osvEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			return fmt.Errorf("vulndb: %s: %w", file, err)
		}
		if e.ID+".json" != filepath.Base(file) {
			return fmt.Errorf("vulndb: %s holds report %q", file, e.ID)
		}
		if e.Modified.After(time.Time(db.Modified)) {
			db.Modified = osvTime(e.Modified)
		}
		vulns = append(vulns, vulnMeta{ID: e.ID, Modified: osvTime(e.Modified), Aliases: e.Aliases})
		for _, a := range e.Affected {
			m := modules[a.Package.Name]
			if m == nil {
				m = &moduleMeta{Path: a.Package.Name}
				modules[a.Package.Name] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: osvTime(e.Modified), Fixed: latestFixed(a.Ranges)})
		}
		if err := os.WriteFile(filepath.Join(outDir, "ID", filepath.Base(file)), raw, 0o644); err != nil {
			return err
		}
	}
	index := make([]*moduleMeta, 0, len(modules))
	for _, m := range modules {
		slices.SortStableFunc(m.Vulns, func(a, b moduleVuln) int { return strings.Compare(a.ID, b.ID) })
		index = append(index, m)
	}
	slices.SortFunc(index, func(a, b *moduleMeta) int { return strings.Compare(a.Path, b.Path) })
	slices.SortFunc(vulns, func(a, b vulnMeta) int { return strings.Compare(a.ID, b.ID) })
	for name, v := range map[string]any{"db.json": db, "modules.json": index, "vulns.json": vulns} {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(outDir, "index", name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// latestFixed is the highest fixed version in the semver ranges, or "" when
// the vulnerability was introduced again after it (so no version fixes it),
// as x/vulndb's osvutils.LatestFixed computes it for the modules index.
func latestFixed(ranges []osvRange) string {
	var latest string
	for _, r := range ranges {
		if r.Type != "SEMVER" {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed != "" && before(latest, e.Fixed) {
				latest = e.Fixed
			}
		}
		for _, e := range r.Events {
			if e.Introduced != "" && e.Introduced != "0" && before(latest, e.Introduced) {
				latest = ""
				break
			}
		}
	}
	return latest
}

// before compares OSV versions, which are semver without the leading "v".
func before(v, w string) bool {
	return semver.Compare("v"+v, "v"+w) < 0
}
