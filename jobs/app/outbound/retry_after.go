package outbound

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryAfter reads an answer's Retry-After: delay-seconds or an HTTP date
// (relative to answeredAt), capped at most. Absent, malformed or past
// values give 0; only overflow fails on digits, read as a very long wait.
func RetryAfter(v string, answeredAt time.Time, most time.Duration) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if isDigits(v) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > int64(most/time.Second) {
			return most
		}
		return time.Duration(n) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	return min(max(t.Sub(answeredAt), 0), most)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
