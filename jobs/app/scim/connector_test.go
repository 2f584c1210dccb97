package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/jobs/app/connector"
	"github.com/rosterhq/roster/jobs/app/outbound"
	"github.com/rosterhq/roster/jobs/app/scim"
	"github.com/rosterhq/roster/jobs/app/scim/scimtest"
	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/rules"
)

var adaPerson = &models.Person{ID: 1, PersonFields: models.PersonFields{ExternalID: "E1", FirstName: "Ada", LastName: "Lovelace",
	WorkEmail: "ada@example.com", Title: "Engineer"}}

// openConnector opens the SCIM kind's connector for an app whose sealed
// settings point at srv, as models.Store.SetSCIMSettings stores them.
func openConnector(t *testing.T, srv *scimtest.Server, onNotFound string) connector.Connector {
	t.Helper()
	sealer, err := models.NewSealer(bytes.Repeat([]byte{3}, models.SecretKeySize))
	require.NoError(t, err)
	plain, err := json.Marshal(map[string]any{"base_url": srv.URL(), "token": testToken, "on_not_found": onNotFound})
	require.NoError(t, err)
	sealed, err := sealer.Seal(string(plain))
	require.NoError(t, err)
	app := &models.App{ID: 1, Kind: models.AppSCIM, Name: "Slack", Config: sealed, DeprovisionMode: models.DeprovisionDisable}
	conn, err := scim.Kind().Open(connector.Env{Outbound: outbound.Loopback(), Sealer: sealer}, app)
	require.NoError(t, err)
	return conn
}

func groupRequest(op rules.Op, key string) connector.Request {
	return connector.Request{Op: op, Person: adaPerson, Entitlement: &models.Entitlement{Kind: models.EntitlementGroup, Key: key, Name: key}}
}

func TestSCIMConnectorOpen(t *testing.T) {
	t.Parallel()
	app := &models.App{ID: 1, Kind: models.AppSCIM, Name: "Slack"}
	sealer, err := models.NewSealer(make([]byte, models.SecretKeySize))
	require.NoError(t, err)
	_, err = scim.Kind().Open(connector.Env{Sealer: sealer}, app)
	require.ErrorContains(t, err, "Slack has no SCIM connection yet")

	other, err := models.NewSealer(bytes.Repeat([]byte{9}, models.SecretKeySize))
	require.NoError(t, err)
	app.Config, err = other.Seal(`{"base_url":"https://example.com/scim","token":"t"}`)
	require.NoError(t, err)
	_, err = scim.Kind().Open(connector.Env{Sealer: sealer}, app)
	require.ErrorContains(t, err, "cannot be decrypted with this ROSTER_SECRET_KEY")
}

func TestSCIMConnectorCreateLinksAnExistingUser(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	id := srv.AddUser(scimtest.User{UserName: "ada@example.com", Email: "ada@example.com"})
	conn := openConnector(t, srv, "")

	out := conn.Do(context.Background(), connector.Request{Op: rules.OpCreateAccount, Person: adaPerson})
	require.True(t, out.Done(), "%v", out.Err)
	require.Equal(t, id, out.RemoteID)
	require.Contains(t, out.Excerpt, "found by userName")
	require.Equal(t, 1, srv.UserCount(), "no second account")
	require.Zero(t, srv.Count(http.MethodPost, "/Users"))

	grace := &models.Person{PersonFields: models.PersonFields{ExternalID: "E2", FirstName: "Grace", LastName: "Hopper", WorkEmail: "grace@example.com"}}
	out = conn.Do(context.Background(), connector.Request{Op: rules.OpCreateAccount, Person: grace})
	require.True(t, out.Done(), "%v", out.Err)
	u, ok := srv.User(out.RemoteID)
	require.True(t, ok)
	require.Equal(t, "grace@example.com", u["userName"])
	require.Equal(t, "E2", u["externalId"])
}

func TestSCIMConnectorGroupGrantAndRevoke(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	id := srv.AddUser(scimtest.User{UserName: "ada@example.com"})
	eng := srv.AddGroup("Engineering")
	conn := openConnector(t, srv, "")
	ctx := context.Background()

	out := conn.Do(ctx, groupRequest(rules.OpGrant, "Engineering"))
	require.True(t, out.Done(), "%v", out.Err)
	require.Equal(t, []string{id}, srv.Members(eng))

	out = conn.Do(ctx, groupRequest(rules.OpRevoke, "Engineering"))
	require.True(t, out.Done(), "%v", out.Err)
	require.Empty(t, srv.Members(eng))
	out = conn.Do(ctx, groupRequest(rules.OpRevoke, "Engineering"))
	require.True(t, out.Done(), "a revoke again has the effect of one: %v", out.Err)

	out = conn.Do(ctx, groupRequest(rules.OpGrant, "Finance"))
	require.ErrorContains(t, out.Err, `no group is named "Finance"`)
	require.False(t, out.Retry, "a group to make first: an admin acts")

	role := connector.Request{Op: rules.OpGrant, Person: adaPerson, Entitlement: &models.Entitlement{Kind: models.EntitlementRole, Key: "admin"}}
	out = conn.Do(ctx, role)
	require.ErrorIs(t, out.Err, connector.ErrUnsupported)
}

