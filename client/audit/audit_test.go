package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/audit"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/policies"
)

func requireAll(t *testing.T, rep *audit.Report, queryID string, want audit.Status) {
	t.Helper()
	for _, name := range audit.QueryChecks {
		c := check(t, rep, queryID, name)
		require.Equal(t, want, c.Status, "%s: %s", name, c.Detail)
	}
}

func TestAReleasedQueryWithAnIntactHistoryPassesEveryCheck(t *testing.T) {
	for _, public := range []bool{false, true} {
		w := newWorld(t, func(p *policies.Policy) { p.PublicReleases = public })
		q := w.released("k1")
		rep := w.run(audit.Scope{})
		requireAll(t, rep, q.ID, audit.StatusPass)
		require.True(t, rep.Passed, "%+v", rep)
		require.Zero(t, rep.Failures)
		require.Len(t, rep.Queries, 1)
		require.Equal(t, string(ledger.StatusReleased), rep.Queries[0].QueryStatus)
		require.Equal(t, stat, rep.Queries[0].Requester)
		var names []audit.CheckName
		for _, c := range rep.Queries[0].Checks {
			names = append(names, c.Name)
		}
		require.Equal(t, audit.QueryChecks, names, "the checks in report order")
		require.Len(t, rep.Datasets, 1)
		require.Equal(t, audit.StatusPass, rep.Datasets[0].Checks[0].Status, rep.Datasets[0].Checks[0].Detail)
		require.Equal(t, int64(500_000), rep.Datasets[0].BudgetSpentMicro)
		require.Equal(t, 2, rep.Datasets[0].Submissions)
		requireNames(t, check(t, rep, q.ID, audit.CheckComputation), "", stat)
		requireNames(t, check(t, rep, q.ID, audit.CheckShares), "", hosA)
		requireNames(t, check(t, rep, q.ID, audit.CheckApprovals), "", hosB)
		require.Equal(t, audit.StatusPending, rep.Chain.Check.Status, "no comparison asked for")
	}
}

func TestQueriesNotYetAtAStepArePendingThere(t *testing.T) {
	w := newWorld(t, nil)
	pendingQ := w.request("k1", countByRegion())
	approved := w.approve(w.request("k2", countByRegion()), hosA, hosB)
	decrypting := w.result(w.approve(w.request("k3", countByRegion()), hosA, hosB), stat, "")
	rep := w.run(audit.Scope{DatasetID: w.ds.ID})
	require.True(t, rep.Passed, "pending checks do not fail an audit")

	require.Equal(t, audit.StatusPass, check(t, rep, pendingQ.ID, audit.CheckPolicy).Status)
	for _, name := range audit.QueryChecks[1:] {
		require.Equal(t, audit.StatusPending, check(t, rep, pendingQ.ID, name).Status, name)
	}
	for _, name := range []audit.CheckName{audit.CheckPolicy, audit.CheckApprovals, audit.CheckBudget, audit.CheckInputs} {
		require.Equal(t, audit.StatusPass, check(t, rep, approved.ID, name).Status, name)
	}
	for _, name := range []audit.CheckName{audit.CheckComputation, audit.CheckShares, audit.CheckRelease} {
		require.Equal(t, audit.StatusPending, check(t, rep, approved.ID, name).Status, name)
	}
	require.Equal(t, audit.StatusPass, check(t, rep, decrypting.ID, audit.CheckComputation).Status)
	require.Equal(t, audit.StatusPending, check(t, rep, decrypting.ID, audit.CheckShares).Status)
	require.Equal(t, audit.StatusPending, check(t, rep, decrypting.ID, audit.CheckRelease).Status)
	require.Equal(t, int64(1_000_000), rep.Datasets[0].BudgetSpentMicro)
}

