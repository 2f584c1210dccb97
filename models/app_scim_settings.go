package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// ActionAppSCIMUpdated records a change to a SCIM app's connection. Its
// event holds the base URL, the OAuth client and token URL, and whether a
// secret was set, never a token or client secret.
const ActionAppSCIMUpdated = "app.scim_updated"

// What a SCIM app does when the account an update, disable or group
// change addresses is gone from the app (a 404).
const (
	SCIMOnNotFoundGone     = "gone"     // the action fails, saying the account is gone
	SCIMOnNotFoundRecreate = "recreate" // an update creates the account again
)

// SCIMInput is a SCIM app's connection: a base URL and either a bearer
// token or OAuth 2.0 client credentials.
type SCIMInput struct {
	BaseURL           string
	Token             string
	OAuthTokenURL     string
	OAuthClientID     string
	OAuthClientSecret string
	Scopes            []string
	// OnNotFound is SCIMOnNotFoundGone (the default) or
	// SCIMOnNotFoundRecreate.
	OnNotFound string
}

// scimSettings is SCIMInput as stored in apps.config, sealed: the JSON of
// the SCIM client's Config (jobs/app/scim) plus on_not_found, which the
// connector reads.
type scimSettings struct {
	BaseURL    string     `json:"base_url"`
	Token      string     `json:"token,omitempty"`
	OAuth      *scimOAuth `json:"oauth,omitempty"`
	OnNotFound string     `json:"on_not_found"`
}

type scimOAuth struct {
	TokenURL     string   `json:"token_url"`
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	Scopes       []string `json:"scopes,omitempty"`
}

// scimAudit is what the audit trail keeps of a SCIM connection.
type scimAudit struct {
	BaseURL       string   `json:"base_url"`
	Auth          string   `json:"auth"` // "bearer token" or "oauth"
	OAuthTokenURL string   `json:"oauth_token_url,omitempty"`
	OAuthClientID string   `json:"oauth_client_id,omitempty"`
	Scopes        []string `json:"scopes,omitempty"`
	OnNotFound    string   `json:"on_not_found"`
	Secret        string   `json:"secret,omitempty"` // set or unchanged
}

// usesOAuth says the input names OAuth client credentials.
func (in *SCIMInput) usesOAuth() bool {
	return in.OAuthTokenURL != "" || in.OAuthClientID != "" || in.OAuthClientSecret != ""
}

// Validate trims the fields and returns a message per invalid field
// (base_url, token, oauth_token_url, oauth_client_id,
// oauth_client_secret, scopes, on_not_found). Exactly one of a token and
// OAuth client credentials is required. Messages never repeat a URL or a
// secret. Whether the base URL may be reached (plain http://, private
// addresses) is the outbound policy's, checked when the app is called.
func (in *SCIMInput) Validate() map[string]string {
	errs := map[string]string{}
	in.BaseURL, in.OAuthTokenURL = strings.TrimSpace(in.BaseURL), strings.TrimSpace(in.OAuthTokenURL)
	in.OAuthClientID, in.OnNotFound = strings.TrimSpace(in.OAuthClientID), strings.TrimSpace(in.OnNotFound)
	if msg := scimURLProblem(in.BaseURL, "https://example.com/scim/v2"); msg != "" {
		errs["base_url"] = msg
	}
	switch {
	case in.Token != "" && in.usesOAuth():
		errs["token"] = "Use a bearer token or OAuth client credentials, not both."
	case in.Token != "":
		if strings.ContainsAny(in.Token, " \t\r\n") {
			errs["token"] = "The bearer token must not contain spaces or line breaks."
		}
	case in.usesOAuth():
		if msg := scimURLProblem(in.OAuthTokenURL, "https://example.com/oauth2/token"); msg != "" {
			errs["oauth_token_url"] = msg
		}
		if in.OAuthClientID == "" {
			errs["oauth_client_id"] = "Enter the OAuth client id."
		}
		if in.OAuthClientSecret == "" {
			errs["oauth_client_secret"] = "Enter the OAuth client secret."
		}
	default:
		errs["token"] = "Enter a bearer token, or OAuth client credentials."
	}
	for _, s := range in.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n") {
			errs["scopes"] = "Each OAuth scope is one word, without spaces."
		}
	}
	switch in.OnNotFound {
	case "":
		in.OnNotFound = SCIMOnNotFoundGone
	case SCIMOnNotFoundGone, SCIMOnNotFoundRecreate:
	default:
		errs["on_not_found"] = "Choose gone or recreate."
	}
	return errs
}

func scimURLProblem(raw, example string) string {
	if raw == "" {
		return "Enter the address, like " + example + "."
	}
	if len(raw) > MaxWebhookURLLength {
		return fmt.Sprintf("Keep the URL under %d characters.", MaxWebhookURLLength)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "This is not a valid URL. Enter one like " + example + "."
	case u.Scheme != "https" && u.Scheme != "http":
		return "The URL must start with https:// (or http:// to an allowed private address)."
	case u.Opaque != "" || u.Hostname() == "":
		return "The URL must name a host, like " + example + "."
	case u.User != nil:
		return "Leave the user name and password out of the URL: use the token fields."
	case u.RawQuery != "" || u.Fragment != "":
		return "Leave the query (?…) and fragment (#…) out of the URL."
	}
	return ""
}

