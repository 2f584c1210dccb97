package models

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm/clause"
)

// Verdicts of matching an app's account to the people HR knows (see
// jobs/app/match).
const (
	VerdictMatched   = "matched"
	VerdictAmbiguous = "ambiguous"
	VerdictNotInHR   = "not_in_hr"
)

// Grant origins: who put the grant there.
// An app-origin grant is kept beyond the rules (the planner revokes it
// only from a leaver); a Roster-origin grant is the rules' to decide.
const (
	// GrantByRoster: an action Roster carried out, or an entitlement added
	// outside Roster to an account Roster already knew (drift): the rules
	// govern it, so one no rule gives is proposed for revoking.
	GrantByRoster = "roster"
	// GrantByApp: the app reported it when Roster first saw the account
	// (a baseline's access beyond the rules, shown as such).
	GrantByApp = "app"
)

// ActionAccountsReconciled records one reconciliation of an app's accounts.
const ActionAccountsReconciled = "app.accounts_reconciled"

// Decisions an admin takes on an app's account (AppAccount.Decision).
const (
	// DecisionLinked: linked to a person by hand (an ambiguous account
	// resolved, or one not in HR); every later reconciliation keeps the
	// link over what matching says, while the person exists.
	DecisionLinked = "linked"
	// DecisionService: a service account, not a person's: kept, ignored
	// by planning (it is linked to nobody), and audited.
	DecisionService = "service"
)

// Audit actions of those decisions.
const (
	ActionAppAccountLinked  = "app_account.linked"
	ActionAppAccountService = "app_account.service"
)

// MatchedByAdmin is AppAccount.MatchedBy of an account an admin linked.
const MatchedByAdmin = "admin"

// AppAccount is one of an app's accounts as the app last reported it, and
// how it matched. A matched account is linked to its person's Account,
// whose grants are then the entitlements reported here that the app's
// catalogue knows.
type AppAccount struct {
	ID             int64
	AppID          int64
	RemoteID       string
	Email          string
	Phone          string
	EmployeeNumber string
	Name           string
	Status         string   // AccountActive, AccountDisabled or AccountDeleted (gone from the app)
	Entitlements   []string `gorm:"serializer:json"` // the app's keys, as reported
	Verdict        string
	MatchedBy      string  // the match key that found the person
	PersonID       *int64  // set when matched
	Candidates     []int64 `gorm:"serializer:json"` // the people an ambiguous account fits
	Reason         string  // why ambiguous, in words
	// Decision is what an admin decided (DecisionLinked, DecisionService);
	// "" when matching alone decides. Reconciliation keeps it.
	Decision    string
	DecidedBy   string
	DecidedAt   *time.Time
	FirstSeenAt time.Time
	LastSeenAt  time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// TableName implements gorm's Tabler.
func (AppAccount) TableName() string { return "app_accounts" }

// Reconciliation is what recording an app's accounts found and changed.
type Reconciliation struct {
	Seen      int
	Matched   int
	Ambiguous int
	NotInHR   int
	// Gone counts accounts seen before that the app no longer reports.
	Gone int
	// Changed lists the people whose recorded access changed (an account
	// linked, its status or its grants): they are planned again.
	Changed []int64
	// Unknown lists the entitlement keys the app reported that its
	// catalogue does not have, sorted; they are kept on the account but
	// grant nothing.
	Unknown []string
	// Drifted lists the people one of whose known accounts was changed
	// outside Roster (an entitlement added or removed, disabled,
	// deleted): each has an EventOutsideChange saying how.
	Drifted []int64
}

// RecordAccounts records the full list of an app's accounts, each with
// its verdict, as the app reports them now. In one transaction it:
//   - stores every account (new ones first seen now, all last seen now);
//   - marks gone the accounts seen before that the list leaves out, and
//     the linked person's account with them;
//   - links each matched account to its person's account (creating it
//     when Roster has none), with the reported status, and makes the
//     account's grants the reported entitlements: missing ones are added
//     as reported by the app, and ones the app no longer reports removed;
//   - audits the reconciliation with its counts.
//
// Nothing is sent to any app: the people whose access changed are
// returned for planning, which proposes what the rules say.
func (s *Store) RecordAccounts(ctx context.Context, actor Actor, appID int64, seen []AppAccount, now time.Time) (*Reconciliation, error) {
	now = now.UTC()
	out := &Reconciliation{Seen: len(seen)}
	err := s.WithTx(ctx, func(tx *Store) error {
		app, err := tx.AppByID(ctx, appID)
		if err != nil {
			return err
		}
		r := &recorder{tx: tx, ctx: ctx, app: app, now: now, out: out, changed: map[int64]bool{}, drift: map[int64][]FieldChange{}}
		if err := r.load(); err != nil {
			return err
		}
		if err := r.store(seen); err != nil {
			return err
		}
		if err := r.markGone(seen); err != nil {
			return err
		}
		if err := r.link(seen); err != nil {
			return err
		}
		for id := range r.changed {
			out.Changed = append(out.Changed, id)
		}
		slices.Sort(out.Changed)
		if err := r.recordDrift(); err != nil {
			return err
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: ActionAccountsReconciled, SubjectType: "app", SubjectID: app.ID, SubjectLabel: app.Name,
			After: map[string]any{"seen": out.Seen, "matched": out.Matched, "ambiguous": out.Ambiguous, "not_in_hr": out.NotInHR,
				"gone": out.Gone, "people_changed": len(out.Changed), "changed_outside_roster": len(out.Drifted),
				"unknown_entitlements": out.Unknown}})
	})
	if err != nil {
		return nil, fmt.Errorf("store: record accounts of app %d: %w", appID, err)
	}
	return out, nil
}

