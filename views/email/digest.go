package email

import (
	"fmt"
	"strings"
)

// DigestQueue is one Team Updates tab in the daily digest.
type DigestQueue struct {
	Label  string // "To Invite"
	Count  int64
	Oldest string // "3 days"; "" when Count is 0
	URL    string
}

// Summary is the queue's line, e.g. "12 waiting, oldest 3 days".
func (q DigestQueue) Summary() string {
	if q.Count == 0 {
		return "nothing waiting"
	}
	return fmt.Sprintf("%d waiting, oldest %s", q.Count, q.Oldest)
}

// DigestLink is a linked line of the digest: a held run, a person.
type DigestLink struct {
	Label string
	Note  string // e.g. the date or why a run is held
	URL   string
}

// Digest is an admin's daily summary.
type Digest struct {
	Date        string // org-local YYYY-MM-DD
	AdminName   string
	Queues      []DigestQueue
	HeldRuns    []DigestLink
	Failed      int64
	FailedURL   string
	Starts      []DigestLink
	Leaves      []DigestLink
	SettingsURL string // where the admin opts out
}

// DigestSubject is the digest's subject.
func DigestSubject(v Digest) string {
	var waiting int64
	for _, q := range v.Queues {
		waiting += q.Count
	}
	s := fmt.Sprintf("[Roster] Daily digest %s: %d waiting", v.Date, waiting)
	if len(v.HeldRuns) > 0 {
		s += fmt.Sprintf(", %d held sync runs", len(v.HeldRuns))
	}
	if v.Failed > 0 {
		s += fmt.Sprintf(", %d failed", v.Failed)
	}
	return s
}

// DigestText is the digest's plain-text part.
func DigestText(v Digest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\nRoster on %s.\n\nTeam Updates\n", v.AdminName, v.Date)
	for _, q := range v.Queues {
		fmt.Fprintf(&b, "- %s: %s\n  %s\n", q.Label, q.Summary(), q.URL)
	}
	b.WriteString("\nHeld sync runs\n")
	if len(v.HeldRuns) == 0 {
		b.WriteString("- none\n")
	}
	for _, r := range v.HeldRuns {
		fmt.Fprintf(&b, "- %s: %s\n  %s\n", r.Label, r.Note, r.URL)
	}
	fmt.Fprintf(&b, "\nFailed changes: %d\n  %s\n", v.Failed, v.FailedURL)
	for _, sec := range []struct {
		title string
		links []DigestLink
	}{{"Starting in the next 7 days", v.Starts}, {"Leaving in the next 7 days", v.Leaves}} {
		fmt.Fprintf(&b, "\n%s\n", sec.title)
		if len(sec.links) == 0 {
			b.WriteString("- nobody\n")
		}
		for _, l := range sec.links {
			fmt.Fprintf(&b, "- %s, %s\n  %s\n", l.Label, l.Note, l.URL)
		}
	}
	fmt.Fprintf(&b, "\nTo stop this mail, untick \"Email me the daily digest\" at %s\n", v.SettingsURL)
	return b.String()
}
