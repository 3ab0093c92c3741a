package audit_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/audit"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/compute"
	"github.com/statledger/statledger/client/release"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/encrypt"
	"github.com/statledger/statledger/crypto/params"
	"github.com/statledger/statledger/crypto/params/paramstest"
	"github.com/statledger/statledger/policies"
)

const (
	stat  = "StatOfficeMSP"
	hosA  = "HospitalAMSP"
	hosB  = "HospitalBMSP"
	reg   = "RegulatorMSP"
	keyID = "key-1"
)

var testSet = paramstest.Set

// testKeys returns the shared test keys (paramstest.Keys) without the secret key.
func testKeys() (*rlwe.PublicKey, *rlwe.MemEvaluationKeySet) {
	_, pk, evk := paramstest.Keys()
	return pk, evk
}

// keySource serves the test's rotation keys under keyID.
type keySource struct{}

func (keySource) EvaluationKeys(_ context.Context, id string) (*params.Set, *rlwe.MemEvaluationKeySet, error) {
	if id != keyID {
		return nil, nil, fmt.Errorf("no key %s", id)
	}
	_, evk := testKeys()
	return testSet, evk, nil
}

// memStore is a blob store that does NOT check what it returns, so that the audit's own
// hashing is what catches an altered blob. Tests alter blobs in place.
type memStore struct {
	mu    sync.Mutex
	blobs map[string][]byte
}

func (s *memStore) Get(_ context.Context, digest string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.blobs[digest]
	if !ok {
		return nil, fmt.Errorf("get blob %s: %w", digest, blobstore.ErrNotFound)
	}
	return slices.Clone(b), nil
}

func (s *memStore) put(b []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := blobstore.Digest(b)
	s.blobs[d] = slices.Clone(b)
	return d
}

// flip alters one byte of the blob stored under digest.
func (s *memStore) flip(digest string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blobs[digest][len(s.blobs[digest])/2] ^= 1
}

func (s *memStore) remove(digest string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.blobs, digest)
}

// fakeLedger holds records and their histories as the chaincode writes them; it answers
// the audit's reads, histories newest first as Fabric does.
type fakeLedger struct {
	c        ledger.Consortium
	keys     map[string]ledger.CollectiveKey
	datasets map[string]ledger.Dataset
	budgets  map[string]ledger.Budget
	subs     []ledger.Submission
	queries  map[string]ledger.Query
	qhist    map[string][]ledger.HistoryEntry
	dhist    map[string]*ledger.DatasetHistory
	results  map[string][]ledger.Result
	shares   map[string][]ledger.DecryptionShare
	releases map[string]ledger.Release
}

var _ audit.Ledger = (*fakeLedger)(nil)

func notFound(what, id string) error {
	return ledger.Errorf(ledger.CodeNotFound, "%s %s does not exist", what, id)
}

func entry(txID string, at time.Time, v any) ledger.HistoryEntry {
	b, _ := json.Marshal(v)
	return ledger.HistoryEntry{TxID: txID, Timestamp: at, Value: b}
}

func newest(h []ledger.HistoryEntry) []ledger.HistoryEntry {
	out := slices.Clone(h)
	slices.Reverse(out)
	return out
}

func (l *fakeLedger) putQuery(q ledger.Query, txID string, at time.Time) {
	l.queries[q.ID] = q
	l.qhist[q.ID] = append(l.qhist[q.ID], entry(txID, at, q))
}

func (l *fakeLedger) putDataset(ds ledger.Dataset, txID string, at time.Time) {
	l.datasets[ds.ID] = ds
	h := l.dhist[ds.ID]
	if h == nil {
		h = &ledger.DatasetHistory{}
		l.dhist[ds.ID] = h
	}
	h.Dataset = append(h.Dataset, entry(txID, at, ds))
}

func (l *fakeLedger) putBudget(b ledger.Budget, txID string, at time.Time) {
	l.budgets[b.DatasetID] = b
	h := l.dhist[b.DatasetID]
	h.Budget = append(h.Budget, entry(txID, at, b))
}

func (l *fakeLedger) GetConsortium(context.Context) (ledger.Consortium, error) { return l.c, nil }

