package jobs

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"sort"
	"strings"
	"time"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
	"github.com/rosterhq/roster/views/email"
)

// Mail kinds queued when a change is done.
const (
	KindWelcome = "welcome"
	KindITAlert = "it_alert"
)

// ChangesDone is the store's OnChangesDone function (jobs.NewClient sets
// it): in the transaction that completes changes' last actions it queues
// each new hire's welcome mail (join and rehire changes) and one IT alert
// per change when alert addresses are set. Dedupe keys make a second run
// for the same change a no-op. The settings, people, actions and names
// are read once for all the changes.
func (m *Mailer) ChangesDone(ctx context.Context, tx *models.Store, cs []*models.Change) error {
	set, err := tx.Settings(ctx, map[string]string{models.SettingWelcomeAddress: models.WelcomeWork,
		models.SettingAlertAddresses: "", models.SettingOrgTimezone: "UTC"})
	if err != nil {
		return err
	}
	alertTo := AlertAddresses(set[models.SettingAlertAddresses])
	ids := make([]int64, len(cs))
	personIDs := make([]int64, len(cs))
	for i, c := range cs {
		ids[i], personIDs[i] = c.ID, c.PersonID
	}
	people, err := tx.PeopleByIDs(ctx, personIDs)
	if err != nil {
		return err
	}
	byID := make(map[int64]*models.Person, len(people))
	for i := range people {
		byID[people[i].ID] = &people[i]
	}
	var actions map[int64][]models.Action
	if len(alertTo) > 0 {
		if actions, err = tx.ActionsOfChanges(ctx, ids); err != nil {
			return err
		}
	}
	names := &nameCache{tx: tx, apps: map[int64]string{}, ents: map[int64]string{}}
	var mail []*models.Email
	for _, c := range cs {
		person := byID[c.PersonID]
		if person == nil {
			return fmt.Errorf("jobs: change %d: %w", c.ID, models.ErrNotFound)
		}
		if c.Kind == models.ChangeJoin || c.Kind == models.ChangeRehire {
			e, err := welcomeMail(ctx, c, person, set[models.SettingWelcomeAddress], names)
			if err != nil {
				return err
			}
			if e != nil {
				mail = append(mail, e)
			}
		}
		if len(alertTo) == 0 {
			continue
		}
		times := rules.TimesIn(person.Timezone, set[models.SettingOrgTimezone], time.Now())
		e, err := alertMail(ctx, c, person, actions[c.ID], alertTo, times, names)
		if err != nil {
			return err
		}
		mail = append(mail, e)
	}
	return m.QueueManyTx(ctx, tx, mail)
}

// welcomeMail is the new hire's welcome for a completed join or rehire,
// or nil when there is nowhere to send it or nothing to tell.
func welcomeMail(ctx context.Context, c *models.Change, p *models.Person, pref string, names *nameCache) (*models.Email, error) {
	addrs := []string{p.WorkEmail, p.PersonalEmail}
	if pref == models.WelcomePersonal {
		addrs[0], addrs[1] = addrs[1], addrs[0]
	}
	to := strings.TrimSpace(addrs[0])
	if to == "" {
		to = strings.TrimSpace(addrs[1])
	}
	if to == "" {
		return nil, nil // nowhere to send it
	}
	v := email.Welcome{FirstName: firstName(p)}
	index := map[int64]int{}
	for _, step := range c.Plan {
		if step.Op != "create_account" && step.Op != "grant" && step.Op != "update" {
			continue
		}
		i, ok := index[step.AppID]
		if !ok {
			app, err := names.app(ctx, step.AppID)
			if err != nil {
				return nil, err
			}
			i = len(v.Apps)
			index[step.AppID] = i
			v.Apps = append(v.Apps, email.WelcomeApp{Name: app})
		}
		if step.EntitlementID != 0 && step.Op == "grant" {
			ent, err := names.entitlement(ctx, step.EntitlementID)
			if err != nil {
				return nil, err
			}
			v.Apps[i].Items = append(v.Apps[i].Items, ent)
		}
	}
	if len(v.Apps) == 0 {
		return nil, nil
	}
	html, err := email.Render(ctx, email.WelcomeHTML(v))
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("welcome:change:%d", c.ID)
	return &models.Email{Kind: KindWelcome, To: []string{to}, Subject: email.WelcomeSubject(v),
		TextBody: email.WelcomeText(v), HTMLBody: html, DedupeKey: &key}, nil
}

