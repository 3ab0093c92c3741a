package dashboard

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/audit"
)

// snapshot is what one refresh read from the ledger.
type snapshot struct {
	cons     *ledger.Consortium
	datasets map[string]*datasetEntry
	trails   map[string]*trail
}

// refresh reads the records ch names, shows them, audits the queries and datasets they
// touch and shows the audit. It returns the changes it could not read.
func (s *Server) refresh(ctx context.Context, ch changes) changes {
	snap, err := s.read(ctx, ch)
	if err != nil {
		s.metrics.readErrors.Inc()
		s.log.Warn("cannot read the ledger; retrying", "error", err)
		s.mu.Lock()
		s.readErr = err.Error()
		s.mu.Unlock()
		s.publish(nil)
		return ch
	}
	changed := s.apply(ch.all, snap)
	s.publish(changed)

	scopes := auditScopes(ch.all, snap)
	for _, sc := range scopes {
		if ctx.Err() != nil {
			return changes{} // stopping
		}
		if err := s.runAudit(ctx, sc); err != nil && sc == (audit.Scope{}) {
			// One dataset that cannot be audited must not hide the others' audits.
			for _, id := range slices.Sorted(maps.Keys(snap.datasets)) {
				_ = s.runAudit(ctx, audit.Scope{DatasetID: id})
			}
		}
	}
	if len(scopes) > 0 {
		s.publish(changed)
	}
	return changes{}
}

// read reads the records ch names: every record when ch.all is set.
func (s *Server) read(ctx context.Context, ch changes) (snapshot, error) {
	snap := snapshot{datasets: map[string]*datasetEntry{}, trails: map[string]*trail{}}
	if ch.all || ch.consortium {
		c, err := s.ledger.GetConsortium(ctx)
		if err != nil {
			return snap, fmt.Errorf("read the consortium: %w", err)
		}
		snap.cons = &c
	}
	if ch.all {
		return snap, s.readAll(ctx, &snap)
	}
	datasets := maps.Clone(ch.datasets)
	if datasets == nil {
		datasets = map[string]bool{}
	}
	for _, id := range slices.Sorted(maps.Keys(ch.queries)) {
		q, err := s.ledger.GetQuery(ctx, id)
		if errors.Is(err, ledger.ErrNotFound) {
			// An event of a transaction this peer has not committed: cannot happen
			// on the peer that delivered it, so the ID was not a query's.
			continue
		}
		if err != nil {
			return snap, fmt.Errorf("read query %s: %w", id, err)
		}
		tr, err := s.readTrail(ctx, q)
		if err != nil {
			return snap, err
		}
		snap.trails[id] = tr
		datasets[q.DatasetID] = true
	}
	for _, id := range slices.Sorted(maps.Keys(datasets)) {
		ds, err := s.ledger.GetDataset(ctx, id)
		if errors.Is(err, ledger.ErrNotFound) {
			continue
		}
		if err != nil {
			return snap, fmt.Errorf("read dataset %s: %w", id, err)
		}
		e, err := s.readDataset(ctx, ds)
		if err != nil {
			return snap, err
		}
		snap.datasets[id] = e
	}
	return snap, nil
}

// readAll reads every dataset and every query.
func (s *Server) readAll(ctx context.Context, snap *snapshot) error {
	datasets, err := pages(func(bm string) (ledger.Page[ledger.Dataset], error) { return s.ledger.ListDatasets(ctx, bm) })
	if err != nil {
		return fmt.Errorf("list the datasets: %w", err)
	}
	for _, ds := range datasets {
		e, err := s.readDataset(ctx, ds)
		if err != nil {
			return err
		}
		snap.datasets[ds.ID] = e
		queries, err := pages(func(bm string) (ledger.Page[ledger.Query], error) { return s.ledger.ListQueries(ctx, ds.ID, bm) })
		if err != nil {
			return fmt.Errorf("list the queries of dataset %s: %w", ds.ID, err)
		}
		for _, q := range queries {
			tr, err := s.readTrail(ctx, q)
			if err != nil {
				return err
			}
			snap.trails[q.ID] = tr
		}
	}
	return nil
}

func (s *Server) readDataset(ctx context.Context, ds ledger.Dataset) (*datasetEntry, error) {
	b, err := s.ledger.GetBudget(ctx, ds.ID)
	if err != nil {
		return nil, fmt.Errorf("read the budget of dataset %s: %w", ds.ID, err)
	}
	subs, err := pages(func(bm string) (ledger.Page[ledger.Submission], error) {
		return s.ledger.ListSubmissions(ctx, ds.ID, "", bm)
	})
	if err != nil {
		return nil, fmt.Errorf("list the submissions of dataset %s: %w", ds.ID, err)
	}
	return &datasetEntry{dataset: ds, budget: b, subs: subs}, nil
}