func (l *fakeLedger) GetCollectiveKey(_ context.Context, id string) (ledger.CollectiveKey, error) {
	k, ok := l.keys[id]
	if !ok {
		return k, notFound("collective key", id)
	}
	return k, nil
}

func (l *fakeLedger) GetDataset(_ context.Context, id string) (ledger.Dataset, error) {
	ds, ok := l.datasets[id]
	if !ok {
		return ds, notFound("dataset", id)
	}
	return ds, nil
}

// onePerPage pages lists one item at a time, so that the audit must follow bookmarks.
func onePerPage[T any](all []T, bookmark string) ledger.Page[T] {
	i := 0
	if bookmark != "" {
		i, _ = strconv.Atoi(bookmark)
	}
	if i >= len(all) {
		return ledger.Page[T]{Items: []T{}}
	}
	p := ledger.Page[T]{Items: all[i : i+1]}
	if i+1 < len(all) {
		p.Bookmark = strconv.Itoa(i + 1)
	}
	return p
}

func (l *fakeLedger) ListDatasets(_ context.Context, bookmark string) (ledger.Page[ledger.Dataset], error) {
	var all []ledger.Dataset
	for _, ds := range l.datasets {
		all = append(all, ds)
	}
	slices.SortFunc(all, func(a, b ledger.Dataset) int { return compare(a.ID, b.ID) })
	return onePerPage(all, bookmark), nil
}

func (l *fakeLedger) ListSubmissions(_ context.Context, datasetID, period, bookmark string) (ledger.Page[ledger.Submission], error) {
	var all []ledger.Submission
	for _, s := range l.subs {
		if s.DatasetID == datasetID && (period == "" || s.Period == period) {
			all = append(all, s)
		}
	}
	return onePerPage(all, bookmark), nil
}

func (l *fakeLedger) ListQueries(_ context.Context, datasetID, bookmark string) (ledger.Page[ledger.Query], error) {
	var all []ledger.Query
	for _, q := range l.queries {
		if q.DatasetID == datasetID {
			all = append(all, q)
		}
	}
	slices.SortFunc(all, func(a, b ledger.Query) int { return compare(a.ID, b.ID) })
	return onePerPage(all, bookmark), nil
}

func (l *fakeLedger) GetQuery(_ context.Context, id string) (ledger.Query, error) {
	q, ok := l.queries[id]
	if !ok {
		return q, notFound("query", id)
	}
	return q, nil
}

func (l *fakeLedger) ListResults(_ context.Context, id string) ([]ledger.Result, error) {
	return slices.Clone(l.results[id]), nil
}

func (l *fakeLedger) ListDecryptionShares(_ context.Context, id string) ([]ledger.DecryptionShare, error) {
	return slices.Clone(l.shares[id]), nil
}

func (l *fakeLedger) GetRelease(_ context.Context, id string) (ledger.Release, error) {
	r, ok := l.releases[id]
	if !ok {
		return r, notFound("release of query", id)
	}
	return r, nil
}

func (l *fakeLedger) GetQueryHistory(_ context.Context, id string) ([]ledger.HistoryEntry, error) {
	if _, ok := l.queries[id]; !ok {
		return nil, notFound("query", id)
	}
	return newest(l.qhist[id]), nil
}

