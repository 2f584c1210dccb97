// Package match links an app's accounts to the people HR knows (issue 11):
// by work email, personal email, phone (E.164) or employee number, tried
// in an order the admin sets, each value normalised first.
//
// Matching never guesses. An account is linked to a person only when
// every key it carries that finds anyone finds that same one person; an
// account one key ties to two people, or two keys tie to different
// people, is ambiguous, and so is every account of a person that two
// accounts are linked to. Ambiguous accounts are for an admin to resolve:
// nothing is granted or revoked on a guess. An account no key finds is
// not in HR.
//
// The package is pure: it holds no database and calls no app, so that
// reconciliation (which reads accounts in pages and people in batches)
// and tests use the same rules.
package match

import (
	"slices"
	"strings"

	"github.com/rosterhq/roster/jobs/phone"
)

// Key is a way to recognise a person in an app's account.
type Key string

// The keys, in the order DefaultOrder tries them.
const (
	WorkEmail      Key = "work_email"
	PersonalEmail  Key = "personal_email"
	Phone          Key = "phone"
	EmployeeNumber Key = "employee_number"
)

// DefaultOrder is the order keys are tried in unless an app sets its own.
var DefaultOrder = []Key{WorkEmail, PersonalEmail, Phone, EmployeeNumber}

// Options are an app's matching settings.
type Options struct {
	// Order is the keys tried, first first; nil means DefaultOrder. A key
	// left out is not used.
	Order []Key
	// PlusAddressing treats "ada+github@example.com" as
	// "ada@example.com". Off by default: on a domain that does not
	// deliver plus addresses they are different mailboxes.
	PlusAddressing bool
	// Region is the country an account's phone number written without a
	// country code is read in ("" when unknown: such numbers match no one).
	Region string
}

func (o Options) order() []Key {
	if o.Order == nil {
		return DefaultOrder
	}
	return o.Order
}

// Person is what matching reads of a person. Phone is read in Country
// when it has no country code (stored numbers are E.164 already).
type Person struct {
	ID             int64
	WorkEmail      string
	PersonalEmail  string
	Phone          string
	Country        string
	EmployeeNumber string
}

// Account is what matching reads of an app's account: its one email is
// compared with both of a person's.
type Account struct {
	ID             string // the app's id for it
	Email          string
	Phone          string
	EmployeeNumber string
}

// Verdict is the outcome for one account.
type Verdict string

// The verdicts.
const (
	Matched   Verdict = "matched"
	Ambiguous Verdict = "ambiguous"
	NotInHR   Verdict = "not_in_hr"
)

// Result is how one account matched. PersonID and By are set when it
// matched; Candidates lists the people an ambiguous account fits (in the
// order found) and Reason says why in words for the admin.
type Result struct {
	AccountID  string
	Verdict    Verdict
	PersonID   int64
	By         Key
	Candidates []int64
	Reason     string
}

// Index finds people by normalised key values.
type Index struct {
	opts Options
	by   map[Key]map[string][]int64
}

// NewIndex indexes people under opts.
func NewIndex(people []Person, opts Options) *Index {
	ix := &Index{opts: opts, by: map[Key]map[string][]int64{}}
	for _, k := range opts.order() {
		ix.by[k] = map[string][]int64{}
	}
	for i := range people {
		ix.Add(people[i])
	}
	return ix
}

// Add indexes one more person.
func (ix *Index) Add(p Person) {
	values := map[Key]string{
		WorkEmail:      ix.emailKey(p.WorkEmail),
		PersonalEmail:  ix.emailKey(p.PersonalEmail),
		Phone:          ix.phoneKey(p.Phone, p.Country),
		EmployeeNumber: employeeNumber(p.EmployeeNumber),
	}
	for k, m := range ix.by {
		if v := values[k]; v != "" && !slices.Contains(m[v], p.ID) {
			m[v] = append(m[v], p.ID)
		}
	}
}

