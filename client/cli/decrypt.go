package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/analyst"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/keyceremony"
	"github.com/statledger/statledger/client/keyholder"
	"github.com/statledger/statledger/client/release"
	"github.com/statledger/statledger/crypto/ceremony"
	"github.com/statledger/statledger/crypto/decrypt"
	"github.com/statledger/statledger/crypto/params"
)

// withStore connects and opens the profile's blob store for fn.
func (a *app) withStore(fn func(s *session, store *blobstore.Bucket) error) error {
	return a.withSession(func(s *session) error {
		return withBlobStore(context.Background(), s.profile, func(b *blobstore.Bucket) error { return fn(s, b) })
	})
}

// holderKeys opens collective keys (once each) and this holder's threshold key.
type holderKeys struct {
	cache        *keyceremony.Cache
	mspID, share string
	prot         keyceremony.Protection
}

func (k holderKeys) KeySet(ctx context.Context, keyID string) (*keyceremony.KeySet, error) {
	return k.cache.KeySet(ctx, keyID)
}

func (k holderKeys) ThresholdKey(ks *keyceremony.KeySet) (*ceremony.ThresholdKey, error) {
	return ks.LoadThresholdKey(k.mspID, k.share, k.prot)
}

// holder builds the profile's key holder: its key share, its share journal beside the
// key share (so a share is produced once, ever) and the at-rest protection.
func (a *app) holder(s *session, store *blobstore.Bucket) (*keyholder.Holder, error) {
	if s.profile.KeySharePath == "" {
		return nil, fmt.Errorf("profile %s has no keySharePath: only key holders make decryption shares", s.profile.Name)
	}
	prot, err := a.keygenProtection(false)
	if err != nil {
		return nil, err
	}
	journal, err := decrypt.NewDirJournal(s.profile.KeySharePath + ".journal")
	if err != nil {
		return nil, err
	}
	return &keyholder.Holder{
		MSPID: s.profile.MSPID, Ledger: s.api, Store: store, Journal: journal,
		Keys: holderKeys{cache: keyceremony.NewCache(s.api, store), mspID: s.profile.MSPID, share: s.profile.KeySharePath, prot: prot},
	}, nil
}

func (a *app) decryptCommand() *cobra.Command {
	c := noun("decrypt", "Contribute decryption shares (key holders)")
	share := &cobra.Command{
		Use:   "share QUERY-ID",
		Short: "Check a query on the ledger and contribute this organisation's one decryption share",
		Long: `Check on the ledger that the query is approved with its budget debited, that the required
workers agreed on its result, and that this organisation is one of its decryptors; then
make this organisation's decryption share (with its part of the differential-privacy
noise), persist it, upload it and record its digest. A share is made once per result,
ever: run again after a crash, the command re-posts the identical share.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, ids []string) error {
			return a.withStore(func(s *session, store *blobstore.Bucket) error {
				h, err := a.holder(s, store)
				if err != nil {
					return err
				}
				rec, err := h.Share(cmd.Context(), ids[0])
				if err != nil {
					return err
				}
				return a.render(s.profile.Output, rec, func(w io.Writer) {
					fmt.Fprintf(w, "share\t%s of query %s\ndigest\t%s\ntx\t%s\n", rec.KeyHolder, rec.QueryID, rec.Digest, rec.TxID)
				})
			})
		},
	}
	c.AddCommand(share)
	return c
}

func (a *app) keyholderCommand() *cobra.Command {
	c := noun("keyholder", "Run a key holder that contributes decryption shares")
	var once bool
	var poll time.Duration
	run := &cobra.Command{
		Use:   "run",
		Short: "Contribute this organisation's decryption share to every query that names it, as results are agreed",
		Long: `Scan the ledger for queries that are decrypting and name this organisation among their
decryptors, and contribute its share to each (see "decrypt share" for the checks).
With --once, do one scan and exit; otherwise scan every --poll until interrupted.
Logs are JSON on stderr.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := slog.New(slog.NewJSONHandler(a.stderr, nil))
			return a.withStore(func(s *session, store *blobstore.Bucket) error {
				h, err := a.holder(s, store)
				if err != nil {
					return err
				}
				for {
					n, err := a.shareAll(cmd.Context(), s, h, log)
					if once {
						if err != nil {
							return err
						}
						fmt.Fprintf(a.stdout, "%d shares contributed\n", n)
						return nil
					}
					if err != nil {
						log.Warn("scan failed", "err", err)
					}
					select {
					case <-cmd.Context().Done():
						return nil
					case <-time.After(poll):
					}
				}
			})
		},
	}
	run.Flags().BoolVar(&once, "once", false, "scan once and exit")
	run.Flags().DurationVar(&poll, "poll", 5*time.Second, "time between scans")
	c.AddCommand(run)
	return c
}

