package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/analyst"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/fabric"
	"github.com/statledger/statledger/client/keyceremony"
	"github.com/statledger/statledger/client/keyholder"
	"github.com/statledger/statledger/client/ledgerapi"
	"github.com/statledger/statledger/client/records"
	"github.com/statledger/statledger/client/release"
	"github.com/statledger/statledger/client/submit"
	"github.com/statledger/statledger/client/synth"
	"github.com/statledger/statledger/client/worker"
	"github.com/statledger/statledger/crypto/ceremony"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/decrypt"
	"github.com/statledger/statledger/crypto/eval"
	"github.com/statledger/statledger/crypto/params"
	"github.com/statledger/statledger/policies"
)

// flowFailureProb is the probability, per released value, that the noise the decryptors
// add exceeds the bound the noisy test allows (dp.Noise.Bound); the crypto tests use
// the same figure.
const flowFailureProb = 1e-9

// flowRetry is the flow clients' retry policy: the two decryptors post their shares at
// the same time, so one of them meets an MVCC conflict and should try again at once
// rather than after DefaultRetry's 200 ms.
var flowRetry = fabric.Retry{Attempts: 10, Backoff: 20 * time.Millisecond, MaxBackoff: time.Second}

// flowPoll is how often a step polls its organisation's own peer for the record it
// waits for.
const flowPoll = 10 * time.Millisecond

// flowKeys is the collective key of this test binary: made once, at the production
// parameters, by a local ceremony of the consortium's key holders, and held in memory
// by a keyceremony.Cache. The key shares and the analyst key live in a directory of
// the network's state (removed with it, and after flowStaleKeys by a later binary).
type flowKeys struct {
	id     string
	set    *params.Set
	cache  *keyceremony.Cache // holds the loaded key
	prot   keyceremony.Protection
	shares map[string]string // MSP ID -> key share path
	// analyst is StatOffice's analyst key pair for this parameter set.
	analyst *decrypt.AnalystKey
}

var (
	flowKeysMu  sync.Mutex
	flowKeysSet *flowKeys
)

// sharedFlowKeys returns the binary's collective key, running the ceremony on first use.
func sharedFlowKeys(t testing.TB) *flowKeys {
	t.Helper()
	flowKeysMu.Lock()
	defer flowKeysMu.Unlock()
	if flowKeysSet == nil {
		t0 := time.Now()
		k, err := newFlowKeys()
		require.NoError(t, err, "the flow tests' key ceremony")
		t.Logf("e2e: key ceremony at %s for the flow tests: %.1f s", params.N14T58, time.Since(t0).Seconds())
		flowKeysSet = k
	}
	return flowKeysSet
}

// flowStaleKeys is the age after which a key directory of an earlier test binary is
// removed: no test binary runs that long.
const flowStaleKeys = 6 * time.Hour

func newFlowKeys() (*flowKeys, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root := filepath.Join(env.Net.StateDir(), "e2e-keys")
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, err
	}
	if old, err := os.ReadDir(root); err == nil {
		for _, e := range old {
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > flowStaleKeys {
				_ = os.RemoveAll(filepath.Join(root, e.Name()))
			}
		}
	}
	dir, err := os.MkdirTemp(root, "flow-")
	if err != nil {
		return nil, err
	}
	// The connection stays open for the life of the binary: the cache reads the key's
	// record through it. The ceremony's blobs (over 100 MB) are removed once the cache
	// holds the key in memory.
	client, err := env.Connect(statOffice, fabric.WithRetry(flowRetry))
	if err != nil {
		return nil, err
	}
	api := ledgerapi.New(client)
	blobs, err := os.MkdirTemp("", "statledger-e2e-key-blobs-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(blobs)
	store, err := blobstore.Open(ctx, "file://"+blobs)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	prot, err := keyceremony.NewIdentityFile(filepath.Join(dir, "identity.txt"))
	if err != nil {
		return nil, err
	}
	k := &flowKeys{id: unique("flow-key"), prot: prot, shares: map[string]string{}}
	in := keyceremony.LocalInput{KeyID: k.id, ParamSet: params.N14T58}
	for _, o := range env.Net.Definition().KeyHolders() {
		path := filepath.Join(dir, o.Name, "share")
		in.Holders = append(in.Holders, keyceremony.LocalHolder{MSPID: o.MSPID, KeySharePath: path, Protection: prot})
		k.shares[o.MSPID] = path
	}
	if _, err := keyceremony.RunLocal(ctx, api, store, in); err != nil {
		return nil, err
	}
	k.cache = keyceremony.NewCache(api, store)
	ks, err := k.cache.KeySet(ctx, k.id)
	if err != nil {
		return nil, err
	}
	k.set = ks.Set()
	if k.analyst, _, err = analyst.LoadOrCreateKey(filepath.Join(dir, "analyst.key"), k.set, prot); err != nil {
		return nil, err
	}
	return k, nil
}

// holderKeys gives a key holder the binary's collective key and its own key share.
type holderKeys struct {
	*keyceremony.Cache
	mspID, share string
	prot         keyceremony.Protection
}

func (k holderKeys) ThresholdKey(ks *keyceremony.KeySet) (*ceremony.ThresholdKey, error) {
	return ks.LoadThresholdKey(k.mspID, k.share, k.prot)
}

var _ keyholder.Keys = holderKeys{}

// flow is one test's view of the whole system: every organisation's ledger client, a
// blob store in the test's temporary directory shared by all of them, each key
// holder's decryption side (with its own share journal), and StatOffice's analyst side.
type flow struct {
	keys     *flowKeys
	store    *blobstore.Bucket
	api      map[string]*ledgerapi.API // organisation name -> its user's client
	orgOf    map[string]string         // MSP ID -> organisation name
	holders  map[string]*keyholder.Holder
	releaser *analyst.Releaser
	// analystKeyDigest and analystKeyURI name StatOffice's published analyst key.
	analystKeyDigest, analystKeyURI string
}

