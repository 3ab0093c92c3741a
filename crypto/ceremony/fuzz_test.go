package ceremony

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/params"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed corpora under testdata/fuzz")

// fuzzIdentities are fixed, test-only transport identities, so that the fuzz setup (and
// the ceremony digest in seed blobs) is the same in every run.
var fuzzIdentities = []string{
	"AGE-SECRET-KEY-15Y5KVSXP0Z0MFP9RVARDZH3YTFK7V8Z06ANQSJA0JX83PXSLUJEQSWRPFK",
	"AGE-SECRET-KEY-1PHPN2CZCKXKLCWN30LCTUJ3GNZE9340U0Z5KQZYS7Z3C20NHPMQSYX83KL",
	"AGE-SECRET-KEY-162DNTCNAG585Q9787N6N3D8KX88TYPZSYLGJR7632C5HJCNA02NSSJSU4L",
}

func fuzzSetup(t testing.TB) (Setup, []*age.X25519Identity) {
	var ids []*age.X25519Identity
	var rcpts []*age.X25519Recipient
	for _, s := range fuzzIdentities {
		id, err := age.ParseX25519Identity(s)
		require.NoError(t, err)
		ids = append(ids, id)
		rcpts = append(rcpts, id.Recipient())
	}
	s, err := NewSetup(params.MustNamed(params.InsecureN11T58), 2, [32]byte{9}, rcpts)
	require.NoError(t, err)
	return s, ids
}

// seedPrefixes are the seeds written for a valid blob: its header alone, the header
// with a little payload, and the header with another kind.
func seedPrefixes(valid []byte) [][]byte {
	other := append([]byte(nil), valid[:codec.HeaderSize]...)
	other[6] ^= 0x7f
	return [][]byte{{}, valid[:codec.HeaderSize], valid[:codec.HeaderSize+64], other}
}

// writeSeeds writes seeds in the go-fuzz corpus format under testdata/fuzz/name.
func writeSeeds(t *testing.T, name string, seeds [][]byte) {
	dir := filepath.Join("testdata", "fuzz", name)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for i, s := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(s)))
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%d", i)), []byte(body), 0o644))
	}
}

// fuzzBlobs returns a valid blob of every kind this package decodes, for the fixed setup.
func fuzzBlobs(t testing.TB) (Setup, map[string][]byte) {
	s, _ := fuzzSetup(t)
	set := params.MustNamed(params.InsecureN11T58)
	msg, err := Contribute(s, 1)
	require.NoError(t, err)
	c := testCeremony(t)
	pk, err := EncodePublicKey(set, codec.KindPublicKey, s.Digest(), c.PublicKey)
	require.NoError(t, err)
	gk, err := EncodeGaloisKeys(set, s.Digest(), c.EvaluationKeys)
	require.NoError(t, err)
	tk, err := c.ThresholdKeys[0].MarshalBinary()
	require.NoError(t, err)
	setup, err := s.MarshalJSON()
	require.NoError(t, err)
	return s, map[string][]byte{"FuzzParseMessage": msg, "FuzzDecodePublicKey": pk, "FuzzDecodeGaloisKeys": gk,
		"FuzzParseThresholdKey": tk, "FuzzParseSetup": setup}
}

func TestFuzzSeedCorporaExist(t *testing.T) {
	_, blobs := fuzzBlobs(t)
	for name, b := range blobs {
		if *update {
			seeds := [][]byte{b}
			if name != "FuzzParseSetup" {
				seeds = seedPrefixes(b)
			}
			writeSeeds(t, name, seeds)
		}
		entries, err := os.ReadDir(filepath.Join("testdata", "fuzz", name))
		require.NoError(t, err, "run go test -run TestFuzzSeedCorporaExist -update")
		require.NotEmpty(t, entries)
	}
}

// fuzzDecoder adds the full valid blob as a seed and requires decode never to panic
// and to accept or refuse consistently with an exact-size check.
func fuzzDecoder(f *testing.F, name string, decode func(s Setup, b []byte) error) {
	s, blobs := fuzzBlobs(f)
	f.Add(blobs[name])
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := decode(s, b); err == nil && len(b) != len(blobs[name]) && name != "FuzzParseSetup" {
			t.Fatalf("accepted a blob of %d bytes, valid ones have %d", len(b), len(blobs[name]))
		}
	})
}

func FuzzParseMessage(f *testing.F) {
	fuzzDecoder(f, "FuzzParseMessage", func(s Setup, b []byte) error {
		_, err := ParseMessage(s, b, nil)
		return err
	})
}

func FuzzDecodePublicKey(f *testing.F) {
	fuzzDecoder(f, "FuzzDecodePublicKey", func(s Setup, b []byte) error {
		_, _, err := DecodePublicKey(params.MustNamed(s.ParamSet), codec.KindPublicKey, b, nil)
		return err
	})
}

func FuzzDecodeGaloisKeys(f *testing.F) {
	fuzzDecoder(f, "FuzzDecodeGaloisKeys", func(s Setup, b []byte) error {
		_, _, err := DecodeGaloisKeys(params.MustNamed(s.ParamSet), b, nil)
		return err
	})
}

func FuzzParseThresholdKey(f *testing.F) {
	fuzzDecoder(f, "FuzzParseThresholdKey", func(s Setup, b []byte) error {
		_, err := ParseThresholdKey(params.MustNamed(s.ParamSet), b)
		return err
	})
}

func FuzzParseSetup(f *testing.F) {
	fuzzDecoder(f, "FuzzParseSetup", func(_ Setup, b []byte) error {
		s, err := ParseSetup(b)
		if err == nil {
			if _, verr := s.Validate(); verr != nil {
				return fmt.Errorf("parsed an invalid setup: %w", verr)
			}
		}
		return err
	})
}
