package synth

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/statledger/statledger/client/records"
	"github.com/statledger/statledger/policies"
	"github.com/stretchr/testify/require"
)

var formats = []records.Format{records.FormatCSV, records.FormatFHIRBundle, records.FormatFHIRNDJSON}

// healthcareSchema returns the shipped healthcare schema.
func healthcareSchema(t testing.TB) policies.Schema {
	t.Helper()
	data, err := os.ReadFile("../../policies/healthcare/schema.yaml")
	require.NoError(t, err)
	s, err := policies.ParseSchema(data)
	require.NoError(t, err)
	return s
}

func generate(t testing.TB, f records.Format, cfg Config) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Generate(&buf, f, cfg))
	return buf.Bytes()
}

func TestTheSameSeedGivesTheSameBytes(t *testing.T) {
	for _, f := range formats {
		t.Run(string(f), func(t *testing.T) {
			cfg := Config{Seed: 42, Records: 500, Provider: "HospitalA"}
			a := generate(t, f, cfg)
			require.Equal(t, a, generate(t, f, cfg))
			cfg.Seed = 43
			require.NotEqual(t, a, generate(t, f, cfg))
		})
	}
}

// recordLine spells out one record as codes and values.
func recordLine(codes []string, values []int64) string {
	return fmt.Sprint(codes, values)
}

// readBack reads data in format f with the healthcare schema and returns its records.
func readBack(t *testing.T, data []byte, f records.Format, s policies.Schema) []string {
	t.Helper()
	var out []string
	n, err := records.Read(bytes.NewReader(data), f, s, func(codes []int, values []int64) error {
		names := make([]string, len(codes))
		for i, c := range codes {
			names[i] = s.Dimensions[i].Codes[c]
		}
		out = append(out, recordLine(names, values))
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, len(out), n)
	return out
}

func TestEveryFormatParsesBackToTheGeneratedAdmissions(t *testing.T) {
	s := healthcareSchema(t)
	cfg := Config{Seed: 7, Records: 3000, Provider: "HospitalB"}
	g, err := NewGenerator(cfg)
	require.NoError(t, err)
	var want []string
	for range cfg.Records {
		a := g.Next()
		want = append(want, recordLine(
			[]string{a.Patient.Region, a.AgeBand(), a.Patient.Sex, a.DiagnosisGroup},
			[]int64{int64(a.LengthOfStay), int64(a.Age), a.CostEUR()}))
	}
	for _, f := range formats {
		t.Run(string(f), func(t *testing.T) {
			got := readBack(t, generate(t, f, cfg), f, s)
			require.Len(t, got, cfg.Records)
			require.Equal(t, want, got)
		})
	}
}

func TestNoRecordsGiveAnEmptyButValidOutput(t *testing.T) {
	s := healthcareSchema(t)
	for _, f := range formats {
		t.Run(string(f), func(t *testing.T) {
			require.Empty(t, readBack(t, generate(t, f, Config{Seed: 1}), f, s))
		})
	}
}

func TestTheCodesAreThoseOfTheShippedSchema(t *testing.T) {
	s := healthcareSchema(t)
	var names []string
	for _, d := range s.Dimensions {
		names = append(names, d.Name)
	}
	for _, m := range s.Measures {
		names = append(names, m.Name)
	}
	require.Equal(t, strings.Join(names, ","), CSVHeader)

	region, _, _ := s.Dimension("region")
	require.Equal(t, region.Codes, regionCodes[:])
	ageBand, _, _ := s.Dimension("ageBand")
	var bands []string
	for _, b := range ageBands {
		bands = append(bands, b.code)
	}
	require.Equal(t, ageBand.Codes, bands)
	sex, _, _ := s.Dimension("sex")
	require.Equal(t, []string{"F", "M"}, sex.Codes)
	diag, _, _ := s.Dimension("diagnosisGroup")
	var codes []string
	for _, g := range groups {
		codes = append(codes, g.code)
	}
	require.Equal(t, diag.Codes, codes)

	// Every ICD-10 code falls in its own group.
	icd, err := records.ParseICD10Groups(diag.Codes)
	require.NoError(t, err)
	for i, g := range groups {
		list := g.icd10
		if g.code == "OTHER" {
			list = append(list, newbornCodes...)
		}
		for _, c := range list {
			idx, ok := icd.Index(c)
			require.True(t, ok, c)
			require.Equal(t, i, idx, c)
		}
	}
}

func TestDistributionsArePlausible(t *testing.T) {
	const n = 100_000
	g, err := NewGenerator(Config{Seed: 2026})
	require.NoError(t, err)
	var (
		female, readmissions, sameDay, over60Days, pregnancies int
		bands                                                  = map[string]int{}
		regions                                                = map[string]int{}
		losByBand                                              = map[string]float64{}
		ageSum, losSum, costSum, losSq, costSq, losCost        float64
		stays                                                  []int
	)
	for range n {
		a := g.Next()
		require.GreaterOrEqual(t, a.Age, 0)
		require.True(t, a.Discharged.After(a.Admitted))
		require.Equal(t, a.LengthOfStay, int(a.Discharged.Truncate(24*time.Hour).Sub(a.Admitted.Truncate(24*time.Hour)).Hours()/24))
		if a.Patient.Sex == "F" {
			female++
		}
		if !a.FirstAdmission {
			readmissions++
		}
		if a.DiagnosisGroup == "O00-O99" {
			pregnancies++
			require.Equal(t, "F", a.Patient.Sex)
			require.True(t, a.Age >= 15 && a.Age <= 49, a.Age)
		}
		bands[a.AgeBand()]++
		regions[a.Patient.Region]++
		losByBand[a.AgeBand()] += float64(a.LengthOfStay)
		if a.LengthOfStay == 0 {
			sameDay++
		}
		if a.LengthOfStay > 60 {
			over60Days++
		}
		stays = append(stays, a.LengthOfStay)
		l, c := float64(a.LengthOfStay), float64(a.CostEUR())
		ageSum += float64(a.Age)
		losSum += l
		costSum += c
		losSq += l * l
		costSq += c * c
		losCost += l * c
	}
	share := func(k int) float64 { return float64(k) / n }

	require.InDelta(t, 0.52, share(female), 0.01)
	require.InDelta(t, readmissionRate, share(readmissions), 0.01)
	for i, code := range regionCodes {
		require.InDelta(t, regionWeights[i]/100, share(regions[code]), 0.01, code)
	}
	// Skewed older: most admissions are of people of 60 or more.
	require.Greater(t, share(bands["60-74"]+bands["75+"]), 0.45)
	require.Greater(t, share(bands["75+"]), share(bands["15-29"]))
	require.InDelta(t, 56, ageSum/n, 4)
	require.InDelta(t, 0.04, share(pregnancies), 0.02)

	// Length of stay: log-normal-ish, median a few days, a long right tail, longer when old.
	slices.Sort(stays)
	require.InDelta(t, 4, stays[n/2], 1)
	require.Greater(t, stays[n*9/10], 2*stays[n/2])
	require.InDelta(t, 0.06, share(sameDay), 0.04)
	require.Greater(t, over60Days, 0)
	require.Less(t, share(over60Days), 0.01)
	require.Greater(t, losByBand["75+"]/float64(bands["75+"]), 1.5*losByBand["15-29"]/float64(bands["15-29"]))

	// Cost grows with the stay.
	cov := losCost/n - losSum/n*costSum/n
	corr := cov / math.Sqrt((losSq/n-losSum/n*losSum/n)*(costSq/n-costSum/n*costSum/n))
	require.Greater(t, corr, 0.7)
}

func TestConfigValidate(t *testing.T) {
	require.NoError(t, Config{}.Validate())
	require.NoError(t, Config{Seed: 1, Records: 10, Provider: "Hospital-A.1", Year: 1900}.Validate())
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"negative records", Config{Records: -1}},
		{"a provider with a space", Config{Provider: "Hospital A"}},
		{"a provider with a slash", Config{Provider: "a/b"}},
		{"a provider too long", Config{Provider: strings.Repeat("x", 33)}},
		{"a year too early", Config{Year: 1899}},
		{"a year too late", Config{Year: 10000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, tc.cfg.Validate(), ErrConfig)
			require.ErrorIs(t, Generate(io.Discard, records.FormatCSV, tc.cfg), ErrConfig)
			_, err := NewGenerator(tc.cfg)
			require.ErrorIs(t, err, ErrConfig)
		})
	}
}

