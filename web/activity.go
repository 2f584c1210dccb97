package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/activity"
)

const activityPageSize = 50

// activity lists the audit trail, newest first, with filters and keyset
// pagination.
func (s *Server) activity(c echo.Context) error {
	ctx := c.Request().Context()
	f := activity.Filter{
		Action:  strings.TrimSpace(c.QueryParam("action")),
		Actor:   strings.ToLower(strings.TrimSpace(c.QueryParam("actor"))),
		Subject: strings.TrimSpace(c.QueryParam("subject")),
	}
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	events, more, err := s.store.ListAuditEvents(ctx, models.AuditFilter{
		Action: f.Action, Actor: f.Actor, Subject: f.Subject, BeforeID: before, Limit: activityPageSize,
	})
	if err != nil {
		return err
	}
	actions, err := s.store.AuditActions(ctx)
	if err != nil {
		return err
	}
	v := activity.View{Filter: f}
	for _, a := range actions {
		v.Actions = append(v.Actions, activity.Option{Value: a, Label: actionLabel(a)})
	}
	for _, e := range events {
		v.Events = append(v.Events, activityEvent(e))
	}
	q := url.Values{}
	for k, val := range map[string]string{"action": f.Action, "actor": f.Actor, "subject": f.Subject} {
		if val != "" {
			q.Set(k, val)
		}
	}
	if before > 0 {
		v.FirstURL = "/activity?" + q.Encode()
	}
	if more {
		q.Set("before", strconv.FormatInt(events[len(events)-1].ID, 10))
		v.NextURL = "/activity?" + q.Encode()
	}
	return render(c, http.StatusOK, activity.Page(s.page(c, "Activity", "activity"), v))
}

func activityEvent(e models.AuditEvent) activity.Event {
	subject := e.SubjectLabel
	if subject == "" && e.SubjectType != "" {
		subject = e.SubjectType + " " + e.SubjectID
	}
	return activity.Event{
		ID: e.ID, At: e.CreatedAt.UTC().Format("2006-01-02 15:04:05 UTC"), AtISO: e.CreatedAt.UTC().Format(time.RFC3339),
		Actor: e.ActorEmail, Action: e.Action, Label: actionLabel(e.Action), Repeats: repeats(e), Subject: subject, IP: e.IP,
		Before: prettyJSON(e.Before), After: prettyJSON(e.After),
	}
}

// repeats puts in words the count a failures.Recorder event carries:
// how often the failure happened, from where, in which minute. "" for
// any other event.
func repeats(e models.AuditEvent) string {
	if e.After == nil {
		return ""
	}
	var after struct {
		Count         int    `json:"count"`
		Window        string `json:"window"`
		ManyAddresses bool   `json:"many_addresses"`
	}
	if json.Unmarshal([]byte(*e.After), &after) != nil || after.Count == 0 || after.Window == "" {
		return ""
	}
	from := "from " + e.IP
	switch {
	case after.ManyAddresses:
		from = "from many addresses"
	case e.IP == "":
		from = "from an unknown address"
	}
	s := fmt.Sprintf("×%d %s in one minute", after.Count, from)
	if w, err := time.Parse(time.RFC3339, after.Window); err == nil {
		s += " (" + w.UTC().Format("15:04 UTC") + ")"
	}
	return s
}

// actionLabels are the audit actions in words. An action without a label
// is shown by its code.
var actionLabels = map[string]string{
	models.ActionSignIn:             "Signed in",
	models.ActionSignInFailed:       "Sign-in refused",
	models.ActionSignOut:            "Signed out",
	models.ActionLoginLinkIssued:    "Sign-in link issued",
	models.ActionAdminInvited:       "Admin invited",
	models.ActionAdminRole:          "Admin role changed",
	models.ActionAdminDisabled:      "Admin disabled",
	models.ActionAdminEnabled:       "Admin enabled",
	models.ActionDigestPreference:   "Digest preference changed",
	models.ActionSourceCreated:      "Source created",
	models.ActionSourceUpdated:      "Source changed",
	models.ActionSyncApplied:        "Import applied",
	models.ActionSyncConfirmed:      "Import confirmed",
	models.ActionSyncHeld:           "Import held by the brake",
	models.ActionSyncDiscarded:      "Import discarded",
	models.ActionSyncRejected:       "Import rejected (invalid rows)",
	models.ActionAppCreated:         "App created",
	models.ActionAppUpdated:         "App changed",
	models.ActionAppWebhookUpdated:  "Webhook settings changed",
	models.ActionAppTaskAssignee:    "App's task assignee changed",
	models.ActionAppConcurrency:     "App's calls at once changed",
	models.ActionEntitlementCreated: "Entitlement created",
	models.ActionEntitlementUpdated: "Entitlement changed",
	models.ActionRuleCreated:        "Rule created",
	models.ActionRuleUpdated:        "Rule changed",
	models.ActionRuleEnabled:        "Rule enabled",
	models.ActionRuleDisabled:       "Rule disabled",
	models.ActionRuleDeleted:        "Rule deleted",
	models.ActionChangeApproved:     "Change approved",
	models.ActionChangeRejected:     "Change rejected",
	models.ActionChangeReplanned:    "Approved change re-planned",
	models.ActionActionDone:         "Action carried out",
	models.ActionActionFailed:       "Action failed",
	models.ActionActionRetried:      "Action retried",
	models.ActionTaskDone:           "Task done",
	models.ActionTaskUndone:         "Task reopened",
	models.ActionTaskAssigned:       "Task assigned",
	models.ActionSettingChanged:     "Setting changed",
}

func actionLabel(action string) string {
	if l, ok := actionLabels[action]; ok {
		return l
	}
	return action
}

func prettyJSON(s *string) string {
	if s == nil || *s == "" || *s == "null" {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(*s), "", "  "); err != nil {
		return *s
	}
	return buf.String()
}
