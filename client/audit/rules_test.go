package audit_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/audit"
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
