package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster/models"
)

// MetricsCollector exports River's job counts by kind and state, read
// from the database at scrape time so every replica reports the same.
type MetricsCollector struct {
	db     *models.DB
	logger *slog.Logger
	desc   *prometheus.Desc
}

// NewMetricsCollector returns the collector; register it with Prometheus.
func NewMetricsCollector(db *models.DB, logger *slog.Logger) *MetricsCollector {
	return &MetricsCollector{
		db:     db,
		logger: logger,
		desc: prometheus.NewDesc("roster_river_jobs", "River jobs in the database by kind and state.",
			[]string{"kind", "state"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (m *MetricsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- m.desc }

// Collect implements prometheus.Collector.
func (m *MetricsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rows, err := m.db.SQL.QueryContext(ctx, "SELECT kind, state, count(*) FROM river_job GROUP BY kind, state")
	if err != nil {
		m.logger.Warn("metrics: count river jobs", "error", err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var kind, state string
		var n float64
		if err := rows.Scan(&kind, &state, &n); err != nil {
			m.logger.Warn("metrics: scan river jobs", "error", err)
			return
		}
		ch <- prometheus.MustNewConstMetric(m.desc, prometheus.GaugeValue, n, kind, state)
	}
}
