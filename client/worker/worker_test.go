package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/fabric"
	"github.com/statledger/statledger/client/worker"
	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/params"
)

// syncBuffer is a log sink safe for the worker's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func jsonLogger(buf io.Writer) worker.Option {
	return worker.WithLogger(slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
}

func TestConfigValidateFillsDefaultsAndNamesWrongFields(t *testing.T) {
	var c worker.Config
	require.NoError(t, c.Validate())
	require.Equal(t, worker.Config{Lease: time.Minute, RenewEvery: 20 * time.Second, PollEvery: 30 * time.Second, Concurrency: 1, RetryAfter: time.Minute}, c)

	for _, tc := range []struct {
		name string
		cfg  worker.Config
		want string
	}{
		{"a lease under a second is refused", worker.Config{Lease: 500 * time.Millisecond}, "lease 500ms"},
		{"a lease of a fraction of seconds is refused", worker.Config{Lease: 1500 * time.Millisecond}, "whole number of seconds"},
		{"a lease over a day is refused", worker.Config{Lease: 25 * time.Hour}, "lease 25h0m0s"},
		{"renewing no sooner than the lease ends is refused", worker.Config{Lease: 10 * time.Second, RenewEvery: 10 * time.Second}, "renew interval 10s"},
		{"a negative poll interval is refused", worker.Config{PollEvery: -time.Second}, "poll interval"},
		{"a negative concurrency is refused", worker.Config{Concurrency: -1}, "concurrency -1"},
		{"too much concurrency is refused", worker.Config{Concurrency: worker.MaxConcurrency + 1}, "concurrency 65"},
		{"a retry wait over the maximum is refused", worker.Config{RetryAfter: 2 * time.Hour}, "retry interval 2h0m0s"},
		{"a malformed dataset ID is refused", worker.Config{Datasets: []string{"no spaces allowed"}}, "dataset ID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestOnceComputesEveryClaimableJobExactly(t *testing.T) {
	w := newWorld(t)
	for _, id := range []string{"q-1", "q-2", "q-3"} {
		w.ledger.approve(id, w.dataset.ID, countByRegion(), w.digests)
	}
	// Done, leased by someone else, and computed by this organisation: skipped.
	w.ledger.approve("q-done", w.dataset.ID, countByRegion(), w.digests)
	w.ledger.approve("q-leased", w.dataset.ID, countByRegion(), w.digests)
	w.ledger.approve("q-ours", w.dataset.ID, countByRegion(), w.digests)
	w.ledger.mu.Lock()
	j := w.ledger.jobs["q-done"]
	j.Status = ledger.StatusDone
	w.ledger.jobs["q-done"] = j
	j = w.ledger.jobs["q-leased"]
	j.Status, j.Lease = ledger.StatusLeased, &ledger.Lease{WorkerMSPID: otherMSP, WorkerID: "x", ExpiresAt: time.Now().Add(time.Hour)}
	w.ledger.jobs["q-leased"] = j
	j = w.ledger.jobs["q-ours"]
	j.ResultOrgs = []string{workerMSP}
	w.ledger.jobs["q-ours"] = j
	w.ledger.mu.Unlock()

	var logs syncBuffer
	wk := w.newWorker(t, worker.Config{Concurrency: 2}, jsonLogger(&logs))
	sum, err := wk.Once(context.Background())
	require.NoError(t, err)
	require.Equal(t, 6, sum.Candidates)
	require.Equal(t, 3, sum.Succeeded)
	require.Equal(t, 3, sum.Skipped)
	require.Zero(t, sum.Failed)

	posted := w.ledger.posted()
	require.Len(t, posted, 3)
	for _, r := range posted {
		require.Equal(t, workerMSP, r.WorkerMSPID)
		require.Equal(t, w.ledger.queries[r.QueryID].InputDigests, r.InputDigests)
		w.requireExact(t, r)
		require.Equal(t, ledger.StatusDecrypting, w.ledger.queries[r.QueryID].Status)
	}
	// Evaluation is deterministic: the same query on the same inputs, the same digest.
	require.Equal(t, posted[0].OutputDigest, posted[1].OutputDigest)

	// The logs are JSON lines with IDs and digests, never blob contents.
	for line := range strings.Lines(logs.String()) {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		require.Less(t, len(line), 2000, "a log line that long may carry data: %.200s", line)
	}
	require.Contains(t, logs.String(), `"outputDigest":"`+posted[0].OutputDigest+`"`)

	// A second pass finds nothing left to do.
	sum, err = wk.Once(context.Background())
	require.NoError(t, err)
	require.Zero(t, sum.Succeeded)
	require.Len(t, w.ledger.posted(), 3)
}

func TestRestartedWorkerResumesItsOwnLiveLease(t *testing.T) {
	w := newWorld(t)
	w.ledger.approve("q-1", w.dataset.ID, countByRegion(), w.digests)
	// The worker's previous process claimed the job and died; same identity, new process.
	_, err := w.ledger.as(workerMSP, "w1").ClaimJob(context.Background(), "q-1", 3600)
	require.NoError(t, err)
	sum, err := w.newWorker(t, worker.Config{}).Once(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, sum.Succeeded)
	require.Equal(t, 2, w.ledger.job("q-1").Claims)
	w.requireExact(t, sum.Posted[0])
}

func TestTwoWorkersRacingForOneJobPostOneResult(t *testing.T) {
	w := newWorld(t)
	w.ledger.approve("q-1", w.dataset.ID, countByRegion(), w.digests)
	// Both workers see the job open, then claim at the same moment.
	var ready sync.WaitGroup
	ready.Add(2)
	w.ledger.beforeClaim = func(string) {
		ready.Done()
		ready.Wait()
	}
	a := w.newWorkerAs(t, workerMSP, "a", worker.Config{})
	b := w.newWorkerAs(t, otherMSP, "b", worker.Config{})
	var sums [2]worker.Summary
	var wg sync.WaitGroup
	for i, wk := range []*worker.Worker{a, b} {
		wg.Go(func() {
			var err error
			sums[i], err = wk.Once(context.Background())
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	require.Equal(t, 1, sums[0].Succeeded+sums[1].Succeeded, "exactly one worker computes")
	require.Equal(t, 1, sums[0].Skipped+sums[1].Skipped, "the other is refused with CONFLICT and skips")
	require.Len(t, w.ledger.posted(), 1)

	loser := a
	if sums[1].Skipped == 1 {
		loser = b
	}
	require.Contains(t, scrape(t, loser), "statledger_worker_claim_conflicts_total 1")
}

func TestLeaseIsRenewedWhileTheJobRuns(t *testing.T) {
	w := newWorld(t)
	w.ledger.approve("q-1", w.dataset.ID, countByRegion(), w.digests)
	w.store.setOnGet(func(ctx context.Context, _ string, data []byte) ([]byte, error) {
		time.Sleep(500 * time.Millisecond) // a slow blob store
		return data, nil
	})
	wk := w.newWorker(t, worker.Config{Lease: time.Second, RenewEvery: 100 * time.Millisecond})
	sum, err := wk.Once(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, sum.Succeeded)
	require.GreaterOrEqual(t, w.ledger.renewed(), 2)
	require.Nil(t, w.ledger.job("q-1").Lease, "posting the result ends the lease")
}

func TestJobWhoseLeaseIsTakenOverIsAbandonedWithoutPosting(t *testing.T) {
	w := newWorld(t)
	w.ledger.approve("q-1", w.dataset.ID, countByRegion(), w.digests)
	other := w.ledger.as(otherMSP, "other")
	var once sync.Once
	w.store.setOnGet(func(ctx context.Context, _ string, data []byte) ([]byte, error) {
		once.Do(func() {
			// The lease lapses (a stalled worker) and another worker takes the job over.
			w.ledger.mu.Lock()
			j := w.ledger.jobs["q-1"]
			l := *j.Lease
			l.ExpiresAt = time.Now().Add(-time.Second)
			j.Lease = &l
			w.ledger.jobs["q-1"] = j
			w.ledger.mu.Unlock()
			_, err := other.ClaimJob(ctx, "q-1", 60)
			assert.NoError(t, err)
		})
		<-ctx.Done() // the renewal fails and cancels the job
		return nil, ctx.Err()
	})
	var logs syncBuffer
	wk := w.newWorker(t, worker.Config{Lease: 2 * time.Second, RenewEvery: 50 * time.Millisecond}, jsonLogger(&logs))
	sum, err := wk.Once(context.Background())
	require.ErrorIs(t, err, worker.ErrJobFailed)
	require.Equal(t, []string{"q-1"}, sum.FailedQueries)
	require.Empty(t, w.ledger.posted())
	require.Equal(t, "other", w.ledger.job("q-1").Lease.WorkerID)
	require.Contains(t, logs.String(), `"stage":"lease"`)
	require.Contains(t, scrape(t, wk), `statledger_worker_jobs_failed_total{stage="lease"} 1`)
}

func TestPanicFailsOnlyItsJob(t *testing.T) {
	w := newWorld(t)
	w.ledger.approve("q-1", w.dataset.ID, countByRegion(), w.digests)
	w.keys.panics = true
	var logs syncBuffer
	wk := w.newWorker(t, worker.Config{}, jsonLogger(&logs))
	sum, err := wk.Once(context.Background())
	require.ErrorIs(t, err, worker.ErrJobFailed)
	require.Equal(t, 1, sum.Failed)
	require.Empty(t, w.ledger.posted())
	require.Contains(t, logs.String(), "key source exploded")
	require.Contains(t, scrape(t, wk), `statledger_worker_jobs_failed_total{stage="panic"} 1`)
	// The keys are loaded before the claim: the job stays open for other workers.
	require.Equal(t, ledger.StatusOpen, w.ledger.job("q-1").Status)

	// A panic while fetching (in another goroutine), after the claim, fails the job too;
	// its lease is left to expire.
	w.keys.panics = false
	w.ledger.approve("q-2", w.dataset.ID, countByRegion(), w.digests)
	w.store.setOnGet(func(context.Context, string, []byte) ([]byte, error) { panic("blob store exploded") })
	sum, err = wk.Once(context.Background())
	require.ErrorIs(t, err, worker.ErrJobFailed)
	require.Equal(t, []string{"q-2"}, sum.FailedQueries)
	require.Contains(t, logs.String(), "blob store exploded")
	require.Equal(t, ledger.StatusLeased, w.ledger.job("q-2").Status)
}

func TestTamperedInputFailsTheJobAndPostsNothing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stage string
		get   func(ctx context.Context, digest string, data []byte) ([]byte, error)
	}{
		{"a blob store that returns altered bytes is caught by evaluation", "evaluate",
			func(_ context.Context, _ string, data []byte) ([]byte, error) {
				bad := bytes.Clone(data)
				bad[len(bad)/2] ^= 1
				return bad, nil
			}},
		{"a blob store that reports corruption fails the fetch", "fetch",
			func(_ context.Context, digest string, _ []byte) ([]byte, error) {
				return nil, fmt.Errorf("blob %s: %w", digest, blobstore.ErrCorrupt)
			}},
		{"a missing input fails the fetch", "fetch",
			func(_ context.Context, digest string, _ []byte) ([]byte, error) {
				return nil, fmt.Errorf("blob %s: %w", digest, blobstore.ErrNotFound)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.ledger.approve("q-1", w.dataset.ID, countByRegion(), w.digests)
			w.store.setOnGet(tc.get)
			var logs syncBuffer
			wk := w.newWorker(t, worker.Config{}, jsonLogger(&logs))
			sum, err := wk.Once(context.Background())
			require.ErrorIs(t, err, worker.ErrJobFailed)
			require.Equal(t, 1, sum.Failed)
			require.Empty(t, w.ledger.posted())
			require.Empty(t, w.store.puts(), "no result is stored")
			require.Contains(t, logs.String(), `"stage":"`+tc.stage+`"`)
			require.Contains(t, scrape(t, wk), `statledger_worker_jobs_failed_total{stage="`+tc.stage+`"} 1`)
		})
	}
}

func TestFailedJobIsRetriedAfterItsBackoff(t *testing.T) {
	w := newWorld(t)
	w.ledger.approve("q-1", w.dataset.ID, countByRegion(), w.digests)
	w.store.setOnGet(func(context.Context, string, []byte) ([]byte, error) {
		return nil, errors.New("blob store unreachable")
	})
	wk := w.newWorker(t, worker.Config{RetryAfter: 300 * time.Millisecond})
	_, err := wk.Once(context.Background())
	require.ErrorIs(t, err, worker.ErrJobFailed)

	// The store is back; within the backoff the job waits, after it, it succeeds.
	w.store.setOnGet(nil)
	sum, err := wk.Once(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, sum.Skipped)
	time.Sleep(300 * time.Millisecond)
	sum, err = wk.Once(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, sum.Succeeded)
	w.requireExact(t, w.ledger.posted()[0])
}

func TestJobFailingBeforeItsClaimIsTriedAgainAtOnce(t *testing.T) {
	w := newWorld(t)
	w.ledger.approve("q-1", w.dataset.ID, countByRegion(), w.digests)
	w.ledger.unreadable = 1
	wk := w.newWorker(t, worker.Config{RetryAfter: time.Hour})
	sum, err := wk.Once(context.Background())
	require.ErrorIs(t, err, worker.ErrJobFailed)
	require.Equal(t, []string{"q-1"}, sum.FailedQueries)
	require.Contains(t, scrape(t, wk), `statledger_worker_jobs_failed_total{stage="read"} 1`)
	sum, err = wk.Once(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, sum.Succeeded, "no backoff: nothing was claimed")
}

func TestWrongParameterSetOrUnknownKeyFailsTheJob(t *testing.T) {
	w := newWorld(t)
	ds := w.dataset
	ds.ID, ds.KeyID = "other-key", "key-2"
	w.ledger.addDataset(ds)
	w.ledger.approve("q-1", ds.ID, countByRegion(), w.digests)
	ds.ID, ds.KeyID, ds.ParamSetID = "other-set", keyID, params.N14T58
	w.ledger.addDataset(ds)
	w.ledger.approve("q-2", ds.ID, countByRegion(), w.digests)
	var logs syncBuffer
	sum, err := w.newWorker(t, worker.Config{}, jsonLogger(&logs)).Once(context.Background())
	require.ErrorIs(t, err, worker.ErrJobFailed)
	require.Equal(t, []string{"q-1", "q-2"}, sum.FailedQueries)
	require.Contains(t, logs.String(), "no key key-2")
	require.Contains(t, logs.String(), "belongs to parameter set InsecureN11T58, but dataset other-set uses N14T58")
	require.Empty(t, w.ledger.posted())
	for _, id := range []string{"q-1", "q-2"} {
		require.Equal(t, ledger.StatusOpen, w.ledger.job(id).Status, "a worker that cannot compute %s does not claim it", id)
	}
}

func TestIdentityWithoutTheWorkerRoleIsRefused(t *testing.T) {
	w := newWorld(t)
	w.ledger.consortium.Orgs = append(w.ledger.consortium.Orgs, ledger.Org{Name: "Reg", MSPID: "RegMSP", Roles: []ledger.Role{ledger.RoleAuditor}})
	wk := w.newWorkerAs(t, "RegMSP", "r", worker.Config{})
	_, err := wk.Once(context.Background())
	require.ErrorIs(t, err, worker.ErrNotWorker)
	require.ErrorIs(t, wk.Run(context.Background()), worker.ErrNotWorker)
}

func TestDatasetsRestrictTheWorker(t *testing.T) {
	w := newWorld(t)
	ds := w.dataset
	ds.ID = "elsewhere"
	w.ledger.addDataset(ds)
	w.ledger.approve("q-mine", w.dataset.ID, countByRegion(), w.digests)
	w.ledger.approve("q-theirs", ds.ID, countByRegion(), w.digests)
	sum, err := w.newWorker(t, worker.Config{Datasets: []string{w.dataset.ID}}).Once(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, sum.Candidates)
	require.Len(t, sum.Posted, 1)
	require.Equal(t, "q-mine", sum.Posted[0].QueryID)
}

func TestPeriodicScanFindsWhatNoEventAnnounced(t *testing.T) {
	w := newWorld(t)
	var logs syncBuffer
	wk := w.newWorker(t, worker.Config{PollEvery: 200 * time.Millisecond}, jsonLogger(&logs))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- wk.Run(ctx) }()
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "worker started") }, 5*time.Second, 10*time.Millisecond)

	// Approved after the first scan, and no event stream: a later scan finds it.
	w.ledger.approve("q-1", w.dataset.ID, countByRegion(), w.digests)
	require.Eventually(t, func() bool { return len(w.ledger.posted()) == 1 }, 10*time.Second, 20*time.Millisecond)
	w.requireExact(t, w.ledger.posted()[0])
	cancel()
	require.NoError(t, <-done)
	require.Contains(t, logs.String(), "worker stopped")
}

