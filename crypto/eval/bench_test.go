package eval_test

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"

	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/encrypt"
	"github.com/statledger/statledger/crypto/eval"
	"github.com/statledger/statledger/crypto/params"
	"github.com/statledger/statledger/policies"
)

// prodSet is the production parameter set the benchmarks measure.
var prodSet = params.MustNamed(params.N14T58)

// benchSubmissions holds up to 1,000 distinct one-ciphertext submissions of
// aggLayout under prodSet (786,512 bytes each), built once per process.
var (
	benchOnce   sync.Once
	benchInputs []eval.Input
	aggLayout   *cube.Layout
)

// aggregationInputs returns n distinct submissions: one real encryption's header and
// payloads of uniformly random coefficients below each prime (what fresh ciphertexts
// look like), each with its digest.
func aggregationInputs(b *testing.B, n int) []eval.Input {
	benchOnce.Do(func() {
		var err error
		aggLayout, err = cube.NewLayout(policies.Schema{
			Dimensions: []policies.Dimension{{Name: "region", Codes: []string{"R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8"}}},
			Measures:   []policies.Measure{{Name: "age", Min: 0, Max: 110}},
		}, prodSet.RowSlots())
		require.NoError(b, err)
		kg := rlwe.NewKeyGenerator(prodSet.RLWE())
		enc, err := encrypt.New(prodSet, aggLayout, kg.GenPublicKeyNew(kg.GenSecretKeyNew()))
		require.NoError(b, err)
		blob, err := enc.Encrypt(aggLayout.NewCube(prodSet.MaxAggregate()))
		require.NoError(b, err)
		q := prodSet.BGV().Q()
		rows := (len(blob) - codec.HeaderSize) / 8 / prodSet.N()
		rng := rand.New(rand.NewPCG(1, 2))
		benchInputs = make([]eval.Input, 1000)
		for i := range benchInputs {
			data := make([]byte, len(blob))
			copy(data, blob[:codec.HeaderSize])
			for r := range rows {
				m := q[r%len(q)]
				off := codec.HeaderSize + 8*r*prodSet.N()
				for j := range prodSet.N() {
					v := rng.Uint64N(m)
					for k := range 8 {
						data[off+8*j+k] = byte(v >> (8 * k))
					}
				}
			}
			benchInputs[i] = eval.Input{Data: data, Digest: sha256.Sum256(data)}
		}
	})
	return benchInputs[:n]
}

// parallelPass runs f over the inputs on workers goroutines (inputs split by index)
// and returns the time it took.
func parallelPass(inputs []eval.Input, workers int, f func(w int, data []byte)) time.Duration {
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(inputs); i += workers {
				f(w, inputs[i].Data)
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// BenchmarkAggregate measures Sum (SHA-256 verification, strict decoding and exact
// modular addition) of 100 and 1,000 production-size submissions on all cores, next to
// the SHA-256 and memory-copy rates of the same bytes on the same number of cores. Each
// iteration runs one pass of each, interleaved, so that a busy machine slows all of
// them alike; the figures are medians over the iterations, and ratio is the median of
// each iteration's aggregation rate over min(SHA-256, copy).
func BenchmarkAggregate(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("submissions=%d", n), func(b *testing.B) {
			inputs := aggregationInputs(b, n)
			workers := runtime.GOMAXPROCS(0)
			size := len(inputs[0].Data)
			total := float64(size * n)
			dst := make([][]byte, workers)
			for w := range dst {
				dst[w] = make([]byte, size)
			}
			gbs := func(d time.Duration) float64 { return total / d.Seconds() / 1e9 }
			var agg, sha, sha1, cp, ratio []float64
			b.SetBytes(int64(total))
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				s := gbs(parallelPass(inputs, workers, func(_ int, d []byte) { sha256.Sum256(d) }))
				s1 := gbs(parallelPass(inputs, 1, func(_ int, d []byte) { sha256.Sum256(d) }))
				c := gbs(parallelPass(inputs, workers, func(w int, d []byte) { copy(dst[w], d) }))
				b.StartTimer()
				start := time.Now()
				if _, err := eval.Sum(prodSet, aggLayout, inputs, workers); err != nil {
					b.Fatal(err)
				}
				a := gbs(time.Since(start))
				agg, sha, sha1, cp = append(agg, a), append(sha, s), append(sha1, s1), append(cp, c)
				ratio = append(ratio, a/min(s, c))
			}
			b.ReportMetric(median(agg), "agg-GB/s")
			b.ReportMetric(median(sha), "sha256-GB/s")
			b.ReportMetric(median(sha1), "sha256-1core-GB/s")
			b.ReportMetric(median(cp), "memcopy-GB/s")
			b.ReportMetric(median(ratio), "ratio")
			b.ReportMetric(float64(workers), "cores")
			b.ReportMetric(float64(size), "submission-bytes")
		})
	}
}

