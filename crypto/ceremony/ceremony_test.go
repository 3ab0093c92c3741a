package ceremony

import (
	"bytes"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/require"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/multiparty"

	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/params"
)

var (
	testOnce sync.Once
	testCer  *Ceremony
	testErr  error
)

// testCeremony is a 3-of-5 ceremony at the insecure test parameters, run once.
func testCeremony(t testing.TB) *Ceremony {
	t.Helper()
	testOnce.Do(func() {
		testCer, testErr = Run(params.MustNamed(params.InsecureN11T58), 5, 3, [32]byte{1, 2, 3})
	})
	require.NoError(t, testErr)
	return testCer
}

// collectiveSecret sums the additive shares of the active holders.
func collectiveSecret(t testing.TB, c *Ceremony, active []int) *rlwe.SecretKey {
	t.Helper()
	p := c.ThresholdKeys[0].Set().RLWE()
	s := rlwe.NewSecretKey(p)
	for _, a := range active {
		sk, err := c.ThresholdKeys[a-1].AdditiveShare(active)
		require.NoError(t, err)
		p.RingQP().Add(s.Value, sk.Value, s.Value)
	}
	return s
}

func TestAnyThresholdOfHoldersReconstructsTheKeyOfThePublicOutputs(t *testing.T) {
	c := testCeremony(t)
	set := c.ThresholdKeys[0].Set()
	p := set.RLWE()
	pkBound := math.Log2(math.Sqrt(5)*p.NoiseFreshSK()) + 1
	galBound := math.Log2(multiparty.NoiseGaloisKey(p, 5)) + 1
	for _, active := range [][]int{{1, 2, 3}, {1, 3, 5}, {2, 4, 5}, {3, 4, 5}} {
		s := collectiveSecret(t, c, active)
		require.Less(t, rlwe.NoisePublicKey(c.PublicKey, s, p), pkBound, "active %v", active)
		for _, el := range set.GaloisElements() {
			gk, err := c.EvaluationKeys.GetGaloisKey(el)
			require.NoError(t, err)
			require.Less(t, rlwe.NoiseGaloisKey(gk, s, p), galBound, "element %d", el)
		}
	}
}

func TestFewerThanThresholdHoldersCannotDecrypt(t *testing.T) {
	c := testCeremony(t)
	p := c.ThresholdKeys[0].Set().RLWE()
	// Two holders' shares interpolated as if they were enough are not the key.
	s := rlwe.NewSecretKey(p)
	for _, a := range []int{1, 2} {
		k := c.ThresholdKeys[a-1]
		cmb := multiparty.NewCombiner(p, multiparty.ShamirPublicPoint(a), []multiparty.ShamirPublicPoint{1, 2}, 2)
		sk := rlwe.NewSecretKey(p)
		require.NoError(t, cmb.GenAdditiveShare([]multiparty.ShamirPublicPoint{1, 2}, multiparty.ShamirPublicPoint(a), k.share, sk))
		p.RingQP().Add(s.Value, sk.Value, s.Value)
	}
	require.Greater(t, rlwe.NoisePublicKey(c.PublicKey, s, p), 50.0)
	// The API refuses active sets of the wrong size, with repeats, or without the caller.
	k := c.ThresholdKeys[0]
	for _, active := range [][]int{{1, 2}, {1, 2, 3, 4}, {1, 1, 2}, {2, 3, 4}, {3, 2, 1}, {0, 1, 2}, {1, 2, 6}} {
		_, err := k.AdditiveShare(active)
		require.ErrorIs(t, err, ErrActiveSet, "%v", active)
	}
}

func TestPublicOutputsAreDeterministicFromTheTranscript(t *testing.T) {
	c := testCeremony(t)
	set := c.ThresholdKeys[0].Set()
	msgs := make([]*Message, len(c.Messages))
	for i := range c.Messages {
		var err error
		// Any order: reverse it.
		msgs[len(msgs)-1-i], err = ParseMessage(c.Setup, c.Messages[i], nil)
		require.NoError(t, err)
	}
	keys, err := Aggregate(c.Setup, msgs)
	require.NoError(t, err)
	ref := c.Setup.Digest()
	a, err := EncodePublicKey(set, codec.KindPublicKey, ref, c.PublicKey)
	require.NoError(t, err)
	b, err := EncodePublicKey(set, codec.KindPublicKey, ref, keys.PublicKey)
	require.NoError(t, err)
	require.Equal(t, a, b)
	ga, err := EncodeGaloisKeys(set, ref, c.EvaluationKeys)
	require.NoError(t, err)
	gb, err := EncodeGaloisKeys(set, ref, keys.EvaluationKeys)
	require.NoError(t, err)
	require.Equal(t, codec.Digest(ga), codec.Digest(gb))

	_, err = Aggregate(c.Setup, msgs[:4])
	require.ErrorIs(t, err, ErrTranscript)
	dup := append([]*Message{}, msgs...)
	dup[0] = dup[1]
	_, err = Aggregate(c.Setup, dup)
	require.ErrorIs(t, err, ErrTranscript)
	_, err = Finalize(c.Setup, 1, msgs[:4], c.Transport[0])
	require.ErrorIs(t, err, ErrTranscript)
}