func TestRunLooksAgainWhenALeaseItSawExpires(t *testing.T) {
	w := newWorld(t)
	w.ledger.approve("q-stale", w.dataset.ID, countByRegion(), w.digests)
	_, err := w.ledger.as(otherMSP, "dead").ClaimJob(context.Background(), "q-stale", 1)
	require.NoError(t, err)
	expires := w.ledger.job("q-stale").Lease.ExpiresAt
	w.ledger.approve("q-long", w.dataset.ID, countByRegion(), w.digests)
	_, err = w.ledger.as(otherMSP, "alive").ClaimJob(context.Background(), "q-long", 3600)
	require.NoError(t, err)
	// Scans are an hour apart: only the first scan sees the jobs, leased.
	var logs syncBuffer
	wk := w.newWorker(t, worker.Config{PollEvery: time.Hour}, jsonLogger(&logs))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- wk.Run(ctx) }()
	require.Eventually(t, func() bool { return len(w.ledger.posted()) == 1 }, 10*time.Second, 20*time.Millisecond)
	r := w.ledger.posted()[0]
	require.True(t, r.PostedAt.After(expires))
	require.Less(t, r.PostedAt.Sub(expires), 5*time.Second, "taken over just after the expiry, not at the next scan")
	w.requireExact(t, r)
	require.Equal(t, 2, w.ledger.job("q-stale").Claims)
	require.Contains(t, logs.String(), "leased by a worker of OtherMSP", "the live lease was respected first")

	// Stopping the worker stops the timer of the hour-long lease.
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	require.Equal(t, "alive", w.ledger.job("q-long").Lease.WorkerID)
}

