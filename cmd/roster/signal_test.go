package main

import (
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignalsStopTheProcessCleanly runs the real binary and stops it the
// way an init system or a terminal does: SIGTERM and SIGINT both drain
// and exit 0, with a request still being sent when the signal arrives.
func TestSignalsStopTheProcessCleanly(t *testing.T) {
	t.Parallel()
	bin := buildRoster(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			addr := freeAddr(t)
			p, _ := startRoster(t, bin, []string{
				"ROSTER_DATABASE_URL=sqlite:" + filepath.Join(t.TempDir(), "roster.db"),
				"ROSTER_ADDR=" + addr,
				"ROSTER_SHUTDOWN_TIMEOUT=5s",
			})

			// A request whose body is still arriving when the signal lands.
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_, _ = conn.Write([]byte("POST /logout HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\n_cs"))
			time.Sleep(100 * time.Millisecond)

			done := make(chan struct{})
			go func() {
				defer close(done)
				time.Sleep(200 * time.Millisecond)
				_, _ = conn.Write([]byte("rf=x\r\n"))
			}()
			p.signal(t, sig) // fails the test unless the exit code is 0
			<-done

			buf := make([]byte, 64)
			n, _ := conn.Read(buf)
			if !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 403") {
				t.Errorf("the in-flight request got %q, want its answer (403: no CSRF token) before the exit", buf[:n])
			}
			if !strings.Contains(p.output.String(), "msg=stopped") {
				t.Errorf("no 'stopped' line in the log:\n%s", p.output)
			}
		})
	}
}
