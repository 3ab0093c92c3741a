package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/audit"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/chain"
	"github.com/statledger/statledger/client/compute"
	"github.com/statledger/statledger/client/keyholder"
	"github.com/statledger/statledger/client/ledgerapi"
	"github.com/statledger/statledger/client/worker"
	"github.com/statledger/statledger/crypto/eval"
	"github.com/statledger/statledger/policies"
)

// The tamper tests alter, behind the ledger's back, what a query's history rests on (a
// stored submission, a worker's result, a published table) and check that the
// Regulator's audit fails exactly where it should and names who or what is concerned.
// Each test has its own flow (so its own blob store) and its own dataset: tampering
// with them breaks no other test's data.

// regulatorAudit runs the Regulator's audit of scope through its own peer, on the flow's
// blob store, comparing its peer's blocks with StatOffice's and HospitalA's, once every
// peer has committed every block.
func (f *flow) regulatorAudit(t testing.TB, ctx context.Context, scope audit.Scope) *audit.Report {
	t.Helper()
	settle(t, ctx)
	sources := openChain(t, regulatorProfile(t, statOffice, hospitalA))
	a, err := audit.New(f.api[regulator], f.store, f.keys.cache,
		audit.WithChainFrom(func(ctx context.Context) (audit.Chain, error) { return chain.Compare(ctx, sources) }))
	require.NoError(t, err)
	t0 := time.Now()
	rep, err := a.Run(ctx, scope)
	require.NoError(t, err)
	t.Logf("e2e: audit of %d queries (%+v) in %.2f s, %d blocks compared", len(rep.Queries), scope, time.Since(t0).Seconds(), rep.Chain.Blocks)
	require.Equal(t, audit.StatusPass, rep.Chain.Check.Status, "the peers serve the same blocks: %s", rep.Chain.Check.Detail)
	return rep
}

// queryChecks returns the checks of query queryID in rep by name, requiring that the
// report has every query check and the chain check, each once.
func queryChecks(t testing.TB, rep *audit.Report, queryID string) map[audit.CheckName]audit.Check {
	t.Helper()
	i := slices.IndexFunc(rep.Queries, func(q audit.QueryReport) bool { return q.QueryID == queryID })
	require.GreaterOrEqual(t, i, 0, "the report has query %s", queryID)
	out := map[audit.CheckName]audit.Check{}
	for _, c := range rep.Queries[i].Checks {
		require.NotContains(t, out, c.Name, "check %s listed once", c.Name)
		out[c.Name] = c
	}
	require.Len(t, out, len(audit.QueryChecks)+1)
	for _, name := range append(slices.Clone(audit.QueryChecks), audit.CheckChain) {
		require.Contains(t, out, name)
	}
	return out
}

// requireStatuses requires each check of checks to have the status want gives it, and
// every check want does not name to pass.
func requireStatuses(t testing.TB, checks map[audit.CheckName]audit.Check, want map[audit.CheckName]audit.Status) {
	t.Helper()
	for name, c := range checks {
		status, ok := want[name]
		if !ok {
			status = audit.StatusPass
		}
		require.Equal(t, status, c.Status, "check %s: %s", name, c.Detail)
	}
}

// requireIntact requires every check of query queryID in rep to pass, each citing its
// evidence: the audit of a query whose history nobody touched.
func requireIntact(t testing.TB, rep *audit.Report, queryID string) {
	t.Helper()
	checks := queryChecks(t, rep, queryID)
	requireStatuses(t, checks, nil)
	for name, c := range checks {
		require.NotEmpty(t, c.Evidence, "check %s cites its evidence", name)
	}
}

