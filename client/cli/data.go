package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"golang.org/x/term"

	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/keyceremony"
	"github.com/statledger/statledger/client/records"
	"github.com/statledger/statledger/client/submit"
	"github.com/statledger/statledger/crypto/params"
)

func (a *app) dataCommand() *cobra.Command {
	c := noun("data", "Submit a provider's records, encrypted")
	var datasetID, period, file, format string
	sub := &cobra.Command{
		Use:   "submit",
		Short: "Aggregate records into the dataset's cube, encrypt it under the collective key and submit it (providers)",
		Long: `Read the provider's records (CSV, FHIR R4 Bundle JSON or FHIR NDJSON), clip each measure to
its bounds, aggregate them locally into the dataset's cube, encrypt the cube under the
consortium's collective public key, upload the ciphertext to the blob store and register
its digest on the ledger. The records never leave this machine. A new submission for the
same dataset and period supersedes the provider's previous one.`,
		Example: `  statledger data submit --dataset admissions-2026 --period 2026-Q3 --file admissions.csv`,
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "dataset", "period", "file"); err != nil {
				return err
			}
			f, err := os.Open(file)
			if err != nil {
				return err
			}
			defer f.Close()
			in := bufio.NewReaderSize(a.progress(f, "reading "+filepath.Base(file)), 1<<20)
			fmtOf := records.FormatOf(file, in)
			if format != "" {
				if fmtOf, err = records.ParseFormat(format); err != nil {
					return usageError{err}
				}
			}
			return a.withStore(func(s *session, store *blobstore.Bucket) error {
				p := submit.Provider{Ledger: s.api, Store: store, Keys: ceremonyPublicKeys{ledger: s.api, store: store}}
				sub, st, err := p.Submit(cmd.Context(), submit.Request{DatasetID: datasetID, Period: period, Records: in, Format: fmtOf})
				if err != nil {
					return fmt.Errorf("%s: %w", file, err)
				}
				return a.render(s.profile.Output, map[string]any{"submission": sub, "records": st.Records, "bytes": st.Bytes,
					"aggregateSeconds": st.Aggregate.Seconds(), "encryptSeconds": st.Encryption.Seconds()}, func(w io.Writer) {
					fmt.Fprintf(w, "submission\t%s (%s)\n", sub.ID, sub.Status)
					if sub.Supersedes != "" {
						fmt.Fprintf(w, "supersedes\t%s\n", sub.Supersedes)
					}
					fmt.Fprintf(w, "records\t%d, aggregated in %s\n", st.Records, st.Aggregate.Round(time.Millisecond))
					fmt.Fprintf(w, "ciphertext\t%d bytes, encrypted in %s\n", st.Bytes, st.Encryption.Round(time.Millisecond))
					for _, ct := range sub.Ciphertexts {
						fmt.Fprintf(w, "digest\t%s\n", ct.Digest)
					}
					fmt.Fprintf(w, "tx\t%s\n", sub.TxID)
				})
			})
		},
	}
	fl := sub.Flags()
	fl.StringVar(&datasetID, "dataset", "", "dataset ID (required)")
	fl.StringVar(&period, "period", "", "reporting period, such as 2026-Q3 (required)")
	fl.StringVar(&file, "file", "", "records file (required)")
	fl.StringVar(&format, "format", "", "csv, fhir-bundle or fhir-ndjson (default: from the file name and content)")
	c.AddCommand(sub)
	return c
}

// progress shows a progress bar of the bytes read from f when stderr is a terminal, and
// returns f unchanged otherwise.
func (a *app) progress(f *os.File, what string) io.Reader {
	out, ok := a.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(out.Fd())) {
		return f
	}
	info, err := f.Stat()
	if err != nil {
		return f
	}
	bar := progressbar.NewOptions64(info.Size(), progressbar.OptionSetWriter(out), progressbar.OptionShowBytes(true),
		progressbar.OptionSetDescription(what), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
	r := progressbar.NewReader(f, bar)
	return &r
}

// requireFlags returns a usage error naming the flags among names that were not given.
func requireFlags(cmd *cobra.Command, names ...string) error {
	var missing []string
	for _, n := range names {
		if !cmd.Flags().Changed(n) {
			missing = append(missing, "--"+n)
		}
	}
	if len(missing) > 0 {
		return usageError{fmt.Errorf("%s needs %v", cmd.CommandPath(), missing)}
	}
	return nil
}

// ceremonyPublicKeys gives providers the collective public key that the key ceremony
// published, checked against the ledger's record (see keyceremony.Load).
type ceremonyPublicKeys struct {
	ledger keyceremony.KeyReader
	store  keyceremony.BlobReader
}

var _ submit.Keys = ceremonyPublicKeys{}

func (k ceremonyPublicKeys) PublicKey(ctx context.Context, keyID string) (*params.Set, *rlwe.PublicKey, error) {
	ks, err := keyceremony.Load(ctx, k.ledger, k.store, keyID, keyceremony.WithoutEvaluationKeys())
	if err != nil {
		return nil, nil, err
	}
	return ks.Set(), ks.PublicKey(), nil
}
