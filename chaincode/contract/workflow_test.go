package contract

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/policies"
)

func resultInput(t testing.TB, q ledger.Query, output string) string {
	return jsonString(t, ledger.ResultInput{QueryID: q.ID, InputDigests: q.InputDigests, OutputDigest: digest(output), OutputURI: "file:///blobs/" + output, OutputSize: 512})
}

func twoResults(p *policies.Policy) { p.RequiredResults = 2 }

func TestDecryptionWaitsForMatchingResultsFromDistinctOrganisations(t *testing.T) {
	f, c := setup(t, twoResults)
	q := approve(f, c, "k2")
	must[ledger.Job](f, c.stat2, "ClaimJob", q.ID, "60")
	must[ledger.Result](f, c.stat2, "PostResult", resultInput(t, q, "out"))
	job := read[ledger.Job](f, c.reg, "GetJob", q.ID)
	require.Equal(t, ledger.StatusOpen, job.Status)
	require.Equal(t, ledger.StatusApproved, read[ledger.Query](f, c.reg, "GetQuery", q.ID).Status)
	_, err := f.submit(c.hospA, "PostDecryptionShare", jsonString(t, ledger.ShareInput{QueryID: q.ID, Digest: digest("early"), URI: "file:///early", Size: 1}))
	requireCode(t, ledger.CodeBadState, err)

	_, err = f.submit(c.stat, "ClaimJob", q.ID, "60")
	requireCode(t, ledger.CodeConflict, err) // StatOffice already posted; another organisation computes next
	must[ledger.Job](f, c.lab, "ClaimJob", q.ID, "60")
	must[ledger.Result](f, c.lab, "PostResult", resultInput(t, q, "out"))
	q = read[ledger.Query](f, c.reg, "GetQuery", q.ID)
	require.Equal(t, ledger.StatusDecrypting, q.Status)
	require.Equal(t, digest("out"), q.OutputDigest)
	require.Len(t, read[[]ledger.Result](f, c.reg, "ListResults", q.ID), 2)
	require.Equal(t, ledger.StatusDone, read[ledger.Job](f, c.reg, "GetJob", q.ID).Status)
}

func TestMismatchingResultsMarkTheQueryDisputed(t *testing.T) {
	f, c := setup(t, twoResults)
	q := approve(f, c, "dispute")
	must[ledger.Job](f, c.stat, "ClaimJob", q.ID, "60")
	must[ledger.Result](f, c.stat, "PostResult", resultInput(t, q, "out"))
	must[ledger.Job](f, c.lab, "ClaimJob", q.ID, "60")
	must[ledger.Result](f, c.lab, "PostResult", resultInput(t, q, "different"))
	require.Equal(t, ledger.StatusDisputed, read[ledger.Query](f, c.reg, "GetQuery", q.ID).Status)
	last := f.events[len(f.events)-1]
	require.Equal(t, "result.recorded", last.Name)
	require.Equal(t, ledger.StatusDisputed, last.QueryStatus)
	_, err := f.submit(c.lab, "ClaimJob", q.ID, "60")
	requireCode(t, ledger.CodeBadState, err)
	must[ledger.Query](f, c.stat, "CancelQuery", q.ID, "results disagree")
	require.Zero(t, read[ledger.Budget](f, c.reg, "GetBudget", datasetA).SpentMicroEpsilon)
}

