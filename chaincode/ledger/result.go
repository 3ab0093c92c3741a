package ledger

import (
	"time"
)

// Result is a worker organisation's computation of a query: the input digests it read
// (equal to the query's frozen set) and the digest and URI of the output ciphertext. Its
// status is always "recorded"; one per worker organisation per query.
type Result struct {
	QueryID      string    `json:"queryID"`
	WorkerMSPID  string    `json:"workerMSPID"`
	WorkerID     string    `json:"workerID"`
	InputDigests []string  `json:"inputDigests"`
	OutputDigest string    `json:"outputDigest"`
	OutputURI    string    `json:"outputURI"`
	OutputSize   int64     `json:"outputSize"`
	Status       Status    `json:"status"`
	TxID         string    `json:"txID"`
	PostedAt     time.Time `json:"postedAt"`
}

// ResultInput is the argument of PostResult.
type ResultInput struct {
	QueryID      string   `json:"queryID"`
	InputDigests []string `json:"inputDigests"`
	OutputDigest string   `json:"outputDigest"`
	OutputURI    string   `json:"outputURI"`
	OutputSize   int64    `json:"outputSize"`
}

// Validate checks the input on its own. It returns an INVALID *Error.
func (in ResultInput) Validate() error {
	if err := ValidateID("query ID", in.QueryID); err != nil {
		return err
	}
	if len(in.InputDigests) == 0 || len(in.InputDigests) > MaxFrozenSubmissions*MaxCiphertexts {
		return invalid("a result needs 1 to %d input digests, not %d", MaxFrozenSubmissions*MaxCiphertexts, len(in.InputDigests))
	}
	for _, d := range in.InputDigests {
		if err := ValidateDigest("input digest", d); err != nil {
			return err
		}
	}
	if err := ValidateDigest("output digest", in.OutputDigest); err != nil {
		return err
	}
	if err := ValidateURI("output URI", in.OutputURI); err != nil {
		return err
	}
	if in.OutputSize < 1 || in.OutputSize > MaxCiphertextSize {
		return invalid("output size must be between 1 and %d bytes", int64(MaxCiphertextSize))
	}
	return nil
}

// ApplyResult records the result of the worker (mspID, id) holding the job's lease. The
// input digests must equal the query's frozen set (in any order). The first result sets
// the expected output digest; a different digest later marks the query disputed and the
// job done; when RequiredResults identical results from distinct organisations are in,
// the query becomes decrypting and the job done; otherwise the job opens again. It
// returns FORBIDDEN when the caller does not hold the lease, BAD_STATE when the query is
// not approved and INVALID when the input digests differ from the frozen set.
func ApplyResult(q Query, job Job, in ResultInput, mspID, id, txID string, at time.Time) (Query, Job, Result, error) {
	if err := in.Validate(); err != nil {
		return q, job, Result{}, err
	}
	if q.Status != StatusApproved {
		return q, job, Result{}, badState("%s; it takes no results", QueryProgress(q))
	}
	if !holds(job.Lease, mspID, id) {
		return q, job, Result{}, forbidden("only the worker holding the lease on query %s may post its result; claim the job first", q.ID)
	}
	inputs, unique := sortedUnique(in.InputDigests)
	if !unique || !equalStrings(inputs, q.InputDigests) {
		return q, job, Result{}, invalid("the input digests differ from the %d frozen ciphertext digests of query %s", len(q.InputDigests), q.ID)
	}
	r := Result{
		QueryID:      q.ID,
		WorkerMSPID:  mspID,
		WorkerID:     id,
		InputDigests: inputs,
		OutputDigest: in.OutputDigest,
		OutputURI:    in.OutputURI,
		OutputSize:   in.OutputSize,
		Status:       StatusRecorded,
		TxID:         txID,
		PostedAt:     at,
	}
	job.ResultOrgs = insertSorted(job.ResultOrgs, mspID)
	job.Lease = nil
	job.UpdatedAt = at
	q.UpdatedAt = at
	switch {
	case job.OutputDigest != "" && job.OutputDigest != in.OutputDigest:
		job.Status = StatusDone
		q.Status = StatusDisputed
		q.StatusReason = "worker results disagree"
	case len(job.ResultOrgs) >= job.RequiredResults:
		job.OutputDigest = in.OutputDigest
		job.Status = StatusDone
		q.Status = StatusDecrypting
		q.OutputDigest = in.OutputDigest
	default:
		job.OutputDigest = in.OutputDigest
		job.Status = StatusOpen
	}
	return q, job, r, nil
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
