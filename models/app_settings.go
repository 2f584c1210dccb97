package models

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// ActionAppWebhookUpdated records a change to a webhook app's connection.
// Its event holds the URL and what happened to the secret, never a secret.
const ActionAppWebhookUpdated = "app.webhook_updated"

// Limits of a webhook app's connection settings; the job runner applies
// the same rules (jobs/app/webhook.Config.Validate) before every call.
const (
	// MinWebhookSecretLength is the shortest signing secret, in bytes.
	MinWebhookSecretLength = 16
	// MaxWebhookURLLength keeps the URL readable in forms and logs.
	MaxWebhookURLLength = 2048
	// generatedSecretBytes is the randomness of a secret Roster makes.
	generatedSecretBytes = 32
)

// What SetWebhookSettings did to the signing secret, as audited.
const (
	webhookSecretSet       = "set"
	webhookSecretRotated   = "rotated"
	webhookSecretUnchanged = "unchanged"
)

// ErrWebhookUnreadable means an app's stored connection settings cannot be
// decrypted, most likely because ROSTER_SECRET_KEY changed. Saving a URL
// starts over with a new secret.
var ErrWebhookUnreadable = errors.New("the stored connection settings cannot be decrypted with this ROSTER_SECRET_KEY")

// webhookSettings is a webhook app's config, stored sealed in apps.config.
// The job runner reads the same JSON.
type webhookSettings struct {
	URL            string `json:"url"`
	Secret         string `json:"secret"`
	PreviousSecret string `json:"previous_secret,omitempty"`
}

// webhookAudit is what the audit trail keeps of a connection change.
type webhookAudit struct {
	URL    string `json:"url"`
	Secret string `json:"secret,omitempty"`
}

// WebhookInput is what an admin sets on a webhook app's connection.
type WebhookInput struct {
	URL string
	// Secret replaces the signing secret; "" keeps the current one (or
	// generates one when there is none).
	Secret string
}

// Validate trims the URL and returns a message per invalid field: the URL
// must be an absolute http(s) URL with a host and without a user name or
// password (requests are signed instead). Messages never repeat the URL or
// the secret.
func (in *WebhookInput) Validate() map[string]string {
	errs := map[string]string{}
	in.URL = strings.TrimSpace(in.URL)
	if msg := webhookURLProblem(in.URL); msg != "" {
		errs["url"] = msg
	}
	if in.Secret != "" && len(in.Secret) < MinWebhookSecretLength {
		errs["secret"] = fmt.Sprintf("The signing secret must be at least %d bytes.", MinWebhookSecretLength)
	}
	return errs
}

func webhookURLProblem(raw string) string {
	if raw == "" {
		return "Enter the address of your receiver, like https://example.com/hooks/roster."
	}
	if len(raw) > MaxWebhookURLLength {
		return fmt.Sprintf("Keep the URL under %d characters.", MaxWebhookURLLength)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "This is not a valid URL. Enter one like https://example.com/hooks/roster."
	case u.Scheme != "https" && u.Scheme != "http":
		return "The URL must start with https:// or http://."
	case u.Opaque != "" || u.Hostname() == "":
		return "The URL must name a host, like https://example.com/hooks/roster."
	case u.User != nil:
		return "Leave the user name and password out of the URL: Roster signs every request instead."
	}
	return ""
}

