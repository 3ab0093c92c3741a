package decrypt

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sync"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/multiparty"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"

	"github.com/statledger/statledger/crypto/ceremony"
	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/dp"
	"github.com/statledger/statledger/crypto/params"
)

// ErrInvalid is wrapped by errors about an invalid request: ciphertexts of the wrong
// shape, an analyst key of other parameters, inconsistent noise settings.
var ErrInvalid = errors.New("decrypt: invalid request")

// ErrAlreadyShared is returned by NewShare when the holder has already produced a share
// for a ciphertext with the same mask (second component) under a different request: a
// second share would leak its key share, so it refuses.
var ErrAlreadyShared = errors.New("decrypt: a different share was already produced for this ciphertext")

// ErrNotEnoughShares is wrapped by Combine when a share of an active holder is missing.
var ErrNotEnoughShares = errors.New("decrypt: not enough decryption shares")

// ErrMismatch is wrapped by Combine when shares disagree with each other or with the
// result (another result, active set, analyst key, noise or ceremony).
var ErrMismatch = errors.New("decrypt: shares do not belong together")

// Request is what a holder's decryption share is for. Every active holder must use the
// same request, fixed before any share is made (on the ledger).
type Request struct {
	// ResultDigest is the SHA-256 of the result blob posted on the ledger.
	ResultDigest [32]byte
	// Result are the result ciphertexts decoded from that blob, at the parameter set's
	// ResultLevel.
	Result []*rlwe.Ciphertext
	// Analyst is the public key the result is re-encrypted to.
	Analyst *rlwe.PublicKey
	// Active are the t holders taking part (1-based, ascending, distinct), fixed before
	// the first share: shares for another active set never combine.
	Active []int
	// Noise is the differential-privacy noise every active holder adds; nil switches
	// noise off (exact statistics), which must be the policy's explicit choice.
	Noise *dp.Noise
	// NoiseSlots lists, for each result ciphertext, the slots (0 to Slots()-1) that
	// receive noise: exactly the released output cells. Nil or empty when Noise is nil.
	NoiseSlots [][]int
}

// check validates r for set and returns the number of noisy values.
func (r *Request) check(set *params.Set) (int, error) {
	if len(r.Result) == 0 {
		return 0, fmt.Errorf("%w: no result ciphertext", ErrInvalid)
	}
	for i, ct := range r.Result {
		if err := checkCiphertext(set, ct, set.ResultLevel()); err != nil {
			return 0, fmt.Errorf("result ciphertext %d: %w", i, err)
		}
	}
	if r.Analyst == nil {
		return 0, fmt.Errorf("%w: no analyst key", ErrInvalid)
	}
	if r.Noise == nil {
		for _, s := range r.NoiseSlots {
			if len(s) > 0 {
				return 0, fmt.Errorf("%w: noise slots without noise", ErrInvalid)
			}
		}
		return 0, nil
	}
	if err := r.Noise.Validate(); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if r.Noise.Parties != len(r.Active) {
		return 0, fmt.Errorf("%w: noise calibrated for %d holders, %d active", ErrInvalid, r.Noise.Parties, len(r.Active))
	}
	if len(r.NoiseSlots) != len(r.Result) {
		return 0, fmt.Errorf("%w: noise slots for %d ciphertexts, result has %d", ErrInvalid, len(r.NoiseSlots), len(r.Result))
	}
	total := 0
	for i, slots := range r.NoiseSlots {
		for k, s := range slots {
			if s < 0 || s >= set.Slots() || (k > 0 && s <= slots[k-1]) {
				return 0, fmt.Errorf("%w: noise slots of ciphertext %d must be ascending, distinct and below %d", ErrInvalid, i, set.Slots())
			}
		}
		total += len(slots)
	}
	if total == 0 {
		return 0, fmt.Errorf("%w: noise on but no noise slots", ErrInvalid)
	}
	if total > r.Noise.MaxValues {
		return 0, fmt.Errorf("%w: %d noisy values exceed the %d the noise covers", ErrInvalid, total, r.Noise.MaxValues)
	}
	return total, nil
}