func (l *fakeLedger) GetDatasetHistory(_ context.Context, id string) (ledger.DatasetHistory, error) {
	h, ok := l.dhist[id]
	if !ok {
		return ledger.DatasetHistory{}, notFound("dataset", id)
	}
	return ledger.DatasetHistory{Dataset: newest(h.Dataset), Budget: newest(h.Budget)}, nil
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// world is a consortium with one dataset, encrypted submissions of both hospitals in a
// blob store, and the means to take queries through every step with the ledger's own
// rules.
type world struct {
	t      *testing.T
	l      *fakeLedger
	store  *memStore
	layout *cube.Layout
	ds     ledger.Dataset
	tx     int
	clock  time.Time
}

func testSchema() policies.Schema {
	return policies.Schema{
		Dimensions: []policies.Dimension{
			{Name: "region", Codes: []string{"R1", "R2", "R3", "R4"}},
			{Name: "sex", Codes: []string{"F", "M"}},
		},
		Measures: []policies.Measure{{Name: "stay", Min: 0, Max: 60}},
	}
}

func testPolicy(edit func(*policies.Policy)) policies.Policy {
	p := policies.Policy{
		AllowedDimensions: []string{"region", "sex"},
		AllowedStatistics: []policies.Statistic{policies.StatCount, policies.StatSum},
		MaxOutputCells:    8, EpsilonPerQuery: 500_000, EpsilonTotal: 2_000_000, Delta: "1e-9",
		MinSubmissions: 1, MaxRecordsPerSubmission: 1000, MaxSubmissions: 4, MinCellCount: 5, RequiredResults: 1,
		NoiseOff: false, Approval: policies.ApprovalRule{MinApprovals: 2, ExcludeRequester: true},
	}
	if edit != nil {
		edit(&p)
	}
	return p
}

func consortium() ledger.Consortium {
	return ledger.Consortium{Name: "test", Threshold: 2, Version: 1, Orgs: []ledger.Org{
		{Name: "StatOffice", MSPID: stat, Roles: []ledger.Role{ledger.RoleMember, ledger.RoleAnalyst, ledger.RoleWorker}, KeyHolder: true},
		{Name: "HospitalA", MSPID: hosA, Roles: []ledger.Role{ledger.RoleMember, ledger.RoleProvider}, KeyHolder: true},
		{Name: "HospitalB", MSPID: hosB, Roles: []ledger.Role{ledger.RoleMember, ledger.RoleProvider, ledger.RoleWorker}, KeyHolder: true},
		{Name: "Regulator", MSPID: reg, Roles: []ledger.Role{ledger.RoleAuditor}},
	}}
}

func (w *world) next() (string, time.Time) {
	w.tx++
	w.clock = w.clock.Add(time.Second)
	return fmt.Sprintf("tx%03d", w.tx), w.clock
}

// newWorld registers the dataset (policy edited by edit) and has each hospital submit
// one encrypted cube for period 2026.
func newWorld(t *testing.T, edit func(*policies.Policy)) *world {
	t.Helper()
	c := consortium()
	w := &world{t: t, store: &memStore{blobs: map[string][]byte{}}, clock: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		l: &fakeLedger{c: c, keys: map[string]ledger.CollectiveKey{}, datasets: map[string]ledger.Dataset{}, budgets: map[string]ledger.Budget{},
			queries: map[string]ledger.Query{}, qhist: map[string][]ledger.HistoryEntry{}, dhist: map[string]*ledger.DatasetHistory{},
			results: map[string][]ledger.Result{}, shares: map[string][]ledger.DecryptionShare{}, releases: map[string]ledger.Release{}}}
	tx, at := w.next()
	key, err := ledger.NewCollectiveKey(c, ledger.CollectiveKeyInput{ID: keyID, ParamSetID: testSet.Name(), PublicKeyDigest: blobstore.Digest([]byte("pk")),
		TranscriptDigests: []string{blobstore.Digest([]byte("t"))}, Participants: []string{stat, hosA, hosB}, Threshold: 2}, false, hosA, tx, at)
	require.NoError(t, err)
	w.l.keys[keyID] = key
	tx, at = w.next()
	ds, b, err := ledger.NewDataset(ledger.DatasetInput{ID: "admissions", Title: "Admissions", KeyID: keyID, ParamSetID: testSet.Name(),
		Schema: testSchema(), Policy: testPolicy(edit)}, false, &key, stat, tx, at)
	require.NoError(t, err)
	w.l.putDataset(ds, tx, at)
	w.l.putBudget(b, tx, at)
	w.ds = ds
	w.layout, err = cube.NewLayout(testSchema(), testSet.RowSlots())
	require.NoError(t, err)
	w.submit(hosA, 1)
	w.submit(hosB, 2)
	return w
}

// submit encrypts a random cube of provider and records it as its live submission for
// period 2026, superseding its previous one.
func (w *world) submit(provider string, seed uint64) ledger.Submission {
	t := w.t
	pk, _ := testKeys()
	enc, err := encrypt.New(testSet, w.layout, pk)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(seed, 17))
	c := w.layout.NewCube(testSet.MaxAggregate())
	n := 100 + rng.IntN(100)
	for range n {
		require.NoError(t, c.Add([]int{rng.IntN(4), rng.IntN(2)}, []int64{rng.Int64N(61)}))
	}
	blob, err := enc.Encrypt(c)
	require.NoError(t, err)
	d := w.store.put(blob)
	var prev *ledger.Submission
	for i, s := range w.l.subs {
		if s.Provider == provider && s.Status == ledger.StatusLive {
			prev = &w.l.subs[i]
		}
	}
	tx, at := w.next()
	s, old, err := ledger.NewSubmission(w.l.c, w.ds, ledger.SubmissionInput{DatasetID: w.ds.ID, Period: "2026", ParamSetID: testSet.Name(), Records: int64(n),
		Ciphertexts: []ledger.Ciphertext{{Digest: d, Size: int64(len(blob)), URI: "mem://" + d}}}, prev, func(string) string { return "" }, provider, ledger.SubmissionID(tx), tx, at)
	require.NoError(t, err)
	if old != nil {
		*prev = *old
	}
	w.l.subs = append(w.l.subs, s)
	return s
}