// recorder is one RecordAccounts: the app's catalogue, accounts and
// grants as they were, and what changed.
type recorder struct {
	tx      *Store
	ctx     context.Context
	app     *App
	now     time.Time
	out     *Reconciliation
	changed map[int64]bool

	entitlements map[string]int64      // key → id
	before       map[string]AppAccount // remote id → as last seen
	accounts     map[int64]Account     // person → their account in the app
	grants       map[int64]map[int64]bool
	drift        map[int64][]FieldChange // person → what changed outside Roster
}

func (r *recorder) load() error {
	db := r.tx.db.WithContext(r.ctx)
	ents, err := r.tx.Entitlements(r.ctx, r.app.ID)
	if err != nil {
		return err
	}
	r.entitlements = make(map[string]int64, len(ents))
	for _, e := range ents {
		r.entitlements[e.Key] = e.ID
	}
	var before []AppAccount
	if err := db.Where("app_id = ?", r.app.ID).Find(&before).Error; err != nil {
		return translate(err)
	}
	r.before = make(map[string]AppAccount, len(before))
	for _, a := range before {
		r.before[a.RemoteID] = a
	}
	return r.loadAccounts()
}

func (r *recorder) loadAccounts() error {
	db := r.tx.db.WithContext(r.ctx)
	var accounts []Account
	if err := db.Where("app_id = ?", r.app.ID).Find(&accounts).Error; err != nil {
		return translate(err)
	}
	r.accounts = make(map[int64]Account, len(accounts))
	byID := make(map[int64]int64, len(accounts))
	for _, a := range accounts {
		r.accounts[a.PersonID] = a
		byID[a.ID] = a.PersonID
	}
	var grants []Grant
	if err := db.Where("account_id IN (SELECT id FROM accounts WHERE app_id = ?)", r.app.ID).Find(&grants).Error; err != nil {
		return translate(err)
	}
	r.grants = map[int64]map[int64]bool{}
	for _, g := range grants {
		if r.grants[g.AccountID] == nil {
			r.grants[g.AccountID] = map[int64]bool{}
		}
		r.grants[g.AccountID][g.EntitlementID] = true
	}
	return nil
}