// checkCiphertext validates that ct is a degree-1 BGV ciphertext of set in the NTT
// domain at level (any level if level < 0), before Lattigo sees it.
func checkCiphertext(set *params.Set, ct *rlwe.Ciphertext, level int) error {
	if ct == nil || ct.MetaData == nil || len(ct.Value) != 2 {
		return fmt.Errorf("%w: not a degree-1 ciphertext", ErrInvalid)
	}
	l := len(ct.Value[0].Coeffs) - 1
	if l < 0 || l > set.TopLevel() || (level >= 0 && l != level) {
		return fmt.Errorf("%w: ciphertext at level %d, want %d", ErrInvalid, l, level)
	}
	for _, p := range ct.Value {
		if len(p.Coeffs) != l+1 {
			return fmt.Errorf("%w: ciphertext polynomials at different levels", ErrInvalid)
		}
		for _, row := range p.Coeffs {
			if len(row) != set.N() {
				return fmt.Errorf("%w: ciphertext of ring degree %d, want %d", ErrInvalid, len(row), set.N())
			}
		}
	}
	if !ct.IsNTT || ct.IsMontgomery || !ct.IsBatched {
		return fmt.Errorf("%w: ciphertext not in the batched NTT domain", ErrInvalid)
	}
	if s := ct.Scale.Uint64(); s == 0 || s >= set.PlaintextModulus() {
		return fmt.Errorf("%w: ciphertext scale out of range", ErrInvalid)
	}
	return nil
}

// MaskDigest returns the SHA-256 of the second components (the masks) of cts, ciphertext
// after ciphertext (a nil or degree-0 ciphertext counts as an empty mask). A decryption
// share depends on the ciphertext only through its mask, so the journal of shares is
// keyed by it. Safe for concurrent use.
func MaskDigest(cts []*rlwe.Ciphertext) [32]byte {
	h := sha256.New()
	var buf [8]byte
	for i, ct := range cts {
		binary.LittleEndian.PutUint64(buf[:], uint64(i))
		h.Write(buf[:])
		if ct == nil || len(ct.Value) < 2 {
			continue
		}
		for _, row := range ct.Value[1].Coeffs {
			for _, v := range row {
				binary.LittleEndian.PutUint64(buf[:], v)
				h.Write(buf[:])
			}
		}
	}
	return [32]byte(h.Sum(nil))
}

// NoiseDigest returns the SHA-256 of the canonical JSON of noise and its slots, and the
// zero digest when noise is nil (noise off).
func NoiseDigest(noise *dp.Noise, slots [][]int) [32]byte {
	if noise == nil {
		return [32]byte{}
	}
	b, _ := json.Marshal(struct {
		Noise *dp.Noise `json:"noise"`
		Slots [][]int   `json:"slots"`
	}{noise, slots}) // plain data always encodes
	return sha256.Sum256(b)
}

// Share is a decoded decryption share: one holder's re-encryption share of every result
// ciphertext, with what it was made for. Obtain one with ParseShare.
type Share struct {
	// Holder is the holder that made the share.
	Holder int
	// Result is the digest of the result blob.
	Result [32]byte
	// Active is the active set, ascending.
	Active []int
	// Analyst is the analyst-key digest (AnalystDigest).
	Analyst [32]byte
	// Noise is the noise digest (NoiseDigest); zero when noise was off.
	Noise [32]byte
	// Mask is the mask digest of the result (MaskDigest).
	Mask [32]byte
	// Setup is the digest of the ceremony whose key made the share.
	Setup [32]byte
	value []multiparty.PublicKeySwitchShare
}

// shareMeta is the fixed part of a share's payload after the active set: analyst,
// noise, mask and setup digests.
const shareMeta = 4 * 32

func shareSize(set *params.Set, count, t int) int {
	return 8*t + shareMeta + count*2*8*set.N()*(set.ResultLevel()+1)
}

