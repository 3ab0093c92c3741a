package release_test

import (
	"bytes"
	"testing"

	"github.com/statledger/statledger/client/release"
	"github.com/statledger/statledger/policies"
)

// FuzzNew feeds arbitrary decrypted components to every statistic: New and every writer
// must never panic, and a valid input must always give a table.
func FuzzNew(f *testing.F) {
	f.Add(int64(10), int64(20), int64(50), 1, int64(5))
	f.Add(int64(-1), int64(-9_000_000_000_000_000_000), int64(9_000_000_000_000_000_000), 0, int64(0))
	f.Add(int64(9_223_372_036_854_775_807), int64(-9_223_372_036_854_775_808), int64(-1), 3, int64(1_000_000_000))
	f.Fuzz(func(t *testing.T, count, sum, sumSq int64, bin int, minCell int64) {
		if minCell < 0 || minCell > policies.MaxMinCellCount {
			return
		}
		for _, q := range []policies.Query{
			{Statistic: policies.StatCount, Epsilon: 500_000},
			{Statistic: policies.StatSum, Measure: "balance", Epsilon: 500_000},
			{Statistic: policies.StatMean, Measure: "lengthOfStay", Epsilon: 500_000},
			{Statistic: policies.StatVariance, Measure: "balance", Epsilon: 500_000},
		} {
			c := release.Cell{Count: count}
			if q.Statistic != policies.StatCount {
				c.Sum = sum
			}
			if q.Statistic == policies.StatVariance {
				c.SumSq = sumSq
			}
			in := input(q, c)
			in.Policy.MinCellCount = minCell
			tab, err := release.New(in)
			if err != nil {
				t.Fatalf("%s: %v", q.Statistic, err)
			}
			for _, f := range release.Formats {
				if err := tab.Write(&bytes.Buffer{}, f); err != nil {
					t.Fatal(err)
				}
			}
		}
		in := input(policies.Query{Statistic: policies.StatHistogram, Measure: "lengthOfStay", Epsilon: 500_000},
			release.Cell{Bin: 0}, release.Cell{Bin: 1}, release.Cell{Bin: 2}, release.Cell{Bin: bin, Count: count})
		_, err := release.New(in)
		if (bin == 3) != (err == nil) {
			t.Fatalf("bin %d: %v", bin, err)
		}
	})
}
