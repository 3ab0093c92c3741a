package worker

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/compute"
)

// errLeaseLost cancels a job whose lease another worker took over, or whose query left
// the approved state.
var errLeaseLost = errors.New("the lease on the job was lost")

// outcome is what processing one query's job gave: a posted result, a failure, or
// neither (the job was skipped).
type outcome struct {
	result *ledger.Result
	failed bool
	// leasedUntil, for a job skipped because another worker leases it, is when that
	// lease expires.
	leasedUntil time.Time
}

// stageError is a job failure with the stage that failed.
type stageError struct {
	stage string
	err   error
}

func (e *stageError) Error() string { return e.stage + ": " + e.err.Error() }
func (e *stageError) Unwrap() error { return e.err }

func fail(stage string, err error) error { return &stageError{stage: stage, err: err} }

// process claims and computes the job of query id, if the worker can claim it. A panic
// anywhere in it fails the job, not the process.
func (w *Worker) process(ctx context.Context, id string) (out outcome) {
	log := w.log.With("query", id)
	var claimed time.Time
	defer func() {
		if r := recover(); r != nil {
			log.Error("job panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			out = w.failed(log, id, fail(stagePanic, fmt.Errorf("panic: %v", r)), claimed)
		}
	}()
	if ctx.Err() != nil {
		return outcome{}
	}
	job, err := w.ledger.GetJob(ctx, id)
	if ctx.Err() != nil {
		return outcome{} // stopping: not a failure of the job
	}
	if err != nil {
		return w.failed(log, id, fail(stageRead, fmt.Errorf("read job: %w", err)), claimed)
	}
	if reason, until := w.unclaimable(job); reason != "" {
		log.Debug("job skipped", "reason", reason)
		if job.Status == ledger.StatusDone {
			w.forget(id)
		}
		return outcome{leasedUntil: until}
	}
	// Everything that does not depend on the inputs is ready before the claim, so that a
	// worker that cannot compute the query (no keys, say) leaves the job to others.
	t, err := w.prepare(ctx, id)
	switch {
	case ctx.Err() != nil:
		return outcome{}
	case errors.Is(err, errNotApproved):
		log.Debug("job skipped", "reason", err.Error())
		return outcome{}
	case err != nil:
		return w.failed(log, id, err, claimed)
	}
	job, err = w.ledger.ClaimJob(ctx, id, w.cfg.leaseSeconds())
	switch {
	case err != nil && ctx.Err() != nil:
		return outcome{} // stopping; a claim that went through expires unused
	case errors.Is(err, ledger.ErrConflict) || errors.Is(err, ledger.ErrBadState):
		if errors.Is(err, ledger.ErrConflict) {
			w.metrics.conflicts.Inc()
		}
		log.Info("job not claimed", "reason", err.Error())
		return outcome{}
	case err != nil:
		return w.failed(log, id, fail(stageClaim, fmt.Errorf("claim job: %w", err)), claimed)
	}
	claimed = time.Now()
	w.metrics.claimed.Inc()
	w.metrics.running.Inc()
	defer w.metrics.running.Dec()
	log.Info("job claimed", "claims", job.Claims, "leaseExpires", leaseExpiry(job))

	jobCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopRenewing := w.renew(jobCtx, cancel, log, id)
	defer stopRenewing()
	in, err := w.compute(jobCtx, log, t)
	stopRenewing()
	if cause := jobContextErr(jobCtx); cause != nil {
		err = cause // the lease was lost or the worker stopped: that is why it failed
	}
	if err != nil {
		return w.failed(log, id, err, claimed)
	}
	r, err := w.ledger.PostResult(jobCtx, in)
	if err != nil {
		switch cause := jobContextErr(jobCtx); {
		case cause != nil:
			err = cause
		case errors.Is(err, ledger.ErrForbidden):
			err = fail(stageLease, fmt.Errorf("%w: %w", errLeaseLost, err))
		default:
			err = fail(stagePost, fmt.Errorf("post result: %w", err))
		}
		return w.failed(log, id, err, claimed)
	}
	d := time.Since(claimed)
	w.metrics.succeeded.Inc()
	w.metrics.duration.WithLabelValues("succeeded").Observe(d.Seconds())
	w.forget(id)
	log.Info("result posted", "outputDigest", r.OutputDigest, "outputSize", r.OutputSize,
		"inputs", len(r.InputDigests), "tx", r.TxID, "seconds", d.Seconds())
	return outcome{result: &r}
}

// unclaimable says why the worker cannot claim job now, or returns "". For a job leased
// by another worker it also returns when the lease expires.
func (w *Worker) unclaimable(job ledger.Job) (reason string, leasedUntil time.Time) {
	w.mu.Lock()
	self := w.self
	w.mu.Unlock()
	switch {
	case job.Status == ledger.StatusDone:
		return "the job is done", time.Time{}
	case slices.Contains(job.ResultOrgs, self.MSPID):
		return "this organisation has posted its result", time.Time{}
	case job.Status == ledger.StatusLeased && job.Lease != nil && time.Now().Before(job.Lease.ExpiresAt) &&
		!(job.Lease.WorkerMSPID == self.MSPID && job.Lease.WorkerID == self.ID):
		return "leased by a worker of " + job.Lease.WorkerMSPID + " until " + leaseExpiry(job), job.Lease.ExpiresAt
	}
	return "", time.Time{}
}

func leaseExpiry(job ledger.Job) string {
	if job.Lease == nil {
		return ""
	}
	return job.Lease.ExpiresAt.UTC().Format(time.RFC3339)
}

// jobContextErr returns the failure that ended the job's context, or nil while it runs.
func jobContextErr(ctx context.Context) error {
	if ctx.Err() == nil {
		return nil
	}
	if cause := context.Cause(ctx); errors.Is(cause, errLeaseLost) {
		return fail(stageLease, cause)
	}
	return fail(stageLease, fmt.Errorf("the worker stopped mid-job: %w", ctx.Err()))
}

// failed logs and counts a job failure. A job that failed because the ledger could not
// be read or the claim not be made is retried at the next scan or event; any other
// failure after a backoff. A job that was claimed (at a non-zero time) is counted in the
// job duration.
func (w *Worker) failed(log *slog.Logger, id string, err error, claimed time.Time) outcome {
	stage := stageRead
	var se *stageError
	if errors.As(err, &se) {
		stage = se.stage
	}
	w.metrics.failed.WithLabelValues(stage).Inc()
	if stage == stageRead || stage == stageClaim {
		// The ledger could not be read or written: the next scan or event tries again.
		log.Error("job failed", "stage", stage, "reason", err.Error())
		return outcome{failed: true}
	}
	if !claimed.IsZero() {
		w.metrics.duration.WithLabelValues("failed").Observe(time.Since(claimed).Seconds())
	}
	wait := w.backoff(id)
	log.Error("job failed; nothing posted", "stage", stage, "reason", err.Error(), "retryIn", wait.String())
	return outcome{failed: true}
}

// renew renews the job's lease every RenewEvery until the returned stop (idempotent) is
// called. When the contract refuses a renewal because another worker holds the lease or
// the query is no longer approved, it cancels the job with errLeaseLost; other errors are
// logged and the next renewal tried (an expired lease may still be renewed while nobody
// took it over).
func (w *Worker) renew(ctx context.Context, cancel context.CancelCauseFunc, log *slog.Logger, id string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(w.cfg.RenewEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			job, err := w.ledger.RenewLease(ctx, id, w.cfg.leaseSeconds())
			switch {
			case err == nil:
				log.Debug("lease renewed", "leaseExpires", leaseExpiry(job))
			case errors.Is(err, ledger.ErrForbidden) || errors.Is(err, ledger.ErrBadState):
				cancel(fmt.Errorf("%w: %w", errLeaseLost, err))
				return
			case ctx.Err() == nil:
				log.Warn("lease renewal failed; trying again", "error", err.Error())
			}
		}
	})
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
}

