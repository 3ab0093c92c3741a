package contract

import (
	"encoding/hex"
	"sort"
	"strings"

	"github.com/statledger/statledger/chaincode/ledger"
)

// The read-only transactions. Each returns JSON: one record, an array, or one page
// (ledger.Page) of at most ledger.ListPageSize records with the bookmark of the next page
// ("" after the last). A Get of a record that does not exist is NOT_FOUND. Every role may
// read; only auditors and members read histories.

// get returns the record at key as JSON, or NOT_FOUND naming kind and id.
func get[T any](ctx *txContext, key, kind, id string) (string, error) {
	var v T
	if err := mustGetJSON(ctx, key, kind, id, &v); err != nil {
		return "", err
	}
	return respond(v)
}

// GetCaller returns the caller as the chaincode sees it (a ledger.Caller: MSP ID, client
// identity and consortium roles).
func (c *statsContract) GetCaller(ctx *txContext) (string, error) {
	return respond(ctx.caller)
}

// GetConsortium returns the ledger.Consortium.
func (c *statsContract) GetConsortium(ctx *txContext) (string, error) {
	return respond(ctx.consortium)
}

// GetConsortiumChange returns a ledger.ConsortiumChange.
func (c *statsContract) GetConsortiumChange(ctx *txContext, changeID string) (string, error) {
	return get[ledger.ConsortiumChange](ctx, ledger.ConsortiumChangeKey(changeID), "consortium change", changeID)
}

// ListConsortiumChanges returns a page of ledger.ConsortiumChange, by ID.
func (c *statsContract) ListConsortiumChanges(ctx *txContext, bookmark string) (string, error) {
	return listPage[ledger.ConsortiumChange](ctx, ledger.ObjConsortiumChange, nil, bookmark, nil)
}

// GetCollectiveKey returns a ledger.CollectiveKey.
func (c *statsContract) GetCollectiveKey(ctx *txContext, keyID string) (string, error) {
	return get[ledger.CollectiveKey](ctx, ledger.CollectiveKeyKey(keyID), "collective key", keyID)
}

// ListCollectiveKeys returns a page of ledger.CollectiveKey, by ID.
func (c *statsContract) ListCollectiveKeys(ctx *txContext, bookmark string) (string, error) {
	return listPage[ledger.CollectiveKey](ctx, ledger.ObjCollectiveKey, nil, bookmark, nil)
}

// GetDataset returns a ledger.Dataset.
func (c *statsContract) GetDataset(ctx *txContext, datasetID string) (string, error) {
	return get[ledger.Dataset](ctx, ledger.DatasetKey(datasetID), "dataset", datasetID)
}

// ListDatasets returns a page of ledger.Dataset, by ID.
func (c *statsContract) ListDatasets(ctx *txContext, bookmark string) (string, error) {
	return listPage[ledger.Dataset](ctx, ledger.ObjDataset, nil, bookmark, nil)
}

// GetBudget returns a dataset's ledger.Budget.
func (c *statsContract) GetBudget(ctx *txContext, datasetID string) (string, error) {
	return get[ledger.Budget](ctx, ledger.BudgetKey(datasetID), "budget of dataset", datasetID)
}

// GetSubmission returns a ledger.Submission.
func (c *statsContract) GetSubmission(ctx *txContext, submissionID string) (string, error) {
	return get[ledger.Submission](ctx, ledger.SubmissionKey(submissionID), "submission", submissionID)
}