// evidenceOf returns the evidence of kind in c.
func evidenceOf(c audit.Check, kind string) []audit.Evidence {
	var out []audit.Evidence
	for _, e := range c.Evidence {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// tamperBlob rewrites in place the file that holds the blob stored under digest in the
// flow's file:// store, with edit applied to its bytes: what someone with write access
// to the storage could do. It requires that edit changed the bytes and that the store
// itself now refuses the blob.
func (f *flow) tamperBlob(t testing.TB, ctx context.Context, digest string, edit func([]byte) []byte) {
	t.Helper()
	u, err := url.Parse(f.store.URI(digest))
	require.NoError(t, err)
	require.Equal(t, "file", u.Scheme, "the flow's store is a directory")
	path := filepath.FromSlash(u.Path)
	info, err := os.Stat(path)
	require.NoError(t, err)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	edited := edit(slices.Clone(data))
	require.NotEqual(t, data, edited, "the edit changes the blob")
	require.NoError(t, os.Chmod(path, info.Mode().Perm()|0o200))
	require.NoError(t, os.WriteFile(path, edited, info.Mode().Perm()))
	_, err = f.store.Get(ctx, digest)
	require.ErrorIs(t, err, blobstore.ErrCorrupt)
}

// flipMiddleByte flips the lowest bit of the byte in the middle of data: inside a
// ciphertext's coefficients, past any header.
func flipMiddleByte(data []byte) []byte {
	data[len(data)/2] ^= 0x01
	return data
}

// publishedValue is a published value in a canonical table (package release writes
// values as JSON numbers, null for suppressed cells).
var publishedValue = regexp.MustCompile(`"value":-?[0-9.]*[0-9]`)

// changeFirstValue changes the last digit of the first published value of a canonical
// table, as someone altering a released figure would: the table stays valid JSON of
// the same layout.
func changeFirstValue(t testing.TB) func([]byte) []byte {
	return func(data []byte) []byte {
		loc := publishedValue.FindIndex(data)
		require.NotNil(t, loc, "the table publishes a value: %s", data)
		i := loc[1] - 1
		data[i] = '0' + (data[i]-'0'+1)%10
		require.True(t, json.Valid(data))
		return data
	}
}

// droppingWorker is the tamper tests' fault switch for a dishonest worker: the ledger of
// a worker that, when it posts its result, posts instead the evaluation of the query on
// the query's first submission only (leaving the other providers out), stored in the
// blob store. What it posts is a well-formed result ciphertext of the query's plan, yet
// not the output the frozen inputs give. It exists only in this test binary; the
// worker's own code is unchanged.
type droppingWorker struct {
	*ledgerapi.API
	store *blobstore.Bucket
	keys  compute.Keys
	// honest is the output digest the worker computed; posted the one it posted instead.
	honest, posted string
}

var _ worker.Ledger = (*droppingWorker)(nil)

// PostResult posts, for the worker's result in, the evaluation of in's query on its
// first submission alone, after storing it.
func (w *droppingWorker) PostResult(ctx context.Context, in ledger.ResultInput) (ledger.Result, error) {
	q, err := w.GetQuery(ctx, in.QueryID)
	if err != nil {
		return ledger.Result{}, err
	}
	ds, err := w.GetDataset(ctx, q.DatasetID)
	if err != nil {
		return ledger.Result{}, err
	}
	first, err := w.GetSubmission(ctx, q.SubmissionIDs[0])
	if err != nil {
		return ledger.Result{}, err
	}
	task, err := compute.Prepare(ctx, w.keys, ds, q)
	if err != nil {
		return ledger.Result{}, err
	}
	inputs, _, err := compute.Fetch(ctx, w.store, first.Digests())
	if err != nil {
		return ledger.Result{}, err
	}
	res, err := task.Run(inputs)
	if err != nil {
		return ledger.Result{}, err
	}
	digest, err := w.store.Put(ctx, res.Data)
	if err != nil {
		return ledger.Result{}, err
	}
	w.honest, w.posted = in.OutputDigest, digest
	in.OutputDigest, in.OutputURI, in.OutputSize = digest, w.store.URI(digest), int64(len(res.Data))
	return w.API.PostResult(ctx, in)
}

// TestTamperEditedReleasedTableIsCaughtAndTheIntactQueryPasses releases two queries of
// one dataset on the real network. The Regulator's audit, comparing three peers' blocks,
// passes every check of both, each with its evidence. Then one released figure of the
// second query's published table is changed in the blob store: the audit now fails that
// query's release check alone, naming the table's digest and URI, while the first
// query, whose history is intact, still passes every check.
func TestTamperEditedReleasedTableIsCaughtAndTheIntactQueryPasses(t *testing.T) {
	watchScenario(t, "tamper")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	f := newFlow(t, ctx)
	d := f.hospitalsSubmit(t, ctx, "policy.yaml", nil, 2_000, 1_000)
	eps := d.ds.Policy.EpsilonPerQuery
	_, _, intact, _ := f.run(t, ctx, d.ds, policies.Query{Statistic: policies.StatSum, Measure: "costEUR", GroupBy: []string{"sex"}, Epsilon: eps})
	// A count by region: its noise is small next to its cells, so they are published
	// (the noise of a sum of costs may suppress every cell, leaving no figure to change).
	table, rel, edited, _ := f.run(t, ctx, d.ds, policies.Query{Statistic: policies.StatCount, GroupBy: []string{"region"}, Epsilon: eps})
	require.NotEmpty(t, rel.TableURI, "the analyst publishes the table in the blob store")
	for _, q := range []ledger.Query{intact, edited} {
		_, err := f.awaitQuery(ctx, regulator, q.ID, "released", hasStatus(ledger.StatusReleased))
		require.NoError(t, err)
	}

	rep := f.regulatorAudit(t, ctx, audit.Scope{DatasetID: d.ds.ID})
	require.True(t, rep.Passed, "the untouched history passes: %+v", rep)
	require.Zero(t, rep.Failures)
	require.Len(t, rep.Queries, 2)
	for _, q := range []ledger.Query{intact, edited} {
		requireIntact(t, rep, q.ID)
	}

	f.tamperBlob(t, ctx, rel.TableDigest, changeFirstValue(t))
	rep = f.regulatorAudit(t, ctx, audit.Scope{DatasetID: d.ds.ID})
	require.False(t, rep.Passed)
	require.Equal(t, 1, rep.Failures, "only the edited table's release check fails")
	requireIntact(t, rep, intact.ID)
	checks := queryChecks(t, rep, edited.ID)
	requireStatuses(t, checks, map[audit.CheckName]audit.Status{audit.CheckRelease: audit.StatusFail})
	c := checks[audit.CheckRelease]
	require.Contains(t, c.Detail, rel.TableURI)
	require.Contains(t, c.Detail, "does not verify")
	blobs := evidenceOf(c, "blob")
	require.Len(t, blobs, 1)
	require.Equal(t, rel.TableDigest, blobs[0].Digest)
	require.Equal(t, edited.ID, blobs[0].ID)
	require.Equal(t, mspID(statOffice), blobs[0].Org, "the analyst that published it")
	// The ledger's own copy of the public release still holds the released table.
	onLedger, err := f.api[regulator].GetRelease(ctx, edited.ID)
	require.NoError(t, err)
	require.Equal(t, string(table.Canonical()), onLedger.Table)

	one := f.regulatorAudit(t, ctx, audit.Scope{QueryID: intact.ID})
	require.True(t, one.Passed, "the intact query alone passes")
	require.Len(t, one.Queries, 1)
	requireIntact(t, one, intact.ID)
	report(t, "tamper", "released table edited in the blob store",
		"the edited query's release check fails; the intact query passes every check",
		fmt.Sprintf("%d failure: release check of %s, table blob %.12s does not verify; intact %s passes all %d checks", rep.Failures, edited.ID, blobs[0].Digest, intact.ID, len(checks)), 0)
}

// TestTamperFlippedSubmissionByteIsNamed releases a query over both hospitals'
// submissions, whose audit passes every check; then one byte of HospitalB's stored
// ciphertext is flipped. The audit's inputs check fails naming HospitalB's submission
// (its ID, blob digest and provider) and not HospitalA's; the computation cannot be
// re-executed on the altered input; every other check still passes.
func TestTamperFlippedSubmissionByteIsNamed(t *testing.T) {
	watchScenario(t, "tamper")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	f := newFlow(t, ctx)
	d := f.hospitalsSubmit(t, ctx, "policy-exact.yaml", nil, 2_000, 1_000)
	_, _, q, _ := f.run(t, ctx, d.ds, policies.Query{Statistic: policies.StatCount, GroupBy: []string{"region", "sex"}})
	_, err := f.awaitQuery(ctx, regulator, q.ID, "released", hasStatus(ledger.StatusReleased))
	require.NoError(t, err)
	subs := map[string]ledger.Submission{} // provider MSP ID -> its submission
	for _, id := range q.SubmissionIDs {
		s, err := f.api[regulator].GetSubmission(ctx, id)
		require.NoError(t, err)
		subs[s.Provider] = s
	}
	honest, flipped := subs[mspID(hospitalA)], subs[mspID(hospitalB)]
	require.NotEmpty(t, honest.ID)
	require.NotEmpty(t, flipped.ID)

	requireIntact(t, f.regulatorAudit(t, ctx, audit.Scope{QueryID: q.ID}), q.ID)

	digest := flipped.Ciphertexts[0].Digest
	f.tamperBlob(t, ctx, digest, flipMiddleByte)
	rep := f.regulatorAudit(t, ctx, audit.Scope{QueryID: q.ID})
	require.False(t, rep.Passed)
	require.Equal(t, 2, rep.Failures, "inputs and computation")
	checks := queryChecks(t, rep, q.ID)
	requireStatuses(t, checks, map[audit.CheckName]audit.Status{audit.CheckInputs: audit.StatusFail, audit.CheckComputation: audit.StatusFail})

	c := checks[audit.CheckInputs]
	require.Contains(t, c.Detail, flipped.ID)
	require.Contains(t, c.Detail, digest)
	require.NotContains(t, c.Detail, honest.ID)
	blobs := evidenceOf(c, "blob")
	require.Len(t, blobs, 1, "one altered blob: %+v", c.Evidence)
	require.Equal(t, audit.Evidence{Kind: "blob", ID: flipped.ID, Digest: digest, Org: mspID(hospitalB), Note: blobs[0].Note}, blobs[0])
	require.Contains(t, checks[audit.CheckComputation].Detail, "inputs do not verify")
	report(t, "tamper", "one byte of a stored submission flipped",
		"the inputs check fails naming that submission only; the computation is not re-executed",
		fmt.Sprintf("%d failures: inputs names %s of %s (%s), not %s; computation: %s", rep.Failures, blobs[0].ID, blobs[0].Org, blobs[0].Note, honest.ID, checks[audit.CheckComputation].Status), 0)
}

// TestTamperLyingWorkerIsDisputedAndNamed runs a query under a policy that requires
// matching results from two worker organisations. HospitalB's worker posts first: a
// well-formed stored result, computed on the query's first submission only;
// StatOffice's honest worker then posts the true one. The ledger marks the query
// disputed, no decryptor will share, and the Regulator's audit fails the computation
// check naming HospitalB's worker and not StatOffice's, although StatOffice's result is
// the one that disagreed with the first posted.
func TestTamperLyingWorkerIsDisputedAndNamed(t *testing.T) {
	watchScenario(t, "tamper")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	f := newFlow(t, ctx)
	d := f.hospitalsSubmit(t, ctx, "policy-exact.yaml", func(p *policies.Policy) { p.RequiredResults = 2 }, 2_000, 1_000)
	spec := policies.Query{Statistic: policies.StatCount, GroupBy: []string{"region"}}
	var ft flowTimes
	q := f.request(t, ctx, d.ds, spec)
	q = f.approve(t, ctx, q, &ft)
	require.Equal(t, 2, q.RequiredResults)

	liar := &droppingWorker{API: f.api[hospitalB], store: f.store, keys: f.keys.cache}
	lied := f.computeWith(t, ctx, hospitalB, liar, d.ds, q, 0, &ft)
	require.Equal(t, mspID(hospitalB), lied.WorkerMSPID)
	require.Equal(t, liar.posted, lied.OutputDigest)
	require.NotEqual(t, liar.honest, liar.posted, "the lie differs from the worker's own result")
	// The lie is a stored, well-formed result ciphertext of the query's plan.
	data, err := f.store.Get(ctx, lied.OutputDigest)
	require.NoError(t, err)
	ld, err := blobstore.ParseDigest(lied.OutputDigest)
	require.NoError(t, err)
	_, err = eval.DecodeResult(f.keys.set, flowPlan(t, d.ds, spec, f.keys.set).Output, data, &ld)
	require.NoError(t, err)

	truth := f.compute(t, ctx, statOffice, d.ds, q, 1, &ft)
	require.Equal(t, liar.honest, truth.OutputDigest, "evaluation is deterministic")

	disputed, err := f.awaitQuery(ctx, regulator, q.ID, "disputed", hasStatus(ledger.StatusDisputed))
	require.NoError(t, err)
	require.Equal(t, "worker results disagree", disputed.StatusReason)
	require.Empty(t, disputed.OutputDigest)
	for _, msp := range q.Decryptors {
		_, err := f.holders[msp].Share(ctx, q.ID)
		require.ErrorIs(t, err, keyholder.ErrNotReady, "%s shares a disputed result", msp)
	}

	rep := f.regulatorAudit(t, ctx, audit.Scope{QueryID: q.ID})
	require.False(t, rep.Passed)
	require.Equal(t, 1, rep.Failures, "the computation alone")
	checks := queryChecks(t, rep, q.ID)
	requireStatuses(t, checks, map[audit.CheckName]audit.Status{
		audit.CheckComputation: audit.StatusFail,
		audit.CheckShares:      audit.StatusPending,
		audit.CheckRelease:     audit.StatusPending,
	})
	c := checks[audit.CheckComputation]
	require.Contains(t, c.Detail, mspID(hospitalB))
	require.Contains(t, c.Detail, lied.OutputDigest)
	require.NotContains(t, c.Detail, mspID(statOffice))
	results := evidenceOf(c, "result")
	require.Len(t, results, 2)
	for _, e := range results {
		switch e.Org {
		case mspID(hospitalB):
			require.Equal(t, lied.OutputDigest, e.Digest)
			require.Equal(t, lied.TxID, e.TxID)
			require.True(t, strings.HasPrefix(e.Note, "differs"), e.Note)
		case mspID(statOffice):
			require.Equal(t, truth.OutputDigest, e.Digest)
			require.Equal(t, "matches the re-execution", e.Note)
		default:
			t.Fatalf("evidence of an unexpected worker: %+v", e)
		}
	}
	report(t, "tamper", "a worker posts a wrong, well-formed result",
		"the query is disputed on the ledger; the computation check names that worker only",
		fmt.Sprintf("ledger: %s (%s); %d failure: computation names %s, %s matches the re-execution", disputed.Status, disputed.StatusReason, rep.Failures, lied.WorkerMSPID, truth.WorkerMSPID), 0)
}
