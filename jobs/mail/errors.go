package mail

import (
	"context"
	"errors"
	"fmt"
	"os"

	gomail "github.com/wneessen/go-mail"
)

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying; nil stays nil.
func Permanent(err error) error {
	if err == nil || IsPermanent(err) {
		return err
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked by
// Permanent: the job should give up rather than retry.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// classifySend marks a failed transaction permanent when the server gave a
// 5xx reply to RCPT TO or DATA: it rejects this message's recipients or
// content, and would again. A 5xx to MAIL FROM rejects the sender (an
// unauthenticated session, a From the account may not use), which fails
// every message alike until the configuration is fixed, so it stays
// temporary like 4xx replies, broken connections and timeouts.
func classifySend(err error) error {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return err
	}
	switch se.Reason {
	case gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
		if code := se.ErrorCode(); code >= 500 && code < 600 {
			return Permanent(err)
		}
	}
	return err
}

// withContextErr makes a timeout or cancellation recognisable with
// errors.Is(err, context.DeadlineExceeded) or context.Canceled, whether the
// context fired first (and closed the connection) or the connection's own
// deadline, which is set to the same instant, did.
func withContextErr(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return err
	case ctx.Err() != nil:
		return fmt.Errorf("%w: %w", ctx.Err(), err)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	}
	return err
}