// errNotApproved says that a query is no longer approved: its job is not to be done.
var errNotApproved = errors.New("the query is not approved")

// prepare reads the query and its dataset, loads the rotation keys and plans the query
// (compute.Prepare). It returns an error wrapping errNotApproved for a query that is not
// approved.
func (w *Worker) prepare(ctx context.Context, id string) (*compute.Task, error) {
	q, err := w.ledger.GetQuery(ctx, id)
	if err != nil {
		return nil, fail(stageRead, fmt.Errorf("read query: %w", err))
	}
	if q.Status != ledger.StatusApproved {
		return nil, fmt.Errorf("%w: %s", errNotApproved, ledger.QueryProgress(q))
	}
	ds, err := w.ledger.GetDataset(ctx, q.DatasetID)
	if err != nil {
		return nil, fail(stageRead, fmt.Errorf("read dataset %s: %w", q.DatasetID, err))
	}
	t, err := compute.Prepare(ctx, w.keys, ds, q)
	if err != nil {
		return nil, failCompute(err)
	}
	return t, nil
}

// failCompute turns a *compute.Error into the job failure of its stage.
func failCompute(err error) error {
	var ce *compute.Error
	if errors.As(err, &ce) {
		return fail(ce.Stage, ce.Err)
	}
	return fail(compute.StageEvaluate, err)
}

// compute fetches the frozen inputs, evaluates the query on them (compute.Fetch and
// Task.Run), stores the result and returns the result to post.
func (w *Worker) compute(ctx context.Context, log *slog.Logger, t *compute.Task) (ledger.ResultInput, error) {
	var in ledger.ResultInput
	inputs, size, err := compute.Fetch(ctx, w.store, t.Query.InputDigests)
	if err != nil {
		return in, failCompute(err)
	}
	t0 := time.Now()
	res, err := t.Run(inputs)
	if err != nil {
		return in, failCompute(err)
	}
	w.metrics.verified.Add(float64(size))
	want := hex.EncodeToString(res.Digest[:])
	log.Info("query evaluated", "dataset", t.Dataset.ID, "inputs", len(inputs), "inputBytes", size,
		"outputDigest", want, "seconds", time.Since(t0).Seconds())
	if err := jobContextErr(ctx); err != nil {
		return in, err
	}
	digest, err := w.store.Put(ctx, res.Data)
	if err != nil {
		return in, fail(stageUpload, fmt.Errorf("store result %s: %w", want, err))
	}
	if digest != want {
		return in, fail(stageUpload, fmt.Errorf("the blob store stored result %s under digest %s", want, digest))
	}
	return ledger.ResultInput{
		QueryID:      t.Query.ID,
		InputDigests: t.Query.InputDigests,
		OutputDigest: digest,
		OutputURI:    w.store.URI(digest),
		OutputSize:   int64(len(res.Data)),
	}, nil
}
