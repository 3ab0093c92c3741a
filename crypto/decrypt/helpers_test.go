package decrypt

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"

	"github.com/statledger/statledger/crypto/ceremony"
	"github.com/statledger/statledger/crypto/params"
)

// fixture is a ceremony with an analyst, shared by the tests of one parameter set.
type fixture struct {
	set     *params.Set
	cer     *ceremony.Ceremony
	analyst *AnalystKey
}

var (
	fixtures   = map[string]*fixture{}
	fixturesMu sync.Mutex
)

// testFixture returns a t-of-n ceremony at the named set, run once per process.
func testFixture(t testing.TB, name string, n, th int) *fixture {
	t.Helper()
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	k := fmt.Sprintf("%s/%d/%d", name, n, th)
	if f, ok := fixtures[k]; ok {
		return f
	}
	set := params.MustNamed(name)
	cer, err := ceremony.Run(set, n, th, sha256.Sum256([]byte(k)))
	require.NoError(t, err)
	f := &fixture{set: set, cer: cer, analyst: NewAnalystKey(set)}
	fixtures[k] = f
	return f
}

// result encrypts values (one row per ciphertext, centred) under the collective key and
// rescales once, as query evaluation does, returning ciphertexts at ResultLevel and a
// digest naming them.
func (f *fixture) result(t testing.TB, values [][]int64) ([]*rlwe.Ciphertext, [32]byte) {
	t.Helper()
	p := f.set.BGV()
	enc := rlwe.NewEncryptor(p, f.cer.PublicKey)
	ecd := bgv.NewEncoder(p)
	eval := bgv.NewEvaluator(p, nil)
	h := sha256.New()
	var out []*rlwe.Ciphertext
	for _, v := range values {
		pt := bgv.NewPlaintext(p, f.set.TopLevel())
		require.NoError(t, ecd.Encode(v, pt))
		ct, err := enc.EncryptNew(pt)
		require.NoError(t, err)
		require.NoError(t, eval.Rescale(ct, ct))
		require.Equal(t, f.set.ResultLevel(), ct.Level())
		b, err := ct.MarshalBinary()
		require.NoError(t, err)
		h.Write(b)
		out = append(out, ct)
	}
	return out, [32]byte(h.Sum(nil))
}

// randomValues returns count rows of centred values up to max in absolute value, with
// the extremes ±max in the first two slots.
func randomValues(rng *rand.Rand, set *params.Set, count int, max int64) [][]int64 {
	out := make([][]int64, count)
	for i := range out {
		out[i] = make([]int64, set.Slots())
		for j := range out[i] {
			out[i][j] = rng.Int64N(2*max+1) - max
		}
		out[i][0], out[i][1] = max, -max
	}
	return out
}

// shares makes the decryption shares of the active holders for req, each with its own
// journal, and parses them.
func (f *fixture) shares(t testing.TB, req Request, rng func(holder uint64) *rand.ChaCha8) ([][]byte, []*Share) {
	t.Helper()
	var raw [][]byte
	var parsed []*Share
	for _, a := range req.Active {
		b, err := NewShare(f.cer.ThresholdKeys[a-1], req, NewMemJournal(), rng(uint64(a)))
		require.NoError(t, err)
		d := sha256.Sum256(b)
		s, err := ParseShare(f.set, b, &d)
		require.NoError(t, err)
		raw = append(raw, b)
		parsed = append(parsed, s)
	}
	return raw, parsed
}

func seeded(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return rand.NewChaCha8(s)
}

// filepathWalk calls f once per regular file under dir.
func filepathWalk(dir string, f func()) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			f()
		}
	}
	return nil
}
