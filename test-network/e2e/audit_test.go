package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/audit"
	"github.com/statledger/statledger/client/chain"
	"github.com/statledger/statledger/client/cli"
	"github.com/statledger/statledger/policies"
)

// TestAuditOfReleasedQueriesPassesEveryCheck takes two queries through the whole flow on
// the real network (real key ceremony, encrypted submissions, worker, threshold
// decryption, release published in the blob store) and leaves a third pending; the
// Regulator's audit of the dataset, through its own peer, passes every check of the
// released queries (the computation re-executed with the worker's code), leaves the
// pending query's later steps pending, and finds the budget arithmetic right.
func TestAuditOfReleasedQueriesPassesEveryCheck(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	f := newFlow(t, ctx)
	d := f.hospitalsSubmit(t, ctx, "policy.yaml", nil, 3_000, 1_000)
	eps := d.ds.Policy.EpsilonPerQuery
	var released []ledger.Query
	for _, spec := range []policies.Query{
		{Statistic: policies.StatCount, GroupBy: []string{"region", "ageBand"}, Epsilon: eps},
		{Statistic: policies.StatMean, Measure: "lengthOfStay", GroupBy: []string{"sex"}, Epsilon: eps},
	} {
		_, rel, q, _ := f.run(t, ctx, d.ds, spec)
		require.NotEmpty(t, rel.TableURI, "the analyst publishes the table in the blob store")
		released = append(released, q)
	}
	waiting := f.request(t, ctx, d.ds, policies.Query{Statistic: policies.StatCount, GroupBy: []string{"sex"}, Epsilon: eps})
	for _, q := range released {
		_, err := f.awaitQuery(ctx, regulator, q.ID, "released", hasStatus(ledger.StatusReleased))
		require.NoError(t, err)
	}
	_, err := f.awaitQuery(ctx, regulator, waiting.ID, "pending", hasStatus(ledger.StatusPending))
	require.NoError(t, err)

	a, err := audit.New(f.api[regulator], f.store, f.keys.cache)
	require.NoError(t, err)
	t0 := time.Now()
	rep, err := a.Run(ctx, audit.Scope{DatasetID: d.ds.ID})
	require.NoError(t, err)
	t.Logf("e2e: audit of %d queries of dataset %s in %.2f s", len(rep.Queries), d.ds.ID, time.Since(t0).Seconds())
	require.True(t, rep.Passed, "%+v", rep)
	require.Len(t, rep.Queries, 3)
	require.Len(t, rep.Datasets, 1)
	require.Equal(t, audit.StatusPass, rep.Datasets[0].Checks[0].Status, rep.Datasets[0].Checks[0].Detail)
	require.Equal(t, 2*int64(eps), rep.Datasets[0].BudgetSpentMicro)
	require.Equal(t, 2, rep.Datasets[0].Submissions)
	byID := map[string]audit.QueryReport{}
	for _, q := range rep.Queries {
		byID[q.QueryID] = q
	}
	for _, q := range released {
		qr := byID[q.ID]
		require.Len(t, qr.Checks, len(audit.QueryChecks))
		for _, c := range qr.Checks {
			require.Equal(t, audit.StatusPass, c.Status, "query %s check %s: %s", q.ID, c.Name, c.Detail)
			require.NotEmpty(t, c.Evidence, "check %s cites its evidence", c.Name)
		}
	}
	pending := byID[waiting.ID]
	require.Equal(t, audit.StatusPass, pending.Checks[0].Status, "the pending request is within the policy")
	for _, c := range pending.Checks[1:] {
		require.Equal(t, audit.StatusPending, c.Status, "check %s of the pending query", c.Name)
	}

	one, err := a.Run(ctx, audit.Scope{QueryID: released[0].ID})
	require.NoError(t, err)
	require.True(t, one.Passed)
	require.Len(t, one.Queries, 1)

	// With the blocks of every organisation's peer compared, every transaction the
	// audit cites is found valid in them.
	sources := openChain(t, regulatorProfile(t, statOffice, hospitalA, hospitalB))
	withChain, err := audit.New(f.api[regulator], f.store, f.keys.cache, audit.WithChainRequired(),
		audit.WithChainFrom(func(ctx context.Context) (audit.Chain, error) { return chain.Compare(ctx, sources) }))
	require.NoError(t, err)
	rep, err = withChain.Run(ctx, audit.Scope{QueryID: released[1].ID})
	require.NoError(t, err)
	require.True(t, rep.Passed, "%+v", rep)
	require.Equal(t, audit.StatusPass, rep.Chain.Check.Status, rep.Chain.Check.Detail)
	require.Len(t, rep.Chain.Peers, 4)
	last := rep.Queries[0].Checks[len(rep.Queries[0].Checks)-1]
	require.Equal(t, audit.CheckChain, last.Name)
	require.Equal(t, audit.StatusPass, last.Status, last.Detail)
	require.GreaterOrEqual(t, len(last.Evidence), 8, "request, approvals, result, shares, release, ...")

	// The command line refuses what it cannot audit, in one line.
	c := newCLIEnv(t)
	c.fails(t, cli.ExitFailure, regulator, []string{"audit", "--query", "q-00000000000000000000"}, "nothing to audit", "q-00000000000000000000")
	c.fails(t, cli.ExitFailure, regulator, []string{"audit", "--dataset", "no-such-dataset"}, "nothing to audit", "no-such-dataset")
	c.fails(t, cli.ExitUsage, regulator, []string{"audit", "--dataset", "no-such-dataset", "--query", released[0].ID}, "belongs to dataset "+d.ds.ID)
	c.fails(t, cli.ExitUsage, regulator, []string{"audit", "--query", "not a query"}, "--query")
}
