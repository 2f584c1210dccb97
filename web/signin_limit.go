package web

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"
)

// Default sign-in limits per client address: enough for a handful of
// people behind one NAT signing in at once (a sign-in is two or three
// requests), far too few to guess or to flood the audit trail.
const (
	DefaultSignInRate  = 2  // requests per second, sustained
	DefaultSignInBurst = 20 // requests at once
)

// signInLimiter rate-limits the sign-in routes per client address with a
// token bucket each (echo's in-memory store, so the limit is per
// replica). It runs ahead of loadSession, so a refused request writes no
// session row; the routes it covers are registered through a routeGroup
// made with limitedBy.
type signInLimiter struct {
	routes     map[string]bool // "METHOD /route/:param"
	retryAfter string          // whole seconds until a token is back
	wait       string          // the same in words
	store      *middleware.RateLimiterMemoryStore
}

func newSignInLimiter(perSecond float64, burst int) *signInLimiter {
	if perSecond <= 0 {
		perSecond = DefaultSignInRate
	}
	if burst <= 0 {
		burst = DefaultSignInBurst
	}
	// A bucket left alone this long is full again, so forgetting it loses
	// nothing and keeps memory to the addresses seen lately.
	expires := max(time.Minute, time.Duration(float64(burst)/perSecond*float64(time.Second)))
	seconds := int(math.Max(1, math.Ceil(1/perSecond)))
	wait := "a second"
	if seconds > 1 {
		wait = strconv.Itoa(seconds) + " seconds"
	}
	return &signInLimiter{
		routes:     map[string]bool{},
		retryAfter: strconv.Itoa(seconds),
		wait:       wait,
		store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: rate.Limit(perSecond), Burst: burst, ExpiresIn: expires,
		}),
	}
}

// add puts a route under the limit.
func (l *signInLimiter) add(method, path string) { l.routes[method+" "+path] = true }

// middleware refuses a client over its limit with 429 and Retry-After.
func (l *signInLimiter) middleware() echo.MiddlewareFunc {
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Skipper:             func(c echo.Context) bool { return !l.routes[c.Request().Method+" "+c.Path()] },
		IdentifierExtractor: func(c echo.Context) (string, error) { return clientBucket(c.RealIP()), nil },
		Store:               l.store,
		DenyHandler: func(c echo.Context, _ string, _ error) error {
			c.Response().Header().Set("Retry-After", l.retryAfter)
			return echo.NewHTTPError(http.StatusTooManyRequests,
				"There have been too many sign-in attempts from your address. Wait "+l.wait+" and try again.")
		},
	})
}

// clientBucket is the address a client is limited by: IPv4 as it is,
// IPv6 by its /64, since one IPv6 client usually holds a whole /64 and
// could otherwise take a fresh bucket for every request.
func clientBucket(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}