func TestARejectedQueryIsPendingAndACancelledOneRefunded(t *testing.T) {
	w := newWorld(t, nil)
	q := w.request("k1", countByRegion())
	tx, at := w.next()
	q, err := ledger.ApplyRejection(w.l.c, q, hosA, "too fine", tx, at)
	require.NoError(t, err)
	w.l.putQuery(q, tx, at)

	c := w.approve(w.request("k2", countByRegion()), hosA, hosB)
	tx, at = w.next()
	c, b, refunded, err := ledger.CancelQuery(c, w.l.budgets[w.ds.ID], stat, "not needed", at)
	require.NoError(t, err)
	require.True(t, refunded)
	w.l.putQuery(c, tx, at)
	w.l.putBudget(b, tx, at)

	rep := w.run(audit.Scope{})
	require.True(t, rep.Passed, "%+v", rep.Queries)
	ap := check(t, rep, q.ID, audit.CheckApprovals)
	require.Equal(t, audit.StatusPending, ap.Status)
	require.Contains(t, ap.Detail, "rejected by "+hosA)
	require.Equal(t, audit.StatusPass, check(t, rep, q.ID, audit.CheckBudget).Status)
	budget := check(t, rep, c.ID, audit.CheckBudget)
	require.Equal(t, audit.StatusPass, budget.Status, budget.Detail)
	require.Contains(t, budget.Detail, "refunded")
	require.Equal(t, int64(0), rep.Datasets[0].BudgetSpentMicro)

	// A rejection that no member recorded fails.
	q.Approvals = nil
	w.l.queries[q.ID] = q
	rep = w.run(audit.Scope{QueryID: q.ID})
	require.Equal(t, audit.StatusFail, check(t, rep, q.ID, audit.CheckApprovals).Status)
}

func TestAlteredInputBlobFailsNamingTheSubmissionAndItsProvider(t *testing.T) {
	for _, tc := range []struct {
		name  string
		alter func(w *world, digest string)
	}{
		{"a flipped byte the store does not notice", func(w *world, d string) { w.store.flip(d) }},
		{"a blob gone from the store", func(w *world, d string) { w.store.remove(d) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, nil)
			q := w.released("k1")
			var victim ledger.Submission
			for _, s := range w.l.subs {
				if s.Provider == hosB {
					victim = s
				}
			}
			tc.alter(w, victim.Ciphertexts[0].Digest)
			rep := w.run(audit.Scope{QueryID: q.ID})
			require.False(t, rep.Passed)
			in := check(t, rep, q.ID, audit.CheckInputs)
			require.Equal(t, audit.StatusFail, in.Status)
			require.Contains(t, in.Detail, victim.ID)
			require.Contains(t, in.Detail, hosB)
			requireNames(t, in, victim.ID, hosB)
			for _, e := range in.Evidence {
				if e.Kind == "blob" {
					require.NotEqual(t, hosA, e.Org, "the intact submission is not blamed")
				}
			}
			comp := check(t, rep, q.ID, audit.CheckComputation)
			require.Equal(t, audit.StatusFail, comp.Status, "nothing can be re-executed on altered inputs")
		})
	}
}

func TestAWorkerThatPostsAWrongDigestIsNamed(t *testing.T) {
	w := newWorld(t, func(p *policies.Policy) { p.RequiredResults = 2 })
	q := w.approve(w.request("k1", countByRegion()), hosA, hosB)
	q = w.result(q, hosB, blobstore.Digest([]byte("not the result")))
	q = w.result(q, stat, "")
	require.Equal(t, ledger.StatusDisputed, q.Status)
	rep := w.run(audit.Scope{QueryID: q.ID})
	comp := check(t, rep, q.ID, audit.CheckComputation)
	require.Equal(t, audit.StatusFail, comp.Status)
	require.Contains(t, comp.Detail, "worker "+hosB)
	require.NotContains(t, comp.Detail, "worker "+stat)
	requireNames(t, comp, "", hosB)
	require.Equal(t, audit.StatusPass, check(t, rep, q.ID, audit.CheckBudget).Status)
	require.Equal(t, audit.StatusPending, check(t, rep, q.ID, audit.CheckShares).Status)
	require.Equal(t, 1, rep.Failures)

	// Two agreeing workers pass.
	q2 := w.result(w.result(w.approve(w.request("k2", countByRegion()), hosA, hosB), stat, ""), hosB, "")
	require.Equal(t, ledger.StatusDecrypting, q2.Status)
	rep = w.run(audit.Scope{QueryID: q2.ID})
	c2 := check(t, rep, q2.ID, audit.CheckComputation)
	require.Equal(t, audit.StatusPass, c2.Status, c2.Detail)
	require.Contains(t, c2.Detail, "2 of 2")
}

