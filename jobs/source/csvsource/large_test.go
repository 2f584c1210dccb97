package csvsource

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// generatedFile is a valid file of n people: a few managers each with many
// reports, spread over countries with local phone numbers.
func generatedFile(n int) []byte {
	places := []struct{ country, zone, phone string }{
		{"GB", "Europe/London", "020 7946 %04d"},
		{"US", "America/New_York", "(212) 555-%04d"},
		{"JP", "Asia/Tokyo", "03-1234-%04d"},
		{"DE", "Europe/Berlin", "+49 30 9018%04d"},
	}
	var b bytes.Buffer
	b.WriteString("employee_id,first_name,last_name,work_email,status,start_date,termination_date,phone,title,department," +
		"manager_id,country,timezone,employment_type,groups,laptop\n")
	for i := range n {
		p := places[i%len(places)]
		manager := ""
		if i >= 10 {
			manager = fmt.Sprintf("E%06d", i%10)
		}
		status, end := "active", ""
		if i%50 == 0 {
			status, end = "terminated", "2024-12-31"
		}
		fmt.Fprintf(&b, "E%06d,First%d,Last%d,Person.%d@Example.com,%s,2020-%02d-%02d,%s,"+p.phone+",Engineer,Dept %d,%s,%s,%s,Full-Time,\"eng;team-%d\",Model %d\n",
			i, i, i, i, status, i%12+1, i%28+1, end, i%10000, i%20, manager, p.country, p.zone, i%7, i%3)
	}
	return b.Bytes()
}

func TestParseGeneratedFile(t *testing.T) {
	t.Parallel()
	const n = 20000
	res, err := Parse(bytes.NewReader(generatedFile(n)))
	require.NoError(t, err)
	require.Empty(t, res.Errors)
	require.Len(t, res.Records, n)
	assert.Equal(t, n, res.Rows)
	last := res.Records[n-1]
	assert.Equal(t, "E019999", last.ExternalID)
	assert.Equal(t, "person.19999@example.com", last.WorkEmail)
	assert.Equal(t, "+4930", last.Phone[:5])
	assert.Equal(t, "E000009", last.ManagerID)
	assert.Equal(t, "full_time", last.EmploymentType)
	assert.Equal(t, []string{"eng", "team-0"}, last.Groups)
}

func BenchmarkParse20000(b *testing.B) {
	file := generatedFile(20000)
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Parse(bytes.NewReader(file))
		if err != nil || len(res.Errors) > 0 {
			b.Fatal(err, res.Errors)
		}
	}
}