func TestOnlyTheLeaseHolderPostsAndAnExpiredLeaseIsTakenOver(t *testing.T) {
	f, c := setup(t, nil)
	q := approve(f, c, "lease")
	must[ledger.Job](f, c.stat2, "ClaimJob", q.ID, "60")
	_, err := f.submit(c.lab, "ClaimJob", q.ID, "60")
	requireCode(t, ledger.CodeConflict, err)
	_, err = f.submit(c.lab, "PostResult", resultInput(t, q, "out"))
	requireCode(t, ledger.CodeForbidden, err)
	_, err = f.submit(c.lab, "RenewLease", q.ID, "60")
	requireCode(t, ledger.CodeForbidden, err)
	renewed := must[ledger.Job](f, c.stat2, "RenewLease", q.ID, "120")
	require.Equal(t, f.w.now.Add(120*time.Second), renewed.Lease.ExpiresAt)

	f.w.now = f.w.now.Add(121 * time.Second)
	job := must[ledger.Job](f, c.lab, "ClaimJob", q.ID, "60")
	require.Equal(t, labMSP, job.Lease.WorkerMSPID)
	require.Equal(t, 2, job.Claims)
	_, err = f.submit(c.stat2, "PostResult", resultInput(t, q, "out"))
	requireCode(t, ledger.CodeForbidden, err)

	wrong := q
	wrong.InputDigests = []string{digest("not frozen")}
	_, err = f.submit(c.lab, "PostResult", resultInput(t, wrong, "out"))
	requireCode(t, ledger.CodeInvalid, err)
	must[ledger.Result](f, c.lab, "PostResult", resultInput(t, q, "out"))
	require.Equal(t, ledger.StatusDecrypting, read[ledger.Query](f, c.reg, "GetQuery", q.ID).Status)
}

func TestJobsOfQueriesThatAreNotApprovedCannotBeClaimed(t *testing.T) {
	f, c := setup(t, nil)
	q := must[ledger.Query](f, c.stat, "RequestQuery", jsonString(t, queryInput("pending")))
	_, err := f.submit(c.stat, "ClaimJob", q.ID, "60")
	requireCode(t, ledger.CodeBadState, err)
	require.Contains(t, err.Error(), "needs 2 more approvals")
	_, err = f.submit(c.stat, "PostResult", resultInput(t, ledger.Query{ID: q.ID, InputDigests: []string{digest("x")}}, "out"))
	requireCode(t, ledger.CodeBadState, err)
	_, err = f.submit(c.stat, "ClaimJob", "q-unknown", "60")
	requireCode(t, ledger.CodeNotFound, err)

	rejected := must[ledger.Query](f, c.hospB, "RejectQuery", q.ID, "too detailed")
	require.Equal(t, ledger.StatusRejected, rejected.Status)
	_, err = f.submit(c.hospA, "ApproveQuery", q.ID, "")
	requireCode(t, ledger.CodeBadState, err)
	_, err = f.submit(c.hospA, "RejectQuery", q.ID, "")
	requireCode(t, ledger.CodeInvalid, err) // a veto needs a reason
}

func TestOneLiveSubmissionPerProviderAndPeriodAndNoReusedCiphertext(t *testing.T) {
	f, c := setup(t, nil)
	live := read[ledger.Page[ledger.Submission]](f, c.reg, "ListLiveSubmissions", datasetA, "2025", "")
	require.Len(t, live.Items, 2)
	first := live.Items[0]
	require.Equal(t, hospAMSP, first.Provider)

	again := must[ledger.Submission](f, c.hospA, "SubmitData", jsonString(t, submissionInput("2025", "a-2025-v2")))
	require.Equal(t, first.ID, again.Supersedes)
	require.Equal(t, first.ID, f.events[len(f.events)-1].Supersedes)
	old := read[ledger.Submission](f, c.reg, "GetSubmission", first.ID)
	require.Equal(t, ledger.StatusSuperseded, old.Status)
	require.Equal(t, again.ID, old.SupersededBy)
	live = read[ledger.Page[ledger.Submission]](f, c.reg, "ListLiveSubmissions", datasetA, "2025", "")
	require.Len(t, live.Items, 2)
	require.Len(t, read[ledger.Page[ledger.Submission]](f, c.reg, "ListSubmissions", datasetA, "2025", "").Items, 3)

	for _, id := range []identity{c.hospA, c.hospB} {
		_, err := f.submit(id, "SubmitData", jsonString(t, submissionInput("2026", "a-2025")))
		requireCode(t, ledger.CodeConflict, err)
	}
	_, err := f.submit(c.hospA, "SubmitData", jsonString(t, submissionInput("2025", "x", "x")))
	requireCode(t, ledger.CodeInvalid, err)
	wrongParams := submissionInput("2026", "fresh")
	wrongParams.ParamSetID = "other-params"
	_, err = f.submit(c.hospA, "SubmitData", jsonString(t, wrongParams))
	requireCode(t, ledger.CodeInvalid, err)
	unknown := submissionInput("2026", "fresh")
	unknown.DatasetID = "no-such-dataset"
	_, err = f.submit(c.hospA, "SubmitData", jsonString(t, unknown))
	requireCode(t, ledger.CodeNotFound, err)

	// A query approved now freezes the live submissions only.
	q := approve(f, c, "after-resubmission")
	require.NotContains(t, q.SubmissionIDs, first.ID)
	require.Contains(t, q.SubmissionIDs, again.ID)
}