func TestAnEditedTableIsDetected(t *testing.T) {
	w := newWorld(t, nil)
	q := w.released("k1")
	rel := w.l.releases[q.ID]
	w.store.flip(rel.TableDigest)
	rep := w.run(audit.Scope{})
	c := check(t, rep, q.ID, audit.CheckRelease)
	require.Equal(t, audit.StatusFail, c.Status)
	require.Contains(t, c.Detail, "published table")
	requireNames(t, c, q.ID, stat)

	// A public table edited on the ledger is caught too.
	w = newWorld(t, func(p *policies.Policy) { p.PublicReleases = true })
	q = w.released("k1")
	rel = w.l.releases[q.ID]
	rel.Table = rel.Table[:len(rel.Table)-2] + " \n"
	w.l.releases[q.ID] = rel
	c = check(t, w.run(audit.Scope{}), q.ID, audit.CheckRelease)
	require.Equal(t, audit.StatusFail, c.Status)
	require.Contains(t, c.Detail, "the table on the ledger hashes")
}

func TestReleaseRecordsThatDisagreeWithTheTableFail(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(r *ledger.Release)
		want string
	}{
		{"suppressed cells other than the table's", func(r *ledger.Release) { r.Suppressed = []int{0} }, "suppressed cells"},
		{"a URI naming another blob", func(r *ledger.Release) { r.TableURI = "mem://" + blobstore.Digest([]byte("x")) }, "does not name"},
		{"no published table at all", func(r *ledger.Release) { r.TableURI = "" }, "names no published table"},
		{"another analyst", func(r *ledger.Release) { r.Analyst = hosA }, "not by the requester"},
		{"a digest other than the query's", func(r *ledger.Release) { r.TableDigest = blobstore.Digest([]byte("x")) }, "is not the query's"},
		{"a number of cells other than the query's", func(r *ledger.Release) { r.Cells++ }, "the release has 5 cells, the query 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, nil)
			q := w.released("k1")
			rel := w.l.releases[q.ID]
			tc.edit(&rel)
			w.l.releases[q.ID] = rel
			c := check(t, w.run(audit.Scope{}), q.ID, audit.CheckRelease)
			require.Equal(t, audit.StatusFail, c.Status)
			require.Contains(t, c.Detail, tc.want)
		})
	}
}

func TestSharesFromOutsideTheDecryptorsOrWithoutBlobsFail(t *testing.T) {
	t.Run("a share blob gone from the store names its key holder", func(t *testing.T) {
		w := newWorld(t, nil)
		q := w.released("k1")
		for _, s := range w.l.shares[q.ID] {
			if s.KeyHolder == stat {
				w.store.remove(s.Digest)
			}
		}
		c := check(t, w.run(audit.Scope{}), q.ID, audit.CheckShares)
		require.Equal(t, audit.StatusFail, c.Status)
		require.Contains(t, c.Detail, "share blob of "+stat)
	})
	t.Run("a share from a key holder that is not a decryptor", func(t *testing.T) {
		w := newWorld(t, nil)
		q := w.released("k1")
		shares := w.l.shares[q.ID]
		shares[0].KeyHolder = hosB
		c := check(t, w.run(audit.Scope{}), q.ID, audit.CheckShares)
		require.Equal(t, audit.StatusFail, c.Status)
		require.Contains(t, c.Detail, hosB+" is not one of the query's decryptors")
		requireNames(t, c, "", hosB)
	})
	t.Run("a ready query with fewer shares than the threshold", func(t *testing.T) {
		w := newWorld(t, nil)
		q := w.released("k1")
		w.l.shares[q.ID] = w.l.shares[q.ID][:1]
		c := check(t, w.run(audit.Scope{}), q.ID, audit.CheckShares)
		require.Equal(t, audit.StatusFail, c.Status)
	})
}