func (s *Server) readTrail(ctx context.Context, q ledger.Query) (*trail, error) {
	tr := &trail{query: q}
	var err error
	if tr.results, err = s.ledger.ListResults(ctx, q.ID); err != nil {
		return nil, fmt.Errorf("list the results of query %s: %w", q.ID, err)
	}
	if tr.shares, err = s.ledger.ListDecryptionShares(ctx, q.ID); err != nil {
		return nil, fmt.Errorf("list the decryption shares of query %s: %w", q.ID, err)
	}
	rel, err := s.ledger.GetRelease(ctx, q.ID)
	switch {
	case err == nil:
		tr.release = &rel
	case !errors.Is(err, ledger.ErrNotFound):
		return nil, fmt.Errorf("read the release of query %s: %w", q.ID, err)
	}
	return tr, nil
}

// maxPages bounds a listing, against a peer that keeps returning bookmarks.
const maxPages = 10_000

// pages reads every page of a listing.
func pages[T any](list func(bookmark string) (ledger.Page[T], error)) ([]T, error) {
	var out []T
	bookmark := ""
	for range maxPages {
		p, err := list(bookmark)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Items...)
		if p.Bookmark == "" || len(p.Items) == 0 {
			return out, nil
		}
		bookmark = p.Bookmark
	}
	return nil, fmt.Errorf("more than %d pages", maxPages)
}

// apply puts what a refresh read into the view (replacing it all when all is set),
// marks the audits of changed records stale and returns the IDs of the changed queries.
func (s *Server) apply(all bool, snap snapshot) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readErr = ""
	s.loaded = s.loaded || all
	if snap.cons != nil {
		s.cons = snap.cons
	}
	if all {
		s.datasets, s.trails = map[string]*datasetEntry{}, map[string]*trail{}
	}
	for id, e := range snap.datasets {
		s.datasets[id] = e
		markStale(s.dsAudits, id)
	}
	changed := slices.Sorted(maps.Keys(snap.trails))
	for _, id := range changed {
		s.trails[id] = snap.trails[id]
		markStale(s.audits, id)
	}
	return changed
}

func markStale(m map[string]*auditState, id string) {
	if a, ok := m[id]; ok {
		a.stale = true
	} else {
		m[id] = &auditState{stale: true}
	}
}

// auditScopes are the audits a refresh calls for: the whole ledger after reading it
// all, else each changed query, and each changed dataset none of whose queries changed.
func auditScopes(all bool, snap snapshot) []audit.Scope {
	if all {
		return []audit.Scope{{}}
	}
	var out []audit.Scope
	covered := map[string]bool{}
	for _, id := range slices.Sorted(maps.Keys(snap.trails)) {
		out = append(out, audit.Scope{QueryID: id})
		covered[snap.trails[id].query.DatasetID] = true
	}
	for _, id := range slices.Sorted(maps.Keys(snap.datasets)) {
		if !covered[id] {
			out = append(out, audit.Scope{DatasetID: id})
		}
	}
	return out
}

// runAudit runs one audit and puts its report, or its error, into the view. It returns
// the audit's error.
func (s *Server) runAudit(ctx context.Context, sc audit.Scope) error {
	t0 := time.Now()
	rep, err := s.auditor.Run(ctx, sc)
	s.metrics.auditDuration.Observe(time.Since(t0).Seconds())
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.metrics.audits.WithLabelValues(VerdictError).Inc()
		s.log.Warn("audit failed", "query", sc.QueryID, "dataset", sc.DatasetID, "error", err)
		msg := "the audit could not run: " + err.Error()
		for _, id := range s.scopeQueries(sc) {
			s.audits[id] = &auditState{done: true, at: now, err: msg}
		}
		for id := range s.datasets {
			if sc.QueryID == "" && (sc.DatasetID == "" || sc.DatasetID == id) {
				s.dsAudits[id] = &auditState{done: true, at: now, err: msg}
			}
		}
		return err
	}
	for _, q := range rep.Queries {
		a := &auditState{done: true, at: rep.GeneratedAt, checks: q.Checks, passed: q.Passed}
		s.audits[q.QueryID] = a
		s.metrics.audits.WithLabelValues(a.verdict()).Inc()
	}
	for _, d := range rep.Datasets {
		s.dsAudits[d.DatasetID] = &auditState{done: true, at: rep.GeneratedAt, checks: d.Checks, passed: d.Passed}
	}
	if len(rep.Chain.Peers) > 0 || rep.Chain.Check.Name != "" {
		c := rep.Chain
		s.chain = &c
	}
	s.metrics.failingChecks.Set(float64(s.failingChecks()))
	return nil
}

// scopeQueries are the queries of the view an audit scope covers. Called with s.mu held.
func (s *Server) scopeQueries(sc audit.Scope) []string {
	var out []string
	for id, tr := range s.trails {
		if (sc.QueryID == "" || sc.QueryID == id) && (sc.DatasetID == "" || sc.DatasetID == tr.query.DatasetID) {
			out = append(out, id)
		}
	}
	return out
}

// failingChecks counts the failed checks of the last audits. Called with s.mu held.
func (s *Server) failingChecks() int {
	n := 0
	for _, m := range []map[string]*auditState{s.audits, s.dsAudits} {
		for _, a := range m {
			for _, c := range a.checks {
				if c.Status == audit.StatusFail {
					n++
				}
			}
		}
	}
	if s.chain != nil && s.chain.Check.Status == audit.StatusFail {
		n++
	}
	return n
}
