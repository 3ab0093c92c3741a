package ceremony

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"filippo.io/age"
	"github.com/tuneinsight/lattigo/v6/utils/sampling"

	"github.com/statledger/statledger/crypto/params"
)

// ErrSetup is wrapped by every error about an invalid Setup.
var ErrSetup = errors.New("ceremony: invalid setup")

// Setup is the public description of one key ceremony, agreed before it starts and
// recorded on the ledger by its digest: the parameter set, the threshold, the public seed
// of the common reference string, and each key holder's age X25519 transport recipient
// (holder i, 1-based, is Holders[i-1]; i is also its Shamir point). It is a plain value
// with JSON tags; use Digest to name it.
type Setup struct {
	// ParamSet is the name of the parameter set (params.Named).
	ParamSet string `json:"paramSet"`
	// Threshold is t: any t holders can decrypt, fewer cannot. 1 <= t <= len(Holders).
	Threshold int `json:"threshold"`
	// Seed is the public seed of the common reference string, 32 bytes in hex. It must
	// be unpredictable before the holders are fixed (for example a ledger transaction
	// hash) and is recorded on the ledger.
	Seed string `json:"seed"`
	// Holders are the holders' age X25519 recipients ("age1..."), to which the Shamir
	// shares they receive are encrypted. 1 <= len(Holders) <= params.MaxHolders.
	Holders []string `json:"holders"`
}

// NewSetup returns a Setup for the named parameter set with threshold t, the given
// seed and transport recipients, validated. Errors wrap ErrSetup or params.ErrUnknown.
func NewSetup(set *params.Set, t int, seed [32]byte, holders []*age.X25519Recipient) (Setup, error) {
	s := Setup{ParamSet: set.Name(), Threshold: t, Seed: hex.EncodeToString(seed[:])}
	for _, h := range holders {
		s.Holders = append(s.Holders, h.String())
	}
	if _, err := s.Validate(); err != nil {
		return Setup{}, err
	}
	return s, nil
}

// Validate checks s and returns its parameter set. Errors wrap ErrSetup, or
// params.ErrUnknown for an unknown parameter set. Safe for concurrent use.
func (s Setup) Validate() (*params.Set, error) {
	set, err := params.Named(s.ParamSet)
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	n := len(s.Holders)
	if n < 1 || n > params.MaxHolders {
		return nil, fmt.Errorf("%w: %d holders, want 1 to %d", ErrSetup, n, params.MaxHolders)
	}
	if s.Threshold < 1 || s.Threshold > n {
		return nil, fmt.Errorf("%w: threshold %d of %d holders", ErrSetup, s.Threshold, n)
	}
	if _, err := s.seed(); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i, h := range s.Holders {
		if _, err := age.ParseX25519Recipient(h); err != nil {
			return nil, fmt.Errorf("%w: holder %d: not an age X25519 recipient", ErrSetup, i+1)
		}
		if seen[h] {
			return nil, fmt.Errorf("%w: holder %d repeats a recipient", ErrSetup, i+1)
		}
		seen[h] = true
	}
	return set, nil
}

func (s Setup) seed() ([32]byte, error) {
	var seed [32]byte
	b, err := hex.DecodeString(s.Seed)
	if err != nil || len(b) != len(seed) {
		return seed, fmt.Errorf("%w: seed must be 32 bytes in hex", ErrSetup)
	}
	copy(seed[:], b)
	return seed, nil
}

// recipient returns holder i's transport recipient; s must be valid.
func (s Setup) recipient(i int) (*age.X25519Recipient, error) {
	r, err := age.ParseX25519Recipient(s.Holders[i-1])
	if err != nil {
		return nil, fmt.Errorf("%w: holder %d: not an age X25519 recipient", ErrSetup, i)
	}
	return r, nil
}

// MarshalJSON is the canonical encoding of s: the encoding Digest hashes.
func (s Setup) MarshalJSON() ([]byte, error) {
	type plain Setup
	return json.Marshal(plain(s))
}

// ParseSetup decodes a Setup strictly (unknown fields and trailing data are errors) and
// validates it. Errors wrap ErrSetup or the JSON decoder's error.
func ParseSetup(data []byte) (Setup, error) {
	type plain Setup
	var v plain
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return Setup{}, fmt.Errorf("%w: %w", ErrSetup, err)
	}
	if dec.More() {
		return Setup{}, fmt.Errorf("%w: trailing data", ErrSetup)
	}
	if _, err := Setup(v).Validate(); err != nil {
		return Setup{}, err
	}
	return Setup(v), nil
}

// Digest returns the SHA-256 digest of s's canonical JSON encoding: the name of the
// ceremony, written into every blob it produces. Safe for concurrent use.
func (s Setup) Digest() [32]byte {
	b, _ := s.MarshalJSON() // a struct of strings and ints always encodes
	return sha256.Sum256(b)
}

// crs returns the keyed PRNG of the common reference string for one protocol object:
// keyed by the setup digest (which contains the public seed) and domain-separated by
// label, so that every holder samples the same polynomials and no two ceremonies do.
func (s Setup) crs(label string) (*sampling.KeyedPRNG, error) {
	d := s.Digest()
	h := sha256.New()
	h.Write([]byte("statledger ceremony CRS v1\x00"))
	h.Write(d[:])
	h.Write([]byte(label))
	prng, err := sampling.NewKeyedPRNG(h.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("common reference string: %w", err)
	}
	return prng, nil
}
