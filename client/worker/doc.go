// Package worker is statledger's computation worker (DESIGN.md step 6): it claims the
// jobs of approved queries on the ledger, evaluates each query on the providers'
// encrypted cubes and posts the digests of the result.
//
// # A job
//
// For one approved query a Worker
//
//  1. reads the job and skips it when it is done, already has a result of the worker's
//     organisation, or is leased by another worker whose lease has not expired;
//  2. reads the query (its frozen input digests) and the dataset (schema, parameter set,
//     collective key), loads the collective rotation keys (Keys) and plans the query
//     (crypto/cube), so that a worker that cannot compute the query never claims it;
//  3. claims the job with a lease (ClaimJob); a CONFLICT means another worker has it,
//     and the job is skipped;
//  4. renews the lease in the background while it works (RenewLease), and abandons the
//     job when the lease is lost to another worker;
//  5. fetches every frozen input by digest from the blob store and evaluates the plan
//     (crypto/eval), which checks every input against its digest before any of it is
//     used;
//  6. uploads the result blob and posts its digest, URI and size with the input digests
//     (PostResult).
//
// Steps 2 and 5 are package compute's, the same code the regulator's audit re-executes
// a query with.
//
// An error or a panic in a job fails that job only: the reason is logged, nothing is
// posted, the lease is left to expire (the contract has no release), so that another
// worker may take the job over, and this worker tries it again after a backoff
// (Config.RetryAfter, doubling up to MaxRetryAfter). When the ledger could not be read
// or the claim not be made, the job is tried again at the next scan or event.
//
// # Finding jobs
//
// Run is the daemon: it listens to the chaincode's events (query.approved, job.open and
// result.recorded while the query is still approved, which reopens the job for another
// organisation), resuming after a restart from a checkpoint file, and scans the
// datasets' approved queries every Config.PollEvery, so that nothing an event missed is
// lost. No event announces that a lease expired: a job seen leased by another worker is
// looked at again a second after its lease expires, and taken over if nobody renewed
// it. Once makes one scan, processes every job it can claim and returns, for scripts. Any number of workers may run at once, here or elsewhere:
// the ledger orders their claims. Each worker process must act as its own identity
// (certificate): the contract lets a lease's holder claim its job again, so two
// processes sharing a certificate would not exclude each other.
//
// # Operation
//
// Logs are structured (log/slog) and carry query IDs, dataset IDs and digests, never
// data. With Config.ListenAddr set, Run serves /healthz and /metrics (Prometheus: jobs
// claimed, succeeded and failed by stage, claim conflicts, job duration, bytes of
// inputs verified against their digests).
package worker