// encode writes the share as a codec.KindDecryptionShare blob.
func (s *Share) encode(set *params.Set) ([]byte, error) {
	w, err := codec.NewWriter(codec.Header{Kind: codec.KindDecryptionShare, Params: set.Name(), Level: set.ResultLevel(),
		Count: len(s.value), Aux1: uint64(s.Holder), Aux2: uint64(len(s.Active)), Ref: s.Result},
		shareSize(set, len(s.value), len(s.Active)))
	if err != nil {
		return nil, err
	}
	var buf [8]byte
	for _, a := range s.Active {
		binary.LittleEndian.PutUint64(buf[:], uint64(a))
		w.Raw(buf[:])
	}
	for _, d := range [][32]byte{s.Analyst, s.Noise, s.Mask, s.Setup} {
		w.Raw(d[:])
	}
	for _, v := range s.value {
		w.Poly(v.Value[0])
		w.Poly(v.Value[1])
	}
	return w.Bytes(), nil
}

// ParseShare strictly decodes a decryption share: if digest is not nil (the digest on
// the ledger) the blob's SHA-256 must equal it; the header and the exact size are checked
// before any coefficient is read, the active set must be valid and contain the holder,
// and every coefficient must be below its prime. Every error wraps codec.ErrFormat.
// Safe for concurrent use.
func ParseShare(set *params.Set, data []byte, digest *[32]byte) (*Share, error) {
	h, r, err := codec.Open(data, digest, codec.KindDecryptionShare, set, func(h codec.Header) (int, error) {
		if h.Level != set.ResultLevel() || h.Count < 1 || h.Aux2 < 1 || h.Aux2 > params.MaxHolders ||
			h.Aux1 < 1 || h.Aux1 > params.MaxHolders {
			return 0, fmt.Errorf("unexpected header fields")
		}
		return shareSize(set, h.Count, int(h.Aux2)), nil
	})
	if err != nil {
		return nil, err
	}
	s := &Share{Holder: int(h.Aux1), Result: h.Ref, Active: make([]int, h.Aux2)}
	for i := range s.Active {
		b, err := r.Raw(8)
		if err != nil {
			return nil, fmt.Errorf("decode decryption share: %w", err)
		}
		v := binary.LittleEndian.Uint64(b)
		if v < 1 || v > params.MaxHolders || (i > 0 && int(v) <= s.Active[i-1]) {
			return nil, fmt.Errorf("decode decryption share: invalid active set: %w", codec.ErrFormat)
		}
		s.Active[i] = int(v)
	}
	if !slices.Contains(s.Active, s.Holder) {
		return nil, fmt.Errorf("decode decryption share: holder not in its active set: %w", codec.ErrFormat)
	}
	for _, d := range []*[32]byte{&s.Analyst, &s.Noise, &s.Mask, &s.Setup} {
		b, err := r.Raw(32)
		if err != nil {
			return nil, fmt.Errorf("decode decryption share: %w", err)
		}
		copy(d[:], b)
	}
	q := set.BGV().Q()
	pcks, err := multiparty.NewPublicKeySwitchProtocol(set.RLWE(), set.SmudgingNoise())
	if err != nil {
		return nil, fmt.Errorf("decode decryption share: %w", err)
	}
	for range h.Count {
		v := pcks.AllocateShare(set.ResultLevel())
		for _, p := range v.Value {
			if err := r.Poly(p, q); err != nil {
				return nil, fmt.Errorf("decode decryption share: %w", err)
			}
		}
		s.value = append(s.value, v)
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("decode decryption share: %w", err)
	}
	return s, nil
}

// journalKey names the share of one holder of one ceremony for one mask.
func journalKey(setup [32]byte, holder int, mask [32]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte("statledger decryption share v1\x00"))
	h.Write(setup[:])
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(holder))
	h.Write(buf[:])
	h.Write(mask[:])
	return [32]byte(h.Sum(nil))
}

// inFlight serialises NewShare calls for the same journal key within a process (by
// the key's first byte), so that concurrent calls do not compute shares that would be
// discarded. The journal's create-if-absent is what guarantees one share across
// processes.
var inFlight [64]sync.Mutex

