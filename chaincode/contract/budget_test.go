package contract

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/policies"
)

// budgetOf sets a dataset's total budget to total epsilon, in micro-epsilon.
func budgetOf(total policies.Epsilon) func(*policies.Policy) {
	return func(p *policies.Policy) { p.EpsilonTotal = total }
}

func TestBudgetIsDebitedOnApprovalAndExhaustionIsRefused(t *testing.T) {
	f, c := setup(t, budgetOf(policies.MicroPerEpsilon)) // 1.0: two queries of 0.5
	q1 := approve(f, c, "q1")
	require.Equal(t, ledger.StatusApproved, q1.Status)
	q2 := must[ledger.Query](f, c.stat, "RequestQuery", jsonString(t, queryInput("q2")))
	q3 := must[ledger.Query](f, c.stat, "RequestQuery", jsonString(t, queryInput("q3")))
	must[ledger.Query](f, c.hospA, "ApproveQuery", q2.ID, "")
	must[ledger.Query](f, c.hospA, "ApproveQuery", q3.ID, "")
	require.Equal(t, ledger.StatusApproved, must[ledger.Query](f, c.hospB, "ApproveQuery", q2.ID, "").Status)

	_, err := f.submit(c.hospB, "ApproveQuery", q3.ID, "")
	requireCode(t, ledger.CodeBudgetExceeded, err)
	require.Contains(t, err.Error(), "dataset admissions has 0 epsilon left; the query needs 0.5")
	q3 = read[ledger.Query](f, c.reg, "GetQuery", q3.ID)
	require.Equal(t, ledger.StatusPending, q3.Status, "a refused approval changes nothing")
	require.Len(t, q3.Approvals, 1)
	_, err = f.submit(c.stat, "RequestQuery", jsonString(t, queryInput("q4")))
	requireCode(t, ledger.CodeBudgetExceeded, err)

	b := read[ledger.Budget](f, c.reg, "GetBudget", datasetA)
	require.Equal(t, b.TotalMicroEpsilon, b.SpentMicroEpsilon)

	// Cancelling an approved query before decryption refunds its epsilon and closes its
	// job; the refund lets the waiting query through.
	cancelled := must[ledger.Query](f, c.stat, "CancelQuery", q1.ID, "wrong table")
	require.Equal(t, ledger.StatusCancelled, cancelled.Status)
	require.Equal(t, ledger.StatusDone, read[ledger.Job](f, c.reg, "GetJob", q1.ID).Status)
	require.Equal(t, int64(500_000), read[ledger.Budget](f, c.reg, "GetBudget", datasetA).SpentMicroEpsilon)
	require.Equal(t, ledger.StatusApproved, must[ledger.Query](f, c.hospB, "ApproveQuery", q3.ID, "").Status)
	_, err = f.submit(c.stat2, "ClaimJob", q1.ID, "60")
	requireCode(t, ledger.CodeBadState, err)
	_, err = f.submit(c.stat, "CancelQuery", q1.ID, "again")
	requireCode(t, ledger.CodeBadState, err)
	_, err = f.submit(c.hospA, "CancelQuery", q3.ID, "not mine")
	requireCode(t, ledger.CodeForbidden, err)
}

func TestNoRefundOnceDecryptionMayHaveStarted(t *testing.T) {
	f, c := setup(t, nil)
	q := approve(f, c, "q")
	must[ledger.Job](f, c.stat, "ClaimJob", q.ID, "60")
	must[ledger.Result](f, c.stat, "PostResult", jsonString(t, ledger.ResultInput{QueryID: q.ID, InputDigests: q.InputDigests, OutputDigest: digest("out"), OutputURI: "file:///out", OutputSize: 1}))
	_, err := f.submit(c.stat, "CancelQuery", q.ID, "too late")
	requireCode(t, ledger.CodeBadState, err)
	require.Equal(t, int64(500_000), read[ledger.Budget](f, c.reg, "GetBudget", datasetA).SpentMicroEpsilon)
}

