// Package encrypt turns a provider's plaintext cube into an encrypted submission: the
// cube's slot vectors (crypto/cube) are encoded into BGV plaintexts, encrypted under
// the consortium's collective public key at the parameter set's top level (one
// ciphertext per two rows of the layout, so several when the cube exceeds the slots),
// and serialised in the strict binary format of crypto/codec with the layout's
// fingerprint in the header.
//
// It also decodes submissions, and encodes sums of submissions (an aggregate is itself
// a valid submission, so workers can aggregate in a tree).
package encrypt

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"

	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/params"
)

// ErrKey is returned by New for a public key that does not belong to the parameter set.
var ErrKey = errors.New("encrypt: public key does not match the parameter set")

// ErrLayout is returned when a cube or a layout does not match the encryptor's layout
// or parameter set.
var ErrLayout = errors.New("encrypt: layout does not match")

// Encryptor encrypts cubes of one layout under one public key. It is safe for
// concurrent use: each call uses its own Lattigo encryptor and randomness from
// crypto/rand.
type Encryptor struct {
	set    *params.Set
	layout *cube.Layout
	pk     *rlwe.PublicKey
	ecd    *bgv.Encoder
}

// New returns an Encryptor for cubes of layout under the collective public key pk. It
// returns an error wrapping ErrLayout if the layout's rows are not the set's rows, and
// ErrKey if pk is not a public key of the set's ring at its full modulus.
func New(set *params.Set, layout *cube.Layout, pk *rlwe.PublicKey) (*Encryptor, error) {
	if layout.RowSlots() != set.RowSlots() {
		return nil, fmt.Errorf("layout of %d-slot rows under %s with %d-slot rows: %w", layout.RowSlots(), set.Name(), set.RowSlots(), ErrLayout)
	}
	if err := checkPublicKey(set, pk); err != nil {
		return nil, err
	}
	return &Encryptor{set: set, layout: layout, pk: pk, ecd: bgv.NewEncoder(set.BGV())}, nil
}

// checkPublicKey validates pk's shape against the set, so Lattigo never panics on it.
func checkPublicKey(set *params.Set, pk *rlwe.PublicKey) error {
	p := set.RLWE()
	if pk == nil || len(pk.Value) != 2 {
		return fmt.Errorf("not a public key: %w", ErrKey)
	}
	for _, v := range pk.Value {
		if len(v.Q.Coeffs) != p.QCount() || len(v.P.Coeffs) != p.PCount() {
			return fmt.Errorf("public key has %d+%d moduli, want %d+%d: %w", len(v.Q.Coeffs), len(v.P.Coeffs), p.QCount(), p.PCount(), ErrKey)
		}
		for _, rows := range [][][]uint64{v.Q.Coeffs, v.P.Coeffs} {
			for _, row := range rows {
				if len(row) != set.N() {
					return fmt.Errorf("public key of ring degree %d, want %d: %w", len(row), set.N(), ErrKey)
				}
			}
		}
	}
	return nil
}

// Layout returns the encryptor's layout.
func (e *Encryptor) Layout() *cube.Layout { return e.layout }

// EncryptCiphertexts encodes c's slots and encrypts them, returning one ciphertext per
// two rows of the layout at the set's top level. Ciphertexts are encrypted in parallel
// (up to GOMAXPROCS at a time), each with its own encryptor and fresh randomness. It
// returns an error wrapping ErrLayout for a cube of another layout. Safe for concurrent
// use.
func (e *Encryptor) EncryptCiphertexts(c *cube.Cube) ([]*rlwe.Ciphertext, error) {
	if c.Layout() != e.layout && c.Layout().Fingerprint() != e.layout.Fingerprint() {
		return nil, fmt.Errorf("encrypt a cube of another layout: %w", ErrLayout)
	}
	p := e.set.BGV()
	slots := c.Slots(e.set.PlaintextModulus())
	cts := make([]*rlwe.Ciphertext, len(slots))
	errs := make([]error, len(slots))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, v := range slots {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			pt := bgv.NewPlaintext(p, e.set.TopLevel())
			if err := e.ecd.Encode(v, pt); err != nil {
				errs[i] = fmt.Errorf("encode ciphertext %d: %w", i, err)
				return
			}
			ct := bgv.NewCiphertext(p, 1, e.set.TopLevel())
			if err := rlwe.NewEncryptor(p, e.pk).Encrypt(pt, ct); err != nil {
				errs[i] = fmt.Errorf("encrypt ciphertext %d: %w", i, err)
				return
			}
			cts[i] = ct
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return cts, nil
}

// Encrypt encrypts c and returns the submission blob (codec.KindSubmission, the set's
// name, top level, one ciphertext per two layout rows, the layout's fingerprint as Ref).
// Its SHA-256 digest is codec.Digest(blob). It returns the errors of EncryptCiphertexts.
// Safe for concurrent use.
func (e *Encryptor) Encrypt(c *cube.Cube) ([]byte, error) {
	cts, err := e.EncryptCiphertexts(c)
	if err != nil {
		return nil, err
	}
	return Encode(e.set, e.layout, cts)
}

// Encode serialises the ciphertexts of an encrypted cube of layout (a submission or a
// sum of submissions) at the set's top level. It returns an error for a wrong number of
// ciphertexts or ciphertexts of another shape. Safe for concurrent use.
func Encode(set *params.Set, layout *cube.Layout, cts []*rlwe.Ciphertext) ([]byte, error) {
	if len(cts) != layout.Ciphertexts() {
		return nil, fmt.Errorf("encode submission: %d ciphertexts for a layout of %d: %w", len(cts), layout.Ciphertexts(), ErrLayout)
	}
	for i, ct := range cts {
		if ct == nil || ct.Level() != set.TopLevel() {
			return nil, fmt.Errorf("encode submission: ciphertext %d is not at the top level: %w", i, ErrLayout)
		}
	}
	return codec.EncodeCiphertexts(codec.KindSubmission, set, layout.Fingerprint(), cts)
}

// Size returns the exact size in bytes of a submission of layout under set.
func Size(set *params.Set, layout *cube.Layout) int {
	return codec.CiphertextsSize(set, set.TopLevel(), layout.Ciphertexts())
}

// Decode checks and decodes a submission blob of layout under set: digest (if not nil)
// first, then header, exact size, and every coefficient (see codec.DecodeCiphertexts).
// It returns an error wrapping codec.ErrFormat (and codec.ErrDigest) for any blob that
// is not exactly a submission of this layout; it never panics. Safe for concurrent use.
func Decode(set *params.Set, layout *cube.Layout, data []byte, digest *[32]byte) ([]*rlwe.Ciphertext, error) {
	return codec.DecodeCiphertexts(data, digest, codec.KindSubmission, set, layout.Fingerprint(), set.TopLevel(), layout.Ciphertexts())
}
