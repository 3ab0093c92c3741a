package contract

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/policies"
)

// The organisations of the test consortium: the demo network's four, plus Lab, a second
// worker organisation for policies that want matching results from two.
const (
	statMSP  = "StatOfficeMSP"
	hospAMSP = "HospitalAMSP"
	hospBMSP = "HospitalBMSP"
	regMSP   = "RegulatorMSP"
	labMSP   = "LabMSP"
	datasetA = "admissions"
	keyID    = "ck-1"
	paramSet = "bgv-test"
)

// cast holds one client identity per organisation, and a second StatOffice worker.
type cast struct {
	stat, stat2, hospA, hospB, reg, lab, outsider identity
}

func newCast(t testing.TB) cast {
	return cast{
		stat:     newIdentity(t, statMSP, "stat-admin", ""),
		stat2:    newIdentity(t, statMSP, "stat-worker-2", "worker"),
		hospA:    newIdentity(t, hospAMSP, "hospa-admin", ""),
		hospB:    newIdentity(t, hospBMSP, "hospb-admin", ""),
		reg:      newIdentity(t, regMSP, "auditor", ""),
		lab:      newIdentity(t, labMSP, "lab-worker", ""),
		outsider: newIdentity(t, "OutsiderMSP", "stranger", ""),
	}
}

func testConsortium() ledger.Consortium {
	return ledger.Consortium{
		Name: "statledger-test",
		Orgs: []ledger.Org{
			{Name: "StatOffice", MSPID: statMSP, Roles: []ledger.Role{ledger.RoleMember, ledger.RoleAnalyst, ledger.RoleWorker}, KeyHolder: true},
			{Name: "HospitalA", MSPID: hospAMSP, Roles: []ledger.Role{ledger.RoleMember, ledger.RoleProvider}, KeyHolder: true},
			{Name: "HospitalB", MSPID: hospBMSP, Roles: []ledger.Role{ledger.RoleMember, ledger.RoleProvider}, KeyHolder: true},
			{Name: "Regulator", MSPID: regMSP, Roles: []ledger.Role{ledger.RoleAuditor}},
			{Name: "Lab", MSPID: labMSP, Roles: []ledger.Role{ledger.RoleWorker}},
		},
		Threshold: 2,
	}
}

func keyInput() ledger.CollectiveKeyInput {
	return ledger.CollectiveKeyInput{
		ID:                keyID,
		ParamSetID:        paramSet,
		PublicKeyDigest:   digest("public key"),
		PublicKeyURI:      "file:///blobs/pk",
		TranscriptDigests: []string{digest("transcript 1"), digest("transcript 2")},
		Participants:      []string{statMSP, hospAMSP, hospBMSP},
		Threshold:         2,
	}
}

// healthcare returns the shipped healthcare schema and policy.
func healthcare(t testing.TB) (policies.Schema, policies.Policy) {
	t.Helper()
	data, err := os.ReadFile("../../policies/healthcare/schema.yaml")
	require.NoError(t, err)
	schema, err := policies.ParseSchema(data)
	require.NoError(t, err)
	data, err = os.ReadFile("../../policies/healthcare/policy.yaml")
	require.NoError(t, err)
	policy, err := policies.ParsePolicy(data)
	require.NoError(t, err)
	return schema, policy
}

func datasetInput(t testing.TB, requireApproval bool, edit func(*policies.Policy)) ledger.DatasetInput {
	schema, policy := healthcare(t)
	if edit != nil {
		edit(&policy)
	}
	return ledger.DatasetInput{ID: datasetA, Title: "Hospital admissions", KeyID: keyID, ParamSetID: paramSet, Schema: schema, Policy: policy, RequireApproval: requireApproval}
}

func digest(s string) string { return ledger.Digest([]byte(s)) }

func submissionInput(period string, blobs ...string) ledger.SubmissionInput {
	in := ledger.SubmissionInput{DatasetID: datasetA, Period: period, ParamSetID: paramSet, Records: 1000}
	for _, b := range blobs {
		in.Ciphertexts = append(in.Ciphertexts, ledger.Ciphertext{Digest: digest(b), Size: 4096, URI: "file:///blobs/" + digest(b)})
	}
	return in
}

