package dashboard

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are a dashboard's Prometheus metrics, in a registry of its own.
type metrics struct {
	registry      *prometheus.Registry
	events        *prometheus.CounterVec
	readErrors    prometheus.Counter
	audits        *prometheus.CounterVec
	auditDuration prometheus.Histogram
	failingChecks prometheus.Gauge
	clients       prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "statledger_dashboard_events_received_total", Help: "Chaincode events received, by the record kind they name.",
		}, []string{"record"}),
		readErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "statledger_dashboard_ledger_read_errors_total", Help: "Refreshes of the view that could not read the ledger.",
		}),
		audits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "statledger_dashboard_query_audits_total", Help: "Query audits, by verdict (pass, fail, pending, error).",
		}, []string{"verdict"}),
		auditDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "statledger_dashboard_audit_duration_seconds", Help: "Time one audit run took.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 16),
		}),
		failingChecks: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "statledger_dashboard_failing_checks", Help: "Checks that failed in the last audit of every query, dataset and the chain.",
		}),
		clients: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "statledger_dashboard_sse_clients", Help: "Pages following updates over server-sent events.",
		}),
	}
	m.registry.MustRegister(m.events, m.readErrors, m.audits, m.auditDuration, m.failingChecks, m.clients,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
