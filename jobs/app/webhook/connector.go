package webhook

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/jobs/app/connector"
	"github.com/rosterhq/roster/models"
)

// Kind is the webhook kind for the registry (jobs/app/kinds).
func Kind() connector.Kind {
	caps := connector.AllOps()
	caps.CallsApp = true
	caps.Settings = []connector.Setting{connector.SettingWebhook, connector.SettingConcurrency}
	return connector.Kind{Name: models.AppWebhook, Label: "webhook",
		Description:  "Roster calls the app's endpoint with signed JSON for every change.",
		Capabilities: caps, Open: open}
}

// open reads the app's sealed connection and returns its connector.
func open(env connector.Env, app *models.App) (connector.Connector, error) {
	cfg, err := OpenConfig(env.Sealer, app)
	if err != nil {
		return nil, err
	}
	return &appConnector{client: NewClient(env.HTTP), cfg: cfg, app: App{ID: app.ID, Name: app.Name}}, nil
}

// storedConfig is what a webhook app stores, sealed.
type storedConfig struct {
	URL            string `json:"url"`
	Secret         string `json:"secret"`
	PreviousSecret string `json:"previous_secret"`
}

// OpenConfig opens a webhook app's stored connection; its errors say, to
// an admin, what to fix.
func OpenConfig(sealer *models.Sealer, app *models.App) (Config, error) {
	if app.Config == "" || sealer == nil {
		return Config{}, fmt.Errorf("%s has no webhook URL and secret yet: set them on the app's page", app.Name)
	}
	plain, err := sealer.Open(app.Config)
	if err != nil {
		return Config{}, fmt.Errorf("%s: its stored settings cannot be decrypted with this ROSTER_SECRET_KEY", app.Name)
	}
	var c storedConfig
	if err := json.Unmarshal([]byte(plain), &c); err != nil {
		return Config{}, fmt.Errorf("%s: its stored settings are unreadable", app.Name)
	}
	// While a rotated-out secret is kept, calls carry both signatures so
	// receivers not yet updated keep accepting them.
	cfg := Config{URL: c.URL, Secret: c.Secret, PreviousSecret: c.PreviousSecret}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", app.Name, err)
	}
	return cfg, nil
}

// appConnector is one webhook app's connector.
type appConnector struct {
	client *Client
	cfg    Config
	app    App
}

// Do sends the action as one signed POST.
func (c *appConnector) Do(ctx context.Context, r connector.Request) connector.Outcome {
	return outcome(c.client.Send(ctx, c.cfg, c.payload(r), time.Now()))
}

// Test sends a signed call with op test and a made-up person.
func (c *appConnector) Test(ctx context.Context) connector.Outcome {
	now := time.Now()
	p := Payload{ID: newTestID(), Op: OpTest, OccurredAt: now, App: c.app,
		Person: Person{FirstName: "Test", LastName: "Connection", WorkEmail: "test.connection@example.invalid"}}
	return outcome(c.client.Send(ctx, c.cfg, p, now))
}

// ListAccounts is not part of the webhook protocol.
func (c *appConnector) ListAccounts(context.Context, func([]connector.RemoteAccount) error) error {
	return fmt.Errorf("webhook apps: listing accounts: %w", connector.ErrUnsupported)
}

// newTestID is a test call's idempotency key: random, like an action's.
func newTestID() string { return "test_" + strings.ToLower(rand.Text()) }

func outcome(res Result) connector.Outcome {
	return connector.Outcome{Status: res.Status, Excerpt: res.Excerpt, Err: res.Err, Retry: res.Retry,
		RetryAfter: res.RetryAfter, Duration: res.Duration}
}

func (c *appConnector) payload(r connector.Request) Payload {
	p := r.Person
	out := Payload{
		ID: r.IdempotencyKey, Op: string(r.Op), OccurredAt: r.RunAt, App: c.app,
		Person: Person{ID: p.ID, EmployeeID: p.ExternalID, FirstName: p.FirstName, LastName: p.LastName,
			PreferredName: p.PreferredName, WorkEmail: p.WorkEmail, PersonalEmail: p.PersonalEmail, Phone: p.Phone,
			Title: p.Title, Department: p.Department, Team: p.Team, Division: p.Division, CostCenter: p.CostCenter,
			ManagerID: p.ManagerID, Location: p.Location, Country: p.Country, Timezone: p.Timezone,
			EmploymentType: p.EmploymentType, Status: string(p.Status), StartDate: p.StartDate,
			TerminationDate: p.TerminationDate, Groups: p.Groups, Custom: p.Custom},
		Params: r.Params, Previous: r.Previous,
	}
	if e := r.Entitlement; e != nil {
		out.Entitlement = &Entitlement{ID: e.ID, Kind: string(e.Kind), Key: e.Key, Name: e.Name}
	}
	return out
}