func TestFinalizeRefusesAnotherHoldersIdentity(t *testing.T) {
	c := testCeremony(t)
	msgs := parseAll(t, c)
	_, err := Finalize(c.Setup, 1, msgs, c.Transport[1])
	require.ErrorIs(t, err, ErrShare)
	_, err = Finalize(c.Setup, 6, msgs, c.Transport[0])
	require.ErrorIs(t, err, ErrSetup)
	// Finalize is deterministic given the transcript.
	k, err := Finalize(c.Setup, 2, msgs, c.Transport[1])
	require.NoError(t, err)
	a, _ := k.MarshalBinary()
	b, _ := c.ThresholdKeys[1].MarshalBinary()
	require.Equal(t, a, b)
}

func parseAll(t testing.TB, c *Ceremony) []*Message {
	t.Helper()
	msgs := make([]*Message, len(c.Messages))
	for i, b := range c.Messages {
		var err error
		msgs[i], err = ParseMessage(c.Setup, b, nil)
		require.NoError(t, err)
	}
	return msgs
}

func TestEncodingsRoundTripAndHaveTheDocumentedSizes(t *testing.T) {
	c := testCeremony(t)
	set := c.ThresholdKeys[0].Set()
	ref := c.Setup.Digest()

	pk, err := EncodePublicKey(set, codec.KindPublicKey, ref, c.PublicKey)
	require.NoError(t, err)
	require.Len(t, pk, codec.HeaderSize+2*qpFullBytes(set))
	d := codec.Digest(pk)
	got, gotRef, err := DecodePublicKey(set, codec.KindPublicKey, pk, &d)
	require.NoError(t, err)
	require.Equal(t, ref, gotRef)
	require.True(t, got.Equal(c.PublicKey))
	_, _, err = DecodePublicKey(set, codec.KindAnalystPublic, pk, nil)
	require.ErrorIs(t, err, codec.ErrFormat)

	gk, err := EncodeGaloisKeys(set, ref, c.EvaluationKeys)
	require.NoError(t, err)
	evk, _, err := DecodeGaloisKeys(set, gk, nil)
	require.NoError(t, err)
	for _, el := range set.GaloisElements() {
		a, err := c.EvaluationKeys.GetGaloisKey(el)
		require.NoError(t, err)
		b, err := evk.GetGaloisKey(el)
		require.NoError(t, err)
		require.True(t, a.GadgetCiphertext.Equal(&b.GadgetCiphertext))
		require.Equal(t, a.GaloisElement, b.GaloisElement)
	}
	require.Equal(t, galoisKeyPolys(set), len(gadgetPolys(&rlwe.NewGaloisKey(set.RLWE()).GadgetCiphertext)))

	tk, err := c.ThresholdKeys[2].MarshalBinary()
	require.NoError(t, err)
	k, err := ParseThresholdKey(set, tk)
	require.NoError(t, err)
	require.Equal(t, 3, k.Holder())
	require.Equal(t, 5, k.Holders())
	require.Equal(t, 3, k.Threshold())
	require.Equal(t, ref, k.Setup())
	require.True(t, k.share.Equal(&c.ThresholdKeys[2].share.Poly))

	require.Len(t, c.Messages[0], codec.HeaderSize+messageSize(set, 5))
}

func TestSealedShareSizeMatchesAge(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	for _, n := range []int{0, 1, 65535, 65536, 65537, 3 * 65536, 200_000} {
		var buf bytes.Buffer
		w, err := age.Encrypt(&buf, id.Recipient())
		require.NoError(t, err)
		_, err = w.Write(make([]byte, n))
		require.NoError(t, err)
		require.NoError(t, w.Close())
		require.Equal(t, buf.Len(), sealedSize(n), "plaintext of %d bytes", n)
	}
}

