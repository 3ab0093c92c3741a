package records_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/statledger/statledger/client/records"
	"github.com/statledger/statledger/client/synth"
	"github.com/statledger/statledger/policies"
)

// benchAdmissions is the number of admissions each benchmark iteration reads.
const benchAdmissions = 100_000

func benchSchema(b *testing.B) policies.Schema {
	data, err := os.ReadFile("../../policies/healthcare/schema.yaml")
	if err != nil {
		b.Fatal(err)
	}
	s, err := policies.ParseSchema(data)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// benchRead reads benchAdmissions synthetic admissions in format f per iteration and
// reports records and megabytes per second.
func benchRead(b *testing.B, f records.Format) {
	s := benchSchema(b)
	var buf bytes.Buffer
	if err := synth.Generate(&buf, f, synth.Config{Seed: 1, Records: benchAdmissions}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	sink := int64(0)
	handler := func(codes []int, values []int64) error {
		sink += int64(codes[0]) + values[0]
		return nil
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n, err := records.Read(bytes.NewReader(data), f, s, handler)
		if err != nil || n != benchAdmissions {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(benchAdmissions)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	fmt.Fprint(io.Discard, sink)
}

// BenchmarkReadCSV reads 100,000 admissions of CSV per iteration. Goal: at least a million
// records a second on one core.
func BenchmarkReadCSV(b *testing.B) { benchRead(b, records.FormatCSV) }

// BenchmarkReadFHIRNDJSON reads 100,000 admissions (some 370,000 resources) of NDJSON per
// iteration.
func BenchmarkReadFHIRNDJSON(b *testing.B) { benchRead(b, records.FormatFHIRNDJSON) }

// BenchmarkReadFHIRBundle reads a Bundle of 100,000 admissions per iteration.
func BenchmarkReadFHIRBundle(b *testing.B) { benchRead(b, records.FormatFHIRBundle) }
