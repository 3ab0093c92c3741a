package ledger_test

import (
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/policies"
)

func TestInitConsortium(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*ledger.Consortium)
		exists bool
		caller string
		attr   string
		want   ledger.Code
	}{
		{name: "a member initialises it", caller: stat},
		{name: "a member with a narrowing attribute that keeps member", caller: hosA, attr: "member,provider"},
		{name: "a second initialisation is a conflict", caller: stat, exists: true, want: ledger.CodeConflict},
		{name: "the auditor is not a member", caller: reg, want: ledger.CodeForbidden},
		{name: "an organisation outside it is refused", caller: "OtherMSP", want: ledger.CodeForbidden},
		{name: "a member narrowed to provider is refused", caller: hosA, attr: "provider", want: ledger.CodeForbidden},
		{name: "a threshold above the key holders is invalid", caller: stat, edit: func(c *ledger.Consortium) { c.Threshold = 4 }, want: ledger.CodeInvalid},
		{name: "a consortium without members is invalid", caller: stat, edit: func(c *ledger.Consortium) { c.Orgs = c.Orgs[3:] }, want: ledger.CodeInvalid},
		{name: "a repeated MSP ID is invalid", caller: stat, edit: func(c *ledger.Consortium) { c.Orgs[1].MSPID = stat }, want: ledger.CodeInvalid},
		{name: "an unknown role is invalid", caller: stat, edit: func(c *ledger.Consortium) { c.Orgs[0].Roles = append(c.Orgs[0].Roles, "root") }, want: ledger.CodeInvalid},
		{name: "the keyholder role is not assignable", caller: stat, edit: func(c *ledger.Consortium) { c.Orgs[0].Roles = append(c.Orgs[0].Roles, ledger.RoleKeyHolder) }, want: ledger.CodeInvalid},
		{name: "a role listed twice is invalid", caller: stat, edit: func(c *ledger.Consortium) { c.Orgs[3].Roles = append(c.Orgs[3].Roles, ledger.RoleAuditor) }, want: ledger.CodeInvalid},
		{name: "an empty name is invalid", caller: stat, edit: func(c *ledger.Consortium) { c.Name = "" }, want: ledger.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := consortium()
			in.Version = 7
			if tt.edit != nil {
				tt.edit(&in)
			}
			got, err := ledger.InitConsortium(in, tt.exists, tt.caller, tt.attr, tt.attr != "")
			requireCode(t, tt.want, err)
			if tt.want == "" {
				require.Equal(t, 1, got.Version)
			}
		})
	}
}

func TestCallerRolesNarrowedByTheCertificateAttribute(t *testing.T) {
	c := consortium()
	tests := []struct {
		name, msp, attr string
		hasAttr         bool
		want            []ledger.Role
	}{
		{"no attribute gives every role of the organisation", stat, "", false, []ledger.Role{ledger.RoleAnalyst, ledger.RoleKeyHolder, ledger.RoleMember, ledger.RoleWorker}},
		{"one role", stat, "worker", true, []ledger.Role{ledger.RoleWorker}},
		{"several roles with spaces", stat, "member, keyholder", true, []ledger.Role{ledger.RoleKeyHolder, ledger.RoleMember}},
		{"a role the organisation lacks gives nothing", stat, "auditor", true, nil},
		{"an empty attribute gives nothing", hosA, "", true, nil},
		{"an oversized attribute gives nothing", stat, strings.Repeat("worker,", 40), true, nil},
		{"an organisation outside the consortium has no roles", "OtherMSP", "", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, c.CallerRoles(tt.msp, tt.attr, tt.hasAttr))
		})
	}
	require.Equal(t, []string{hosA, hosB, stat}, c.Members())
	require.Equal(t, []string{hosA, hosB, stat}, c.KeyHolders())
	require.Equal(t, 2, c.Majority())
}

func TestConsortiumChanges(t *testing.T) {
	cur := consortium()
	next := consortium()
	next.Orgs = next.Orgs[:4]
	in := ledger.ConsortiumChangeInput{ID: "c-1", Consortium: next, Reason: "the lab leaves"}

	ch, got, err := ledger.ProposeConsortiumChange(cur, in, hosA, txID, t0)
	require.NoError(t, err)
	require.Equal(t, ledger.StatusProposed, ch.Status)
	require.Equal(t, cur, got)
	require.Equal(t, "consortium change c-1 needs 1 more approval from a member", ledger.ConsortiumChangeProgress(cur, ch))

	tests := []struct {
		name   string
		cur    ledger.Consortium
		ch     ledger.ConsortiumChange
		caller string
		want   ledger.Code
	}{
		{"a second member applies it", cur, ch, hosB, ""},
		{"the proposer approves twice", cur, ch, hosA, ledger.CodeConflict},
		{"the auditor cannot approve", cur, ch, reg, ledger.CodeForbidden},
		{"a worker organisation cannot approve", cur, ch, lab, ledger.CodeForbidden},
		{"a change proposed against an older version is stale", func() ledger.Consortium { c := cur; c.Version = 2; return c }(), ch, hosB, ledger.CodeBadState},
		{"an applied change is closed", cur, func() ledger.ConsortiumChange { c := ch; c.Status = ledger.StatusApplied; return c }(), hosB, ledger.CodeBadState},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, got, err := ledger.ApproveConsortiumChange(tt.cur, tt.ch, tt.caller, "", txID, t0)
			requireCode(t, tt.want, err)
			if tt.want == "" {
				require.Equal(t, ledger.StatusApplied, ch.Status)
				require.Equal(t, 2, got.Version)
				require.Len(t, got.Orgs, 4)
			}
		})
	}

	t.Run("a non-member cannot propose", func(t *testing.T) {
		_, _, err := ledger.ProposeConsortiumChange(cur, in, reg, txID, t0)
		requireCode(t, ledger.CodeForbidden, err)
	})
	t.Run("a change without a reason is invalid", func(t *testing.T) {
		bad := in
		bad.Reason = ""
		_, _, err := ledger.ProposeConsortiumChange(cur, bad, hosA, txID, t0)
		requireCode(t, ledger.CodeInvalid, err)
	})
	t.Run("in a one-member consortium the proposal applies at once", func(t *testing.T) {
		solo := consortium()
		solo.Orgs[1].Roles = []ledger.Role{ledger.RoleProvider}
		solo.Orgs[2].Roles = []ledger.Role{ledger.RoleProvider}
		ch, got, err := ledger.ProposeConsortiumChange(solo, in, stat, txID, t0)
		require.NoError(t, err)
		require.Equal(t, ledger.StatusApplied, ch.Status)
		require.Equal(t, 2, got.Version)
	})
}

