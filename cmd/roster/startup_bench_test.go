package main

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rosterhq/roster/models/modelstest"
)

// BenchmarkStartupToReady measures what an operator waits for: from
// starting the built binary on an empty database to /readyz answering 200,
// migrations included. It also reports the binary's size and, after the
// last start, the idle server's resident memory.
func BenchmarkStartupToReady(b *testing.B) {
	bin := buildRoster(b)
	info, err := os.Stat(bin)
	if err != nil {
		b.Fatal(err)
	}
	binaryMB := float64(info.Size()) / (1 << 20)

	for _, d := range modelstest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			var toReady time.Duration
			var rssMB float64
			for i := range b.N {
				b.StopTimer()
				env := []string{
					"ROSTER_DATABASE_URL=" + modelstest.URL(b, d),
					"ROSTER_ADDR=" + freeAddr(b),
					"ROSTER_SECRET_KEY=" + testSecretKey,
					"ROSTER_LOG_LEVEL=warn",
				}
				b.StartTimer()
				p, ready := startRoster(b, bin, env)
				b.StopTimer()
				toReady += ready
				if i == b.N-1 {
					time.Sleep(time.Second) // let start-up garbage settle and the first jobs run
					rssMB = residentMB(b, p.cmd.Process.Pid)
				}
				p.stop(b)
			}
			b.ReportMetric(float64(toReady.Microseconds())/1000/float64(b.N), "ms-to-ready")
			b.ReportMetric(rssMB, "MB-rss-idle")
			b.ReportMetric(binaryMB, "MB-binary")
		})
	}
}

// buildRoster builds the roster binary as `make build` does.
func buildRoster(b testing.TB) string {
	b.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	bin := filepath.Join(b.TempDir(), "roster")
	cmd := exec.Command(goBin, "build", "-trimpath", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// rosterProcess is the binary running as a server.
type rosterProcess struct {
	cmd    *exec.Cmd
	output *syncBuffer
	exited chan error // receives cmd.Wait's result
}

// startRoster starts the binary with env added to this process's
// environment less its ROSTER_ variables, and polls /readyz every 5 ms
// until it answers 200. It returns the time that took.
func startRoster(b testing.TB, bin string, env []string) (*rosterProcess, time.Duration) {
	b.Helper()
	var addr string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "ROSTER_ADDR="); ok {
			addr = v
		}
	}
	p := &rosterProcess{cmd: exec.Command(bin, "serve"), output: &syncBuffer{}, exited: make(chan error, 1)}
	p.cmd.Env = append(withoutRosterVars(os.Environ()), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
	client := &http.Client{Timeout: time.Second}

	start := time.Now()
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	for {
		if resp, err := client.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, time.Since(start)
			}
		}
		select {
		case err := <-p.exited:
			b.Fatalf("roster exited before it was ready (%v):\n%s", err, p.output)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Since(start) > 30*time.Second {
			_ = p.cmd.Process.Kill()
			b.Fatalf("roster was not ready within 30s:\n%s", p.output)
		}
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (p *rosterProcess) stop(b testing.TB) { p.signal(b, syscall.SIGTERM) }

// signal sends sig and waits for exit code 0.
func (p *rosterProcess) signal(b testing.TB, sig os.Signal) {
	b.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		b.Fatal(err)
	}
	select {
	case err := <-p.exited:
		if err != nil {
			b.Fatalf("roster exited with %v after %v:\n%s", err, sig, p.output)
		}
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		b.Fatalf("roster did not stop within 30s of %v:\n%s", sig, p.output)
	}
}

// withoutRosterVars drops ROSTER_ settings a developer may have exported,
// so the benchmark's own are the only ones.
func withoutRosterVars(environ []string) []string {
	var out []string
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "ROSTER_") {
			out = append(out, kv)
		}
	}
	return out
}

// residentMB reads VmRSS of a process from /proc, in MB.
func residentMB(b *testing.B, pid int) float64 {
	b.Helper()
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Logf("no resident memory figure: %v", err)
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			fields := strings.Fields(v) // "12345 kB"
			kb, err := strconv.ParseFloat(fields[0], 64)
			if err != nil || len(fields) < 2 || fields[1] != "kB" {
				b.Fatalf("unexpected VmRSS line %q", sc.Text())
			}
			return kb / 1024
		}
	}
	b.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}