// store upserts every reported account.
func (r *recorder) store(seen []AppAccount) error {
	unknown := map[string]bool{}
	rows := make([]AppAccount, len(seen))
	for i, a := range seen {
		a.ID, a.AppID, a.LastSeenAt, a.UpdatedAt = 0, r.app.ID, r.now, r.now
		a.FirstSeenAt, a.CreatedAt = r.now, r.now
		if old, ok := r.before[a.RemoteID]; ok {
			a.FirstSeenAt, a.CreatedAt = old.FirstSeenAt, old.CreatedAt
		}
		if a.Status == "" {
			a.Status = AccountActive
		}
		if a.Entitlements == nil {
			a.Entitlements = []string{}
		}
		if a.Candidates == nil {
			a.Candidates = []int64{}
		}
		if old, ok := r.before[a.RemoteID]; ok && old.Decision == DecisionLinked && old.PersonID != nil {
			// An admin linked it: that holds over matching.
			a.Verdict, a.PersonID, a.MatchedBy, a.Candidates, a.Reason = VerdictMatched, old.PersonID, MatchedByAdmin, []int64{}, ""
		}
		if a.Verdict != VerdictMatched {
			a.PersonID = nil
		}
		switch a.Verdict {
		case VerdictMatched:
			r.out.Matched++
		case VerdictAmbiguous:
			r.out.Ambiguous++
		default:
			a.Verdict = VerdictNotInHR
			r.out.NotInHR++
		}
		for _, k := range a.Entitlements {
			if _, ok := r.entitlements[k]; !ok {
				unknown[k] = true
			}
		}
		rows[i] = a
	}
	for k := range unknown {
		r.out.Unknown = append(r.out.Unknown, k)
	}
	slices.Sort(r.out.Unknown)
	if len(rows) == 0 {
		return nil
	}
	err := r.tx.db.WithContext(r.ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "app_id"}, {Name: "remote_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"email", "phone", "employee_number", "name", "status", "entitlements",
			"verdict", "matched_by", "person_id", "candidates", "reason", "last_seen_at", "updated_at"}),
	}).CreateInBatches(rows, 200).Error
	return translate(err)
}

// markGone records the accounts the app no longer reports as deleted,
// with the accounts they were linked to: the app says they are gone,
// so the rules may propose them again, and nothing is revoked.
func (r *recorder) markGone(seen []AppAccount) error {
	reported := make(map[string]bool, len(seen))
	for _, a := range seen {
		reported[a.RemoteID] = true
	}
	var gone []int64
	var people []int64
	for id, a := range r.before {
		if reported[id] || a.Status == AccountDeleted {
			continue
		}
		gone = append(gone, a.ID)
		if a.PersonID != nil && a.Verdict == VerdictMatched {
			people = append(people, *a.PersonID)
		}
	}
	r.out.Gone = len(gone)
	db := r.tx.db.WithContext(r.ctx)
	for _, chunk := range chunks(gone, 1000) {
		if err := db.Model(&AppAccount{}).Where("id IN ?", chunk).
			Updates(map[string]any{"status": AccountDeleted, "updated_at": r.now}).Error; err != nil {
			return translate(err)
		}
	}
	for _, person := range people {
		acc, ok := r.accounts[person]
		if !ok || acc.Status == AccountDeleted {
			continue
		}
		if err := r.setAccount(acc.ID, map[string]any{"status": AccountDeleted}); err != nil {
			return err
		}
		r.drifted(person, FieldChange{Field: r.app.Name + " account", Old: acc.Status, New: "deleted"})
		if err := db.Where("account_id = ?", acc.ID).Delete(&Grant{}).Error; err != nil {
			return translate(err)
		}
		r.changed[person] = true
	}
	return nil
}

