// Command vulncheck runs govulncheck on Roster against a vulnerability
// database built from a pinned golang.org/x/vulndb module version (the
// public vuln.go.dev endpoint is unreachable from CI, the module proxy is
// not) and fails only on what Roster can act on: a vulnerability in called
// code that a released version fixes. Everything else is printed.
//
//	go run ./cmd/vulncheck -vulndb v0.0.0-20261105234957-e22db6528018 ./...
//
// Exit status: 0 pass, 1 a blocking vulnerability, 2 the check could not run.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

func main() {
	vulndb := flag.String("vulndb", "", "golang.org/x/vulndb module version to build the database from (required)")
	cache := flag.String("cache", ".cache/vulndb", "directory holding one built database per x/vulndb version")
	goCmd := flag.String("go", "go", "go command")
	flag.Parse()
	if *vulndb == "" {
		fmt.Fprintln(os.Stderr, "vulncheck: -vulndb is required")
		os.Exit(2)
	}
	patterns := flag.Args()
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	ctx := context.Background()
	dbDir, err := ensureDatabase(ctx, *goCmd, *vulndb, *cache)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck:", err)
		os.Exit(2)
	}
	rep, err := scan(ctx, *goCmd, "", dbDir, patterns)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck:", err)
		os.Exit(2)
	}
	rep.Print(os.Stdout)
	if n := len(rep.Blocking()); n > 0 {
		fmt.Printf("\nFAIL: %d vulnerabilities in called code have a fix: upgrade the module, or the toolchain line in go.mod for stdlib.\n", n)
		os.Exit(1)
	}
	fmt.Println("\nPASS: no vulnerability in called code has a fix.")
}

// ensureDatabase returns the database built from x/vulndb at version,
// building it on first use into cache/version.
func ensureDatabase(ctx context.Context, goCmd, version, cache string) (string, error) {
	dir, err := filepath.Abs(filepath.Join(cache, version))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "index", "modules.json")); err == nil {
		return dir, nil
	}
	src, released, err := downloadVulndb(ctx, goCmd, version)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), version+".building-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	if err := buildDatabase(filepath.Join(src, "data", "osv"), tmp, released); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, "index", "modules.json")); statErr == nil {
			return dir, nil // another run built it first
		}
		return "", err
	}
	fmt.Fprintf(os.Stderr, "vulncheck: built %s from golang.org/x/vulndb@%s\n", dir, version)
	return dir, nil
}

// downloadVulndb fetches x/vulndb through the module proxy (and checks it
// against go.sum's checksum database like any module) and returns its
// directory in the module cache and the version's commit time.
func downloadVulndb(ctx context.Context, goCmd, version string) (string, time.Time, error) {
	out, err := exec.CommandContext(ctx, goCmd, "mod", "download", "-json", "golang.org/x/vulndb@"+version).Output()
	var mod struct{ Dir, Info, Error string }
	if jsonErr := json.Unmarshal(out, &mod); jsonErr != nil || mod.Error != "" || err != nil {
		return "", time.Time{}, fmt.Errorf("go mod download golang.org/x/vulndb@%s: %v %s", version, err, mod.Error)
	}
	info, err := os.ReadFile(mod.Info)
	if err != nil {
		return "", time.Time{}, err
	}
	var v struct{ Time time.Time }
	if err := json.Unmarshal(info, &v); err != nil {
		return "", time.Time{}, fmt.Errorf("%s: %w", mod.Info, err)
	}
	return mod.Dir, v.Time, nil
}

// scan runs govulncheck (the go.mod tool) in dir on patterns against the
// database in dbDir and reads its findings.
func scan(ctx context.Context, goCmd, dir, dbDir string, patterns []string) (*scanReport, error) {
	args := []string{"tool", "govulncheck", "-db", (&url.URL{Scheme: "file", Path: filepath.ToSlash(dbDir)}).String(), "-format", "json"}
	if dir != "" {
		args = append(args, "-C", dir)
	}
	cmd := exec.CommandContext(ctx, goCmd, append(args, patterns...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return nil, fmt.Errorf("govulncheck failed (exit %d)", exit.ExitCode())
		}
		return nil, err
	}
	return readScan(&out)
}
