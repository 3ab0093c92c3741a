package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/compute"
	"github.com/statledger/statledger/client/fabric"
)

// ErrJobFailed is wrapped by Once's error when at least one job failed.
var ErrJobFailed = errors.New("worker: job failed")

// ErrNotWorker is returned by Run and Once when the ledger does not give the worker's
// identity the worker role.
var ErrNotWorker = errors.New("worker: the identity does not have the worker role")

// Worker claims and computes jobs. Create one with New. Its methods are safe for
// concurrent use, but Run and Once must not run at the same time on one Worker.
type Worker struct {
	cfg     Config
	ledger  Ledger
	store   Store
	keys    *compute.KeyCache // the rotation keys, loaded once per key ID
	events  Events
	log     *slog.Logger
	metrics *metrics

	mu       sync.Mutex
	self     ledger.Caller
	busy     map[string]bool      // query IDs queued or being processed
	retries  map[string]retryWait // failed jobs and when to try them again
	lastScan time.Time
	scanErr  error
}

type retryWait struct {
	failures int
	at       time.Time
}

// Option configures a Worker.
type Option func(*Worker)

// WithEvents makes Run listen to the chaincode's events as well as scan the ledger.
func WithEvents(e Events) Option { return func(w *Worker) { w.events = e } }

// WithLogger sets the logger (by default logs are discarded).
func WithLogger(l *slog.Logger) Option { return func(w *Worker) { w.log = l } }

// New returns a worker with configuration cfg (validated, defaults filled in) over the
// ledger l, the blob store s and the key source k. It returns cfg's validation error.
func New(cfg Config, l Ledger, s Store, k Keys, opts ...Option) (*Worker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("worker configuration: %w", err)
	}
	if l == nil || s == nil || k == nil {
		return nil, errors.New("worker: a ledger, a blob store and a key source are required")
	}
	w := &Worker{
		cfg: cfg, ledger: l, store: s, keys: compute.NewKeyCache(k),
		log:     slog.New(slog.DiscardHandler),
		metrics: newMetrics(),
		busy:    map[string]bool{},
		retries: map[string]retryWait{},
	}
	for _, o := range opts {
		o(w)
	}
	return w, nil
}

// Summary counts what Once did.
type Summary struct {
	// Candidates are the approved queries found; Skipped of them had no job this worker
	// could claim (done, leased by another worker, or already computed by its
	// organisation).
	Candidates int `json:"candidates"`
	Skipped    int `json:"skipped"`
	// Succeeded counts the jobs computed and posted, Failed those that failed, before or
	// after their claim.
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	// Posted are the results posted, by query ID.
	Posted []ledger.Result `json:"posted"`
	// FailedQueries are the IDs of the queries whose job failed, sorted.
	FailedQueries []string `json:"failedQueries"`
}

// Once scans the ledger, processes every job the worker can claim, Config.Concurrency at
// a time, and returns what it did. It returns an error when the identity is not a worker
// (ErrNotWorker) or the scan fails, and one wrapping ErrJobFailed, with the Summary,
// when a job failed.
func (w *Worker) Once(ctx context.Context) (Summary, error) {
	sum := Summary{Posted: []ledger.Result{}, FailedQueries: []string{}}
	if err := w.identify(ctx); err != nil {
		return sum, err
	}
	ids, err := w.scan(ctx)
	if err != nil {
		return sum, err
	}
	sum.Candidates = len(ids)
	var mu sync.Mutex
	p := w.startPool(ctx, func(id string, o outcome) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case o.result != nil:
			sum.Succeeded++
			sum.Posted = append(sum.Posted, *o.result)
		case o.failed:
			sum.Failed++
			sum.FailedQueries = append(sum.FailedQueries, id)
		default:
			sum.Skipped++
		}
	})
	for _, id := range ids {
		if !p.enqueue(ctx, id) {
			sum.Skipped++
		}
	}
	p.stop()
	slices.SortFunc(sum.Posted, func(a, b ledger.Result) int { return strings.Compare(a.QueryID, b.QueryID) })
	slices.Sort(sum.FailedQueries)
	if sum.Failed > 0 {
		shown := sum.FailedQueries
		if len(shown) > 5 {
			shown = append(shown[:5:5], fmt.Sprintf("and %d more", len(sum.FailedQueries)-5))
		}
		return sum, fmt.Errorf("%w: %d of %d jobs failed (queries %v); see the log", ErrJobFailed, sum.Failed, sum.Failed+sum.Succeeded, shown)
	}
	return sum, ctx.Err()
}

