package encrypt_test

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"

	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/encrypt"
	"github.com/statledger/statledger/crypto/params"
	"github.com/statledger/statledger/policies"
)

var testSet = params.MustNamed(params.InsecureN11T58)

// bigSchema needs several ciphertexts at N = 2^11 (1,320 cells, 9 components).
func bigSchema() policies.Schema {
	return policies.Schema{
		Dimensions: []policies.Dimension{
			{Name: "region", Codes: []string{"R01", "R02", "R03", "R04", "R05", "R06", "R07", "R08", "R09", "R10"}},
			{Name: "age", Codes: []string{"A1", "A2", "A3", "A4", "A5", "A6"}},
			{Name: "sex", Codes: []string{"F", "M"}},
			{Name: "diag", Codes: []string{"D01", "D02", "D03", "D04", "D05", "D06", "D07", "D08", "D09", "D10", "D11"}},
		},
		Measures: []policies.Measure{
			{Name: "stay", Min: 0, Max: 60, HistogramEdges: []int64{1, 4, 14}},
			{Name: "delta", Min: -50, Max: 50},
		},
	}
}

func testKeys(t testing.TB) (*rlwe.SecretKey, *rlwe.PublicKey) {
	kg := rlwe.NewKeyGenerator(testSet.RLWE())
	return kg.GenKeyPairNew()
}

func randomCube(t testing.TB, l *cube.Layout, rng *rand.Rand, n int) *cube.Cube {
	c := l.NewCube(testSet.MaxAggregate())
	s := l.Schema()
	codes := make([]int, len(s.Dimensions))
	values := make([]int64, len(s.Measures))
	for range n {
		for i, d := range s.Dimensions {
			codes[i] = rng.IntN(len(d.Codes))
		}
		for j, m := range s.Measures {
			values[j] = m.Min - 5 + rng.Int64N(m.Max-m.Min+11)
		}
		require.NoError(t, c.Add(codes, values))
	}
	return c
}

func decrypt(t testing.TB, sk *rlwe.SecretKey, ct *rlwe.Ciphertext) []uint64 {
	pt := rlwe.NewDecryptor(testSet.RLWE(), sk).DecryptNew(ct)
	v := make([]uint64, testSet.Slots())
	require.NoError(t, bgv.NewEncoder(testSet.BGV()).Decode(pt, v))
	return v
}

func TestEncryptedCubeDecryptsToItsSlots(t *testing.T) {
	sk, pk := testKeys(t)
	l, err := cube.NewLayout(bigSchema(), testSet.RowSlots())
	require.NoError(t, err)
	require.Greater(t, l.Ciphertexts(), 1, "the test needs a cube of several ciphertexts")
	c := randomCube(t, l, rand.New(rand.NewPCG(3, 4)), 2000)
	enc, err := encrypt.New(testSet, l, pk)
	require.NoError(t, err)
	blob, err := enc.Encrypt(c)
	require.NoError(t, err)
	require.Len(t, blob, encrypt.Size(testSet, l))
	d := codec.Digest(blob)
	cts, err := encrypt.Decode(testSet, l, blob, &d)
	require.NoError(t, err)
	want := c.Slots(testSet.PlaintextModulus())
	require.Len(t, cts, len(want))
	for i, ct := range cts {
		require.Equal(t, testSet.TopLevel(), ct.Level())
		require.Equal(t, want[i], decrypt(t, sk, ct), "ciphertext %d", i)
	}
	again, err := encrypt.Encode(testSet, l, cts)
	require.NoError(t, err)
	require.Equal(t, blob, again, "decode then encode is the identity")
}

func TestNewRefusesMismatchedKeysAndLayouts(t *testing.T) {
	_, pk := testKeys(t)
	l, err := cube.NewLayout(bigSchema(), testSet.RowSlots())
	require.NoError(t, err)
	other := params.MustNamed(params.N14T58)
	otherPK := rlwe.NewKeyGenerator(other.RLWE()).GenPublicKeyNew(rlwe.NewKeyGenerator(other.RLWE()).GenSecretKeyNew())
	wrongRows, err := cube.NewLayout(bigSchema(), 64)
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		layout *cube.Layout
		pk     *rlwe.PublicKey
		err    error
	}{
		{"a public key of another ring", l, otherPK, encrypt.ErrKey},
		{"no public key", l, nil, encrypt.ErrKey},
		{"a layout for other rows", wrongRows, pk, encrypt.ErrLayout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := encrypt.New(testSet, tc.layout, tc.pk)
			require.ErrorIs(t, err, tc.err)
		})
	}
	enc, err := encrypt.New(testSet, l, pk)
	require.NoError(t, err)
	small, err := cube.NewLayout(policies.Schema{Dimensions: []policies.Dimension{{Name: "x", Codes: []string{"a"}}}}, testSet.RowSlots())
	require.NoError(t, err)
	_, err = enc.Encrypt(small.NewCube(testSet.MaxAggregate()))
	require.ErrorIs(t, err, encrypt.ErrLayout)
}