func TestSCIMConnectorDisableUpdateDelete(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	id := srv.AddUser(scimtest.User{UserName: "ada@example.com", ExternalID: "E1"})
	conn := openConnector(t, srv, "")
	ctx := context.Background()

	out := conn.Do(ctx, connector.Request{Op: rules.OpDisable, Person: adaPerson})
	require.True(t, out.Done(), "%v", out.Err)
	u, _ := srv.User(id)
	require.Equal(t, false, u["active"])

	out = conn.Do(ctx, connector.Request{Op: rules.OpUpdate, Person: adaPerson})
	require.True(t, out.Done(), "%v", out.Err)
	u, _ = srv.User(id)
	require.Equal(t, "Engineer", u["title"])
	require.Equal(t, false, u["active"], "an update does not enable a disabled account")

	out = conn.Do(ctx, connector.Request{Op: rules.OpDelete, Person: adaPerson})
	require.True(t, out.Done(), "%v", out.Err)
	require.Zero(t, srv.UserCount())
	out = conn.Do(ctx, connector.Request{Op: rules.OpDisable, Person: adaPerson})
	require.True(t, out.Done(), "an account already gone has nothing to disable: %v", out.Err)

	// An update of an account gone from the app fails, or re-creates it.
	out = conn.Do(ctx, connector.Request{Op: rules.OpUpdate, Person: adaPerson})
	require.ErrorIs(t, out.Err, scim.ErrNotFound)
	require.ErrorContains(t, out.Err, "Ada Lovelace has no account in the app any more")
	require.False(t, out.Retry)
	out = openConnector(t, srv, models.SCIMOnNotFoundRecreate).Do(ctx, connector.Request{Op: rules.OpUpdate, Person: adaPerson})
	require.True(t, out.Done(), "%v", out.Err)
	require.Equal(t, 1, srv.UserCount())
}

func TestSCIMConnectorFailures(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	conn := openConnector(t, srv, "")
	ctx := context.Background()

	srv.Queue(http.MethodPost, "/Users", scimtest.Reply{Status: 429, Header: map[string]string{"Retry-After": "120"}})
	out := conn.Do(ctx, connector.Request{Op: rules.OpCreateAccount, Person: adaPerson})
	require.Error(t, out.Err)
	require.Equal(t, 429, out.Status)
	require.True(t, out.Retry)
	require.Equal(t, 2*time.Minute, out.RetryAfter)

	srv.Queue(http.MethodPost, "/Users", scimtest.Reply{Status: 400, SCIMType: "invalidValue", Detail: "title is too long"})
	out = conn.Do(ctx, connector.Request{Op: rules.OpCreateAccount, Person: adaPerson})
	require.Error(t, out.Err)
	require.Equal(t, 400, out.Status)
	require.False(t, out.Retry)
	require.Equal(t, "title is too long", out.Excerpt)
	require.Zero(t, srv.UserCount())
}

func TestSCIMConnectorListAccountsAndTest(t *testing.T) {
	t.Parallel()
	srv := newServer(t, scimtest.Options{})
	adaID := srv.AddUser(scimtest.User{UserName: "ada", GivenName: "Ada", FamilyName: "Lovelace", Email: "ada@example.com"})
	bot := srv.AddUser(scimtest.User{UserName: "bot@example.com", Inactive: true})
	srv.AddGroup("Engineering", adaID)
	srv.AddGroup("Admins", adaID, bot)
	conn := openConnector(t, srv, "")
	ctx := context.Background()

	var got []connector.RemoteAccount
	require.NoError(t, conn.ListAccounts(ctx, func(page []connector.RemoteAccount) error {
		got = append(got, page...)
		return nil
	}))
	require.Equal(t, []connector.RemoteAccount{
		{ID: adaID, Email: "ada@example.com", Name: "Ada Lovelace", Status: models.AccountActive, Entitlements: []string{"Engineering", "Admins"}},
		{ID: bot, Email: "bot@example.com", Status: models.AccountDisabled, Entitlements: []string{"Admins"}},
	}, got)

	out := conn.Test(ctx)
	require.True(t, out.Done(), "%v", out.Err)
	require.Contains(t, out.Excerpt, "Connected: the app has 2 users")
}
