package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/audit"
	"github.com/statledger/statledger/client/fabric"
)

// Defaults of the zero fields of a Config.
const (
	DefaultDebounce      = 300 * time.Millisecond
	DefaultRetry         = 5 * time.Second
	DefaultHealthTimeout = 5 * time.Second
	DefaultHeartbeat     = 15 * time.Second
	DefaultMaxClients    = 64
)

// Config is a dashboard's configuration. Validate fills in the defaults of zero fields.
type Config struct {
	// Debounce is how long the dashboard gathers chaincode events after the first one of
	// a burst before it reads and audits what they changed. Default DefaultDebounce.
	Debounce time.Duration
	// Retry is the wait before reconnecting to the event stream, and before reading
	// again what a failed read of the ledger missed. Default DefaultRetry.
	Retry time.Duration
	// HealthTimeout bounds the ledger read /healthz makes. Default DefaultHealthTimeout.
	HealthTimeout time.Duration
	// Heartbeat is the interval of the keep-alive comments on an open event stream to a
	// page. Default DefaultHeartbeat.
	Heartbeat time.Duration
	// MaxClients caps the pages following updates at once; more are refused with 503.
	// Default DefaultMaxClients.
	MaxClients int
}

// Validate fills in the defaults of c's zero fields and checks every field. It returns
// an error naming each wrong field.
func (c *Config) Validate() error {
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&c.Debounce, DefaultDebounce}, {&c.Retry, DefaultRetry}, {&c.HealthTimeout, DefaultHealthTimeout}, {&c.Heartbeat, DefaultHeartbeat}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if c.MaxClients == 0 {
		c.MaxClients = DefaultMaxClients
	}
	var errs []error
	for name, d := range map[string]time.Duration{"debounce": c.Debounce, "retry": c.Retry, "health timeout": c.HealthTimeout, "heartbeat": c.Heartbeat} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s %s: want a positive duration", name, d))
		}
	}
	if c.MaxClients < 0 {
		errs = append(errs, fmt.Errorf("max clients %d: want a positive number", c.MaxClients))
	}
	return errors.Join(errs...)
}

// Option configures a Server.
type Option func(*Server)

// WithLogger sets the logger of the event loop (by default, nothing is logged).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// Server is the dashboard: an http.Handler serving the page, its JSON and its updates,
// and Run, which keeps the view up to date. Safe for concurrent use.
type Server struct {
	cfg     Config
	ledger  Ledger
	auditor Auditor
	events  Events
	log     *slog.Logger
	metrics *metrics
	broker  *broker
	mux     *http.ServeMux

	// kick wakes the refresher when changes are pending.
	kick    chan struct{}
	pmu     sync.Mutex
	pending changes

	mu       sync.RWMutex
	version  uint64
	loaded   bool
	cons     *ledger.Consortium
	datasets map[string]*datasetEntry
	trails   map[string]*trail
	audits   map[string]*auditState // by query ID
	dsAudits map[string]*auditState // by dataset ID
	chain    *audit.ChainReport
	readErr  string
	stream   StreamState
}

// datasetEntry is what the ledger holds about one dataset.
type datasetEntry struct {
	dataset ledger.Dataset
	budget  ledger.Budget
	subs    []ledger.Submission
}

// New returns a dashboard over a ledger connection, an auditor and the chaincode's
// event stream. It returns an error for a wrong Config.
func New(cfg Config, l Ledger, a Auditor, e Events, opts ...Option) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, ledger: l, auditor: a, events: e,
		log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		metrics:  newMetrics(),
		broker:   newBroker(cfg.MaxClients),
		kick:     make(chan struct{}, 1),
		datasets: map[string]*datasetEntry{},
		trails:   map[string]*trail{},
		audits:   map[string]*auditState{},
		dsAudits: map[string]*auditState{},
	}
	for _, o := range opts {
		o(s)
	}
	s.mux = s.routes()
	return s, nil
}

// Run reads the ledger, audits it, and follows the chaincode's events until ctx ends,
// reconnecting after Config.Retry when the stream fails. It returns nil when ctx ends.
func (s *Server) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { s.refresher(ctx) })
	s.note(changes{all: true})
	s.listen(ctx)
	wg.Wait()
	s.broker.closeAll()
	return nil
}

