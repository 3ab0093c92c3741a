package contract

import (
	"github.com/statledger/statledger/chaincode/ledger"
)

// RequestQuery records an analyst's request for a table (a ledger.QueryInput as JSON:
// idempotency key, dataset, optional period, statistic, measure, group-by, filters,
// epsilon, the digest and URI of the analyst's public key, and the decryptors) as a
// pending query and returns the ledger.Query; its ID derives from the caller's
// organisation and the idempotency key. The decryptors are checked against the shares of
// the dataset's collective key, which the dataset record carries: exactly its threshold
// of its participants. Sending the same request again returns the existing query,
// whatever its status, and writes and spends nothing. Errors: CONFLICT for a used
// idempotency key with different content, NOT_FOUND for an unknown dataset, INVALID
// when the policy refuses the query (the message names the field) or for wrong
// decryptors, BAD_STATE for an inactive dataset or too few live submissions,
// BUDGET_EXCEEDED. Event: query.pending (none for a resent request).
func (c *statsContract) RequestQuery(ctx *txContext, request string) (string, error) {
	in, err := ledger.DecodeQueryInput(request)
	if err != nil {
		return "", err
	}
	id := ledger.QueryID(ctx.caller.MSPID, in.IdempotencyKey)
	var existing ledger.Query
	found, err := getJSON(ctx, ledger.QueryKey(id), &existing)
	if err != nil {
		return "", err
	}
	if found {
		q, err := ledger.ReplayQuery(existing, in, ctx.caller.MSPID)
		if err != nil {
			return "", err
		}
		return respond(q)
	}
	ds, err := datasets.get(ctx, ledger.DatasetKey(in.DatasetID), in.DatasetID)
	if err != nil {
		return "", err
	}
	budget, err := readBudget(ctx, ds.ID)
	if err != nil {
		return "", err
	}
	live, err := liveIndex(ctx, ds.ID, in.Period)
	if err != nil {
		return "", err
	}
	q, err := ledger.NewQuery(ctx.consortium, ds, budget, len(live), in, ctx.caller.MSPID, id, ctx.txID, ctx.at)
	if err != nil {
		return "", err
	}
	return commitQuery(ctx, q, write{ledger.DatasetQueryKey(q.DatasetID, q.ID), q.ID})
}

// ApproveQuery adds the calling member's approval to a pending query and returns the
// ledger.Query. When that meets the approval rule, in this same transaction the query's
// live submissions are frozen into it, the dataset's budget is debited and the query's
// job is opened; concurrent approvals that would overspend the budget conflict on its one
// key. Errors: NOT_FOUND, FORBIDDEN (also for the requester when the rule excludes it),
// CONFLICT for a second decision, BAD_STATE for a query that is not pending or too few
// submissions, BUDGET_EXCEEDED (nothing changes). Event: query.pending or query.approved.
func (c *statsContract) ApproveQuery(ctx *txContext, queryID, reason string) (string, error) {
	q, err := readQuery(ctx, queryID)
	if err != nil {
		return "", err
	}
	// Only the approval that meets the rule reads the dataset, the budget and the live
	// index; the others read and write the query alone.
	read := func() (ledger.ApprovalInputs, error) {
		var in ledger.ApprovalInputs
		keys := []string{ledger.DatasetKey(q.DatasetID), ledger.BudgetKey(q.DatasetID)}
		if q.Period != "" {
			keys = append(keys, ledger.LiveKey(q.DatasetID, q.Period))
		}
		if err := readAhead(ctx, keys...); err != nil {
			return in, err
		}
		var err error
		if in.Dataset, err = datasets.get(ctx, ledger.DatasetKey(q.DatasetID), q.DatasetID); err != nil {
			return in, err
		}
		if in.Budget, err = readBudget(ctx, q.DatasetID); err != nil {
			return in, err
		}
		in.Live, err = liveIndex(ctx, q.DatasetID, q.Period)
		return in, err
	}
	q, budget, job, err := ledger.ApplyApproval(ctx.consortium, q, ctx.caller.MSPID, reason, ctx.txID, ctx.at, read)
	if err != nil {
		return "", err
	}
	var ws []write
	if budget != nil {
		ws = append(ws, write{ledger.BudgetKey(budget.DatasetID), *budget})
	}
	if job != nil {
		ws = append(ws, write{ledger.JobKey(job.QueryID), *job})
	}
	return commitQuery(ctx, q, ws...)
}

