package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"

	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/keyceremony"
	"github.com/statledger/statledger/client/worker"
	"github.com/statledger/statledger/crypto/params"
)

// workerCommand is `statledger worker`: the computation worker.
func (a *app) workerCommand() *cobra.Command {
	c := noun("worker", "Compute approved queries on the encrypted submissions")
	c.AddCommand(a.workerRunCommand())
	return c
}

func (a *app) workerRunCommand() *cobra.Command {
	var (
		cfg  worker.Config
		once bool
	)
	run := &cobra.Command{
		Use:   "run",
		Short: "Claim, compute and post the jobs of approved queries (workers)",
		Long: `Claim the jobs of approved queries with a lease, renew it while computing, fetch the
frozen encrypted submissions from the blob store, check every digest, evaluate the query
homomorphically with the collective rotation keys of the dataset's key ceremony, upload
the result and post its digest on the ledger.

As a daemon (the default) the worker follows the chaincode's events and scans the ledger
every --poll, which also finds jobs whose lease expired (a worker that died); --checkpoint
makes a restarted worker resume the events where it stopped. --listen serves /healthz
and /metrics (Prometheus). It stops on SIGINT or SIGTERM; jobs in progress are abandoned
and their leases expire. Logs are JSON lines on stderr.

With --once it processes every job it can claim now, prints what it posted and exits:
1 if a job failed. Run each worker process as its own identity (certificate).`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if once && (cfg.ListenAddr != "" || cfg.CheckpointFile != "") {
				return usageError{errors.New("--listen and --checkpoint are for the daemon; not with --once")}
			}
			if err := cfg.Validate(); err != nil {
				return usageError{err}
			}
			return a.withStore(func(s *session, store *blobstore.Bucket) error {
				log := slog.New(slog.NewJSONHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
				w, err := worker.New(cfg, s.api, store, ceremonyKeys{ledger: s.api, store: store},
					worker.WithEvents(s.client), worker.WithLogger(log.With("worker", s.profile.Name)))
				if err != nil {
					return usageError{err}
				}
				if !once {
					return w.Run(cmd.Context())
				}
				sum, err := w.Once(cmd.Context())
				if err != nil && !errors.Is(err, worker.ErrJobFailed) {
					// Not a worker, or the scan failed: there is nothing to summarise.
					return err
				}
				if rerr := a.renderSummary(s.profile.Output, sum); rerr != nil {
					return rerr
				}
				return err
			})
		},
	}
	f := run.Flags()
	f.BoolVar(&once, "once", false, "process every claimable job once and exit")
	f.StringVar(&cfg.ListenAddr, "listen", "", "serve /healthz and /metrics on this host:port (daemon only)")
	f.StringVar(&cfg.CheckpointFile, "checkpoint", "", "file recording the last chaincode event handled (daemon only)")
	f.DurationVar(&cfg.Lease, "lease", worker.DefaultLease, "lease on a claimed job, renewed every third of it")
	f.DurationVar(&cfg.PollEvery, "poll", worker.DefaultPollEvery, "interval between scans of the ledger for claimable jobs")
	f.IntVar(&cfg.Concurrency, "concurrency", worker.DefaultConcurrency, "jobs computed at the same time")
	f.StringSliceVar(&cfg.Datasets, "dataset", nil, "compute only the queries of this dataset (repeatable; default: every dataset)")
	return run
}

// renderSummary prints what `worker run --once` did.
func (a *app) renderSummary(format string, sum worker.Summary) error {
	return a.render(format, sum, func(w io.Writer) {
		fmt.Fprintf(w, "%d approved queries: %d computed, %d skipped, %d failed\n", sum.Candidates, sum.Succeeded, sum.Skipped, sum.Failed)
		if len(sum.Posted) > 0 {
			fmt.Fprintln(w, "QUERY\tOUTPUT DIGEST\tBYTES\tINPUTS\tTX")
			for _, r := range sum.Posted {
				fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\n", r.QueryID, r.OutputDigest, r.OutputSize, len(r.InputDigests), r.TxID)
			}
		}
		for _, id := range sum.FailedQueries {
			fmt.Fprintf(w, "failed: %s (see the log)\n", id)
		}
	})
}

// ceremonyKeys gives the worker the collective rotation keys that the key ceremony
// (package keyceremony) published for a key, checked against the ledger's record.
type ceremonyKeys struct {
	ledger keyceremony.KeyReader
	store  keyceremony.BlobReader
}

var _ worker.Keys = ceremonyKeys{}

// EvaluationKeys loads the key's manifest, setup and rotation keys (see keyceremony.Load).
func (k ceremonyKeys) EvaluationKeys(ctx context.Context, keyID string) (*params.Set, *rlwe.MemEvaluationKeySet, error) {
	ks, err := keyceremony.Load(ctx, k.ledger, k.store, keyID)
	if err != nil {
		return nil, nil, err
	}
	return ks.Set(), ks.EvaluationKeys(), nil
}