func TestRunComputesTheJobsThatEventsAnnounce(t *testing.T) {
	w := newWorld(t)
	ev := &events{ch: make(chan fabric.Event)}
	cp := t.TempDir() + "/checkpoint"
	// Scans are an hour apart: only the event can bring the new query in.
	wk := w.newWorker(t, worker.Config{PollEvery: time.Hour, CheckpointFile: cp}, worker.WithEvents(ev))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- wk.Run(ctx) }()

	w.ledger.approve("q-new", w.dataset.ID, countByRegion(), w.digests)
	send := func(e ledger.Event, tx string) {
		payload, err := json.Marshal(e)
		require.NoError(t, err)
		ev.ch <- fabric.Event{Name: e.Name, Payload: payload, TxID: tx}
	}
	ev.ch <- fabric.Event{Name: "garbage", Payload: []byte("{"), TxID: "tx-0"}
	send(ledger.Event{Name: "query.pending", QueryID: "q-new", QueryStatus: ledger.StatusPending, DatasetID: w.dataset.ID}, "tx-1")
	send(ledger.Event{Name: "job.leased", QueryID: "q-new", QueryStatus: ledger.StatusApproved, DatasetID: w.dataset.ID}, "tx-2")
	send(ledger.Event{Name: "query.approved", ID: "q-new", QueryID: "q-new", QueryStatus: ledger.StatusApproved, DatasetID: w.dataset.ID}, "tx-3")
	require.Eventually(t, func() bool { return len(w.ledger.posted()) == 1 }, 10*time.Second, 20*time.Millisecond, "the approved query is computed")
	r := w.ledger.posted()[0]
	require.Equal(t, "q-new", r.QueryID)
	w.requireExact(t, r)
	require.Equal(t, []string{"tx-0", "tx-1", "tx-2", "tx-3"}, ev.acks(), "every event is acknowledged")
	require.Equal(t, cp, ev.file)

	// A result that reopens the job for another organisation is announced as well; this
	// worker's organisation has posted, so it does not claim again.
	send(ledger.Event{Name: "result.recorded", QueryID: "q-new", QueryStatus: ledger.StatusApproved, DatasetID: w.dataset.ID, MSPID: workerMSP}, "tx-4")
	require.Eventually(t, func() bool { return len(ev.acks()) == 5 }, 5*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	require.Len(t, w.ledger.posted(), 1)
}

