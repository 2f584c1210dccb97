package models

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// AppKind is how Roster acts on an app: the name of its connector. Which
// kinds exist, and what each supports, is the connector registry's
// (jobs/app/kinds); the store only checks a kind is a plain name.
type AppKind string

// The kinds whose own settings the store keeps (a webhook's connection,
// a manual app's task assignee, a SCIM app's connection).
const (
	AppWebhook AppKind = "webhook" // signed JSON calls to the app's endpoint
	AppManual  AppKind = "manual"  // tasks for IT: equipment, manual set-up
	AppSCIM    AppKind = "scim"    // SCIM 2.0 /Users and /Groups
)

// Deprovision modes: what happens to a leaver's account.
const (
	DeprovisionDisable = "disable"
	DeprovisionDelete  = "delete"
)

// App is an application whose accounts and permissions Roster manages.
type App struct {
	ID              int64
	Kind            AppKind
	Name            string
	Description     string
	Config          string // sealed JSON
	DeprovisionMode string
	// MaxConcurrency is how many of the app's actions one Roster process
	// carries out at once (see jobs' appLimits); 4 unless set.
	MaxConcurrency int `gorm:"default:4"`
	// MaxCallsPerSecond bounds the calls the whole installation makes to
	// the app in any second (0: no limit).
	MaxCallsPerSecond int
	// MatchOrder is the keys (MatchKeys) its accounts are matched by,
	// first first, comma-separated; "" for DefaultMatchOrder.
	// MatchPlusAddressing folds "ada+github@" into "ada@".
	MatchOrder          string
	MatchPlusAddressing bool
	// ReconcileEveryMinutes is how often Roster lists the accounts of an
	// app whose kind can (0: only when asked; 60 unless set);
	// ReconciledAt, ReconcileSummary and ReconcileError are the last
	// listing's time, summary line, and why it failed ("" when it did not).
	ReconcileEveryMinutes int `gorm:"default:60"`
	ReconciledAt          *time.Time
	ReconcileSummary      string
	ReconcileError        string
	// TaskAssigneeAdminID or TaskAssigneeEmail is who a manual app's
	// tasks go to (Store.SetAppTaskAssignee); neither: nobody.
	TaskAssigneeAdminID *int64
	TaskAssigneeEmail   string
	// FailedCalls counts the app's outbound calls that failed in a row,
	// since FailingSince; AlertedAt is when IT/security were told of this
	// streak (RecordAppCall). A successful call clears all three.
	FailedCalls  int
	FailingSince *time.Time
	AlertedAt    *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// TableName implements gorm's Tabler.
func (App) TableName() string { return "apps" }

// EntitlementKind is what an entitlement is in its app.
type EntitlementKind string

// Entitlement kinds.
const (
	EntitlementRole      EntitlementKind = "role"
	EntitlementGroup     EntitlementKind = "group"
	EntitlementLicense   EntitlementKind = "license"
	EntitlementAttribute EntitlementKind = "attribute"
)

// EntitlementKinds lists the kinds in the order the UI offers them.
var EntitlementKinds = []EntitlementKind{EntitlementRole, EntitlementGroup, EntitlementLicense, EntitlementAttribute}

// ParamType is the type of an entitlement parameter.
type ParamType string

// Parameter types.
const (
	ParamText   ParamType = "text"
	ParamNumber ParamType = "number"
	ParamBool   ParamType = "bool"
)

// ParamSpec declares one parameter a grant of the entitlement carries,
// like a card's spend_limit.
type ParamSpec struct {
	Name     string    `json:"name"`
	Type     ParamType `json:"type"`
	Required bool      `json:"required,omitempty"`
	Label    string    `json:"label,omitempty"`
}

// Entitlement is one thing an app can grant: a role, a group, a licence
// or an attribute.
type Entitlement struct {
	ID        int64
	AppID     int64
	Kind      EntitlementKind
	Key       string // the app's own identifier, e.g. "eng"
	Name      string
	Params    []ParamSpec `gorm:"serializer:json"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TableName implements gorm's Tabler.
func (Entitlement) TableName() string { return "entitlements" }

// Audit actions for apps.
const (
	ActionAppCreated         = "app.created"
	ActionAppUpdated         = "app.updated"
	ActionEntitlementCreated = "entitlement.created"
	ActionEntitlementUpdated = "entitlement.updated"
	ActionEntitlementDeleted = "entitlement.deleted"
)

var identifier = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// AppInput is what an admin sets on an app.
type AppInput struct {
	Kind            AppKind
	Name            string
	Description     string
	DeprovisionMode string
}

// Validate returns a message per invalid field.
func (in *AppInput) Validate() map[string]string {
	errs := map[string]string{}
	in.Name, in.Description = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	if in.Name == "" || len([]rune(in.Name)) > 100 {
		errs["name"] = "Give the app a name of up to 100 characters."
	}
	if !identifier.MatchString(string(in.Kind)) { // which kinds exist is the connector registry's
		errs["kind"] = "Choose the kind of app."
	}
	if in.DeprovisionMode != DeprovisionDisable && in.DeprovisionMode != DeprovisionDelete {
		errs["deprovision_mode"] = "Choose disable or delete."
	}
	return errs
}

// EntitlementInput is what an admin sets on an entitlement.
type EntitlementInput struct {
	Kind   EntitlementKind
	Key    string
	Name   string
	Params []ParamSpec
}

// Validate returns a message per invalid field ("params" for any
// parameter problem).
func (in *EntitlementInput) Validate() map[string]string {
	errs := map[string]string{}
	in.Key, in.Name = strings.TrimSpace(in.Key), strings.TrimSpace(in.Name)
	switch in.Kind {
	case EntitlementRole, EntitlementGroup, EntitlementLicense, EntitlementAttribute:
	default:
		errs["kind"] = "Choose role, group, licence or attribute."
	}
	if in.Key == "" || len(in.Key) > 200 {
		errs["key"] = "Enter the app's identifier for it, like eng or admin."
	}
	if in.Name == "" {
		in.Name = in.Key
	}
	seen := map[string]bool{}
	for i := range in.Params {
		p := &in.Params[i]
		p.Name = strings.TrimSpace(p.Name)
		switch {
		case !identifier.MatchString(p.Name):
			errs["params"] = fmt.Sprintf("Parameter names are lower-case words like spend_limit (%q is not).", p.Name)
		case seen[p.Name]:
			errs["params"] = fmt.Sprintf("Parameter %s appears twice.", p.Name)
		case p.Type != ParamText && p.Type != ParamNumber && p.Type != ParamBool:
			errs["params"] = fmt.Sprintf("Parameter %s needs a type: text, number or bool.", p.Name)
		}
		seen[p.Name] = true
	}
	return errs
}

// ListApps returns every app by name.
func (s *Store) ListApps(ctx context.Context) ([]App, error) {
	var out []App
	if err := s.db.WithContext(ctx).Order("name").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list apps: %w", translate(err))
	}
	return out, nil
}

// AppByID returns one app.
func (s *Store) AppByID(ctx context.Context, id int64) (*App, error) {
	var a App
	if err := s.db.WithContext(ctx).First(&a, id).Error; err != nil {
		return nil, fmt.Errorf("store: app %d: %w", id, translate(err))
	}
	return &a, nil
}

// AppByName returns the app of that name, compared case-insensitively.
func (s *Store) AppByName(ctx context.Context, name string) (*App, error) {
	var a App
	if err := s.db.WithContext(ctx).Where("LOWER(name) = LOWER(?)", strings.TrimSpace(name)).First(&a).Error; err != nil {
		return nil, fmt.Errorf("store: app %q: %w", name, translate(err))
	}
	return &a, nil
}

// CreateApp adds an app. A name in use is ErrConflict.
func (s *Store) CreateApp(ctx context.Context, actor Actor, in AppInput) (*App, error) {
	if errs := in.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("store: create app: invalid %v", errs)
	}
	a := &App{Kind: in.Kind, Name: in.Name, Description: in.Description, DeprovisionMode: in.DeprovisionMode}
	err := s.WithTx(ctx, func(tx *Store) error {
		if err := tx.db.WithContext(ctx).Create(a).Error; err != nil {
			return fmt.Errorf("store: create app %q: %w", in.Name, translate(err))
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: ActionAppCreated, SubjectType: "app", SubjectID: a.ID, SubjectLabel: a.Name, After: in})
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// UpdateApp changes an app's name, description and deprovision mode (its
// kind is fixed once created).
func (s *Store) UpdateApp(ctx context.Context, actor Actor, id int64, in AppInput) error {
	return s.WithTx(ctx, func(tx *Store) error {
		before, err := tx.AppByID(ctx, id)
		if err != nil {
			return err
		}
		in.Kind = before.Kind
		if errs := in.Validate(); len(errs) > 0 {
			return fmt.Errorf("store: update app: invalid %v", errs)
		}
		err = tx.db.WithContext(ctx).Model(&App{}).Where("id = ?", id).Updates(map[string]any{
			"name": in.Name, "description": in.Description, "deprovision_mode": in.DeprovisionMode, "updated_at": time.Now().UTC()}).Error
		if err != nil {
			return fmt.Errorf("store: update app %d: %w", id, translate(err))
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: ActionAppUpdated, SubjectType: "app", SubjectID: id, SubjectLabel: in.Name,
			Before: AppInput{Kind: before.Kind, Name: before.Name, Description: before.Description, DeprovisionMode: before.DeprovisionMode}, After: in})
	})
}

// Entitlements returns an app's catalogue, or every app's when appID is 0.
func (s *Store) Entitlements(ctx context.Context, appID int64) ([]Entitlement, error) {
	q := s.db.WithContext(ctx).Order("app_id, kind, name")
	if appID != 0 {
		q = q.Where("app_id = ?", appID)
	}
	var out []Entitlement
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: entitlements of app %d: %w", appID, translate(err))
	}
	return out, nil
}

// EntitlementByID returns one entitlement.
func (s *Store) EntitlementByID(ctx context.Context, id int64) (*Entitlement, error) {
	var e Entitlement
	if err := s.db.WithContext(ctx).First(&e, id).Error; err != nil {
		return nil, fmt.Errorf("store: entitlement %d: %w", id, translate(err))
	}
	return &e, nil
}

// CreateEntitlement adds an entitlement to an app's catalogue. A key in
// use in that app is ErrConflict.
func (s *Store) CreateEntitlement(ctx context.Context, actor Actor, appID int64, in EntitlementInput) (*Entitlement, error) {
	if errs := in.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("store: create entitlement: invalid %v", errs)
	}
	if in.Params == nil {
		in.Params = []ParamSpec{}
	}
	e := &Entitlement{AppID: appID, Kind: in.Kind, Key: in.Key, Name: in.Name, Params: in.Params}
	err := s.WithTx(ctx, func(tx *Store) error {
		if err := tx.db.WithContext(ctx).Create(e).Error; err != nil {
			return fmt.Errorf("store: create entitlement %q: %w", in.Key, translate(err))
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: ActionEntitlementCreated, SubjectType: "entitlement", SubjectID: e.ID,
			SubjectLabel: in.Name, After: in})
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// UpdateEntitlement changes an entitlement's name and parameters.
func (s *Store) UpdateEntitlement(ctx context.Context, actor Actor, id int64, in EntitlementInput) error {
	if errs := in.Validate(); len(errs) > 0 {
		return fmt.Errorf("store: update entitlement: invalid %v", errs)
	}
	if in.Params == nil {
		in.Params = []ParamSpec{}
	}
	return s.WithTx(ctx, func(tx *Store) error {
		before, err := tx.EntitlementByID(ctx, id)
		if err != nil {
			return err
		}
		e := Entitlement{ID: id, AppID: before.AppID, Kind: in.Kind, Key: in.Key, Name: in.Name, Params: in.Params,
			CreatedAt: before.CreatedAt, UpdatedAt: time.Now().UTC()}
		if err := tx.db.WithContext(ctx).Save(&e).Error; err != nil {
			return fmt.Errorf("store: update entitlement %d: %w", id, translate(err))
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: ActionEntitlementUpdated, SubjectType: "entitlement", SubjectID: id,
			SubjectLabel: in.Name, Before: before, After: in})
	})
}