func TestNewCollectiveKey(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*ledger.CollectiveKeyInput)
		exists bool
		caller string
		want   ledger.Code
	}{
		{name: "a participating key holder records it", caller: hosA},
		{name: "a key ID is recorded once", caller: hosA, exists: true, want: ledger.CodeConflict},
		{name: "a key holder outside the ceremony is refused", caller: hosB, edit: func(in *ledger.CollectiveKeyInput) { in.Participants = []string{stat, hosA} }, want: ledger.CodeForbidden},
		{name: "a participant that holds no key share is invalid", caller: hosA, edit: func(in *ledger.CollectiveKeyInput) { in.Participants = append(in.Participants, reg) }, want: ledger.CodeInvalid},
		{name: "a threshold other than the consortium's is invalid", caller: hosA, edit: func(in *ledger.CollectiveKeyInput) { in.Threshold = 3 }, want: ledger.CodeInvalid},
		{name: "repeated participants are invalid", caller: hosA, edit: func(in *ledger.CollectiveKeyInput) { in.Participants = []string{hosA, hosA} }, want: ledger.CodeInvalid},
		{name: "a malformed digest is invalid", caller: hosA, edit: func(in *ledger.CollectiveKeyInput) { in.PublicKeyDigest = "ABC" }, want: ledger.CodeInvalid},
		{name: "no transcripts is invalid", caller: hosA, edit: func(in *ledger.CollectiveKeyInput) { in.TranscriptDigests = nil }, want: ledger.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := keyInput()
			if tt.edit != nil {
				tt.edit(&in)
			}
			k, err := ledger.NewCollectiveKey(consortium(), in, tt.exists, tt.caller, txID, t0)
			requireCode(t, tt.want, err)
			if tt.want == "" {
				require.Equal(t, []string{hosA, hosB, stat}, k.Participants, "sorted")
				require.Equal(t, ledger.StatusRecorded, k.Status)
			}
		})
	}
}

func TestNewDataset(t *testing.T) {
	k := key()
	tests := []struct {
		name    string
		edit    func(*ledger.DatasetInput)
		exists  bool
		key     *ledger.CollectiveKey
		want    ledger.Code
		status  ledger.Status
		total   int64
		message string
	}{
		{name: "an analyst registers an active dataset", key: &k, status: ledger.StatusActive, total: 1_000_000},
		{name: "a dataset that requires approval is pending", key: &k, edit: func(in *ledger.DatasetInput) { in.RequireApproval = true }, status: ledger.StatusPending, total: 1_000_000},
		{name: "a dataset ID is registered once", key: &k, exists: true, want: ledger.CodeConflict},
		{name: "an unrecorded key is not found", want: ledger.CodeNotFound},
		{name: "a parameter set other than the key's is invalid", key: &k, edit: func(in *ledger.DatasetInput) { in.ParamSetID = "other" }, want: ledger.CodeInvalid},
		{name: "a policy naming a dimension outside the schema is invalid", key: &k, edit: func(in *ledger.DatasetInput) { in.Policy.AllowedDimensions = []string{"planet"} }, want: ledger.CodeInvalid, message: "allowedDimensions[0]"},
		{name: "a per-query epsilon above the total is invalid", key: &k, edit: func(in *ledger.DatasetInput) { in.Policy.EpsilonPerQuery = 2_000_000 }, want: ledger.CodeInvalid, message: "epsilonPerQuery"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := datasetInput()
			if tt.edit != nil {
				tt.edit(&in)
			}
			ds, b, err := ledger.NewDataset(in, tt.exists, tt.key, stat, txID, t0)
			requireCode(t, tt.want, err)
			if tt.message != "" {
				require.Contains(t, err.Error(), tt.message)
			}
			if tt.want == "" {
				require.Equal(t, tt.status, ds.Status)
				require.Equal(t, tt.total, b.TotalMicroEpsilon)
				require.Zero(t, b.SpentMicroEpsilon)
			}
		})
	}
}

func TestApproveDataset(t *testing.T) {
	k := key()
	in := datasetInput()
	in.RequireApproval = true
	pending, _, err := ledger.NewDataset(in, false, &k, stat, txID, t0)
	require.NoError(t, err)
	once, err := ledger.ApproveDataset(consortium(), pending, hosA, "ok", txID, t0)
	require.NoError(t, err)
	require.Equal(t, ledger.StatusPending, once.Status)
	require.Equal(t, "dataset ds needs 1 more approval from a member other than "+stat, ledger.DatasetProgress(once))
	requireCode(t, ledger.CodeBadState, ledger.RequireActive(once))
	active, _ := dataset(t)

	tests := []struct {
		name   string
		ds     ledger.Dataset
		caller string
		want   ledger.Code
		status ledger.Status
	}{
		{"the first approval keeps it pending", pending, hosB, "", ledger.StatusPending},
		{"the second approval activates it", once, hosB, "", ledger.StatusActive},
		{"the registrant may not approve its own", pending, stat, ledger.CodeForbidden, ""},
		{"the auditor may not approve", pending, reg, ledger.CodeForbidden, ""},
		{"a member approves once", once, hosA, ledger.CodeConflict, ""},
		{"an active dataset takes no approvals", active, hosA, ledger.CodeBadState, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, err := ledger.ApproveDataset(consortium(), tt.ds, tt.caller, "", txID, t0)
			requireCode(t, tt.want, err)
			if tt.want == "" {
				require.Equal(t, tt.status, ds.Status)
				require.Equal(t, tt.status == ledger.StatusActive, ledger.RequireActive(ds) == nil)
			}
		})
	}
}