// RejectQuery records the calling member's veto of a pending query, with a required
// reason, and returns the rejected ledger.Query. Errors: those of ApproveQuery's checks.
// Event: query.rejected.
func (c *statsContract) RejectQuery(ctx *txContext, queryID, reason string) (string, error) {
	q, err := readQuery(ctx, queryID)
	if err != nil {
		return "", err
	}
	q, err = ledger.ApplyRejection(ctx.consortium, q, ctx.caller.MSPID, reason, ctx.txID, ctx.at)
	if err != nil {
		return "", err
	}
	return commitQuery(ctx, q)
}

// CancelQuery lets the requesting analyst withdraw its query, with a required reason, and
// returns the cancelled ledger.Query. An approved or disputed query's epsilon is refunded
// and its job closed; once decryption may have started nothing is refunded and the query
// cannot be cancelled. Errors: NOT_FOUND, FORBIDDEN for anyone but the requester,
// BAD_STATE. Event: query.cancelled.
func (c *statsContract) CancelQuery(ctx *txContext, queryID, reason string) (string, error) {
	q, err := readQuery(ctx, queryID)
	if err != nil {
		return "", err
	}
	budget, err := readBudget(ctx, q.DatasetID)
	if err != nil {
		return "", err
	}
	q, budget, refunded, err := ledger.CancelQuery(q, budget, ctx.caller.MSPID, reason, ctx.at)
	if err != nil {
		return "", err
	}
	var ws []write
	if refunded {
		ws = append(ws, write{ledger.BudgetKey(budget.DatasetID), budget})
	}
	var job ledger.Job
	found, err := getJSON(ctx, ledger.JobKey(q.ID), &job)
	if err != nil {
		return "", err
	}
	if found {
		ws = append(ws, write{ledger.JobKey(q.ID), ledger.CloseJob(job, ctx.at)})
	}
	return commitQuery(ctx, q, ws...)
}

// commitQuery stores q with the other records and emits the query's event.
func commitQuery(ctx *txContext, q ledger.Query, ws ...write) (string, error) {
	ev := queryEvent(ctx, ledger.RecordQuery, q.ID, q.Status, q)
	return commit(ctx, ev, append([]write{{ledger.QueryKey(q.ID), q}}, ws...)...)
}

// queryEvent returns the event of the current transaction on a record of query q (the
// query itself, its job, a result, a share or its release), naming q, its dataset and its
// status after the transaction, with the record's digests.
func queryEvent(ctx *txContext, record, id string, status ledger.Status, q ledger.Query, digests ...string) ledger.Event {
	ev := ctx.event(record, id, status)
	ev.DatasetID, ev.QueryID, ev.QueryStatus = q.DatasetID, q.ID, q.Status
	ev.Digests = digests
	return ev
}

// readQuery reads a query; NOT_FOUND when it does not exist.
func readQuery(ctx *txContext, id string) (ledger.Query, error) {
	var q ledger.Query
	err := mustGetJSON(ctx, ledger.QueryKey(id), "query", id, &q)
	return q, err
}

// readBudget reads a dataset's budget; NOT_FOUND when it does not exist.
func readBudget(ctx *txContext, datasetID string) (ledger.Budget, error) {
	var b ledger.Budget
	err := mustGetJSON(ctx, ledger.BudgetKey(datasetID), "budget of dataset", datasetID, &b)
	return b, err
}

// periodAttrs are the leading attributes of the places of a dataset's submissions in
// their lists (composite keys under "submission" and "live"): of one period or, when
// period is empty, of every period.
func periodAttrs(datasetID, period string) []string {
	if period == "" {
		return []string{datasetID}
	}
	return []string{datasetID, period}
}