func TestRunServesHealthAndMetrics(t *testing.T) {
	w := newWorld(t)
	w.ledger.approve("q-1", w.dataset.ID, countByRegion(), w.digests)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	wk := w.newWorker(t, worker.Config{ListenAddr: addr, PollEvery: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- wk.Run(ctx) }()
	require.Eventually(t, func() bool { return len(w.ledger.posted()) == 1 }, 10*time.Second, 20*time.Millisecond)

	var body map[string]any
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&body) == nil
	}, 5*time.Second, 20*time.Millisecond)
	require.Equal(t, "ok", body["status"])
	require.Equal(t, workerMSP, body["identity"])

	resp, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	metrics, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	size := 0
	for _, d := range w.digests {
		data, err := w.store.Bucket.Get(context.Background(), d)
		require.NoError(t, err)
		size += len(data)
	}
	for _, want := range []string{
		"statledger_worker_jobs_claimed_total 1",
		"statledger_worker_jobs_succeeded_total 1",
		`statledger_worker_job_duration_seconds_count{outcome="succeeded"} 1`,
		fmt.Sprintf("statledger_worker_verified_bytes_total %d", size),
		"statledger_worker_jobs_running 0",
		"go_goroutines",
	} {
		require.Contains(t, string(metrics), want)
	}

	cancel()
	require.NoError(t, <-done)
	_, err = http.Get("http://" + addr + "/healthz")
	require.Error(t, err, "the server stops with the worker")
}