func TestApprovalsThatBreakTheRuleFail(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(q *ledger.Query)
		want string
		org  string
	}{
		{"the requester approving its own query", func(q *ledger.Query) { q.Approvals[0].MSPID = stat }, "requested the query", stat},
		{"a non-member approving", func(q *ledger.Query) { q.Approvals[1].MSPID = reg }, "not a member", reg},
		{"one organisation approving twice", func(q *ledger.Query) { q.Approvals[1].MSPID = hosA }, "decided twice", hosA},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, nil)
			q := w.released("k1")
			q = w.l.queries[q.ID]
			tc.edit(&q)
			w.l.queries[q.ID] = q
			c := check(t, w.run(audit.Scope{}), q.ID, audit.CheckApprovals)
			require.Equal(t, audit.StatusFail, c.Status)
			require.Contains(t, c.Detail, tc.want)
			requireNames(t, c, "", tc.org)
		})
	}
}

func TestPolicyCheckRechecksTheRequestAndItsHistory(t *testing.T) {
	t.Run("a request rewritten after the fact", func(t *testing.T) {
		w := newWorld(t, nil)
		q := w.released("k1")
		q = w.l.queries[q.ID]
		q.Spec.GroupBy = []string{"sex"}
		tx, at := w.next()
		w.l.putQuery(q, tx, at)
		c := check(t, w.run(audit.Scope{}), q.ID, audit.CheckPolicy)
		require.Equal(t, audit.StatusFail, c.Status)
		requireNames(t, c, tx, "")
	})
	t.Run("an epsilon other than the specification's", func(t *testing.T) {
		w := newWorld(t, nil)
		q := w.request("k1", countByRegion())
		q.EpsilonMicro = 1
		w.l.queries[q.ID] = q
		w.l.qhist[q.ID] = nil
		w.l.putQuery(q, q.TxID, q.RequestedAt)
		c := check(t, w.run(audit.Scope{}), q.ID, audit.CheckPolicy)
		require.Equal(t, audit.StatusFail, c.Status)
		require.Contains(t, c.Detail, "spends")
	})
	t.Run("a policy that changed after registration", func(t *testing.T) {
		w := newWorld(t, nil)
		q := w.request("k1", countByRegion())
		ds := w.ds
		ds.Policy.EpsilonPerQuery = 900_000
		tx, at := w.next()
		w.l.putDataset(ds, tx, at)
		c := check(t, w.run(audit.Scope{}), q.ID, audit.CheckPolicy)
		require.Equal(t, audit.StatusFail, c.Status)
		requireNames(t, c, tx, "")
	})
}

func TestBudgetHistoryThatDoesNotAddUpFails(t *testing.T) {
	t.Run("a debit of the wrong amount", func(t *testing.T) {
		w := newWorld(t, nil)
		q := w.approve(w.request("k1", countByRegion()), hosA, hosB)
		h := w.l.dhist[w.ds.ID]
		last := h.Budget[len(h.Budget)-1]
		var b ledger.Budget
		require.NoError(t, json.Unmarshal(last.Value, &b))
		b.SpentMicroEpsilon = 400_000
		h.Budget[len(h.Budget)-1] = entry(last.TxID, last.Timestamp, b)
		rep := w.run(audit.Scope{})
		c := check(t, rep, q.ID, audit.CheckBudget)
		require.Equal(t, audit.StatusFail, c.Status)
		require.Contains(t, c.Detail, "not the 500000 approved")
		require.Equal(t, audit.StatusFail, rep.Datasets[0].Checks[0].Status)
	})
	t.Run("a change no query explains", func(t *testing.T) {
		w := newWorld(t, nil)
		w.released("k1")
		b := w.l.budgets[w.ds.ID]
		b.SpentMicroEpsilon += 100_000
		tx, at := w.next()
		w.l.putBudget(b, tx, at)
		rep := w.run(audit.Scope{DatasetID: w.ds.ID})
		d := rep.Datasets[0].Checks[0]
		require.Equal(t, audit.StatusFail, d.Status)
		require.Contains(t, d.Detail, "transaction "+tx)
		requireNames(t, d, tx, "")
		require.False(t, rep.Passed)
	})
}