func countByRegion() policies.Query {
	return policies.Query{Statistic: policies.StatCount, GroupBy: []string{"region"}, Epsilon: 500_000}
}

func (w *world) request(key string, spec policies.Query) ledger.Query {
	tx, at := w.next()
	live := 0
	for _, s := range w.l.subs {
		if s.Status == ledger.StatusLive {
			live++
		}
	}
	q, err := ledger.NewQuery(w.l.c, w.ds, w.l.budgets[w.ds.ID], live, ledger.QueryInput{IdempotencyKey: key, DatasetID: w.ds.ID, Spec: spec,
		AnalystKeyDigest: blobstore.Digest([]byte("analyst")), AnalystKeyURI: "mem://analyst", Decryptors: []string{hosA, stat}}, stat, ledger.QueryID(stat, key), tx, at)
	require.NoError(w.t, err)
	w.l.putQuery(q, tx, at)
	return q
}

func (w *world) approve(q ledger.Query, by ...string) ledger.Query {
	for _, org := range by {
		tx, at := w.next()
		var live []ledger.LiveSubmission
		for _, s := range w.l.subs {
			if s.Status == ledger.StatusLive {
				live = append(live, s.Live())
			}
		}
		var err error
		var b *ledger.Budget
		q, b, _, err = ledger.ApplyApproval(w.l.c, q, org, "ok", tx, at, func() (ledger.ApprovalInputs, error) {
			return ledger.ApprovalInputs{Dataset: w.ds, Budget: w.l.budgets[w.ds.ID], Live: live}, nil
		})
		require.NoError(w.t, err)
		w.l.putQuery(q, tx, at)
		if b != nil {
			w.l.putBudget(*b, tx, at)
		}
	}
	return q
}

// rightDigest is the output digest of q computed by the worker's own code.
func (w *world) rightDigest(q ledger.Query) string {
	ctx := context.Background()
	task, err := compute.Prepare(ctx, keySource{}, w.ds, q)
	require.NoError(w.t, err)
	in, _, err := compute.Fetch(ctx, w.store, q.InputDigests)
	require.NoError(w.t, err)
	res, err := task.Run(in)
	require.NoError(w.t, err)
	return hex.EncodeToString(res.Digest[:])
}

// result has a worker of org claim the job and post output digest (the right one when
// empty).
func (w *world) result(q ledger.Query, org, digest string) ledger.Query {
	if digest == "" {
		digest = w.rightDigest(q)
	}
	job := ledger.NewJob(q, w.clock)
	for _, r := range w.l.results[q.ID] {
		job.ResultOrgs = append(job.ResultOrgs, r.WorkerMSPID)
		job.OutputDigest = r.OutputDigest
	}
	tx, at := w.next()
	job, err := ledger.ClaimJob(w.l.c, q, job, org, "w1", 60, tx, at)
	require.NoError(w.t, err)
	tx, at = w.next()
	q, _, r, err := ledger.ApplyResult(q, job, ledger.ResultInput{QueryID: q.ID, InputDigests: q.InputDigests, OutputDigest: digest, OutputURI: "mem://" + digest, OutputSize: 100}, org, "w1", tx, at)
	require.NoError(w.t, err)
	w.l.putQuery(q, tx, at)
	w.l.results[q.ID] = append(w.l.results[q.ID], r)
	return q
}