// Match finds the person an account belongs to. It judges the account
// alone; Reconcile also catches a person that two accounts claim.
//
// The first key (in the app's order) that finds exactly one person names
// them. Every other key the account carries must agree: a key that finds
// one other person, or several people not including them (a shared
// phone line that includes them is fine), makes the account ambiguous, as
// does a key that finds several people when no key finds one.
func (ix *Index) Match(a Account) Result {
	type found struct {
		key Key
		ids []int64
	}
	var all []found
	res := Result{AccountID: a.ID, Verdict: NotInHR}
	for _, k := range ix.opts.order() {
		if ids := ix.by[k][ix.accountValue(k, a)]; len(ids) > 0 {
			all = append(all, found{k, ids})
			if len(ids) == 1 && res.Verdict == NotInHR {
				res = Result{AccountID: a.ID, Verdict: Matched, PersonID: ids[0], By: k}
			}
		}
	}
	if len(all) == 0 {
		return res
	}
	if res.Verdict == NotInHR {
		return Result{AccountID: a.ID, Verdict: Ambiguous, Candidates: all[0].ids,
			Reason: "its " + words(all[0].key) + " belongs to more than one person"}
	}
	for _, f := range all {
		if slices.Contains(f.ids, res.PersonID) {
			continue
		}
		candidates := append([]int64{res.PersonID}, f.ids...)
		return Result{AccountID: a.ID, Verdict: Ambiguous, Candidates: candidates,
			Reason: "its " + words(res.By) + " and its " + words(f.key) + " belong to different people"}
	}
	return res
}

// accountValue is an account's value for key k, normalised ("" for
// none, which finds no one).
func (ix *Index) accountValue(k Key, a Account) string {
	switch k {
	case WorkEmail, PersonalEmail:
		return ix.emailKey(a.Email)
	case Phone:
		return ix.phoneKey(a.Phone, ix.opts.Region)
	case EmployeeNumber:
		return employeeNumber(a.EmployeeNumber)
	}
	return ""
}

// Reconcile matches every account of an app and then marks ambiguous
// the accounts of anyone two or more accounts matched: which of them is
// the person's is for an admin to say. Results are in the accounts'
// order.
func (ix *Index) Reconcile(accounts []Account) []Result {
	out := make([]Result, len(accounts))
	claims := map[int64][]int{}
	for i := range accounts {
		out[i] = ix.Match(accounts[i])
		if out[i].Verdict == Matched {
			claims[out[i].PersonID] = append(claims[out[i].PersonID], i)
		}
	}
	for id, idx := range claims {
		if len(idx) < 2 {
			continue
		}
		for _, i := range idx {
			out[i] = Result{AccountID: out[i].AccountID, Verdict: Ambiguous, Candidates: []int64{id},
				Reason: "the person it matches has another account in this app"}
		}
	}
	return out
}

// emailKey is an address in the form compared: trimmed, lower case, and
// with plus addressing folded when the app says so.
func (ix *Index) emailKey(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	at := strings.LastIndexByte(v, '@')
	if at <= 0 || at == len(v)-1 {
		return "" // not an address: matches no one
	}
	if ix.opts.PlusAddressing {
		if plus := strings.IndexByte(v[:at], '+'); plus > 0 {
			v = v[:plus] + v[at:]
		}
	}
	return v
}

// phoneKey is a number in E.164, or "" when it cannot be read.
func (ix *Index) phoneKey(v, region string) string {
	if strings.TrimSpace(v) == "" {
		return ""
	}
	e, err := phone.E164(v, region)
	if err != nil {
		return ""
	}
	return e
}

// employeeNumber is an employee number trimmed and in upper case: HR
// systems and apps disagree on "e0042" and "E0042", never on the digits.
func employeeNumber(v string) string { return strings.ToUpper(strings.TrimSpace(v)) }

func words(k Key) string {
	switch k {
	case WorkEmail:
		return "email (as a work email)"
	case PersonalEmail:
		return "email (as a personal email)"
	case Phone:
		return "phone number"
	case EmployeeNumber:
		return "employee number"
	}
	return string(k)
}