func TestBudgetDebitAndRefund(t *testing.T) {
	b := ledger.Budget{DatasetID: "ds", TotalMicroEpsilon: 1_000_000, SpentMicroEpsilon: 600_000}
	tests := []struct {
		name   string
		op     func() (ledger.Budget, error)
		want   ledger.Code
		spent  int64
		remain int64
	}{
		{"a debit that fits", func() (ledger.Budget, error) { return b.Debit(400_000, t0) }, "", 1_000_000, 0},
		{"a debit of nothing", func() (ledger.Budget, error) { return b.Debit(0, t0) }, "", 600_000, 400_000},
		{"a debit one micro-epsilon too large", func() (ledger.Budget, error) { return b.Debit(400_001, t0) }, ledger.CodeBudgetExceeded, 600_000, 400_000},
		{"a negative debit", func() (ledger.Budget, error) { return b.Debit(-1, t0) }, ledger.CodeInvalid, 600_000, 400_000},
		{"a refund of what was spent", func() (ledger.Budget, error) { return b.Refund(600_000, t0) }, "", 0, 1_000_000},
		{"a refund of more than was spent", func() (ledger.Budget, error) { return b.Refund(600_001, t0) }, ledger.CodeInvalid, 600_000, 400_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.op()
			requireCode(t, tt.want, err)
			require.Equal(t, tt.spent, got.SpentMicroEpsilon)
			require.Equal(t, tt.remain, got.Remaining())
		})
	}
}

func TestNewSubmission(t *testing.T) {
	active, _ := dataset(t)
	pendingDS := active
	pendingDS.Status = ledger.StatusPending
	prev := submission(hosA, "2025", "old")
	foreign := submission(hosB, "2025", "other")
	used := map[string]string{digest("taken"): "s-earlier"}
	in := func(blobs ...string) ledger.SubmissionInput {
		s := submission(hosA, "2025", "")
		out := ledger.SubmissionInput{DatasetID: "ds", Period: "2025", ParamSetID: "bgv-test", Records: 1000}
		for _, b := range blobs {
			out.Ciphertexts = append(out.Ciphertexts, ledger.Ciphertext{Digest: digest(b), Size: 1, URI: s.Ciphertexts[0].URI + b})
		}
		return out
	}
	tests := []struct {
		name   string
		ds     ledger.Dataset
		in     ledger.SubmissionInput
		prev   *ledger.Submission
		caller string
		want   ledger.Code
	}{
		{"a provider's first submission is live", active, in("new"), nil, hosA, ""},
		{"a resubmission supersedes the live one", active, in("new"), &prev, hosA, ""},
		{"a dataset awaiting approval takes none", pendingDS, in("new"), nil, hosA, ledger.CodeBadState},
		{"only providers submit", active, in("new"), nil, stat, ledger.CodeForbidden},
		{"a used ciphertext digest is refused", active, in("new", "taken"), nil, hosA, ledger.CodeConflict},
		{"a repeated digest within one submission is invalid", active, in("x", "x"), nil, hosA, ledger.CodeInvalid},
		{"no ciphertexts is invalid", active, in(), nil, hosA, ledger.CodeInvalid},
		{"another parameter set is invalid", active, func() ledger.SubmissionInput { s := in("new"); s.ParamSetID = "p2"; return s }(), nil, hosA, ledger.CodeInvalid},
		{"one record is enough", active, withRecords(in("new"), 1), nil, hosA, ""},
		{"no records is invalid", active, withRecords(in("new"), 0), nil, hosA, ledger.CodeInvalid},
		{"a negative record count is invalid", active, withRecords(in("new"), -1), nil, hosA, ledger.CodeInvalid},
		{"more records than the policy allows per submission is invalid", active, withRecords(in("new"), 1001), nil, hosA, ledger.CodeInvalid},
		{"more records than any policy allows is invalid", active, withRecords(in("new"), policies.MaxMaxRecordsPerSubmission+1), nil, hosA, ledger.CodeInvalid},
		{"a live index naming another provider's submission is internal", active, in("new"), &foreign, hosA, ledger.CodeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, old, err := ledger.NewSubmission(consortium(), tt.ds, tt.in, tt.prev, func(d string) string { return used[d] }, tt.caller, "s-new", txID, t0)
			requireCode(t, tt.want, err)
			if tt.want != "" {
				return
			}
			require.Equal(t, ledger.StatusLive, s.Status)
			require.Equal(t, tt.in.Records, s.Records, "the declared record count is kept")
			if tt.prev == nil {
				require.Nil(t, old)
				return
			}
			require.Equal(t, ledger.StatusSuperseded, old.Status)
			require.Equal(t, "s-new", old.SupersededBy)
			require.Equal(t, prev.ID, s.Supersedes)
			require.Equal(t, ledger.StatusLive, prev.Status, "the input is not modified")
		})
	}
}

