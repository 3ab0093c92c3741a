// Package cli is the statledger command line: one binary with noun–verb commands
// (`statledger query approve q-17`) for every role of the consortium. Each run acts as
// one identity, described by a profile file (package profile) that the environment and
// flags may override. Results go to stdout as a table or JSON (--output); errors are one
// line on stderr. Exit status: 0 on success, 1 on failure, 2 on a usage error.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/statledger/statledger/client/fabric"
	"github.com/statledger/statledger/client/ledgerapi"
	"github.com/statledger/statledger/client/profile"
)

// Exit statuses.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// usageError marks a mistake in the command line itself.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// app is the state one run of the command line shares between its commands.
type app struct {
	stdout, stderr io.Writer
	lookupEnv      func(string) (string, bool)

	profilePath string
	output      string
	peer        string

	log *slog.Logger
}

// Execute runs the command line with args (without the program name), writing results
// to stdout and diagnostics to stderr, reading STATLEDGER_* settings through lookupEnv,
// and returns the exit status.
func Execute(args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	a := &app{stdout: stdout, stderr: stderr, lookupEnv: lookupEnv,
		log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(stderr, "statledger: "+oneLine(err))
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return ExitUsage
	}
	return ExitFailure
}

// isCobraUsage reports errors that cobra itself returns for a bad command line.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "required flag(s)", "if any flags in the group", "unknown flag", "unknown shorthand flag"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// oneLine keeps an error to one line: gateway errors list each peer on its own line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "statledger",
		Short: "Privacy-preserving official statistics on a Hyperledger Fabric ledger",
		Long: `statledger lets data holders submit encrypted data, analysts request aggregate
statistics, consortium members approve them and decrypt the results together, and
regulators audit every step on the ledger.

Every command acts as the identity of a profile file (--profile, or STATLEDGER_PROFILE);
STATLEDGER_* variables and flags override its fields.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&a.profilePath, "profile", "", "profile file of the identity to act as (default $"+profile.EnvProfile+")")
	pf.StringVarP(&a.output, "output", "o", "", "output format: table or json (default: the profile's)")
	pf.StringVar(&a.peer, "peer", "", "peer gateway host:port (overrides the profile's peerEndpoint)")
	// `statledger audit` runs the audit itself; its subcommands are attached to it here.
	auditCmd := a.auditCommand()
	auditCmd.AddCommand(a.auditServeCommand())
	root.AddCommand(a.consortiumCommand(), a.datasetCommand(), a.queryCommand(), a.dataCommand(), a.synthCommand(), a.workerCommand(), a.decryptCommand(), a.keyholderCommand(), auditCmd)
	return root
}

// args wraps a cobra argument check so that a wrong number of arguments is a usage error.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// profile resolves the run's profile: the file, then the environment, then the flags.
func (a *app) profile() (profile.Profile, error) {
	path := a.profilePath
	if path == "" {
		path, _ = a.lookupEnv(profile.EnvProfile)
	}
	if path == "" {
		return profile.Profile{}, usageError{fmt.Errorf("no profile: pass --profile FILE or set %s", profile.EnvProfile)}
	}
	var flags []profile.Override
	if a.output != "" {
		flags = append(flags, profile.Override{Key: "output", Value: a.output, Source: "flag --output"})
	}
	if a.peer != "" {
		flags = append(flags, profile.Override{Key: "peerEndpoint", Value: a.peer, Source: "flag --peer"})
	}
	p, err := profile.Resolve(path, a.lookupEnv, flags...)
	if err != nil {
		if fromFlags(err) {
			return profile.Profile{}, usageError{err}
		}
		return profile.Profile{}, err
	}
	// The key share exists only after the key ceremony, and only key-holder commands
	// read it; they report a missing one themselves.
	if err := withoutField(p.CheckFiles(), "keySharePath"); err != nil {
		return profile.Profile{}, err
	}
	return p, nil
}

// fromFlags reports whether every problem in a joined profile error is a field that a
// flag set (--output, --peer): a mistake in the command line.
func fromFlags(err error) bool {
	for _, e := range unjoin(err) {
		var fe *profile.FieldError
		if !errors.As(e, &fe) || !strings.HasPrefix(fe.Source, "flag ") {
			return false
		}
	}
	return true
}

// withoutField drops the *profile.FieldError values of one field from a joined error.
func withoutField(err error, field string) error {
	if err == nil {
		return nil
	}
	var kept []error
	for _, e := range unjoin(err) {
		var fe *profile.FieldError
		if errors.As(e, &fe) && fe.Field == field {
			continue
		}
		kept = append(kept, e)
	}
	return errors.Join(kept...)
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// noun returns a command that only groups verbs: called alone or with an unknown verb,
// it is a usage error.
func noun(use, short string) *cobra.Command {
	return &cobra.Command{
		Use: use, Short: short, Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, rest []string) error {
			if len(rest) == 0 {
				return usageError{fmt.Errorf("%s needs a command; see %s --help", cmd.CommandPath(), cmd.CommandPath())}
			}
			return usageError{fmt.Errorf("unknown command %q for %s; see %s --help", rest[0], cmd.CommandPath(), cmd.CommandPath())}
		},
	}
}

// session is a connection to the ledger as the profile's identity.
type session struct {
	profile profile.Profile
	client  *fabric.Client
	api     *ledgerapi.API
}

func (s *session) Close() error { return s.client.Close() }

// connect resolves the profile and connects to its peer.
func (a *app) connect() (*session, error) {
	p, err := a.profile()
	if err != nil {
		return nil, err
	}
	c, err := fabric.Connect(fabric.Identity{
		MSPID: p.MSPID, CertFile: p.CertFile, KeyFile: p.KeyFile, PeerAddress: p.PeerEndpoint, TLSCAFile: p.TLSCAFile,
	}, fabric.Target{Channel: p.Channel, Chaincode: p.Chaincode})
	if err != nil {
		return nil, err
	}
	return &session{profile: p, client: c, api: ledgerapi.New(c)}, nil
}

// render writes v as indented JSON, or as the table that table writes.
func (a *app) render(format string, v any, table func(w io.Writer)) error {
	if format == "json" {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	table(tw)
	return tw.Flush()
}
