package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The operations a webhook app is asked to perform.
const (
	OpCreateAccount = "create_account"
	OpGrant         = "grant"
	OpRevoke        = "revoke"
	OpUpdate        = "update"
	OpDisable       = "disable"
	OpDelete        = "delete"
)

// OpTest is the payload of "Test connection": a made-up person, nothing
// to do. Receivers answer 2xx to show they are reachable and check
// signatures; see "Test connection" in docs/webhooks.md.
const OpTest = "test"

// Ops lists every operation, in the order the docs describe them.
var Ops = []string{OpCreateAccount, OpGrant, OpRevoke, OpUpdate, OpDisable, OpDelete}

// maxIDLength bounds the idempotency key; receivers store it.
const maxIDLength = 255

// Payload is the JSON body.
type Payload struct {
	ID          string            `json:"id"` // the action's idempotency key
	Op          string            `json:"op"` // one of Ops
	OccurredAt  time.Time         `json:"occurred_at"`
	App         App               `json:"app"`
	Person      Person            `json:"person"`
	Entitlement *Entitlement      `json:"entitlement,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
	// Previous holds the values before an update: person attributes when
	// there is no entitlement, the grant's parameters when there is one.
	Previous map[string]string `json:"previous,omitempty"`
}

// App identifies the app the action is for.
type App struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Person is the person the action is about, as Roster knows them now.
// Dates are YYYY-MM-DD or empty; manager_id is the manager's employee_id.
type Person struct {
	ID              int64             `json:"id"`
	EmployeeID      string            `json:"employee_id"`
	FirstName       string            `json:"first_name"`
	LastName        string            `json:"last_name"`
	PreferredName   string            `json:"preferred_name"`
	WorkEmail       string            `json:"work_email"`
	PersonalEmail   string            `json:"personal_email"`
	Phone           string            `json:"phone"`
	Title           string            `json:"title"`
	Department      string            `json:"department"`
	Team            string            `json:"team"`
	Division        string            `json:"division"`
	CostCenter      string            `json:"cost_center"`
	ManagerID       string            `json:"manager_id"`
	Location        string            `json:"location"`
	Country         string            `json:"country"`
	Timezone        string            `json:"timezone"`
	EmploymentType  string            `json:"employment_type"`
	Status          string            `json:"status"`
	StartDate       string            `json:"start_date"`
	TerminationDate string            `json:"termination_date"`
	Groups          []string          `json:"groups"`
	Custom          map[string]string `json:"custom"`
}

// Entitlement is what is granted, revoked or updated.
type Entitlement struct {
	ID   int64  `json:"id"`
	Kind string `json:"kind"` // role | group | license | attribute
	Key  string `json:"key"`  // the app's own identifier
	Name string `json:"name"`
}

// check rejects payloads no retry could fix.
func (p Payload) check() error {
	if p.ID == "" {
		return errors.New("webhook: the action has no idempotency key")
	}
	if len(p.ID) > maxIDLength {
		return fmt.Errorf("webhook: the idempotency key is longer than %d bytes", maxIDLength)
	}
	for i := 0; i < len(p.ID); i++ {
		if c := p.ID[i]; c < 0x21 || c > 0x7e {
			return errors.New("webhook: the idempotency key must be printable ASCII without spaces")
		}
	}
	if p.Op == OpTest {
		return nil
	}
	for _, op := range Ops {
		if p.Op == op {
			return nil
		}
	}
	return fmt.Errorf("webhook: unknown operation %q", p.Op)
}

// body is the JSON Roster sends: times in UTC, and groups and custom as
// [] and {} rather than null, so receivers need not handle both.
func (p Payload) body(now time.Time) ([]byte, error) {
	if p.OccurredAt.IsZero() {
		p.OccurredAt = now
	}
	p.OccurredAt = p.OccurredAt.UTC()
	if p.Person.Groups == nil {
		p.Person.Groups = []string{}
	}
	if p.Person.Custom == nil {
		p.Person.Custom = map[string]string{}
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("webhook: encode payload: %w", err)
	}
	return b, nil
}