// link makes each matched person's account what the app reported.
func (r *recorder) link(seen []AppAccount) error {
	db := r.tx.db.WithContext(r.ctx)
	var created []Account
	for _, a := range seen {
		if a.Verdict != VerdictMatched || a.PersonID == nil {
			continue
		}
		status := a.Status
		if status == "" {
			status = AccountActive
		}
		acc, ok := r.accounts[*a.PersonID]
		if !ok {
			created = append(created, Account{PersonID: *a.PersonID, AppID: r.app.ID, RemoteID: a.RemoteID, Status: status,
				CreatedAt: r.now, UpdatedAt: r.now})
			r.changed[*a.PersonID] = true
			continue
		}
		if acc.RemoteID != a.RemoteID || acc.Status != status {
			if err := r.setAccount(acc.ID, map[string]any{"remote_id": a.RemoteID, "status": status}); err != nil {
				return err
			}
			r.changed[*a.PersonID] = true
			if r.known(a) && acc.Status != status {
				r.drifted(*a.PersonID, FieldChange{Field: r.app.Name + " account", Old: acc.Status, New: status})
			}
		}
	}
	if len(created) > 0 {
		if err := db.CreateInBatches(created, 200).Error; err != nil {
			return translate(err)
		}
		if err := r.loadAccounts(); err != nil {
			return err
		}
	}
	var add []Grant
	var drop []int64
	for _, a := range seen {
		if a.Verdict != VerdictMatched || a.PersonID == nil {
			continue
		}
		acc := r.accounts[*a.PersonID]
		want := map[int64]bool{}
		if a.Status != AccountDeleted {
			for _, k := range a.Entitlements {
				if id, ok := r.entitlements[k]; ok {
					want[id] = true
				}
			}
		}
		held := r.grants[acc.ID]
		known := r.known(a)
		for id := range want {
			if !held[id] {
				// On an account Roster knew, an entitlement that appears
				// was given outside Roster: the rules decide whether it
				// stays. On an account first seen, it is the app's.
				origin := GrantByApp
				if known {
					origin = GrantByRoster
					r.drifted(*a.PersonID, FieldChange{Field: r.app.Name + " · " + r.keyOf(id), Old: "", New: "added"})
				}
				add = append(add, Grant{AccountID: acc.ID, EntitlementID: id, Params: map[string]string{}, Origin: origin,
					CreatedAt: r.now, UpdatedAt: r.now})
				r.changed[*a.PersonID] = true
			}
		}
		for id := range held {
			if !want[id] {
				drop = append(drop, acc.ID, id)
				r.changed[*a.PersonID] = true
				if known && a.Status != AccountDeleted {
					r.drifted(*a.PersonID, FieldChange{Field: r.app.Name + " · " + r.keyOf(id), Old: "held", New: "removed"})
				}
			}
		}
	}
	if len(add) > 0 {
		if err := db.CreateInBatches(add, 200).Error; err != nil {
			return translate(err)
		}
	}
	for i := 0; i < len(drop); i += 2 {
		if err := db.Where("account_id = ? AND entitlement_id = ?", drop[i], drop[i+1]).Delete(&Grant{}).Error; err != nil {
			return translate(err)
		}
	}
	return nil
}

// known reports whether a reported account is one Roster already knew as
// this person's: seen before, matched to them and not gone. Only then is
// a difference a change made outside Roster; an account seen for the
// first time (a baseline, a new match) is taken as it is.
func (r *recorder) known(a AppAccount) bool {
	old, ok := r.before[a.RemoteID]
	return ok && old.Verdict == VerdictMatched && old.PersonID != nil && a.PersonID != nil &&
		*old.PersonID == *a.PersonID && old.Status != AccountDeleted
}

func (r *recorder) keyOf(entitlementID int64) string {
	for k, id := range r.entitlements {
		if id == entitlementID {
			return k
		}
	}
	return fmt.Sprintf("entitlement %d", entitlementID)
}

func (r *recorder) drifted(person int64, fc FieldChange) {
	r.drift[person] = append(r.drift[person], fc)
}

// recordDrift writes one EventOutsideChange per person whose known
// account changed outside Roster, on their history: the planner then
// proposes putting it back as the rules say ("changed outside Roster").
func (r *recorder) recordDrift() error {
	if len(r.drift) == 0 {
		return nil
	}
	events := make([]PersonEvent, 0, len(r.drift))
	for person, diff := range r.drift {
		slices.SortFunc(diff, func(a, b FieldChange) int { return cmp.Compare(a.Field, b.Field) })
		events = append(events, PersonEvent{PersonID: person, Kind: EventOutsideChange, Diff: diff, CreatedAt: r.now})
		r.out.Drifted = append(r.out.Drifted, person)
	}
	slices.Sort(r.out.Drifted)
	slices.SortFunc(events, func(a, b PersonEvent) int { return cmp.Compare(a.PersonID, b.PersonID) })
	return translate(r.tx.db.WithContext(r.ctx).CreateInBatches(events, 200).Error)
}

func (r *recorder) setAccount(id int64, fields map[string]any) error {
	fields["updated_at"] = r.now
	return translate(r.tx.db.WithContext(r.ctx).Model(&Account{}).Where("id = ?", id).Updates(fields).Error)
}

// AppAccountsFilter selects an app's accounts for its Accounts tab.
type AppAccountsFilter struct {
	Verdict string // "" for all
	Limit   int    // 0: 200
	Offset  int
}

