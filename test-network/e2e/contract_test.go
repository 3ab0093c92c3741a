package e2e

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/fabric"
	"github.com/statledger/statledger/client/ledgerapi"
	"github.com/statledger/statledger/policies"
)

// approved runs a count query on a fresh dataset with both hospitals' submissions through
// the approvals of both hospitals, and returns the dataset and the approved query.
func approved(t *testing.T, ctx context.Context, edit func(*policies.Policy)) (ledger.Dataset, ledger.Query) {
	t.Helper()
	ds := registerDataset(t, ctx, edit)
	submitBoth(t, ctx, ds, "2026-Q3")
	q, err := connect(t, statOffice).RequestQuery(ctx, countQuery(ds, "2026-Q3", unique("idem")))
	require.NoError(t, err)
	require.Equal(t, ledger.StatusPending, q.Status)
	settle(t, ctx)
	_, err = connect(t, hospitalA).ApproveQuery(ctx, q.ID, "fits the policy")
	require.NoError(t, err)
	settle(t, ctx)
	q, err = connect(t, hospitalB).ApproveQuery(ctx, q.ID, "fits the policy")
	require.NoError(t, err)
	require.Equal(t, ledger.StatusApproved, q.Status)
	// The approval committed on HospitalB's peer; callers go on through other peers.
	settle(t, ctx)
	return ds, q
}

func TestHappyPathFromDatasetToRelease(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	stat, hospA, hospB, reg := connect(t, statOffice), connect(t, hospitalA), connect(t, hospitalB), connect(t, regulator)

	ds, q := approved(t, ctx, nil)
	require.Equal(t, []string{mspID(hospitalA), mspID(statOffice)}, q.Decryptors, "the first t key holders, sorted")
	require.NoError(t, ledger.ValidateDigest("analyst key digest", q.AnalystKeyDigest))
	require.Equal(t, "file:///blobs/"+q.AnalystKeyDigest, q.AnalystKeyURI)
	require.Len(t, q.SubmissionIDs, 2, "both live submissions are frozen into the query")
	require.Len(t, q.InputDigests, 4)
	settle(t, ctx)
	budget, err := reg.GetBudget(ctx, ds.ID)
	require.NoError(t, err)
	require.Equal(t, q.EpsilonMicro, budget.SpentMicroEpsilon, "approval debits the query's epsilon")

	job, err := stat.ClaimJob(ctx, q.ID, 60)
	require.NoError(t, err)
	require.Equal(t, mspID(statOffice), job.Lease.WorkerMSPID)
	out := randomDigest()
	_, err = stat.PostResult(ctx, ledger.ResultInput{QueryID: q.ID, InputDigests: q.InputDigests,
		OutputDigest: out, OutputURI: "file:///blobs/" + out, OutputSize: 524_288})
	require.NoError(t, err)
	settle(t, ctx)

	d := randomDigest()
	_, err = hospB.PostDecryptionShare(ctx, ledger.ShareInput{QueryID: q.ID, Digest: d, URI: "file:///blobs/" + d, Size: 524_288})
	requireCode(t, err, ledger.CodeForbidden, "a key holder that is not one of the query's decryptors")
	for i, holder := range []*ledgerapi.API{stat, hospA} {
		got, err := reg.GetQuery(ctx, q.ID)
		require.NoError(t, err)
		require.Equal(t, ledger.StatusDecrypting, got.Status, "after %d of 2 decryptors' shares", i)
		d := randomDigest()
		_, err = holder.PostDecryptionShare(ctx, ledger.ShareInput{QueryID: q.ID, Digest: d, URI: "file:///blobs/" + d, Size: 524_288})
		require.NoError(t, err)
		settle(t, ctx)
	}
	settle(t, ctx)
	got, err := reg.GetQuery(ctx, q.ID)
	require.NoError(t, err)
	require.Equal(t, ledger.StatusReady, got.Status, "the shares of both decryptors make the query ready for release")

	table := `{"cells":[]}`
	rel, err := stat.RecordRelease(ctx, ledger.ReleaseInput{QueryID: q.ID, Format: "json", TableDigest: ledger.Digest([]byte(table)), Table: table, Suppressed: []int{}})
	require.NoError(t, err)
	require.Equal(t, q.ID, rel.QueryID)
	settle(t, ctx)
	got, err = reg.GetQuery(ctx, q.ID)
	require.NoError(t, err)
	require.Equal(t, ledger.StatusReleased, got.Status)
	fromLedger, err := reg.GetRelease(ctx, q.ID)
	require.NoError(t, err)
	require.Equal(t, rel, fromLedger, "the regulator reads the release")
}

func TestResentQueryRequestSpendsOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stat, reg := connect(t, statOffice), connect(t, regulator)
	ds := registerDataset(t, ctx, nil)
	submitBoth(t, ctx, ds, "2026-Q3")
	req := countQuery(ds, "2026-Q3", unique("idem"))

	first, err := stat.RequestQuery(ctx, req)
	require.NoError(t, err)
	again, err := stat.RequestQuery(ctx, req)
	require.NoError(t, err, "a resent request is answered, not refused")
	require.Equal(t, first.ID, again.ID)
	require.Equal(t, first.TxID, again.TxID, "the resent request created nothing")
	settle(t, ctx)

	for _, org := range []string{hospitalA, hospitalB} {
		_, err := connect(t, org).ApproveQuery(ctx, first.ID, "ok")
		require.NoError(t, err)
		settle(t, ctx)
	}
	settle(t, ctx)
	afterApproval, err := reg.GetBudget(ctx, ds.ID)
	require.NoError(t, err)
	require.Equal(t, first.EpsilonMicro, afterApproval.SpentMicroEpsilon)

	third, err := stat.RequestQuery(ctx, req)
	require.NoError(t, err)
	require.Equal(t, first.ID, third.ID)
	require.Equal(t, ledger.StatusApproved, third.Status)
	page, err := reg.ListQueries(ctx, ds.ID, "")
	require.NoError(t, err)
	require.Len(t, page.Items, 1, "one query, however often it is requested")
	final, err := reg.GetBudget(ctx, ds.ID)
	require.NoError(t, err)
	require.Equal(t, afterApproval.SpentMicroEpsilon, final.SpentMicroEpsilon, "nothing is spent twice")
}

func TestSecondDecryptionShareFromAnOrganisationIsRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stat, hospA := connect(t, statOffice), connect(t, hospitalA)
	_, q := approved(t, ctx, nil)
	_, err := stat.ClaimJob(ctx, q.ID, 60)
	require.NoError(t, err)
	out := randomDigest()
	_, err = stat.PostResult(ctx, ledger.ResultInput{QueryID: q.ID, InputDigests: q.InputDigests, OutputDigest: out, OutputURI: "file:///blobs/" + out, OutputSize: 1})
	require.NoError(t, err)
	settle(t, ctx)

	d := randomDigest()
	_, err = hospA.PostDecryptionShare(ctx, ledger.ShareInput{QueryID: q.ID, Digest: d, URI: "file:///blobs/" + d, Size: 1})
	require.NoError(t, err)
	other := randomDigest()
	_, err = hospA.PostDecryptionShare(ctx, ledger.ShareInput{QueryID: q.ID, Digest: other, URI: "file:///blobs/" + other, Size: 1})
	requireCode(t, err, ledger.CodeConflict, "a second, different share")
	_, err = hospA.PostDecryptionShare(ctx, ledger.ShareInput{QueryID: q.ID, Digest: d, URI: "file:///blobs/" + d, Size: 1})
	requireCode(t, err, ledger.CodeConflict, "the same share again")

	settle(t, ctx)
	shares, err := connect(t, regulator).ListDecryptionShares(ctx, q.ID)
	require.NoError(t, err)
	require.Len(t, shares, 1)
	require.Equal(t, d, shares[0].Digest)
}

func TestConcurrentApprovalsNeverOverspendTheBudget(t *testing.T) {
	const queries, fits = 50, 10
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	ds := registerDataset(t, ctx, func(p *policies.Policy) {
		p.EpsilonPerQuery = policies.Epsilon(100_000) // 0.1
		p.EpsilonTotal = policies.Epsilon(fits * 100_000)
	})
	submitBoth(t, ctx, ds, "2026-Q3")
	stat, hospA := connect(t, statOffice), connect(t, hospitalA)

	ids := make([]string, queries)
	prefix := unique("race")
	parallel(t, queries, 16, func(i int) error {
		q, err := stat.RequestQuery(ctx, countQuery(ds, "2026-Q3", fmt.Sprintf("%s-%d", prefix, i)))
		ids[i] = q.ID
		return err
	})
	settle(t, ctx)
	// HospitalA's approvals do not meet the rule yet, so they touch no budget.
	parallel(t, queries, 16, func(i int) error {
		_, err := hospA.ApproveQuery(ctx, ids[i], "ok")
		return err
	})
	settle(t, ctx)

	// HospitalB's 50 approvals each complete a query and race for the budget key; MVCC
	// conflicts are retried by the client until the budget decides.
	racer := connect(t, hospitalB, fabric.WithRetry(fabric.Retry{Attempts: 60, Backoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second}))
	var mu sync.Mutex
	outcome := map[ledger.Code]int{}
	parallel(t, queries, queries, func(i int) error {
		_, err := racer.ApproveQuery(ctx, ids[i], "ok")
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			outcome["APPROVED"]++
		case errors.Is(err, ledger.ErrBudgetExceeded):
			outcome[ledger.CodeBudgetExceeded]++
		default:
			return err
		}
		return nil
	})
	t.Logf("outcomes: %v", outcome)
	require.Equal(t, fits, outcome["APPROVED"])
	require.Equal(t, queries-fits, outcome[ledger.CodeBudgetExceeded])

	settle(t, ctx)
	reg := connect(t, regulator)
	budget, err := reg.GetBudget(ctx, ds.ID)
	require.NoError(t, err)
	require.Equal(t, budget.TotalMicroEpsilon, budget.SpentMicroEpsilon, "the budget is spent exactly, never beyond")
	approvedCount := 0
	for bookmark := ""; ; {
		page, err := reg.ListQueries(ctx, ds.ID, bookmark)
		require.NoError(t, err)
		for _, q := range page.Items {
			if q.Status == ledger.StatusApproved {
				approvedCount++
			}
		}
		if bookmark = page.Bookmark; bookmark == "" {
			break
		}
	}
	require.Equal(t, fits, approvedCount)
}

// parallel runs fn(0..n-1) on at most width goroutines and fails the test on any error.
func parallel(t *testing.T, n, width int, fn func(i int) error) {
	t.Helper()
	sem := make(chan struct{}, width)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
}