// TestConcurrentApprovalsNeverOverspend endorses 50 completing approvals against the same
// state, as 50 clients racing would, and commits them the way the peers validate them:
// every approval that completes its rule reads and writes the dataset's one budget key,
// so all but one of each round fail MVCC validation and are retried against the new
// state. Exactly the 10 that fit are approved.
func TestConcurrentApprovalsNeverOverspend(t *testing.T) {
	f, c := setup(t, budgetOf(5*policies.MicroPerEpsilon)) // 10 queries of 0.5
	var pending []string
	for i := range 50 {
		q := must[ledger.Query](f, c.stat, "RequestQuery", jsonString(t, queryInput(fmt.Sprintf("race-%02d", i))))
		must[ledger.Query](f, c.hospA, "ApproveQuery", q.ID, "")
		pending = append(pending, q.ID)
	}
	approved, exceeded, conflicts := 0, 0, 0
	for round := 0; len(pending) > 0; round++ {
		require.Less(t, round, 100, "the race does not settle")
		type endorsed struct {
			id string
			s  *fakeStub
		}
		var batch []endorsed
		var retry []string
		for _, id := range pending {
			s, resp := f.simulate(c.hospB, "ApproveQuery", id, "race")
			if _, err := result(s, resp); err != nil {
				requireCode(t, ledger.CodeBudgetExceeded, err)
				exceeded++
				continue
			}
			batch = append(batch, endorsed{id, s})
		}
		for _, e := range batch {
			err := f.commit(e.s, "ApproveQuery")
			if errors.Is(err, errMVCC) {
				conflicts++
				retry = append(retry, e.id)
				continue
			}
			require.NoError(t, err)
			approved++
		}
		b := read[ledger.Budget](f, c.reg, "GetBudget", datasetA)
		require.GreaterOrEqual(t, b.Remaining(), int64(0))
		pending = retry
	}
	require.Equal(t, 10, approved)
	require.Equal(t, 40, exceeded)
	require.Positive(t, conflicts)
	b := read[ledger.Budget](f, c.reg, "GetBudget", datasetA)
	require.Equal(t, int64(5_000_000), b.SpentMicroEpsilon)
	page := read[ledger.Page[ledger.Query]](f, c.reg, "ListQueries", datasetA, "")
	require.Len(t, page.Items, 50)
	require.Empty(t, page.Bookmark)
}

func TestAResentRequestNeverCreatesASecondQueryOrSpendsTwice(t *testing.T) {
	f, c := setup(t, nil)
	req := jsonString(t, queryInput("resend-me"))
	first := must[ledger.Query](f, c.stat, "RequestQuery", req)

	s, resp := f.simulate(c.stat, "RequestQuery", req)
	again, err := result(s, resp)
	require.NoError(t, err)
	require.Equal(t, jsonString(t, first), again)
	require.Empty(t, s.writes, "a resent request writes nothing")
	require.Empty(t, s.events)

	must[ledger.Query](f, c.hospA, "ApproveQuery", first.ID, "")
	must[ledger.Query](f, c.hospB, "ApproveQuery", first.ID, "")
	spent := read[ledger.Budget](f, c.reg, "GetBudget", datasetA).SpentMicroEpsilon
	after := must[ledger.Query](f, c.stat, "RequestQuery", req)
	require.Equal(t, first.ID, after.ID)
	require.Equal(t, ledger.StatusApproved, after.Status)
	require.Equal(t, spent, read[ledger.Budget](f, c.reg, "GetBudget", datasetA).SpentMicroEpsilon)
	require.Len(t, read[ledger.Page[ledger.Query]](f, c.reg, "ListQueries", datasetA, "").Items, 1)

	changed := queryInput("resend-me")
	changed.Spec.GroupBy = []string{"sex"}
	_, err = f.submit(c.stat, "RequestQuery", jsonString(t, changed))
	requireCode(t, ledger.CodeConflict, err)
}

func TestListsPageThroughMoreThanOnePage(t *testing.T) {
	f, c := setup(t, func(p *policies.Policy) { p.MinSubmissions = 1 })
	n := ledger.ListPageSize + 5
	for i := range n {
		must[ledger.Submission](f, c.hospA, "SubmitData", jsonString(t, submissionInput(fmt.Sprintf("p%03d", i), fmt.Sprintf("blob-%d", i))))
	}
	pages, bookmark := readPages[ledger.Submission](f, c.reg, "ListLiveSubmissions", datasetA, "")
	require.LessOrEqual(t, len(pages), 3)
	all := slices.Concat(pages...)
	require.Equal(t, n+2, len(all)) // and the two of setup
	seen := map[string]bool{}
	for _, s := range all {
		require.False(t, seen[s.ID])
		seen[s.ID] = true
	}
	_, err := f.evaluate(c.reg, "ListSubmissions", datasetA, "", bookmark)
	requireCode(t, ledger.CodeInvalid, err) // a live-list bookmark is not a submission-list one
}