func TestNewQueryAndReplay(t *testing.T) {
	active, b := dataset(t)
	spent, err := b.Debit(800_000, t0)
	require.NoError(t, err)
	pendingDS := active
	pendingDS.Status = ledger.StatusPending
	roomy := active
	roomy.Policy.MaxSubmissions = 2 * ledger.MaxFrozenSubmissions
	tests := []struct {
		name   string
		ds     ledger.Dataset
		b      ledger.Budget
		live   int
		edit   func(*ledger.QueryInput)
		caller string
		want   ledger.Code
	}{
		{name: "an analyst's query within the policy is pending", ds: active, b: b, live: 2, caller: stat},
		{name: "only analysts ask", ds: active, b: b, live: 2, caller: hosA, want: ledger.CodeForbidden},
		{name: "an inactive dataset takes no queries", ds: pendingDS, b: b, live: 2, caller: stat, want: ledger.CodeBadState},
		{name: "too few live submissions", ds: active, b: b, live: 1, caller: stat, want: ledger.CodeBadState},
		{name: "as many live submissions as the policy's maximum", ds: active, b: b, live: 3, caller: stat},
		{name: "more live submissions than the policy's maximum", ds: active, b: b, live: 4, caller: stat, want: ledger.CodeBadState},
		{name: "too many live submissions for one query", ds: roomy, b: b, live: ledger.MaxFrozenSubmissions + 1, caller: stat, want: ledger.CodeBadState},
		{name: "more epsilon than is left", ds: active, b: spent, live: 2, caller: stat, want: ledger.CodeBudgetExceeded},
		{name: "more epsilon than one query may spend", ds: active, b: b, live: 2, caller: stat, edit: func(in *ledger.QueryInput) { in.Spec.Epsilon = 600_000 }, want: ledger.CodeInvalid},
		{name: "a dimension the policy does not allow", ds: active, b: b, live: 2, caller: stat, edit: func(in *ledger.QueryInput) { in.Spec.GroupBy = []string{"age"} }, want: ledger.CodeInvalid},
		{name: "a statistic the policy does not allow", ds: active, b: b, live: 2, caller: stat, edit: func(in *ledger.QueryInput) { in.Spec.Statistic = "variance"; in.Spec.Measure = "age" }, want: ledger.CodeInvalid},
		{name: "a bad idempotency key", ds: active, b: b, live: 2, caller: stat, edit: func(in *ledger.QueryInput) { in.IdempotencyKey = "" }, want: ledger.CodeInvalid},
		{name: "another dataset's ID", ds: active, b: b, live: 2, caller: stat, edit: func(in *ledger.QueryInput) { in.DatasetID = "other" }, want: ledger.CodeInvalid},
		{name: "no analyst key digest", ds: active, b: b, live: 2, caller: stat, edit: func(in *ledger.QueryInput) { in.AnalystKeyDigest = "" }, want: ledger.CodeInvalid},
		{name: "an analyst key digest that is not SHA-256 hex", ds: active, b: b, live: 2, caller: stat, edit: func(in *ledger.QueryInput) { in.AnalystKeyDigest = "ABC" }, want: ledger.CodeInvalid},
		{name: "no analyst key URI", ds: active, b: b, live: 2, caller: stat, edit: func(in *ledger.QueryInput) { in.AnalystKeyURI = "" }, want: ledger.CodeInvalid},
		{name: "an analyst key URI without a scheme", ds: active, b: b, live: 2, caller: stat, edit: func(in *ledger.QueryInput) { in.AnalystKeyURI = "blobs/pk" }, want: ledger.CodeInvalid},
		{name: "no decryptors", ds: active, b: b, live: 2, caller: stat, edit: func(in *ledger.QueryInput) { in.Decryptors = nil }, want: ledger.CodeInvalid},
		{name: "fewer decryptors than the threshold", ds: active, b: b, live: 2, caller: stat, edit: func(in *ledger.QueryInput) { in.Decryptors = []string{hosA} }, want: ledger.CodeInvalid},
		{name: "more decryptors than the threshold", ds: active, b: b, live: 2, caller: stat, edit: func(in *ledger.QueryInput) { in.Decryptors = []string{hosA, hosB, stat} }, want: ledger.CodeInvalid},
		{name: "a decryptor named twice", ds: active, b: b, live: 2, caller: stat, edit: func(in *ledger.QueryInput) { in.Decryptors = []string{hosA, hosA} }, want: ledger.CodeInvalid},
		{name: "a decryptor that is not a key holder", ds: active, b: b, live: 2, caller: stat, edit: func(in *ledger.QueryInput) { in.Decryptors = []string{hosA, lab} }, want: ledger.CodeInvalid},
		{name: "a decryptor outside the consortium", ds: active, b: b, live: 2, caller: stat, edit: func(in *ledger.QueryInput) { in.Decryptors = []string{hosA, "OutsiderMSP"} }, want: ledger.CodeInvalid},
		{name: "a decryptor MSP ID that is not an ID", ds: active, b: b, live: 2, caller: stat, edit: func(in *ledger.QueryInput) { in.Decryptors = []string{hosA, "no spaces"} }, want: ledger.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := queryInput("k")
			if tt.edit != nil {
				tt.edit(&in)
			}
			q, err := ledger.NewQuery(consortium(), tt.ds, tt.b, tt.live, in, tt.caller, "q-1", txID, t0)
			requireCode(t, tt.want, err)
			if tt.want == "" {
				require.Equal(t, ledger.StatusPending, q.Status)
				require.Equal(t, int64(500_000), q.EpsilonMicro)
				require.Equal(t, 3, q.Cells)
				require.Equal(t, in.AnalystKeyDigest, q.AnalystKeyDigest)
				require.Equal(t, in.AnalystKeyURI, q.AnalystKeyURI)
				require.Equal(t, []string{hosA, stat}, q.Decryptors, "stored sorted")
				require.Equal(t, []string{stat, hosA}, in.Decryptors, "the input is not modified")
				require.Equal(t, in.Digest(), q.RequestDigest)
			}
		})
	}

	t.Run("the error names the decryptor and the key's holders", func(t *testing.T) {
		in := queryInput("k")
		in.Decryptors = []string{hosA, lab}
		_, err := ledger.NewQuery(consortium(), active, b, 2, in, stat, "q-1", txID, t0)
		require.EqualError(t, err, "INVALID: decryptor "+lab+" holds no share of collective key ck-1; its key holders are "+hosA+", "+hosB+", "+stat)
		in.Decryptors = []string{hosA}
		_, err = ledger.NewQuery(consortium(), active, b, 2, in, stat, "q-1", txID, t0)
		require.EqualError(t, err, "INVALID: a query of dataset ds needs exactly 2 decryptors, the threshold of collective key ck-1, not 1")
		in.Decryptors = []string{hosA, stat, hosA}
		_, err = ledger.NewQuery(consortium(), active, b, 2, in, stat, "q-1", txID, t0)
		require.EqualError(t, err, "INVALID: decryptors must be distinct; "+hosA+" is named twice")
	})
	t.Run("a participant of the key that is no longer a key holder", func(t *testing.T) {
		c := consortium()
		c.Orgs[1].KeyHolder = false // HospitalA gave up its key share after the ceremony
		in := queryInput("k")
		_, err := ledger.NewQuery(c, active, b, 2, in, stat, "q-1", txID, t0)
		requireCode(t, ledger.CodeInvalid, err)
		require.Contains(t, err.Error(), "decryptor "+hosA+" is no longer a key holder")
		in.Decryptors = []string{stat, hosB}
		_, err = ledger.NewQuery(c, active, b, 2, in, stat, "q-1", txID, t0)
		require.NoError(t, err)
	})
	t.Run("the dataset's copy of the key's shares decides", func(t *testing.T) {
		ds := active
		ds.KeyShares = ledger.KeyShares{Participants: []string{hosA, hosB, stat}, Threshold: 3}
		_, err := ledger.NewQuery(consortium(), ds, b, 2, queryInput("k"), stat, "q-1", txID, t0)
		requireCode(t, ledger.CodeInvalid, err)
		require.ErrorContains(t, err, "needs exactly 3 decryptors, the threshold of collective key ck-1")
		ds.KeyShares = ledger.KeyShares{}
		_, err = ledger.NewQuery(consortium(), ds, b, 2, queryInput("k"), stat, "q-1", txID, t0)
		requireCode(t, ledger.CodeInternal, err)
		require.ErrorContains(t, err, "carries no copy of collective key ck-1's shares")
		ds.KeyShares = ledger.KeyShares{Participants: []string{hosA, hosB}, Threshold: 2}
		_, err = ledger.NewQuery(consortium(), ds, b, 2, queryInput("k"), stat, "q-1", txID, t0)
		requireCode(t, ledger.CodeInvalid, err)
		require.ErrorContains(t, err, "decryptor "+stat+" holds no share of collective key ck-1")
	})

	q := pendingQuery(t)
	replayTests := []struct {
		name   string
		in     ledger.QueryInput
		caller string
		want   ledger.Code
	}{
		{"the same request returns the same query", queryInput("k"), stat, ""},
		{"different content under the same key conflicts", func() ledger.QueryInput { in := queryInput("k"); in.Spec.GroupBy = []string{"sex"}; return in }(), stat, ledger.CodeConflict},
		{"another period under the same key conflicts", func() ledger.QueryInput { in := queryInput("k"); in.Period = "2025"; return in }(), stat, ledger.CodeConflict},
		{"another analyst key under the same key conflicts", func() ledger.QueryInput {
			in := queryInput("k")
			in.AnalystKeyDigest = digest("another analyst pk")
			return in
		}(), stat, ledger.CodeConflict},
		{"another analyst key URI under the same key conflicts", func() ledger.QueryInput { in := queryInput("k"); in.AnalystKeyURI = "s3://elsewhere/pk"; return in }(), stat, ledger.CodeConflict},
		{"other decryptors under the same key conflict", func() ledger.QueryInput { in := queryInput("k"); in.Decryptors = []string{hosA, hosB}; return in }(), stat, ledger.CodeConflict},
		{"the same decryptors in another order are the same request", func() ledger.QueryInput { in := queryInput("k"); in.Decryptors = []string{hosA, stat}; return in }(), stat, ""},
		{"another requester conflicts", queryInput("k"), hosA, ledger.CodeConflict},
	}
	for _, tt := range replayTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ledger.ReplayQuery(q, tt.in, tt.caller)
			requireCode(t, tt.want, err)
			if tt.want == "" {
				require.Equal(t, q, got)
			}
		})
	}
	require.Equal(t, ledger.QueryID(stat, "k"), q.ID)
	require.NotEqual(t, ledger.QueryID(hosA, "k"), q.ID, "keys are per organisation")
}