// Run is the worker daemon: it serves /healthz and /metrics on Config.ListenAddr (if
// set), processes the jobs of the chaincode's events (with WithEvents) and scans the
// ledger every Config.PollEvery, and looks at a job leased by another worker again when
// its lease expires, until ctx ends. Then it stops claiming, abandons the
// jobs in progress without posting (their leases expire and another worker takes them
// over), waits for them and returns nil. It returns an error at once when the identity
// is not a worker (ErrNotWorker), when reading it fails, or when the address cannot be
// listened on. Event-stream and scan failures are logged and retried.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.identify(ctx); err != nil {
		return err
	}
	var srv *http.Server
	if w.cfg.ListenAddr != "" {
		ln, err := net.Listen("tcp", w.cfg.ListenAddr)
		if err != nil {
			return fmt.Errorf("worker: listen for /healthz and /metrics: %w", err)
		}
		srv = &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				w.log.Error("http server stopped", "error", err)
			}
		}()
		w.log.Info("serving /healthz and /metrics", "address", ln.Addr().String())
	}
	// A job leased by another worker is looked at again as soon as its lease expires
	// (the pool is assigned before any job reaches this report).
	var p *pool
	p = w.startPool(ctx, func(id string, o outcome) {
		if !o.leasedUntil.IsZero() {
			p.at(ctx, id, o.leasedUntil.Add(expiryMargin))
		}
	})
	var producers sync.WaitGroup
	if w.events != nil {
		producers.Go(func() { w.listen(ctx, p) })
	}
	producers.Go(func() { w.poll(ctx, p) })
	w.log.Info("worker started", "msp", w.self.MSPID, "lease", w.cfg.Lease.String(), "concurrency", w.cfg.Concurrency, "events", w.events != nil)
	producers.Wait()
	p.stop()
	if srv != nil {
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}
	w.log.Info("worker stopped")
	return nil
}

// identify reads the worker's identity from the ledger and checks its role.
func (w *Worker) identify(ctx context.Context) error {
	c, err := w.ledger.GetCaller(ctx)
	if err != nil {
		return fmt.Errorf("worker: read the identity's roles: %w", err)
	}
	if !slices.Contains(c.Roles, ledger.RoleWorker) {
		return fmt.Errorf("%w: %s has roles %v", ErrNotWorker, c.MSPID, c.Roles)
	}
	w.mu.Lock()
	w.self = c
	w.mu.Unlock()
	return nil
}