func TestQueriesThePolicyRefusesAreInvalidOrBadState(t *testing.T) {
	f, c := setup(t, nil)
	tooFine := queryInput("full-cube")
	tooFine.Spec.GroupBy = []string{"region", "ageBand", "sex", "diagnosisGroup"}
	_, err := f.submit(c.stat, "RequestQuery", jsonString(t, tooFine))
	requireCode(t, ledger.CodeInvalid, err)
	greedy := queryInput("greedy")
	greedy.Spec.Epsilon = policies.MicroPerEpsilon
	_, err = f.submit(c.stat, "RequestQuery", jsonString(t, greedy))
	requireCode(t, ledger.CodeInvalid, err)
	empty := queryInput("empty-period")
	empty.Period = "1999"
	_, err = f.submit(c.stat, "RequestQuery", jsonString(t, empty))
	requireCode(t, ledger.CodeBadState, err)
	require.Contains(t, err.Error(), "dataset admissions period 1999 has 0 live submissions; the policy needs at least 2")
}

func TestConsortiumChangesNeedAMajorityOfMembers(t *testing.T) {
	f, c := setup(t, nil)
	next := testConsortium()
	next.Orgs[3].Roles = []ledger.Role{ledger.RoleAuditor, ledger.RoleMember}
	change := ledger.ConsortiumChangeInput{ID: "c-1", Consortium: next, Reason: "the regulator joins as a member"}
	ch := must[ledger.ConsortiumChange](f, c.hospA, "ProposeConsortiumChange", jsonString(t, change))
	require.Equal(t, ledger.StatusProposed, ch.Status)
	_, err := f.submit(c.hospB, "ProposeConsortiumChange", jsonString(t, change))
	requireCode(t, ledger.CodeConflict, err)
	_, err = f.submit(c.hospA, "ApproveConsortiumChange", "c-1", "")
	requireCode(t, ledger.CodeConflict, err)
	_, err = f.submit(c.reg, "ApproveConsortiumChange", "c-1", "")
	requireCode(t, ledger.CodeForbidden, err)
	ch = must[ledger.ConsortiumChange](f, c.hospB, "ApproveConsortiumChange", "c-1", "agreed")
	require.Equal(t, ledger.StatusApplied, ch.Status)
	cons := read[ledger.Consortium](f, c.reg, "GetConsortium")
	require.Equal(t, 2, cons.Version)
	require.Contains(t, read[ledger.Caller](f, c.reg, "GetCaller").Roles, ledger.RoleMember)
	require.Len(t, read[ledger.Page[ledger.ConsortiumChange]](f, c.reg, "ListConsortiumChanges", "").Items, 1)
	require.Equal(t, ch, read[ledger.ConsortiumChange](f, c.reg, "GetConsortiumChange", "c-1"))
	_, err = f.submit(c.stat, "ApproveConsortiumChange", "c-1", "")
	requireCode(t, ledger.CodeBadState, err)
}

