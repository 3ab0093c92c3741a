package ledger_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/policies"
)

// The test consortium: StatOffice asks and computes, two hospitals provide, a regulator
// audits, a lab runs a second worker. All but the regulator and the lab hold key shares.
const (
	stat = "StatOfficeMSP"
	hosA = "HospitalAMSP"
	hosB = "HospitalBMSP"
	reg  = "RegulatorMSP"
	lab  = "LabMSP"
	txID = "tx-1"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func consortium() ledger.Consortium {
	return ledger.Consortium{
		Name: "test",
		Orgs: []ledger.Org{
			{Name: "StatOffice", MSPID: stat, Roles: []ledger.Role{ledger.RoleMember, ledger.RoleAnalyst, ledger.RoleWorker}, KeyHolder: true},
			{Name: "HospitalA", MSPID: hosA, Roles: []ledger.Role{ledger.RoleMember, ledger.RoleProvider}, KeyHolder: true},
			{Name: "HospitalB", MSPID: hosB, Roles: []ledger.Role{ledger.RoleMember, ledger.RoleProvider}, KeyHolder: true},
			{Name: "Regulator", MSPID: reg, Roles: []ledger.Role{ledger.RoleAuditor}},
			{Name: "Lab", MSPID: lab, Roles: []ledger.Role{ledger.RoleWorker}},
		},
		Threshold: 2,
		Version:   1,
	}
}

func digest(s string) string { return ledger.Digest([]byte(s)) }

func key() ledger.CollectiveKey {
	k, err := ledger.NewCollectiveKey(consortium(), keyInput(), false, hosA, txID, t0)
	if err != nil {
		panic(err)
	}
	return k
}

func keyInput() ledger.CollectiveKeyInput {
	return ledger.CollectiveKeyInput{
		ID: "ck-1", ParamSetID: "bgv-test", PublicKeyDigest: digest("pk"),
		TranscriptDigests: []string{digest("t2"), digest("t1")},
		Participants:      []string{hosB, stat, hosA}, Threshold: 2,
	}
}

// datasetInput is a small dataset: region (3 codes) × sex (2), one measure; queries of
// 0.5 epsilon from a budget of 1, two live submissions, two approvals from members other
// than the requester, one result.
func datasetInput() ledger.DatasetInput {
	return ledger.DatasetInput{
		ID: "ds", Title: "Admissions", KeyID: "ck-1", ParamSetID: "bgv-test",
		Schema: policies.Schema{
			Dimensions: []policies.Dimension{{Name: "region", Codes: []string{"R1", "R2", "R3"}}, {Name: "sex", Codes: []string{"F", "M"}}},
			Measures:   []policies.Measure{{Name: "age", Min: 0, Max: 110}},
		},
		Policy: policies.Policy{
			AllowedDimensions: []string{"region", "sex"},
			AllowedStatistics: []policies.Statistic{policies.StatCount, policies.StatSum},
			MaxOutputCells:    6, EpsilonPerQuery: 500_000, EpsilonTotal: 1_000_000, Delta: "1e-9",
			MinSubmissions: 2, MaxRecordsPerSubmission: 1000, MaxSubmissions: 3, RequiredResults: 1,
			Approval: policies.ApprovalRule{MinApprovals: 2, ExcludeRequester: true},
		},
	}
}

func dataset(t testing.TB) (ledger.Dataset, ledger.Budget) {
	t.Helper()
	k := key()
	ds, b, err := ledger.NewDataset(datasetInput(), false, &k, stat, txID, t0)
	require.NoError(t, err)
	return ds, b
}

func submission(provider, period, blob string) ledger.Submission {
	return ledger.Submission{
		ID: "s-" + provider + "-" + blob, DatasetID: "ds", Period: period, Provider: provider, ParamSetID: "bgv-test",
		Ciphertexts: []ledger.Ciphertext{{Digest: digest(blob), Size: 10, URI: "file:///" + blob}}, Status: ledger.StatusLive,
	}
}

// queryInput asks for counts by region, to be decrypted by StatOffice and HospitalA (the
// first t = 2 key holders, named out of order) towards the analyst key "analyst pk".
func queryInput(key string) ledger.QueryInput {
	return ledger.QueryInput{
		IdempotencyKey: key, DatasetID: "ds", Spec: policies.Query{Statistic: policies.StatCount, GroupBy: []string{"region"}, Epsilon: 500_000},
		AnalystKeyDigest: digest("analyst pk"), AnalystKeyURI: "file:///blobs/" + digest("analyst pk"),
		Decryptors: []string{stat, hosA},
	}
}

func pendingQuery(t testing.TB) ledger.Query {
	t.Helper()
	ds, b := dataset(t)
	q, err := ledger.NewQuery(consortium(), ds, b, 2, queryInput("k"), stat, ledger.QueryID(stat, "k"), txID, t0)
	require.NoError(t, err)
	return q
}

// inputs is the read function of a completing approval: it returns dataset ds, budget b
// and the live-index entries of subs.
func inputs(ds ledger.Dataset, b ledger.Budget, subs ...ledger.Submission) func() (ledger.ApprovalInputs, error) {
	return func() (ledger.ApprovalInputs, error) {
		in := ledger.ApprovalInputs{Dataset: ds, Budget: b}
		for _, s := range subs {
			in.Live = append(in.Live, s.Live())
		}
		return in, nil
	}
}

// live is the read function of a completing approval that returns the fixture dataset,
// budget b and the two hospitals' submissions.
func live(t testing.TB, b ledger.Budget) func() (ledger.ApprovalInputs, error) {
	ds, _ := dataset(t)
	return inputs(ds, b, submission(hosB, "2025", "b"), submission(hosA, "2025", "a"))
}

// approvedQuery returns a query approved by both hospitals, its budget and its job.
func approvedQuery(t testing.TB) (ledger.Query, ledger.Budget, ledger.Job) {
	t.Helper()
	_, b := dataset(t)
	q := pendingQuery(t)
	q, _, _, err := ledger.ApplyApproval(consortium(), q, hosA, "", txID, t0, live(t, b))
	require.NoError(t, err)
	q, nb, job, err := ledger.ApplyApproval(consortium(), q, hosB, "", txID, t0, live(t, b))
	require.NoError(t, err)
	require.NotNil(t, nb)
	require.NotNil(t, job)
	return q, *nb, *job
}

// requireCode asserts that err is nil when want is "" and carries code want otherwise.
func requireCode(t testing.TB, want ledger.Code, err error) {
	t.Helper()
	if want == "" {
		require.NoError(t, err)
		return
	}
	require.Error(t, err)
	require.Equal(t, want, ledger.CodeOf(err), "%v", err)
	require.ErrorIs(t, err, &ledger.Error{Code: want})
}
