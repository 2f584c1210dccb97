// Package mail sends Roster's mail over SMTP.
//
// It is the last step of the outbox: a job loads an outbox row, renders its
// templ bodies into a [Message] and calls [Sender.Send]. Send dials per call
// (mail volume is low, and a fresh connection needs no pool to go stale),
// honours the context's deadline and cancellation for the whole session,
// and classifies failures: an error for which [IsPermanent] reports true
// will fail the same way on every retry (a 5xx reply to RCPT TO or DATA,
// or a message that does not validate), so the job should stop; any other
// error is temporary and worth retrying.
//
// A 5xx before the recipients (greeting, EHLO, STARTTLS, AUTH, MAIL FROM)
// is deliberately temporary: it rejects the configuration, not the message,
// and would fail every message alike, so the outbox keeps them until the
// configuration is fixed instead of failing them one by one.
//
// go-mail sends a message to all of its recipients or to none: one
// rejected recipient fails the message for the others too.
//
// Configuration comes from ROSTER_SMTP_URL and ROSTER_MAIL_FROM; see
// [ParseURL]. Credentials never appear in errors, [Config.String] or logs.
package mail
