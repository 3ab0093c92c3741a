package contract

import (
	"strconv"

	"github.com/statledger/statledger/chaincode/ledger"
)

// ClaimJob grants the calling worker a lease of leaseSeconds (a decimal number) on the job
// of an approved query and returns the ledger.Job. A job whose lease expired may be taken
// over; the transaction time decides expiry and is only a liveness hint. Errors:
// NOT_FOUND, BAD_STATE when the query is not approved or the job is done, CONFLICT while
// another worker's lease is live or when the caller's organisation already posted a
// result, INVALID. Event: job.leased.
func (c *statsContract) ClaimJob(ctx *txContext, queryID, leaseSeconds string) (string, error) {
	secs, err := parseLease(leaseSeconds)
	if err != nil {
		return "", err
	}
	q, job, err := readJob(ctx, queryID)
	if err != nil {
		return "", err
	}
	job, err = ledger.ClaimJob(ctx.consortium, q, job, ctx.caller.MSPID, ctx.caller.ID, secs, ctx.txID, ctx.at)
	if err != nil {
		return "", err
	}
	return commitJob(ctx, q, job)
}

// RenewLease extends the calling worker's lease on a query's job to leaseSeconds from the
// transaction time and returns the ledger.Job. Errors: NOT_FOUND, FORBIDDEN when the
// caller does not hold the lease, BAD_STATE when the job is not leased, INVALID. Event:
// job.leased.
func (c *statsContract) RenewLease(ctx *txContext, queryID, leaseSeconds string) (string, error) {
	secs, err := parseLease(leaseSeconds)
	if err != nil {
		return "", err
	}
	q, job, err := readJob(ctx, queryID)
	if err != nil {
		return "", err
	}
	job, err = ledger.RenewLease(q, job, ctx.caller.MSPID, ctx.caller.ID, secs, ctx.at)
	if err != nil {
		return "", err
	}
	return commitJob(ctx, q, job)
}

// commitJob stores a job and emits its event.
func commitJob(ctx *txContext, q ledger.Query, job ledger.Job) (string, error) {
	ev := queryEvent(ctx, ledger.RecordJob, job.QueryID, job.Status, q)
	return commit(ctx, ev, write{ledger.JobKey(job.QueryID), job})
}

// readJob reads a query and its job. A query without a job is BAD_STATE: every approved
// query got its job in the approving transaction.
func readJob(ctx *txContext, queryID string) (ledger.Query, ledger.Job, error) {
	var job ledger.Job
	q, err := readQuery(ctx, queryID)
	if err != nil {
		return q, job, err
	}
	found, err := getJSON(ctx, ledger.JobKey(q.ID), &job)
	if err != nil {
		return q, job, err
	}
	if !found {
		if q.Status == ledger.StatusApproved {
			return q, job, ledger.Errorf(ledger.CodeInternal, "query %s is approved but has no job", q.ID)
		}
		return q, job, ledger.Errorf(ledger.CodeBadState, "%s; it has no job to work on", ledger.QueryProgress(q))
	}
	return q, job, nil
}

// parseLease reads a lease duration in seconds; the gate has checked its range.
func parseLease(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, ledger.Errorf(ledger.CodeInvalid, "leaseSeconds must be a whole number of seconds")
	}
	return n, nil
}

// PostResult records the result of the worker holding the lease on a query's job (a
// ledger.ResultInput as JSON: query ID, input digests equal to the frozen set, output
// digest, URI and size) and returns the ledger.Result. With the policy's number of
// identical results from distinct organisations the query becomes decrypting; a different
// output digest marks it disputed. Errors: NOT_FOUND, FORBIDDEN for a caller without the
// lease, BAD_STATE, INVALID. Event: result.recorded, with the output digest and the
// query's new status.
func (c *statsContract) PostResult(ctx *txContext, result string) (string, error) {
	in, err := ledger.DecodeResultInput(result)
	if err != nil {
		return "", err
	}
	q, job, err := readJob(ctx, in.QueryID)
	if err != nil {
		return "", err
	}
	q, job, r, err := ledger.ApplyResult(q, job, in, ctx.caller.MSPID, ctx.caller.ID, ctx.txID, ctx.at)
	if err != nil {
		return "", err
	}
	ev := queryEvent(ctx, ledger.RecordResult, r.WorkerMSPID, r.Status, q, r.OutputDigest)
	return commit(ctx, ev,
		write{ledger.ResultKey(q.ID, r.WorkerMSPID), r},
		write{ledger.JobKey(q.ID), job},
		write{ledger.QueryKey(q.ID), q})
}

// PostDecryptionShare records the calling key holder's decryption share of a decrypting
// query (a ledger.ShareInput as JSON: query ID, share digest, URI and size) and returns
// the ledger.DecryptionShare. Only the query's decryptors, fixed when it was requested,
// may post; the query becomes ready when every one of them has. Errors: CONFLICT for a
// second share from the same organisation (threshold protocols are never re-run),
// NOT_FOUND, FORBIDDEN for a caller that is not one of the query's decryptors (the
// message names them), BAD_STATE, INVALID. Event: share.recorded, with the share digest
// and the query's new status.
func (c *statsContract) PostDecryptionShare(ctx *txContext, share string) (string, error) {
	in, err := ledger.DecodeShareInput(share)
	if err != nil {
		return "", err
	}
	q, err := readQuery(ctx, in.QueryID)
	if err != nil {
		return "", err
	}
	posted, err := exists(ctx, ledger.ShareKey(q.ID, ctx.caller.MSPID))
	if err != nil {
		return "", err
	}
	q, s, err := ledger.ApplyShare(q, in, posted, ctx.caller.MSPID, ctx.txID, ctx.at)
	if err != nil {
		return "", err
	}
	ev := queryEvent(ctx, ledger.RecordShare, s.KeyHolder, s.Status, q, s.Digest)
	return commit(ctx, ev, write{ledger.ShareKey(q.ID, s.KeyHolder), s}, write{ledger.QueryKey(q.ID), q})
}

// RecordRelease records the table the requesting analyst released for a ready query (a
// ledger.ReleaseInput as JSON: format, table digest, optional URI, the table itself when
// the dataset's policy makes releases public, suppressed cell indices) and returns the
// ledger.Release. Errors: NOT_FOUND, FORBIDDEN for anyone but the requester, CONFLICT for
// a query already released, BAD_STATE, INVALID. Event: release.recorded, with the table
// digest.
func (c *statsContract) RecordRelease(ctx *txContext, release string) (string, error) {
	in, err := ledger.DecodeReleaseInput(release)
	if err != nil {
		return "", err
	}
	q, ds, err := readQueryAndDataset(ctx, in.QueryID)
	if err != nil {
		return "", err
	}
	q, r, err := ledger.ApplyRelease(q, ds.Policy.PublicReleases, in, ctx.caller.MSPID, ctx.txID, ctx.at)
	if err != nil {
		return "", err
	}
	ev := queryEvent(ctx, ledger.RecordRelease, q.ID, r.Status, q, r.TableDigest)
	return commit(ctx, ev, write{ledger.ReleaseKey(q.ID), r}, write{ledger.QueryKey(q.ID), q})
}

// readQueryAndDataset reads a query and its dataset; NOT_FOUND when either is missing.
func readQueryAndDataset(ctx *txContext, queryID string) (ledger.Query, ledger.Dataset, error) {
	q, err := readQuery(ctx, queryID)
	if err != nil {
		return q, ledger.Dataset{}, err
	}
	ds, err := datasets.get(ctx, ledger.DatasetKey(q.DatasetID), q.DatasetID)
	return q, ds, err
}
