package ceremony

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/crypto/codec"
)

// requireCleanErrors feeds decode 200 truncations and 200 corruptions of the valid blob
// and requires an error wrapping codec.ErrFormat for every one, and no panic. Corrupted
// blobs are decoded with the expected digest (as every caller that has one on the
// ledger does) and again without it, where only the absence of a panic is required.
func requireCleanErrors(t *testing.T, valid []byte, decode func(b []byte, digest *[32]byte) error) {
	t.Helper()
	require.NoError(t, decode(valid, nil))
	d := codec.Digest(valid)
	require.NoError(t, decode(valid, &d))
	rng := rand.New(rand.NewPCG(uint64(len(valid)), 42))
	fixed := []int{0, 1, codec.HeaderSize - 1, codec.HeaderSize, codec.HeaderSize + 1, len(valid) - 1}
	errs := 0
	for i := range 200 {
		n := rng.IntN(len(valid))
		if i < len(fixed) {
			n = fixed[i]
		}
		err := decode(valid[:n:n], nil)
		require.ErrorIs(t, err, codec.ErrFormat, "truncated to %d bytes", n)
		errs++
	}
	undetected := 0
	for range 200 {
		b := append([]byte(nil), valid...)
		for range 1 + rng.IntN(4) {
			b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
		}
		err := decode(b, &d)
		require.ErrorIs(t, err, codec.ErrFormat)
		require.True(t, errors.Is(err, codec.ErrDigest))
		errs++
		if decode(b, nil) == nil {
			undetected++
		}
	}
	require.Equal(t, 400, errs)
	t.Logf("without a digest, %d of 200 corruptions decoded (coefficients still below their primes)", undetected)
}

func TestDecodersGiveCleanErrorsOnTruncatedAndCorruptedBlobs(t *testing.T) {
	c := testCeremony(t)
	set := c.ThresholdKeys[0].Set()
	ref := c.Setup.Digest()
	pk, err := EncodePublicKey(set, codec.KindPublicKey, ref, c.PublicKey)
	require.NoError(t, err)
	gk, err := EncodeGaloisKeys(set, ref, c.EvaluationKeys)
	require.NoError(t, err)
	tk, err := c.ThresholdKeys[0].MarshalBinary()
	require.NoError(t, err)

	t.Run("public key", func(t *testing.T) {
		requireCleanErrors(t, pk, func(b []byte, d *[32]byte) error {
			_, _, err := DecodePublicKey(set, codec.KindPublicKey, b, d)
			return err
		})
	})
	t.Run("rotation keys", func(t *testing.T) {
		requireCleanErrors(t, gk, func(b []byte, d *[32]byte) error {
			_, _, err := DecodeGaloisKeys(set, b, d)
			return err
		})
	})
	t.Run("threshold key", func(t *testing.T) {
		// At rest the key is sealed with age, which authenticates it: corrupt the
		// sealed file, truncate the plain encoding.
		rng := rand.New(rand.NewPCG(7, 7))
		dir := t.TempDir()
		path := filepath.Join(dir, "key")
		require.NoError(t, c.ThresholdKeys[0].Save(path, c.Transport[0].Recipient()))
		sealed, err := os.ReadFile(path)
		require.NoError(t, err)
		for i := range 200 {
			n := rng.IntN(len(tk))
			_, err := ParseThresholdKey(set, tk[:n:n])
			require.ErrorIs(t, err, codec.ErrFormat)

			b := append([]byte(nil), sealed...)
			b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
			p := filepath.Join(dir, fmt.Sprintf("corrupt-%d", i))
			require.NoError(t, WriteNew(p, b))
			_, err = LoadThresholdKey(set, p, c.Transport[0])
			require.Error(t, err)
		}
	})
	t.Run("round message", func(t *testing.T) {
		requireCleanErrors(t, c.Messages[2], func(b []byte, d *[32]byte) error {
			_, err := ParseMessage(c.Setup, b, d)
			return err
		})
	})
}

func TestCorruptedShamirSharesAreRefusedByFinalize(t *testing.T) {
	c := testCeremony(t)
	msgs := parseAll(t, c)
	rng := rand.New(rand.NewPCG(5, 5))
	for range 20 {
		m := *msgs[3]
		m.sealed = append([][]byte(nil), m.sealed...)
		b := append([]byte(nil), m.sealed[0]...)
		b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
		m.sealed[0] = b
		in := append([]*Message(nil), msgs...)
		in[3] = &m
		_, err := Finalize(c.Setup, 1, in, c.Transport[0])
		require.ErrorIs(t, err, ErrShare)
	}
	// A share re-addressed from another holder's message is refused by its header.
	m := *msgs[3]
	m.sealed = append([][]byte(nil), m.sealed...)
	m.sealed[0] = msgs[2].sealed[0]
	in := append([]*Message(nil), msgs...)
	in[3] = &m
	_, err := Finalize(c.Setup, 1, in, c.Transport[0])
	require.ErrorIs(t, err, ErrShare)
}