// newWebhookSecret returns 32 random bytes, base64url-encoded.
func newWebhookSecret() (string, error) {
	b := make([]byte, generatedSecretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("store: generate webhook secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// openWebhookSettings decrypts an app's config; an empty config is no
// settings yet.
func openWebhookSettings(config string, sealer *Sealer) (webhookSettings, error) {
	var w webhookSettings
	if config == "" {
		return w, nil
	}
	if sealer == nil {
		return w, errors.New("store: webhook settings: no sealer")
	}
	plain, err := sealer.Open(config)
	if err != nil {
		return w, ErrWebhookUnreadable
	}
	if err := json.Unmarshal([]byte(plain), &w); err != nil {
		return webhookSettings{}, ErrWebhookUnreadable
	}
	return w, nil
}

// WebhookURL is the URL a webhook app calls, "" while none is set.
func (a *App) WebhookURL(sealer *Sealer) (string, error) {
	w, err := openWebhookSettings(a.Config, sealer)
	return w.URL, err
}

// WebhookSettings returns a webhook app's URL, signing secret and the
// previous secret still accepted after a rotation; all "" while the app
// is not connected. ErrWebhookUnreadable when the key cannot open them.
func (s *Store) WebhookSettings(ctx context.Context, appID int64, sealer *Sealer) (webhookURL, secret, previousSecret string, err error) {
	a, err := s.AppByID(ctx, appID)
	if err != nil {
		return "", "", "", err
	}
	w, err := openWebhookSettings(a.Config, sealer)
	if err != nil {
		return "", "", "", fmt.Errorf("store: webhook settings of app %d: %w", appID, err)
	}
	return w.URL, w.Secret, w.PreviousSecret, nil
}

// SetWebhookSettings stores a webhook app's URL and signing secret,
// sealed. An empty secret keeps the current one, or generates one when
// there is none; a given secret replaces both the current and the previous
// one. rotate moves the current secret to previous_secret (Roster signs
// with both until the next rotation) and generates a new one. Settings the
// key cannot decrypt are replaced. The audit event holds the URL and
// whether the secret was set, rotated or unchanged, never a secret.
func (s *Store) SetWebhookSettings(ctx context.Context, actor Actor, appID int64, webhookURL, secret string, rotate bool, sealer *Sealer) error {
	if sealer == nil {
		return fmt.Errorf("store: webhook settings of app %d: no sealer", appID)
	}
	in := WebhookInput{URL: webhookURL, Secret: secret}
	if errs := in.Validate(); len(errs) > 0 {
		return fmt.Errorf("store: webhook settings of app %d: invalid %v", appID, fieldNames(errs))
	}
	return s.WithTx(ctx, func(tx *Store) error {
		a, err := tx.AppByID(ctx, appID)
		if err != nil {
			return err
		}
		if a.Kind != AppWebhook {
			return fmt.Errorf("store: app %d is a %s app, it has no webhook: %w", appID, a.Kind, ErrNotFound)
		}
		before, err := openWebhookSettings(a.Config, sealer)
		if errors.Is(err, ErrWebhookUnreadable) {
			before = webhookSettings{} // unusable by the runner too: start over
		} else if err != nil {
			return err
		}
		after, what, err := nextWebhookSettings(before, in.URL, in.Secret, rotate)
		if err != nil {
			return err
		}
		if after == before {
			return nil
		}
		plain, err := json.Marshal(after)
		if err != nil {
			return fmt.Errorf("store: webhook settings of app %d: %w", appID, err)
		}
		sealed, err := sealer.Seal(string(plain))
		if err != nil {
			return fmt.Errorf("store: seal webhook settings of app %d: %w", appID, err)
		}
		err = tx.db.WithContext(ctx).Model(&App{}).Where("id = ?", appID).
			Updates(map[string]any{"config": sealed, "updated_at": time.Now().UTC()}).Error
		if err != nil {
			return fmt.Errorf("store: webhook settings of app %d: %w", appID, translate(err))
		}
		entry := AuditEntry{Action: ActionAppWebhookUpdated, SubjectType: "app", SubjectID: appID, SubjectLabel: a.Name,
			After: webhookAudit{URL: after.URL, Secret: what}}
		if before.URL != "" {
			entry.Before = webhookAudit{URL: before.URL}
		}
		return tx.Audit(ctx, actor, entry)
	})
}

// nextWebhookSettings applies a save or a rotation to the current
// settings and says what happened to the secret.
func nextWebhookSettings(cur webhookSettings, webhookURL, secret string, rotate bool) (webhookSettings, string, error) {
	next := webhookSettings{URL: webhookURL, Secret: cur.Secret, PreviousSecret: cur.PreviousSecret}
	switch {
	case rotate && cur.Secret != "":
		fresh, err := newWebhookSecret()
		if err != nil {
			return cur, "", err
		}
		next.Secret, next.PreviousSecret = fresh, cur.Secret
		return next, webhookSecretRotated, nil
	case secret != "":
		next.Secret, next.PreviousSecret = secret, ""
		if secret == cur.Secret && cur.PreviousSecret == "" {
			return next, webhookSecretUnchanged, nil
		}
		return next, webhookSecretSet, nil
	case cur.Secret == "":
		fresh, err := newWebhookSecret()
		if err != nil {
			return cur, "", err
		}
		next.Secret = fresh
		return next, webhookSecretSet, nil
	}
	return next, webhookSecretUnchanged, nil
}

// fieldNames lists the invalid fields without their messages, so an error
// never carries the input back into a log.
func fieldNames(errs map[string]string) []string {
	out := make([]string, 0, len(errs))
	for f := range errs {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// ActionAppTaskAssignee records who a manual app's tasks go to.
const ActionAppTaskAssignee = "app.task_assignee_updated"

// TaskAssignee is who a manual app's new tasks go to.
func (a *App) TaskAssignee() Assignee {
	return Assignee{AdminID: a.TaskAssigneeAdminID, Email: a.TaskAssigneeEmail}
}

// SetAppTaskAssignee sets who a manual app's new tasks go to: an admin
// who can take tasks, an email address, or nobody (the zero Assignee).
// Open tasks keep their assignee. Another kind of app is ErrNotFound; an
// assignee who cannot take tasks is ErrBadAssignee.
func (s *Store) SetAppTaskAssignee(ctx context.Context, actor Actor, appID int64, to Assignee) error {
	return s.WithTx(ctx, func(tx *Store) error {
		a, err := tx.AppByID(ctx, appID)
		if err != nil {
			return err
		}
		if a.Kind != AppManual {
			return fmt.Errorf("store: app %d is a %s app, it has no tasks: %w", appID, a.Kind, ErrNotFound)
		}
		to, after, err := tx.checkAssignee(ctx, to)
		if err != nil {
			return err
		}
		if to.Equal(a.TaskAssignee()) {
			return nil
		}
		before := tx.auditedAssignee(ctx, a.TaskAssignee())
		err = tx.db.WithContext(ctx).Model(&App{}).Where("id = ?", appID).Updates(map[string]any{
			"task_assignee_admin_id": to.AdminID, "task_assignee_email": to.Email, "updated_at": time.Now().UTC()}).Error
		if err != nil {
			return fmt.Errorf("store: task assignee of app %d: %w", appID, translate(err))
		}
		return tx.Audit(ctx, actor, AuditEntry{Action: ActionAppTaskAssignee, SubjectType: "app", SubjectID: appID,
			SubjectLabel: a.Name, Before: before, After: after})
	})
}