func newFlow(t testing.TB, ctx context.Context) *flow {
	t.Helper()
	keys := sharedFlowKeys(t)
	store, err := blobstore.Open(ctx, "file://"+filepath.Join(t.TempDir(), "blobs"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	return newFlowWith(t, ctx, keys, store, flowRetry)
}

// newFlowWith is newFlow for a given collective key and blob store, with clients that
// retry transient failures by retry.
func newFlowWith(t testing.TB, ctx context.Context, keys *flowKeys, store *blobstore.Bucket, retry fabric.Retry) *flow {
	t.Helper()
	dir := t.TempDir()
	f := &flow{keys: keys, store: store, api: map[string]*ledgerapi.API{}, orgOf: map[string]string{}, holders: map[string]*keyholder.Holder{}}
	for _, o := range env.Net.Definition().Orgs {
		f.api[o.Name] = connect(t, o.Name, fabric.WithRetry(retry))
		f.orgOf[o.MSPID] = o.Name
	}
	for msp, share := range keys.shares {
		journal, err := decrypt.NewDirJournal(filepath.Join(dir, "journals", msp))
		require.NoError(t, err)
		f.holders[msp] = &keyholder.Holder{MSPID: msp, Ledger: f.api[f.orgOf[msp]], Store: store, Journal: journal,
			Keys: holderKeys{Cache: keys.cache, mspID: msp, share: share, prot: keys.prot}}
	}
	f.releaser = &analyst.Releaser{Ledger: f.api[statOffice], Store: store, Keys: keys.cache,
		Key: func(*params.Set) (*decrypt.AnalystKey, error) { return keys.analyst, nil }}
	var err error
	f.analystKeyDigest, f.analystKeyURI, err = analyst.PublishKey(ctx, store, keys.analyst)
	require.NoError(t, err)
	return f
}

// dataset registers a healthcare dataset under the binary's key, as StatOffice, with the
// policy file of policies/healthcare changed by edit (nil for none).
func (f *flow) dataset(t testing.TB, ctx context.Context, policyFile string, edit func(*policies.Policy)) ledger.Dataset {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "policies", "healthcare", policyFile))
	require.NoError(t, err)
	p, err := policies.ParsePolicy(data)
	require.NoError(t, err)
	if edit != nil {
		edit(&p)
	}
	ds, err := f.api[statOffice].RegisterDataset(ctx, ledger.DatasetInput{
		ID: unique("admissions"), Title: "Hospital admissions (flow e2e)", KeyID: f.keys.id,
		ParamSetID: f.keys.set.Name(), Schema: shippedSchema(t), Policy: p,
	})
	require.NoError(t, err)
	return ds
}

// synthCSV returns n synthetic admissions of a provider as CSV.
func synthCSV(t testing.TB, org string, seed uint64, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, synth.Generate(&buf, records.FormatCSV, synth.Config{Seed: seed, Records: n, Provider: org}))
	return buf.Bytes()
}

// submit has a provider aggregate, encrypt, upload and register its CSV records (n of
// them) for a period, through its own peer.
func (f *flow) submit(t testing.TB, ctx context.Context, org string, ds ledger.Dataset, period string, data []byte, n int) ledger.Submission {
	t.Helper()
	// The dataset was registered through StatOffice's peer.
	_, err := f.await(ctx, org, "dataset "+ds.ID, func(ctx context.Context) (bool, error) {
		_, err := f.api[org].GetDataset(ctx, ds.ID)
		return err == nil, notFound(err)
	})
	require.NoError(t, err)
	p := submit.Provider{Ledger: f.api[org], Store: f.store, Keys: f.keys.cache}
	sub, st, err := p.Submit(ctx, submit.Request{DatasetID: ds.ID, Period: period, Records: bytes.NewReader(data), Format: records.FormatCSV})
	require.NoError(t, err, "submission of %s", org)
	require.Equal(t, ledger.StatusLive, sub.Status)
	require.Len(t, sub.Ciphertexts, 1)
	require.Equal(t, n, st.Records)
	// StatOffice requests queries through its own peer, which must count this submission.
	_, err = f.await(ctx, statOffice, "submission "+sub.ID, func(ctx context.Context) (bool, error) {
		_, err := f.api[statOffice].GetSubmission(ctx, sub.ID)
		return err == nil, notFound(err)
	})
	require.NoError(t, err)
	return sub
}

// notFound maps NOT_FOUND (the record has not reached this peer yet) to nil.
func notFound(err error) error {
	if errors.Is(err, ledger.ErrNotFound) {
		return nil
	}
	return err
}

// await polls ready every flowPoll until it reports true, an error, or 30 s pass. It
// returns how long it waited. It is safe to call from any goroutine.
func (f *flow) await(ctx context.Context, org, what string, ready func(context.Context) (bool, error)) (time.Duration, error) {
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		ok, err := ready(ctx)
		if err != nil {
			return time.Since(t0), fmt.Errorf("wait for %s on %s's peer: %w", what, org, err)
		}
		if ok {
			return time.Since(t0), nil
		}
		select {
		case <-ctx.Done():
			return time.Since(t0), fmt.Errorf("wait for %s on %s's peer: %w", what, org, ctx.Err())
		case <-time.After(flowPoll):
		}
	}
}

// awaitQuery waits until org's peer shows the query in a state that ok accepts.
func (f *flow) awaitQuery(ctx context.Context, org, queryID, what string, ok func(ledger.Query) bool) (ledger.Query, error) {
	var q ledger.Query
	_, err := f.await(ctx, org, fmt.Sprintf("query %s %s", queryID, what), func(ctx context.Context) (bool, error) {
		var err error
		q, err = f.api[org].GetQuery(ctx, queryID)
		if err != nil {
			return false, notFound(err)
		}
		return ok(q), nil
	})
	return q, err
}