// median returns the median of v (which it sorts).
func median(v []float64) float64 {
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// healthcareSchema is the shipped healthcare schema (2 ciphertexts per submission at
// N = 2^14).
func healthcareSchema(b *testing.B) policies.Schema {
	data, err := os.ReadFile("../../policies/healthcare/schema.yaml")
	require.NoError(b, err)
	s, err := policies.ParseSchema(data)
	require.NoError(b, err)
	return s
}

// BenchmarkEvaluate measures the evaluation of healthcare queries on an aggregated cube
// under the production set (rotations, mask, rescale and result encoding), excluding
// the sum of submissions.
func BenchmarkEvaluate(b *testing.B) {
	l, err := cube.NewLayout(healthcareSchema(b), prodSet.RowSlots())
	require.NoError(b, err)
	kg := rlwe.NewKeyGenerator(prodSet.RLWE())
	sk, pk := kg.GenKeyPairNew()
	ev, err := eval.NewEvaluator(prodSet, l, rlwe.NewMemEvaluationKeySet(nil, kg.GenGaloisKeysNew(prodSet.GaloisElements(), sk)...))
	require.NoError(b, err)
	enc, err := encrypt.New(prodSet, l, pk)
	require.NoError(b, err)
	c := l.NewCube(prodSet.MaxAggregate())
	require.NoError(b, c.Add([]int{1, 2, 0, 3}, []int64{5, 40, 3000}))
	sum, err := enc.EncryptCiphertexts(c)
	require.NoError(b, err)
	f := func(dim string, codes ...string) policies.Filter {
		return policies.Filter{Dimension: dim, Codes: codes}
	}
	for _, tc := range []struct {
		name string
		q    policies.Query
	}{
		{"count", policies.Query{Statistic: policies.StatCount}},
		{"count by region", policies.Query{Statistic: policies.StatCount, GroupBy: []string{"region"}}},
		{"mean stay by ageBand and sex", policies.Query{Statistic: policies.StatMean, Measure: "lengthOfStay", GroupBy: []string{"ageBand", "sex"}}},
		{"variance cost by diagnosisGroup filtered", policies.Query{Statistic: policies.StatVariance, Measure: "costEUR", GroupBy: []string{"diagnosisGroup"}, Filters: []policies.Filter{f("region", "R01", "R02", "R03"), f("sex", "F")}}},
		{"histogram stay by region", policies.Query{Statistic: policies.StatHistogram, Measure: "lengthOfStay", GroupBy: []string{"region"}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			plan, err := l.Plan(tc.q)
			require.NoError(b, err)
			var size int
			b.ResetTimer()
			for range b.N {
				outs, err := ev.Evaluate(plan, sum)
				if err != nil {
					b.Fatal(err)
				}
				data, err := eval.EncodeResult(prodSet, plan, outs)
				if err != nil {
					b.Fatal(err)
				}
				size = len(data)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/query")
			b.ReportMetric(float64(size), "result-bytes")
			b.ReportMetric(float64(len(plan.Output.Cells)), "cells")
		})
	}
}