func TestInputsMustBeExactlyTheLiveSubmissions(t *testing.T) {
	w := newWorld(t, nil)
	q := w.approve(w.request("k1", countByRegion()), hosA, hosB)
	dropped := q.SubmissionIDs[0]
	q.SubmissionIDs = q.SubmissionIDs[1:]
	w.l.queries[q.ID] = q
	c := check(t, w.run(audit.Scope{}), q.ID, audit.CheckInputs)
	require.Equal(t, audit.StatusFail, c.Status)
	require.Contains(t, c.Detail, dropped)

	// Submissions beyond the bounds the policy's plaintext capacity relies on fail.
	w = newWorld(t, nil)
	q = w.released("k1")
	big := w.l.subs[1]
	w.l.subs[1].Records = 5000
	c = check(t, w.run(audit.Scope{}), q.ID, audit.CheckInputs)
	require.Equal(t, audit.StatusFail, c.Status)
	require.Contains(t, c.Detail, "declares 5000 records")
	requireNames(t, c, big.ID, big.Provider)
	w.l.subs[1].Records = big.Records
	ds := w.l.datasets[w.ds.ID]
	ds.Policy.MinSubmissions = 3
	w.l.datasets[w.ds.ID] = ds
	c = check(t, w.run(audit.Scope{}), q.ID, audit.CheckInputs)
	require.Equal(t, audit.StatusFail, c.Status)
	require.Contains(t, c.Detail, "combines 2 submissions; the policy allows 3 to 4")

	// A submission superseded before the approval is not an input; its successor is.
	w = newWorld(t, nil)
	w.submit(hosA, 9)
	q = w.released("k1")
	rep := w.run(audit.Scope{})
	require.Equal(t, audit.StatusPass, check(t, rep, q.ID, audit.CheckInputs).Status)
	require.Equal(t, 3, rep.Datasets[0].Submissions)
}

// fakeChain knows the transactions of the blocks it compared.
type fakeChain struct {
	missing, invalid string
}

func (c fakeChain) Report() audit.ChainReport {
	return audit.ChainReport{Peers: []audit.PeerChain{{Org: hosA, Height: 9}, {Org: stat, Height: 9}}, Blocks: 9,
		Check: audit.Check{Status: audit.StatusPass, Detail: "2 peers agree"}}
}

func (c fakeChain) Tx(txID string) (uint64, bool, bool) {
	if txID == c.missing {
		return 0, false, false
	}
	return 3, txID != c.invalid, true
}

func TestChainCheckFindsEveryEvidenceTransaction(t *testing.T) {
	w := newWorld(t, nil)
	q := w.released("k1")
	rep := w.run(audit.Scope{}, audit.WithChain(fakeChain{}))
	require.True(t, rep.Passed)
	require.Len(t, rep.Queries[0].Checks, len(audit.QueryChecks)+1)
	c := check(t, rep, q.ID, audit.CheckChain)
	require.Equal(t, audit.StatusPass, c.Status, c.Detail)
	require.Equal(t, audit.CheckChain, rep.Chain.Check.Name)
	require.Len(t, rep.Chain.Peers, 2)

	rel := w.l.releases[q.ID]
	rep = w.run(audit.Scope{}, audit.WithChain(fakeChain{missing: rel.TxID}))
	c = check(t, rep, q.ID, audit.CheckChain)
	require.Equal(t, audit.StatusFail, c.Status)
	requireNames(t, c, rel.TxID, "")
	require.False(t, rep.Passed)

	approval := w.l.queries[q.ID].Approvals[0].TxID
	c = check(t, w.run(audit.Scope{}, audit.WithChain(fakeChain{invalid: approval})), q.ID, audit.CheckChain)
	require.Equal(t, audit.StatusFail, c.Status)
	require.Contains(t, c.Detail, "transaction "+approval+" in block 3 is invalid")

	rep = w.run(audit.Scope{}, audit.WithChainRequired())
	require.Equal(t, audit.StatusFail, rep.Chain.Check.Status)
	require.Equal(t, "no peers compared", rep.Chain.Check.Detail)
	require.False(t, rep.Passed)
	require.Equal(t, 1, rep.Failures)
}