func hasStatus(s ledger.Status) func(ledger.Query) bool {
	return func(q ledger.Query) bool { return q.Status == s }
}

// flowTimes are the durations of a query's stages, each from the end of the previous
// one, waits for a peer to show the previous stage's record included.
type flowTimes struct {
	Request time.Duration // RequestQuery, committed on StatOffice's peer
	Approve time.Duration // HospitalA's then HospitalB's approval
	Compute time.Duration // StatOffice's worker: claim, fetch, evaluate, upload, post
	Share   time.Duration // both decryptors' shares, made concurrently
	Release time.Duration // combine, decrypt, derive, record the release
	Waiting time.Duration // of the above, time spent waiting for a peer to show a record
}

// Total is the time from the request to the recorded release.
func (ft flowTimes) Total() time.Duration {
	return ft.Request + ft.Approve + ft.Compute + ft.Share + ft.Release
}

// request asks for spec over every period of ds, as StatOffice, decrypted by the first
// t key holders and re-encrypted towards StatOffice's analyst key.
func (f *flow) request(t testing.TB, ctx context.Context, ds ledger.Dataset, spec policies.Query) ledger.Query {
	t.Helper()
	q, err := f.api[statOffice].RequestQuery(ctx, ledger.QueryInput{
		IdempotencyKey: unique("flow"), DatasetID: ds.ID, Spec: spec,
		AnalystKeyDigest: f.analystKeyDigest, AnalystKeyURI: f.analystKeyURI, Decryptors: decryptors(),
	})
	require.NoError(t, err)
	require.Equal(t, ledger.StatusPending, q.Status)
	return q
}

// approve has HospitalA and then HospitalB approve q, each once its own peer shows the
// query as the previous step left it; it returns the approved query.
func (f *flow) approve(t testing.TB, ctx context.Context, q ledger.Query, ft *flowTimes) ledger.Query {
	t.Helper()
	for _, org := range []string{hospitalA, hospitalB} {
		seen := len(q.Approvals)
		t0 := time.Now()
		_, err := f.awaitQuery(ctx, org, q.ID, "with its approvals", func(got ledger.Query) bool { return len(got.Approvals) == seen })
		require.NoError(t, err)
		ft.Waiting += time.Since(t0)
		q, err = f.api[org].ApproveQuery(ctx, q.ID, "fits the policy")
		require.NoError(t, err, "approval of %s", org)
	}
	require.Equal(t, ledger.StatusApproved, q.Status)
	return q
}

// compute runs org's worker once on ds, once its peer shows q approved and its job
// unleased with the results of prior worker organisations, and returns the result it
// posted for q.
func (f *flow) compute(t testing.TB, ctx context.Context, org string, ds ledger.Dataset, q ledger.Query, prior int, ft *flowTimes) ledger.Result {
	t.Helper()
	return f.computeWith(t, ctx, org, f.api[org], ds, q, prior, ft)
}

// computeWith is compute with the worker reaching the ledger through l (org's client,
// or a test's wrapper of it).
func (f *flow) computeWith(t testing.TB, ctx context.Context, org string, l worker.Ledger, ds ledger.Dataset, q ledger.Query, prior int, ft *flowTimes) ledger.Result {
	t.Helper()
	t0 := time.Now()
	_, err := f.awaitQuery(ctx, org, q.ID, "approved", hasStatus(ledger.StatusApproved))
	require.NoError(t, err)
	_, err = f.await(ctx, org, "job "+q.ID+" open", func(ctx context.Context) (bool, error) {
		job, err := f.api[org].GetJob(ctx, q.ID)
		return err == nil && job.Lease == nil && len(job.ResultOrgs) == prior, notFound(err)
	})
	require.NoError(t, err)
	ft.Waiting += time.Since(t0)
	var log bytes.Buffer // slog's handler serialises the worker's writes
	w, err := worker.New(worker.Config{Datasets: []string{ds.ID}}, l, f.store, f.keys.cache,
		worker.WithLogger(slog.New(slog.NewJSONHandler(&log, nil))))
	require.NoError(t, err)
	sum, err := w.Once(ctx)
	require.NoError(t, err, "worker of %s; its log:\n%s", org, &log)
	require.Equal(t, 1, sum.Succeeded, "the worker of %s computes the query: %+v; its log:\n%s", org, sum, &log)
	require.Equal(t, q.ID, sum.Posted[0].QueryID)
	return sum.Posted[0]
}

// share has every decryptor of q contribute its share, all at the same time, each once
// its own peer shows q decrypting. It returns the first error.
func (f *flow) share(ctx context.Context, q ledger.Query, ft *flowTimes) error {
	errs := make([]error, len(q.Decryptors))
	waited := make([]time.Duration, len(q.Decryptors))
	var wg sync.WaitGroup
	for i, msp := range q.Decryptors {
		wg.Go(func() {
			org := f.orgOf[msp]
			t0 := time.Now()
			if _, err := f.awaitQuery(ctx, org, q.ID, "decrypting", hasStatus(ledger.StatusDecrypting)); err != nil {
				errs[i] = err
				return
			}
			waited[i] = time.Since(t0)
			if _, err := f.holders[msp].Share(ctx, q.ID); err != nil {
				errs[i] = fmt.Errorf("decryption share of %s: %w", org, err)
			}
		})
	}
	wg.Wait()
	ft.Waiting += slices.Max(waited)
	return errors.Join(errs...)
}

// release has StatOffice, the analyst, release q once its peer shows it ready, and
// checks the release the ledger recorded against the table.
func (f *flow) release(t testing.TB, ctx context.Context, q ledger.Query, ft *flowTimes) (*release.Table, ledger.Release) {
	t.Helper()
	t0 := time.Now()
	_, err := f.awaitQuery(ctx, statOffice, q.ID, "ready", hasStatus(ledger.StatusReady))
	require.NoError(t, err)
	settle(t, ctx) // the other endorsers of the release must have seen the last share too
	ft.Waiting += time.Since(t0)
	table, rel, err := f.releaser.Release(ctx, q.ID)
	require.NoError(t, err)
	require.Equal(t, q.ID, rel.QueryID)
	require.Equal(t, table.Digest(), rel.TableDigest)
	require.Equal(t, table.Suppressed(), rel.Suppressed)
	require.Len(t, table.Rows(), rel.Cells)
	return table, rel
}