func TestHealthIsUnavailableUntilAScanSucceeds(t *testing.T) {
	w := newWorld(t)
	wk := w.newWorker(t, worker.Config{})
	srv := httptest.NewServer(wk.Handler())
	defer srv.Close()
	get := func() (int, map[string]any) {
		resp, err := http.Get(srv.URL + "/healthz")
		require.NoError(t, err)
		defer resp.Body.Close()
		var m map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
		return resp.StatusCode, m
	}
	code, body := get()
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "starting", body["status"])

	_, err := wk.Once(context.Background())
	require.NoError(t, err)
	code, body = get()
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "ok", body["status"])
	require.NotEmpty(t, body["lastScan"])

	resp, err := http.Post(srv.URL+"/metrics", "text/plain", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

// scrape returns the worker's metrics in the Prometheus text format.
func scrape(t testing.TB, wk *worker.Worker) string {
	t.Helper()
	rec := httptest.NewRecorder()
	wk.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	return rec.Body.String()
}

// The result blob is a strict codec blob whose digest the worker posts.
func TestPostedDigestIsTheResultBlobsDigest(t *testing.T) {
	w := newWorld(t)
	w.ledger.approve("q-1", w.dataset.ID, countByRegion(), w.digests)
	sum, err := w.newWorker(t, worker.Config{}).Once(context.Background())
	require.NoError(t, err)
	r := sum.Posted[0]
	data, err := w.store.Bucket.Get(context.Background(), r.OutputDigest)
	require.NoError(t, err)
	d := codec.Digest(data)
	require.Equal(t, r.OutputDigest, fmt.Sprintf("%x", d[:]))
	require.Equal(t, []string{r.OutputDigest}, w.store.puts())
}