// NewShare returns key's decryption share for req, a codec.KindDecryptionShare blob to
// publish and record by digest: for every result ciphertext, its public-key-switch share
// towards req.Analyst (multiparty.PublicKeySwitchProtocol with the additive share of the
// fixed active set and smudging noise set.SmudgingNoise()), plus, when req.Noise is set,
// this holder's differential-privacy noise (req.Noise.SampleShare from rng, use
// crypto/rand.Reader) added as an encoded plaintext so that the decrypted slots in
// req.NoiseSlots carry it and no other slot does.
//
// A holder makes at most one share per ciphertext, ever: NewShare first looks up the
// journal; if the identical request was answered before it returns the recorded bytes
// unchanged (resend them after a crash), and if a share for a ciphertext with the same
// mask was made under any other request (another active set, analyst, noise or result)
// it returns ErrAlreadyShared. A new share is recorded in the journal (durably) before
// NewShare returns it; if recording fails it is discarded.
//
// Errors wrap ErrInvalid (request), ceremony.ErrActiveSet, ErrAlreadyShared, dp's
// errors (sampling) or the journal's. Safe for concurrent use.
func NewShare(key *ceremony.ThresholdKey, req Request, journal Journal, rng io.Reader) ([]byte, error) {
	set := key.Set()
	nNoise, err := req.check(set)
	if err != nil {
		return nil, err
	}
	if err := key.CheckActive(req.Active); err != nil {
		return nil, err
	}
	analyst, err := AnalystDigest(set, req.Analyst)
	if err != nil {
		return nil, fmt.Errorf("%w: analyst key: %w", ErrInvalid, err)
	}
	want := &Share{Holder: key.Holder(), Result: req.ResultDigest, Active: slices.Clone(req.Active), Analyst: analyst,
		Noise: NoiseDigest(req.Noise, req.NoiseSlots), Mask: MaskDigest(req.Result), Setup: key.Setup()}
	jkey := journalKey(want.Setup, want.Holder, want.Mask)

	mu := &inFlight[int(jkey[0])%len(inFlight)]
	mu.Lock()
	defer mu.Unlock()

	if b, ok, err := journal.Get(jkey); err != nil {
		return nil, err
	} else if ok {
		return recorded(set, b, want, len(req.Result))
	}

	var noise []int64
	if req.Noise != nil {
		if noise, err = req.Noise.SampleShare(rng, nNoise); err != nil {
			return nil, fmt.Errorf("draw noise share: %w", err)
		}
	}
	sk, err := key.AdditiveShare(req.Active)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, row := range sk.Value.Q.Coeffs {
			clear(row)
		}
		for _, row := range sk.Value.P.Coeffs {
			clear(row)
		}
	}()
	if want.value, err = switchShares(set, sk, req, noise); err != nil {
		return nil, err
	}
	b, err := want.encode(set)
	if err != nil {
		return nil, err
	}
	if err := journal.Create(jkey, b); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Another process got there first: its share is the one.
			if old, ok, gerr := journal.Get(jkey); gerr == nil && ok {
				return recorded(set, old, want, len(req.Result))
			}
		}
		return nil, fmt.Errorf("record decryption share: %w", err)
	}
	return b, nil
}

// recorded returns the journal's share b if it answers the same request as want.
func recorded(set *params.Set, b []byte, want *Share, count int) ([]byte, error) {
	old, err := ParseShare(set, b, nil)
	if err != nil {
		return nil, fmt.Errorf("journal holds an unreadable share: %w", err)
	}
	if old.Holder != want.Holder || old.Result != want.Result || !slices.Equal(old.Active, want.Active) ||
		old.Analyst != want.Analyst || old.Noise != want.Noise || old.Mask != want.Mask ||
		old.Setup != want.Setup || len(old.value) != count {
		return nil, ErrAlreadyShared
	}
	return b, nil
}

// switchShares computes the public-key-switch shares of every result ciphertext, with
// this holder's noise values added in the noise slots.
func switchShares(set *params.Set, sk *rlwe.SecretKey, req Request, noise []int64) (out []multiparty.PublicKeySwitchShare, err error) {
	// Inputs are validated above; a panic here is a bug, never a crash of the caller.
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%w: internal error in key switching", ErrInvalid)
		}
	}()
	p := set.BGV()
	pcks, err := multiparty.NewPublicKeySwitchProtocol(p, set.SmudgingNoise())
	if err != nil {
		return nil, fmt.Errorf("key-switch protocol: %w", err)
	}
	ecd := bgv.NewEncoder(p)
	values := make([]int64, set.Slots())
	next := 0
	for i, ct := range req.Result {
		level := ct.Level()
		sh := pcks.AllocateShare(level)
		pcks.GenShare(sk, req.Analyst, ct, &sh)
		if req.Noise != nil && len(req.NoiseSlots[i]) > 0 {
			clear(values)
			for _, s := range req.NoiseSlots[i] {
				values[s] = noise[next]
				next++
			}
			pt := bgv.NewPlaintext(p, level)
			pt.Scale = ct.Scale
			pt.IsNTT = ct.IsNTT
			if err := ecd.Encode(values, pt); err != nil {
				return nil, fmt.Errorf("encode noise: %w", err)
			}
			p.RingQ().AtLevel(level).Add(sh.Value[0], pt.Value, sh.Value[0])
		}
		out = append(out, sh)
	}
	clear(values)
	return out, nil
}