func TestApplyApproval(t *testing.T) {
	ds, b := dataset(t)
	pending := pendingQuery(t)
	once, _, _, err := ledger.ApplyApproval(consortium(), pending, hosA, "", txID, t0, func() (ledger.ApprovalInputs, error) {
		t.Fatal("an approval that does not complete the rule must not read the dataset, budget or live index")
		return ledger.ApprovalInputs{}, nil
	})
	require.NoError(t, err)
	approved, _, _ := approvedQuery(t)
	exhausted, err := b.Debit(600_000, t0)
	require.NoError(t, err)
	closed := ds
	closed.Status = ledger.StatusPending
	other := ds
	other.ID = "other"
	fails := errors.New("peer down")
	a, bb := submission(hosA, "2025", "a"), submission(hosB, "2025", "b")
	elsewhere := submission(hosB, "2024", "b")
	elsewhere.DatasetID = "other"

	tests := []struct {
		name   string
		q      ledger.Query
		caller string
		read   func() (ledger.ApprovalInputs, error)
		want   ledger.Code
		status ledger.Status
	}{
		{"the first approval keeps it pending", pending, hosB, live(t, b), "", ledger.StatusPending},
		{"the approval that meets the rule approves it", once, hosB, live(t, b), "", ledger.StatusApproved},
		{"the requester's own organisation is excluded", pending, stat, live(t, b), ledger.CodeForbidden, ""},
		{"the auditor cannot approve", pending, reg, live(t, b), ledger.CodeForbidden, ""},
		{"a worker organisation cannot approve", pending, lab, live(t, b), ledger.CodeForbidden, ""},
		{"a member decides once", once, hosA, live(t, b), ledger.CodeConflict, ""},
		{"an approved query takes no more approvals", approved, stat, live(t, b), ledger.CodeBadState, ""},
		{"a budget too small refuses the completing approval", once, hosB, live(t, exhausted), ledger.CodeBudgetExceeded, ""},
		{"a dataset that is not active refuses the completing approval", once, hosB, inputs(closed, b, a, bb), ledger.CodeBadState, ""},
		{"another dataset than the query's is internal", once, hosB, inputs(other, b, a, bb), ledger.CodeInternal, ""},
		{"too few live submissions at approval time", once, hosB, inputs(ds, b, a), ledger.CodeBadState, ""},
		{"more live submissions than the policy's maxSubmissions at approval time", once, hosB,
			inputs(ds, b, a, bb, submission(hosA, "2025", "c"), submission(hosB, "2025", "d")), ledger.CodeBadState, ""},
		{"a live index entry of another dataset is internal", once, hosB, inputs(ds, b, a, elsewhere), ledger.CodeInternal, ""},
		{"a failing read is passed on", once, hosB, func() (ledger.ApprovalInputs, error) {
			return ledger.ApprovalInputs{}, ledger.Prefix("read budget", fails)
		}, ledger.CodeInternal, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, nb, job, err := ledger.ApplyApproval(consortium(), tt.q, tt.caller, "", txID, t0, tt.read)
			requireCode(t, tt.want, err)
			if tt.want != "" {
				require.Nil(t, nb)
				require.Nil(t, job)
				return
			}
			require.Equal(t, tt.status, q.Status)
			if tt.status == ledger.StatusPending {
				require.Nil(t, nb)
				require.Nil(t, job)
				return
			}
			require.Equal(t, int64(500_000), nb.SpentMicroEpsilon)
			require.Equal(t, ledger.StatusOpen, job.Status)
			require.Equal(t, []string{"s-" + hosA + "-a", "s-" + hosB + "-b"}, q.SubmissionIDs, "frozen and sorted")
			wantDigests := []string{digest("a"), digest("b")}
			sort.Strings(wantDigests)
			require.Equal(t, wantDigests, q.InputDigests, "the frozen submissions' digests, sorted")
		})
	}
	require.ErrorIs(t, ledger.Prefix("read budget", fails), fails)

	_, nb, _, err := ledger.ApplyApproval(consortium(), once, hosB, "", txID, t0,
		inputs(ds, b, a, bb, submission(hosA, "2025", "c"), submission(hosB, "2025", "d")))
	require.EqualError(t, err, "BAD_STATE: dataset ds has 4 live submissions; its policy lets a query combine at most 3 (maxSubmissions) so that sums stay exact; restrict the query to a period")
	require.Nil(t, nb, "nothing is debited")
}