// run takes spec on ds through the whole flow: request, approvals, StatOffice's worker,
// the decryptors' shares and the release. It returns the released table, the release
// the ledger recorded, the query as requested and the stages' durations.
func (f *flow) run(t testing.TB, ctx context.Context, ds ledger.Dataset, spec policies.Query) (*release.Table, ledger.Release, ledger.Query, flowTimes) {
	t.Helper()
	var ft flowTimes
	t0 := time.Now()
	q := f.request(t, ctx, ds, spec)
	t1 := time.Now()
	q = f.approve(t, ctx, q, &ft)
	t2 := time.Now()
	f.compute(t, ctx, statOffice, ds, q, 0, &ft)
	t3 := time.Now()
	require.NoError(t, f.share(ctx, q, &ft))
	t4 := time.Now()
	table, rel := f.release(t, ctx, q, &ft)
	t5 := time.Now()
	ft.Request, ft.Approve, ft.Compute, ft.Share, ft.Release = t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), t4.Sub(t3), t5.Sub(t4)
	return table, rel, q, ft
}

// flowRecord is one admission as the plaintext reference reads it: its codes, one per
// schema dimension, and its measures clipped to their bounds, one per schema measure.
type flowRecord struct {
	codes  []string
	values []int64
}

// parseAdmissions reads synthetic CSV admissions for the plaintext reference, with
// encoding/csv rather than the product's reader.
func parseAdmissions(t testing.TB, s policies.Schema, data []byte) []flowRecord {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(data))
	header, err := r.Read()
	require.NoError(t, err)
	col := func(name string) int {
		i := slices.Index(header, name)
		require.GreaterOrEqual(t, i, 0, "column %s", name)
		return i
	}
	var dimCols, measCols []int
	for _, d := range s.Dimensions {
		dimCols = append(dimCols, col(d.Name))
	}
	for _, m := range s.Measures {
		measCols = append(measCols, col(m.Name))
	}
	var out []flowRecord
	for {
		row, err := r.Read()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		rec := flowRecord{codes: make([]string, len(dimCols)), values: make([]int64, len(measCols))}
		for i, c := range dimCols {
			rec.codes[i] = row[c]
			require.Contains(t, s.Dimensions[i].Codes, row[c])
		}
		for i, c := range measCols {
			v, err := strconv.ParseInt(row[c], 10, 64)
			require.NoError(t, err)
			rec.values[i] = min(max(v, s.Measures[i].Min), s.Measures[i].Max)
		}
		out = append(out, rec)
	}
}

// flowCell is the plaintext truth of one output cell: its number of records (in the
// bin, for a histogram) and the sum and sum of squares of the query's measure.
type flowCell struct {
	count, sum, sumSq int64
}

// cellKey names a table row by its codes.
func cellKey(codes []string) string { return strings.Join(codes, "\x00") }

// binLabel is the label a release gives histogram bin b of m: the integer range it
// covers, "lo..hi", or "lo" for a single value.
func binLabel(m policies.Measure, b int) string {
	lo, hi := m.Min, m.Max
	if b > 0 {
		lo = m.HistogramEdges[b-1]
	}
	if b < len(m.HistogramEdges) {
		hi = m.HistogramEdges[b] - 1
	}
	if lo == hi {
		return strconv.FormatInt(lo, 10)
	}
	return fmt.Sprintf("%d..%d", lo, hi)
}

// plainTruth computes spec over recs in plain Go: every output cell (each combination of
// the group-by dimensions' selected codes, and for a histogram each bin), empty ones
// included, keyed by cellKey of its row codes.
func plainTruth(s policies.Schema, spec policies.Query, recs []flowRecord) map[string]*flowCell {
	dimIndex := func(name string) int {
		return slices.IndexFunc(s.Dimensions, func(d policies.Dimension) bool { return d.Name == name })
	}
	selected := make([][]string, len(s.Dimensions)) // nil: every code
	for _, fl := range spec.Filters {
		selected[dimIndex(fl.Dimension)] = fl.Codes
	}
	mi := slices.IndexFunc(s.Measures, func(m policies.Measure) bool { return m.Name == spec.Measure })
	var m policies.Measure
	if mi >= 0 {
		m = s.Measures[mi]
	}
	histogram := spec.Statistic == policies.StatHistogram
	// Every output cell, empty or not.
	keys := [][]string{{}}
	for _, g := range spec.GroupBy {
		d := s.Dimensions[dimIndex(g)]
		var next [][]string
		for _, k := range keys {
			for _, c := range d.Codes {
				if sel := selected[dimIndex(g)]; sel == nil || slices.Contains(sel, c) {
					next = append(next, append(slices.Clone(k), c))
				}
			}
		}
		keys = next
	}
	cells := map[string]*flowCell{}
	for _, k := range keys {
		if !histogram {
			cells[cellKey(k)] = &flowCell{}
			continue
		}
		for b := range m.Bins() {
			cells[cellKey(append(slices.Clone(k), binLabel(m, b)))] = &flowCell{}
		}
	}
	for _, r := range recs {
		keep := true
		for i, sel := range selected {
			if sel != nil && !slices.Contains(sel, r.codes[i]) {
				keep = false
			}
		}
		if !keep {
			continue
		}
		codes := make([]string, 0, len(spec.GroupBy)+1)
		for _, g := range spec.GroupBy {
			codes = append(codes, r.codes[dimIndex(g)])
		}
		var v int64
		if mi >= 0 {
			v = r.values[mi]
		}
		if histogram {
			codes = append(codes, binLabel(m, int(countBelowOrAt(m.HistogramEdges, v))))
		}
		c := cells[cellKey(codes)]
		c.count++
		c.sum += v
		c.sumSq += v * v
	}
	return cells
}

