package ledger_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/policies"
)

func TestRecheckQueryAcceptsWhatNewQueryMadeAndNamesWhatWasAltered(t *testing.T) {
	ds, _ := dataset(t)
	require.NoError(t, ledger.RecheckQuery(consortium(), ds, key(), pendingQuery(t)))
	approved, _, _ := approvedQuery(t)
	require.NoError(t, ledger.RecheckQuery(consortium(), ds, key(), approved), "approval changes nothing the request decided")

	for _, tc := range []struct {
		name string
		edit func(q *ledger.Query, ds *ledger.Dataset, c *ledger.Consortium)
		code ledger.Code
		want string
	}{
		{"a specification the policy refuses", func(q *ledger.Query, _ *ledger.Dataset, _ *ledger.Consortium) {
			q.Spec.GroupBy = []string{"region", "sex", "region"}
		}, ledger.CodeInvalid, ""},
		{"a statistic the policy does not allow", func(q *ledger.Query, _ *ledger.Dataset, _ *ledger.Consortium) {
			q.Spec.Statistic = policies.StatMean
			q.Spec.Measure = "age"
		}, ledger.CodeInvalid, "refuses the query"},
		{"an epsilon other than the specification's", func(q *ledger.Query, _ *ledger.Dataset, _ *ledger.Consortium) { q.EpsilonMicro = 1 }, ledger.CodeInvalid, "spends"},
		{"a request digest of other content", func(q *ledger.Query, _ *ledger.Dataset, _ *ledger.Consortium) { q.Period = "2024" }, ledger.CodeInvalid, "request digest"},
		{"a cell count other than the policy's", func(q *ledger.Query, _ *ledger.Dataset, _ *ledger.Consortium) { q.Cells = 6 }, ledger.CodeInvalid, "output cells"},
		{"a weaker approval rule", func(q *ledger.Query, _ *ledger.Dataset, _ *ledger.Consortium) { q.Rule.MinApprovals = 1 }, ledger.CodeInvalid, "approval rule"},
		{"fewer required results", func(q *ledger.Query, ds *ledger.Dataset, _ *ledger.Consortium) { ds.Policy.RequiredResults = 2 }, ledger.CodeInvalid, "worker results"},
		{"a requester that is no analyst", func(q *ledger.Query, _ *ledger.Dataset, _ *ledger.Consortium) { q.Requester = hosA }, ledger.CodeForbidden, "analyst"},
		{"a dataset that was not active", func(_ *ledger.Query, ds *ledger.Dataset, _ *ledger.Consortium) { ds.Status = ledger.StatusPending }, ledger.CodeBadState, ""},
		{"another dataset", func(q *ledger.Query, ds *ledger.Dataset, _ *ledger.Consortium) { ds.ID = "other" }, ledger.CodeInvalid, "names dataset"},
		{"a dataset whose copy of the key's shares is not the key's", func(_ *ledger.Query, ds *ledger.Dataset, _ *ledger.Consortium) {
			ds.KeyShares.Participants = []string{hosA, stat}
		}, ledger.CodeInvalid, "key shares other than those of its collective key ck-1"},
		{"a dataset whose key threshold is not the key's", func(_ *ledger.Query, ds *ledger.Dataset, _ *ledger.Consortium) {
			ds.KeyShares.Threshold = 1
		}, ledger.CodeInvalid, "key shares other than"},
		{"a dataset under another key", func(_ *ledger.Query, ds *ledger.Dataset, _ *ledger.Consortium) { ds.KeyID = "ck-2" }, ledger.CodeInvalid, "key shares other than"},
		{"a decryptor that holds no key share", func(q *ledger.Query, _ *ledger.Dataset, _ *ledger.Consortium) {
			q.Decryptors = []string{lab, stat}
		}, ledger.CodeInvalid, "holds no share"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := pendingQuery(t)
			d, _ := dataset(t)
			c := consortium()
			tc.edit(&q, &d, &c)
			err := ledger.RecheckQuery(c, d, key(), q)
			requireCode(t, tc.code, err)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestCountApprovalsSkipsRejectionsAndTheRequester(t *testing.T) {
	rule := policies.ApprovalRule{MinApprovals: 2, ExcludeRequester: true}
	as := []ledger.Approval{{MSPID: hosA, Decision: ledger.DecisionApprove}, {MSPID: hosB, Decision: ledger.DecisionReject}, {MSPID: stat, Decision: ledger.DecisionApprove}}
	require.Equal(t, 1, ledger.CountApprovals(as, rule, stat))
	rule.ExcludeRequester = false
	require.Equal(t, 2, ledger.CountApprovals(as, rule, stat))
}
