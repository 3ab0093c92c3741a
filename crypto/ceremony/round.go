package ceremony

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/multiparty"
	"github.com/tuneinsight/lattigo/v6/ring/ringqp"

	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/params"
)

// ErrTranscript is wrapped by errors about a set of round messages that does not form
// one complete ceremony: a holder missing or repeated, or a message of another ceremony.
var ErrTranscript = errors.New("ceremony: incomplete or inconsistent transcript")

// ErrShare is wrapped when a Shamir share addressed to this holder cannot be decrypted
// with its transport identity or is malformed.
var ErrShare = errors.New("ceremony: unreadable Shamir share")

// The age format's fixed overhead for one X25519 recipient: the header (version line,
// one X25519 stanza, MAC line), the 16-byte payload nonce, and a 16-byte tag per 64 KiB
// chunk. age.Encrypt adds no other stanza, so the size of a sealed share is exact.
const (
	ageHeaderX25519 = 22 + (3 + 7 + 43 + 1) + (43 + 1) + (4 + 43 + 1)
	ageNonce        = 16
	ageChunk        = 64 << 10
	ageTag          = 16
)

// sealedSize is the size of the age encryption of plain bytes to one X25519 recipient.
func sealedSize(plain int) int {
	chunks := (plain + ageChunk - 1) / ageChunk
	if chunks == 0 {
		chunks = 1
	}
	return ageHeaderX25519 + ageNonce + plain + chunks*ageTag
}

// shamirPlainSize is the size of one Shamir share blob before encryption.
func shamirPlainSize(set *params.Set) int { return codec.HeaderSize + qpFullBytes(set) }

// messageSize is the payload size of a round message of a ceremony with n holders.
func messageSize(set *params.Set, n int) int {
	galois := len(set.GaloisElements()) * galoisKeyPolys(set) / 2
	return (1+galois)*qpFullBytes(set) + n*sealedSize(shamirPlainSize(set))
}

// Message is one holder's decoded round message: its public-key share, its rotation-key
// shares and the Shamir shares of its secret, each encrypted to its recipient. Obtain
// one with ParseMessage. Safe for concurrent reads.
type Message struct {
	// Holder is the sending holder, 1-based.
	Holder int
	setup  [32]byte
	pk     multiparty.PublicKeyGenShare
	galois []multiparty.GaloisKeyGenShare
	sealed [][]byte
}