// countBelowOrAt is the number of edges at or below v: v's histogram bin.
func countBelowOrAt(edges []int64, v int64) int64 {
	n := int64(0)
	for _, e := range edges {
		if e <= v {
			n++
		}
	}
	return n
}

// exactValue is the published value of a cell with noise off, from the plaintext truth:
// counts and sums as integers, means and variances (population variance) as exact
// fractions rounded to release.Decimals places, halves away from zero.
func exactValue(st policies.Statistic, c flowCell) string {
	switch st {
	case policies.StatCount, policies.StatHistogram:
		return strconv.FormatInt(c.count, 10)
	case policies.StatSum:
		return strconv.FormatInt(c.sum, 10)
	case policies.StatMean:
		return big.NewRat(c.sum, c.count).FloatString(release.Decimals)
	}
	n := big.NewInt(c.count)
	num := new(big.Int).Mul(big.NewInt(c.sumSq), n)
	num.Sub(num, new(big.Int).Mul(big.NewInt(c.sum), big.NewInt(c.sum)))
	return new(big.Rat).SetFrac(num, new(big.Int).Mul(n, n)).FloatString(release.Decimals)
}

// requireExact checks a noise-off release against the plaintext truth: one row per
// output cell; cells with fewer records than the policy's minimum suppressed and flagged
// (and listed in Suppressed); every other value exactly the plaintext value. It returns
// the number of suppressed cells.
func requireExact(t testing.TB, ds ledger.Dataset, spec policies.Query, table *release.Table, truth map[string]*flowCell) int {
	t.Helper()
	rows := table.Rows()
	require.Len(t, rows, len(truth), "one row per output cell, none dropped")
	suppressed := []int{}
	seen := map[string]bool{}
	for i, r := range rows {
		k := cellKey(r.Codes)
		c, ok := truth[k]
		require.True(t, ok, "row %d %v is not an output cell of the query", i, r.Codes)
		require.False(t, seen[k], "row %d %v repeats a cell", i, r.Codes)
		seen[k] = true
		if c.count < ds.Policy.MinCellCount {
			require.Equal(t, release.Row{Codes: r.Codes, ObsStatus: release.ObsSuppressed, ConfStatus: release.ConfConfidential}, r,
				"row %d %v has %d records, under the minimum %d", i, r.Codes, c.count, ds.Policy.MinCellCount)
			suppressed = append(suppressed, i)
			continue
		}
		require.Equal(t, release.Row{Codes: r.Codes, Value: release.Value(exactValue(spec.Statistic, *c)), ObsStatus: release.ObsNormal, ConfStatus: release.ConfFree}, r,
			"row %d %v: %+v", i, r.Codes, *c)
	}
	require.Equal(t, suppressed, table.Suppressed())
	return len(suppressed)
}

// ratInterval is a closed interval of rationals.
type ratInterval struct{ lo, hi *big.Rat }

func ratOf(v int64) *big.Rat { return new(big.Rat).SetInt64(v) }

// quotient is the range of x/y over x in [xlo, xhi] and y in [ylo, yhi], 0 < ylo.
func quotient(xlo, xhi, ylo, yhi *big.Rat) ratInterval {
	corners := []*big.Rat{
		new(big.Rat).Quo(xlo, ylo), new(big.Rat).Quo(xlo, yhi),
		new(big.Rat).Quo(xhi, ylo), new(big.Rat).Quo(xhi, yhi),
	}
	iv := ratInterval{corners[0], corners[0]}
	for _, c := range corners[1:] {
		if c.Cmp(iv.lo) < 0 {
			iv.lo = c
		}
		if c.Cmp(iv.hi) > 0 {
			iv.hi = c
		}
	}
	return iv
}

// clampInterval limits both ends of iv to [lo, hi], as the release clamps a value.
func clampInterval(iv ratInterval, lo, hi *big.Rat) ratInterval {
	clamp := func(x *big.Rat) *big.Rat {
		if x.Cmp(lo) < 0 {
			return lo
		}
		if x.Cmp(hi) > 0 {
			return hi
		}
		return x
	}
	return ratInterval{clamp(iv.lo), clamp(iv.hi)}
}

// noisyRange is the range of published values of a cell whose count, sum and sum of
// squares each carry noise of at most bound, and whose noisy count is at least minCount
// (the cell was not suppressed): the release's derivation applied to the whole box of
// noisy components, widened by the rounding to release.Decimals places.
func noisyRange(st policies.Statistic, m policies.Measure, c flowCell, bound, minCount int64) ratInterval {
	b := ratOf(bound)
	around := func(v int64) (*big.Rat, *big.Rat) {
		return new(big.Rat).Sub(ratOf(v), b), new(big.Rat).Add(ratOf(v), b)
	}
	nonNegative := func(lo, hi *big.Rat) ratInterval {
		return clampInterval(ratInterval{lo, hi}, new(big.Rat), hi)
	}
	switch st {
	case policies.StatCount, policies.StatHistogram:
		return nonNegative(around(c.count))
	case policies.StatSum:
		lo, hi := around(c.sum)
		if m.Min >= 0 {
			return nonNegative(lo, hi)
		}
		return ratInterval{lo, hi}
	}
	clo, chi := around(c.count)
	if floor := ratOf(max(minCount, 1)); clo.Cmp(floor) < 0 {
		clo = floor
	}
	slo, shi := around(c.sum)
	var iv ratInterval
	if st == policies.StatMean {
		iv = clampInterval(quotient(slo, shi, clo, chi), ratOf(m.Min), ratOf(m.Max))
	} else {
		// variance = SumSq/Count − (Sum/Count)², bounded term by term.
		qlo, qhi := around(c.sumSq)
		first := quotient(qlo, qhi, clo, chi)
		mean := quotient(slo, shi, clo, chi)
		absLo, absHi := new(big.Rat).Abs(mean.lo), new(big.Rat).Abs(mean.hi)
		sqMax := new(big.Rat).Mul(absLo, absLo)
		if hiSq := new(big.Rat).Mul(absHi, absHi); hiSq.Cmp(sqMax) > 0 {
			sqMax = hiSq
		}
		sqMin := new(big.Rat)
		if mean.lo.Sign() > 0 || mean.hi.Sign() < 0 {
			sqMin = new(big.Rat).Mul(absLo, absLo)
			if hiSq := new(big.Rat).Mul(absHi, absHi); hiSq.Cmp(sqMin) < 0 {
				sqMin = hiSq
			}
		}
		spread := ratOf(m.Max - m.Min)
		upper := new(big.Rat).Quo(new(big.Rat).Mul(spread, spread), ratOf(4))
		iv = clampInterval(ratInterval{new(big.Rat).Sub(first.lo, sqMax), new(big.Rat).Sub(first.hi, sqMin)}, new(big.Rat), upper)
	}
	half := big.NewRat(1, 2*100) // half a unit of the last published decimal place
	for range release.Decimals - 2 {
		half.Quo(half, ratOf(10))
	}
	return ratInterval{new(big.Rat).Sub(iv.lo, half), new(big.Rat).Add(iv.hi, half)}
}

