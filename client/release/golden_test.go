package release_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/client/release"
	"github.com/statledger/statledger/policies"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// goldenCases are releases that exercise every statistic and output control.
func goldenCases() map[string]release.Input {
	countBy := input(policies.Query{Statistic: policies.StatCount, GroupBy: []string{"region", "sex"}, Epsilon: 500_000},
		release.Cell{Codes: []string{"R1", "F"}, Count: 120},
		release.Cell{Codes: []string{"R1", "M"}, Count: 98},
		release.Cell{Codes: []string{"R2", "F"}, Count: 4}, // under the minimum: suppressed
		release.Cell{Codes: []string{"R2", "M"}, Count: 5}, // at the minimum: published
		release.Cell{Codes: []string{"R3", "F"}, Count: -2},
		release.Cell{Codes: []string{"R3", "M"}, Count: 61},
	)
	zeroMin := input(policies.Query{Statistic: policies.StatCount, GroupBy: []string{"sex"}, Epsilon: 500_000},
		release.Cell{Codes: []string{"M"}, Count: -3}, // negative: published as 0
		release.Cell{Codes: []string{"F"}, Count: 17},
	)
	zeroMin.Policy.MinCellCount = 0

	mean := input(policies.Query{Statistic: policies.StatMean, Measure: "lengthOfStay", GroupBy: []string{"region"},
		Filters: []policies.Filter{{Dimension: "sex", Codes: []string{"F"}}, {Dimension: "region", Codes: []string{"R3", "R1"}}}, Epsilon: 250_000},
		release.Cell{Codes: []string{"R3"}, Count: 8, Sum: 1},     // 0.125 rounds to 0.13
		release.Cell{Codes: []string{"R1"}, Count: 40, Sum: 2500}, // 62.5 clamped to 60
	)
	mean.Dataflow = release.Dataflow{Agency: "NSI.HEALTH", ID: "DF_ADMISSIONS", Version: "2.1.0"}

	variance := input(policies.Query{Statistic: policies.StatVariance, Measure: "balance", GroupBy: []string{"sex", "region"}, Epsilon: 500_000},
		release.Cell{Codes: []string{"F", "R1"}, Count: 3, Sum: -10, SumSq: 1000}, // suppressed
		release.Cell{Codes: []string{"F", "R2"}, Count: 6, Sum: -60, SumSq: 1200},
		release.Cell{Codes: []string{"F", "R3"}, Count: 7, Sum: 20, SumSq: 10},    // negative: 0.00
		release.Cell{Codes: []string{"M", "R1"}, Count: 9, Sum: 0, SumSq: 900000}, // over (200²)/4: 10000.00
		release.Cell{Codes: []string{"M", "R2"}, Count: 3, Sum: 1, SumSq: 5},      // suppressed
		release.Cell{Codes: []string{"M", "R3"}, Count: 11, Sum: -7, SumSq: 12345},
	)
	variance.Policy.MinCellCount = 5

	meanUndefined := input(policies.Query{Statistic: policies.StatMean, Measure: "balance", GroupBy: []string{"sex"}, Epsilon: 500_000},
		release.Cell{Codes: []string{"F"}, Count: 0, Sum: 12}, // no value: M
		release.Cell{Codes: []string{"M"}, Count: 3, Sum: -1}, // -0.333 rounds to -0.33
	)
	meanUndefined.Policy.MinCellCount = 0

	histogram := input(policies.Query{Statistic: policies.StatHistogram, Measure: "lengthOfStay", GroupBy: []string{"sex"}, Epsilon: 500_000},
		release.Cell{Codes: []string{"M"}, Bin: 3, Count: 7},
		release.Cell{Codes: []string{"M"}, Bin: 2, Count: 30},
		release.Cell{Codes: []string{"M"}, Bin: 1, Count: 45},
		release.Cell{Codes: []string{"M"}, Bin: 0, Count: 12},
		release.Cell{Codes: []string{"F"}, Bin: 0, Count: 9},
		release.Cell{Codes: []string{"F"}, Bin: 1, Count: 51},
		release.Cell{Codes: []string{"F"}, Bin: 2, Count: 26},
		release.Cell{Codes: []string{"F"}, Bin: 3, Count: 2},
	)

	exactSum := input(policies.Query{Statistic: policies.StatSum, Measure: "balance"},
		release.Cell{Count: 1000, Sum: -4321},
	)
	exactSum.Policy = exactPolicy()

	return map[string]release.Input{
		"count":          countBy,
		"count_zero_min": zeroMin,
		"mean":           mean,
		"mean_undefined": meanUndefined,
		"variance":       variance,
		"histogram":      histogram,
		"sum_exact":      exactSum,
	}
}

var extensions = map[release.Format]string{
	release.FormatTable:   "txt",
	release.FormatJSON:    "json",
	release.FormatCSV:     "csv",
	release.FormatSDMXCSV: "sdmx.csv",
}

func TestWriteMatchesGoldenFiles(t *testing.T) {
	for name, in := range goldenCases() {
		tab := build(t, in)
		for _, f := range release.Formats {
			t.Run(name+" as "+string(f), func(t *testing.T) {
				var buf bytes.Buffer
				require.NoError(t, tab.Write(&buf, f))
				path := filepath.Join("testdata", name+"."+extensions[f])
				if *update {
					require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
				}
				want, err := os.ReadFile(path)
				require.NoError(t, err, "run go test -update to create the golden files")
				require.Equal(t, string(want), buf.String())
			})
		}
		t.Run(name+" digest", func(t *testing.T) {
			path := filepath.Join("testdata", name+".digest")
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(tab.Digest()+"\n"), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, string(want), tab.Digest()+"\n", "the digest of a release must never change for the same input")
		})
	}
}
