package encrypt_test

import (
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"

	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/encrypt"
	"github.com/statledger/statledger/crypto/params"
	"github.com/statledger/statledger/policies"
)

// BenchmarkIngest1MRecords measures a provider's ingest under the production set, from
// one million parsed records of the shipped healthcare schema to the encrypted,
// serialised submission: aggregation into the cube in plain Go, then encoding and
// public-key encryption. It reports the end-to-end rate and each stage separately.
func BenchmarkIngest1MRecords(b *testing.B) {
	set := params.MustNamed(params.N14T58)
	data, err := os.ReadFile("../../policies/healthcare/schema.yaml")
	if err != nil {
		b.Fatal(err)
	}
	s, err := policies.ParseSchema(data)
	if err != nil {
		b.Fatal(err)
	}
	l, err := cube.NewLayout(s, set.RowSlots())
	if err != nil {
		b.Fatal(err)
	}
	kg := rlwe.NewKeyGenerator(set.RLWE())
	enc, err := encrypt.New(set, l, kg.GenPublicKeyNew(kg.GenSecretKeyNew()))
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
	var tAgg, tEnc time.Duration
	var size int
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		c := l.NewCube(set.MaxAggregate())
		for i := range n {
			if err := c.Add(codes[i*nd:(i+1)*nd], values[i*nm:(i+1)*nm]); err != nil {
				b.Fatal(err)
			}
		}
		mid := time.Now()
		blob, err := enc.Encrypt(c)
		if err != nil {
			b.Fatal(err)
		}
		tEnc += time.Since(mid)
		tAgg += mid.Sub(start)
		size = len(blob)
	}
	records := float64(n * b.N)
	b.ReportMetric(records/(tAgg+tEnc).Seconds(), "records/s")
	b.ReportMetric(records/tAgg.Seconds(), "aggregate-records/s")
	b.ReportMetric(float64(tEnc.Milliseconds())/float64(b.N), "encrypt-ms")
	b.ReportMetric(float64(l.Ciphertexts()), "ciphertexts")
	b.ReportMetric(float64(size), "submission-bytes")
}
