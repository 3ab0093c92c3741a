package decrypt

import (
	"crypto/sha256"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/require"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/multiparty"

	"github.com/statledger/statledger/crypto/ceremony"
	"github.com/statledger/statledger/crypto/dp"
	"github.com/statledger/statledger/crypto/params"
)

// subsets returns all k-subsets of 1..n, ascending.
func subsets(n, k int) [][]int {
	var out [][]int
	var rec func(start int, cur []int)
	rec = func(start int, cur []int) {
		if len(cur) == k {
			out = append(out, slices.Clone(cur))
			return
		}
		for i := start; i <= n; i++ {
			rec(i+1, append(cur, i))
		}
	}
	rec(1, nil)
	return out
}

func TestAnyThresholdOfHoldersDecryptsExactly(t *testing.T) {
	f := testFixture(t, params.InsecureN11T58, 5, 3)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, active := range subsets(5, 3) {
		values := randomValues(rng, f.set, 2, int64(f.set.MaxAggregate()))
		result, digest := f.result(t, values)
		req := Request{ResultDigest: digest, Result: result, Analyst: f.analyst.PublicKey(), Active: active}
		_, shares := f.shares(t, req, seeded)
		// Any order of the shares.
		slices.Reverse(shares)
		got, err := f.analyst.Open(digest, result, shares)
		require.NoError(t, err)
		require.Equal(t, values, got, "active set %v", active)
		// Another analyst cannot open them.
		_, err = NewAnalystKey(f.set).Open(digest, result, shares)
		require.ErrorIs(t, err, ErrMismatch)
	}
}

func TestFewerThanThresholdSharesDoNotDecrypt(t *testing.T) {
	f := testFixture(t, params.InsecureN11T58, 5, 3)
	rng := rand.New(rand.NewPCG(3, 4))
	values := randomValues(rng, f.set, 1, 1000)
	result, digest := f.result(t, values)
	req := Request{ResultDigest: digest, Result: result, Analyst: f.analyst.PublicKey(), Active: []int{1, 3, 4}}
	_, shares := f.shares(t, req, seeded)

	for _, drop := range []int{0, 1, 2} {
		partial := slices.Delete(slices.Clone(shares), drop, drop+1)
		_, err := Combine(f.set, digest, result, partial)
		require.ErrorIs(t, err, ErrNotEnoughShares)
	}
	_, err := Combine(f.set, digest, result, nil)
	require.ErrorIs(t, err, ErrNotEnoughShares)

	// Summing t-1 shares regardless of the check gives noise, not the values.
	pcks, err := multiparty.NewPublicKeySwitchProtocol(f.set.RLWE(), f.set.SmudgingNoise())
	require.NoError(t, err)
	sum := pcks.AllocateShare(f.set.ResultLevel())
	for _, s := range shares[:2] {
		require.NoError(t, pcks.AggregateShares(sum, s.value[0], &sum))
	}
	out := rlwe.NewCiphertext(f.set.RLWE(), 1, f.set.ResultLevel())
	pcks.KeySwitch(result[0], sum, out)
	got, err := f.analyst.Decrypt([]*rlwe.Ciphertext{out})
	require.NoError(t, err)
	wrong := 0
	for i := range got[0] {
		if got[0][i] != values[0][i] {
			wrong++
		}
	}
	require.Greater(t, wrong, len(got[0])*99/100)

	// A holder of another active set cannot stand in for a missing one.
	other := Request{ResultDigest: digest, Result: result, Analyst: f.analyst.PublicKey(), Active: []int{1, 2, 3}}
	b, err := NewShare(f.cer.ThresholdKeys[1], other, NewMemJournal(), seeded(9))
	require.NoError(t, err)
	s2, err := ParseShare(f.set, b, nil)
	require.NoError(t, err)
	_, err = Combine(f.set, digest, result, []*Share{shares[0], shares[1], s2})
	require.ErrorIs(t, err, ErrMismatch)
	_, err = Combine(f.set, digest, result, []*Share{shares[0], shares[1], shares[1]})
	require.ErrorIs(t, err, ErrMismatch)
	_, err = Combine(f.set, sha256.Sum256(nil), result, shares)
	require.ErrorIs(t, err, ErrMismatch)
}