func TestSetupValidationAndCanonicalDigest(t *testing.T) {
	c := testCeremony(t)
	b, err := c.Setup.MarshalJSON()
	require.NoError(t, err)
	s, err := ParseSetup(b)
	require.NoError(t, err)
	require.Equal(t, c.Setup.Digest(), s.Digest())

	bad := func(f func(*Setup)) Setup {
		s := c.Setup
		s.Holders = append([]string{}, c.Setup.Holders...)
		f(&s)
		return s
	}
	cases := []struct {
		name  string
		setup Setup
		want  error
	}{
		{"an unknown parameter set", bad(func(s *Setup) { s.ParamSet = "N99" }), params.ErrUnknown},
		{"a threshold of zero", bad(func(s *Setup) { s.Threshold = 0 }), ErrSetup},
		{"a threshold above the holders", bad(func(s *Setup) { s.Threshold = 6 }), ErrSetup},
		{"a short seed", bad(func(s *Setup) { s.Seed = "abcd" }), ErrSetup},
		{"a seed that is not hex", bad(func(s *Setup) { s.Seed = string(make([]byte, 64)) }), ErrSetup},
		{"a repeated holder", bad(func(s *Setup) { s.Holders[1] = s.Holders[0] }), ErrSetup},
		{"a holder that is not a recipient", bad(func(s *Setup) { s.Holders[2] = "age1nope" }), ErrSetup},
		{"no holders", bad(func(s *Setup) { s.Holders = nil; s.Threshold = 1 }), ErrSetup},
		{"too many holders", bad(func(s *Setup) { s.Holders = make([]string, params.MaxHolders+1) }), ErrSetup},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.setup.Validate()
			require.ErrorIs(t, err, tc.want)
			_, err = Contribute(tc.setup, 1)
			require.ErrorIs(t, err, tc.want)
		})
	}
	_, err = ParseSetup([]byte(`{"paramSet":"InsecureN11T58","extra":1}`))
	require.ErrorIs(t, err, ErrSetup)
	_, err = ParseSetup(append(b, b...))
	require.ErrorIs(t, err, ErrSetup)
	_, err = Contribute(c.Setup, 0)
	require.ErrorIs(t, err, ErrSetup)
	_, err = Contribute(c.Setup, 6)
	require.ErrorIs(t, err, ErrSetup)
}

func TestMessagesOfAnotherCeremonyAreRefused(t *testing.T) {
	c := testCeremony(t)
	other := c.Setup
	other.Seed = "ff" + other.Seed[2:]
	_, err := ParseMessage(other, c.Messages[0], nil)
	require.ErrorIs(t, err, codec.ErrFormat)
	d := codec.Digest(c.Messages[1])
	_, err = ParseMessage(c.Setup, c.Messages[0], &d)
	require.ErrorIs(t, err, codec.ErrDigest)
}

func TestSecretsAreSealedAtRestWithOwnerOnlyPermissions(t *testing.T) {
	c := testCeremony(t)
	set := c.ThresholdKeys[0].Set()
	dir := t.TempDir()
	path := filepath.Join(dir, "holder1.key")

	rcpt, err := age.NewScryptRecipient("correct horse battery staple")
	require.NoError(t, err)
	rcpt.SetWorkFactor(10)
	require.NoError(t, c.ThresholdKeys[0].Save(path, rcpt))
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, SecretFileMode, st.Mode().Perm())
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	plain, _ := c.ThresholdKeys[0].MarshalBinary()
	require.False(t, bytes.Contains(raw, plain[codec.HeaderSize:codec.HeaderSize+64]), "stored in the clear")

	// Never overwritten.
	require.ErrorIs(t, c.ThresholdKeys[1].Save(path, rcpt), fs.ErrExist)

	id, err := age.NewScryptIdentity("correct horse battery staple")
	require.NoError(t, err)
	k, err := LoadThresholdKey(set, path, id)
	require.NoError(t, err)
	require.Equal(t, 1, k.Holder())

	wrong, err := age.NewScryptIdentity("wrong")
	require.NoError(t, err)
	_, err = LoadThresholdKey(set, path, wrong)
	require.Error(t, err)

	// Identity-file sealing, and refusal of a world-readable file.
	path2 := filepath.Join(dir, "holder2.key")
	require.NoError(t, c.ThresholdKeys[1].Save(path2, c.Transport[1].Recipient()))
	_, err = LoadThresholdKey(set, path2, c.Transport[1])
	require.NoError(t, err)
	require.NoError(t, os.Chmod(path2, 0o644))
	_, err = LoadThresholdKey(set, path2, c.Transport[1])
	require.ErrorIs(t, err, ErrPermissions)

	// No temporary files are left behind.
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 2)
}

func TestConcurrentWritersOfOnePathProduceOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x")
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = WriteNew(path, []byte{byte(i)})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			require.True(t, errors.Is(err, fs.ErrExist))
		}
	}
	require.Equal(t, 1, ok)
}

// TestOneHolderAtATimeAsTheCLIDoes runs a 2-of-3 ceremony through the per-holder
// functions and files only: each holder's state lives in its own directory, sealed
// with its own passphrase.
func TestOneHolderAtATimeAsTheCLIDoes(t *testing.T) {
	set := params.MustNamed(params.InsecureN11T58)
	const n = 3
	dirs := make([]string, n)
	pass := func(i int) string { return "passphrase of holder " + string(rune('A'+i)) }
	var recipients []*age.X25519Recipient
	for i := range n {
		dirs[i] = t.TempDir()
		r, err := age.NewScryptRecipient(pass(i))
		require.NoError(t, err)
		r.SetWorkFactor(10)
		rc, err := NewTransportIdentity(filepath.Join(dirs[i], "transport.age"), r)
		require.NoError(t, err)
		recipients = append(recipients, rc)
	}
	setup, err := NewSetup(set, 2, [32]byte{42}, recipients)
	require.NoError(t, err)
	setupJSON, err := setup.MarshalJSON()
	require.NoError(t, err)

	// Round: each holder alone; the messages and their digests are published.
	msgs := make([][]byte, n)
	digests := make([][32]byte, n)
	for i := range n {
		s, err := ParseSetup(setupJSON)
		require.NoError(t, err)
		msgs[i], err = Contribute(s, i+1)
		require.NoError(t, err)
		digests[i] = codec.Digest(msgs[i])
	}
	// Finalize: each holder alone, streaming the published messages checked against
	// the published digests.
	for i := range n {
		id, err := age.NewScryptIdentity(pass(i))
		require.NoError(t, err)
		tid, err := LoadTransportIdentity(filepath.Join(dirs[i], "transport.age"), id)
		require.NoError(t, err)
		fin, err := NewFinalizer(setup, i+1, tid)
		require.NoError(t, err)
		for j := n - 1; j >= 0; j-- {
			m, err := ParseMessage(setup, msgs[j], &digests[j])
			require.NoError(t, err)
			require.NoError(t, fin.Add(m))
			if j > 0 {
				_, err := fin.Key()
				require.ErrorIs(t, err, ErrTranscript)
			}
		}
		k, err := fin.Key()
		require.NoError(t, err)
		r, err := age.NewScryptRecipient(pass(i))
		require.NoError(t, err)
		r.SetWorkFactor(10)
		require.NoError(t, k.Save(filepath.Join(dirs[i], "threshold.age"), r))
		require.NoError(t, os.Remove(filepath.Join(dirs[i], "transport.age")))
	}
	// Anyone: the public outputs, streaming; any two holders' keys reconstruct their
	// secret.
	agg, err := NewAggregator(setup)
	require.NoError(t, err)
	for j := range n {
		m, err := ParseMessage(setup, msgs[j], &digests[j])
		require.NoError(t, err)
		require.NoError(t, agg.Add(m))
		require.ErrorIs(t, agg.Add(m), ErrTranscript)
		if j < n-1 {
			_, err := agg.Keys()
			require.ErrorContains(t, err, "no message from holders")
		}
	}
	keys, err := agg.Keys()
	require.NoError(t, err)
	c := &Ceremony{Setup: setup, Keys: keys, ThresholdKeys: make([]*ThresholdKey, n)}
	for i := range n {
		id, err := age.NewScryptIdentity(pass(i))
		require.NoError(t, err)
		c.ThresholdKeys[i], err = LoadThresholdKey(set, filepath.Join(dirs[i], "threshold.age"), id)
		require.NoError(t, err)
	}
	for _, active := range [][]int{{1, 2}, {1, 3}, {2, 3}} {
		s := collectiveSecret(t, c, active)
		require.Less(t, rlwe.NoisePublicKey(keys.PublicKey, s, set.RLWE()), 5.0)
	}
}