// AppAccountCounts counts an app's accounts by verdict, leaving out those
// gone from the app.
type AppAccountCounts struct {
	Matched, Ambiguous, NotInHR, Gone int
	Service                           int // not in HR, marked as service accounts
}

// AppAccounts lists an app's accounts as last seen, ambiguous and not in
// HR first (they need an admin), then by remote id.
func (s *Store) AppAccounts(ctx context.Context, appID int64, f AppAccountsFilter) ([]AppAccount, error) {
	if f.Limit <= 0 {
		f.Limit = 200
	}
	q := s.db.WithContext(ctx).Where("app_id = ?", appID)
	if f.Verdict != "" {
		q = q.Where("verdict = ? AND status <> ?", f.Verdict, AccountDeleted)
	}
	var out []AppAccount
	err := q.Order("CASE verdict WHEN 'ambiguous' THEN 0 WHEN 'not_in_hr' THEN 1 ELSE 2 END, remote_id").
		Limit(f.Limit).Offset(f.Offset).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: accounts of app %d: %w", appID, translate(err))
	}
	return out, nil
}

// CountAppAccounts counts an app's accounts by verdict.
func (s *Store) CountAppAccounts(ctx context.Context, appID int64) (AppAccountCounts, error) {
	var rows []struct {
		Verdict  string
		Status   string
		Decision string
		N        int
	}
	err := s.db.WithContext(ctx).Model(&AppAccount{}).Select("verdict, status, decision, COUNT(*) AS n").
		Where("app_id = ?", appID).Group("verdict, status, decision").Scan(&rows).Error
	if err != nil {
		return AppAccountCounts{}, fmt.Errorf("store: count accounts of app %d: %w", appID, translate(err))
	}
	var c AppAccountCounts
	for _, r := range rows {
		switch {
		case r.Status == AccountDeleted:
			c.Gone += r.N
		case r.Verdict == VerdictMatched:
			c.Matched += r.N
		case r.Verdict == VerdictAmbiguous:
			c.Ambiguous += r.N
		case r.Decision == DecisionService:
			c.Service += r.N
		default:
			c.NotInHR += r.N
		}
	}
	return c, nil
}

// AppAccountIDs returns the remote ids of an app's accounts still in it.
func (s *Store) AppAccountIDs(ctx context.Context, appID int64) ([]string, error) {
	var out []string
	err := s.db.WithContext(ctx).Model(&AppAccount{}).Where("app_id = ? AND status <> ?", appID, AccountDeleted).Pluck("remote_id", &out).Error
	if err != nil {
		return nil, fmt.Errorf("store: account ids of app %d: %w", appID, translate(err))
	}
	return out, nil
}

// AppAccountsOf returns the app accounts linked to a person.
func (s *Store) AppAccountsOf(ctx context.Context, personID int64) ([]AppAccount, error) {
	var out []AppAccount
	if err := s.db.WithContext(ctx).Where("person_id = ?", personID).Order("app_id, remote_id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: app accounts of person %d: %w", personID, translate(err))
	}
	return out, nil
}

// MatchFields is what matching reads of one person.
type MatchFields struct {
	ID             int64
	WorkEmail      string
	PersonalEmail  string
	Phone          string
	Country        string
	EmployeeNumber string `gorm:"column:external_id"`
	Status         PersonStatus
}

// PeopleToMatch returns every person's match fields, in id order, read in
// batches.
func (s *Store) PeopleToMatch(ctx context.Context, each func([]MatchFields) error) error {
	var last int64
	for {
		var batch []MatchFields
		err := s.db.WithContext(ctx).Table("people").Select("id, work_email, personal_email, phone, country, external_id, status").
			Where("id > ?", last).Order("id").Limit(5000).Scan(&batch).Error
		if err != nil {
			return fmt.Errorf("store: people to match: %w", translate(err))
		}
		if len(batch) == 0 {
			return nil
		}
		if err := each(batch); err != nil {
			return err
		}
		last = batch[len(batch)-1].ID
	}
}

// AccountUpload is an app's accounts file waiting for an admin to apply
// or discard its preview.
type AccountUpload struct {
	ID         int64
	AppID      int64
	FileName   string
	Rows       int
	UploadedBy string
	CreatedAt  time.Time
}

// TableName implements gorm's Tabler.
func (AccountUpload) TableName() string { return "account_uploads" }