func (in SCIMInput) stored() scimSettings {
	s := scimSettings{BaseURL: in.BaseURL, Token: in.Token, OnNotFound: in.OnNotFound}
	if in.usesOAuth() {
		s.OAuth = &scimOAuth{TokenURL: in.OAuthTokenURL, ClientID: in.OAuthClientID, ClientSecret: in.OAuthClientSecret, Scopes: in.Scopes}
	}
	return s
}

func (s scimSettings) input() SCIMInput {
	in := SCIMInput{BaseURL: s.BaseURL, Token: s.Token, OnNotFound: s.OnNotFound}
	if s.OAuth != nil {
		in.OAuthTokenURL, in.OAuthClientID, in.OAuthClientSecret, in.Scopes = s.OAuth.TokenURL, s.OAuth.ClientID, s.OAuth.ClientSecret, s.OAuth.Scopes
	}
	return in
}

func (in SCIMInput) audited(secret string) scimAudit {
	a := scimAudit{BaseURL: in.BaseURL, Auth: "bearer token", OnNotFound: in.OnNotFound, Secret: secret}
	if in.usesOAuth() {
		a.Auth, a.OAuthTokenURL, a.OAuthClientID, a.Scopes = "oauth", in.OAuthTokenURL, in.OAuthClientID, in.Scopes
	}
	return a
}

// openSCIMSettings decrypts a SCIM app's config; an empty config is no
// settings yet (the zero SCIMInput).
func openSCIMSettings(config string, sealer *Sealer) (SCIMInput, error) {
	if config == "" {
		return SCIMInput{}, nil
	}
	if sealer == nil {
		return SCIMInput{}, errors.New("store: scim settings: no sealer")
	}
	plain, err := sealer.Open(config)
	if err != nil {
		return SCIMInput{}, ErrWebhookUnreadable
	}
	var s scimSettings
	if err := json.Unmarshal([]byte(plain), &s); err != nil {
		return SCIMInput{}, ErrWebhookUnreadable
	}
	return s.input(), nil
}

// SCIMSettings returns a SCIM app's connection, secrets included; the
// zero SCIMInput while it is not connected, ErrWebhookUnreadable when the
// key cannot open it.
func (s *Store) SCIMSettings(ctx context.Context, appID int64, sealer *Sealer) (SCIMInput, error) {
	a, err := s.AppByID(ctx, appID)
	if err != nil {
		return SCIMInput{}, err
	}
	in, err := openSCIMSettings(a.Config, sealer)
	if err != nil {
		return SCIMInput{}, fmt.Errorf("store: scim settings of app %d: %w", appID, err)
	}
	return in, nil
}

// SetSCIMSettings stores a SCIM app's whole connection, sealed, replacing
// what was there (settings the key cannot decrypt included). Every save
// carries its secret. The audit event holds the non-secret fields and
// whether the secret changed, never a secret. Another kind of app is
// ErrNotFound.
func (s *Store) SetSCIMSettings(ctx context.Context, actor Actor, appID int64, in SCIMInput, sealer *Sealer) error {
	if sealer == nil {
		return fmt.Errorf("store: scim settings of app %d: no sealer", appID)
	}
	if errs := in.Validate(); len(errs) > 0 {
		return fmt.Errorf("store: scim settings of app %d: invalid %v", appID, fieldNames(errs))
	}
	return s.WithTx(ctx, func(tx *Store) error {
		a, err := tx.AppByID(ctx, appID)
		if err != nil {
			return err
		}
		if a.Kind != AppSCIM {
			return fmt.Errorf("store: app %d is a %s app, it has no SCIM connection: %w", appID, a.Kind, ErrNotFound)
		}
		before, err := openSCIMSettings(a.Config, sealer)
		if errors.Is(err, ErrWebhookUnreadable) {
			before = SCIMInput{} // unusable by the connector too: start over
		} else if err != nil {
			return err
		}
		plain, err := json.Marshal(in.stored())
		if err != nil {
			return fmt.Errorf("store: scim settings of app %d: %w", appID, err)
		}
		sealed, err := sealer.Seal(string(plain))
		if err != nil {
			return fmt.Errorf("store: seal scim settings of app %d: %w", appID, err)
		}
		err = tx.db.WithContext(ctx).Model(&App{}).Where("id = ?", appID).
			Updates(map[string]any{"config": sealed, "updated_at": time.Now().UTC()}).Error
		if err != nil {
			return fmt.Errorf("store: scim settings of app %d: %w", appID, translate(err))
		}
		secret := webhookSecretSet
		if in.Token == before.Token && in.OAuthClientSecret == before.OAuthClientSecret {
			secret = webhookSecretUnchanged
		}
		entry := AuditEntry{Action: ActionAppSCIMUpdated, SubjectType: "app", SubjectID: appID, SubjectLabel: a.Name,
			After: in.audited(secret)}
		if before.BaseURL != "" {
			entry.Before = before.audited("")
		}
		return tx.Audit(ctx, actor, entry)
	})
}
