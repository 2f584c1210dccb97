package mail

import (
	"errors"
	"fmt"
	"maps"
	netmail "net/mail"
	"slices"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// Message is one mail to send.
type Message struct {
	To      []string
	Cc      []string
	Subject string
	// Text and HTML are the two bodies; with both, the mail is
	// multipart/alternative with the text first, so clients that prefer
	// HTML pick the last part.
	Text string
	HTML string
	// Headers are extra header fields, e.g. X-Roster-Message-ID. They may
	// not replace the ones Send writes itself (From, To, Subject, ...).
	Headers map[string]string
	// MessageID is a stable id from the outbox row, so that a resend is
	// recognisable as the same mail. Without an "@", the domain of the From
	// address is appended. Empty means a random one.
	MessageID string
}

// reservedHeaders are written by Send from Config and Message fields.
var reservedHeaders = []string{
	"bcc", "cc", "content-disposition", "content-transfer-encoding",
	"content-type", "date", "from", "message-id", "mime-version",
	"reply-to", "return-path", "sender", "subject", "to",
}

// Validate reports everything that would make the message unsendable;
// sending it again would not help.
func (m Message) Validate() error {
	var errs []error
	if len(m.To) == 0 {
		errs = append(errs, errors.New("no recipient in To"))
	}
	errs = append(errs, validateAddresses("To", m.To)...)
	errs = append(errs, validateAddresses("Cc", m.Cc)...)
	switch {
	case strings.TrimSpace(m.Subject) == "":
		errs = append(errs, errors.New("subject is empty"))
	case strings.ContainsAny(m.Subject, "\r\n"):
		errs = append(errs, errors.New("subject has a line break"))
	}
	if m.Text == "" && m.HTML == "" {
		errs = append(errs, errors.New("no body: Text and HTML are both empty"))
	}
	for _, name := range slices.Sorted(maps.Keys(m.Headers)) {
		if err := validateHeader(name, m.Headers[name]); err != nil {
			errs = append(errs, err)
		}
	}
	if m.MessageID != "" && !validMessageID(m.MessageID) {
		errs = append(errs, fmt.Errorf("message id %q: want printable ASCII without spaces, <, > or a second @", m.MessageID))
	}
	return errors.Join(errs...)
}

func validateAddresses(field string, addrs []string) []error {
	var errs []error
	for _, a := range addrs {
		if _, err := netmail.ParseAddress(a); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", field, a, err))
		}
	}
	return errs
}

func validateHeader(name, value string) error {
	if name == "" {
		return errors.New("header with an empty name")
	}
	for _, r := range name {
		// RFC 5322 field names: printable ASCII except the colon.
		if r < '!' || r > '~' || r == ':' {
			return fmt.Errorf("header name %q: want printable ASCII without a colon", name)
		}
	}
	if slices.Contains(reservedHeaders, strings.ToLower(name)) {
		return fmt.Errorf("header %s is set by the sender, not by Headers", name)
	}
	if strings.ContainsAny(value, "\r\n") {
		return fmt.Errorf("header %s has a line break", name)
	}
	return nil
}

func validMessageID(id string) bool {
	if strings.Count(id, "@") > 1 || strings.HasPrefix(id, "@") || strings.HasSuffix(id, "@") {
		return false
	}
	for _, r := range id {
		if r < '!' || r > '~' || r == '<' || r == '>' {
			return false
		}
	}
	return true
}

// newMsg builds the go-mail message; m must be valid.
func (m Message) newMsg(from string) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := msg.To(m.To...); err != nil {
		return nil, Permanent(fmt.Errorf("to: %w", err))
	}
	if len(m.Cc) > 0 {
		if err := msg.Cc(m.Cc...); err != nil {
			return nil, Permanent(fmt.Errorf("cc: %w", err))
		}
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	if m.MessageID == "" {
		msg.SetMessageID()
	} else {
		msg.SetMessageIDWithValue(qualifyMessageID(m.MessageID, msg.GetFrom()))
	}
	for _, name := range slices.Sorted(maps.Keys(m.Headers)) {
		msg.SetGenHeader(gomail.Header(name), m.Headers[name])
	}
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.HTML != "":
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	}
	return msg, nil
}

// qualifyMessageID makes id a full id-left@id-right (RFC 5322 3.6.4) using
// the sender's domain, which is what the id is unique within.
func qualifyMessageID(id string, from []*netmail.Address) string {
	if strings.Contains(id, "@") || len(from) == 0 {
		return id
	}
	addr := from[0].Address
	at := strings.LastIndex(addr, "@")
	if at < 0 {
		return id
	}
	return id + addr[at:]
}