// share has each decryptor of q post a share blob.
func (w *world) share(q ledger.Query, by ...string) ledger.Query {
	for _, org := range by {
		blob := []byte("decryption share of " + org + " for " + q.ID)
		d := w.store.put(blob)
		tx, at := w.next()
		var s ledger.DecryptionShare
		var err error
		q, s, err = ledger.ApplyShare(q, ledger.ShareInput{QueryID: q.ID, Digest: d, URI: "mem://" + d, Size: int64(len(blob))}, false, org, tx, at)
		require.NoError(w.t, err)
		w.l.putQuery(q, tx, at)
		w.l.shares[q.ID] = append(w.l.shares[q.ID], s)
	}
	return q
}

// table is the published table of a count-by-region query with region R4 suppressed.
func (w *world) table(q ledger.Query) *release.Table {
	tab, err := release.New(release.Input{DatasetID: w.ds.ID, QueryID: q.ID, Schema: w.ds.Schema, Policy: w.ds.Policy, Query: q.Spec, Cells: []release.Cell{
		{Codes: []string{"R1"}, Count: 60}, {Codes: []string{"R2"}, Count: 50}, {Codes: []string{"R3"}, Count: 40}, {Codes: []string{"R4"}, Count: 3}}})
	require.NoError(w.t, err)
	return tab
}

// release publishes the table in the store and records the release as the analyst does.
func (w *world) release(q ledger.Query) ledger.Query {
	tab := w.table(q)
	d := w.store.put(tab.Canonical())
	in := ledger.ReleaseInput{QueryID: q.ID, Format: ledger.FormatJSON, TableDigest: d, TableURI: "mem://sha256/" + d[:2] + "/" + d, Suppressed: tab.Suppressed()}
	if w.ds.Policy.PublicReleases {
		in.Table = string(tab.Canonical())
	}
	tx, at := w.next()
	q, r, err := ledger.ApplyRelease(q, w.ds.Policy.PublicReleases, in, stat, tx, at)
	require.NoError(w.t, err)
	w.l.putQuery(q, tx, at)
	w.l.releases[q.ID] = r
	return q
}

// released takes a count-by-region query from request to release.
func (w *world) released(key string) ledger.Query {
	q := w.request(key, countByRegion())
	q = w.approve(q, hosA, hosB)
	q = w.result(q, stat, "")
	q = w.share(q, hosA, stat)
	return w.release(q)
}

func (w *world) auditor(opts ...audit.Option) *audit.Auditor {
	a, err := audit.New(w.l, w.store, keySource{}, append([]audit.Option{audit.WithClock(func() time.Time { return time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) })}, opts...)...)
	require.NoError(w.t, err)
	return a
}

func (w *world) run(scope audit.Scope, opts ...audit.Option) *audit.Report {
	rep, err := w.auditor(opts...).Run(context.Background(), scope)
	require.NoError(w.t, err)
	return rep
}

// check returns the check name of query id in the report.
func check(t *testing.T, rep *audit.Report, queryID string, name audit.CheckName) audit.Check {
	t.Helper()
	for _, q := range rep.Queries {
		if q.QueryID != queryID {
			continue
		}
		for _, c := range q.Checks {
			if c.Name == name {
				return c
			}
		}
	}
	t.Fatalf("no check %s of query %s in the report", name, queryID)
	return audit.Check{}
}

// requireNames asserts that some evidence of c names the record id (when not empty)
// and the organisation org (when not empty).
func requireNames(t *testing.T, c audit.Check, id, org string) {
	t.Helper()
	for _, e := range c.Evidence {
		if (id == "" || e.ID == id || e.TxID == id) && (org == "" || e.Org == org) {
			return
		}
	}
	t.Fatalf("the %s check names no evidence of %q / %q: %+v", c.Name, id, org, c.Evidence)
}
