package dp

import (
	"crypto/rand"
	"testing"
)

// BenchmarkSampleShare measures one holder's sampling rate from crypto/rand at the
// scales of a count, a sum and a sum of squares (1024 values per operation).
func BenchmarkSampleShare(b *testing.B) {
	cases := []struct {
		name        string
		sensitivity int64
	}{
		{"count_1024", 1},
		{"sum_bound1000_1024", 1000},
		{"sumsq_bound10000_1024", 100_000_000},
	}
	for _, c := range cases {
		n, err := Calibrate(c.sensitivity, 1e6, 1e-9, 3)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			const count = 1024
			for b.Loop() {
				if _, err := n.SampleShare(rand.Reader, count); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*count/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// BenchmarkCalibrate measures the calibration search.
func BenchmarkCalibrate(b *testing.B) {
	for b.Loop() {
		if _, err := Calibrate(1000, 500_000, 1e-9, 5); err != nil {
			b.Fatal(err)
		}
	}
}
