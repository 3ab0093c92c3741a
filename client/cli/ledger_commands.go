package cli

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/crypto/params"
	"github.com/statledger/statledger/policies"
)

// withSession connects, runs fn and closes the connection.
func (a *app) withSession(fn func(s *session) error) error {
	s, err := a.connect()
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(s)
}

func (a *app) consortiumCommand() *cobra.Command {
	c := noun("consortium", "The consortium: organisations, roles, key holders and threshold")
	show := &cobra.Command{
		Use: "show", Short: "Show the consortium record on the ledger", Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withSession(func(s *session) error {
				cons, err := s.api.GetConsortium(cmd.Context())
				if err != nil {
					return err
				}
				return a.render(s.profile.Output, cons, func(w io.Writer) {
					fmt.Fprintf(w, "consortium %s (version %d), threshold %d of %d key holders\n", cons.Name, cons.Version, cons.Threshold, len(cons.KeyHolders()))
					fmt.Fprintln(w, "ORG\tMSP ID\tROLES\tKEY HOLDER")
					for _, o := range cons.Orgs {
						fmt.Fprintf(w, "%s\t%s\t%s\t%v\n", o.Name, o.MSPID, joinRoles(o.Roles), o.KeyHolder)
					}
				})
			})
		},
	}
	c.AddCommand(show)
	c.AddCommand(a.keygenCommand())
	return c
}

func joinRoles(rs []ledger.Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}

func (a *app) datasetCommand() *cobra.Command {
	c := noun("dataset", "Register and inspect datasets")
	var in ledger.DatasetInput
	var schemaFile, policyFile string
	register := &cobra.Command{
		Use: "register", Short: "Register a dataset with its schema and restriction policy (analysts)", Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			schema, err := readDoc(schemaFile, policies.ParseSchema)
			if err != nil {
				return err
			}
			policy, err := readDoc(policyFile, policies.ParsePolicy)
			if err != nil {
				return err
			}
			if err := policy.ValidateFor(schema); err != nil {
				return err
			}
			// Sums of a query must stay exact: at most maxSubmissions submissions of at
			// most maxRecordsPerSubmission records each must fit the parameter set's
			// plaintext range.
			set, err := params.Named(in.ParamSetID)
			if err != nil {
				return err
			}
			if err := set.CheckCapacity(schema, policy.MaxRecordsPerSubmission, int64(policy.MaxSubmissions)); err != nil {
				return fmt.Errorf("%s: maxRecordsPerSubmission × maxSubmissions is too large for the schema's measure bounds: %w", policyFile, err)
			}
			in.Schema, in.Policy = schema, policy
			return a.withSession(func(s *session) error {
				ds, err := s.api.RegisterDataset(cmd.Context(), in)
				if err != nil {
					return err
				}
				return a.render(s.profile.Output, ds, func(w io.Writer) {
					fmt.Fprintf(w, "dataset %s registered (%s), tx %s\n", ds.ID, ds.Status, ds.TxID)
				})
			})
		},
	}
	f := register.Flags()
	f.StringVar(&in.ID, "id", "", "dataset ID (required)")
	f.StringVar(&in.Title, "title", "", "human-readable title")
	f.StringVar(&in.KeyID, "key", "", "ID of the collective key submissions are encrypted under (required)")
	f.StringVar(&in.ParamSetID, "params", "N14T58", "homomorphic parameter set")
	f.StringVar(&schemaFile, "schema", "", "schema file, YAML or JSON (required)")
	f.StringVar(&policyFile, "policy", "", "restriction policy file, YAML or JSON (required)")
	f.BoolVar(&in.RequireApproval, "require-approval", false, "members must approve the dataset before providers submit")
	for _, name := range []string{"id", "key", "schema", "policy"} {
		_ = register.MarkFlagRequired(name)
	}

	list := &cobra.Command{
		Use: "list", Short: "List datasets with their remaining privacy budget", Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withSession(func(s *session) error {
				var all []ledger.Dataset
				for bookmark := ""; ; {
					page, err := s.api.ListDatasets(cmd.Context(), bookmark)
					if err != nil {
						return err
					}
					all = append(all, page.Items...)
					if bookmark = page.Bookmark; bookmark == "" {
						break
					}
				}
				budgets := make([]ledger.Budget, len(all))
				for i, ds := range all {
					b, err := s.api.GetBudget(cmd.Context(), ds.ID)
					if err != nil {
						return err
					}
					budgets[i] = b
				}
				type row struct {
					Dataset ledger.Dataset `json:"dataset"`
					Budget  ledger.Budget  `json:"budget"`
				}
				rows := make([]row, len(all))
				for i := range all {
					rows[i] = row{all[i], budgets[i]}
				}
				return a.render(s.profile.Output, rows, func(w io.Writer) {
					fmt.Fprintln(w, "DATASET\tSTATUS\tEPSILON LEFT\tOF\tTITLE")
					for _, r := range rows {
						left := policies.Epsilon(r.Budget.TotalMicroEpsilon - r.Budget.SpentMicroEpsilon)
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.Dataset.ID, r.Dataset.Status, left, policies.Epsilon(r.Budget.TotalMicroEpsilon), r.Dataset.Title)
					}
				})
			})
		},
	}
	c.AddCommand(register, list)
	return c
}

