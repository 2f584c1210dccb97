package web

import (
	"context"
	"crypto/subtle"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// healthz answers while the process is up.
func (s *Server) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

// readyz answers 200 once the database is reachable and fully migrated,
// 503 otherwise, for load balancers and orchestrators.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		s.logger.Warn("not ready", "error", err)
		return c.String(http.StatusServiceUnavailable, "not ready\n")
	}
	return c.String(http.StatusOK, "ready\n")
}

// metricsHandler serves Prometheus metrics, behind a bearer token when
// ROSTER_METRICS_TOKEN is set.
func (s *Server) metricsHandler() echo.HandlerFunc {
	h := echo.WrapHandler(promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	return func(c echo.Context) error {
		if s.cfg.MetricsToken != "" {
			want := "Bearer " + s.cfg.MetricsToken
			if subtle.ConstantTimeCompare([]byte(c.Request().Header.Get("Authorization")), []byte(want)) != 1 {
				return echo.NewHTTPError(http.StatusUnauthorized, "A metrics token is required.")
			}
		}
		return h(c)
	}
}