func TestApplyRejectionAndCancel(t *testing.T) {
	pending := pendingQuery(t)
	approved, b, _ := approvedQuery(t)
	rejected, err := ledger.ApplyRejection(consortium(), pending, hosB, "too detailed", txID, t0)
	require.NoError(t, err)
	require.Equal(t, ledger.StatusRejected, rejected.Status)
	_, err = ledger.ApplyRejection(consortium(), pending, hosB, "", txID, t0)
	requireCode(t, ledger.CodeInvalid, err)
	_, err = ledger.ApplyRejection(consortium(), rejected, hosA, "me too", txID, t0)
	requireCode(t, ledger.CodeBadState, err)

	with := func(s ledger.Status) ledger.Query { q := approved; q.Status = s; return q }
	tests := []struct {
		name     string
		q        ledger.Query
		caller   string
		reason   string
		want     ledger.Code
		refunded bool
	}{
		{"the requester cancels a pending query", pending, stat, "typo", "", false},
		{"an approved query is refunded", approved, stat, "typo", "", true},
		{"a disputed query is refunded", with(ledger.StatusDisputed), stat, "typo", "", true},
		{"a decrypting query cannot be cancelled", with(ledger.StatusDecrypting), stat, "typo", ledger.CodeBadState, false},
		{"a ready query cannot be cancelled", with(ledger.StatusReady), stat, "typo", ledger.CodeBadState, false},
		{"a rejected query is already closed", rejected, stat, "typo", ledger.CodeBadState, false},
		{"only the requester cancels", approved, hosA, "typo", ledger.CodeForbidden, false},
		{"a reason is required", approved, stat, "", ledger.CodeInvalid, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, nb, refunded, err := ledger.CancelQuery(tt.q, b, tt.caller, tt.reason, t0)
			requireCode(t, tt.want, err)
			require.Equal(t, tt.refunded, refunded)
			if tt.want == "" {
				require.Equal(t, ledger.StatusCancelled, q.Status)
			}
			if refunded {
				require.Zero(t, nb.SpentMicroEpsilon)
			} else {
				require.Equal(t, b, nb)
			}
		})
	}
}

func TestClaimAndRenewLease(t *testing.T) {
	approved, _, open := approvedQuery(t)
	pending := pendingQuery(t)
	held, err := ledger.ClaimJob(consortium(), approved, open, stat, "w1", 60, txID, t0)
	require.NoError(t, err)
	done := open
	done.Status = ledger.StatusDone
	posted := open
	posted.ResultOrgs = []string{lab}
	later := t0.Add(61 * time.Second)

	tests := []struct {
		name      string
		q         ledger.Query
		job       ledger.Job
		msp, id   string
		secs      int
		at        time.Time
		want      ledger.Code
		holderMSP string
	}{
		{"a worker claims an open job", approved, open, stat, "w1", 60, t0, "", stat},
		{"the holder claims again and renews", approved, held, stat, "w1", 60, t0.Add(time.Second), "", stat},
		{"another worker waits for a live lease", approved, held, lab, "w9", 60, t0.Add(59 * time.Second), ledger.CodeConflict, ""},
		{"another worker of the same organisation waits too", approved, held, stat, "w2", 60, t0, ledger.CodeConflict, ""},
		{"an expired lease is taken over", approved, held, lab, "w9", 60, later, "", lab},
		{"an organisation that posted a result does not compute again", approved, posted, lab, "w9", 60, t0, ledger.CodeConflict, ""},
		{"a done job is closed", approved, done, stat, "w1", 60, t0, ledger.CodeBadState, ""},
		{"a pending query has no job", pending, open, stat, "w1", 60, t0, ledger.CodeBadState, ""},
		{"only workers claim", approved, open, hosA, "h", 60, t0, ledger.CodeForbidden, ""},
		{"a zero lease is invalid", approved, open, stat, "w1", 0, t0, ledger.CodeInvalid, ""},
		{"a lease over a day is invalid", approved, open, stat, "w1", ledger.MaxLeaseSeconds + 1, t0, ledger.CodeInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job, err := ledger.ClaimJob(consortium(), tt.q, tt.job, tt.msp, tt.id, tt.secs, txID, tt.at)
			requireCode(t, tt.want, err)
			if tt.want == "" {
				require.Equal(t, ledger.StatusLeased, job.Status)
				require.Equal(t, tt.holderMSP, job.Lease.WorkerMSPID)
				require.Equal(t, tt.at.Add(time.Duration(tt.secs)*time.Second), job.Lease.ExpiresAt)
				require.Equal(t, tt.job.Claims+1, job.Claims)
			}
		})
	}

	renewTests := []struct {
		name    string
		q       ledger.Query
		job     ledger.Job
		msp, id string
		at      time.Time
		want    ledger.Code
	}{
		{"the holder renews", approved, held, stat, "w1", t0.Add(30 * time.Second), ""},
		{"the holder renews an expired lease nobody took", approved, held, stat, "w1", later, ""},
		{"another worker cannot renew", approved, held, stat, "w2", t0, ledger.CodeForbidden},
		{"an open job has no lease to renew", approved, open, stat, "w1", t0, ledger.CodeBadState},
		{"a lease on a query no longer approved cannot be renewed", func() ledger.Query { q := approved; q.Status = ledger.StatusCancelled; return q }(), held, stat, "w1", t0, ledger.CodeBadState},
	}
	for _, tt := range renewTests {
		t.Run(tt.name, func(t *testing.T) {
			job, err := ledger.RenewLease(tt.q, tt.job, tt.msp, tt.id, 120, tt.at)
			requireCode(t, tt.want, err)
			if tt.want == "" {
				require.Equal(t, tt.at.Add(120*time.Second), job.Lease.ExpiresAt)
				require.Equal(t, held.Lease.ExpiresAt, t0.Add(60*time.Second), "the input is not modified")
			}
		})
	}
	closed := ledger.CloseJob(held, later)
	require.Equal(t, ledger.StatusDone, closed.Status)
	require.Nil(t, closed.Lease)
}

