// Package ledgerapi is the typed client of the statledger contract: one method per
// transaction, taking and returning the record types of package ledger, so that no
// off-chain program spells a transaction name or encodes an argument by hand.
//
// Methods return the errors of package fabric: a chaincode error wraps a *ledger.Error,
// so errors.Is(err, ledger.ErrBudgetExceeded) works, and a result that does not decode
// is an error naming the transaction. An API is safe for concurrent use, as its
// fabric.Client is.
package ledgerapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/statledger/statledger/chaincode/ledger"
)

// Caller is what the API needs of a ledger connection; *fabric.Client implements it.
type Caller interface {
	Submit(ctx context.Context, fn string, args ...string) ([]byte, error)
	Evaluate(ctx context.Context, fn string, args ...string) ([]byte, error)
}

// API calls the statledger contract's transactions through a Caller.
type API struct {
	c Caller
}

// New returns the API over c.
func New(c Caller) *API { return &API{c: c} }

// submit runs a state-changing transaction with a JSON argument and decodes its result.
func submit[T any](ctx context.Context, a *API, fn string, args ...string) (T, error) {
	var out T
	raw, err := a.c.Submit(ctx, fn, args...)
	if err != nil {
		return out, err
	}
	return out, decode(fn, raw, &out)
}

func evaluate[T any](ctx context.Context, a *API, fn string, args ...string) (T, error) {
	var out T
	raw, err := a.c.Evaluate(ctx, fn, args...)
	if err != nil {
		return out, err
	}
	return out, decode(fn, raw, &out)
}

func decode(fn string, raw []byte, out any) error {
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decode the result of %s: %w", fn, err)
	}
	return nil
}

func encode(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode argument: %w", err)
	}
	return string(b), nil
}

// submitJSON encodes in as the transaction's one argument.
func submitJSON[T any](ctx context.Context, a *API, fn string, in any) (T, error) {
	arg, err := encode(in)
	if err != nil {
		var zero T
		return zero, err
	}
	return submit[T](ctx, a, fn, arg)
}

// RecordCollectiveKey records the outcome of a key ceremony (key holders only).
func (a *API) RecordCollectiveKey(ctx context.Context, in ledger.CollectiveKeyInput) (ledger.CollectiveKey, error) {
	return submitJSON[ledger.CollectiveKey](ctx, a, "RecordCollectiveKey", in)
}

// RegisterDataset registers a dataset with its schema and policy (analysts only).
func (a *API) RegisterDataset(ctx context.Context, in ledger.DatasetInput) (ledger.Dataset, error) {
	return submitJSON[ledger.Dataset](ctx, a, "RegisterDataset", in)
}

// ApproveDataset records a member's approval of a dataset that requires one.
func (a *API) ApproveDataset(ctx context.Context, datasetID, reason string) (ledger.Dataset, error) {
	return submit[ledger.Dataset](ctx, a, "ApproveDataset", datasetID, reason)
}

// SubmitData registers a provider's encrypted submission (providers only).
func (a *API) SubmitData(ctx context.Context, in ledger.SubmissionInput) (ledger.Submission, error) {
	return submitJSON[ledger.Submission](ctx, a, "SubmitData", in)
}

// RequestQuery requests a statistic (analysts only). A request resent with the same
// idempotency key returns the query the first one created.
func (a *API) RequestQuery(ctx context.Context, in ledger.QueryInput) (ledger.Query, error) {
	return submitJSON[ledger.Query](ctx, a, "RequestQuery", in)
}

// ApproveQuery records a member's approval of a pending query.
func (a *API) ApproveQuery(ctx context.Context, queryID, reason string) (ledger.Query, error) {
	return submit[ledger.Query](ctx, a, "ApproveQuery", queryID, reason)
}

// RejectQuery records a member's veto of a pending query.
func (a *API) RejectQuery(ctx context.Context, queryID, reason string) (ledger.Query, error) {
	return submit[ledger.Query](ctx, a, "RejectQuery", queryID, reason)
}

// CancelQuery cancels the caller's own query before decryption starts.
func (a *API) CancelQuery(ctx context.Context, queryID, reason string) (ledger.Query, error) {
	return submit[ledger.Query](ctx, a, "CancelQuery", queryID, reason)
}

// ClaimJob claims an approved query's computation for leaseSeconds (workers only).
func (a *API) ClaimJob(ctx context.Context, queryID string, leaseSeconds int) (ledger.Job, error) {
	return submit[ledger.Job](ctx, a, "ClaimJob", queryID, strconv.Itoa(leaseSeconds))
}

// RenewLease extends the caller's claim on a job.
func (a *API) RenewLease(ctx context.Context, queryID string, leaseSeconds int) (ledger.Job, error) {
	return submit[ledger.Job](ctx, a, "RenewLease", queryID, strconv.Itoa(leaseSeconds))
}

// PostResult posts the digests of a computation the caller's claim covers.
func (a *API) PostResult(ctx context.Context, in ledger.ResultInput) (ledger.Result, error) {
	return submitJSON[ledger.Result](ctx, a, "PostResult", in)
}

// PostDecryptionShare records a key holder's decryption share of a query's result.
func (a *API) PostDecryptionShare(ctx context.Context, in ledger.ShareInput) (ledger.DecryptionShare, error) {
	return submitJSON[ledger.DecryptionShare](ctx, a, "PostDecryptionShare", in)
}

// RecordRelease records the published table of a query.
func (a *API) RecordRelease(ctx context.Context, in ledger.ReleaseInput) (ledger.Release, error) {
	return submitJSON[ledger.Release](ctx, a, "RecordRelease", in)
}

