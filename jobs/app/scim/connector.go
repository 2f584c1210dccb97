package scim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/jobs/app/connector"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
)

// Kind is the SCIM 2.0 kind for the registry (jobs/app/kinds). It carries
// out every account operation and group entitlements (Groups membership);
// role, licence and attribute entitlements have no one meaning in SCIM,
// so the worker fails them as unsupported.
func Kind() connector.Kind {
	caps := connector.Capabilities{
		AccountOps:     []rules.Op{rules.OpCreateAccount, rules.OpUpdate, rules.OpDisable, rules.OpDelete},
		EntitlementOps: map[models.EntitlementKind][]rules.Op{models.EntitlementGroup: {rules.OpGrant, rules.OpUpdate, rules.OpRevoke}},
		CallsApp:       true,
		ListsAccounts:  true,
		Settings:       []connector.Setting{connector.SettingSCIM, connector.SettingConcurrency},
	}
	return connector.Kind{Name: models.AppSCIM, Label: "SCIM 2.0",
		Description:  "Roster creates, updates and disables the app's users and its group members over SCIM 2.0.",
		Capabilities: caps, Open: open}
}

// storedConfig is what models.Store.SetSCIMSettings seals in apps.config:
// the Config's JSON and what to do when an account is gone.
type storedConfig struct {
	Config
	OnNotFound string `json:"on_not_found"`
}

// OpenConfig opens a SCIM app's stored connection and says what to do
// when an account is gone (models.SCIMOnNotFoundGone or Recreate); its
// errors say, to an admin, what to fix.
func OpenConfig(sealer *models.Sealer, app *models.App) (Config, string, error) {
	if app.Config == "" || sealer == nil {
		return Config{}, "", fmt.Errorf("%s has no SCIM connection yet: set it with roster app add", app.Name)
	}
	plain, err := sealer.Open(app.Config)
	if err != nil {
		return Config{}, "", fmt.Errorf("%s: its stored settings cannot be decrypted with this ROSTER_SECRET_KEY", app.Name)
	}
	var c storedConfig
	if err := json.Unmarshal([]byte(plain), &c); err != nil {
		return Config{}, "", fmt.Errorf("%s: its stored settings are unreadable", app.Name)
	}
	if c.OnNotFound == "" {
		c.OnNotFound = models.SCIMOnNotFoundGone
	}
	return c.Config, c.OnNotFound, nil
}

// open reads the app's sealed connection and returns its connector.
func open(env connector.Env, app *models.App) (connector.Connector, error) {
	cfg, onNotFound, err := OpenConfig(env.Sealer, app)
	if err != nil {
		return nil, err
	}
	client, err := NewClient(cfg, Options{Policy: env.Outbound, HTTPClient: env.HTTP})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", app.Name, err)
	}
	return &appConnector{client: client, app: app.Name, recreate: onNotFound == models.SCIMOnNotFoundRecreate,
		mapping: DefaultMapping()}, nil
}

// appConnector is one SCIM app's connector.
type appConnector struct {
	client   *Client
	app      string
	recreate bool // an update of an account gone from the app creates it again
	mapping  Mapping
}

// Do carries out one action with one or a few SCIM calls. An account is
// found by the userName (then externalId) the mapping gives the person,
// as Create links it.
func (c *appConnector) Do(ctx context.Context, r connector.Request) connector.Outcome {
	start := time.Now()
	out := c.do(ctx, r)
	out.Duration = time.Since(start)
	return out
}

func (c *appConnector) do(ctx context.Context, r connector.Request) connector.Outcome {
	if r.Entitlement != nil {
		return c.entitlement(ctx, r)
	}
	switch r.Op {
	case rules.OpCreateAccount:
		return c.create(ctx, r.Person)
	case rules.OpUpdate:
		return c.update(ctx, r.Person)
	case rules.OpDisable:
		return c.onAccount(ctx, r.Person, "disabled", c.client.Disable)
	case rules.OpDelete:
		return c.onAccount(ctx, r.Person, "deleted", c.client.Delete)
	}
	return connector.Outcome{Err: fmt.Errorf("SCIM apps cannot %s: %w", r.Op, connector.ErrUnsupported)}
}

// user is the User the mapping makes of p.
func (c *appConnector) user(p *models.Person) User {
	return Build(Person{EmployeeID: p.ExternalID, FirstName: p.FirstName, LastName: p.LastName, PreferredName: p.PreferredName,
		WorkEmail: p.WorkEmail, PersonalEmail: p.PersonalEmail, Phone: p.Phone, Title: p.Title, Department: p.Department,
		Team: p.Team, Division: p.Division, CostCenter: p.CostCenter, ManagerID: p.ManagerID, Location: p.Location,
		Country: p.Country, Timezone: p.Timezone, EmploymentType: p.EmploymentType, Custom: p.Custom}, c.mapping)
}

func (c *appConnector) create(ctx context.Context, p *models.Person) connector.Outcome {
	made, err := c.client.Create(ctx, c.user(p))
	if err != nil {
		return failed(err)
	}
	if made.Linked() {
		return connector.Outcome{RemoteID: made.ID, Excerpt: fmt.Sprintf("linked to the existing user %s, found by %s", made.ID, made.LinkedBy)}
	}
	return connector.Outcome{RemoteID: made.ID, Excerpt: "created user " + made.ID}
}

// update sets the mapped attributes, leaving active alone (an update does
// not enable a disabled account). An account gone from the app is created
// again or fails the action, as the app is set up.
func (c *appConnector) update(ctx context.Context, p *models.Person) connector.Outcome {
	u := c.user(p)
	u.Active = nil
	id, err := c.find(ctx, u)
	if err == nil {
		err = c.client.Update(ctx, id, u)
	}
	switch {
	case errors.Is(err, ErrNotFound) && c.recreate:
		return c.create(ctx, p)
	case errors.Is(err, ErrNotFound):
		return gone(err, p)
	case err != nil:
		return failed(err)
	}
	return connector.Outcome{RemoteID: id, Excerpt: "updated user " + id}
}