// queryInput asks for counts by region in 2025, re-encrypted towards the analyst key
// "analyst pk" and decrypted by the first t = 2 key holders in consortium order,
// StatOffice and HospitalA.
func queryInput(key string) ledger.QueryInput {
	return ledger.QueryInput{
		IdempotencyKey:   key,
		DatasetID:        datasetA,
		Period:           "2025",
		Spec:             policies.Query{Statistic: policies.StatCount, GroupBy: []string{"region"}, Epsilon: policies.MicroPerEpsilon / 2},
		AnalystKeyDigest: digest("analyst pk"),
		AnalystKeyURI:    "file:///blobs/" + digest("analyst pk"),
		Decryptors:       []string{statMSP, hospAMSP},
	}
}

// initConsortium initialises the test consortium with an ordinary transaction, as the
// test network does.
func initConsortium(f *fabric, c cast) {
	f.t.Helper()
	s, resp := f.simulate(c.stat, "InitConsortium", jsonString(f.t, testConsortium()))
	_, err := result(s, resp)
	require.NoError(f.t, err)
	require.NoError(f.t, f.commit(s, "InitConsortium"))
}

// setup returns a network with the consortium, the collective key, an active dataset
// whose policy edit may change, and one live submission per hospital for period 2025.
func setup(t testing.TB, edit func(*policies.Policy)) (*fabric, cast) {
	t.Helper()
	f, c := newFabric(t), newCast(t)
	initConsortium(f, c)
	must[ledger.CollectiveKey](f, c.hospA, "RecordCollectiveKey", jsonString(t, keyInput()))
	must[ledger.Dataset](f, c.stat, "RegisterDataset", jsonString(t, datasetInput(t, false, edit)))
	must[ledger.Submission](f, c.hospA, "SubmitData", jsonString(t, submissionInput("2025", "a-2025")))
	must[ledger.Submission](f, c.hospB, "SubmitData", jsonString(t, submissionInput("2025", "b-2025")))
	return f, c
}

// approve requests a query with idempotency key key and has both hospitals approve it.
func approve(f *fabric, c cast, key string) ledger.Query {
	f.t.Helper()
	q := must[ledger.Query](f, c.stat, "RequestQuery", jsonString(f.t, queryInput(key)))
	must[ledger.Query](f, c.hospA, "ApproveQuery", q.ID, "fine")
	return must[ledger.Query](f, c.hospB, "ApproveQuery", q.ID, "fine")
}

// requireCode asserts that err carries the ledger error code want.
func requireCode(t testing.TB, want ledger.Code, err error) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, want, ledger.CodeOf(err), "error %q", err)
	require.Regexp(t, "^"+string(want)+": ", err.Error())
}

func eventNames(evs []ledger.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Name
	}
	return out
}

