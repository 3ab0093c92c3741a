package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/spf13/cobra"

	"github.com/statledger/statledger/client/audit"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/chain"
	"github.com/statledger/statledger/client/dashboard"
	"github.com/statledger/statledger/client/profile"
)

// DefaultDashboardAddr is where `statledger audit serve` listens by default.
const DefaultDashboardAddr = "127.0.0.1:8088"

// newAuditor is the audit of a session: the session's ledger, the blob store, the
// collective keys of the key ceremonies recorded on the ledger for the re-execution,
// and, when the profile lists other organisations' peers, a fresh comparison of their
// blocks for every audit.
func newAuditor(s *session, store *blobstore.Bucket) (*audit.Auditor, error) {
	var opts []audit.Option
	if len(s.profile.Peers) > 0 {
		opts = append(opts, audit.WithChainFrom(compareChains(s.profile)))
	}
	return audit.New(s.api, store, ceremonyKeys{ledger: s.api, store: store}, opts...)
}

// compareChains returns a comparison of the blocks of the profile's peer and of the
// peers it lists, connecting to them for each comparison.
func compareChains(p profile.Profile) func(ctx context.Context) (audit.Chain, error) {
	return func(ctx context.Context) (audit.Chain, error) {
		sources, closeAll, err := chain.Open(p)
		if err != nil {
			return nil, err
		}
		defer closeAll()
		return chain.Compare(ctx, sources)
	}
}

// auditServeCommand is `statledger audit serve`: the regulator's dashboard.
func (a *app) auditServeCommand() *cobra.Command {
	var (
		listen string
		cfg    dashboard.Config
	)
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the audit dashboard: the consortium, datasets and every query's trail (regulators)",
		Long: `Serve a web page showing the consortium (organisations, roles, key holders and the
decryption threshold), the datasets with their remaining privacy budget and their
submissions, and for every query a timeline from request to release (each step with its
transaction ID, organisation and time) with the status and evidence of every audit check.

The page updates live: the dashboard follows the chaincode's events, re-reads and
re-audits what they touch (a burst at a time, --debounce) and pushes the change to open
pages over server-sent events. It also serves /healthz (200 while the ledger answers,
503 with the reason otherwise) and /metrics (Prometheus).

Run it as the regulator, with a profile whose blob store holds the inputs; when the
profile lists other organisations' peers, every audit compares their blocks too. It
listens on 127.0.0.1 by default: the page shows everything on the ledger, so put it
behind an authenticating proxy before listening elsewhere. It stops on SIGINT or
SIGTERM. Logs are JSON lines on stderr.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, _, err := net.SplitHostPort(listen); err != nil {
				return usageError{fmt.Errorf("--listen %q: want host:port, such as %s", listen, DefaultDashboardAddr)}
			}
			if err := cfg.Validate(); err != nil {
				return usageError{err}
			}
			return a.withStore(func(s *session, store *blobstore.Bucket) error {
				auditor, err := newAuditor(s, store)
				if err != nil {
					return err
				}
				log := slog.New(slog.NewJSONHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
				d, err := dashboard.New(cfg, s.api, auditor, s.client, dashboard.WithLogger(log))
				if err != nil {
					return usageError{err}
				}
				ln, err := net.Listen("tcp", listen)
				if err != nil {
					return fmt.Errorf("listen for the dashboard: %w", err)
				}
				fmt.Fprintf(a.stdout, "audit dashboard on http://%s/ (stop with Ctrl-C)\n", ln.Addr())
				if err := d.Serve(cmd.Context(), ln); err != nil {
					return err
				}
				log.Info("dashboard stopped")
				return nil
			})
		},
	}
	f := c.Flags()
	f.StringVar(&listen, "listen", DefaultDashboardAddr, "serve the dashboard on this host:port")
	f.DurationVar(&cfg.Debounce, "debounce", dashboard.DefaultDebounce, "gather chaincode events this long before re-auditing")
	f.DurationVar(&cfg.Retry, "retry", dashboard.DefaultRetry, "wait this long before reconnecting to the event stream or reading the ledger again")
	return c
}