// requireWithinBound checks a noisy release against the plaintext truth: one row per
// output cell; a suppressed cell is flagged and listed, and could have had a noisy count
// under the minimum; a published one could not, and its value lies in noisyRange. It
// returns the number of published values that differ from the exact ones.
func requireWithinBound(t testing.TB, ds ledger.Dataset, spec policies.Query, table *release.Table, truth map[string]*flowCell, bound int64) int {
	t.Helper()
	var m policies.Measure
	if spec.Measure != "" {
		m, _, _ = ds.Schema.Measure(spec.Measure)
	}
	rows := table.Rows()
	require.Len(t, rows, len(truth), "one row per output cell, none dropped")
	suppressed := []int{}
	differ := 0
	for i, r := range rows {
		c, ok := truth[cellKey(r.Codes)]
		require.True(t, ok, "row %d %v is not an output cell of the query", i, r.Codes)
		if r.ConfStatus == release.ConfConfidential {
			require.Equal(t, release.Row{Codes: r.Codes, ObsStatus: release.ObsSuppressed, ConfStatus: release.ConfConfidential}, r)
			require.Less(t, c.count-bound, ds.Policy.MinCellCount, "row %d %v: %d records cannot have a noisy count under %d", i, r.Codes, c.count, ds.Policy.MinCellCount)
			suppressed = append(suppressed, i)
			continue
		}
		require.GreaterOrEqual(t, c.count+bound, ds.Policy.MinCellCount, "row %d %v: %d records must be suppressed", i, r.Codes, c.count)
		require.Equal(t, release.ConfFree, r.ConfStatus)
		require.Equal(t, release.ObsEstimated, r.ObsStatus, "row %d %v", i, r.Codes)
		got, ok := new(big.Rat).SetString(string(r.Value))
		require.True(t, ok, "row %d %v: value %q", i, r.Codes, r.Value)
		iv := noisyRange(spec.Statistic, m, *c, bound, ds.Policy.MinCellCount)
		require.True(t, got.Cmp(iv.lo) >= 0 && got.Cmp(iv.hi) <= 0, "row %d %v: %s is outside [%s, %s] (truth %+v, noise bound %d)",
			i, r.Codes, r.Value, iv.lo.FloatString(3), iv.hi.FloatString(3), *c, bound)
		if c.count > 0 && string(r.Value) != exactValue(spec.Statistic, *c) {
			differ++
		}
	}
	require.Equal(t, suppressed, table.Suppressed())
	return differ
}

// decryptedCells decrypts q's result again from the ledger's shares with the analyst
// key, as the release did, and returns the noisy components of every output cell.
func (f *flow) decryptedCells(t testing.TB, ctx context.Context, ds ledger.Dataset, q ledger.Query) []release.Cell {
	t.Helper()
	set := f.keys.set
	plan := flowPlan(t, ds, q.Spec, set)
	q, err := f.api[statOffice].GetQuery(ctx, q.ID)
	require.NoError(t, err)
	digest, err := blobstore.ParseDigest(q.OutputDigest)
	require.NoError(t, err)
	data, err := f.store.Get(ctx, q.OutputDigest)
	require.NoError(t, err)
	result, err := eval.DecodeResult(set, plan.Output, data, &digest)
	require.NoError(t, err)
	recs, err := f.api[statOffice].ListDecryptionShares(ctx, q.ID)
	require.NoError(t, err)
	require.Len(t, recs, len(q.Decryptors))
	var shares []*decrypt.Share
	for _, rec := range recs {
		d, err := blobstore.ParseDigest(rec.Digest)
		require.NoError(t, err)
		blob, err := f.store.Get(ctx, rec.Digest)
		require.NoError(t, err)
		s, err := decrypt.ParseShare(set, blob, &d)
		require.NoError(t, err)
		shares = append(shares, s)
	}
	values, err := f.keys.analyst.Open(digest, result, shares)
	require.NoError(t, err)
	cells, err := release.CellsFromOutput(plan.Output, values)
	require.NoError(t, err)
	return cells
}

