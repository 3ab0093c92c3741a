package contract

import (
	"github.com/statledger/statledger/chaincode/ledger"
)

// RegisterDataset registers a dataset (a ledger.DatasetInput as JSON: schema, policy,
// collective key and parameter set) with its privacy budget, and returns the
// ledger.Dataset: active at once, or pending when it requires the members' approval.
// Errors: CONFLICT for a dataset ID already used, NOT_FOUND for an unknown key, INVALID
// (a bad schema or policy names the field). Event: dataset.active or dataset.pending.
func (c *statsContract) RegisterDataset(ctx *txContext, dataset string) (string, error) {
	in, err := ledger.DecodeDatasetInput(dataset)
	if err != nil {
		return "", err
	}
	taken, err := exists(ctx, ledger.DatasetKey(in.ID))
	if err != nil {
		return "", err
	}
	var key ledger.CollectiveKey
	found, err := getJSON(ctx, ledger.CollectiveKeyKey(in.KeyID), &key)
	if err != nil {
		return "", err
	}
	keyRef := &key
	if !found {
		keyRef = nil
	}
	ds, budget, err := ledger.NewDataset(in, taken, keyRef, ctx.caller.MSPID, ctx.txID, ctx.at)
	if err != nil {
		return "", err
	}
	ev := ctx.event(ledger.RecordDataset, ds.ID, ds.Status)
	ev.DatasetID = ds.ID
	return commit(ctx, ev, write{ledger.DatasetKey(ds.ID), ds}, write{ledger.BudgetKey(ds.ID), budget})
}

// ApproveDataset adds the calling member's approval to a pending dataset, activating it
// when the policy's approval rule is met, and returns the ledger.Dataset. Errors:
// NOT_FOUND, FORBIDDEN (also for the registrant when the rule excludes it), CONFLICT for a
// second approval, BAD_STATE for a dataset that is not pending. Event: dataset.pending or
// dataset.active.
func (c *statsContract) ApproveDataset(ctx *txContext, datasetID, reason string) (string, error) {
	ds, err := datasets.get(ctx, ledger.DatasetKey(datasetID), datasetID)
	if err != nil {
		return "", err
	}
	ds, err = ledger.ApproveDataset(ctx.consortium, ds, ctx.caller.MSPID, reason, ctx.txID, ctx.at)
	if err != nil {
		return "", err
	}
	ev := ctx.event(ledger.RecordDataset, ds.ID, ds.Status)
	ev.DatasetID = ds.ID
	return commit(ctx, ev, write{ledger.DatasetKey(ds.ID), ds})
}

// SubmitData registers a provider's encrypted submission for a dataset period (a
// ledger.SubmissionInput as JSON: ciphertext digests, sizes and URIs) and returns the
// ledger.Submission. It becomes the provider's live submission for the period and
// supersedes the previous one, which stays on the ledger. Errors: NOT_FOUND for an unknown
// dataset, BAD_STATE for a dataset that is not active, CONFLICT for a ciphertext digest
// that any submission already used, INVALID. Event: submission.live, with the ciphertext
// digests and the superseded submission's ID.
func (c *statsContract) SubmitData(ctx *txContext, submission string) (string, error) {
	in, err := ledger.DecodeSubmissionInput(submission)
	if err != nil {
		return "", err
	}
	ds, err := datasets.get(ctx, ledger.DatasetKey(in.DatasetID), in.DatasetID)
	if err != nil {
		return "", err
	}
	live, err := periodIndex(ctx, in.DatasetID, in.Period)
	if err != nil {
		return "", err
	}
	prev, err := liveSubmission(ctx, live, ctx.caller.MSPID)
	if err != nil {
		return "", err
	}
	used := make(map[string]string, len(in.Ciphertexts))
	for _, ct := range in.Ciphertexts {
		var by string
		if _, err := getJSON(ctx, ledger.DigestKey(ct.Digest), &by); err != nil {
			return "", err
		}
		used[ct.Digest] = by
	}
	usedBy := func(digest string) string { return used[digest] }
	id := ledger.SubmissionID(ctx.txID)
	s, old, err := ledger.NewSubmission(ctx.consortium, ds, in, prev, usedBy, ctx.caller.MSPID, id, ctx.txID, ctx.at)
	if err != nil {
		return "", err
	}
	ws := []write{
		{ledger.SubmissionKey(s.ID), s},
		{ledger.LiveKey(s.DatasetID, s.Period), live.With(s.Live())},
	}
	if old != nil {
		ws = append(ws, write{ledger.SubmissionKey(old.ID), *old})
	}
	for _, d := range s.Digests() {
		ws = append(ws, write{ledger.DigestKey(d), s.ID})
	}
	ev := ctx.event(ledger.RecordSubmission, s.ID, s.Status)
	ev.DatasetID = s.DatasetID
	ev.Supersedes = s.Supersedes
	ev.Digests = s.Digests()
	return commit(ctx, ev, ws...)
}

// periodIndex reads a dataset period's live index; an empty one when no provider has
// submitted for the period.
func periodIndex(ctx *txContext, datasetID, period string) (ledger.LiveIndex, error) {
	x := ledger.LiveIndex{DatasetID: datasetID, Period: period, Entries: []ledger.LiveSubmission{}}
	_, err := getJSON(ctx, ledger.LiveKey(datasetID, period), &x)
	return x, err
}

// liveSubmission returns the provider's live submission in a period's live index, or nil.
func liveSubmission(ctx *txContext, live ledger.LiveIndex, provider string) (*ledger.Submission, error) {
	entry, found := live.Of(provider)
	if !found {
		return nil, nil
	}
	var s ledger.Submission
	list := "the live index of dataset " + live.DatasetID + " period " + live.Period
	if err := mustRecord(ctx, ledger.SubmissionKey(entry.SubmissionID), list, entry.SubmissionID, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// liveIndex returns the live-index entries of a dataset, of one period (one read) or,
// when period is empty, of every period (a range read), by period, then provider.
func liveIndex(ctx *txContext, datasetID, period string) ([]ledger.LiveSubmission, error) {
	if period != "" {
		x, err := periodIndex(ctx, datasetID, period)
		return x.Entries, err
	}
	var periods []ledger.LiveIndex
	if err := scan(ctx, ledger.ObjLive, []string{datasetID}, decodeInto(&periods)); err != nil {
		return nil, err
	}
	out := []ledger.LiveSubmission{}
	for _, x := range periods {
		if x.Entries == nil {
			return nil, ledger.Errorf(ledger.CodeInternal, "the live index of dataset %s holds a record that is not a period's index; it was written by an older contract", datasetID)
		}
		out = append(out, x.Entries...)
	}
	return out, nil
}
