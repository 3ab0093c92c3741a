package audit_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/audit"
	"github.com/statledger/statledger/client/blobstore"
)

// Each case breaks one rule the audit checks, in a way that no other check of the same
// name would notice on its own, and requires the check to fail with that rule's words.
func TestEachRuleOfTheAuditIsCheckedOnItsOwn(t *testing.T) {
	for _, tc := range []struct {
		name   string
		check  audit.CheckName
		tamper func(w *world, q ledger.Query)
		want   string
	}{
		{"a key holder that posted two shares", audit.CheckShares, func(w *world, q ledger.Query) {
			w.l.shares[q.ID] = append(w.l.shares[q.ID], w.l.shares[q.ID][0])
		}, "posted more than one share"},
		{"fewer shares than the key's threshold, consistently recorded", audit.CheckShares, func(w *world, q ledger.Query) {
			w.l.shares[q.ID] = w.l.shares[q.ID][:1]
			q.ShareOrgs = []string{w.l.shares[q.ID][0].KeyHolder}
			w.l.queries[q.ID] = q
		}, "only 1 decryption shares; the threshold is 2"},
		{"a frozen submission submitted after the approval", audit.CheckInputs, func(w *world, q ledger.Query) {
			for i := range w.l.subs {
				if w.l.subs[i].ID == q.SubmissionIDs[0] {
					w.l.subs[i].SubmittedAt = w.clock.Add(time.Hour)
				}
			}
		}, "was not live when the query was approved"},
		{"a frozen submission of another period", audit.CheckInputs, func(w *world, q ledger.Query) {
			for i := range w.l.subs {
				if w.l.subs[i].ID == q.SubmissionIDs[0] {
					w.l.subs[i].Period = "1999"
				}
			}
			q.Period = "2026"
			w.l.queries[q.ID] = q
		}, "of period 1999, not 2026"},
		{"an input blob of another size than recorded", audit.CheckInputs, func(w *world, q ledger.Query) {
			for i := range w.l.subs {
				if w.l.subs[i].ID == q.SubmissionIDs[0] {
					w.l.subs[i].Ciphertexts[0].Size++
				}
			}
		}, "bytes, not the"},
		{"a matching worker result over other input digests", audit.CheckComputation, func(w *world, q ledger.Query) {
			rs := w.l.results[q.ID]
			rs[0].InputDigests = rs[0].InputDigests[1:]
		}, "posted input digests other than the frozen ones; decryption started with 0 matching worker results"},
		{"an unreadable input digest of none of the submissions", audit.CheckInputs, func(w *world, q ledger.Query) {
			q.InputDigests = append(slices.Clone(q.InputDigests), blobstore.Digest([]byte("not stored")))
			w.l.queries[q.ID] = q
		}, "input blob " + blobstore.Digest([]byte("not stored")) + ", of none of the query's submissions, does not verify"},
		{"a query record whose request transaction is not its first version's", audit.CheckPolicy, func(w *world, q ledger.Query) {
			q.TxID = "tx999"
			w.l.queries[q.ID] = q
		}, "not by its request tx999"},
		{"an approval with fewer approvals than the rule asks", audit.CheckApprovals, func(w *world, q ledger.Query) {
			q.Rule.MinApprovals = 3
			w.l.queries[q.ID] = q
		}, "with 2 of the 3 approvals the rule requires"},
		{"a member's rejection, yet approved", audit.CheckApprovals, func(w *world, q ledger.Query) {
			q.Approvals[0].Decision = ledger.DecisionReject
			w.l.queries[q.ID] = q
		}, "rejected the query, yet it was approved"},
		{"an agreed output digest other than the re-execution's", audit.CheckComputation, func(w *world, q ledger.Query) {
			q.OutputDigest = w.store.put([]byte("another output"))
			w.l.queries[q.ID] = q
		}, "the query's agreed output digest"},
		{"a share whose transaction did not record it", audit.CheckShares, func(w *world, q ledger.Query) {
			w.l.shares[q.ID][0].TxID = "tx999"
		}, "is not what its transaction tx999 recorded"},
		{"a share from a key holder outside the collective key", audit.CheckShares, func(w *world, q ledger.Query) {
			k := w.l.keys[w.ds.KeyID]
			k.Participants = slices.DeleteFunc(slices.Clone(k.Participants), func(p string) bool { return p == w.l.shares[q.ID][0].KeyHolder })
			w.l.keys[w.ds.KeyID] = k
		}, "holds no share of collective key"},
		{"a share blob of another size than recorded", audit.CheckShares, func(w *world, q ledger.Query) {
			w.l.shares[q.ID][0].Size++
		}, "bytes, not the"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, nil)
			q := w.released("k1")
			require.Equal(t, audit.StatusPass, check(t, w.run(audit.Scope{}), q.ID, tc.check).Status, "intact before the change")
			tc.tamper(w, q)
			c := check(t, w.run(audit.Scope{}), q.ID, tc.check)
			require.Equal(t, audit.StatusFail, c.Status)
			require.Contains(t, c.Detail, tc.want)
		})
	}
}

