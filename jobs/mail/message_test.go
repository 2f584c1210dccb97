package mail

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func validMessage() Message {
	return Message{
		To:      []string{"Zoë Weber <zoe@example.com>"},
		Subject: "Willkommen, Zoë",
		Text:    "Hallo Zoë",
		HTML:    "<p>Hallo Zoë</p>",
	}
}

func TestMessageValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		edit    func(*Message)
		wantErr string
	}{
		{"valid", func(*Message) {}, ""},
		{"text only", func(m *Message) { m.HTML = "" }, ""},
		{"html only", func(m *Message) { m.Text = "" }, ""},
		{"headers and id", func(m *Message) {
			m.Headers = map[string]string{"X-Roster-Message-ID": "42", "X-Roster-Kind": "Willkommen für Zoë"}
			m.MessageID = "outbox-42"
		}, ""},
		{"no recipient", func(m *Message) { m.To = nil }, "no recipient in To"},
		{"bad to", func(m *Message) { m.To = append(m.To, "not an address") }, `To "not an address"`},
		{"bad cc", func(m *Message) { m.Cc = []string{"it@"} }, `Cc "it@"`},
		{"empty subject", func(m *Message) { m.Subject = "  " }, "subject is empty"},
		{"subject with line break", func(m *Message) { m.Subject = "Hi\r\nBcc: evil@example.com" }, "subject has a line break"},
		{"no body", func(m *Message) { m.Text, m.HTML = "", "" }, "no body"},
		{"reserved header", func(m *Message) { m.Headers = map[string]string{"bcc": "evil@example.com"} }, "header bcc is set by the sender"},
		{"bad header name", func(m *Message) { m.Headers = map[string]string{"X Roster": "1"} }, `header name "X Roster"`},
		{"header value with line break", func(m *Message) { m.Headers = map[string]string{"X-Roster": "1\nBcc: x@example.com"} }, "header X-Roster has a line break"},
		{"message id with brackets", func(m *Message) { m.MessageID = "<42@example.com>" }, "message id"},
		{"message id with space", func(m *Message) { m.MessageID = "42 43" }, "message id"},
		{"message id with two @", func(m *Message) { m.MessageID = "a@b@c" }, "message id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := validMessage()
			tt.edit(&m)
			err := m.Validate()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestMessageValidateReportsEverything(t *testing.T) {
	t.Parallel()
	err := Message{}.Validate()
	require.Error(t, err)
	for _, want := range []string{"no recipient", "subject is empty", "no body"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestQualifyMessageID(t *testing.T) {
	t.Parallel()
	m := validMessage()
	m.MessageID = "outbox-42"
	msg, err := m.newMsg("Roster <roster@mail.example.com>")
	require.NoError(t, err)
	assert.Equal(t, "<outbox-42@mail.example.com>", msg.GetMessageID())

	m.MessageID = "outbox-42@roster.example.org"
	msg, err = m.newMsg("roster@mail.example.com")
	require.NoError(t, err)
	assert.Equal(t, "<outbox-42@roster.example.org>", msg.GetMessageID())
}