// onAccount disables or deletes the person's account; one already gone
// from the app is done.
func (c *appConnector) onAccount(ctx context.Context, p *models.Person, did string, act func(context.Context, string) error) connector.Outcome {
	id, err := c.find(ctx, c.user(p))
	if err == nil {
		err = act(ctx, id)
	}
	switch {
	case errors.Is(err, ErrNotFound):
		return connector.Outcome{Excerpt: "no account in the app: nothing to do"}
	case err != nil:
		return failed(err)
	}
	return connector.Outcome{RemoteID: id, Excerpt: did + " user " + id}
}

// entitlement adds the person to, or removes them from, the group whose
// displayName is the entitlement's key. Updating a grant changes nothing:
// group membership has no parameters. A revoke of a membership that
// cannot exist (no account, no group) is done.
func (c *appConnector) entitlement(ctx context.Context, r connector.Request) connector.Outcome {
	e := r.Entitlement
	if e.Kind != models.EntitlementGroup {
		return connector.Outcome{Err: fmt.Errorf("SCIM apps cannot %s %s entitlements: %w", r.Op, e.Kind, connector.ErrUnsupported)}
	}
	if r.Op == rules.OpUpdate {
		return connector.Outcome{Excerpt: "group membership has no parameters: nothing to change"}
	}
	id, err := c.find(ctx, c.user(r.Person))
	var g Group
	if err == nil {
		g, err = c.client.FindGroup(ctx, e.Key)
	}
	if err == nil && r.Op == rules.OpRevoke {
		err = c.client.RemoveMember(ctx, g.ID, id)
	} else if err == nil {
		err = c.client.AddMember(ctx, g.ID, id)
	}
	switch {
	case err == nil && r.Op == rules.OpRevoke:
		return connector.Outcome{RemoteID: id, Excerpt: fmt.Sprintf("removed user %s from group %s", id, g.ID)}
	case err == nil:
		return connector.Outcome{RemoteID: id, Excerpt: fmt.Sprintf("added user %s to group %s", id, g.ID)}
	case errors.Is(err, ErrNotFound) && r.Op == rules.OpRevoke:
		return connector.Outcome{Excerpt: "no such account or group in the app: nothing to remove"}
	case errors.Is(err, ErrNotFound):
		return connector.Outcome{Err: fmt.Errorf("%s: %w", c.app, err)} // an account or group to make first: an admin has to act
	}
	return failed(err)
}

// find is the SCIM id of u's account, by userName then externalId.
func (c *appConnector) find(ctx context.Context, u User) (string, error) {
	found, err := c.client.lookup(ctx, u)
	if err != nil {
		return "", err
	}
	if found.ID == "" {
		return "", fmt.Errorf("scim: no user has that userName or externalId: %w", ErrNotFound)
	}
	return found.ID, nil
}

// failed is the Outcome of a failed call: the server's status, its
// detail (or the start of its answer), and whether and when to retry.
func failed(err error) connector.Outcome {
	out := connector.Outcome{Err: err}
	var e *Error
	if errors.As(err, &e) {
		out.Status, out.Retry, out.RetryAfter = e.Status, e.Retry, e.RetryAfter
		out.Excerpt = e.Detail
		if out.Excerpt == "" {
			out.Excerpt = e.Excerpt
		}
	}
	return out
}

// gone fails an update of an account the app no longer has.
func gone(err error, p *models.Person) connector.Outcome {
	out := failed(err)
	out.Retry, out.RetryAfter = false, 0
	out.Err = fmt.Errorf("%s has no account in the app any more (set on_not_found to recreate to create it again): %w", p.DisplayName(), err)
	return out
}

// Test reads the ServiceProviderConfig and counts the users.
func (c *appConnector) Test(ctx context.Context) connector.Outcome {
	start := time.Now()
	conn, err := c.client.TestConnection(ctx)
	if err != nil {
		out := failed(err)
		out.Duration = time.Since(start)
		return out
	}
	return connector.Outcome{Excerpt: conn.Summary(), Duration: time.Since(start)}
}

// ListAccounts streams the app's users, each with its groups' names as
// entitlements (a group entitlement's key is the group's displayName).
func (c *appConnector) ListAccounts(ctx context.Context, page func([]connector.RemoteAccount) error) error {
	return c.client.ListAccounts(ctx, 0, func(accounts []Account) error {
		out := make([]connector.RemoteAccount, len(accounts))
		for i, a := range accounts {
			out[i] = remoteAccount(a)
		}
		return page(out)
	})
}

func remoteAccount(a Account) connector.RemoteAccount {
	u := a.User
	r := connector.RemoteAccount{ID: u.ID, Email: u.Email(), Name: u.DisplayName, Status: models.AccountActive}
	if r.Email == "" && strings.Contains(u.UserName, "@") {
		r.Email = u.UserName
	}
	if u.Enterprise != nil {
		r.EmployeeNumber = u.Enterprise.EmployeeNumber
	}
	if len(u.PhoneNumbers) > 0 {
		r.Phone = u.PhoneNumbers[0].Value
	}
	if r.Name == "" && u.Name != nil {
		r.Name = strings.TrimSpace(u.Name.GivenName + " " + u.Name.FamilyName)
	}
	if !u.IsActive() {
		r.Status = models.AccountDisabled
	}
	for _, g := range a.Groups {
		if g.Display != "" {
			r.Entitlements = append(r.Entitlements, g.Display)
		}
	}
	return r
}