func TestScopeErrors(t *testing.T) {
	w := newWorld(t, nil)
	q := w.released("k1")
	ctx := context.Background()
	a := w.auditor()
	_, err := a.Run(ctx, audit.Scope{QueryID: "q 1"})
	require.ErrorIs(t, err, audit.ErrScope)
	_, err = a.Run(ctx, audit.Scope{DatasetID: "bad/id"})
	require.ErrorIs(t, err, audit.ErrScope)
	_, err = a.Run(ctx, audit.Scope{QueryID: "q-unknown"})
	require.ErrorIs(t, err, ledger.ErrNotFound)
	require.ErrorContains(t, err, "q-unknown")
	_, err = a.Run(ctx, audit.Scope{DatasetID: "unknown"})
	require.ErrorIs(t, err, ledger.ErrNotFound)
	_, err = a.Run(ctx, audit.Scope{DatasetID: "other", QueryID: q.ID})
	require.ErrorIs(t, err, audit.ErrScope)
	rep, err := a.Run(ctx, audit.Scope{DatasetID: w.ds.ID, QueryID: q.ID})
	require.NoError(t, err)
	require.Len(t, rep.Queries, 1)

	_, err = audit.New(nil, w.store, keySource{})
	require.Error(t, err)
}

func TestReportsAreDeterministic(t *testing.T) {
	w := newWorld(t, nil)
	for _, k := range []string{"k3", "k1", "k2"} {
		w.released(k)
	}
	a, err := json.Marshal(w.run(audit.Scope{}))
	require.NoError(t, err)
	b, err := json.Marshal(w.run(audit.Scope{}))
	require.NoError(t, err)
	require.JSONEq(t, string(a), string(b))
	rep := w.run(audit.Scope{})
	for i := 1; i < len(rep.Queries); i++ {
		require.Less(t, rep.Queries[i-1].QueryID, rep.Queries[i].QueryID)
	}
}

func TestAChainComparedAfterTheReadsIsUsedAndItsErrorsReturned(t *testing.T) {
	w := newWorld(t, nil)
	q := w.released("k1")
	calls := 0
	rep := w.run(audit.Scope{}, audit.WithChainFrom(func(context.Context) (audit.Chain, error) {
		calls++
		return fakeChain{}, nil
	}))
	require.Equal(t, 1, calls)
	require.Equal(t, audit.StatusPass, check(t, rep, q.ID, audit.CheckChain).Status)

	_, err := w.auditor(audit.WithChainFrom(func(context.Context) (audit.Chain, error) {
		return nil, errors.New("peer of HospitalA unreachable")
	})).Run(context.Background(), audit.Scope{})
	require.ErrorContains(t, err, "compare the peers' blocks: peer of HospitalA unreachable")
}

func TestUndecodableHistoryIsAFailureNotAnError(t *testing.T) {
	w := newWorld(t, nil)
	q := w.released("k1")
	w.l.qhist[q.ID] = append(w.l.qhist[q.ID], ledger.HistoryEntry{TxID: "tx-bad", Timestamp: w.clock, Value: json.RawMessage(`{"id":`)})
	h := w.l.dhist[w.ds.ID]
	h.Budget = append(h.Budget, ledger.HistoryEntry{TxID: "tx-del", Timestamp: w.clock, IsDelete: true, Value: json.RawMessage("null")})
	rep := w.run(audit.Scope{})
	c := check(t, rep, q.ID, audit.CheckPolicy)
	require.Equal(t, audit.StatusFail, c.Status)
	require.Contains(t, c.Detail, "1 versions of the query do not decode")
	require.Equal(t, audit.StatusFail, rep.Datasets[0].Checks[0].Status)
	require.Contains(t, rep.Datasets[0].Checks[0].Detail, "do not decode")

	w.l.qhist[q.ID] = nil
	c = check(t, w.run(audit.Scope{}), q.ID, audit.CheckPolicy)
	require.Equal(t, audit.StatusFail, c.Status)
	require.Contains(t, c.Detail, "no history")
}