func TestApplyResult(t *testing.T) {
	approved, _, open := approvedQuery(t)
	held, err := ledger.ClaimJob(consortium(), approved, open, stat, "w1", 60, txID, t0)
	require.NoError(t, err)
	two := approved
	two.RequiredResults = 2
	twoJob := ledger.NewJob(two, t0)
	twoHeld, err := ledger.ClaimJob(consortium(), two, twoJob, stat, "w1", 60, txID, t0)
	require.NoError(t, err)
	firstOf2, err := ledger.ClaimJob(consortium(), two, twoJob, stat, "w1", 60, txID, t0)
	require.NoError(t, err)
	_, firstOf2, _, err = ledger.ApplyResult(two, firstOf2, ledger.ResultInput{QueryID: two.ID, InputDigests: two.InputDigests, OutputDigest: digest("out"), OutputURI: "file:///o", OutputSize: 1}, stat, "w1", txID, t0)
	require.NoError(t, err)
	secondOf2, err := ledger.ClaimJob(consortium(), two, firstOf2, lab, "l1", 60, txID, t0)
	require.NoError(t, err)

	in := func(q ledger.Query, out string) ledger.ResultInput {
		return ledger.ResultInput{QueryID: q.ID, InputDigests: q.InputDigests, OutputDigest: digest(out), OutputURI: "file:///" + out, OutputSize: 1}
	}
	reversed := in(approved, "out")
	reversed.InputDigests = []string{approved.InputDigests[1], approved.InputDigests[0]}
	tests := []struct {
		name      string
		q         ledger.Query
		job       ledger.Job
		in        ledger.ResultInput
		msp, id   string
		want      ledger.Code
		qStatus   ledger.Status
		jobStatus ledger.Status
	}{
		{"one required result starts decryption", approved, held, in(approved, "out"), stat, "w1", "", ledger.StatusDecrypting, ledger.StatusDone},
		{"input digests in any order", approved, held, reversed, stat, "w1", "", ledger.StatusDecrypting, ledger.StatusDone},
		{"the first of two results reopens the job", two, twoHeld, in(two, "out"), stat, "w1", "", ledger.StatusApproved, ledger.StatusOpen},
		{"a matching second result starts decryption", two, secondOf2, in(two, "out"), lab, "l1", "", ledger.StatusDecrypting, ledger.StatusDone},
		{"a different second result disputes the query", two, secondOf2, in(two, "other"), lab, "l1", "", ledger.StatusDisputed, ledger.StatusDone},
		{"a worker without the lease is refused", approved, held, in(approved, "out"), stat, "w2", ledger.CodeForbidden, "", ""},
		{"an open job has no holder", approved, open, in(approved, "out"), stat, "w1", ledger.CodeForbidden, "", ""},
		{"input digests other than the frozen set", approved, held, func() ledger.ResultInput { r := in(approved, "out"); r.InputDigests = r.InputDigests[:1]; return r }(), stat, "w1", ledger.CodeInvalid, "", ""},
		{"a repeated input digest", approved, held, func() ledger.ResultInput {
			r := in(approved, "out")
			r.InputDigests = []string{r.InputDigests[0], r.InputDigests[0]}
			return r
		}(), stat, "w1", ledger.CodeInvalid, "", ""},
		{"a query no longer approved takes no results", func() ledger.Query { q := approved; q.Status = ledger.StatusDecrypting; return q }(), held, in(approved, "out"), stat, "w1", ledger.CodeBadState, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, job, r, err := ledger.ApplyResult(tt.q, tt.job, tt.in, tt.msp, tt.id, txID, t0)
			requireCode(t, tt.want, err)
			if tt.want != "" {
				return
			}
			require.Equal(t, tt.qStatus, q.Status)
			require.Equal(t, tt.jobStatus, job.Status)
			require.Nil(t, job.Lease)
			require.Equal(t, tt.msp, r.WorkerMSPID)
			if q.Status == ledger.StatusDecrypting {
				require.Equal(t, tt.in.OutputDigest, q.OutputDigest)
			}
		})
	}
}

