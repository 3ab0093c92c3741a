package worker_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/fabric"
	"github.com/statledger/statledger/client/worker"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/encrypt"
	"github.com/statledger/statledger/crypto/eval"
	"github.com/statledger/statledger/crypto/params"
	"github.com/statledger/statledger/crypto/params/paramstest"
	"github.com/statledger/statledger/policies"
)

const (
	workerMSP = "StatOfficeMSP"
	otherMSP  = "OtherMSP"
	keyID     = "key-1"
)

var testSet = paramstest.Set

// fakeLedger is an in-memory ledger that applies the real job rules of package ledger
// (claims, leases, results) with the real clock. Hooks let tests interfere.
type fakeLedger struct {
	mu         sync.Mutex
	consortium ledger.Consortium
	datasets   map[string]ledger.Dataset
	queries    map[string]ledger.Query
	jobs       map[string]ledger.Job
	results    []ledger.Result
	renewals   int
	tx         int

	// beforeClaim, if set, runs (without the lock) before each claim.
	beforeClaim func(queryID string)
	// unreadable is the number of GetJob calls still to fail.
	unreadable int
}

func newFakeLedger() *fakeLedger {
	return &fakeLedger{
		consortium: ledger.Consortium{Name: "test", Threshold: 1, Orgs: []ledger.Org{
			{Name: "StatOffice", MSPID: workerMSP, Roles: []ledger.Role{ledger.RoleMember, ledger.RoleAnalyst, ledger.RoleWorker}, KeyHolder: true},
			{Name: "Other", MSPID: otherMSP, Roles: []ledger.Role{ledger.RoleWorker}},
		}},
		datasets: map[string]ledger.Dataset{},
		queries:  map[string]ledger.Query{},
		jobs:     map[string]ledger.Job{},
	}
}

func (l *fakeLedger) txID() string {
	l.tx++
	return "tx" + strconv.Itoa(l.tx)
}

// as returns the ledger as seen by the identity (mspID, id).
func (l *fakeLedger) as(mspID, id string) *fakeClient {
	return &fakeClient{l: l, caller: ledger.Caller{MSPID: mspID, ID: id, Roles: l.consortium.CallerRoles(mspID, "", false)}}
}

func (l *fakeLedger) addDataset(ds ledger.Dataset) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.datasets[ds.ID] = ds
}

// approve adds an approved query on the dataset with the frozen input digests, and its
// open job.
func (l *fakeLedger) approve(id, datasetID string, spec policies.Query, digests []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := slices.Clone(digests)
	slices.Sort(d)
	q := ledger.Query{ID: id, DatasetID: datasetID, Spec: spec, Status: ledger.StatusApproved, RequiredResults: 1, InputDigests: d}
	l.queries[id] = q
	l.jobs[id] = ledger.NewJob(q, time.Now())
}

func (l *fakeLedger) job(id string) ledger.Job {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.jobs[id]
}

func (l *fakeLedger) posted() []ledger.Result {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.results)
}

func (l *fakeLedger) renewed() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.renewals
}

// fakeClient is the fake ledger as one identity; it implements worker.Ledger.
type fakeClient struct {
	l      *fakeLedger
	caller ledger.Caller
}

var _ worker.Ledger = (*fakeClient)(nil)

func notFound(what, id string) error {
	return ledger.Errorf(ledger.CodeNotFound, "%s %s does not exist", what, id)
}

func (c *fakeClient) GetCaller(context.Context) (ledger.Caller, error) { return c.caller, nil }

func (c *fakeClient) ListDatasets(_ context.Context, bookmark string) (ledger.Page[ledger.Dataset], error) {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	var all []ledger.Dataset
	for _, ds := range c.l.datasets {
		all = append(all, ds)
	}
	slices.SortFunc(all, func(a, b ledger.Dataset) int { return cmpString(a.ID, b.ID) })
	return page(all, bookmark), nil
}

func (c *fakeClient) ListQueries(_ context.Context, datasetID, bookmark string) (ledger.Page[ledger.Query], error) {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	var all []ledger.Query
	for _, q := range c.l.queries {
		if q.DatasetID == datasetID {
			all = append(all, q)
		}
	}
	slices.SortFunc(all, func(a, b ledger.Query) int { return cmpString(a.ID, b.ID) })
	return page(all, bookmark), nil
}

