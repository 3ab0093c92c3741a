package decrypt

import (
	"crypto/rand"
	"crypto/sha256"
	mrand "math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/crypto/dp"
	"github.com/statledger/statledger/crypto/params"
)

// benchRequest is a 3-of-5 request at production parameters for one result ciphertext,
// with noise on in 1,000 slots.
func benchRequest(b *testing.B) (*fixture, Request) {
	f := testFixture(b, params.N14T58, 5, 3)
	result, digest := f.result(b, randomValues(mrand.New(mrand.NewPCG(1, 1)), f.set, 1, 1<<40))
	noise, err := dp.Calibrate(365, 1_000_000, 1e-6, 3)
	require.NoError(b, err)
	slots := make([]int, 1000)
	for i := range slots {
		slots[i] = 16 * i
	}
	return f, Request{ResultDigest: digest, Result: result, Analyst: f.analyst.PublicKey(), Active: []int{1, 2, 3},
		Noise: &noise, NoiseSlots: [][]int{slots}}
}

// BenchmarkShareN14T58 is one holder's decryption share of one result ciphertext:
// additive share, public-key switch with σ = 2^52 smudging, 1,000 DP noise values,
// encoding, journal record (in memory).
func BenchmarkShareN14T58(b *testing.B) {
	f, req := benchRequest(b)
	var size int
	b.ResetTimer()
	for range b.N {
		s, err := NewShare(f.cer.ThresholdKeys[0], req, NewMemJournal(), rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		size = len(s)
	}
	b.ReportMetric(float64(size), "share-bytes")
}

// BenchmarkParseShareN14T58 is the strict decoding of one share, digest check included.
func BenchmarkParseShareN14T58(b *testing.B) {
	f, req := benchRequest(b)
	s, err := NewShare(f.cer.ThresholdKeys[0], req, NewMemJournal(), rand.Reader)
	require.NoError(b, err)
	d := sha256.Sum256(s)
	b.SetBytes(int64(len(s)))
	b.ResetTimer()
	for range b.N {
		if _, err := ParseShare(f.set, s, &d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCombineDecryptN14T58 combines 3 shares of one result ciphertext and
// decrypts and decodes it with the analyst's key.
func BenchmarkCombineDecryptN14T58(b *testing.B) {
	f, req := benchRequest(b)
	_, shares := f.shares(b, req, seeded)
	b.ResetTimer()
	for range b.N {
		switched, err := Combine(f.set, req.ResultDigest, req.Result, shares)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.analyst.Decrypt(switched); err != nil {
			b.Fatal(err)
		}
	}
	pub, err := f.analyst.PublicBytes()
	require.NoError(b, err)
	b.ReportMetric(float64(len(pub)), "analyst-key-bytes")
}
