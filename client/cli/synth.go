package cli

import (
	"bufio"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/statledger/statledger/client/records"
	"github.com/statledger/statledger/client/synth"
)

func (a *app) synthCommand() *cobra.Command {
	var cfg synth.Config
	var format, out string
	cmd := &cobra.Command{
		Use:   "synth",
		Short: "Write seeded synthetic hospital admissions as CSV or FHIR (for demos and tests)",
		Long: `Write synthetic hospital admissions for the shipped healthcare schema: the same seed
gives the same records. No profile is needed.`,
		Example: `  statledger synth --records 300000 --seed 1 --provider HospitalA --out hospital-a.csv
  statledger synth --records 1000 --format fhir-ndjson > admissions.ndjson`,
		Args: args(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			f, err := records.ParseFormat(format)
			if err != nil {
				return usageError{err}
			}
			if err := cfg.Validate(); err != nil {
				return usageError{err}
			}
			w := a.stdout
			var file *os.File
			if out != "" && out != "-" {
				if file, err = os.Create(out); err != nil {
					return err
				}
				w = file
			}
			bw := bufio.NewWriterSize(w, 1<<20)
			err = synth.Generate(bw, f, cfg)
			if err == nil {
				err = bw.Flush()
			}
			if file != nil {
				if cerr := file.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					_ = os.Remove(out)
				}
			}
			if err != nil {
				return fmt.Errorf("write synthetic records: %w", err)
			}
			if file != nil {
				fmt.Fprintf(a.stderr, "wrote %d %s records to %s\n", cfg.Records, f, out)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&cfg.Records, "records", 1000, "number of admissions")
	fl.Uint64Var(&cfg.Seed, "seed", 1, "random seed")
	fl.StringVar(&cfg.Provider, "provider", synth.DefaultProvider, "provider name used in FHIR resource ids")
	fl.IntVar(&cfg.Year, "year", synth.DefaultYear, "calendar year of the admissions")
	fl.StringVar(&format, "format", string(records.FormatCSV), "csv, fhir-bundle or fhir-ndjson")
	fl.StringVar(&out, "out", "", "output file (default: standard output)")
	return cmd
}