func TestAShareIsProducedOnceAndResentIdentically(t *testing.T) {
	f := testFixture(t, params.InsecureN11T58, 5, 3)
	rng := rand.New(rand.NewPCG(5, 6))
	result, digest := f.result(t, randomValues(rng, f.set, 1, 1000))
	noise, err := dp.Calibrate(1, 1_000_000, 1e-6, 3)
	require.NoError(t, err)
	req := Request{ResultDigest: digest, Result: result, Analyst: f.analyst.PublicKey(), Active: []int{1, 2, 3},
		Noise: &noise, NoiseSlots: [][]int{{0, 5, 7}}}
	key := f.cer.ThresholdKeys[0]
	dir := t.TempDir()
	j, err := NewDirJournal(dir)
	require.NoError(t, err)

	// Concurrent first calls all get the same share.
	got := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := NewShare(key, req, j, seeded(uint64(i)))
			require.NoError(t, err)
			got[i] = b
		}()
	}
	wg.Wait()
	for _, b := range got {
		require.Equal(t, got[0], b)
	}

	// After a restart (a new journal on the same directory) the same bytes come back.
	j2, err := NewDirJournal(dir)
	require.NoError(t, err)
	b, err := NewShare(key, req, j2, seeded(99))
	require.NoError(t, err)
	require.Equal(t, got[0], b)

	// A share depends on a ciphertext only through its mask: another body under the
	// same digest gets the same (harmless) bytes back, never a second share.
	sameMask := result[0].CopyNew()
	f.set.RLWE().RingQ().AtLevel(sameMask.Level()).Add(sameMask.Value[0], sameMask.Value[0], sameMask.Value[0])
	r := req
	r.Result = []*rlwe.Ciphertext{sameMask}
	b, err = NewShare(key, r, j2, seeded(98))
	require.NoError(t, err)
	require.Equal(t, got[0], b)

	refusals := map[string]Request{
		"another active set": func() Request { r := req; r.Active = []int{1, 2, 4}; return r }(),
		"another analyst key": func() Request {
			r := req
			r.Analyst = NewAnalystKey(f.set).PublicKey()
			return r
		}(),
		"noise off":         func() Request { r := req; r.Noise, r.NoiseSlots = nil, nil; return r }(),
		"other noise slots": func() Request { r := req; r.NoiseSlots = [][]int{{0, 5}}; return r }(),
		"another result digest for the same masks": func() Request {
			r := req
			r.ResultDigest = sha256.Sum256([]byte("x"))
			return r
		}(),
		"a ciphertext with the same mask and another body": func() Request {
			r := req
			r.Result = []*rlwe.Ciphertext{sameMask}
			r.ResultDigest = sha256.Sum256([]byte("y"))
			return r
		}(),
	}
	for name, r := range refusals {
		t.Run(name, func(t *testing.T) {
			_, err := NewShare(key, r, j2, seeded(1))
			require.ErrorIs(t, err, ErrAlreadyShared)
		})
	}
	// Exactly one share was recorded.
	n := 0
	require.NoError(t, filepathWalk(dir, func() { n++ }))
	require.Equal(t, 1, n)
}

