package dashboard

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"path"
	"slices"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/statledger/statledger/chaincode/ledger"
)

// assets are the page, its script and its style sheet: written for this package, no
// third-party code, no fonts or scripts from elsewhere.
//
//go:embed assets
var assets embed.FS

// contentSecurityPolicy lets the page run only its own script and style sheet and
// talk only to this server, so that ledger text can never become code.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// ServeHTTP serves the dashboard:
//
//	GET /                  the page
//	GET /static/{file}     its script and style sheet
//	GET /api/overview      the consortium, datasets, chain check and list of queries (Overview)
//	GET /api/queries/{id}  one query's timeline and checks (QueryDetail)
//	GET /api/events        server-sent events: "update" whenever the view changes
//	GET /healthz           200 when the ledger answers, 503 with the reason otherwise
//	GET /metrics           Prometheus metrics
//
// Errors are JSON objects {"error": "..."}: 400 for a malformed ID, 404 for an unknown
// query or path, 405 for a method other than GET or HEAD, 503 before the ledger was
// first read.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	s.mux.ServeHTTP(w, r)
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/{$}", get(func(w http.ResponseWriter, r *http.Request) { serveAsset(w, r, "index.html") }))
	mux.Handle("/static/{file}", get(func(w http.ResponseWriter, r *http.Request) { serveAsset(w, r, r.PathValue("file")) }))
	mux.Handle("/api/overview", get(s.serveOverview))
	mux.Handle("/api/queries/{id}", get(s.serveQuery))
	mux.Handle("/api/events", get(s.serveEvents))
	mux.Handle("/healthz", get(s.serveHealth))
	mux.Handle("/metrics", get(promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{Registry: s.metrics.registry}).ServeHTTP))
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such page: %s", r.URL.Path))
	}))
	return mux
}

// get allows GET and HEAD only.
func get(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not allowed; use GET", r.Method))
			return
		}
		h(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		writeError(w, http.StatusInternalServerError, "cannot encode the answer")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// serveAsset serves one embedded file.
func serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	data, err := fs.ReadFile(assets, path.Join("assets", name))
	if err != nil || !fs.ValidPath(name) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such file: %s", name))
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
}

// errNotLoaded answers the page before the first read of the ledger completed.
func (s *Server) errNotLoaded(w http.ResponseWriter) {
	msg := "the dashboard has not read the ledger yet"
	if s.readErr != "" {
		msg += ": " + s.readErr
	}
	writeError(w, http.StatusServiceUnavailable, msg)
}

func (s *Server) serveOverview(w http.ResponseWriter, _ *http.Request) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.loaded {
		s.errNotLoaded(w)
		return
	}
	writeJSON(w, http.StatusOK, s.overview())
}

// overview builds the Overview. Called with s.mu held.
func (s *Server) overview() Overview {
	o := Overview{Version: s.version, GeneratedAt: time.Now().UTC(), Stream: s.stream, LedgerError: s.readErr,
		Chain: s.chain, Datasets: []DatasetView{}, Queries: []QuerySummary{}}
	if s.cons != nil {
		o.Consortium = consortiumView(*s.cons)
	}
	for _, id := range slices.Sorted(maps.Keys(s.datasets)) {
		e := s.datasets[id]
		a := s.auditOf(s.dsAudits, id)
		o.Datasets = append(o.Datasets, DatasetView{
			ID: e.dataset.ID, Title: e.dataset.Title, Status: string(e.dataset.Status), Registrant: e.dataset.Registrant,
			TxID: e.dataset.TxID, RegisteredAt: e.dataset.RegisteredAt, Budget: budgetView(e.budget),
			Submissions: submissionViews(e.subs), Audit: a.verdict(), Stale: a.stale, Checks: a.checks,
		})
	}
	for _, tr := range s.trails {
		o.Queries = append(o.Queries, summary(tr.query, s.auditOf(s.audits, tr.query.ID)))
	}
	sort.Slice(o.Queries, func(i, j int) bool {
		a, b := o.Queries[i], o.Queries[j]
		if !a.RequestedAt.Equal(b.RequestedAt) {
			return a.RequestedAt.After(b.RequestedAt)
		}
		return a.ID < b.ID
	})
	return o
}

func (s *Server) auditOf(m map[string]*auditState, id string) auditState {
	if a, ok := m[id]; ok {
		return *a
	}
	return auditState{}
}

func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := ledger.ValidateID("query ID", id); err != nil {
		var le *ledger.Error
		msg := "malformed query ID"
		if errors.As(err, &le) {
			msg = le.Msg
		}
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.loaded {
		s.errNotLoaded(w)
		return
	}
	tr, ok := s.trails[id]
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no query %s on the ledger", id))
		return
	}
	writeJSON(w, http.StatusOK, detail(*tr, s.auditOf(s.audits, id)))
}

// health is what /healthz reports.
type health struct {
	Status  string      `json:"status"`
	Reason  string      `json:"reason,omitempty"`
	Stream  StreamState `json:"stream"`
	Version uint64      `json:"version"`
}

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.HealthTimeout)
	defer cancel()
	_, err := s.ledger.GetConsortium(ctx)
	s.mu.RLock()
	h := health{Status: "ok", Stream: s.stream, Version: s.version}
	s.mu.RUnlock()
	if err != nil {
		h.Status, h.Reason = "unavailable", "cannot read the ledger: "+err.Error()
		writeJSON(w, http.StatusServiceUnavailable, h)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

// serveEvents streams an "update" event whenever the view changes, a "hello" event
// with the current version first, and keep-alive comments every Config.Heartbeat.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	c, ok := s.broker.subscribe()
	if !ok {
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("too many pages follow updates (the limit is %d)", s.cfg.MaxClients))
		return
	}
	defer s.broker.unsubscribe(c)
	s.metrics.clients.Inc()
	defer s.metrics.clients.Dec()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	s.mu.RLock()
	hello := update{Version: s.version, Queries: []string{}}
	s.mu.RUnlock()
	if writeEvent(w, "hello", hello) != nil || rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(s.cfg.Heartbeat)
	defer tick.Stop()
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case u, ok := <-c:
			if !ok {
				return
			}
			if u.Queries == nil {
				u.Queries = []string{}
			}
			err = writeEvent(w, "update", u)
		case <-tick.C:
			_, err = fmt.Fprint(w, ": keep-alive\n\n")
		}
		if err != nil || rc.Flush() != nil {
			return
		}
	}
}

func writeEvent(w http.ResponseWriter, name string, u update) error {
	data, err := json.Marshal(u)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data)
	return err
}
