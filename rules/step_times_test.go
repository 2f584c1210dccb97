package rules_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rosterhq/roster/rules"
)

func TestTimesSummary(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	lastDay := time.Date(2026, 6, 30, 15, 0, 0, 0, time.UTC) // 17:00 CEST
	tests := []struct {
		name  string
		tz    string
		steps []rules.StepTime
		want  string
	}{
		{name: "a leaver with one immediate grant", tz: "Europe/Berlin", steps: []rules.StepTime{
			{App: "GitHub", Item: "admin"},
			{App: "GitHub", Item: "eng", At: lastDay},
			{App: "GitHub", At: lastDay},
			{App: "Slack", At: lastDay},
			{App: "Laptop", Item: "return", At: lastDay},
		}, want: "GitHub admin: on approval · GitHub, Slack, Laptop return: 30 Jun 17:00 Europe/Berlin"},
		{name: "steps together read as one time", tz: "Europe/Berlin", steps: []rules.StepTime{
			{App: "GitHub", Item: "eng", At: lastDay}, {App: "GitHub", At: lastDay},
		}, want: "30 Jun 17:00 Europe/Berlin"},
		{name: "all on approval", tz: "Europe/Berlin", steps: []rules.StepTime{{App: "GitHub", Item: "eng"}}, want: "on approval"},
		{name: "no steps", tz: "Europe/Berlin", want: "on approval"},
		{name: "on approval first, then soonest first", tz: "Asia/Tokyo", steps: []rules.StepTime{
			{App: "Laptop", Item: "MacBook Pro", At: lastDay.AddDate(1, 0, 0)},
			{App: "GitHub", Item: "eng", At: lastDay},
			{App: "Card", Item: "limit"},
		}, want: "Card limit: on approval · GitHub eng: 1 Jul 00:00 Asia/Tokyo · Laptop MacBook Pro: 1 Jul 2027 00:00 Asia/Tokyo"},
		{name: "no zone of the person's: the organisation's", tz: "", steps: []rules.StepTime{{App: "GitHub", At: lastDay}},
			want: "30 Jun 16:00 Europe/London"},
		{name: "an invalid zone falls back too", tz: "Mars/Olympus", steps: []rules.StepTime{{App: "GitHub", At: lastDay}},
			want: "30 Jun 16:00 Europe/London"},
		{name: "names are not repeated", tz: "UTC", steps: []rules.StepTime{
			{App: "Card", Item: "limit", At: lastDay}, {App: "Card", Item: "limit", At: lastDay}, {App: "GitHub", Item: "eng"},
		}, want: "GitHub eng: on approval · Card limit: 30 Jun 15:00 UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, rules.TimesIn(tt.tz, "Europe/London", now).Summary(tt.steps))
		})
	}
}

func TestTimesZone(t *testing.T) {
	t.Parallel()
	now := time.Now()
	require.Equal(t, "Europe/Berlin", rules.TimesIn("Europe/Berlin", "UTC", now).Zone())
	require.Equal(t, "person", rules.TimesIn("Europe/Berlin", "UTC", now).ZoneSource())
	require.Equal(t, "organisation", rules.TimesIn("", "Asia/Tokyo", now).ZoneSource())
	none := rules.TimesIn("", "", now)
	require.Equal(t, "UTC", none.Zone())
	require.Equal(t, "default", none.ZoneSource())
	require.Equal(t, "on approval", none.Format(time.Time{}))
}
