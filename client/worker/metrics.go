package worker

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Stages of a job, the label of failed jobs in the metrics and the "stage" of a failure
// in the logs.
const (
	stageRead  = "read"  // reading the job, query or dataset
	stageClaim = "claim" // claiming the job (other than a conflict)
	// The computation's own stages (compute.StageKeys, StagePlan, StageFetch and
	// StageEvaluate) label its failures too: "keys", "plan", "fetch", "evaluate".
	stageUpload = "upload" // storing the result blob
	stagePost   = "post"   // posting the result
	stageLease  = "lease"  // the lease was lost, or the worker stopped, mid-job
	stagePanic  = "panic"  // a panic, recovered
)

// metrics are a worker's Prometheus metrics, in a registry of its own.
type metrics struct {
	registry  *prometheus.Registry
	claimed   prometheus.Counter
	conflicts prometheus.Counter
	succeeded prometheus.Counter
	failed    *prometheus.CounterVec
	running   prometheus.Gauge
	duration  *prometheus.HistogramVec
	verified  prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		claimed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "statledger_worker_jobs_claimed_total", Help: "Jobs claimed (leases granted to this worker).",
		}),
		conflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "statledger_worker_claim_conflicts_total", Help: "Claims refused because another worker held the job.",
		}),
		succeeded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "statledger_worker_jobs_succeeded_total", Help: "Jobs whose result was posted.",
		}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "statledger_worker_jobs_failed_total", Help: "Jobs that failed, by the stage that failed.",
		}, []string{"stage"}),
		running: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "statledger_worker_jobs_running", Help: "Jobs claimed and not finished yet.",
		}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "statledger_worker_job_duration_seconds",
			Help:    "Time from claim to posted result or failure, by outcome.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 16),
		}, []string{"outcome"}),
		verified: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "statledger_worker_verified_bytes_total", Help: "Bytes of input blobs verified against their ledger digests.",
		}),
	}
	m.registry.MustRegister(m.claimed, m.conflicts, m.succeeded, m.failed, m.running, m.duration, m.verified,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// health is what /healthz reports.
type health struct {
	Status   string    `json:"status"`
	Identity string    `json:"identity,omitempty"`
	LastScan time.Time `json:"lastScan,omitzero"`
	Error    string    `json:"error,omitempty"`
}

// Handler returns the worker's HTTP handler: GET /healthz answers 200 with a JSON status
// once the worker has completed a scan of the ledger and its last scan succeeded, and
// 503 with the reason otherwise; GET /metrics serves the Prometheus metrics. Safe for
// concurrent use.
func (w *Worker) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) {
		h := w.health()
		rw.Header().Set("Content-Type", "application/json")
		if h.Status != "ok" {
			rw.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(rw).Encode(h)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(w.metrics.registry, promhttp.HandlerOpts{Registry: w.metrics.registry}))
	return mux
}

func (w *Worker) health() health {
	w.mu.Lock()
	defer w.mu.Unlock()
	h := health{Status: "ok", LastScan: w.lastScan}
	if w.self.MSPID != "" {
		h.Identity = w.self.MSPID
	}
	switch {
	case w.scanErr != nil:
		h.Status, h.Error = "unhealthy", "last scan of the ledger failed: "+w.scanErr.Error()
	case w.lastScan.IsZero():
		h.Status, h.Error = "starting", "no scan of the ledger completed yet"
	}
	return h
}