// ListSubmissions returns a page of the ledger.Submission records of a dataset, live and
// superseded, of one period or, when period is empty, of every period; by period, then ID.
// Every submission is reached from its provider's live one through the Supersedes links,
// so each page reads all of them, and the bookmark names the next page's first record.
func (c *statsContract) ListSubmissions(ctx *txContext, datasetID, period, bookmark string) (string, error) {
	start, err := listStart(ledger.CompositeKey(ledger.ObjSubmission, periodAttrs(datasetID, period)...), bookmark)
	if err != nil {
		return "", err
	}
	var all []placed[ledger.Submission]
	live, err := liveIndex(ctx, datasetID, period)
	if err != nil {
		return "", err
	}
	seen := map[string]bool{}
	for _, e := range live {
		for id := e.SubmissionID; id != ""; {
			if seen[id] {
				return "", ledger.Errorf(ledger.CodeInternal, "submission %s is reached twice from the live index of dataset %s", id, datasetID)
			}
			seen[id] = true
			var s ledger.Submission
			if err := mustRecord(ctx, ledger.SubmissionKey(id), "the submission history of dataset "+datasetID, id, &s); err != nil {
				return "", err
			}
			all = append(all, placed[ledger.Submission]{ledger.CompositeKey(ledger.ObjSubmission, s.DatasetID, s.Period, s.ID), s})
			id = s.Supersedes
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].pos < all[j].pos })
	return respond(pageOf(all, start))
}

// ListLiveSubmissions returns a page of the live ledger.Submission records of a dataset,
// of one period or, when period is empty, of every period; by period, then provider.
func (c *statsContract) ListLiveSubmissions(ctx *txContext, datasetID, period, bookmark string) (string, error) {
	start, err := listStart(ledger.CompositeKey(ledger.ObjLive, periodAttrs(datasetID, period)...), bookmark)
	if err != nil {
		return "", err
	}
	live, err := liveIndex(ctx, datasetID, period)
	if err != nil {
		return "", err
	}
	all := make([]placed[ledger.LiveSubmission], len(live))
	for i, e := range live {
		all[i] = placed[ledger.LiveSubmission]{ledger.CompositeKey(ledger.ObjLive, e.DatasetID, e.Period, e.Provider), e}
	}
	entries := pageOf(all, start)
	page := ledger.Page[ledger.Submission]{Items: make([]ledger.Submission, len(entries.Items)), Bookmark: entries.Bookmark}
	for i, e := range entries.Items {
		if err := mustRecord(ctx, ledger.SubmissionKey(e.SubmissionID), "the live index of dataset "+datasetID, e.SubmissionID, &page.Items[i]); err != nil {
			return "", err
		}
	}
	return respond(page)
}

// placed is a list item and its place in the list, a composite key.
type placed[T any] struct {
	pos string
	v   T
}

// listStart returns the place a page starts at, from its bookmark: hex of the place of
// its first item, as the previous page gave it ("" for the first page). A bookmark whose
// place is not under prefix, the list's, is INVALID; lists check it before reading.
func listStart(prefix, bookmark string) (string, error) {
	start, err := hex.DecodeString(bookmark)
	if err != nil || (len(start) > 0 && !strings.HasPrefix(string(start), prefix)) {
		return "", ledger.Errorf(ledger.CodeInvalid, "the bookmark does not belong to this list; pass the one the previous page returned")
	}
	return string(start), nil
}

// pageOf returns the page of items, sorted by place, that starts at place start, with
// the bookmark of the next page.
func pageOf[T any](items []placed[T], start string) ledger.Page[T] {
	from := sort.Search(len(items), func(i int) bool { return items[i].pos >= start })
	page := ledger.Page[T]{Items: []T{}}
	for _, it := range items[from:min(from+ledger.ListPageSize, len(items))] {
		page.Items = append(page.Items, it.v)
	}
	if next := from + ledger.ListPageSize; next < len(items) {
		page.Bookmark = hex.EncodeToString([]byte(items[next].pos))
	}
	return page
}

// GetQuery returns a ledger.Query.
func (c *statsContract) GetQuery(ctx *txContext, queryID string) (string, error) {
	return get[ledger.Query](ctx, ledger.QueryKey(queryID), "query", queryID)
}