// alertMail is the IT/security alert for a completed change.
func alertMail(ctx context.Context, c *models.Change, p *models.Person, actions []models.Action,
	to []string, times rules.Times, names *nameCache) (*models.Email, error) {
	steps, err := names.stepTimes(ctx, c)
	if err != nil {
		return nil, err
	}
	v := email.Alert{ChangeID: c.ID, PersonName: fullName(p), PersonEmail: p.WorkEmail, Kind: string(c.Kind), DecidedBy: c.DecidedBy,
		Timing: times.Summary(steps)}
	for _, a := range actions {
		app, err := names.app(ctx, a.AppID)
		if err != nil {
			return nil, err
		}
		row := email.AlertAction{Op: a.Op, App: app, Params: formatParams(a.Params), Result: string(a.Status), When: times.Format(a.RunAt)}
		if a.Seq >= 0 && a.Seq < len(c.Plan) {
			row.When = times.Format(c.Plan[a.Seq].Due(c.EffectiveAt)) // the step's own time, not when it was approved
		}
		if a.EntitlementID != nil {
			if row.Entitlement, err = names.entitlement(ctx, *a.EntitlementID); err != nil {
				return nil, err
			}
		}
		if a.ResponseStatus != 0 {
			row.Result += fmt.Sprintf(" (HTTP %d)", a.ResponseStatus)
		}
		v.Actions = append(v.Actions, row)
	}
	html, err := email.Render(ctx, email.AlertHTML(v))
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("alert:change:%d", c.ID)
	return &models.Email{Kind: KindITAlert, To: to, Subject: email.AlertSubject(v),
		TextBody: email.AlertText(v), HTMLBody: html, DedupeKey: &key}, nil
}

// personTimes reads times in the person's zone, or else the
// organisation's, as the planner timed their steps.
func personTimes(ctx context.Context, tx *models.Store, p *models.Person) (rules.Times, error) {
	orgTZ, err := tx.Setting(ctx, models.SettingOrgTimezone, "UTC")
	if err != nil {
		return rules.Times{}, err
	}
	return rules.TimesIn(p.Timezone, orgTZ, time.Now()), nil
}

// alertRecipients are the IT/security addresses alerts go to, as tx
// reads the setting.
func alertRecipients(ctx context.Context, tx *models.Store) ([]string, error) {
	list, err := tx.Setting(ctx, models.SettingAlertAddresses, "")
	if err != nil {
		return nil, err
	}
	return AlertAddresses(list), nil
}

// AlertAddresses splits the alert_addresses setting into addresses,
// skipping blanks and any that do not parse.
func AlertAddresses(list string) []string {
	var out []string
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if a, err := mail.ParseAddress(part); err == nil {
			out = append(out, a.Address)
		}
	}
	return out
}

func firstName(p *models.Person) string {
	if n := strings.TrimSpace(p.PreferredName); n != "" {
		return n
	}
	return strings.TrimSpace(p.FirstName)
}

func fullName(p *models.Person) string {
	return strings.TrimSpace(firstName(p) + " " + p.LastName)
}

func formatParams(params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + params[k]
	}
	return strings.Join(parts, ", ")
}

// nameCache looks up app and entitlement names once per mail.
type nameCache struct {
	tx   *models.Store
	apps map[int64]string
	ents map[int64]string
}

func (n *nameCache) app(ctx context.Context, id int64) (string, error) {
	if name, ok := n.apps[id]; ok {
		return name, nil
	}
	app, err := n.tx.AppByID(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		// Deleted since: a mail must never undo the completion.
		return fmt.Sprintf("app %d", id), nil
	}
	if err != nil {
		return "", err
	}
	n.apps[id] = app.Name
	return app.Name, nil
}

// stepTimes names a change's steps with the time each is due.
func (n *nameCache) stepTimes(ctx context.Context, c *models.Change) ([]rules.StepTime, error) {
	out := make([]rules.StepTime, len(c.Plan))
	for i, st := range c.Plan {
		app, err := n.app(ctx, st.AppID)
		if err != nil {
			return nil, err
		}
		out[i] = rules.StepTime{App: app, At: st.Due(c.EffectiveAt)}
		if st.EntitlementID != 0 {
			if out[i].Item, err = n.entitlement(ctx, st.EntitlementID); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func (n *nameCache) entitlement(ctx context.Context, id int64) (string, error) {
	if name, ok := n.ents[id]; ok {
		return name, nil
	}
	e, err := n.tx.EntitlementByID(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return fmt.Sprintf("entitlement %d", id), nil
	}
	if err != nil {
		return "", err
	}
	name := e.Name
	if name == "" {
		name = e.Key
	}
	n.ents[id] = name
	return name, nil
}