func TestNoiseLandsOnlyInTheRequestedSlotsWithinTheBound(t *testing.T) {
	f := testFixture(t, params.InsecureN11T58, 4, 3)
	noise, err := dp.Calibrate(100, 500_000, 1e-6, 3)
	require.NoError(t, err)
	const runs = 25
	const failureProb = 1e-9
	bound := noise.Bound(failureProb)
	rng := rand.New(rand.NewPCG(7, 8))
	var errs []float64
	for run := range runs {
		values := randomValues(rng, f.set, 2, 1<<40)
		slots := [][]int{{}, {}}
		for i := range slots {
			for s := range f.set.Slots() {
				if rng.IntN(16) == 0 {
					slots[i] = append(slots[i], s)
				}
			}
		}
		result, digest := f.result(t, values)
		active := subsets(4, 3)[run%4]
		req := Request{ResultDigest: digest, Result: result, Analyst: f.analyst.PublicKey(), Active: active,
			Noise: &noise, NoiseSlots: slots}
		_, shares := f.shares(t, req, func(h uint64) *rand.ChaCha8 { return seeded(uint64(1000*run) + h) })
		switched, err := Combine(f.set, digest, result, shares)
		require.NoError(t, err)
		got, err := f.analyst.Decrypt(switched)
		require.NoError(t, err)
		for i := range got {
			noisy := map[int]bool{}
			for _, s := range slots[i] {
				noisy[s] = true
			}
			for s := range got[i] {
				d := got[i][s] - values[i][s]
				if !noisy[s] {
					require.Zero(t, d, "slot %d of ciphertext %d has noise it was not asked for", s, i)
					continue
				}
				require.LessOrEqual(t, max(d, -d), bound)
				errs = append(errs, float64(d))
			}
		}
	}
	require.Greater(t, len(errs), 5000)
	var mean, variance float64
	for _, e := range errs {
		mean += e
	}
	mean /= float64(len(errs))
	for _, e := range errs {
		variance += (e - mean) * (e - mean)
	}
	variance /= float64(len(errs) - 1)
	want := noise.TotalVariance()
	require.InDelta(t, 0, mean, 5*math.Sqrt(want/float64(len(errs))))
	require.InDelta(t, want, variance, 0.1*want)
}

func TestRequestsAreValidatedBeforeLattigoSeesThem(t *testing.T) {
	f := testFixture(t, params.InsecureN11T58, 5, 3)
	rng := rand.New(rand.NewPCG(9, 10))
	result, digest := f.result(t, randomValues(rng, f.set, 1, 10))
	noise, err := dp.Calibrate(1, 1_000_000, 1e-6, 3)
	require.NoError(t, err)
	base := Request{ResultDigest: digest, Result: result, Analyst: f.analyst.PublicKey(), Active: []int{1, 2, 3}}
	top := rlwe.NewCiphertext(f.set.RLWE(), 1, f.set.TopLevel())
	top.IsBatched, top.IsNTT = true, true
	deg2 := rlwe.NewCiphertext(f.set.RLWE(), 2, f.set.ResultLevel())
	prod := params.MustNamed(params.N14T58)
	otherRing := rlwe.NewCiphertext(prod.RLWE(), 1, prod.ResultLevel())
	otherRing.IsBatched, otherRing.IsNTT = true, true
	noise5, err := dp.Calibrate(1, 1_000_000, 1e-6, 5)
	require.NoError(t, err)
	cases := []struct {
		name string
		edit func(r *Request)
		want error
	}{
		{"no ciphertext", func(r *Request) { r.Result = nil }, ErrInvalid},
		{"a nil ciphertext", func(r *Request) { r.Result = []*rlwe.Ciphertext{nil} }, ErrInvalid},
		{"a ciphertext at the top level", func(r *Request) { r.Result = []*rlwe.Ciphertext{top} }, ErrInvalid},
		{"a degree-2 ciphertext", func(r *Request) { r.Result = []*rlwe.Ciphertext{deg2} }, ErrInvalid},
		{"a ciphertext of another ring degree", func(r *Request) { r.Result = []*rlwe.Ciphertext{otherRing} }, ErrInvalid},
		{"no analyst key", func(r *Request) { r.Analyst = nil }, ErrInvalid},
		{"an analyst key of another ring", func(r *Request) { r.Analyst = NewAnalystKey(prod).PublicKey() }, ErrInvalid},
		{"an active set without the holder", func(r *Request) { r.Active = []int{2, 3, 4} }, ceremony.ErrActiveSet},
		{"an active set below the threshold", func(r *Request) { r.Active = []int{1, 2} }, ceremony.ErrActiveSet},
		{"noise slots without noise", func(r *Request) { r.NoiseSlots = [][]int{{1}} }, ErrInvalid},
		{"noise without slots", func(r *Request) { r.Noise = &noise }, ErrInvalid},
		{"noise for another number of holders", func(r *Request) { r.Noise, r.NoiseSlots = &noise5, [][]int{{1}} }, ErrInvalid},
		{"noise slots out of range", func(r *Request) { r.Noise, r.NoiseSlots = &noise, [][]int{{f.set.Slots()}} }, ErrInvalid},
		{"repeated noise slots", func(r *Request) { r.Noise, r.NoiseSlots = &noise, [][]int{{3, 3}} }, ErrInvalid},
		{"noise slots for the wrong number of ciphertexts", func(r *Request) { r.Noise, r.NoiseSlots = &noise, [][]int{{1}, {2}} }, ErrInvalid},
		{"invalid noise", func(r *Request) {
			bad := noise
			bad.SigmaSqNum = 0
			r.Noise, r.NoiseSlots = &bad, [][]int{{1}}
		}, ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := base
			c.edit(&r)
			j := NewMemJournal()
			_, err := NewShare(f.cer.ThresholdKeys[0], r, j, seeded(1))
			require.ErrorIs(t, err, c.want)
			require.Zero(t, j.Len(), "nothing recorded for a refused request")
		})
	}
}

