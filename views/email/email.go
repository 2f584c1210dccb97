// Package email renders the mail Roster sends: each message has an HTML
// component (simple markup, no styles or scripts) and a plain-text part
// built by a Go function from the same view model.
package email

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/a-h/templ"
)

// WelcomeApp is one app a new hire now has, and what they got in it.
type WelcomeApp struct {
	Name  string
	Items []string // entitlement names, e.g. "Group eng"; empty for just the account
}

// Welcome is the welcome mail to a new hire.
type Welcome struct {
	FirstName string
	Org       string // "" for "the team"
	Apps      []WelcomeApp
}

// OrgName is the organisation as the mail names it.
func (v Welcome) OrgName() string {
	if strings.TrimSpace(v.Org) == "" {
		return "the team"
	}
	return v.Org
}

// WelcomeSubject is the welcome mail's subject.
func WelcomeSubject(v Welcome) string {
	return fmt.Sprintf("Welcome to %s, %s: your accounts are ready", v.OrgName(), v.FirstName)
}

// WelcomeText is the welcome mail's plain-text part.
func WelcomeText(v Welcome) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\nWelcome to %s. Your accounts are ready:\n\n", v.FirstName, v.OrgName())
	for _, a := range v.Apps {
		fmt.Fprintf(&b, "- %s\n", a.Name)
		for _, it := range a.Items {
			fmt.Fprintf(&b, "    - %s\n", it)
		}
	}
	b.WriteString("\nIf something is missing, ask your manager or IT.\n")
	return b.String()
}

// AlertAction is one action of a change as the IT alert lists it.
type AlertAction struct {
	Op          string
	App         string
	Entitlement string // "" when the action is about the account
	Params      string // "key=value, ..." or ""
	Result      string // e.g. "done (HTTP 200)"
	When        string // the step's own time in the person's zone, e.g. "on approval", "30 Jun 17:00 Europe/Berlin"
}

// Alert is the IT/security alert for one change carried out.
type Alert struct {
	ChangeID    int64
	PersonName  string
	PersonEmail string
	Kind        string
	DecidedBy   string
	Timing      string // when the steps ran, e.g. "GitHub admin: on approval · Slack: 30 Jun 17:00 Europe/Berlin"
	Actions     []AlertAction
}

// AlertSubject is the alert's subject.
func AlertSubject(v Alert) string {
	return fmt.Sprintf("[Roster] %s: %s carried out (%d actions)", v.PersonName, v.Kind, len(v.Actions))
}

// AlertText is the alert's plain-text part.
func AlertText(v Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Change %d (%s) for %s", v.ChangeID, v.Kind, v.PersonName)
	if v.PersonEmail != "" {
		fmt.Fprintf(&b, " <%s>", v.PersonEmail)
	}
	b.WriteString(" was carried out.\n")
	if v.DecidedBy != "" {
		fmt.Fprintf(&b, "Approved by: %s\n", v.DecidedBy)
	}
	if v.Timing != "" {
		fmt.Fprintf(&b, "When: %s\n", v.Timing)
	}
	b.WriteString("\n")
	for i, a := range v.Actions {
		fmt.Fprintf(&b, "%d. %s %s", i+1, a.Op, a.App)
		if a.Entitlement != "" {
			fmt.Fprintf(&b, ": %s", a.Entitlement)
		}
		if a.Params != "" {
			fmt.Fprintf(&b, " (%s)", a.Params)
		}
		fmt.Fprintf(&b, " - %s", a.Result)
		if a.When != "" {
			fmt.Fprintf(&b, " - %s", a.When)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Render renders a component to a string, for a mail's HTML part.
func Render(ctx context.Context, c templ.Component) (string, error) {
	var buf bytes.Buffer
	if err := c.Render(ctx, &buf); err != nil {
		return "", err
	}
	return buf.String(), nil
}