func TestApplyShare(t *testing.T) {
	approved, _, _ := approvedQuery(t)
	require.Equal(t, []string{hosA, stat}, approved.Decryptors)
	decrypting := approved
	decrypting.Status = ledger.StatusDecrypting
	oneShare, _, err := ledger.ApplyShare(decrypting, shareInput(decrypting, "a"), false, hosA, txID, t0)
	require.NoError(t, err)
	require.Equal(t, "query "+approved.ID+" is decrypting and has 1 decryption share; it waits for "+stat, ledger.QueryProgress(oneShare))
	early := oneShare
	early.Status = ledger.StatusReady // as a query made ready by other rules would be
	legacy := decrypting
	legacy.Decryptors = nil // requested before the ledger recorded decryptors
	tests := []struct {
		name   string
		q      ledger.Query
		exists bool
		caller string
		want   ledger.Code
		status ledger.Status
	}{
		{"the first decryptor's share keeps it decrypting", decrypting, false, hosA, "", ledger.StatusDecrypting},
		{"the other decryptor's share first keeps it decrypting too", decrypting, false, stat, "", ledger.StatusDecrypting},
		{"the last decryptor's share makes it ready", oneShare, false, stat, "", ledger.StatusReady},
		{"a key holder outside the decryptors is refused", decrypting, false, hosB, ledger.CodeForbidden, ""},
		{"a key holder outside the decryptors is refused after a share", oneShare, false, hosB, ledger.CodeForbidden, ""},
		{"a second share from one organisation is refused", oneShare, false, hosA, ledger.CodeConflict, ""},
		{"a stored share is refused even if the query forgot it", decrypting, true, hosA, ledger.CodeConflict, ""},
		{"an organisation outside the key ceremony is refused", decrypting, false, lab, ledger.CodeForbidden, ""},
		{"no share before the results agree", approved, false, hosA, ledger.CodeBadState, ""},
		{"no share once the query is ready", early, false, stat, ledger.CodeBadState, ""},
		{"nobody decrypts a query without decryptors", legacy, false, hosA, ledger.CodeForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, s, err := ledger.ApplyShare(tt.q, shareInput(tt.q, "x"), tt.exists, tt.caller, txID, t0)
			requireCode(t, tt.want, err)
			if tt.want == "" {
				require.Equal(t, tt.status, q.Status)
				require.Equal(t, tt.caller, s.KeyHolder)
				require.Contains(t, q.ShareOrgs, tt.caller)
				require.Equal(t, tt.q.Decryptors, q.Decryptors, "the decryptors never change")
			}
		})
	}

	t.Run("the refusal names the decryptors", func(t *testing.T) {
		_, _, err := ledger.ApplyShare(oneShare, shareInput(oneShare, "b"), false, hosB, txID, t0)
		require.EqualError(t, err, "FORBIDDEN: query "+approved.ID+" is decrypted by "+hosA+", "+stat+" only, as named when it was requested; "+hosB+" is not one of its decryptors")
	})
	t.Run("readiness needs every decryptor, not any t key holders", func(t *testing.T) {
		q := decrypting
		for i, org := range []string{stat, hosA} {
			require.Equal(t, ledger.StatusDecrypting, q.Status, "after %d shares", i)
			var err error
			q, _, err = ledger.ApplyShare(q, shareInput(q, org), false, org, txID, t0)
			require.NoError(t, err)
		}
		require.Equal(t, ledger.StatusReady, q.Status)
		require.Equal(t, []string{hosA, stat}, q.ShareOrgs)
	})
	t.Run("a share naming another query is invalid", func(t *testing.T) {
		in := shareInput(decrypting, "x")
		in.QueryID = "q-other"
		_, _, err := ledger.ApplyShare(decrypting, in, false, hosA, txID, t0)
		requireCode(t, ledger.CodeInvalid, err)
	})
}

func shareInput(q ledger.Query, tag string) ledger.ShareInput {
	return ledger.ShareInput{QueryID: q.ID, Digest: digest(tag), URI: "file:///" + tag, Size: 1}
}

func TestApplyRelease(t *testing.T) {
	approved, _, _ := approvedQuery(t)
	ready := approved
	ready.Status = ledger.StatusReady
	released := approved
	released.Status = ledger.StatusReleased
	table := "region,count\nR1,12\n"
	in := func(edit func(*ledger.ReleaseInput)) ledger.ReleaseInput {
		r := ledger.ReleaseInput{QueryID: ready.ID, Format: ledger.FormatCSV, TableDigest: digest(table), Table: table, Suppressed: []int{0, 2}}
		if edit != nil {
			edit(&r)
		}
		return r
	}
	digestOnly := func(r *ledger.ReleaseInput) { r.Table = "" }
	tests := []struct {
		name   string
		q      ledger.Query
		public bool
		in     ledger.ReleaseInput
		caller string
		want   ledger.Code
	}{
		{"the requester releases a public table", ready, true, in(nil), stat, ""},
		{"a private release records the digest only", ready, false, in(digestOnly), stat, ""},
		{"only the requester releases", ready, true, in(nil), hosA, ledger.CodeForbidden},
		{"a query is released once", released, true, in(nil), stat, ledger.CodeConflict},
		{"a query short of its shares is not ready", approved, true, in(nil), stat, ledger.CodeBadState},
		{"a public release needs the table", ready, true, in(digestOnly), stat, ledger.CodeInvalid},
		{"a private release refuses the table", ready, false, in(nil), stat, ledger.CodeInvalid},
		{"a suppressed index outside the table", ready, true, in(func(r *ledger.ReleaseInput) { r.Suppressed = []int{3} }), stat, ledger.CodeInvalid},
		{"suppressed indices out of order", ready, true, in(func(r *ledger.ReleaseInput) { r.Suppressed = []int{2, 1} }), stat, ledger.CodeInvalid},
		{"a table that does not match its digest", ready, true, in(func(r *ledger.ReleaseInput) { r.TableDigest = digest("other") }), stat, ledger.CodeInvalid},
		{"an unknown format", ready, true, in(func(r *ledger.ReleaseInput) { r.Format = "xlsx" }), stat, ledger.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, r, err := ledger.ApplyRelease(tt.q, tt.public, tt.in, tt.caller, txID, t0)
			requireCode(t, tt.want, err)
			if tt.want == "" {
				require.Equal(t, ledger.StatusReleased, q.Status)
				require.Equal(t, tt.in.TableDigest, q.ReleaseDigest)
				require.Equal(t, 3, r.Cells)
			}
		})
	}
}

func TestQueryProgressSentences(t *testing.T) {
	q := pendingQuery(t)
	require.Equal(t, "query "+q.ID+" needs 2 more approvals from a member other than "+stat, ledger.QueryProgress(q))
	approved, _, _ := approvedQuery(t)
	require.Equal(t, "query "+q.ID+" is approved and waits for 1 matching worker result", ledger.QueryProgress(approved))
	approved.Status, approved.StatusReason = ledger.StatusDisputed, "worker results disagree"
	require.Equal(t, "query "+q.ID+" is disputed (worker results disagree)", ledger.QueryProgress(approved))
}

// withRecords returns in declaring n records.
func withRecords(in ledger.SubmissionInput, n int64) ledger.SubmissionInput {
	in.Records = n
	return in
}