// readDoc reads and parses a policy-package document file.
func readDoc[T any](path string, parse func([]byte) (T, error)) (T, error) {
	var zero T
	data, err := os.ReadFile(path)
	if err != nil {
		return zero, err
	}
	v, err := parse(data)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

func (a *app) queryCommand() *cobra.Command {
	c := noun("query", "Request, approve, follow and release statistics")
	c.AddCommand(a.queryRequestCommand(), a.queryStatusCommand(), a.queryListCommand(), a.queryReleaseCommand())
	for _, d := range []struct {
		verb, short string
		call        func(s *session, cmd *cobra.Command, id, reason string) (ledger.Query, error)
	}{
		{"approve", "Approve a pending query (members)", func(s *session, cmd *cobra.Command, id, r string) (ledger.Query, error) {
			return s.api.ApproveQuery(cmd.Context(), id, r)
		}},
		{"reject", "Reject a pending query with a reason (members)", func(s *session, cmd *cobra.Command, id, r string) (ledger.Query, error) {
			return s.api.RejectQuery(cmd.Context(), id, r)
		}},
		{"cancel", "Cancel your own query before decryption starts (analysts)", func(s *session, cmd *cobra.Command, id, r string) (ledger.Query, error) {
			return s.api.CancelQuery(cmd.Context(), id, r)
		}},
	} {
		var reason string
		cmd := &cobra.Command{
			Use: d.verb + " QUERY-ID", Short: d.short, Args: args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, ids []string) error {
				return a.withSession(func(s *session) error {
					q, err := d.call(s, cmd, ids[0], reason)
					if err != nil {
						return err
					}
					return a.render(s.profile.Output, q, func(w io.Writer) { printQuery(w, q) })
				})
			},
		}
		cmd.Flags().StringVar(&reason, "reason", "", "reason recorded on the ledger")
		if d.verb != "approve" {
			_ = cmd.MarkFlagRequired("reason")
		}
		c.AddCommand(cmd)
	}
	return c
}

func (a *app) queryRequestCommand() *cobra.Command {
	var in ledger.QueryInput
	var file, statistic, epsilon, keyPath string
	var filters []string
	cmd := &cobra.Command{
		Use:   "request",
		Short: "Request a statistic of a dataset (analysts)",
		Long: `Request a statistic, from a query file (--file, YAML or JSON) or from flags.
A request resent with the same --idempotency-key returns the first request's query and
spends nothing twice; without the flag a new key is drawn and printed.
The result will be re-encrypted to this analyst's own key pair (made and sealed on first
use; STATLEDGER_KEY_SHARE_IDENTITY_FILE or _PASSPHRASE_FILE protects it) and decrypted
by the --decryptors.`,
		Example: `  statledger query request --dataset admissions-2026 --period 2026-Q3 \
    --statistic mean --measure lengthOfStay --group-by region,sex --filter ageBand=65-74,75+ --epsilon 0.5`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			spec, err := querySpec(file, statistic, epsilon, filters, in.Spec)
			if err != nil {
				return err
			}
			in.Spec = spec
			if in.IdempotencyKey == "" {
				in.IdempotencyKey = newKey()
			}
			return a.withStore(func(s *session, store *blobstore.Bucket) error {
				if err := a.requestKeys(cmd.Context(), s, store, &in, keyPath); err != nil {
					return err
				}
				q, err := s.api.RequestQuery(cmd.Context(), in)
				if err != nil {
					return err
				}
				return a.render(s.profile.Output, q, func(w io.Writer) { printQuery(w, q) })
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.DatasetID, "dataset", "", "dataset ID (required)")
	f.StringVar(&in.Period, "period", "", "reporting period of the submissions to use (default: all live ones)")
	f.StringVar(&in.IdempotencyKey, "idempotency-key", "", "key that makes a resent request harmless")
	f.StringVar(&file, "file", "", "query file (YAML or JSON); excludes the flags below")
	f.StringVar(&statistic, "statistic", "", "count, sum, mean, variance or histogram")
	f.StringVar(&in.Spec.Measure, "measure", "", "measure for sum, mean, variance and histogram")
	f.StringSliceVar(&in.Spec.GroupBy, "group-by", nil, "dimensions to group by, comma-separated")
	f.StringArrayVar(&filters, "filter", nil, "dimension=code[,code...] (repeatable)")
	f.StringVar(&epsilon, "epsilon", "", "privacy loss the query spends (decimal)")
	f.StringSliceVar(&in.Decryptors, "decryptors", nil, "MSP IDs of the t key holders that will decrypt (default: the first t of the dataset's key)")
	f.StringVar(&keyPath, "analyst-key", "", "sealed analyst key pair, made on first use (default: <profile name>.analyst.key beside the profile)")
	_ = cmd.MarkFlagRequired("dataset")
	cmd.MarkFlagsMutuallyExclusive("file", "statistic")
	return cmd
}

// querySpec builds the query from a file or from flags, and validates it.
func querySpec(file, statistic, epsilon string, filters []string, spec policies.Query) (policies.Query, error) {
	if file != "" {
		return readDoc(file, policies.ParseQuery)
	}
	if statistic == "" || epsilon == "" {
		return policies.Query{}, usageError{fmt.Errorf("pass --file, or --statistic and --epsilon")}
	}
	spec.Statistic = policies.Statistic(statistic)
	eps, err := policies.ParseEpsilon(epsilon)
	if err != nil {
		return policies.Query{}, usageError{fmt.Errorf("--epsilon: %w", err)}
	}
	spec.Epsilon = eps
	for _, f := range filters {
		dim, codes, ok := strings.Cut(f, "=")
		if !ok || dim == "" || codes == "" {
			return policies.Query{}, usageError{fmt.Errorf("--filter %q: want dimension=code[,code...]", f)}
		}
		spec.Filters = append(spec.Filters, policies.Filter{Dimension: dim, Codes: strings.Split(codes, ",")})
	}
	if spec.GroupBy == nil {
		spec.GroupBy = []string{}
	}
	if err := spec.Validate(); err != nil {
		// Every field came from a flag: a bad one is a mistake in the command line.
		return policies.Query{}, usageError{err}
	}
	return spec, nil
}

func newKey() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "k-" + hex.EncodeToString(b)
}

func (a *app) queryStatusCommand() *cobra.Command {
	return &cobra.Command{
		Use: "status QUERY-ID", Short: "Show a query: approvals, frozen inputs, results, shares and release", Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, ids []string) error {
			return a.withSession(func(s *session) error {
				q, err := s.api.GetQuery(cmd.Context(), ids[0])
				if err != nil {
					return err
				}
				return a.render(s.profile.Output, q, func(w io.Writer) { printQuery(w, q) })
			})
		},
	}
}

