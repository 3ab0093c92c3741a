package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/statledger/statledger/chaincode/ledger"
)

// version is one version of a record from the ledger's history: the transaction that
// wrote it, its time and the record.
type version[T any] struct {
	TxID string
	At   time.Time
	V    T
}

// versions decodes a record's history, oldest first. Fabric returns a key's history in
// block order (newest first); the transactions' timestamps order it here, and ties keep
// the reverse of the peer's order. Deletions and values that do not decode are skipped
// and counted.
func versions[T any](h []ledger.HistoryEntry) ([]version[T], int) {
	out := make([]version[T], 0, len(h))
	bad := 0
	for i := len(h) - 1; i >= 0; i-- {
		e := h[i]
		var v T
		if e.IsDelete || json.Unmarshal(e.Value, &v) != nil {
			bad++
			continue
		}
		out = append(out, version[T]{TxID: e.TxID, At: e.Timestamp, V: v})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, bad
}

// datasetTrail is what the audit read about one dataset.
type datasetTrail struct {
	ds          ledger.Dataset
	dsVersions  []version[ledger.Dataset]
	budgets     []version[ledger.Budget]
	badVersions int
	submissions []ledger.Submission // every period, live and superseded
	key         ledger.CollectiveKey
	keyErr      error
	queries     []*queryTrail // by ID
	checks      []Check
}

// queryTrail is what the audit read about one query.
type queryTrail struct {
	q           ledger.Query
	versions    []version[ledger.Query]
	badVersions int
}

// firstWith returns the first version of the query in status s.
func (qt *queryTrail) firstWith(s ledger.Status) (version[ledger.Query], bool) {
	for _, v := range qt.versions {
		if v.V.Status == s {
			return v, true
		}
	}
	return version[ledger.Query]{}, false
}

// reached reports whether the query was ever in status s.
func (qt *queryTrail) reached(s ledger.Status) bool {
	_, ok := qt.firstWith(s)
	return ok
}

// byTx returns the version the transaction txID wrote, and the one before it.
func (qt *queryTrail) byTx(txID string) (v, prev version[ledger.Query], ok bool) {
	for i, x := range qt.versions {
		if x.TxID == txID {
			if i > 0 {
				prev = qt.versions[i-1]
			}
			return x, prev, true
		}
	}
	return v, prev, false
}

// refunded reports whether the query was cancelled after its approval, and the
// cancelling transaction.
func (qt *queryTrail) refunded() (string, bool) {
	for i, v := range qt.versions {
		if v.V.Status == ledger.StatusCancelled && i > 0 {
			switch qt.versions[i-1].V.Status {
			case ledger.StatusApproved, ledger.StatusDisputed:
				return v.TxID, true
			}
		}
	}
	return "", false
}

// readDataset reads a dataset's history, submissions, collective key and queries with
// their histories.
func (a *Auditor) readDataset(ctx context.Context, ds ledger.Dataset) (*datasetTrail, error) {
	dt := &datasetTrail{ds: ds}
	h, err := a.ledger.GetDatasetHistory(ctx, ds.ID)
	if err != nil {
		return nil, fmt.Errorf("read the history of dataset %s: %w", ds.ID, err)
	}
	var bad int
	dt.dsVersions, dt.badVersions = versions[ledger.Dataset](h.Dataset)
	dt.budgets, bad = versions[ledger.Budget](h.Budget)
	dt.badVersions += bad
	if dt.submissions, err = pages(func(b string) (ledger.Page[ledger.Submission], error) {
		return a.ledger.ListSubmissions(ctx, ds.ID, "", b)
	}); err != nil {
		return nil, fmt.Errorf("list the submissions of dataset %s: %w", ds.ID, err)
	}
	dt.key, dt.keyErr = a.ledger.GetCollectiveKey(ctx, ds.KeyID)
	qs, err := pages(func(b string) (ledger.Page[ledger.Query], error) { return a.ledger.ListQueries(ctx, ds.ID, b) })
	if err != nil {
		return nil, fmt.Errorf("list the queries of dataset %s: %w", ds.ID, err)
	}
	slices.SortFunc(qs, func(x, y ledger.Query) int { return cmpString(x.ID, y.ID) })
	for _, q := range qs {
		qh, err := a.ledger.GetQueryHistory(ctx, q.ID)
		if err != nil {
			return nil, fmt.Errorf("read the history of query %s: %w", q.ID, err)
		}
		qt := &queryTrail{q: q}
		qt.versions, qt.badVersions = versions[ledger.Query](qh)
		dt.queries = append(dt.queries, qt)
	}
	dt.checks = []Check{dt.checkBudget()}
	return dt, nil
}

// report is the dataset's part of the report.
func (dt *datasetTrail) report() DatasetReport {
	r := DatasetReport{DatasetID: dt.ds.ID, Submissions: len(dt.submissions), Checks: dt.checks}
	if n := len(dt.budgets); n > 0 {
		last := dt.budgets[n-1].V
		r.BudgetTotalMicro, r.BudgetSpentMicro = last.TotalMicroEpsilon, last.SpentMicroEpsilon
	}
	return r
}

// atRequest returns the dataset as it was when q was requested: its latest version at
// or before the request.
func (dt *datasetTrail) atRequest(q ledger.Query) (version[ledger.Dataset], bool) {
	var out version[ledger.Dataset]
	found := false
	for _, v := range dt.dsVersions {
		if !v.At.After(q.RequestedAt) {
			out, found = v, true
		}
	}
	return out, found
}

// submission returns the dataset's submission with ID id.
func (dt *datasetTrail) submission(id string) (ledger.Submission, bool) {
	for _, s := range dt.submissions {
		if s.ID == id {
			return s, true
		}
	}
	return ledger.Submission{}, false
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// blobCache keeps the blobs one audit fetched, by digest, so that queries over the same
// submissions read them once. It is safe for concurrent use.
type blobCache struct {
	store Store
	mu    sync.Mutex
	blobs map[string][]byte
}

func newBlobCache(s Store) *blobCache { return &blobCache{store: s, blobs: map[string][]byte{}} }

// Get returns the blob of digest from the cache or else the store.
func (c *blobCache) Get(ctx context.Context, digest string) ([]byte, error) {
	c.mu.Lock()
	b, ok := c.blobs[digest]
	c.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := c.store.Get(ctx, digest)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.blobs[digest] = b
	c.mu.Unlock()
	return b, nil
}