// listen turns chaincode events into pending changes. Every (re)connection reads the
// whole ledger again, for the events missed while disconnected.
func (s *Server) listen(ctx context.Context) {
	for {
		events, _, err := s.events.Events(ctx, "")
		if err != nil {
			s.log.Warn("cannot listen to chaincode events; retrying", "error", err)
			s.setStream(StreamState{Error: "cannot listen to chaincode events: " + err.Error()})
		} else {
			s.setStream(StreamState{Connected: true})
			s.note(changes{all: true})
			for ev := range events {
				s.metrics.events.WithLabelValues(eventRecord(ev)).Inc()
				s.note(changesOf(ev, s.log))
			}
			if ctx.Err() == nil {
				s.log.Warn("chaincode event stream ended; reconnecting")
				s.setStream(StreamState{Error: "the chaincode event stream ended; reconnecting"})
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.cfg.Retry):
		}
	}
}

// refresher reads and audits the pending changes, a burst at a time.
func (s *Server) refresher(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.cfg.Debounce):
		}
		ch := s.take()
		if ch.empty() {
			continue
		}
		if failed := s.refresh(ctx, ch); !failed.empty() && ctx.Err() == nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(s.cfg.Retry):
				s.note(failed)
			}
		}
	}
}

// changes are the records to read again.
type changes struct {
	all        bool
	consortium bool
	datasets   map[string]bool
	queries    map[string]bool
}

func (c changes) empty() bool {
	return !c.all && !c.consortium && len(c.datasets) == 0 && len(c.queries) == 0
}

func (c *changes) merge(o changes) {
	c.all = c.all || o.all
	c.consortium = c.consortium || o.consortium
	for _, m := range []struct{ dst, src *map[string]bool }{{&c.datasets, &o.datasets}, {&c.queries, &o.queries}} {
		for id := range *m.src {
			if *m.dst == nil {
				*m.dst = map[string]bool{}
			}
			(*m.dst)[id] = true
		}
	}
}

// note adds changes to the pending ones and wakes the refresher.
func (s *Server) note(c changes) {
	if c.empty() {
		return
	}
	s.pmu.Lock()
	s.pending.merge(c)
	s.pmu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// take returns the pending changes and clears them.
func (s *Server) take() changes {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	c := s.pending
	s.pending = changes{}
	return c
}

// eventRecord is the record kind an event names, for the metrics: one of the kinds
// of package ledger, or "other".
func eventRecord(ev fabric.Event) string {
	var e ledger.Event
	if json.Unmarshal(ev.Payload, &e) == nil {
		switch e.Record {
		case ledger.RecordConsortium, ledger.RecordConsortiumChange, ledger.RecordCollectiveKey, ledger.RecordDataset,
			ledger.RecordSubmission, ledger.RecordQuery, ledger.RecordJob, ledger.RecordResult, ledger.RecordShare, ledger.RecordRelease:
			return e.Record
		}
	}
	return "other"
}

// changesOf returns what a chaincode event changed. An event it cannot read makes the
// dashboard read everything again.
func changesOf(ev fabric.Event, log *slog.Logger) changes {
	var e ledger.Event
	if err := json.Unmarshal(ev.Payload, &e); err != nil {
		log.Warn("undecodable chaincode event; reading the whole ledger again", "event", ev.Name, "tx", ev.TxID)
		return changes{all: true}
	}
	var c changes
	switch {
	case e.QueryID != "" && ledger.ValidateID("query ID", e.QueryID) == nil:
		c.queries = map[string]bool{e.QueryID: true}
	case e.Record == ledger.RecordQuery && ledger.ValidateID("query ID", e.ID) == nil:
		c.queries = map[string]bool{e.ID: true}
	case e.Record == ledger.RecordConsortium || e.Record == ledger.RecordConsortiumChange || e.Record == ledger.RecordCollectiveKey:
		c.consortium = true
	}
	if e.DatasetID != "" && ledger.ValidateID("dataset ID", e.DatasetID) == nil {
		c.datasets = map[string]bool{e.DatasetID: true}
	} else if e.Record == ledger.RecordDataset && ledger.ValidateID("dataset ID", e.ID) == nil {
		c.datasets = map[string]bool{e.ID: true}
	}
	if c.empty() {
		log.Warn("chaincode event names no record the dashboard shows", "event", ev.Name, "tx", ev.TxID)
	}
	return c
}

// setStream records the state of the event stream and tells the pages.
func (s *Server) setStream(st StreamState) {
	s.mu.Lock()
	s.stream = st
	s.mu.Unlock()
	s.publish(nil)
}

// publish makes a new version of the view and tells the pages which queries changed.
func (s *Server) publish(queries []string) {
	s.mu.Lock()
	s.version++
	v := s.version
	s.mu.Unlock()
	s.broker.send(update{Version: v, Queries: queries})
}
