package synth

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

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