func TestAnalystKeyIsSealedAtRestAndStillDecryptsAfterReloading(t *testing.T) {
	f := testFixture(t, params.InsecureN11T58, 5, 3)
	a := NewAnalystKey(f.set)
	path := filepath.Join(t.TempDir(), "analyst.age")
	id, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	require.NoError(t, a.Save(path, id.Recipient()))
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, ceremony.SecretFileMode, st.Mode().Perm())
	b, err := LoadAnalystKey(f.set, path, id)
	require.NoError(t, err)

	pub, err := a.PublicBytes()
	require.NoError(t, err)
	d := sha256.Sum256(pub)
	pk, err := ParseAnalystPublic(f.set, pub, &d)
	require.NoError(t, err)
	require.True(t, pk.Equal(a.PublicKey()))
	ad, err := AnalystDigest(f.set, pk)
	require.NoError(t, err)
	require.Equal(t, d, ad)

	rng := rand.New(rand.NewPCG(15, 16))
	values := randomValues(rng, f.set, 1, 1<<30)
	result, digest := f.result(t, values)
	req := Request{ResultDigest: digest, Result: result, Analyst: pk, Active: []int{2, 3, 5}}
	_, shares := f.shares(t, req, seeded)
	got, err := b.Open(digest, result, shares)
	require.NoError(t, err)
	require.Equal(t, values, got)
}

func TestExtremeThresholdsDecryptExactly(t *testing.T) {
	for _, c := range []struct {
		name string
		n, t int
	}{{"one of three", 3, 1}, {"three of three", 3, 3}, {"a single holder", 1, 1}} {
		t.Run(c.name, func(t *testing.T) {
			f := testFixture(t, params.InsecureN11T58, c.n, c.t)
			rng := rand.New(rand.NewPCG(uint64(c.n), uint64(c.t)))
			for _, active := range subsets(c.n, c.t) {
				values := randomValues(rng, f.set, 1, 1<<50)
				result, digest := f.result(t, values)
				_, shares := f.shares(t, Request{ResultDigest: digest, Result: result, Analyst: f.analyst.PublicKey(),
					Active: active}, seeded)
				got, err := f.analyst.Open(digest, result, shares)
				require.NoError(t, err)
				require.Equal(t, values, got, "active set %v", active)
			}
		})
	}
}
