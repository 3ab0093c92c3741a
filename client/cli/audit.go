package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/audit"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/profile"
)

// errAuditFailed is returned by `statledger audit` when a check failed: the report is
// on stdout, the exit status 1.
var errAuditFailed = errors.New("audit failed")

// auditCommand is `statledger audit`: the regulator's read-only audit of every query, one
// dataset's or one query. Subcommands (such as a dashboard's `audit serve`) are attached
// to the command it returns, in rootCommand.
func (a *app) auditCommand() *cobra.Command {
	var (
		scope        audit.Scope
		comparePeers bool
		extraPeers   []string
	)
	c := &cobra.Command{
		Use:   "audit",
		Short: "Audit every step of the queries on the ledger (regulators)",
		Long: `Audit, read-only, every query on the ledger, or one dataset's (--dataset), or one
query (--query): for each, that the request satisfied the dataset's policy, that the
approvals came from distinct eligible members and met the rule, that the privacy budget
was debited exactly (and the dataset's budget history adds up), that the frozen inputs are
exactly the live submissions and every input blob in the blob store has its recorded
digest, that re-executing the computation on those blobs (with the worker's own code and
the collective rotation keys) gives the posted output digest agreed by the required
workers, that at least t decryption shares came from distinct decryptors, each once, and
that the release's digest matches the published table.

It also reads the channel's blocks from the profile's own peer and from every other
organisation's peer the profile lists (peers:) or --compare-peer names, compares them
(hash chain, data hashes, validity flags), so that one lying peer is caught, and checks
that every transaction cited as evidence is in them and valid. It does so by default when
the profile lists peers; --compare-peers asks for it (the audit fails when no peer is
given), --compare-peers=false skips it.

Each check is pass, fail or pending (the query has not reached that step) with its
evidence: transaction IDs, digests, organisations. The exit status is 1 when any check
fails. Run it as an auditor (or a member): only they may read the histories.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if scope.DatasetID != "" {
				if err := ledger.ValidateID("--dataset", scope.DatasetID); err != nil {
					return usageError{err}
				}
			}
			if scope.QueryID != "" {
				if err := ledger.ValidateID("--query", scope.QueryID); err != nil {
					return usageError{err}
				}
			}
			var peers []profile.Peer
			for _, spec := range extraPeers {
				p, err := profile.ParsePeer(spec)
				if err != nil {
					return usageError{fmt.Errorf("--compare-peer: %w", err)}
				}
				peers = append(peers, p)
			}
			asked := cmd.Flags().Changed("compare-peers")
			if asked && !comparePeers && len(peers) > 0 {
				return usageError{errors.New("--compare-peer names a peer to compare with, but --compare-peers=false skips the comparison")}
			}
			return a.withStore(func(s *session, store *blobstore.Bucket) error {
				p := s.profile
				if len(peers) > 0 {
					p.AddPeer("flag --compare-peer", peers...)
					if err := p.Validate(); err != nil {
						return usageError{err}
					}
				}
				var opts []audit.Option
				if (asked && comparePeers) || len(peers) > 0 {
					opts = append(opts, audit.WithChainRequired())
				}
				if (!asked || comparePeers) && len(p.Peers) > 0 {
					opts = append(opts, audit.WithChainFrom(compareChains(p)))
				}
				au, err := audit.New(s.api, store, ceremonyKeys{ledger: s.api, store: store}, opts...)
				if err != nil {
					return err
				}
				rep, err := au.Run(cmd.Context(), scope)
				switch {
				case errors.Is(err, audit.ErrScope):
					return usageError{err}
				case errors.Is(err, ledger.ErrNotFound):
					return fmt.Errorf("nothing to audit: %w", err)
				case err != nil:
					return err
				}
				if err := a.renderAudit(s.profile.Output, rep); err != nil {
					return err
				}
				if !rep.Passed {
					return fmt.Errorf("%w: %s", errAuditFailed, failedChecks(rep.Failures))
				}
				return nil
			})
		},
	}
	f := c.Flags()
	f.StringVar(&scope.DatasetID, "dataset", "", "audit only this dataset's queries")
	f.StringVar(&scope.QueryID, "query", "", "audit only this query")
	f.BoolVar(&comparePeers, "compare-peers", false, "compare the blocks of the profile's peer with the other peers it lists (default: when it lists any)")
	f.StringArrayVar(&extraPeers, "compare-peer", nil, "another organisation's peer to compare blocks with: org=NAME,endpoint=HOST:PORT,tlsCAFile=FILE[,serverName=HOST] (repeatable)")
	return c
}

// failedChecks says how many checks failed: "1 check failed", "3 checks failed".
func failedChecks(n int) string {
	if n == 1 {
		return "1 check failed"
	}
	return fmt.Sprintf("%d checks failed", n)
}

// renderAudit prints an audit report: JSON (the Report), or a verdict, one row per
// dataset and per query with the status of each check, then every failure with its
// evidence.
func (a *app) renderAudit(format string, rep *audit.Report) error {
	return a.render(format, rep, func(w io.Writer) {
		verdict := "PASSED"
		if !rep.Passed {
			verdict = "FAILED (" + failedChecks(rep.Failures) + ")"
		}
		fmt.Fprintf(w, "audit of %s: %s, %d datasets, %d queries, at %s\n", scopeName(rep.Scope), verdict, len(rep.Datasets), len(rep.Queries), rep.GeneratedAt.Format(time.RFC3339))
		if len(rep.Datasets) > 0 {
			fmt.Fprintln(w, "DATASET\tSUBMISSIONS\tEPSILON SPENT\tBUDGET")
			for _, d := range rep.Datasets {
				fmt.Fprintf(w, "%s\t%d\t%s of %s\t%s\n", d.DatasetID, d.Submissions, micro(d.BudgetSpentMicro), micro(d.BudgetTotalMicro), status(d.Checks))
			}
		}
		if len(rep.Queries) > 0 {
			head := []string{"QUERY", "STATUS"}
			for _, n := range audit.QueryChecks {
				head = append(head, strings.ToUpper(string(n)))
			}
			chain := len(rep.Queries[0].Checks) > len(audit.QueryChecks)
			if chain {
				head = append(head, "CHAIN")
			}
			fmt.Fprintln(w, strings.Join(head, "\t"))
			for _, q := range rep.Queries {
				row := []string{q.QueryID, q.QueryStatus}
				for _, c := range q.Checks {
					row = append(row, string(c.Status))
				}
				fmt.Fprintln(w, strings.Join(row, "\t"))
			}
		}
		fmt.Fprintf(w, "peers compared\t%s: %s\n", rep.Chain.Check.Status, rep.Chain.Check.Detail)
		for _, d := range rep.Datasets {
			printFailures(w, "dataset "+d.DatasetID, d.Checks)
		}
		for _, q := range rep.Queries {
			printFailures(w, "query "+q.QueryID, q.Checks)
		}
		if rep.Chain.Check.Status == audit.StatusFail {
			printFailures(w, "peers", []audit.Check{rep.Chain.Check})
		}
	})
}

func scopeName(s audit.Scope) string {
	switch {
	case s.QueryID != "":
		return "query " + s.QueryID
	case s.DatasetID != "":
		return "dataset " + s.DatasetID
	}
	return "every dataset"
}

// status is "pass" when no check of cs failed, and names the failing checks otherwise.
func status(cs []audit.Check) string {
	var failed []string
	for _, c := range cs {
		if c.Status == audit.StatusFail {
			failed = append(failed, string(c.Name))
		}
	}
	if len(failed) == 0 {
		return "pass"
	}
	return "fail: " + strings.Join(failed, ", ")
}

func micro(v int64) string { return fmt.Sprintf("%.6g", float64(v)/1e6) }

// printFailures writes each failing check of cs with its evidence.
func printFailures(w io.Writer, what string, cs []audit.Check) {
	for _, c := range cs {
		if c.Status != audit.StatusFail {
			continue
		}
		fmt.Fprintf(w, "FAIL %s %s: %s\n", what, c.Name, c.Detail)
		for _, e := range c.Evidence {
			var parts []string
			for _, kv := range [][2]string{{"id", e.ID}, {"org", e.Org}, {"tx", e.TxID}, {"digest", e.Digest}, {"note", e.Note}} {
				if kv[1] != "" {
					parts = append(parts, kv[0]+"="+kv[1])
				}
			}
			fmt.Fprintf(w, "  %s %s\n", e.Kind, strings.Join(parts, " "))
		}
	}
}