// GetCaller returns the caller's organisation and roles as the contract sees them.
func (a *API) GetCaller(ctx context.Context) (ledger.Caller, error) {
	return evaluate[ledger.Caller](ctx, a, "GetCaller")
}

// GetConsortium returns the consortium record.
func (a *API) GetConsortium(ctx context.Context) (ledger.Consortium, error) {
	return evaluate[ledger.Consortium](ctx, a, "GetConsortium")
}

// GetCollectiveKey returns a collective key record.
func (a *API) GetCollectiveKey(ctx context.Context, keyID string) (ledger.CollectiveKey, error) {
	return evaluate[ledger.CollectiveKey](ctx, a, "GetCollectiveKey", keyID)
}

// GetDataset returns a dataset.
func (a *API) GetDataset(ctx context.Context, datasetID string) (ledger.Dataset, error) {
	return evaluate[ledger.Dataset](ctx, a, "GetDataset", datasetID)
}

// ListDatasets returns one page of datasets; pass the returned bookmark for the next.
func (a *API) ListDatasets(ctx context.Context, bookmark string) (ledger.Page[ledger.Dataset], error) {
	return evaluate[ledger.Page[ledger.Dataset]](ctx, a, "ListDatasets", bookmark)
}

// GetBudget returns a dataset's privacy budget.
func (a *API) GetBudget(ctx context.Context, datasetID string) (ledger.Budget, error) {
	return evaluate[ledger.Budget](ctx, a, "GetBudget", datasetID)
}

// GetSubmission returns a submission.
func (a *API) GetSubmission(ctx context.Context, submissionID string) (ledger.Submission, error) {
	return evaluate[ledger.Submission](ctx, a, "GetSubmission", submissionID)
}

// ListSubmissions returns one page of a dataset's submissions (all periods when period
// is empty), superseded ones included.
func (a *API) ListSubmissions(ctx context.Context, datasetID, period, bookmark string) (ledger.Page[ledger.Submission], error) {
	return evaluate[ledger.Page[ledger.Submission]](ctx, a, "ListSubmissions", datasetID, period, bookmark)
}

// GetQuery returns a query with its approvals and frozen inputs.
func (a *API) GetQuery(ctx context.Context, queryID string) (ledger.Query, error) {
	return evaluate[ledger.Query](ctx, a, "GetQuery", queryID)
}

// ListQueries returns one page of a dataset's queries.
func (a *API) ListQueries(ctx context.Context, datasetID, bookmark string) (ledger.Page[ledger.Query], error) {
	return evaluate[ledger.Page[ledger.Query]](ctx, a, "ListQueries", datasetID, bookmark)
}

// GetJob returns a query's job and its lease.
func (a *API) GetJob(ctx context.Context, queryID string) (ledger.Job, error) {
	return evaluate[ledger.Job](ctx, a, "GetJob", queryID)
}

// ListResults returns the worker results posted for a query.
func (a *API) ListResults(ctx context.Context, queryID string) ([]ledger.Result, error) {
	return evaluate[[]ledger.Result](ctx, a, "ListResults", queryID)
}

// ListDecryptionShares returns the decryption shares posted for a query.
func (a *API) ListDecryptionShares(ctx context.Context, queryID string) ([]ledger.DecryptionShare, error) {
	return evaluate[[]ledger.DecryptionShare](ctx, a, "ListDecryptionShares", queryID)
}

// GetRelease returns a query's release.
func (a *API) GetRelease(ctx context.Context, queryID string) (ledger.Release, error) {
	return evaluate[ledger.Release](ctx, a, "GetRelease", queryID)
}

// ListLiveSubmissions returns one page of a dataset's live submissions (all periods when
// period is empty).
func (a *API) ListLiveSubmissions(ctx context.Context, datasetID, period, bookmark string) (ledger.Page[ledger.Submission], error) {
	return evaluate[ledger.Page[ledger.Submission]](ctx, a, "ListLiveSubmissions", datasetID, period, bookmark)
}

// ListApprovals returns the members' decisions on a query, by MSP ID.
func (a *API) ListApprovals(ctx context.Context, queryID string) ([]ledger.Approval, error) {
	return evaluate[[]ledger.Approval](ctx, a, "ListApprovals", queryID)
}

// GetResult returns the result a worker organisation posted for a query.
func (a *API) GetResult(ctx context.Context, queryID, workerMSPID string) (ledger.Result, error) {
	return evaluate[ledger.Result](ctx, a, "GetResult", queryID, workerMSPID)
}

// GetDecryptionShare returns the decryption share a key holder posted for a query.
func (a *API) GetDecryptionShare(ctx context.Context, queryID, keyHolderMSPID string) (ledger.DecryptionShare, error) {
	return evaluate[ledger.DecryptionShare](ctx, a, "GetDecryptionShare", queryID, keyHolderMSPID)
}

// ListReleases returns one page of releases, by query ID.
func (a *API) ListReleases(ctx context.Context, bookmark string) (ledger.Page[ledger.Release], error) {
	return evaluate[ledger.Page[ledger.Release]](ctx, a, "ListReleases", bookmark)
}

// GetQueryHistory returns every version of a query record, in the order of the peer's
// history database (auditors and members only).
func (a *API) GetQueryHistory(ctx context.Context, queryID string) ([]ledger.HistoryEntry, error) {
	return evaluate[[]ledger.HistoryEntry](ctx, a, "GetQueryHistory", queryID)
}

// GetDatasetHistory returns every version of a dataset record and of its budget
// (auditors and members only).
func (a *API) GetDatasetHistory(ctx context.Context, datasetID string) (ledger.DatasetHistory, error) {
	return evaluate[ledger.DatasetHistory](ctx, a, "GetDatasetHistory", datasetID)
}
