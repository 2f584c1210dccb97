package email

import (
	"fmt"
	"strings"
)

// AppFailing is the one IT/security alert of an app that keeps failing:
// sent when a failing streak begins to count, not again until a call to
// the app succeeds.
type AppFailing struct {
	App         string
	Link        string // the app's page; "" when ROSTER_BASE_URL is not set
	FailedCalls int
	Since       string // when the streak began, e.g. "2 Dec 2026 13:05 UTC"
	LastStatus  int    // 0 when the app did not answer
	LastError   string
	LastExcerpt string
}

// AppFailingSubject is the alert's subject.
func AppFailingSubject(v AppFailing) string {
	return fmt.Sprintf("[Roster] %s keeps failing: %d calls in a row", v.App, v.FailedCalls)
}

// AppFailingText is the alert's plain-text part.
func AppFailingText(v AppFailing) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Roster's calls to %s have failed %d times in a row since %s.\n", v.App, v.FailedCalls, v.Since)
	b.WriteString("Its actions are being retried; those that run out of attempts land in Team Updates > Failed.\n\n")
	fmt.Fprintf(&b, "Last error: %s\n", v.LastError)
	if v.LastStatus != 0 {
		fmt.Fprintf(&b, "Last answer: HTTP %d\n", v.LastStatus)
	}
	if v.LastExcerpt != "" {
		fmt.Fprintf(&b, "\n%s\n", v.LastExcerpt)
	}
	if v.Link != "" {
		fmt.Fprintf(&b, "\nThe app's page (last call, error rate, Test connection): %s\n", v.Link)
	}
	b.WriteString("\nYou will not be told again until a call to the app succeeds.\n")
	return b.String()
}
