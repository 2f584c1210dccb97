package models

import (
	"context"
	"fmt"
	"time"
)

// Account statuses.
const (
	AccountActive   = "active"
	AccountDisabled = "disabled"
	AccountDeleted  = "deleted"
)

// Account is a person's account in an app: the actual state, as Roster
// last made or saw it.
type Account struct {
	ID        int64
	PersonID  int64
	AppID     int64
	RemoteID  string
	Status    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TableName implements gorm's Tabler.
func (Account) TableName() string { return "accounts" }

// Grant is an entitlement an account holds.
type Grant struct {
	ID            int64
	AccountID     int64
	EntitlementID int64
	Params        map[string]string `gorm:"serializer:json"`
	RuleID        *int64
	// Origin is GrantByRoster when an action of Roster's made it, or
	// GrantByApp when the app reported it (RecordAccounts). Planning
	// revokes what the app reported only from a leaver.
	Origin    string `gorm:"default:roster"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TableName implements gorm's Tabler.
func (Grant) TableName() string { return "grants" }

// Access is what one person actually has.
type Access struct {
	Accounts []Account
	Grants   []AccessGrant
}

// AccessGrant is a grant with the app it belongs to.
type AccessGrant struct {
	Grant
	AppID int64
}

// AccessOf returns the actual accounts and grants of the given people.
func (s *Store) AccessOf(ctx context.Context, personIDs []int64) (map[int64]*Access, error) {
	out := make(map[int64]*Access, len(personIDs))
	for _, id := range personIDs {
		out[id] = &Access{}
	}
	for _, chunk := range chunks(personIDs, 1000) {
		var accounts []Account
		if err := s.db.WithContext(ctx).Where("person_id IN ?", chunk).Find(&accounts).Error; err != nil {
			return nil, fmt.Errorf("store: accounts: %w", translate(err))
		}
		byAccount := map[int64]Account{}
		var accountIDs []int64
		for _, a := range accounts {
			out[a.PersonID].Accounts = append(out[a.PersonID].Accounts, a)
			byAccount[a.ID] = a
			accountIDs = append(accountIDs, a.ID)
		}
		if len(accountIDs) == 0 {
			continue
		}
		var grants []Grant
		if err := s.db.WithContext(ctx).Where("account_id IN ?", accountIDs).Find(&grants).Error; err != nil {
			return nil, fmt.Errorf("store: grants: %w", translate(err))
		}
		for _, g := range grants {
			a := byAccount[g.AccountID]
			out[a.PersonID].Grants = append(out[a.PersonID].Grants, AccessGrant{Grant: g, AppID: a.AppID})
		}
	}
	return out, nil
}

// chunks splits ids so that IN lists stay within both databases' limits.
func chunks(ids []int64, size int) [][]int64 {
	var out [][]int64
	for len(ids) > size {
		out = append(out, ids[:size])
		ids = ids[size:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}
