package email

import (
	"fmt"
	"strings"
)

// Task is the mail to the person a task is assigned to.
type Task struct {
	Title    string   // "Set up Laptop for Ada Lovelace"
	Details  []string // lines: who it is for, the parameters
	App      string
	Due      string // in the org time zone, e.g. "Mon 2 Mar 2026 09:00 CET"
	TasksURL string // the Tasks page
}

// TaskSubject is the task mail's subject.
func TaskSubject(v Task) string {
	return "Task for you: " + v.Title
}

// TaskText is the task mail's plain-text part.
func TaskText(v Task) string {
	var b strings.Builder
	fmt.Fprintf(&b, "You have a task in Roster:\n\n%s\n", v.Title)
	for _, line := range v.Details {
		fmt.Fprintf(&b, "  %s\n", line)
	}
	b.WriteString("\n")
	if v.App != "" {
		fmt.Fprintf(&b, "App: %s\n", v.App)
	}
	fmt.Fprintf(&b, "Due: %s\n\nWhen it is done, mark it done on the Tasks page: that completes the change.\n%s\n", v.Due, v.TasksURL)
	return b.String()
}
