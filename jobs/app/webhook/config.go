package webhook

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Limits of a webhook app's configuration.
const (
	// DefaultTimeout is how long Send waits for an answer when the
	// config does not say.
	DefaultTimeout = 10 * time.Second
	// MaxTimeout keeps an attempt inside River's default job timeout
	// (one minute), so a slow receiver is reported as "no answer", not as
	// an interrupted job.
	MaxTimeout = time.Minute
	// MinSecretLength is the shortest signing secret accepted, in bytes.
	MinSecretLength = 16
)

// Config of a webhook app (stored encrypted by the caller).
type Config struct {
	URL    string `json:"url"`
	Secret string `json:"secret"`
	// PreviousSecret, while a secret is being rotated, makes Roster sign
	// with both secrets ("v1=<new>,v1=<old>") so receivers can switch at
	// their own pace. Empty otherwise.
	PreviousSecret string        `json:"previous_secret,omitempty"`
	Timeout        time.Duration `json:"timeout,omitempty"` // 0 means DefaultTimeout
}

// Validate checks the URL is an absolute http(s) URL and the secrets are
// long enough. Messages never contain a secret.
func (c Config) Validate() error {
	var errs []error
	if err := validateURL(c.URL); err != nil {
		errs = append(errs, err)
	}
	if len(c.Secret) < MinSecretLength {
		errs = append(errs, fmt.Errorf("webhook: the signing secret must be at least %d bytes", MinSecretLength))
	}
	if c.PreviousSecret != "" && len(c.PreviousSecret) < MinSecretLength {
		errs = append(errs, fmt.Errorf("webhook: the previous signing secret must be at least %d bytes", MinSecretLength))
	}
	if c.Timeout < 0 || c.Timeout > MaxTimeout {
		errs = append(errs, fmt.Errorf("webhook: the timeout must be between 0 (meaning %s) and %s", formatDuration(DefaultTimeout), formatDuration(MaxTimeout)))
	}
	return errors.Join(errs...)
}

// validateURL accepts absolute http and https URLs with a host. Its
// messages do not repeat the URL, which may hold credentials.
func validateURL(raw string) error {
	if raw == "" {
		return errors.New("webhook: the URL is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("webhook: the URL is not a valid URL")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return errors.New("webhook: the URL must start with https:// or http://")
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return errors.New("webhook: the URL must name a host, like https://example.com/hooks/roster")
	}
	return nil
}

// timeout is the configured timeout or the default.
func (c Config) timeout() time.Duration {
	if c.Timeout <= 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

// formatDuration prints whole seconds as "10s" rather than
// time.Duration's "1m0s"; anything finer keeps Go's form ("250ms").
func formatDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}