type accountUploadRecord struct {
	UploadID int64
	Position int
	Record   string
}

func (accountUploadRecord) TableName() string { return "account_upload_records" }

// CreateAccountUpload stores an uploaded accounts file's records (JSON,
// in file order) for its preview, replacing the app's previous upload.
func (s *Store) CreateAccountUpload(ctx context.Context, actor Actor, appID int64, fileName string, records []string) (*AccountUpload, error) {
	up := &AccountUpload{AppID: appID, FileName: fileName, Rows: len(records), UploadedBy: actor.Email, CreatedAt: time.Now().UTC()}
	err := s.WithTx(ctx, func(tx *Store) error {
		db := tx.db.WithContext(ctx)
		if err := db.Where("app_id = ?", appID).Delete(&AccountUpload{}).Error; err != nil {
			return translate(err)
		}
		if err := db.Create(up).Error; err != nil {
			return translate(err)
		}
		rows := make([]accountUploadRecord, len(records))
		for i, r := range records {
			rows[i] = accountUploadRecord{UploadID: up.ID, Position: i, Record: r}
		}
		if len(rows) == 0 {
			return nil
		}
		return translate(db.CreateInBatches(rows, 500).Error)
	})
	if err != nil {
		return nil, fmt.Errorf("store: upload accounts of app %d: %w", appID, err)
	}
	return up, nil
}

// AccountUploadByID returns an app's upload waiting for its preview.
func (s *Store) AccountUploadByID(ctx context.Context, appID, id int64) (*AccountUpload, error) {
	var up AccountUpload
	if err := s.db.WithContext(ctx).Where("app_id = ?", appID).First(&up, id).Error; err != nil {
		return nil, fmt.Errorf("store: accounts upload %d: %w", id, translate(err))
	}
	return &up, nil
}

// AccountUploadRecords hands an upload's records to each in file order,
// read in batches.
func (s *Store) AccountUploadRecords(ctx context.Context, id int64, each func(record string) error) error {
	last := -1
	for {
		var batch []accountUploadRecord
		err := s.db.WithContext(ctx).Where("upload_id = ? AND position > ?", id, last).Order("position").Limit(5000).Find(&batch).Error
		if err != nil {
			return fmt.Errorf("store: records of accounts upload %d: %w", id, translate(err))
		}
		if len(batch) == 0 {
			return nil
		}
		for _, r := range batch {
			if err := each(r.Record); err != nil {
				return err
			}
		}
		last = batch[len(batch)-1].Position
	}
}

// DeleteAccountUpload drops an upload, applied or discarded.
func (s *Store) DeleteAccountUpload(ctx context.Context, id int64) error {
	if err := s.db.WithContext(ctx).Delete(&AccountUpload{}, id).Error; err != nil {
		return fmt.Errorf("store: delete accounts upload %d: %w", id, translate(err))
	}
	return nil
}

