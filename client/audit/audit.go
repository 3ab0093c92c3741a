package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/compute"
	"github.com/statledger/statledger/client/ledgerapi"
)

// Catalog reads the consortium and its datasets.
type Catalog interface {
	GetConsortium(ctx context.Context) (ledger.Consortium, error)
	GetCollectiveKey(ctx context.Context, keyID string) (ledger.CollectiveKey, error)
	GetDataset(ctx context.Context, datasetID string) (ledger.Dataset, error)
	ListDatasets(ctx context.Context, bookmark string) (ledger.Page[ledger.Dataset], error)
	ListSubmissions(ctx context.Context, datasetID, period, bookmark string) (ledger.Page[ledger.Submission], error)
	ListQueries(ctx context.Context, datasetID, bookmark string) (ledger.Page[ledger.Query], error)
}

// Trail reads what happened to one query.
type Trail interface {
	GetQuery(ctx context.Context, queryID string) (ledger.Query, error)
	ListResults(ctx context.Context, queryID string) ([]ledger.Result, error)
	ListDecryptionShares(ctx context.Context, queryID string) ([]ledger.DecryptionShare, error)
	GetRelease(ctx context.Context, queryID string) (ledger.Release, error)
}

// Histories reads the versions of records, which only auditors and members may.
type Histories interface {
	GetQueryHistory(ctx context.Context, queryID string) ([]ledger.HistoryEntry, error)
	GetDatasetHistory(ctx context.Context, datasetID string) (ledger.DatasetHistory, error)
}

// Ledger is everything the audit reads from the ledger; *ledgerapi.API implements it.
// Errors wrap the *ledger.Error the contract returned (errors.Is(err,
// ledger.ErrNotFound) works).
type Ledger interface {
	Catalog
	Trail
	Histories
}

// Store is the content-addressed blob store the audit reads inputs, shares and
// published tables from; *blobstore.Bucket implements it. The audit calls it from
// several goroutines.
type Store = compute.Store

// Keys gives the collective rotation keys of a collective key, for the re-execution;
// the CLI's key-ceremony source implements it. The audit loads each key once.
type Keys = compute.Keys

// Chain is a comparison of the blocks that several organisations' peers serve (package
// client/chain builds one): its report, and where a transaction is.
type Chain interface {
	// Report returns the comparison: the peers, the blocks compared and their check.
	Report() ChainReport
	// Tx says in which compared block the transaction txID is and whether the peers
	// marked it valid; found is false for a transaction in no compared block.
	Tx(txID string) (block uint64, valid bool, found bool)
}

var (
	_ Ledger = (*ledgerapi.API)(nil)
	_ Store  = (*blobstore.Bucket)(nil)
)

// ErrScope is wrapped by Run's error for a scope that names a malformed ID, or a query
// of another dataset than the one it names.
var ErrScope = errors.New("audit: invalid scope")

// Auditor runs audits. Create one with New. It is safe for concurrent use if its
// Ledger, Store, Keys and Chain are.
type Auditor struct {
	ledger        Ledger
	store         Store
	keys          *compute.KeyCache
	chainFrom     func(context.Context) (Chain, error)
	chainRequired bool
	now           func() time.Time
}

// Option configures an Auditor.
type Option func(*Auditor)

// WithChain gives the audit a comparison of the peers' blocks: every query then gets a
// chain check (every transaction cited as evidence is in a compared block and valid),
// and the report carries the comparison.
func WithChain(c Chain) Option {
	return WithChainFrom(func(context.Context) (Chain, error) { return c, nil })
}

// WithChainFrom is WithChain for a comparison that compare makes when Run has read the
// ledger, so that the blocks compared hold every transaction the audit cites. Run
// returns compare's error.
func WithChainFrom(compare func(ctx context.Context) (Chain, error)) Option {
	return func(a *Auditor) { a.chainFrom = compare }
}

// WithChainRequired says that the caller asked for a comparison of the peers' blocks:
// without one (WithChain), the report's chain check fails ("no peers compared") instead
// of staying pending.
func WithChainRequired() Option { return func(a *Auditor) { a.chainRequired = true } }

// WithClock sets the clock of Report.GeneratedAt (time.Now by default).
func WithClock(now func() time.Time) Option { return func(a *Auditor) { a.now = now } }

// New returns an auditor reading the ledger l and the blob store s, re-executing
// computations with the rotation keys of k. It returns an error when one is nil.
func New(l Ledger, s Store, k Keys, opts ...Option) (*Auditor, error) {
	if l == nil || s == nil || k == nil {
		return nil, errors.New("audit: a ledger, a blob store and a key source are required")
	}
	a := &Auditor{ledger: l, store: s, keys: compute.NewKeyCache(k), now: time.Now}
	for _, o := range opts {
		o(a)
	}
	return a, nil
}

