package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// message is one value of govulncheck's -format json stream (protocol
// v1.0.0, golang.org/x/vuln/internal/govulncheck); fields Roster does not
// read are left out.
type message struct {
	Config *struct {
		ScannerVersion string `json:"scanner_version"`
		GoVersion      string `json:"go_version"`
		DB             string `json:"db"`
		ScanLevel      string `json:"scan_level"`
	} `json:"config"`
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
	Finding *finding `json:"finding"`
}

type finding struct {
	OSV          string  `json:"osv"`
	FixedVersion string  `json:"fixed_version"`
	Trace        []frame `json:"trace"`
}

type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
	Receiver string `json:"receiver"`
	Position *struct {
		Filename string `json:"filename"`
		Line     int    `json:"line"`
	} `json:"position"`
}

// vuln is what a scan found about one vulnerability: govulncheck reports it
// once per level it reached (module required, package imported, symbol
// called), and once per call path at the symbol level.
type vuln struct {
	ID      string
	Summary string
	Called  *finding // a symbol-level finding, nil if the code never calls it
	Any     *finding // the first finding, for the module and version
}

// blocking reports whether the vulnerability fails the check: Roster's code
// calls it and a release fixes it, so upgrading is the way out.
func (v *vuln) blocking() bool { return v.Called != nil && v.Called.FixedVersion != "" }

// scanReport is govulncheck's output reduced to what the policy decides on.
type scanReport struct {
	Scanner, GoVersion, DB, ScanLevel string
	Vulns                             []*vuln // by ID
}

// readScan reads govulncheck's -format json stream.
func readScan(r io.Reader) (*scanReport, error) {
	rep := &scanReport{}
	byID := map[string]*vuln{}
	summaries := map[string]string{}
	dec := json.NewDecoder(r)
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("read govulncheck output: %w", err)
		}
		switch {
		case m.Config != nil:
			rep.Scanner, rep.GoVersion, rep.DB, rep.ScanLevel = m.Config.ScannerVersion, m.Config.GoVersion, m.Config.DB, m.Config.ScanLevel
		case m.OSV != nil:
			summaries[m.OSV.ID] = m.OSV.Summary
		case m.Finding != nil && len(m.Finding.Trace) > 0:
			f := m.Finding
			v := byID[f.OSV]
			if v == nil {
				v = &vuln{ID: f.OSV, Any: f}
				byID[f.OSV] = v
				rep.Vulns = append(rep.Vulns, v)
			}
			if f.Trace[0].Function != "" && (v.Called == nil || (v.Called.FixedVersion == "" && f.FixedVersion != "")) {
				v.Called = f
			}
		}
	}
	if rep.Scanner == "" {
		return nil, errors.New("read govulncheck output: no config message; is this govulncheck -format json?")
	}
	if rep.ScanLevel != "symbol" {
		return nil, fmt.Errorf("govulncheck scanned at level %q; the policy needs symbol", rep.ScanLevel)
	}
	for _, v := range rep.Vulns {
		v.Summary = summaries[v.ID]
	}
	slices.SortFunc(rep.Vulns, func(a, b *vuln) int { return strings.Compare(a.ID, b.ID) })
	return rep, nil
}

// Blocking returns the vulnerabilities that fail the check.
func (r *scanReport) Blocking() []*vuln {
	var out []*vuln
	for _, v := range r.Vulns {
		if v.blocking() {
			out = append(out, v)
		}
	}
	return out
}

// Print writes the findings grouped by what they mean for Roster: called
// with a fix (fails), called without a fix, and only required or imported.
func (r *scanReport) Print(w io.Writer) {
	fmt.Fprintf(w, "govulncheck %s, %s, database %s\n", r.Scanner, r.GoVersion, r.DB)
	var calledNoFix, notCalled []*vuln
	for _, v := range r.Vulns {
		switch {
		case v.blocking():
		case v.Called != nil:
			calledNoFix = append(calledNoFix, v)
		default:
			notCalled = append(notCalled, v)
		}
	}
	section := func(title string, vulns []*vuln, detail bool) {
		if len(vulns) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s: %d\n", title, len(vulns))
		for _, v := range vulns {
			f := v.Any
			if v.Called != nil {
				f = v.Called
			}
			mod := f.Trace[0].Module
			fixed := "no fix yet"
			if f.FixedVersion != "" {
				fixed = "fixed in " + goVersion(mod, f.FixedVersion)
			}
			fmt.Fprintf(w, "  %s  %s@%s, %s: %s\n", v.ID, mod, goVersion(mod, f.Trace[0].Version), fixed, v.Summary)
			if detail {
				fmt.Fprintf(w, "      %s\n", callPath(f.Trace))
			}
		}
	}
	section("Called, and a release fixes it (fails the check)", r.Blocking(), true)
	section("Called, no fix released yet (informational)", calledNoFix, true)
	section("Required or imported, not called (informational)", notCalled, false)
	if len(r.Vulns) == 0 {
		fmt.Fprintln(w, "\nNo vulnerabilities found.")
	}
}

// goVersion spells the standard library's and the toolchain's semver
// versions (v1.26.8) as Go releases (go1.26.8), as go.mod's toolchain line does.
func goVersion(module, v string) string {
	if module == "stdlib" || module == "toolchain" {
		return "go" + strings.TrimPrefix(v, "v")
	}
	return v
}

// callPath names where Roster's code reaches the vulnerable symbol: the
// trace runs from the symbol (first) to Roster's entry point (last).
func callPath(trace []frame) string {
	sym, entry := trace[0], trace[len(trace)-1]
	where := ""
	if entry.Position != nil {
		where = fmt.Sprintf("%s:%d: ", entry.Position.Filename, entry.Position.Line)
	}
	return fmt.Sprintf("%s%s reaches %s", where, funcName(entry), funcName(sym))
}

func funcName(f frame) string {
	if f.Receiver != "" {
		return fmt.Sprintf("%s.%s.%s", f.Package, strings.TrimPrefix(f.Receiver, "*"), f.Function)
	}
	return f.Package + "." + f.Function
}