func TestDecodeRefusesEveryTruncatedOrCorruptedBlobCleanly(t *testing.T) {
	_, pk := testKeys(t)
	l, err := cube.NewLayout(bigSchema(), testSet.RowSlots())
	require.NoError(t, err)
	enc, err := encrypt.New(testSet, l, pk)
	require.NoError(t, err)
	blob, err := enc.Encrypt(randomCube(t, l, rand.New(rand.NewPCG(5, 6)), 100))
	require.NoError(t, err)
	d := codec.Digest(blob)
	rng := rand.New(rand.NewPCG(7, 8))
	failures := 0
	for i := range 200 {
		cut := blob[:rng.IntN(len(blob))]
		if i%2 == 0 {
			_, err = encrypt.Decode(testSet, l, cut, nil)
		} else {
			_, err = encrypt.Decode(testSet, l, cut, &d)
		}
		require.ErrorIs(t, err, codec.ErrFormat)
		failures++
	}
	for range 200 {
		bad := append([]byte(nil), blob...)
		for range 1 + rng.IntN(8) {
			bad[rng.IntN(len(bad))] ^= byte(1 + rng.IntN(255))
		}
		_, err = encrypt.Decode(testSet, l, bad, &d)
		require.ErrorIs(t, err, codec.ErrDigest)
		failures++
	}
	require.Equal(t, 400, failures)
}

func TestDecodeWithoutDigestStillRefusesMalformedBlobs(t *testing.T) {
	_, pk := testKeys(t)
	l, err := cube.NewLayout(bigSchema(), testSet.RowSlots())
	require.NoError(t, err)
	enc, err := encrypt.New(testSet, l, pk)
	require.NoError(t, err)
	blob, err := enc.Encrypt(l.NewCube(testSet.MaxAggregate()))
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		mutate func([]byte) []byte
	}{
		{"wrong magic", func(b []byte) []byte { b[0] = 'X'; return b }},
		{"wrong version", func(b []byte) []byte { b[4] = 9; return b }},
		{"result kind", func(b []byte) []byte { b[6] = byte(codec.KindResult); return b }},
		{"other parameter set", func(b []byte) []byte { copy(b[8:24], "N14T58\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"); return b }},
		{"lower level", func(b []byte) []byte { b[24] = 1; return b }},
		{"forged count", func(b []byte) []byte { b[28], b[29], b[30] = 0xff, 0xff, 0x0f; return b }},
		{"nonzero aux", func(b []byte) []byte { b[32] = 1; return b }},
		{"other layout", func(b []byte) []byte { b[48] ^= 1; return b }},
		{"coefficient at the modulus", func(b []byte) []byte {
			q := testSet.BGV().Q()[0]
			for i := range 8 {
				b[codec.HeaderSize+i] = byte(q >> (8 * i))
			}
			return b
		}},
		{"coefficient with the top bit", func(b []byte) []byte { b[codec.HeaderSize+8*100+7] = 0x80; return b }},
		{"one trailing byte", func(b []byte) []byte { return append(b, 0) }},
		{"empty", func([]byte) []byte { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := tc.mutate(append([]byte(nil), blob...))
			_, err := encrypt.Decode(testSet, l, bad, nil)
			require.ErrorIs(t, err, codec.ErrFormat)
		})
	}
}

func TestOneEncryptorServesConcurrentCallers(t *testing.T) {
	sk, pk := testKeys(t)
	l, err := cube.NewLayout(bigSchema(), testSet.RowSlots())
	require.NoError(t, err)
	enc, err := encrypt.New(testSet, l, pk)
	require.NoError(t, err)
	cubes := make([]*cube.Cube, 4)
	for i := range cubes {
		cubes[i] = randomCube(t, l, rand.New(rand.NewPCG(9, uint64(i))), 300)
	}
	blobs := make([][]byte, len(cubes))
	errs := make([]error, len(cubes))
	var wg sync.WaitGroup
	for i := range cubes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			blobs[i], errs[i] = enc.Encrypt(cubes[i])
		}()
	}
	wg.Wait()
	for i, c := range cubes {
		require.NoError(t, errs[i])
		cts, err := encrypt.Decode(testSet, l, blobs[i], nil)
		require.NoError(t, err)
		for j, want := range c.Slots(testSet.PlaintextModulus()) {
			require.Equal(t, want, decrypt(t, sk, cts[j]), "cube %d, ciphertext %d", i, j)
		}
	}
}