// page returns pages of two items, so that scans must follow bookmarks.
func page[T any](all []T, bookmark string) ledger.Page[T] {
	start := 0
	if bookmark != "" {
		start, _ = strconv.Atoi(bookmark)
	}
	end := min(start+2, len(all))
	p := ledger.Page[T]{Items: all[start:end]}
	if end < len(all) {
		p.Bookmark = strconv.Itoa(end)
	}
	return p
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

func (c *fakeClient) GetJob(_ context.Context, queryID string) (ledger.Job, error) {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	if c.l.unreadable > 0 {
		c.l.unreadable--
		return ledger.Job{}, errors.New("no peer answers")
	}
	j, ok := c.l.jobs[queryID]
	if !ok {
		return j, notFound("job", queryID)
	}
	return j, nil
}

func (c *fakeClient) GetQuery(_ context.Context, queryID string) (ledger.Query, error) {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	q, ok := c.l.queries[queryID]
	if !ok {
		return q, notFound("query", queryID)
	}
	return q, nil
}

func (c *fakeClient) GetDataset(_ context.Context, datasetID string) (ledger.Dataset, error) {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	ds, ok := c.l.datasets[datasetID]
	if !ok {
		return ds, notFound("dataset", datasetID)
	}
	return ds, nil
}

func (c *fakeClient) ClaimJob(_ context.Context, queryID string, leaseSeconds int) (ledger.Job, error) {
	if c.l.beforeClaim != nil {
		c.l.beforeClaim(queryID)
	}
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	q, ok := c.l.queries[queryID]
	if !ok {
		return ledger.Job{}, notFound("query", queryID)
	}
	job, err := ledger.ClaimJob(c.l.consortium, q, c.l.jobs[queryID], c.caller.MSPID, c.caller.ID, leaseSeconds, c.l.txID(), time.Now())
	if err != nil {
		return job, err
	}
	c.l.jobs[queryID] = job
	return job, nil
}

func (c *fakeClient) RenewLease(_ context.Context, queryID string, leaseSeconds int) (ledger.Job, error) {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	job, err := ledger.RenewLease(c.l.queries[queryID], c.l.jobs[queryID], c.caller.MSPID, c.caller.ID, leaseSeconds, time.Now())
	if err != nil {
		return job, err
	}
	c.l.renewals++
	c.l.jobs[queryID] = job
	return job, nil
}

func (c *fakeClient) PostResult(_ context.Context, in ledger.ResultInput) (ledger.Result, error) {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	q, job, r, err := ledger.ApplyResult(c.l.queries[in.QueryID], c.l.jobs[in.QueryID], in, c.caller.MSPID, c.caller.ID, c.l.txID(), time.Now())
	if err != nil {
		return r, err
	}
	c.l.queries[q.ID], c.l.jobs[q.ID] = q, job
	c.l.results = append(c.l.results, r)
	return r, nil
}

// store wraps a real in-memory blob store; hooks may fail, delay or tamper with reads.
type store struct {
	*blobstore.Bucket
	mu     sync.Mutex
	onGet  func(ctx context.Context, digest string, data []byte) ([]byte, error)
	gets   int
	putted []string
}

func newStore(t testing.TB) *store {
	b, err := blobstore.Open(context.Background(), "mem://")
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return &store{Bucket: b}
}

func (s *store) Get(ctx context.Context, digest string) ([]byte, error) {
	data, err := s.Bucket.Get(ctx, digest)
	s.mu.Lock()
	s.gets++
	hook := s.onGet
	s.mu.Unlock()
	if err != nil || hook == nil {
		return data, err
	}
	return hook(ctx, digest, data)
}

func (s *store) Put(ctx context.Context, data []byte) (string, error) {
	d, err := s.Bucket.Put(ctx, data)
	s.mu.Lock()
	s.putted = append(s.putted, d)
	s.mu.Unlock()
	return d, err
}

func (s *store) setOnGet(f func(ctx context.Context, digest string, data []byte) ([]byte, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onGet = f
}

func (s *store) puts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.putted)
}

// keySource serves the in-process rotation keys of keyID; panics, if set, panics.
type keySource struct {
	evk    *rlwe.MemEvaluationKeySet
	panics bool
}

func (k *keySource) EvaluationKeys(_ context.Context, id string) (*params.Set, *rlwe.MemEvaluationKeySet, error) {
	if k.panics {
		panic("key source exploded")
	}
	if id != keyID {
		return nil, nil, fmt.Errorf("no key %s", id)
	}
	return testSet, k.evk, nil
}

// events is a fake event stream fed by the test; it records acknowledgements.
type events struct {
	ch    chan fabric.Event
	mu    sync.Mutex
	acked []string
	file  string
}

