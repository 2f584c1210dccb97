package webhook

import (
	"math/rand/v2"
	"time"
)

// Backoff bounds.
const (
	backoffBase = 10 * time.Second
	// MaxWait caps both Backoff and a receiver's Retry-After.
	MaxWait        = time.Hour
	minRetryAfter  = time.Second
	backoffJitter  = 0.25 // a wait is shortened by up to a quarter
	backoffDoubles = 9    // 10s << 9 is past the cap already
)

// Backoff returns how long River should wait before attempt+1, after
// attempt n (1-based) ended with r. A Retry-After from the receiver wins
// (at least 1s, at most MaxWait). Otherwise the wait starts at 10s and
// doubles with every attempt up to MaxWait, shortened by up to 25% at
// random (rnd in [0, 1); nil means math/rand) so actions that failed
// together do not all come back together. Each attempt's longest wait is
// shorter than the next attempt's shortest, until the cap.
func Backoff(attempt int, r Result, rnd func() float64) time.Duration {
	if r.RetryAfter > 0 {
		return min(max(r.RetryAfter, minRetryAfter), MaxWait)
	}
	wait := MaxWait
	if n := max(attempt, 1) - 1; n < backoffDoubles {
		wait = min(backoffBase<<n, MaxWait)
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	f := min(max(rnd(), 0), 1)
	return wait - time.Duration(float64(wait)*backoffJitter*f)
}
