package cube

import (
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/statledger/statledger/policies"
)

// BenchmarkAdd1MRecords measures the provider's local aggregation in plain Go: one
// million clipped records of the shipped healthcare schema into its cube (goal: at least
// one million records per second per core).
func BenchmarkAdd1MRecords(b *testing.B) {
	data, err := os.ReadFile("../../policies/healthcare/schema.yaml")
	if err != nil {
		b.Fatal(err)
	}
	s, err := policies.ParseSchema(data)
	if err != nil {
		b.Fatal(err)
	}
	l, err := NewLayout(s, 8192)
	if err != nil {
		b.Fatal(err)
	}
	const n = 1_000_000
	nd, nm := len(s.Dimensions), len(s.Measures)
	rng := rand.New(rand.NewPCG(1, 2))
	codes := make([]int, n*nd)
	values := make([]int64, n*nm)
	for i := range n {
		for d, dim := range s.Dimensions {
			codes[i*nd+d] = rng.IntN(len(dim.Codes))
		}
		for m, meas := range s.Measures {
			values[i*nm+m] = meas.Min + rng.Int64N(meas.Max-meas.Min+1)
		}
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		c := l.NewCube(testT / 4)
		for i := range n {
			if err := c.Add(codes[i*nd:(i+1)*nd], values[i*nm:(i+1)*nm]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "records/s")
}
