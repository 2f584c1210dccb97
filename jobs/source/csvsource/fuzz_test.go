package csvsource

import (
	"bytes"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add(Template())
	f.Add([]byte(fileOf(person("E1", nil), person("E2", map[string]string{"manager_id": "E1", "phone": "020 7946 0958", "country": "GB"}))))
	f.Add([]byte(head + "E1,\"Ada\nLovelace\",x,ada@example.com,On Leave,20200106,\"a\"\"b\"\n"))
	f.Add([]byte("\ufeffEmployee ID,Email,first_name,last_name,status,start_date,tz\nE1,A@B.CO,a,b,pending,2020-01-06T10:00:00+14:00,Etc/GMT+5\n"))
	f.Add([]byte("employee_id,first_name\n\"E1\nE2"))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		if len(res.Errors) > maxErrors+1 {
			t.Fatalf("%d errors, more than the cap", len(res.Errors))
		}
		for i := 1; i < len(res.Errors); i++ {
			if res.Errors[i].Line < res.Errors[i-1].Line {
				t.Fatalf("errors out of line order: %v then %v", res.Errors[i-1], res.Errors[i])
			}
		}
		if len(res.Errors) > 0 {
			if res.Records != nil {
				t.Fatal("records returned with errors")
			}
			return
		}
		if len(res.Records) != res.Rows { // a header without rows is an empty snapshot
			t.Fatalf("%d records from %d rows", len(res.Records), res.Rows)
		}
		for _, r := range res.Records {
			if r.ExternalID == "" || !r.Status.Valid() {
				t.Fatalf("invalid record without an error: %+v", r)
			}
		}
	})
}