func (a *app) queryListCommand() *cobra.Command {
	var datasetID string
	cmd := &cobra.Command{
		Use: "list", Short: "List a dataset's queries", Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withSession(func(s *session) error {
				// An unknown dataset has no queries either: say it is unknown.
				if _, err := s.api.GetDataset(cmd.Context(), datasetID); err != nil {
					return err
				}
				var all []ledger.Query
				for bookmark := ""; ; {
					page, err := s.api.ListQueries(cmd.Context(), datasetID, bookmark)
					if err != nil {
						return err
					}
					all = append(all, page.Items...)
					if bookmark = page.Bookmark; bookmark == "" {
						break
					}
				}
				return a.render(s.profile.Output, all, func(w io.Writer) {
					fmt.Fprintln(w, "QUERY\tSTATUS\tSTATISTIC\tGROUP BY\tEPSILON\tREQUESTER")
					for _, q := range all {
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", q.ID, q.Status, describeStatistic(q.Spec), strings.Join(q.Spec.GroupBy, ","), q.Spec.Epsilon, q.Requester)
					}
				})
			})
		},
	}
	cmd.Flags().StringVar(&datasetID, "dataset", "", "dataset ID (required)")
	_ = cmd.MarkFlagRequired("dataset")
	return cmd
}

func describeStatistic(q policies.Query) string {
	if q.Measure == "" {
		return string(q.Statistic)
	}
	return fmt.Sprintf("%s(%s)", q.Statistic, q.Measure)
}

func printQuery(w io.Writer, q ledger.Query) {
	fmt.Fprintf(w, "query\t%s\n", q.ID)
	fmt.Fprintf(w, "status\t%s\n", q.Status)
	if q.StatusReason != "" {
		fmt.Fprintf(w, "reason\t%s\n", q.StatusReason)
	}
	fmt.Fprintf(w, "dataset\t%s %s\n", q.DatasetID, q.Period)
	fmt.Fprintf(w, "statistic\t%s by [%s], %d cells, epsilon %s\n", describeStatistic(q.Spec), strings.Join(q.Spec.GroupBy, ","), q.Cells, q.Spec.Epsilon)
	fmt.Fprintf(w, "requester\t%s (idempotency key %s)\n", q.Requester, q.IdempotencyKey)
	for _, ap := range q.Approvals {
		fmt.Fprintf(w, "decision\t%s %s %s\n", ap.MSPID, ap.Decision, ap.Reason)
	}
	if len(q.SubmissionIDs) > 0 {
		fmt.Fprintf(w, "inputs\t%d submissions, %d ciphertexts\n", len(q.SubmissionIDs), len(q.InputDigests))
	}
	if q.OutputDigest != "" {
		fmt.Fprintf(w, "output\t%s\n", q.OutputDigest)
	}
	if len(q.ShareOrgs) > 0 {
		fmt.Fprintf(w, "shares\t%s\n", strings.Join(q.ShareOrgs, ","))
	}
	if q.ReleaseDigest != "" {
		fmt.Fprintf(w, "release\t%s\n", q.ReleaseDigest)
	}
}