// Contribute runs holder's single ceremony round (holder is 1-based, its index in
// setup.Holders) and returns its round message, a codec.KindRound1 blob to publish and
// record on the ledger by digest. The holder draws a fresh secret key share locally,
// derives from it the collective public-key share and one rotation-key share per
// element of the parameter set's GaloisElements (from the common reference string of
// setup's seed), and splits it into t-of-n Shamir shares, each encrypted with age to
// its recipient's transport key (the holder's own share included, to itself). The
// secret key share and the Shamir polynomial exist only in memory during the call and
// are wiped before it returns: the message is all that remains, and only the holders'
// transport identities can open its shares.
//
// Calling Contribute again draws an independent secret, so a holder that lost its
// message before publishing it may call it again; once a message's digest is on the
// ledger, that message is the holder's contribution and must be resent verbatim. Errors
// wrap ErrSetup for an invalid setup or holder. Safe for concurrent use.
func Contribute(setup Setup, holder int) ([]byte, error) {
	set, err := setup.Validate()
	if err != nil {
		return nil, err
	}
	n, t := len(setup.Holders), setup.Threshold
	if holder < 1 || holder > n {
		return nil, fmt.Errorf("%w: holder %d of %d", ErrSetup, holder, n)
	}
	p := set.RLWE()
	digest := setup.Digest()

	sk := rlwe.NewKeyGenerator(p).GenSecretKeyNew()
	defer wipeQP(sk.Value)

	w, err := codec.NewWriter(codec.Header{Kind: codec.KindRound1, Params: set.Name(), Level: set.TopLevel(),
		Count: n, Aux1: uint64(holder), Aux2: uint64(t), Ref: digest}, messageSize(set, n))
	if err != nil {
		return nil, err
	}

	ckg := multiparty.NewPublicKeyGenProtocol(p)
	prng, err := setup.crs(crsPublicKey)
	if err != nil {
		return nil, err
	}
	pkShare := ckg.AllocateShare()
	ckg.GenShare(sk, ckg.SampleCRP(prng), &pkShare)
	w.QP(pkShare.Value)

	gkg := multiparty.NewGaloisKeyGenProtocol(p)
	galShare := gkg.AllocateShare()
	for _, el := range set.GaloisElements() {
		prng, err := setup.crs(crsGalois(el))
		if err != nil {
			return nil, err
		}
		if err := gkg.GenShare(sk, el, gkg.SampleCRP(prng), &galShare); err != nil {
			return nil, fmt.Errorf("rotation-key share for element %d: %w", el, err)
		}
		for _, x := range gadgetPolys(&galShare.GadgetCiphertext) {
			w.QP(x)
		}
	}

	thr := multiparty.NewThresholdizer(p)
	poly, err := thr.GenShamirPolynomial(t, sk)
	if err != nil {
		return nil, fmt.Errorf("generate the Shamir polynomial: %w", err)
	}
	defer func() {
		for _, c := range poly.Value {
			wipeQP(c)
		}
	}()
	share := thr.AllocateThresholdSecretShare()
	defer wipeQP(share.Poly)
	for j := 1; j <= n; j++ {
		thr.GenShamirSecretShare(multiparty.ShamirPublicPoint(j), poly, &share)
		sealed, err := sealShare(set, setup, digest, holder, j, share.Poly)
		if err != nil {
			return nil, err
		}
		w.Raw(sealed)
	}
	return w.Bytes(), nil
}

// Labels of the common reference string's objects.
const crsPublicKey = "public-key"

func crsGalois(el uint64) string { return fmt.Sprintf("galois-%d", el) }

// sealShare encodes holder from's Shamir share for holder to and encrypts it to to's
// transport recipient.
func sealShare(set *params.Set, setup Setup, digest [32]byte, from, to int, share ringqp.Poly) ([]byte, error) {
	w, err := codec.NewWriter(codec.Header{Kind: codec.KindShamirShare, Params: set.Name(), Level: set.TopLevel(),
		Count: 1, Aux1: uint64(from), Aux2: uint64(to), Ref: digest}, qpFullBytes(set))
	if err != nil {
		return nil, err
	}
	w.QP(share)
	plain := w.Bytes()
	defer clear(plain)
	rcpt, err := setup.recipient(to)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(sealedSize(len(plain)))
	aw, err := age.Encrypt(&buf, rcpt)
	if err != nil {
		return nil, fmt.Errorf("encrypt share for holder %d: %w", to, err)
	}
	if _, err := aw.Write(plain); err != nil {
		return nil, fmt.Errorf("encrypt share for holder %d: %w", to, err)
	}
	if err := aw.Close(); err != nil {
		return nil, fmt.Errorf("encrypt share for holder %d: %w", to, err)
	}
	if buf.Len() != sealedSize(len(plain)) {
		return nil, fmt.Errorf("encrypt share for holder %d: age output of %d bytes, want %d", to, buf.Len(), sealedSize(len(plain)))
	}
	return buf.Bytes(), nil
}