// Run audits the scope: one query (QueryID), one dataset's queries (DatasetID), or every
// dataset's. It reads only. The report lists the datasets concerned (with their budget
// arithmetic) by ID and their queries by dataset and ID, each check with its evidence.
// A failing check is not an error: Run returns an error only when the audit cannot be
// made: an invalid scope (ErrScope), a dataset or query that does not exist (wrapping
// ledger.ErrNotFound), or a ledger that cannot be read.
func (a *Auditor) Run(ctx context.Context, scope Scope) (*Report, error) {
	if err := scope.validate(); err != nil {
		return nil, err
	}
	c, err := a.ledger.GetConsortium(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the consortium: %w", err)
	}
	datasets, only, err := a.scoped(ctx, scope)
	if err != nil {
		return nil, err
	}
	rep := &Report{Scope: scope, GeneratedAt: a.now().UTC(), Datasets: []DatasetReport{}, Queries: []QueryReport{}}
	for _, ds := range datasets {
		// Queries of one dataset mostly run on the same submissions: read each once.
		blobs := newBlobCache(a.store)
		dt, err := a.readDataset(ctx, ds)
		if err != nil {
			return nil, err
		}
		rep.Datasets = append(rep.Datasets, dt.report())
		for _, qt := range dt.queries {
			if only != "" && qt.q.ID != only {
				continue
			}
			rep.Queries = append(rep.Queries, a.auditQuery(ctx, c, dt, qt, blobs))
		}
	}
	var ch Chain
	if a.chainFrom != nil {
		if ch, err = a.chainFrom(ctx); err != nil {
			return nil, fmt.Errorf("compare the peers' blocks: %w", err)
		}
	}
	if ch != nil {
		for i := range rep.Queries {
			rep.Queries[i].Checks = append(rep.Queries[i].Checks, checkChain(ch, rep.Queries[i].Checks))
		}
	}
	rep.Chain = a.chainReport(ch)
	rep.finish()
	return rep, nil
}

func (s Scope) validate() error {
	if s.DatasetID != "" {
		if err := ledger.ValidateID("dataset ID", s.DatasetID); err != nil {
			return fmt.Errorf("%w: %w", ErrScope, err)
		}
	}
	if s.QueryID != "" {
		if err := ledger.ValidateID("query ID", s.QueryID); err != nil {
			return fmt.Errorf("%w: %w", ErrScope, err)
		}
	}
	return nil
}

// scoped returns the datasets the scope covers, by ID, and the one query it is limited
// to ("" for all).
func (a *Auditor) scoped(ctx context.Context, scope Scope) ([]ledger.Dataset, string, error) {
	switch {
	case scope.QueryID != "":
		q, err := a.ledger.GetQuery(ctx, scope.QueryID)
		if err != nil {
			return nil, "", fmt.Errorf("read query %s: %w", scope.QueryID, err)
		}
		if scope.DatasetID != "" && q.DatasetID != scope.DatasetID {
			return nil, "", fmt.Errorf("%w: query %s belongs to dataset %s, not %s", ErrScope, q.ID, q.DatasetID, scope.DatasetID)
		}
		ds, err := a.ledger.GetDataset(ctx, q.DatasetID)
		if err != nil {
			return nil, "", fmt.Errorf("read dataset %s: %w", q.DatasetID, err)
		}
		return []ledger.Dataset{ds}, q.ID, nil
	case scope.DatasetID != "":
		ds, err := a.ledger.GetDataset(ctx, scope.DatasetID)
		if err != nil {
			return nil, "", fmt.Errorf("read dataset %s: %w", scope.DatasetID, err)
		}
		return []ledger.Dataset{ds}, "", nil
	}
	all, err := pages(func(b string) (ledger.Page[ledger.Dataset], error) { return a.ledger.ListDatasets(ctx, b) })
	if err != nil {
		return nil, "", fmt.Errorf("list datasets: %w", err)
	}
	return all, "", nil
}

// pages reads every page of a List transaction.
func pages[T any](list func(bookmark string) (ledger.Page[T], error)) ([]T, error) {
	var all []T
	for bookmark := ""; ; {
		p, err := list(bookmark)
		if err != nil {
			return nil, err
		}
		all = append(all, p.Items...)
		if p.Bookmark == "" || p.Bookmark == bookmark {
			return all, nil
		}
		bookmark = p.Bookmark
	}
}

// chainReport is the report's comparison of the peers' blocks.
func (a *Auditor) chainReport(ch Chain) ChainReport {
	if ch != nil {
		cr := ch.Report()
		cr.Check.Name = CheckChain
		return cr
	}
	if a.chainRequired {
		return ChainReport{Peers: []PeerChain{}, Check: Check{Name: CheckChain, Status: StatusFail, Detail: "no peers compared"}}
	}
	return ChainReport{Peers: []PeerChain{}, Check: Check{Name: CheckChain, Status: StatusPending, Detail: "no peers compared (not requested)"}}
}

// finish computes the verdicts: a query or dataset passes when none of its checks
// fails, and the report when nothing fails.
func (r *Report) finish() {
	r.Failures = 0
	for i := range r.Datasets {
		n := failures(r.Datasets[i].Checks)
		r.Datasets[i].Passed = n == 0
		r.Failures += n
	}
	for i := range r.Queries {
		n := failures(r.Queries[i].Checks)
		r.Queries[i].Passed = n == 0
		r.Failures += n
	}
	if r.Chain.Check.Status == StatusFail {
		r.Failures++
	}
	r.Passed = r.Failures == 0
}

func failures(cs []Check) int {
	n := 0
	for _, c := range cs {
		if c.Status == StatusFail {
			n++
		}
	}
	return n
}