func TestCollectiveKeysAndDatasetsAreRecordedOnce(t *testing.T) {
	f, c := setup(t, nil)
	_, err := f.submit(c.hospB, "RecordCollectiveKey", jsonString(t, keyInput()))
	requireCode(t, ledger.CodeConflict, err)
	_, err = f.submit(c.stat, "RegisterDataset", jsonString(t, datasetInput(t, false, nil)))
	requireCode(t, ledger.CodeConflict, err)
	other := datasetInput(t, false, nil)
	other.ID, other.KeyID = "other", "ck-missing"
	_, err = f.submit(c.stat, "RegisterDataset", jsonString(t, other))
	requireCode(t, ledger.CodeNotFound, err)
	bad := datasetInput(t, false, func(p *policies.Policy) { p.AllowedDimensions = []string{"planet"} })
	bad.ID = "bad"
	_, err = f.submit(c.stat, "RegisterDataset", jsonString(t, bad))
	requireCode(t, ledger.CodeInvalid, err)
	require.Contains(t, err.Error(), "allowedDimensions")
	_, err = f.evaluate(c.reg, "GetDataset", "bad")
	requireCode(t, ledger.CodeNotFound, err)
	_, err = f.evaluate(c.reg, "GetDatasetHistory", "bad")
	requireCode(t, ledger.CodeNotFound, err)
	_, err = f.evaluate(c.reg, "GetQueryHistory", "q-none")
	requireCode(t, ledger.CodeNotFound, err)
}

// A period's live index is one record: two providers submitting for the same period at
// the same moment conflict on it, and the one that tries again is added, not lost.
func TestProvidersSubmittingOnePeriodTogetherConflictAndTheRetryIsKept(t *testing.T) {
	f, c := setup(t, nil)
	sa, ra := f.simulate(c.hospA, "SubmitData", jsonString(t, submissionInput("2027", "a-2027")))
	sb, rb := f.simulate(c.hospB, "SubmitData", jsonString(t, submissionInput("2027", "b-2027")))
	_, err := result(sa, ra)
	require.NoError(t, err)
	_, err = result(sb, rb)
	require.NoError(t, err)
	require.NoError(t, f.commit(sa, "SubmitData"))
	require.ErrorIs(t, f.commit(sb, "SubmitData"), errMVCC)

	must[ledger.Submission](f, c.hospB, "SubmitData", jsonString(t, submissionInput("2027", "b-2027")))
	live := read[ledger.Page[ledger.Submission]](f, c.reg, "ListLiveSubmissions", datasetA, "2027", "")
	require.Len(t, live.Items, 2)
	require.Equal(t, []string{hospAMSP, hospBMSP}, []string{live.Items[0].Provider, live.Items[1].Provider})
	var x ledger.LiveIndex
	require.NoError(t, json.Unmarshal(f.w.state[ledger.LiveKey(datasetA, "2027")].value, &x))
	require.Len(t, x.Entries, 2, "one record holds the period's live submissions")
}

// A ledger written by the contract before one record held a period's live index has
// per-provider entries under the same prefix: reading them is an INTERNAL error, not a
// list that silently leaves those submissions out.
func TestALiveIndexOfAnOlderContractIsRefusedNotSkipped(t *testing.T) {
	f, c := setup(t, nil)
	old := mustJSON(t, ledger.LiveSubmission{SubmissionID: "s-old", DatasetID: datasetA, Period: "2019", Digests: []string{digest("old")}})
	f.w.state[ledger.CompositeKey(ledger.ObjLive, datasetA, "2019", hospAMSP)] = versioned{value: old, version: 1}
	_, err := f.evaluate(c.reg, "ListLiveSubmissions", datasetA, "", "")
	requireCode(t, ledger.CodeInternal, err)
	require.ErrorContains(t, err, "written by an older contract")
}