// ParseMessage strictly decodes a round message of the ceremony setup. If digest is not
// nil (the digest recorded on the ledger) the blob's SHA-256 must equal it; then the
// header (kind, parameter set, ceremony digest, holder, threshold) and the exact size are
// checked before any coefficient is read, and every coefficient must be below its
// prime. The Shamir shares stay encrypted. Errors wrap ErrSetup or codec.ErrFormat.
// Safe for concurrent use.
func ParseMessage(setup Setup, data []byte, digest *[32]byte) (*Message, error) {
	set, err := setup.Validate()
	if err != nil {
		return nil, err
	}
	n := len(setup.Holders)
	sd := setup.Digest()
	h, r, err := codec.Open(data, digest, codec.KindRound1, set, func(h codec.Header) (int, error) {
		switch {
		case h.Ref != sd:
			return 0, fmt.Errorf("message of another ceremony")
		case h.Level != set.TopLevel() || h.Count != n || h.Aux2 != uint64(setup.Threshold):
			return 0, fmt.Errorf("unexpected header fields")
		case h.Aux1 < 1 || h.Aux1 > uint64(n):
			return 0, fmt.Errorf("holder out of range")
		}
		return messageSize(set, n), nil
	})
	if err != nil {
		return nil, err
	}
	p := set.RLWE()
	m := &Message{Holder: int(h.Aux1), setup: sd}
	m.pk = multiparty.NewPublicKeyGenProtocol(p).AllocateShare()
	if err := readQP(r, set, m.pk.Value); err != nil {
		return nil, fmt.Errorf("decode round message: %w", err)
	}
	gkg := multiparty.NewGaloisKeyGenProtocol(p)
	for _, el := range set.GaloisElements() {
		s := gkg.AllocateShare()
		s.GaloisElement = el
		if err := readQP(r, set, gadgetPolys(&s.GadgetCiphertext)...); err != nil {
			return nil, fmt.Errorf("decode round message: %w", err)
		}
		m.galois = append(m.galois, s)
	}
	size := sealedSize(shamirPlainSize(set))
	for range n {
		b, err := r.Raw(size)
		if err != nil {
			return nil, fmt.Errorf("decode round message: %w", err)
		}
		m.sealed = append(m.sealed, b)
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("decode round message: %w", err)
	}
	return m, nil
}

// transcript tracks which holders' messages of one ceremony were added.
type transcript struct {
	setup  Setup
	set    *params.Set
	digest [32]byte
	seen   []bool
}

func newTranscript(setup Setup) (transcript, error) {
	set, err := setup.Validate()
	if err != nil {
		return transcript{}, err
	}
	return transcript{setup: setup, set: set, digest: setup.Digest(), seen: make([]bool, len(setup.Holders))}, nil
}

// check returns an error wrapping ErrTranscript unless m is a message of this ceremony
// from a holder not seen yet.
func (tr *transcript) check(m *Message) error {
	if m == nil || m.setup != tr.digest || m.Holder < 1 || m.Holder > len(tr.seen) {
		return fmt.Errorf("%w: message of another ceremony", ErrTranscript)
	}
	if tr.seen[m.Holder-1] {
		return fmt.Errorf("%w: two messages from holder %d", ErrTranscript, m.Holder)
	}
	return nil
}