// Combine checks that shares are the decryption shares of every active holder for the
// result (resultDigest, result) and sums them into the result re-encrypted to the
// analyst's key, which AnalystKey.Decrypt opens. All shares must agree on the result,
// mask, active set, analyst key, noise and ceremony, and each active holder must
// contribute exactly one. Errors wrap ErrInvalid (result), ErrMismatch, or
// ErrNotEnoughShares when an active holder's share is missing (for example t−1 shares).
// Safe for concurrent use.
func Combine(set *params.Set, resultDigest [32]byte, result []*rlwe.Ciphertext, shares []*Share) (out []*rlwe.Ciphertext, err error) {
	if len(result) == 0 {
		return nil, fmt.Errorf("%w: no result ciphertext", ErrInvalid)
	}
	for i, ct := range result {
		if err := checkCiphertext(set, ct, set.ResultLevel()); err != nil {
			return nil, fmt.Errorf("result ciphertext %d: %w", i, err)
		}
	}
	if len(shares) == 0 {
		return nil, fmt.Errorf("%w: no shares", ErrNotEnoughShares)
	}
	mask := MaskDigest(result)
	first := shares[0]
	byHolder := map[int]*Share{}
	for _, s := range shares {
		switch {
		case s == nil:
			return nil, fmt.Errorf("%w: nil share", ErrMismatch)
		case s.Result != resultDigest:
			return nil, fmt.Errorf("%w: share of holder %d is for another result", ErrMismatch, s.Holder)
		case s.Mask != mask:
			return nil, fmt.Errorf("%w: share of holder %d is for other ciphertexts", ErrMismatch, s.Holder)
		case len(s.value) != len(result):
			return nil, fmt.Errorf("%w: share of holder %d has %d ciphertexts, result %d", ErrMismatch, s.Holder, len(s.value), len(result))
		case !slices.Equal(s.Active, first.Active):
			return nil, fmt.Errorf("%w: holders %d and %d used different active sets", ErrMismatch, first.Holder, s.Holder)
		case s.Analyst != first.Analyst || s.Noise != first.Noise || s.Setup != first.Setup:
			return nil, fmt.Errorf("%w: holders %d and %d used different analyst keys, noise or ceremonies", ErrMismatch, first.Holder, s.Holder)
		case byHolder[s.Holder] != nil:
			return nil, fmt.Errorf("%w: two shares from holder %d", ErrMismatch, s.Holder)
		}
		byHolder[s.Holder] = s
	}
	var missing []int
	for _, a := range first.Active {
		if byHolder[a] == nil {
			missing = append(missing, a)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %d of %d shares of the active set, missing holders %v",
			ErrNotEnoughShares, len(first.Active)-len(missing), len(first.Active), missing)
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%w: internal error in combining", ErrInvalid)
		}
	}()
	pcks, err := multiparty.NewPublicKeySwitchProtocol(set.RLWE(), set.SmudgingNoise())
	if err != nil {
		return nil, fmt.Errorf("key-switch protocol: %w", err)
	}
	out = make([]*rlwe.Ciphertext, len(result))
	for i, ct := range result {
		sum := pcks.AllocateShare(ct.Level())
		for _, a := range first.Active {
			if err := pcks.AggregateShares(sum, byHolder[a].value[i], &sum); err != nil {
				return nil, fmt.Errorf("aggregate shares: %w", err)
			}
		}
		out[i] = rlwe.NewCiphertext(set.RLWE(), 1, ct.Level())
		pcks.KeySwitch(ct, sum, out[i])
	}
	return out, nil
}