func TestHappyPathFromConsortiumToRelease(t *testing.T) {
	f, c := newFabric(t), newCast(t)
	initConsortium(f, c)
	cons := read[ledger.Consortium](f, c.reg, "GetConsortium")
	require.Equal(t, 1, cons.Version)
	require.Equal(t, testConsortium().Orgs, cons.Orgs)

	key := must[ledger.CollectiveKey](f, c.hospA, "RecordCollectiveKey", jsonString(t, keyInput()))
	require.Equal(t, hospAMSP, key.RecordedBy)

	ds := must[ledger.Dataset](f, c.stat, "RegisterDataset", jsonString(t, datasetInput(t, true, nil)))
	require.Equal(t, ledger.StatusPending, ds.Status)
	_, err := f.submit(c.hospA, "SubmitData", jsonString(t, submissionInput("2025", "a-2025")))
	requireCode(t, ledger.CodeBadState, err)
	_, err = f.submit(c.stat, "ApproveDataset", datasetA, "mine")
	requireCode(t, ledger.CodeForbidden, err)
	ds = must[ledger.Dataset](f, c.hospA, "ApproveDataset", datasetA, "schema checked")
	require.Equal(t, ledger.StatusPending, ds.Status)
	ds = must[ledger.Dataset](f, c.hospB, "ApproveDataset", datasetA, "")
	require.Equal(t, ledger.StatusActive, ds.Status)

	sa := must[ledger.Submission](f, c.hospA, "SubmitData", jsonString(t, submissionInput("2025", "a-2025")))
	sb := must[ledger.Submission](f, c.hospB, "SubmitData", jsonString(t, submissionInput("2025", "b-2025")))
	require.Equal(t, ledger.StatusLive, sa.Status)

	q := must[ledger.Query](f, c.stat, "RequestQuery", jsonString(t, queryInput("first")))
	require.Equal(t, ledger.QueryID(statMSP, "first"), q.ID)
	require.Equal(t, ledger.StatusPending, q.Status)
	require.Equal(t, 10, q.Cells)
	_, err = f.submit(c.stat, "ApproveQuery", q.ID, "")
	requireCode(t, ledger.CodeForbidden, err)
	q = must[ledger.Query](f, c.hospA, "ApproveQuery", q.ID, "ok")
	require.Equal(t, ledger.StatusPending, q.Status)
	require.Equal(t, "query "+q.ID+" needs 1 more approval from a member other than "+statMSP, ledger.QueryProgress(q))
	require.Zero(t, read[ledger.Budget](f, c.reg, "GetBudget", datasetA).SpentMicroEpsilon)
	q = must[ledger.Query](f, c.hospB, "ApproveQuery", q.ID, "ok")
	require.Equal(t, ledger.StatusApproved, q.Status)
	require.ElementsMatch(t, []string{sa.ID, sb.ID}, q.SubmissionIDs)
	require.ElementsMatch(t, append(sa.Digests(), sb.Digests()...), q.InputDigests)
	budget := read[ledger.Budget](f, c.reg, "GetBudget", datasetA)
	require.Equal(t, int64(500_000), budget.SpentMicroEpsilon)
	require.Equal(t, int64(9_500_000), budget.Remaining())
	require.Equal(t, ledger.StatusOpen, read[ledger.Job](f, c.reg, "GetJob", q.ID).Status)

	job := must[ledger.Job](f, c.stat2, "ClaimJob", q.ID, "600")
	require.Equal(t, ledger.StatusLeased, job.Status)
	res := ledger.ResultInput{QueryID: q.ID, InputDigests: q.InputDigests, OutputDigest: digest("output"), OutputURI: "file:///blobs/out", OutputSize: 8192}
	_, err = f.submit(c.stat, "PostResult", jsonString(t, res))
	requireCode(t, ledger.CodeForbidden, err) // same organisation, but not the lease holder
	must[ledger.Result](f, c.stat2, "PostResult", jsonString(t, res))
	q = read[ledger.Query](f, c.hospA, "GetQuery", q.ID)
	require.Equal(t, ledger.StatusDecrypting, q.Status)
	require.Equal(t, res.OutputDigest, q.OutputDigest)

	share := func(id identity, tag string) (string, error) {
		return f.submit(id, "PostDecryptionShare", jsonString(t, ledger.ShareInput{QueryID: q.ID, Digest: digest(tag), URI: "file:///blobs/" + tag, Size: 100}))
	}
	require.Equal(t, []string{hospAMSP, statMSP}, q.Decryptors)
	require.Equal(t, digest("analyst pk"), q.AnalystKeyDigest)
	_, err = share(c.hospA, "share-a")
	require.NoError(t, err)
	_, err = share(c.hospA, "share-a-again")
	requireCode(t, ledger.CodeConflict, err)
	_, err = share(c.reg, "share-r")
	requireCode(t, ledger.CodeForbidden, err)
	_, err = share(c.hospB, "share-b")
	requireCode(t, ledger.CodeForbidden, err) // a key holder, but not one of the query's decryptors
	_, err = share(c.stat, "share-s")
	require.NoError(t, err)
	q = read[ledger.Query](f, c.reg, "GetQuery", q.ID)
	require.Equal(t, ledger.StatusReady, q.Status)
	require.Equal(t, []string{hospAMSP, statMSP}, q.ShareOrgs)
	_, err = share(c.hospB, "share-late")
	requireCode(t, ledger.CodeForbidden, err)

	table := "region,count\nR01,120\n"
	rel := ledger.ReleaseInput{QueryID: q.ID, Format: ledger.FormatCSV, TableDigest: digest(table), Table: table, Suppressed: []int{3}}
	_, err = f.submit(c.hospA, "RecordRelease", jsonString(t, rel))
	requireCode(t, ledger.CodeForbidden, err)
	release := must[ledger.Release](f, c.stat, "RecordRelease", jsonString(t, rel))
	require.Equal(t, table, release.Table)
	_, err = f.submit(c.stat, "RecordRelease", jsonString(t, rel))
	requireCode(t, ledger.CodeConflict, err)
	require.Equal(t, ledger.StatusReleased, read[ledger.Query](f, c.reg, "GetQuery", q.ID).Status)

	require.Equal(t, []string{
		"consortium.active", "key.recorded", "dataset.pending", "dataset.pending", "dataset.active",
		"submission.live", "submission.live", "query.pending", "query.pending", "query.approved",
		"job.leased", "result.recorded", "share.recorded", "share.recorded", "release.recorded",
	}, eventNames(f.events))
	last := f.events[len(f.events)-1]
	require.Equal(t, ledger.Event{Name: "release.recorded", Action: "RecordRelease", Record: ledger.RecordRelease, ID: q.ID, Status: ledger.StatusRecorded,
		MSPID: statMSP, DatasetID: datasetA, QueryID: q.ID, QueryStatus: ledger.StatusReleased, Digests: []string{digest(table)}, TxID: last.TxID}, last)

	// The auditor reads the whole trail.
	hist := read[[]ledger.HistoryEntry](f, c.reg, "GetQueryHistory", q.ID)
	require.Len(t, hist, 7) // request, 2 approvals, result, 2 shares, release
	var newest ledger.Query
	require.NoError(t, json.Unmarshal(hist[0].Value, &newest))
	require.Equal(t, ledger.StatusReleased, newest.Status)
	dh := read[ledger.DatasetHistory](f, c.reg, "GetDatasetHistory", datasetA)
	require.Len(t, dh.Dataset, 3)
	require.Len(t, dh.Budget, 2)
	require.Len(t, read[[]ledger.Approval](f, c.reg, "ListApprovals", q.ID), 2)
	require.Len(t, read[[]ledger.Result](f, c.reg, "ListResults", q.ID), 1)
	require.Equal(t, res.OutputDigest, read[ledger.Result](f, c.reg, "GetResult", q.ID, statMSP).OutputDigest)
	require.Len(t, read[[]ledger.DecryptionShare](f, c.reg, "ListDecryptionShares", q.ID), 2)
	require.Equal(t, digest("share-s"), read[ledger.DecryptionShare](f, c.reg, "GetDecryptionShare", q.ID, statMSP).Digest)
	require.Equal(t, release, read[ledger.Release](f, c.reg, "GetRelease", q.ID))
	require.Len(t, read[ledger.Page[ledger.Release]](f, c.reg, "ListReleases", "").Items, 1)
	require.Len(t, read[ledger.Page[ledger.Query]](f, c.reg, "ListQueries", datasetA, "").Items, 1)
	require.Len(t, read[ledger.Page[ledger.Dataset]](f, c.reg, "ListDatasets", "").Items, 1)
	require.Equal(t, ds, read[ledger.Dataset](f, c.reg, "GetDataset", datasetA))
	require.Len(t, read[ledger.Page[ledger.CollectiveKey]](f, c.reg, "ListCollectiveKeys", "").Items, 1)
	require.Equal(t, key, read[ledger.CollectiveKey](f, c.reg, "GetCollectiveKey", keyID))
	require.Len(t, read[ledger.Page[ledger.Submission]](f, c.reg, "ListLiveSubmissions", datasetA, "", "").Items, 2)
	require.Equal(t, sa, read[ledger.Submission](f, c.reg, "GetSubmission", sa.ID))
	caller := read[ledger.Caller](f, c.reg, "GetCaller")
	require.Equal(t, regMSP, caller.MSPID)
	require.Equal(t, []ledger.Role{ledger.RoleAuditor}, caller.Roles)
}

func TestLedgerKeysAreFabricCompositeKeys(t *testing.T) {
	for _, attrs := range [][]string{nil, {"q-1"}, {"ds", "2025", hospAMSP}, {digest("x")}} {
		want, err := shim.CreateCompositeKey(ledger.ObjLive, attrs)
		require.NoError(t, err)
		require.Equal(t, want, ledger.CompositeKey(ledger.ObjLive, attrs...))
	}
}