// complete returns an error wrapping ErrTranscript naming the holders not seen.
func (tr *transcript) complete() error {
	var missing []int
	for i, ok := range tr.seen {
		if !ok {
			missing = append(missing, i+1)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: no message from holders %v", ErrTranscript, missing)
	}
	return nil
}

// Keys are the public outputs of a ceremony.
type Keys struct {
	// PublicKey is the collective public key providers encrypt under.
	PublicKey *rlwe.PublicKey
	// EvaluationKeys holds the collective rotation keys, one per element of the
	// parameter set's GaloisElements, and no relinearisation key.
	EvaluationKeys *rlwe.MemEvaluationKeySet
}

// Aggregator sums the round messages of one ceremony, in any order and one at a time,
// into its public outputs, so that a worker or auditor needs only one message in memory
// at a time. Anyone holding the transcript gets the same keys, byte for byte. Not safe
// for concurrent use.
type Aggregator struct {
	tr     transcript
	ckg    multiparty.PublicKeyGenProtocol
	gkg    multiparty.GaloisKeyGenProtocol
	pk     multiparty.PublicKeyGenShare
	galois []multiparty.GaloisKeyGenShare
}

// NewAggregator returns an empty aggregator for setup. Errors wrap ErrSetup.
func NewAggregator(setup Setup) (*Aggregator, error) {
	tr, err := newTranscript(setup)
	if err != nil {
		return nil, err
	}
	p := tr.set.RLWE()
	a := &Aggregator{tr: tr, ckg: multiparty.NewPublicKeyGenProtocol(p), gkg: multiparty.NewGaloisKeyGenProtocol(p)}
	a.pk = a.ckg.AllocateShare()
	for _, el := range tr.set.GaloisElements() {
		s := a.gkg.AllocateShare()
		s.GaloisElement = el
		a.galois = append(a.galois, s)
	}
	return a, nil
}

// Add adds one holder's parsed round message. It returns an error wrapping
// ErrTranscript for a message of another ceremony or a second message from a holder,
// and adds nothing then.
func (a *Aggregator) Add(m *Message) error {
	if err := a.tr.check(m); err != nil {
		return err
	}
	for i := range a.galois {
		if m.galois[i].GaloisElement != a.galois[i].GaloisElement {
			return fmt.Errorf("%w: rotation-key shares out of order", ErrTranscript)
		}
	}
	a.ckg.AggregateShares(a.pk, m.pk, &a.pk)
	for i := range a.galois {
		if err := a.gkg.AggregateShares(a.galois[i], m.galois[i], &a.galois[i]); err != nil {
			return fmt.Errorf("aggregate rotation-key shares: %w", err)
		}
	}
	a.tr.seen[m.Holder-1] = true
	return nil
}

// Keys returns the public outputs once every holder's message was added; otherwise an
// error wrapping ErrTranscript that names the missing holders.
func (a *Aggregator) Keys() (*Keys, error) {
	if err := a.tr.complete(); err != nil {
		return nil, err
	}
	p := a.tr.set.RLWE()
	prng, err := a.tr.setup.crs(crsPublicKey)
	if err != nil {
		return nil, err
	}
	pk := rlwe.NewPublicKey(p)
	a.ckg.GenPublicKey(a.pk, a.ckg.SampleCRP(prng), pk)
	gks := make([]*rlwe.GaloisKey, len(a.galois))
	for i, sum := range a.galois {
		prng, err := a.tr.setup.crs(crsGalois(sum.GaloisElement))
		if err != nil {
			return nil, err
		}
		gks[i] = rlwe.NewGaloisKey(p)
		if err := a.gkg.GenGaloisKey(sum, a.gkg.SampleCRP(prng), gks[i]); err != nil {
			return nil, fmt.Errorf("rotation key for element %d: %w", sum.GaloisElement, err)
		}
	}
	return &Keys{PublicKey: pk, EvaluationKeys: rlwe.NewMemEvaluationKeySet(nil, gks...)}, nil
}

// Aggregate computes the ceremony's public outputs from the round messages of all n
// holders, in any order (an Aggregator fed with msgs). Errors wrap ErrSetup or
// ErrTranscript. Safe for concurrent use.
func Aggregate(setup Setup, msgs []*Message) (*Keys, error) {
	a, err := NewAggregator(setup)
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if err := a.Add(m); err != nil {
			return nil, err
		}
	}
	return a.Keys()
}

// Finalizer opens, one message at a time, the Shamir shares addressed to one holder in
// the round messages of all n holders with its transport identity, and sums them into
// its t-of-n threshold key. Not safe for concurrent use.
type Finalizer struct {
	tr     transcript
	holder int
	id     age.Identity
	thr    multiparty.Thresholdizer
	key    *ThresholdKey
	one    multiparty.ShamirSecretShare
}