// ListQueries returns a page of the ledger.Query records of a dataset, by ID.
func (c *statsContract) ListQueries(ctx *txContext, datasetID, bookmark string) (string, error) {
	return listPage[ledger.Query](ctx, ledger.ObjDatasetQuery, []string{datasetID}, bookmark, &follow{indexedID, ledger.QueryKey})
}

// ListApprovals returns the decisions on a query as an array of ledger.Approval, by MSP
// ID.
func (c *statsContract) ListApprovals(ctx *txContext, queryID string) (string, error) {
	q, err := readQuery(ctx, queryID)
	if err != nil {
		return "", err
	}
	return respond(q.Approvals)
}

// GetJob returns the ledger.Job of an approved query.
func (c *statsContract) GetJob(ctx *txContext, queryID string) (string, error) {
	return get[ledger.Job](ctx, ledger.JobKey(queryID), "job of query", queryID)
}

// GetResult returns the ledger.Result a worker organisation posted for a query.
func (c *statsContract) GetResult(ctx *txContext, queryID, workerMSPID string) (string, error) {
	return get[ledger.Result](ctx, ledger.ResultKey(queryID, workerMSPID), "result of query "+queryID+" from", workerMSPID)
}

// ListResults returns the results of a query as an array of ledger.Result, by worker MSP
// ID.
func (c *statsContract) ListResults(ctx *txContext, queryID string) (string, error) {
	return listAll[ledger.Result](ctx, ledger.ObjResult, queryID)
}

// GetDecryptionShare returns the ledger.DecryptionShare a key holder posted for a query.
func (c *statsContract) GetDecryptionShare(ctx *txContext, queryID, keyHolderMSPID string) (string, error) {
	return get[ledger.DecryptionShare](ctx, ledger.ShareKey(queryID, keyHolderMSPID), "decryption share of query "+queryID+" from", keyHolderMSPID)
}

// ListDecryptionShares returns the decryption shares of a query as an array of
// ledger.DecryptionShare, by key holder MSP ID.
func (c *statsContract) ListDecryptionShares(ctx *txContext, queryID string) (string, error) {
	return listAll[ledger.DecryptionShare](ctx, ledger.ObjShare, queryID)
}

// GetRelease returns the ledger.Release of a query.
func (c *statsContract) GetRelease(ctx *txContext, queryID string) (string, error) {
	return get[ledger.Release](ctx, ledger.ReleaseKey(queryID), "release of query", queryID)
}

// ListReleases returns a page of ledger.Release, by query ID.
func (c *statsContract) ListReleases(ctx *txContext, bookmark string) (string, error) {
	return listPage[ledger.Release](ctx, ledger.ObjRelease, nil, bookmark, nil)
}

// GetQueryHistory returns every version of a query record, as an array of
// ledger.HistoryEntry in the order of the peer's history database. Errors: NOT_FOUND for
// an unknown query.
func (c *statsContract) GetQueryHistory(ctx *txContext, queryID string) (string, error) {
	if _, err := readQuery(ctx, queryID); err != nil {
		return "", err
	}
	h, err := history(ctx, ledger.QueryKey(queryID))
	if err != nil {
		return "", err
	}
	return respond(h)
}

// GetDatasetHistory returns every version of a dataset record and of its budget, as a
// ledger.DatasetHistory. Errors: NOT_FOUND for an unknown dataset.
func (c *statsContract) GetDatasetHistory(ctx *txContext, datasetID string) (string, error) {
	var ds ledger.Dataset
	if err := mustGetJSON(ctx, ledger.DatasetKey(datasetID), "dataset", datasetID, &ds); err != nil {
		return "", err
	}
	var h ledger.DatasetHistory
	var err error
	if h.Dataset, err = history(ctx, ledger.DatasetKey(datasetID)); err != nil {
		return "", err
	}
	if h.Budget, err = history(ctx, ledger.BudgetKey(datasetID)); err != nil {
		return "", err
	}
	return respond(h)
}