// shareAll contributes the holder's share to every decrypting query that names it and
// lacks its share. A failure of one query is logged and counted, not fatal.
func (a *app) shareAll(ctx context.Context, s *session, h *keyholder.Holder, log *slog.Logger) (int, error) {
	var errs []error
	done := 0
	err := eachQuery(ctx, s, func(q ledger.Query) {
		if q.Status != ledger.StatusDecrypting || !slices.Contains(q.Decryptors, s.profile.MSPID) || slices.Contains(q.ShareOrgs, s.profile.MSPID) {
			return
		}
		rec, err := h.Share(ctx, q.ID)
		if err != nil {
			log.Error("decryption share failed", "query", q.ID, "err", err)
			errs = append(errs, fmt.Errorf("query %s: %w", q.ID, err))
			return
		}
		done++
		log.Info("decryption share recorded", "query", q.ID, "digest", rec.Digest, "tx", rec.TxID)
	})
	if err != nil {
		return done, err
	}
	if len(errs) > 0 {
		return done, fmt.Errorf("%d shares failed, first: %w", len(errs), errs[0])
	}
	return done, nil
}

// eachQuery calls fn for every query of every dataset.
func eachQuery(ctx context.Context, s *session, fn func(ledger.Query)) error {
	for dsMark := ""; ; {
		dss, err := s.api.ListDatasets(ctx, dsMark)
		if err != nil {
			return err
		}
		for _, ds := range dss.Items {
			for qMark := ""; ; {
				qs, err := s.api.ListQueries(ctx, ds.ID, qMark)
				if err != nil {
					return err
				}
				for _, q := range qs.Items {
					fn(q)
				}
				if qMark = qs.Bookmark; qMark == "" {
					break
				}
			}
		}
		if dsMark = dss.Bookmark; dsMark == "" {
			return nil
		}
	}
}

// analystKeyPath is where the profile's analyst key pair is sealed: --analyst-key, or
// <profile name>.analyst.key beside the profile file.
func (a *app) analystKeyPath(s *session, flag string) string {
	if flag != "" {
		return flag
	}
	path := a.profilePath
	if path == "" {
		path, _ = a.lookupEnv("STATLEDGER_PROFILE")
	}
	return filepath.Join(filepath.Dir(path), s.profile.Name+".analyst.key")
}

// analystKey opens (or, with create, makes) the analyst key pair for set.
func (a *app) analystKey(path string, create bool) func(*params.Set) (*decrypt.AnalystKey, error) {
	return func(set *params.Set) (*decrypt.AnalystKey, error) {
		prot, err := a.keygenProtection(create)
		if err != nil {
			return nil, err
		}
		if !create {
			if _, err := os.Stat(path); err != nil {
				return nil, fmt.Errorf("analyst key %s: %w (it is made by `query request`)", path, err)
			}
		}
		key, created, err := analyst.LoadOrCreateKey(path, set, prot)
		if created {
			fmt.Fprintf(a.stderr, "statledger: created the analyst key pair %s\n", path)
		}
		return key, err
	}
}

// requestKeys completes a query request with the analyst key (made on first use and
// published to the blob store) and the decryptors (default: the first t key holders of
// the dataset's key, in Shamir order).
func (a *app) requestKeys(ctx context.Context, s *session, store *blobstore.Bucket, in *ledger.QueryInput, keyPath string) error {
	ds, err := s.api.GetDataset(ctx, in.DatasetID)
	if err != nil {
		return err
	}
	ks, err := keyceremony.Load(ctx, s.api, store, ds.KeyID, keyceremony.WithoutEvaluationKeys())
	if err != nil {
		return err
	}
	key, err := a.analystKey(a.analystKeyPath(s, keyPath), true)(ks.Set())
	if err != nil {
		return err
	}
	if in.AnalystKeyDigest, in.AnalystKeyURI, err = analyst.PublishKey(ctx, store, key); err != nil {
		return err
	}
	if len(in.Decryptors) == 0 {
		in.Decryptors = ks.Holders()[:ks.Threshold()]
	}
	return nil
}

func (a *app) queryReleaseCommand() *cobra.Command {
	var format, out, keyPath string
	cmd := &cobra.Command{
		Use:   "release QUERY-ID",
		Short: "Decrypt a ready query with the decryptors' shares, publish its table and record the release (the requesting analyst)",
		Long: `Combine the decryptors' shares (each checked against the ledger: this query's result,
this analyst's key, the policy's noise), decrypt with the analyst key, derive means and
variances, suppress and flag cells whose noisy count is under the policy's minimum, and
record the table's digest on the ledger (and the table, when releases are public).
Releasing again prints the same table and records nothing.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, ids []string) error {
			f, err := release.ParseFormat(format)
			if err != nil {
				return usageError{err}
			}
			return a.withStore(func(s *session, store *blobstore.Bucket) error {
				r := &analyst.Releaser{Ledger: s.api, Store: store, Keys: keyceremony.NewCache(s.api, store), Key: a.analystKey(a.analystKeyPath(s, keyPath), false)}
				t, rel, err := r.Release(cmd.Context(), ids[0])
				if err != nil {
					return err
				}
				w := a.stdout
				if out != "" {
					file, err := os.Create(out)
					if err != nil {
						return err
					}
					defer file.Close()
					w = file
				}
				if err := t.Write(w, f); err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "release of %s recorded: table %s, %d suppressed cells, tx %s\n", rel.QueryID, rel.TableDigest, len(t.Suppressed()), rel.TxID)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table, json, csv or sdmx-csv")
	cmd.Flags().StringVar(&out, "out", "", "write the table to this file (default: standard output)")
	cmd.Flags().StringVar(&keyPath, "analyst-key", "", "sealed analyst key pair (default: <profile name>.analyst.key beside the profile)")
	return cmd
}
