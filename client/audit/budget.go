package audit

import (
	"fmt"

	"github.com/statledger/statledger/chaincode/ledger"
)

// budgetDelta returns how much the transaction txID changed the dataset's spent budget.
func (dt *datasetTrail) budgetDelta(txID string) (int64, bool) {
	for i, v := range dt.budgets {
		if v.TxID == txID && i > 0 {
			return v.V.SpentMicroEpsilon - dt.budgets[i-1].V.SpentMicroEpsilon, true
		}
	}
	return 0, false
}

// checkBudget checks the dataset's budget history: it starts at zero with the policy's
// total at registration; every later version is one query's approval (a debit of its
// epsilon) or its cancellation after approval (a refund); the total never changes and
// the spent budget never exceeds it; and what is spent is what the approved queries not
// refunded asked for.
func (dt *datasetTrail) checkBudget() Check {
	var p problems
	var ev []Evidence
	if len(dt.budgets) == 0 {
		return failed(CheckBudget, "the ledger has no history of the budget of dataset "+dt.ds.ID, nil)
	}
	if dt.badVersions > 0 {
		p.note("%d versions of the dataset or its budget do not decode", dt.badVersions)
	}
	type move struct {
		query string
		delta int64
	}
	explained := map[string]move{}
	var want int64
	for _, qt := range dt.queries {
		if v, ok := qt.firstWith(ledger.StatusApproved); ok {
			explained[v.TxID] = move{qt.q.ID, qt.q.EpsilonMicro}
			want += qt.q.EpsilonMicro
		}
		if tx, ok := qt.refunded(); ok {
			explained[tx] = move{qt.q.ID, -qt.q.EpsilonMicro}
			want -= qt.q.EpsilonMicro
		}
	}
	first := dt.budgets[0]
	total := int64(dt.ds.Policy.EpsilonTotal)
	e := txEvidence(dt.ds.ID, first.TxID, "budget created")
	ev = append(ev, e)
	if first.TxID != dt.ds.TxID || first.V.SpentMicroEpsilon != 0 || first.V.TotalMicroEpsilon != total {
		p.add(e, "the budget did not start at 0 of %d micro-epsilon with the dataset's registration (transaction %s)", total, dt.ds.TxID)
	}
	for i := 1; i < len(dt.budgets); i++ {
		v := dt.budgets[i]
		delta := v.V.SpentMicroEpsilon - dt.budgets[i-1].V.SpentMicroEpsilon
		m, ok := explained[v.TxID]
		e := txEvidence(m.query, v.TxID, fmt.Sprintf("budget %+d micro-epsilon", delta))
		ev = append(ev, e)
		switch {
		case !ok:
			p.add(e, "transaction %s changed the budget by %d micro-epsilon but approved or cancelled no query", v.TxID, delta)
		case delta != m.delta:
			p.add(e, "transaction %s changed the budget by %d micro-epsilon for query %s, not by %d", v.TxID, delta, m.query, m.delta)
		}
		if v.V.TotalMicroEpsilon != total {
			p.add(e, "transaction %s changed the total budget to %d", v.TxID, v.V.TotalMicroEpsilon)
		}
		if v.V.SpentMicroEpsilon < 0 || v.V.SpentMicroEpsilon > v.V.TotalMicroEpsilon {
			p.add(e, "after transaction %s the spent budget %d is outside 0..%d", v.TxID, v.V.SpentMicroEpsilon, v.V.TotalMicroEpsilon)
		}
	}
	last := dt.budgets[len(dt.budgets)-1].V
	if last.SpentMicroEpsilon != want {
		p.note("the budget says %d micro-epsilon spent; the approved queries not refunded asked for %d", last.SpentMicroEpsilon, want)
	}
	return p.check(CheckBudget, fmt.Sprintf("%d budget changes, each one query's approval or refund; %d of %d micro-epsilon spent", len(dt.budgets)-1, last.SpentMicroEpsilon, last.TotalMicroEpsilon), ev)
}
