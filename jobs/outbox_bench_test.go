package jobs_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/rosterhq/roster/jobs"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/models/modelstest"
)

// benchMails is how many emails one iteration sends.
const benchMails = 200

// BenchmarkOutboxThroughput measures mail throughput through the outbox:
// 200 emails are queued (each with its River job) and the clock runs from
// the first Queue call until every one is marked sent by an in-process
// go-smtp server on 127.0.0.1, in clear. The River client has its defaults
// (10 workers, 1 s fetch poll).
//
//	go test ./jobs/ -run '^$' -bench OutboxThroughput -benchtime 3x
func BenchmarkOutboxThroughput(b *testing.B) {
	for _, d := range modelstest.Dialects {
		b.Run(string(d), func(b *testing.B) { benchOutbox(b, d) })
	}
}

// benchSMTPServer starts the recording SMTP server of outbox_test.go for
// a benchmark.
func benchSMTPServer(b *testing.B) *smtpServer {
	b.Helper()
	f := &smtpServer{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{f: f}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	host, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	f.host = host
	if f.port, err = strconv.Atoi(port); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	b.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return f
}

func benchOutbox(b *testing.B, dialect models.Dialect) {
	ctx := context.Background()
	db := modelstest.Open(b, dialect)
	store := models.NewStore(db)
	smtpd := benchSMTPServer(b)
	client, closeClient, err := jobs.NewClient(ctx, db, store, jobs.Options{Mail: smtpd.sender(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(closeClient)
	if err := client.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = client.Stop(context.Background()) })
	mailer := &jobs.Mailer{Store: store, Configured: true}

	var total time.Duration
	round := 0
	for b.Loop() {
		start := time.Now()
		var first int64
		for i := range benchMails {
			e := welcome(fmt.Sprintf("person-%d-%d@example.com", round, i))
			if _, err := mailer.Queue(ctx, e); err != nil {
				b.Fatal(err)
			}
			if i == 0 {
				first = e.ID
			}
		}
		round++
		deadline := start.Add(5 * time.Minute)
		for {
			var sent int64
			if err := db.Gorm.Model(&models.Email{}).Where("status = ? AND id >= ?", models.EmailSent, first).Count(&sent).Error; err != nil {
				b.Fatal(err)
			}
			if sent == benchMails {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("only %d of %d mails sent after 5 minutes", sent, benchMails)
			}
			time.Sleep(10 * time.Millisecond)
		}
		total += time.Since(start)
	}
	_, mails := smtpd.seen()
	if len(mails) != benchMails*b.N {
		b.Fatalf("the server received %d mails, want %d", len(mails), benchMails*b.N)
	}
	b.ReportMetric(float64(benchMails*b.N)/total.Seconds(), "mails/s")
}
