package connector

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/rosterhq/roster/jobs/app/outbound"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
)

// ErrUnsupported is what a connector returns for something its kind does
// not do, like listing accounts.
var ErrUnsupported = errors.New("not supported by this kind of app")

// Connector acts on one app; Kind.Open returns it for the app it was
// opened for. It is safe for concurrent use.
type Connector interface {
	// Do makes one attempt at the action and says what happened. It does
	// not retry: the worker does, as the Outcome says.
	Do(ctx context.Context, r Request) Outcome
	// Test checks the app answers, for "Test connection"; kinds that do
	// not call the app say so in Err.
	Test(ctx context.Context) Outcome
	// ListAccounts hands the app's accounts to page, a page at a time,
	// stopping at page's first error; kinds that cannot list return
	// ErrUnsupported.
	ListAccounts(ctx context.Context, page func([]RemoteAccount) error) error
}

// Request is one action said in connector terms. The app is the one the
// connector was opened for.
type Request struct {
	ActionID int64
	Op       rules.Op
	// IdempotencyKey is the same on every attempt of the action, so the
	// app can deduplicate.
	IdempotencyKey string
	RunAt          time.Time
	Person         *models.Person
	Entitlement    *models.Entitlement // nil for account operations
	Params         map[string]string
	// Previous holds the values before an update (person attributes, or
	// the grant's parameters when there is an entitlement).
	Previous map[string]string
}

// Outcome is what one attempt came to.
type Outcome struct {
	Status  int    // the app's status code; 0 when it gave none
	Excerpt string // part of the app's answer, secrets redacted
	// Err is nil when the app did what was asked (or, with Pending, when
	// the work was handed to a person).
	Err error
	// Retry says a failure is worth trying again; RetryAfter is the wait
	// the app asked for (0 when it did not say). For a kind that does not
	// call the app, a retryable failure is Roster's own (its database),
	// and the worker hands it to River without showing it as an answer.
	Retry      bool
	RetryAfter time.Duration
	Duration   time.Duration
	// Pending: a person now does the work (a manual task was opened); the
	// action completes when they mark it done, not now.
	Pending bool
	// RemoteID is the app's id of the account, when it said.
	RemoteID string
}

// Done reports whether the app did what was asked.
func (o Outcome) Done() bool { return o.Err == nil && !o.Pending }

// RemoteAccount is one of an app's accounts as the app reports it.
type RemoteAccount struct {
	ID             string
	Email          string
	Phone          string
	EmployeeNumber string
	Name           string
	Status         string // models.AccountActive or models.AccountDisabled
	Entitlements   []string
}

// Env is what kinds may need to open a connector; the job client and
// "Test connection" build it.
type Env struct {
	HTTP *http.Client // outbound calls, through Roster's outbound policy
	// Outbound is that policy, for kinds that check an app's URL against
	// it before calling (SCIM refuses plain http:// to a public address).
	Outbound outbound.Policy
	Sealer   *models.Sealer
	Store    *models.Store
	Logger   *slog.Logger
}

// Setting is something an admin sets on an app's page.
type Setting string

// Settings the app page knows how to show.
const (
	SettingWebhook      Setting = "webhook"       // URL and signing secret
	SettingConcurrency  Setting = "concurrency"   // calls at once
	SettingTaskAssignee Setting = "task_assignee" // who the app's tasks go to
	SettingSCIM         Setting = "scim"          // base URL and credentials, set with roster app add
)

// Capabilities are what a kind supports.
type Capabilities struct {
	// AccountOps are the operations on an account itself (create_account,
	// update of its attributes, disable, delete).
	AccountOps []rules.Op
	// EntitlementOps are, per entitlement kind, the operations on a grant
	// (grant, update, revoke).
	EntitlementOps map[models.EntitlementKind][]rules.Op
	// CallsApp: the kind calls the app over the network, so concurrency
	// limits, call health, failing-app alerts and "Test connection" apply.
	CallsApp bool
	// ListsAccounts: ListAccounts works.
	ListsAccounts bool
	// Settings the app page shows, in its order.
	Settings []Setting
}

// Supports reports whether the kind carries out op on a grant of an
// entitlement of kind ent, or, when ent is "" (an account operation, or a
// grant whose entitlement is not known), at all.
func (c Capabilities) Supports(op rules.Op, ent models.EntitlementKind) bool {
	if ent != "" {
		return slices.Contains(c.EntitlementOps[ent], op)
	}
	if slices.Contains(c.AccountOps, op) {
		return true
	}
	for _, ops := range c.EntitlementOps {
		if slices.Contains(ops, op) {
			return true
		}
	}
	return false
}

// Shows reports whether the app page shows setting s.
func (c Capabilities) Shows(s Setting) bool { return slices.Contains(c.Settings, s) }

// AllOps returns the capabilities of a kind that carries out every
// operation, on accounts and on grants of every entitlement kind; the
// kind then sets the rest.
func AllOps() Capabilities {
	c := Capabilities{AccountOps: []rules.Op{rules.OpCreateAccount, rules.OpUpdate, rules.OpDisable, rules.OpDelete},
		EntitlementOps: map[models.EntitlementKind][]rules.Op{}}
	for _, k := range models.EntitlementKinds {
		c.EntitlementOps[k] = []rules.Op{rules.OpGrant, rules.OpUpdate, rules.OpRevoke}
	}
	return c
}
