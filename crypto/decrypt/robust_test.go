package decrypt

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tuneinsight/lattigo/v6/multiparty"

	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/params"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed corpora under testdata/fuzz")

// validBlobs returns a valid blob of every kind this package decodes, at the insecure
// test parameters, keyed by the fuzz target that decodes it.
func validBlobs(t testing.TB) map[string][]byte {
	f := testFixture(t, params.InsecureN11T58, 5, 3)
	rng := rand.New(rand.NewPCG(11, 12))
	result, digest := f.result(t, randomValues(rng, f.set, 2, 100))
	raw, _ := f.shares(t, Request{ResultDigest: digest, Result: result, Analyst: f.analyst.PublicKey(),
		Active: []int{1, 2, 3}}, seeded)
	pub, err := f.analyst.PublicBytes()
	require.NoError(t, err)
	sec, err := f.analyst.MarshalBinary()
	require.NoError(t, err)
	return map[string][]byte{"FuzzParseShare": raw[0], "FuzzParseAnalystPublic": pub, "FuzzParseAnalystKey": sec}
}

// decoders are the decoders under test, keyed by fuzz target.
var decoders = map[string]func(set *params.Set, b []byte, d *[32]byte) error{
	"FuzzParseShare": func(set *params.Set, b []byte, d *[32]byte) error {
		_, err := ParseShare(set, b, d)
		return err
	},
	"FuzzParseAnalystPublic": func(set *params.Set, b []byte, d *[32]byte) error {
		_, err := ParseAnalystPublic(set, b, d)
		return err
	},
	"FuzzParseAnalystKey": func(set *params.Set, b []byte, d *[32]byte) error {
		// At rest the secret key is sealed with age, which authenticates it: the
		// digest check stands for that.
		if d != nil && codec.Digest(b) != *d {
			return fmt.Errorf("%w: %w", codec.ErrFormat, codec.ErrDigest)
		}
		_, err := ParseAnalystKey(set, b)
		return err
	},
}

func TestDecodersGiveCleanErrorsOnTruncatedAndCorruptedBlobs(t *testing.T) {
	set := params.MustNamed(params.InsecureN11T58)
	for name, valid := range validBlobs(t) {
		decode := decoders[name]
		t.Run(name, func(t *testing.T) {
			require.NoError(t, decode(set, valid, nil))
			d := codec.Digest(valid)
			rng := rand.New(rand.NewPCG(uint64(len(valid)), 1))
			errs := 0
			fixed := []int{0, 1, codec.HeaderSize - 1, codec.HeaderSize, codec.HeaderSize + 1, len(valid) - 1}
			for i := range 200 {
				n := rng.IntN(len(valid))
				if i < len(fixed) {
					n = fixed[i]
				}
				require.ErrorIs(t, decode(set, valid[:n:n], nil), codec.ErrFormat, "truncated to %d", n)
				errs++
			}
			undetected := 0
			for range 200 {
				b := append([]byte(nil), valid...)
				for range 1 + rng.IntN(4) {
					b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
				}
				err := decode(set, b, &d)
				require.ErrorIs(t, err, codec.ErrFormat)
				require.True(t, errors.Is(err, codec.ErrDigest))
				errs++
				if decode(set, b, nil) == nil {
					undetected++
				}
			}
			require.Equal(t, 400, errs)
			t.Logf("without a digest, %d of 200 corruptions decoded", undetected)
		})
	}
}

func TestFuzzSeedCorporaExist(t *testing.T) {
	for name, b := range validBlobs(t) {
		dir := filepath.Join("testdata", "fuzz", name)
		if *update {
			other := append([]byte(nil), b[:codec.HeaderSize]...)
			other[6] ^= 0x7f
			require.NoError(t, os.MkdirAll(dir, 0o755))
			for i, s := range [][]byte{{}, b[:codec.HeaderSize], b[:codec.HeaderSize+64], other} {
				body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(s)))
				require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%d", i)), []byte(body), 0o644))
			}
		}
		entries, err := os.ReadDir(dir)
		require.NoError(t, err, "run go test -run TestFuzzSeedCorporaExist -args -update")
		require.NotEmpty(t, entries)
	}
}

// fuzzBlobs returns a well-formed blob of every kind this package decodes without
// running a ceremony (a share of zero polynomials, a fresh analyst key), so that fuzz
// workers start at once.
func fuzzBlobs(t testing.TB) map[string][]byte {
	set := params.MustNamed(params.InsecureN11T58)
	pcks, err := multiparty.NewPublicKeySwitchProtocol(set.RLWE(), set.SmudgingNoise())
	require.NoError(t, err)
	s := &Share{Holder: 2, Active: []int{1, 2, 3}, value: []multiparty.PublicKeySwitchShare{
		pcks.AllocateShare(set.ResultLevel()), pcks.AllocateShare(set.ResultLevel())}}
	share, err := s.encode(set)
	require.NoError(t, err)
	a := NewAnalystKey(set)
	pub, err := a.PublicBytes()
	require.NoError(t, err)
	sec, err := a.MarshalBinary()
	require.NoError(t, err)
	return map[string][]byte{"FuzzParseShare": share, "FuzzParseAnalystPublic": pub, "FuzzParseAnalystKey": sec}
}

func fuzzDecoder(f *testing.F, name string) {
	set := params.MustNamed(params.InsecureN11T58)
	valid := fuzzBlobs(f)[name]
	require.NoError(f, decoders[name](set, valid, nil))
	f.Add(valid)
	decode := decoders[name]
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := decode(set, b, nil); err == nil && len(b) != len(valid) {
			t.Fatalf("accepted a blob of %d bytes, valid ones have %d", len(b), len(valid))
		}
	})
}

func FuzzParseShare(f *testing.F)         { fuzzDecoder(f, "FuzzParseShare") }
func FuzzParseAnalystPublic(f *testing.F) { fuzzDecoder(f, "FuzzParseAnalystPublic") }
func FuzzParseAnalystKey(f *testing.F)    { fuzzDecoder(f, "FuzzParseAnalystKey") }