// NewFinalizer returns a finalizer for holder (1-based) with its transport identity.
// Errors wrap ErrSetup.
func NewFinalizer(setup Setup, holder int, transport age.Identity) (*Finalizer, error) {
	tr, err := newTranscript(setup)
	if err != nil {
		return nil, err
	}
	n := len(setup.Holders)
	if holder < 1 || holder > n {
		return nil, fmt.Errorf("%w: holder %d of %d", ErrSetup, holder, n)
	}
	thr := multiparty.NewThresholdizer(tr.set.RLWE())
	return &Finalizer{tr: tr, holder: holder, id: transport, thr: thr, one: thr.AllocateThresholdSecretShare(),
		key: &ThresholdKey{set: tr.set, setup: tr.digest, holder: holder, holders: n, threshold: setup.Threshold,
			share: thr.AllocateThresholdSecretShare()}}, nil
}

// Add opens m's share for this holder and adds it to the key. It returns an error
// wrapping ErrTranscript (another ceremony, a repeated holder) or ErrShare (a share that
// does not decrypt with the transport identity or does not decode), and adds nothing
// then.
func (f *Finalizer) Add(m *Message) error {
	if err := f.tr.check(m); err != nil {
		return err
	}
	defer wipeQP(f.one.Poly)
	if err := openShare(f.tr.set, f.tr.digest, m, f.holder, f.id, shamirPlainSize(f.tr.set), f.one.Poly); err != nil {
		return err
	}
	if err := f.thr.AggregateShares(f.key.share, f.one, &f.key.share); err != nil {
		return fmt.Errorf("aggregate Shamir shares: %w", err)
	}
	f.tr.seen[m.Holder-1] = true
	return nil
}

// Key returns the threshold key once every holder's message was added; otherwise an
// error wrapping ErrTranscript that names the missing holders. Afterwards the transport
// identity is no longer needed and should be destroyed: with the public transcript it
// opens the holder's shares forever.
func (f *Finalizer) Key() (*ThresholdKey, error) {
	if err := f.tr.complete(); err != nil {
		return nil, err
	}
	return f.key, nil
}

// Finalize computes holder's threshold key from the round messages of all n holders (a
// Finalizer fed with msgs). Run it once, after every message is published. Errors wrap
// ErrSetup, ErrTranscript or ErrShare. Safe for concurrent use.
func Finalize(setup Setup, holder int, msgs []*Message, transport age.Identity) (*ThresholdKey, error) {
	f, err := NewFinalizer(setup, holder, transport)
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if err := f.Add(m); err != nil {
			return nil, err
		}
	}
	return f.Key()
}

// openShare decrypts and decodes m's share for holder into out.
func openShare(set *params.Set, sd [32]byte, m *Message, holder int, id age.Identity, plainSize int, out ringqp.Poly) error {
	ar, err := age.Decrypt(bytes.NewReader(m.sealed[holder-1]), id)
	if err != nil {
		return fmt.Errorf("%w: from holder %d: %w", ErrShare, m.Holder, err)
	}
	plain := make([]byte, plainSize+1)
	defer clear(plain)
	k, err := io.ReadFull(ar, plain)
	if err != io.ErrUnexpectedEOF || k != plainSize {
		return fmt.Errorf("%w: from holder %d: wrong size", ErrShare, m.Holder)
	}
	_, r, err := codec.Open(plain[:k], nil, codec.KindShamirShare, set, func(h codec.Header) (int, error) {
		if h.Ref != sd || h.Level != set.TopLevel() || h.Count != 1 || h.Aux1 != uint64(m.Holder) || h.Aux2 != uint64(holder) {
			return 0, fmt.Errorf("share is not from holder %d to holder %d of this ceremony", m.Holder, holder)
		}
		return qpFullBytes(set), nil
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrShare, err)
	}
	if err := readQP(r, set, out); err != nil {
		return fmt.Errorf("%w: %w", ErrShare, err)
	}
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: %w", ErrShare, err)
	}
	return nil
}

// wipeQP overwrites p's coefficients with zeros.
func wipeQP(p ringqp.Poly) {
	for _, row := range p.Q.Coeffs {
		clear(row)
	}
	for _, row := range p.P.Coeffs {
		clear(row)
	}
}
