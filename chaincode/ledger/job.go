package ledger

import (
	"time"
)

// Lease is a worker's claim on a job. ExpiresAt, computed from the transaction time, is a
// liveness hint only: after it another worker may take the job over, but until then
// nothing else depends on it, and the holder may still post its result while nobody has
// taken over.
type Lease struct {
	WorkerMSPID string    `json:"workerMSPID"`
	WorkerID    string    `json:"workerID"`
	ClaimedAt   time.Time `json:"claimedAt"`
	ExpiresAt   time.Time `json:"expiresAt"`
	TxID        string    `json:"txID"`
}

// Job is the computation of an approved query. Status is "open" (no live lease), "leased"
// or "done" (the required results are in, or they disagreed). Workers compute one at a
// time; after a result the job opens again for a worker of another organisation until
// RequiredResults results are in. Claims counts the leases ever granted.
type Job struct {
	QueryID         string    `json:"queryID"`
	Status          Status    `json:"status"`
	Lease           *Lease    `json:"lease,omitempty"`
	Claims          int       `json:"claims"`
	RequiredResults int       `json:"requiredResults"`
	ResultOrgs      []string  `json:"resultOrgs"`
	OutputDigest    string    `json:"outputDigest,omitempty"`
	UpdatedAt       time.Time `json:"updatedAt"`
}

// NewJob returns the open job of the just-approved query q.
func NewJob(q Query, at time.Time) Job {
	return Job{QueryID: q.ID, Status: StatusOpen, RequiredResults: max(q.RequiredResults, 1), ResultOrgs: []string{}, UpdatedAt: at}
}

// ValidateLeaseSeconds checks a lease duration: 1 to MaxLeaseSeconds. It returns an
// INVALID *Error.
func ValidateLeaseSeconds(s int) error {
	if s < 1 || s > MaxLeaseSeconds {
		return invalid("lease must be between 1 and %d seconds, not %d", MaxLeaseSeconds, s)
	}
	return nil
}

// leaseLive reports whether l is held at time at.
func leaseLive(l *Lease, at time.Time) bool { return l != nil && at.Before(l.ExpiresAt) }

// holds reports whether the worker identity (mspID, id) holds l.
func holds(l *Lease, mspID, id string) bool {
	return l != nil && l.WorkerMSPID == mspID && l.WorkerID == id
}

// ClaimJob grants worker (mspID, id) a lease of leaseSeconds on the job of approved query
// q: the job must be open, or its lease expired, or already held by the same worker
// (then the claim renews it). It returns BAD_STATE when the query is not approved or the
// job is done, CONFLICT when another worker's lease is live or the worker's organisation
// has already posted a result, FORBIDDEN for a caller without the worker role.
func ClaimJob(c Consortium, q Query, job Job, mspID, id string, leaseSeconds int, txID string, at time.Time) (Job, error) {
	if err := ValidateLeaseSeconds(leaseSeconds); err != nil {
		return job, err
	}
	if !c.HasRole(mspID, RoleWorker) {
		return job, forbidden("only a worker may claim a job; %s is not one", mspID)
	}
	if q.Status != StatusApproved {
		return job, badState("%s; only approved queries have jobs to claim", QueryProgress(q))
	}
	if job.Status == StatusDone {
		return job, badState("the job of query %s is done", q.ID)
	}
	if contains(job.ResultOrgs, mspID) {
		return job, conflict("%s has already posted a result for query %s; a worker of another organisation must compute the next", mspID, q.ID)
	}
	if leaseLive(job.Lease, at) && !holds(job.Lease, mspID, id) {
		return job, conflict("the job of query %s is leased by a worker of %s until %s", q.ID, job.Lease.WorkerMSPID, job.Lease.ExpiresAt.UTC().Format(time.RFC3339))
	}
	job.Lease = &Lease{WorkerMSPID: mspID, WorkerID: id, ClaimedAt: at, ExpiresAt: at.Add(time.Duration(leaseSeconds) * time.Second), TxID: txID}
	job.Claims++
	job.Status = StatusLeased
	job.UpdatedAt = at
	return job, nil
}

// RenewLease extends the lease held by worker (mspID, id) to leaseSeconds from now. An
// expired lease may be renewed while nobody has taken it over. It returns FORBIDDEN when
// the caller does not hold the lease and BAD_STATE when the job is not leased.
func RenewLease(q Query, job Job, mspID, id string, leaseSeconds int, at time.Time) (Job, error) {
	if err := ValidateLeaseSeconds(leaseSeconds); err != nil {
		return job, err
	}
	if job.Status != StatusLeased || job.Lease == nil {
		return job, badState("the job of query %s is %s, not leased", q.ID, job.Status)
	}
	if !holds(job.Lease, mspID, id) {
		return job, forbidden("the job of query %s is leased by another worker (of %s)", q.ID, job.Lease.WorkerMSPID)
	}
	if q.Status != StatusApproved {
		return job, badState("%s; the lease cannot be renewed", QueryProgress(q))
	}
	l := *job.Lease
	l.ExpiresAt = at.Add(time.Duration(leaseSeconds) * time.Second)
	job.Lease = &l
	job.UpdatedAt = at
	return job, nil
}

// CloseJob marks the job of a cancelled query done and drops its lease.
func CloseJob(job Job, at time.Time) Job {
	job.Status = StatusDone
	job.Lease = nil
	job.UpdatedAt = at
	return job
}