// A pending query whose recorded approvals meet the rule was not approved when it should
// have been: the approvals check fails.
func TestARuleMetButNeverApprovedFails(t *testing.T) {
	w := newWorld(t, nil)
	q := w.request("k1", countByRegion())
	for _, org := range []string{hosA, hosB} {
		q.Approvals = append(q.Approvals, ledger.Approval{MSPID: org, Decision: ledger.DecisionApprove, TxID: "tx9" + org})
	}
	w.l.queries[q.ID] = q
	c := check(t, w.run(audit.Scope{}), q.ID, audit.CheckApprovals)
	require.Equal(t, audit.StatusFail, c.Status)
	require.Contains(t, c.Detail, "the rule (2 approvals) is met but the query was never approved")
}

// The dataset's budget history must start at zero of the policy's total with the
// registration, keep that total, and stay within it.
func TestABudgetHistoryOutOfItsBoundsFails(t *testing.T) {
	for _, tc := range []struct {
		name  string
		index func(n int) int // which version to edit, of n
		edit  func(b *ledger.Budget)
		want  string
	}{
		{"a budget that did not start at zero", func(int) int { return 0 }, func(b *ledger.Budget) { b.SpentMicroEpsilon = 1 }, "the budget did not start at 0"},
		{"a later version with another total", func(n int) int { return n - 1 }, func(b *ledger.Budget) { b.TotalMicroEpsilon++ }, "changed the total budget to"},
		{"a later version spending more than the total", func(n int) int { return n - 1 }, func(b *ledger.Budget) { b.TotalMicroEpsilon = 1 }, "is outside 0..1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, nil)
			w.released("k1")
			h := w.l.dhist[w.ds.ID]
			i := tc.index(len(h.Budget))
			var b ledger.Budget
			require.NoError(t, json.Unmarshal(h.Budget[i].Value, &b))
			tc.edit(&b)
			h.Budget[i] = entry(h.Budget[i].TxID, h.Budget[i].Timestamp, b)
			d := w.run(audit.Scope{DatasetID: w.ds.ID}).Datasets[0].Checks[0]
			require.Equal(t, audit.StatusFail, d.Status)
			require.Contains(t, d.Detail, tc.want)
		})
	}
}

// A cancellation that refunds another amount than the approval debited fails the query's
// budget check, naming the cancelling transaction.
func TestARefundOfTheWrongAmountFails(t *testing.T) {
	w := newWorld(t, nil)
	q := w.approve(w.request("k1", countByRegion()), hosA, hosB)
	tx, at := w.next()
	q, b, refunded, err := ledger.CancelQuery(q, w.l.budgets[w.ds.ID], stat, "not needed", at)
	require.NoError(t, err)
	require.True(t, refunded)
	b.SpentMicroEpsilon += 100_000 // refunds 400000 of the 500000 debited
	w.l.putQuery(q, tx, at)
	w.l.putBudget(b, tx, at)
	rep := w.run(audit.Scope{})
	c := check(t, rep, q.ID, audit.CheckBudget)
	require.Equal(t, audit.StatusFail, c.Status)
	require.Contains(t, c.Detail, "the cancellation refunded 400000 micro-epsilon, not the 500000 debited")
	requireNames(t, c, tx, "")
	require.Equal(t, audit.StatusFail, rep.Datasets[0].Checks[0].Status)
}
