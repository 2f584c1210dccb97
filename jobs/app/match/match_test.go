package match

import (
	"slices"
	"testing"
)

var people = []Person{
	{ID: 1, WorkEmail: "Ada.Lovelace@Example.com", PersonalEmail: "ada@mail.test", Phone: "+442079460001", Country: "GB", EmployeeNumber: "E0001"},
	{ID: 2, WorkEmail: "grace@example.com", Phone: "(212) 555-0102", Country: "US", EmployeeNumber: "e0002"},
	{ID: 3, WorkEmail: "kenji@example.com", Phone: "03-1234-0003", Country: "JP", EmployeeNumber: "E0003"},
	// 4 and 5 share the office line; 5's personal address is 3's work one.
	{ID: 4, WorkEmail: "hedy@example.com", Phone: "+49 30 9018 0000", Country: "DE"},
	{ID: 5, WorkEmail: "emmy@example.com", PersonalEmail: "kenji@example.com", Phone: "+4930 90180000", Country: "DE"},
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts       Options
		account    Account
		verdict    Verdict
		person     int64
		by         Key
		candidates []int64
	}{
		{name: "work email, case and spaces aside", account: Account{Email: "  ADA.lovelace@example.COM "}, verdict: Matched, person: 1, by: WorkEmail},
		{name: "personal email", account: Account{Email: "ada@mail.test"}, verdict: Matched, person: 1, by: PersonalEmail},
		{name: "UK phone written nationally, read in the app's region", opts: Options{Region: "GB"},
			account: Account{Phone: "020 7946 0001"}, verdict: Matched, person: 1, by: Phone},
		{name: "US phone with its country code", account: Account{Phone: "+1 212-555-0102"}, verdict: Matched, person: 2, by: Phone},
		{name: "Japanese phone", account: Account{Phone: "+81 3 1234 0003"}, verdict: Matched, person: 3, by: Phone},
		{name: "a national number with no region is not read", account: Account{Phone: "212 555 0102"}, verdict: NotInHR},
		{name: "employee number, case aside", account: Account{EmployeeNumber: " e0001"}, verdict: Matched, person: 1, by: EmployeeNumber},
		{name: "nothing known", account: Account{Email: "nobody@example.com", Phone: "+1 415 555 0000", EmployeeNumber: "X9"}, verdict: NotInHR},
		{name: "not an address", account: Account{Email: "example.com"}, verdict: NotInHR},
		{name: "plus addressing off by default", account: Account{Email: "grace+github@example.com"}, verdict: NotInHR},
		{name: "plus addressing on", opts: Options{PlusAddressing: true},
			account: Account{Email: "grace+github@example.com"}, verdict: Matched, person: 2, by: WorkEmail},
		{name: "keys agree", account: Account{Email: "grace@example.com", Phone: "+12125550102", EmployeeNumber: "E0002"},
			verdict: Matched, person: 2, by: WorkEmail},
		{name: "email and phone name different people", account: Account{Email: "grace@example.com", Phone: "+81312340003"},
			verdict: Ambiguous, candidates: []int64{2, 3}},
		{name: "one address is one person's work email and another's personal one", account: Account{Email: "kenji@example.com"},
			verdict: Ambiguous, candidates: []int64{3, 5}},
		{name: "a shared line alone fits two people", account: Account{Phone: "+493090180000"},
			verdict: Ambiguous, candidates: []int64{4, 5}},
		{name: "a shared line that includes the person named by email", account: Account{Email: "hedy@example.com", Phone: "+493090180000"},
			verdict: Matched, person: 4, by: WorkEmail},
		{name: "the admin's order: employee number first", opts: Options{Order: []Key{EmployeeNumber, WorkEmail}},
			account: Account{Email: "grace@example.com", EmployeeNumber: "E0002"}, verdict: Matched, person: 2, by: EmployeeNumber},
		{name: "a key left out of the order is not used", opts: Options{Order: []Key{WorkEmail}},
			account: Account{EmployeeNumber: "E0001", Phone: "+442079460001"}, verdict: NotInHR},
		{name: "a conflicting key left out does not count", opts: Options{Order: []Key{WorkEmail}},
			account: Account{Email: "grace@example.com", Phone: "+81312340003"}, verdict: Matched, person: 2, by: WorkEmail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.account.ID = "acct"
			got := NewIndex(people, tc.opts).Match(tc.account)
			if got.Verdict != tc.verdict || got.PersonID != tc.person || got.By != tc.by || !slices.Equal(got.Candidates, tc.candidates) {
				t.Fatalf("Match = %+v; want %s person %d by %q candidates %v", got, tc.verdict, tc.person, tc.by, tc.candidates)
			}
			if got.AccountID != "acct" {
				t.Errorf("AccountID = %q", got.AccountID)
			}
			if (got.Verdict == Ambiguous) != (got.Reason != "") {
				t.Errorf("reason %q for a %s account", got.Reason, got.Verdict)
			}
		})
	}
}

// A person two accounts match is nobody's automatically: both accounts
// are for an admin, and the others are untouched.
func TestReconcileFlagsAPersonWithTwoAccounts(t *testing.T) {
	ix := NewIndex(people, Options{})
	got := ix.Reconcile([]Account{
		{ID: "a", Email: "ada.lovelace@example.com"},
		{ID: "b", Email: "grace@example.com"},
		{ID: "c", EmployeeNumber: "E0001"},
		{ID: "d", Email: "stranger@example.com"},
	})
	want := []struct {
		id      string
		verdict Verdict
		person  int64
	}{{"a", Ambiguous, 0}, {"b", Matched, 2}, {"c", Ambiguous, 0}, {"d", NotInHR, 0}}
	for i, w := range want {
		if got[i].AccountID != w.id || got[i].Verdict != w.verdict || got[i].PersonID != w.person {
			t.Errorf("result %d = %+v; want %s %s person %d", i, got[i], w.id, w.verdict, w.person)
		}
	}
	for _, i := range []int{0, 2} {
		if !slices.Equal(got[i].Candidates, []int64{1}) || got[i].Reason == "" {
			t.Errorf("result %d = %+v; want candidate 1 with a reason", i, got[i])
		}
	}
}

// People added one at a time are indexed as NewIndex indexes them, and a
// person added twice is one candidate, not two.
func TestAddIsNewIndex(t *testing.T) {
	ix := NewIndex(nil, Options{})
	for _, p := range people {
		ix.Add(p)
	}
	ix.Add(people[1])
	if got := ix.Match(Account{Email: "grace@example.com"}); got.Verdict != Matched || got.PersonID != 2 {
		t.Errorf("after Add: %+v", got)
	}
}
