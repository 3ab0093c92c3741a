package submit

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"

	"github.com/statledger/statledger/client/records"
	"github.com/statledger/statledger/client/synth"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/encrypt"
	"github.com/statledger/statledger/crypto/params"
)

// BenchmarkIngestCSV1MRecords measures a provider's whole local pipeline at the
// production parameters: 1,000,000 synthetic admissions as CSV, read, clipped and
// aggregated into the healthcare cube, encrypted under a public key and encoded as a
// submission blob. It reports records/s.
func BenchmarkIngestCSV1MRecords(b *testing.B) {
	const n = 1_000_000
	var csv bytes.Buffer
	require.NoError(b, synth.Generate(&csv, records.FormatCSV, synth.Config{Seed: 1, Records: n}))
	set := params.MustNamed(params.N14T58)
	layout, err := cube.NewLayout(healthcareSchema(b), set.RowSlots())
	require.NoError(b, err)
	_, pk := rlwe.NewKeyGenerator(set.RLWE()).GenKeyPairNew()
	enc, err := encrypt.New(set, layout, pk)
	require.NoError(b, err)
	b.SetBytes(int64(csv.Len()))
	b.ResetTimer()
	for range b.N {
		c, got, err := Aggregate(bytes.NewReader(csv.Bytes()), records.FormatCSV, layout, set.MaxAggregate(), n, nil)
		require.NoError(b, err)
		require.Equal(b, n, got)
		_, err = enc.Encrypt(c)
		require.NoError(b, err)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