// LinkAppAccount links one of an app's accounts to a person by hand (an
// ambiguous account resolved, or one not in HR; a matched account is
// refused with ErrConflict): it is matched to them
// from now on, over what matching says, and their account in the app is
// what it reported (its entitlements the app's, as at a first sight).
// A person who has another account of the app matched already is
// refused with ErrConflict. It returns the people to plan again.
func (s *Store) LinkAppAccount(ctx context.Context, actor Actor, appID, accountID, personID int64, now time.Time) ([]int64, error) {
	now = now.UTC()
	var changed []int64
	err := s.WithTx(ctx, func(tx *Store) error {
		a, app, err := tx.appAccountForDecision(ctx, appID, accountID)
		if err != nil {
			return err
		}
		if a.Verdict == VerdictMatched {
			return fmt.Errorf("%w: the account is matched already", ErrConflict)
		}
		p, err := tx.PersonByID(ctx, personID)
		if err != nil {
			return err
		}
		var other int64
		if err := tx.db.WithContext(ctx).Model(&AppAccount{}).Where("app_id = ? AND person_id = ? AND verdict = ? AND id <> ? AND status <> ?",
			appID, personID, VerdictMatched, accountID, AccountDeleted).Count(&other).Error; err != nil {
			return translate(err)
		}
		if other > 0 {
			return fmt.Errorf("%w: %s already has an account in %s matched to them", ErrConflict, p.DisplayName(), app.Name)
		}
		before := *a
		a.Verdict, a.PersonID, a.MatchedBy, a.Candidates, a.Reason = VerdictMatched, &p.ID, MatchedByAdmin, []int64{}, ""
		a.Decision, a.DecidedBy, a.DecidedAt, a.UpdatedAt = DecisionLinked, actor.Email, &now, now
		if err := tx.db.WithContext(ctx).Model(&AppAccount{}).Where("id = ?", a.ID).Updates(map[string]any{
			"verdict": a.Verdict, "person_id": p.ID, "matched_by": a.MatchedBy, "candidates": "[]", "reason": "",
			"decision": a.Decision, "decided_by": a.DecidedBy, "decided_at": now, "updated_at": now}).Error; err != nil {
			return translate(err)
		}
		r := &recorder{tx: tx, ctx: ctx, app: app, now: now, out: &Reconciliation{}, changed: map[int64]bool{}, drift: map[int64][]FieldChange{}}
		if err := r.load(); err != nil {
			return err
		}
		r.before[a.RemoteID] = before // as it was: this is a first sight of the link
		if err := r.link([]AppAccount{*a}); err != nil {
			return err
		}
		for id := range r.changed {
			changed = append(changed, id)
		}
		slices.Sort(changed)
		return tx.Audit(ctx, actor, AuditEntry{Action: ActionAppAccountLinked, SubjectType: "app", SubjectID: app.ID, SubjectLabel: app.Name,
			Before: map[string]any{"account": a.RemoteID, "verdict": before.Verdict},
			After:  map[string]any{"account": a.RemoteID, "person_id": p.ID, "person": p.DisplayName()}})
	})
	if err != nil {
		return nil, fmt.Errorf("store: link account %d of app %d: %w", accountID, appID, err)
	}
	return changed, nil
}

// MarkServiceAccount marks an account not in HR as a service account
// (kept, ignored, audited), or with service false takes the mark off.
func (s *Store) MarkServiceAccount(ctx context.Context, actor Actor, appID, accountID int64, service bool, now time.Time) error {
	now = now.UTC()
	return s.WithTx(ctx, func(tx *Store) error {
		a, app, err := tx.appAccountForDecision(ctx, appID, accountID)
		if err != nil {
			return err
		}
		if a.Verdict != VerdictNotInHR {
			return fmt.Errorf("%w: only an account not in HR can be a service account", ErrConflict)
		}
		fields := map[string]any{"decision": "", "decided_by": actor.Email, "decided_at": now, "updated_at": now}
		if service {
			fields["decision"] = DecisionService
		}
		if err := tx.db.WithContext(ctx).Model(&AppAccount{}).Where("id = ?", a.ID).Updates(fields).Error; err != nil {
			return translate(err)
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: ActionAppAccountService, SubjectType: "app", SubjectID: app.ID, SubjectLabel: app.Name,
			Before: map[string]any{"account": a.RemoteID, "service": a.Decision == DecisionService},
			After:  map[string]any{"account": a.RemoteID, "service": service}})
	})
}

// appAccountForDecision reads one of an app's accounts still in it, with
// its app.
func (s *Store) appAccountForDecision(ctx context.Context, appID, accountID int64) (*AppAccount, *App, error) {
	app, err := s.AppByID(ctx, appID)
	if err != nil {
		return nil, nil, err
	}
	var a AppAccount
	err = s.db.WithContext(ctx).Where("id = ? AND app_id = ? AND status <> ?", accountID, appID, AccountDeleted).First(&a).Error
	if err != nil {
		return nil, nil, fmt.Errorf("account %d: %w", accountID, translate(err))
	}
	return &a, app, nil
}

// PersonByKey finds the one person with this work email (any case) or
// employee id, for an admin linking an account by hand.
func (s *Store) PersonByKey(ctx context.Context, key string) (*Person, error) {
	var found []Person
	err := s.db.WithContext(ctx).Where("lower(work_email) = lower(?) OR external_id = ?", key, key).Order("id").Limit(2).Find(&found).Error
	if err != nil {
		return nil, fmt.Errorf("store: person %q: %w", key, translate(err))
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("store: person %q: %w", key, ErrNotFound)
	}
	return &found[0], nil
}