// requireComponentsWithinBound checks that every decrypted component (count, sum, sum
// of squares, bin count) is within bound of the plaintext truth, and that the released
// table is exactly the release's derivation of these components.
func requireComponentsWithinBound(t testing.TB, ds ledger.Dataset, q ledger.Query, table *release.Table, cells []release.Cell, truth map[string]*flowCell, bound int64) {
	t.Helper()
	var m policies.Measure
	if q.Spec.Measure != "" {
		m, _, _ = ds.Schema.Measure(q.Spec.Measure)
	}
	require.Len(t, cells, len(truth))
	within := func(what string, codes []string, got, want int64) {
		require.LessOrEqual(t, max(got-want, want-got), bound, "%s of %v: decrypted %d, truth %d", what, codes, got, want)
	}
	for _, c := range cells {
		codes := c.Codes
		if q.Spec.Statistic == policies.StatHistogram {
			codes = append(slices.Clone(codes), binLabel(m, c.Bin))
		}
		want, ok := truth[cellKey(codes)]
		require.True(t, ok, "decrypted cell %v", codes)
		within("count", codes, c.Count, want.count)
		switch q.Spec.Statistic {
		case policies.StatSum, policies.StatMean:
			within("sum", codes, c.Sum, want.sum)
		case policies.StatVariance:
			within("sum", codes, c.Sum, want.sum)
			within("sum of squares", codes, c.SumSq, want.sumSq)
		}
	}
	again, err := release.New(release.Input{DatasetID: ds.ID, QueryID: q.ID, Schema: ds.Schema, Policy: ds.Policy, Query: q.Spec, Cells: cells})
	require.NoError(t, err)
	require.Equal(t, table.Digest(), again.Digest(), "the released table derives from the decrypted components")
}

// flowPlan is the plan of spec on ds's cube, as the worker, the key holders and the
// analyst make it.
func flowPlan(t testing.TB, ds ledger.Dataset, spec policies.Query, set *params.Set) *cube.Plan {
	t.Helper()
	layout, err := cube.NewLayout(ds.Schema, set.RowSlots())
	require.NoError(t, err)
	plan, err := layout.Plan(spec)
	require.NoError(t, err)
	return plan
}

// noiseBound is the bound on the total noise of each released value of q: the noise
// every decryptor derives from the dataset's policy (keyholder.Noise), summed over the
// query's decryptors, at flowFailureProb.
func noiseBound(t testing.TB, ds ledger.Dataset, q ledger.Query, set *params.Set) int64 {
	t.Helper()
	noise, err := keyholder.Noise(ds, q, flowPlan(t, ds, q.Spec, set).Output, len(q.Decryptors), 0)
	require.NoError(t, err)
	require.Equal(t, len(q.Decryptors), noise.Parties)
	return noise.Bound(flowFailureProb)
}

// flowData is a dataset with both hospitals' submissions and the records behind them.
type flowData struct {
	ds   ledger.Dataset
	subs []ledger.Submission
	recs []flowRecord
}

// hospitalsSubmit registers a dataset under policyFile (changed by edit) and has
// HospitalA submit nA and HospitalB nB synthetic admissions for period 2026.
func (f *flow) hospitalsSubmit(t testing.TB, ctx context.Context, policyFile string, edit func(*policies.Policy), nA, nB int) flowData {
	t.Helper()
	d := flowData{ds: f.dataset(t, ctx, policyFile, edit)}
	for i, p := range []struct {
		org string
		n   int
	}{{hospitalA, nA}, {hospitalB, nB}} {
		data := synthCSV(t, p.org, uint64(100+i), p.n)
		d.subs = append(d.subs, f.submit(t, ctx, p.org, d.ds, "2026", data, p.n))
		d.recs = append(d.recs, parseAdmissions(t, d.ds.Schema, data)...)
	}
	require.Len(t, d.recs, nA+nB)
	return d
}

// flowQuery is a named query of the flow tests.
type flowQuery struct {
	name string
	spec policies.Query
}

// flowQueries are the statistics the flow tests release: each statistic, over
// different dimensions and measures.
func flowQueries(epsilon policies.Epsilon) []flowQuery {
	return []flowQuery{
		{"count by region and age band", policies.Query{Statistic: policies.StatCount, GroupBy: []string{"region", "ageBand"}, Epsilon: epsilon}},
		{"sum of cost by region", policies.Query{Statistic: policies.StatSum, Measure: "costEUR", GroupBy: []string{"region"}, Epsilon: epsilon}},
		{"mean length of stay by region and sex", policies.Query{Statistic: policies.StatMean, Measure: "lengthOfStay", GroupBy: []string{"region", "sex"}, Epsilon: epsilon}},
		{"variance of age by diagnosis", policies.Query{Statistic: policies.StatVariance, Measure: "age", GroupBy: []string{"diagnosisGroup"}, Epsilon: epsilon}},
		{"histogram of length of stay by age band", policies.Query{Statistic: policies.StatHistogram, Measure: "lengthOfStay", GroupBy: []string{"ageBand"}, Epsilon: epsilon}},
	}
}