func TestSubmissionsDeclareTheirRecordsWithinThePolicy(t *testing.T) {
	f, c := setup(t, func(p *policies.Policy) { p.MaxRecordsPerSubmission = 5000 })
	over := submissionInput("2026", "over")
	over.Records = 5001
	_, err := f.submit(c.hospA, "SubmitData", jsonString(t, over))
	requireCode(t, ledger.CodeInvalid, err)
	require.Contains(t, err.Error(), "submission declares 5001 records, but the policy of dataset admissions allows at most 5000 per submission (maxRecordsPerSubmission)")
	none := submissionInput("2026", "none")
	none.Records = 0
	_, err = f.submit(c.hospA, "SubmitData", jsonString(t, none))
	requireCode(t, ledger.CodeInvalid, err)

	full := submissionInput("2026", "full")
	full.Records = 5000
	s := must[ledger.Submission](f, c.hospA, "SubmitData", jsonString(t, full))
	require.Equal(t, int64(5000), s.Records)
	stored := read[ledger.Page[ledger.Submission]](f, c.reg, "ListLiveSubmissions", datasetA, "2026", "").Items
	require.Len(t, stored, 1)
	require.Equal(t, int64(5000), stored[0].Records, "the record count is on the ledger for audits")
}

func TestApprovalRefusesMoreSubmissionsThanThePolicyCombines(t *testing.T) {
	f, c := setup(t, func(p *policies.Policy) { p.MaxSubmissions = 2 })
	in := queryInput("all-periods")
	in.Period = "" // every period: the two live submissions of 2025 for now
	q := must[ledger.Query](f, c.stat, "RequestQuery", jsonString(t, in))
	must[ledger.Query](f, c.hospA, "ApproveQuery", q.ID, "fine")
	must[ledger.Submission](f, c.hospA, "SubmitData", jsonString(t, submissionInput("2026", "a-2026")))

	_, err := f.submit(c.hospB, "ApproveQuery", q.ID, "fine")
	requireCode(t, ledger.CodeBadState, err)
	require.Contains(t, err.Error(), "dataset admissions has 3 live submissions; its policy lets a query combine at most 2 (maxSubmissions)")
	q = read[ledger.Query](f, c.reg, "GetQuery", q.ID)
	require.Equal(t, ledger.StatusPending, q.Status, "a refused approval changes nothing")
	require.Len(t, q.Approvals, 1)
	require.Zero(t, read[ledger.Budget](f, c.reg, "GetBudget", datasetA).SpentMicroEpsilon, "nothing is debited")

	// A query of one period combines two submissions and goes through.
	require.Equal(t, ledger.StatusApproved, approve(f, c, "one-period").Status)
}

func TestListSubmissionsPagesThroughLiveAndSupersededByPeriodThenID(t *testing.T) {
	f, c := setup(t, func(p *policies.Policy) { p.MinSubmissions = 1 })
	// setup's two 2025 submissions, then three versions from each hospital in each of 40
	// periods: 2 + 240 records, more than two pages.
	for i := range 40 {
		for v := range 3 {
			for _, id := range []identity{c.hospA, c.hospB} {
				must[ledger.Submission](f, id, "SubmitData", jsonString(t, submissionInput(fmt.Sprintf("p%02d", i), fmt.Sprintf("%s-%d-%d", id.name, i, v))))
			}
		}
	}
	pages, bookmark := readPages[ledger.Submission](f, c.reg, "ListSubmissions", datasetA, "")
	require.LessOrEqual(t, len(pages), 3)
	for _, page := range pages[:len(pages)-1] {
		require.Len(t, page, ledger.ListPageSize, "every page but the last is full")
	}
	all := slices.Concat(pages...)
	require.Len(t, all, 242)
	live, seen := 0, map[string]bool{}
	for i, s := range all {
		require.False(t, seen[s.ID], "listed twice: %s", s.ID)
		seen[s.ID] = true
		if s.Status == ledger.StatusLive {
			live++
		}
		if i > 0 {
			prev := all[i-1]
			require.True(t, prev.Period < s.Period || (prev.Period == s.Period && prev.ID < s.ID), "by period, then ID")
		}
	}
	require.Equal(t, 2+80, live)

	one := read[ledger.Page[ledger.Submission]](f, c.reg, "ListSubmissions", datasetA, "p07", "")
	require.Len(t, one.Items, 6, "one period: three versions from each hospital")
	require.Empty(t, one.Bookmark)
	_, err := f.evaluate(c.reg, "ListSubmissions", datasetA, "p07", bookmark)
	requireCode(t, ledger.CodeInvalid, err) // a bookmark of the whole dataset's list is not one of a period's
	_, err = f.evaluate(c.reg, "ListSubmissions", datasetA, "", "zz")
	requireCode(t, ledger.CodeInvalid, err)
}