func TestGenerateRefusesAnUnknownFormat(t *testing.T) {
	require.Error(t, Generate(io.Discard, records.Format("xml"), Config{Records: 1}))
	_, err := NewWriter(io.Discard, records.FormatCSV, "bad provider")
	require.ErrorIs(t, err, ErrConfig)
}

func TestGenerateReturnsTheWritersError(t *testing.T) {
	broken := errors.New("disk full")
	for _, f := range formats {
		t.Run(string(f), func(t *testing.T) {
			err := Generate(failingWriter{broken}, f, Config{Records: 10_000})
			require.ErrorIs(t, err, broken)
			if f != records.FormatFHIRNDJSON { // empty NDJSON writes nothing
				err = Generate(failingWriter{broken}, f, Config{Records: 0})
				require.ErrorIs(t, err, broken)
			}
		})
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestAdmissionRounding(t *testing.T) {
	for cents, want := range map[int64]int64{0: 0, 49: 0, 50: 1, 149: 1, 150: 2, -50: -1, -49: 0, 123456: 1235} {
		a := Admission{CostCents: cents}
		require.Equal(t, want, a.CostEUR(), cents)
	}
	for age, want := range map[int]string{0: "0-14", 14: "0-14", 15: "15-29", 74: "60-74", 75: "75+", 110: "75+"} {
		a := Admission{Age: age}
		require.Equal(t, want, a.AgeBand(), age)
	}
	require.Equal(t, "12.05", string(appendCents(nil, 1205)))
	require.Equal(t, "-0.07", string(appendCents(nil, -7)))
}

func TestProvidersDoNotShareIDs(t *testing.T) {
	a := generate(t, records.FormatFHIRNDJSON, Config{Seed: 1, Records: 3, Provider: "HospitalA"})
	b := generate(t, records.FormatFHIRNDJSON, Config{Seed: 1, Records: 3, Provider: "HospitalB"})
	require.Contains(t, string(a), `"id":"HospitalA-e1"`)
	require.Contains(t, string(b), `"id":"HospitalB-e1"`)
	require.NotContains(t, string(a), "HospitalB")
}

func BenchmarkGenerate(b *testing.B) {
	for _, f := range formats {
		b.Run(string(f), func(b *testing.B) {
			const n = 10_000
			for b.Loop() {
				if err := Generate(io.Discard, f, Config{Seed: 1, Records: n}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
