package dashboard_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/audit"
	"github.com/statledger/statledger/client/dashboard"
	"github.com/statledger/statledger/client/fabric"
	"github.com/statledger/statledger/policies"
)

// fakeLedger is an in-memory ledger. Setting down makes every read fail.
type fakeLedger struct {
	mu       sync.Mutex
	down     error
	reads    int
	cons     ledger.Consortium
	datasets map[string]ledger.Dataset
	budgets  map[string]ledger.Budget
	subs     map[string][]ledger.Submission
	queries  map[string]ledger.Query
	results  map[string][]ledger.Result
	shares   map[string][]ledger.DecryptionShare
	releases map[string]ledger.Release
}

var _ dashboard.Ledger = (*fakeLedger)(nil)

func notFound(what, id string) error { return ledger.Errorf(ledger.CodeNotFound, "no %s %s", what, id) }

func (f *fakeLedger) read() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	return f.down
}

func (f *fakeLedger) setDown(err error) {
	f.mu.Lock()
	f.down = err
	f.mu.Unlock()
}

func (f *fakeLedger) GetConsortium(context.Context) (ledger.Consortium, error) {
	if err := f.read(); err != nil {
		return ledger.Consortium{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cons, nil
}

func (f *fakeLedger) ListDatasets(_ context.Context, bookmark string) (ledger.Page[ledger.Dataset], error) {
	if err := f.read(); err != nil {
		return ledger.Page[ledger.Dataset]{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for id := range f.datasets {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	// One dataset a page, so that the dashboard must follow bookmarks.
	for _, id := range ids {
		if id > bookmark {
			return ledger.Page[ledger.Dataset]{Items: []ledger.Dataset{f.datasets[id]}, Bookmark: id}, nil
		}
	}
	return ledger.Page[ledger.Dataset]{}, nil
}

func (f *fakeLedger) GetDataset(_ context.Context, id string) (ledger.Dataset, error) {
	if err := f.read(); err != nil {
		return ledger.Dataset{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ds, ok := f.datasets[id]
	if !ok {
		return ds, notFound("dataset", id)
	}
	return ds, nil
}

func (f *fakeLedger) GetBudget(_ context.Context, id string) (ledger.Budget, error) {
	if err := f.read(); err != nil {
		return ledger.Budget{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.budgets[id], nil
}

func (f *fakeLedger) ListSubmissions(_ context.Context, datasetID, _, bookmark string) (ledger.Page[ledger.Submission], error) {
	if err := f.read(); err != nil {
		return ledger.Page[ledger.Submission]{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if bookmark != "" {
		return ledger.Page[ledger.Submission]{}, nil
	}
	return ledger.Page[ledger.Submission]{Items: slices.Clone(f.subs[datasetID])}, nil
}

func (f *fakeLedger) ListQueries(_ context.Context, datasetID, bookmark string) (ledger.Page[ledger.Query], error) {
	if err := f.read(); err != nil {
		return ledger.Page[ledger.Query]{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if bookmark != "" {
		return ledger.Page[ledger.Query]{}, nil
	}
	var out []ledger.Query
	for _, q := range f.queries {
		if q.DatasetID == datasetID {
			out = append(out, q)
		}
	}
	return ledger.Page[ledger.Query]{Items: out, Bookmark: "end"}, nil
}

func (f *fakeLedger) GetQuery(_ context.Context, id string) (ledger.Query, error) {
	if err := f.read(); err != nil {
		return ledger.Query{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	q, ok := f.queries[id]
	if !ok {
		return q, notFound("query", id)
	}
	return q, nil
}

func (f *fakeLedger) ListResults(_ context.Context, id string) ([]ledger.Result, error) {
	if err := f.read(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.results[id]), nil
}

func (f *fakeLedger) ListDecryptionShares(_ context.Context, id string) ([]ledger.DecryptionShare, error) {
	if err := f.read(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.shares[id]), nil
}

func (f *fakeLedger) GetRelease(_ context.Context, id string) (ledger.Release, error) {
	if err := f.read(); err != nil {
		return ledger.Release{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.releases[id]
	if !ok {
		return r, notFound("release", id)
	}
	return r, nil
}

// putQuery stores or replaces a query.
func (f *fakeLedger) putQuery(q ledger.Query) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries[q.ID] = q
}

// fakeAuditor passes every check of a released query, leaves later checks of other
// queries pending, and fails the computation check of the queries in failing.
type fakeAuditor struct {
	l       *fakeLedger
	mu      sync.Mutex
	scopes  []audit.Scope
	failing map[string]bool
	err     error
	// broken names datasets whose audit cannot run: any scope covering one fails.
	broken map[string]bool
}

var _ dashboard.Auditor = (*fakeAuditor)(nil)

func (a *fakeAuditor) Run(ctx context.Context, sc audit.Scope) (*audit.Report, error) {
	a.mu.Lock()
	a.scopes = append(a.scopes, sc)
	err := a.err
	failing := a.failing
	a.mu.Unlock()
	if err != nil {
		return nil, err
	}
	a.l.mu.Lock()
	for id := range a.broken {
		if sc.DatasetID == id || sc.QueryID != "" && a.l.queries[sc.QueryID].DatasetID == id || sc == (audit.Scope{}) {
			a.l.mu.Unlock()
			return nil, fmt.Errorf("dataset %s: collective key not found", id)
		}
	}
	a.l.mu.Unlock()
	rep := &audit.Report{Scope: sc, GeneratedAt: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), Passed: true,
		Chain: audit.ChainReport{Blocks: 12, Peers: []audit.PeerChain{{Org: "StatOfficeMSP", Height: 12, TipHash: "ab"}, {Org: "RegulatorMSP", Height: 12, TipHash: "ab"}},
			Check: audit.Check{Name: audit.CheckChain, Status: audit.StatusPass, Detail: "2 peers agree"}}}
	a.l.mu.Lock()
	defer a.l.mu.Unlock()
	for _, q := range a.l.queries {
		if (sc.QueryID != "" && sc.QueryID != q.ID) || (sc.DatasetID != "" && sc.DatasetID != q.DatasetID) {
			continue
		}
		qr := audit.QueryReport{QueryID: q.ID, DatasetID: q.DatasetID, QueryStatus: string(q.Status), Requester: q.Requester, Passed: true}
		for i, name := range audit.QueryChecks {
			st := audit.StatusPass
			if q.Status != ledger.StatusReleased && i >= 3 {
				st = audit.StatusPending
			}
			c := audit.Check{Name: name, Status: st, Detail: string(name) + " checked",
				Evidence: []audit.Evidence{{Kind: "transaction", TxID: q.TxID, Note: "the request"}}}
			if name == audit.CheckComputation && failing[q.ID] {
				c.Status, c.Detail = audit.StatusFail, "worker WorkerMSP posted a wrong output digest"
				qr.Passed, rep.Passed = false, false
				rep.Failures++
			}
			qr.Checks = append(qr.Checks, c)
		}
		rep.Queries = append(rep.Queries, qr)
	}
	for id := range a.l.datasets {
		if sc.DatasetID == "" || sc.DatasetID == id {
			rep.Datasets = append(rep.Datasets, audit.DatasetReport{DatasetID: id, Passed: true,
				Checks: []audit.Check{{Name: audit.CheckBudget, Status: audit.StatusPass, Detail: "the budget adds up"}}})
		}
	}
	return rep, nil
}

// calls returns the scopes audited so far.
func (a *fakeAuditor) calls() []audit.Scope {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.scopes)
}

// fakeEvents is an event stream fed by the test. Setting fail makes Events fail.
type fakeEvents struct {
	ch   chan fabric.Event
	mu   sync.Mutex
	fail error
}

var _ dashboard.Events = (*fakeEvents)(nil)

func (e *fakeEvents) Events(ctx context.Context, _ string) (<-chan fabric.Event, func(fabric.Event) error, error) {
	e.mu.Lock()
	fail := e.fail
	e.mu.Unlock()
	if fail != nil {
		return nil, nil, fail
	}
	out := make(chan fabric.Event)
	go func() {
		defer close(out)
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-e.ch:
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, func(fabric.Event) error { return nil }, nil
}

// The demo world: a consortium, one dataset with two submissions, a released query
// and a pending one.
var (
	t0        = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	datasetID = "admissions-2026"
	released  = "q-released"
	pending   = "q-pending"
)

func tx(n int) string { return fmt.Sprintf("%064x", n) }

func demoLedger() *fakeLedger {
	spec := policies.Query{Statistic: policies.StatCount, GroupBy: []string{"region"}, Epsilon: 500_000}
	rule := policies.ApprovalRule{MinApprovals: 2, ExcludeRequester: true}
	l := &fakeLedger{
		cons: ledger.Consortium{Name: "Health statistics", Threshold: 2, Version: 1, Orgs: []ledger.Org{
			{Name: "StatOffice", MSPID: "StatOfficeMSP", Roles: []ledger.Role{ledger.RoleMember, ledger.RoleAnalyst, ledger.RoleWorker}, KeyHolder: true},
			{Name: "HospitalA", MSPID: "HospitalAMSP", Roles: []ledger.Role{ledger.RoleMember, ledger.RoleProvider}, KeyHolder: true},
			{Name: "Regulator", MSPID: "RegulatorMSP", Roles: []ledger.Role{ledger.RoleAuditor}},
		}},
		datasets: map[string]ledger.Dataset{datasetID: {ID: datasetID, Title: `Admissions <script>alert("x")</script>`, Status: ledger.StatusActive,
			Registrant: "StatOfficeMSP", TxID: tx(1), RegisteredAt: t0}},
		budgets: map[string]ledger.Budget{datasetID: {DatasetID: datasetID, TotalMicroEpsilon: 10_000_000, SpentMicroEpsilon: 2_500_000}},
		subs: map[string][]ledger.Submission{datasetID: {
			{ID: "s-a", DatasetID: datasetID, Period: "2026", Provider: "HospitalAMSP", Records: 20000, Status: ledger.StatusLive, TxID: tx(2), SubmittedAt: t0.Add(time.Minute),
				Ciphertexts: []ledger.Ciphertext{{Digest: tx(100)}}},
		}},
		queries: map[string]ledger.Query{
			released: {ID: released, DatasetID: datasetID, Spec: spec, EpsilonMicro: 500_000, Cells: 5, Rule: rule, RequiredResults: 1,
				Requester: "StatOfficeMSP", Decryptors: []string{"HospitalAMSP", "StatOfficeMSP"}, Status: ledger.StatusReleased,
				Approvals:    []ledger.Approval{{MSPID: "HospitalAMSP", Decision: ledger.DecisionApprove, Reason: "fits", TxID: tx(11), At: t0.Add(3 * time.Minute)}},
				ShareOrgs:    []string{"HospitalAMSP", "StatOfficeMSP"},
				OutputDigest: tx(200), TxID: tx(10), RequestedAt: t0.Add(2 * time.Minute)},
			pending: {ID: pending, DatasetID: datasetID, Spec: spec, EpsilonMicro: 500_000, Cells: 5, Rule: rule, RequiredResults: 1,
				Requester: "StatOfficeMSP", Decryptors: []string{"HospitalAMSP", "StatOfficeMSP"}, Status: ledger.StatusPending,
				TxID: tx(20), RequestedAt: t0.Add(10 * time.Minute)},
		},
		results: map[string][]ledger.Result{released: {{QueryID: released, WorkerMSPID: "StatOfficeMSP", WorkerID: "w1", OutputDigest: tx(200), TxID: tx(12), PostedAt: t0.Add(4 * time.Minute)}}},
		shares: map[string][]ledger.DecryptionShare{released: {
			{QueryID: released, KeyHolder: "StatOfficeMSP", Digest: tx(300), TxID: tx(14), PostedAt: t0.Add(5*time.Minute + time.Second)},
			{QueryID: released, KeyHolder: "HospitalAMSP", Digest: tx(301), TxID: tx(13), PostedAt: t0.Add(5 * time.Minute)},
		}},
		releases: map[string]ledger.Release{released: {QueryID: released, DatasetID: datasetID, Analyst: "StatOfficeMSP", Format: "csv",
			TableDigest: tx(400), Cells: 5, Suppressed: []int{2}, Table: "region,count\nNorth,1200\n", TxID: tx(15), ReleasedAt: t0.Add(6 * time.Minute)}},
	}
	return l
}

var errDown = errors.New("peer0.statoffice:7051 unavailable")