// poll scans the ledger at once and then every PollEvery until ctx ends.
func (w *Worker) poll(ctx context.Context, p *pool) {
	t := time.NewTicker(w.cfg.PollEvery)
	defer t.Stop()
	for {
		ids, err := w.scan(ctx)
		if err != nil && ctx.Err() == nil {
			w.log.Warn("scan of the ledger failed; retrying at the next poll", "error", err)
		}
		for _, id := range ids {
			p.enqueue(ctx, id)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// scan lists the approved queries of the worker's datasets and records the outcome for
// /healthz.
func (w *Worker) scan(ctx context.Context) ([]string, error) {
	ids, err := w.approvedQueries(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	if ctx.Err() == nil {
		w.scanErr = err
		if err == nil {
			w.lastScan = time.Now()
		}
	}
	return ids, err
}

func (w *Worker) approvedQueries(ctx context.Context) ([]string, error) {
	datasets := w.cfg.Datasets
	if len(datasets) == 0 {
		bookmark := ""
		for {
			page, err := w.ledger.ListDatasets(ctx, bookmark)
			if err != nil {
				return nil, fmt.Errorf("list datasets: %w", err)
			}
			for _, ds := range page.Items {
				if ds.Status == ledger.StatusActive {
					datasets = append(datasets, ds.ID)
				}
			}
			if bookmark = page.Bookmark; bookmark == "" || len(page.Items) == 0 {
				break
			}
		}
	}
	var ids []string
	for _, ds := range datasets {
		bookmark := ""
		for {
			page, err := w.ledger.ListQueries(ctx, ds, bookmark)
			if err != nil {
				return nil, fmt.Errorf("list queries of dataset %s: %w", ds, err)
			}
			for _, q := range page.Items {
				if q.Status == ledger.StatusApproved {
					ids = append(ids, q.ID)
				}
			}
			if bookmark = page.Bookmark; bookmark == "" || len(page.Items) == 0 {
				break
			}
		}
	}
	return ids, nil
}

// listen processes the jobs the chaincode's events announce until ctx ends, reconnecting
// after PollEvery when the stream fails or ends.
func (w *Worker) listen(ctx context.Context, p *pool) {
	for {
		events, ack, err := w.events.Events(ctx, w.cfg.CheckpointFile)
		if err != nil {
			w.log.Warn("cannot listen to chaincode events; retrying", "error", err)
		} else {
			for ev := range events {
				w.log.Debug("chaincode event", "event", ev.Name, "block", ev.BlockNumber, "tx", ev.TxID)
				if id, ok := w.jobEvent(ev); ok {
					p.enqueue(ctx, id)
				}
				if err := ack(ev); err != nil {
					w.log.Warn("cannot record the event checkpoint", "error", err)
				}
			}
			if ctx.Err() == nil {
				w.log.Warn("chaincode event stream ended; reconnecting")
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(w.cfg.PollEvery):
		}
	}
}

// jobEvent returns the query ID of an event after which the query's job may be claimed:
// the query was approved, or the job opened again (after an expired lease was dropped or
// after another organisation's result), for a query of the worker's datasets. A payload
// that does not decode, or names a malformed query ID, is no job.
func (w *Worker) jobEvent(ev fabric.Event) (string, bool) {
	var e ledger.Event
	if err := json.Unmarshal(ev.Payload, &e); err != nil {
		w.log.Warn("undecodable chaincode event", "event", ev.Name, "tx", ev.TxID)
		return "", false
	}
	if ledger.ValidateID("query ID", e.QueryID) != nil || e.QueryStatus != ledger.StatusApproved {
		return "", false
	}
	switch e.Name {
	case ledger.EventName(ledger.RecordQuery, ledger.StatusApproved),
		ledger.EventName(ledger.RecordJob, ledger.StatusOpen),
		ledger.EventName(ledger.RecordResult, ledger.StatusRecorded):
	default:
		return "", false
	}
	if len(w.cfg.Datasets) > 0 && !slices.Contains(w.cfg.Datasets, e.DatasetID) {
		return "", false
	}
	return e.QueryID, true
}

// expiryMargin is how long after a lease's expiry Run looks at its job again, for the
// clocks of the worker and of the client whose transaction time decides the expiry.
const expiryMargin = time.Second

// pool runs jobs Config.Concurrency at a time; each query ID is queued at most once.
type pool struct {
	w    *Worker
	work chan string
	done sync.WaitGroup

	mu     sync.Mutex
	closed bool
	timers map[string]*time.Timer // queries to look at again later, one timer each
	firing sync.WaitGroup         // timers enqueueing now
}

func (w *Worker) startPool(ctx context.Context, report func(string, outcome)) *pool {
	p := &pool{w: w, work: make(chan string), timers: map[string]*time.Timer{}}
	for range w.cfg.Concurrency {
		p.done.Go(func() {
			for id := range p.work {
				report(id, w.process(ctx, id))
				w.release(id)
			}
		})
	}
	return p
}

// enqueue hands a query to the pool unless it is queued or running already or waits
// for a retry; it blocks while every job slot is busy. It reports whether the query was
// taken.
func (p *pool) enqueue(ctx context.Context, id string) bool {
	if !p.w.reserve(id) {
		return false
	}
	select {
	case p.work <- id:
		return true
	case <-ctx.Done():
		p.w.release(id)
		return false
	}
}

// at enqueues the query at time t, unless the pool has stopped by then or a timer for
// the query is set already.
func (p *pool) at(ctx context.Context, id string, t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.timers[id] != nil {
		return
	}
	p.timers[id] = time.AfterFunc(time.Until(t), func() {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return
		}
		delete(p.timers, id)
		p.firing.Add(1)
		p.mu.Unlock()
		defer p.firing.Done()
		p.enqueue(ctx, id)
	})
}

// stop cancels the timers and waits for the queued jobs, after the producers stopped.
func (p *pool) stop() {
	p.mu.Lock()
	p.closed = true
	for _, t := range p.timers {
		t.Stop()
	}
	p.mu.Unlock()
	p.firing.Wait()
	close(p.work)
	p.done.Wait()
}

func (w *Worker) reserve(id string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.busy[id] {
		return false
	}
	if r, ok := w.retries[id]; ok && time.Now().Before(r.at) {
		return false
	}
	w.busy[id] = true
	return true
}

func (w *Worker) release(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.busy, id)
}

// backoff records a failure of the job of query id and returns the wait before the next
// attempt.
func (w *Worker) backoff(id string) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := w.retries[id]
	r.failures++
	wait := w.cfg.RetryAfter
	for i := 1; i < r.failures && wait < MaxRetryAfter; i++ {
		wait *= 2
	}
	wait = min(wait, MaxRetryAfter)
	r.at = time.Now().Add(wait)
	w.retries[id] = r
	return wait
}

// forget clears the failures of the job of query id.
func (w *Worker) forget(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.retries, id)
}