// TestFlowNoiseOffReleasesTheExactPlaintextStatistics runs each statistic through the
// whole flow on the real network (real key, encryption, blobs, worker, threshold
// decryption) under policy-exact.yaml, and compares every released cell with the same
// statistic computed in plain Go from the providers' CSV records. A filtered query with
// small cells shows them suppressed and flagged, never dropped, and listed in the
// release the ledger recorded.
func TestFlowNoiseOffReleasesTheExactPlaintextStatistics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	f := newFlow(t, ctx)
	d := f.hospitalsSubmit(t, ctx, "policy-exact.yaml", nil, 20_000, 2_000)
	require.True(t, d.ds.Policy.NoiseOff)

	for _, fq := range flowQueries(0) {
		name, spec := fq.name, fq.spec
		t.Run(name, func(t *testing.T) {
			table, _, q, ft := f.run(t, ctx, d.ds, spec)
			require.Len(t, q.SubmissionIDs, 2)
			requireExact(t, d.ds, spec, table, plainTruth(d.ds.Schema, spec, d.recs))
			t.Logf("e2e: %s released exactly in %.2f s", name, ft.Total().Seconds())
		})
	}

	t.Run("small cells are suppressed and flagged", func(t *testing.T) {
		spec := policies.Query{Statistic: policies.StatCount, GroupBy: []string{"region", "ageBand"},
			Filters: []policies.Filter{{Dimension: "diagnosisGroup", Codes: []string{"O00-O99"}}, {Dimension: "sex", Codes: []string{"F"}}}}
		truth := plainTruth(d.ds.Schema, spec, d.recs)
		small := 0
		for _, c := range truth {
			if c.count < d.ds.Policy.MinCellCount {
				small++
			}
		}
		require.Positive(t, small, "the query has small cells")
		require.Less(t, small, len(truth), "the query has cells above the minimum too")

		table, rel, q, _ := f.run(t, ctx, d.ds, spec)
		require.Equal(t, small, requireExact(t, d.ds, spec, table, truth))
		// The auditor reads the same suppressed cells from the ledger.
		var fromLedger ledger.Release
		_, err := f.await(ctx, regulator, "release of "+q.ID, func(ctx context.Context) (bool, error) {
			var err error
			fromLedger, err = f.api[regulator].GetRelease(ctx, q.ID)
			return err == nil, notFound(err)
		})
		require.NoError(t, err)
		require.Equal(t, rel, fromLedger)
		require.Len(t, fromLedger.Suppressed, small)
		require.Equal(t, table.Suppressed(), fromLedger.Suppressed)
		require.Equal(t, len(truth), fromLedger.Cells)
		require.Empty(t, fromLedger.Table, "policy-exact.yaml keeps releases off the ledger")
		t.Logf("e2e: %d of %d cells under the minimum of %d records suppressed, flagged and listed on the ledger", small, len(truth), d.ds.Policy.MinCellCount)
	})
}

// TestFlowNoiseOnReleasesValuesWithinTheNoiseBound runs each statistic through the whole
// flow under policy.yaml (noise on) and checks the release against the plaintext truth:
// every decrypted component (count, sum, sum of squares, bin) lies within the bound of
// the decryptors' calibrated noise (dp.Noise.Bound at flowFailureProb per value) and the
// table is exactly the release's derivation of them; every published value lies within
// that bound carried through the derivation of means and variances; suppression is
// consistent with it; and not every value is exact.
func TestFlowNoiseOnReleasesValuesWithinTheNoiseBound(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	f := newFlow(t, ctx)
	d := f.hospitalsSubmit(t, ctx, "policy.yaml", nil, 20_000, 2_000)
	require.False(t, d.ds.Policy.NoiseOff)

	for _, fq := range flowQueries(d.ds.Policy.EpsilonPerQuery) {
		name, spec := fq.name, fq.spec
		t.Run(name, func(t *testing.T) {
			table, rel, q, ft := f.run(t, ctx, d.ds, spec)
			bound := noiseBound(t, d.ds, q, f.keys.set)
			truth := plainTruth(d.ds.Schema, spec, d.recs)
			requireComponentsWithinBound(t, d.ds, q, table, f.decryptedCells(t, ctx, d.ds, q), truth, bound)
			differ := requireWithinBound(t, d.ds, spec, table, truth, bound)
			require.Positive(t, differ, "noise is on, yet every released value is exact")
			require.Equal(t, string(table.Canonical()), rel.Table, "policy.yaml makes releases public")
			t.Logf("e2e: %s released in %.2f s; noise bound %d; %d of %d cells suppressed, %d published values not exact", name, ft.Total().Seconds(), bound, len(table.Suppressed()), len(table.Rows()), differ)
		})
	}
}

// TestFlowSecondWorkerResultIsRequired runs a query under a policy that requires
// matching results from two worker organisations: after StatOffice's worker posts, the
// query is still approved and a decryptor refuses to share; after HospitalB's worker
// posts the same result, the query decrypts and releases the exact statistic.
func TestFlowSecondWorkerResultIsRequired(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	f := newFlow(t, ctx)
	d := f.hospitalsSubmit(t, ctx, "policy-exact.yaml", func(p *policies.Policy) { p.RequiredResults = 2 }, 3_000, 1_000)
	require.Equal(t, 2, d.ds.Policy.RequiredResults)
	spec := policies.Query{Statistic: policies.StatCount, GroupBy: []string{"region"}}

	var ft flowTimes
	q := f.request(t, ctx, d.ds, spec)
	require.Equal(t, 2, q.RequiredResults)
	q = f.approve(t, ctx, q, &ft)

	first := f.compute(t, ctx, statOffice, d.ds, q, 0, &ft)
	require.Equal(t, mspID(statOffice), first.WorkerMSPID)
	for _, org := range []string{statOffice, hospitalA} {
		got, err := f.awaitQuery(ctx, org, q.ID, "with the first result", func(q ledger.Query) bool { return q.UpdatedAt.Equal(first.PostedAt) })
		require.NoError(t, err)
		require.Equal(t, ledger.StatusApproved, got.Status, "one of two required results")
		require.Empty(t, got.OutputDigest)
	}
	for _, msp := range q.Decryptors {
		_, err := f.holders[msp].Share(ctx, q.ID)
		require.ErrorIs(t, err, keyholder.ErrNotReady, "%s shares after one of two results", msp)
	}
	shares, err := f.api[regulator].ListDecryptionShares(ctx, q.ID)
	require.NoError(t, err)
	require.Empty(t, shares)

	second := f.compute(t, ctx, hospitalB, d.ds, q, 1, &ft)
	require.Equal(t, mspID(hospitalB), second.WorkerMSPID)
	require.Equal(t, first.OutputDigest, second.OutputDigest, "evaluation is deterministic")
	require.NoError(t, f.share(ctx, q, &ft))
	table, _ := f.release(t, ctx, q, &ft)
	requireExact(t, d.ds, spec, table, plainTruth(d.ds.Schema, spec, d.recs))
	results, err := f.api[statOffice].ListResults(ctx, q.ID)
	require.NoError(t, err)
	require.Len(t, results, 2)
}