func (e *events) Events(ctx context.Context, checkpointFile string) (<-chan fabric.Event, func(fabric.Event) error, error) {
	e.mu.Lock()
	e.file = checkpointFile
	e.mu.Unlock()
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
	return out, func(ev fabric.Event) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.acked = append(e.acked, ev.TxID)
		return nil
	}, nil
}

func (e *events) acks() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.acked)
}

// world is a dataset with real encrypted submissions of three providers in a blob
// store, the keys to evaluate and decrypt, and the plaintext truth.
type world struct {
	ledger  *fakeLedger
	store   *store
	keys    *keySource
	sk      *rlwe.SecretKey
	layout  *cube.Layout
	total   *cube.Cube
	digests []string
	dataset ledger.Dataset
}

// testKeys are one party's keys (paramstest.Keys): single-party encryption stands in for
// the ceremony's collective key; evaluation is the same.
func testKeys() (*rlwe.SecretKey, *rlwe.PublicKey, *rlwe.MemEvaluationKeySet) {
	return paramstest.Keys()
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

func newWorld(t testing.TB) *world {
	sk, pk, evk := testKeys()
	l, err := cube.NewLayout(testSchema(), testSet.RowSlots())
	require.NoError(t, err)
	enc, err := encrypt.New(testSet, l, pk)
	require.NoError(t, err)
	w := &world{ledger: newFakeLedger(), store: newStore(t), keys: &keySource{evk: evk}, sk: sk, layout: l, total: l.NewCube(testSet.MaxAggregate())}
	rng := rand.New(rand.NewPCG(7, 11))
	for range 3 {
		c := l.NewCube(testSet.MaxAggregate())
		for range 100 + rng.IntN(100) {
			require.NoError(t, c.Add([]int{rng.IntN(4), rng.IntN(2)}, []int64{rng.Int64N(61)}))
		}
		require.NoError(t, w.total.Merge(c))
		blob, err := enc.Encrypt(c)
		require.NoError(t, err)
		d, err := w.store.Bucket.Put(context.Background(), blob)
		require.NoError(t, err)
		w.digests = append(w.digests, d)
	}
	w.dataset = ledger.Dataset{ID: "admissions", KeyID: keyID, ParamSetID: testSet.Name(), Schema: testSchema(), Status: ledger.StatusActive}
	w.ledger.addDataset(w.dataset)
	return w
}

func countByRegion() policies.Query {
	return policies.Query{Statistic: policies.StatCount, GroupBy: []string{"region"}}
}

// newWorker returns a worker of StatOffice (identity "w1") over the world.
func (w *world) newWorker(t testing.TB, cfg worker.Config, opts ...worker.Option) *worker.Worker {
	return w.newWorkerAs(t, workerMSP, "w1", cfg, opts...)
}

func (w *world) newWorkerAs(t testing.TB, mspID, id string, cfg worker.Config, opts ...worker.Option) *worker.Worker {
	t.Helper()
	wk, err := worker.New(cfg, w.ledger.as(mspID, id), w.store, w.keys, opts...)
	require.NoError(t, err)
	return wk
}

// requireExact decrypts the posted result of a count-by-region query and checks every
// cell against the plaintext sum of the providers' cubes.
func (w *world) requireExact(t testing.TB, r ledger.Result) {
	t.Helper()
	plan, err := w.layout.Plan(countByRegion())
	require.NoError(t, err)
	data, err := w.store.Bucket.Get(context.Background(), r.OutputDigest)
	require.NoError(t, err)
	require.Equal(t, int64(len(data)), r.OutputSize)
	require.Equal(t, w.store.Bucket.URI(r.OutputDigest), r.OutputURI)
	cts, err := eval.DecodeResult(testSet, plan.Output, data, nil)
	require.NoError(t, err)
	enc := bgv.NewEncoder(testSet.BGV())
	dec := rlwe.NewDecryptor(testSet.RLWE(), w.sk)
	slots := make([][]uint64, len(cts))
	for i, ct := range cts {
		slots[i] = make([]uint64, testSet.Slots())
		require.NoError(t, enc.Decode(dec.DecryptNew(ct), slots[i]))
	}
	require.Len(t, plan.Output.Cells, 4)
	for _, cell := range plan.Output.Cells {
		region := slices.Index(testSchema().Dimensions[0].Codes, cell.Group[0])
		var want int64
		for sex := range 2 {
			want += w.total.Value(0, []int{region, sex})
		}
		require.Equal(t, uint64(want), slots[cell.Ciphertext][cell.Slot], "count of region %s", cell.Group[0])
	}
}
