// Package codec is the strict binary format of every homomorphic object statledger
// stores or sends: ciphertexts, keys, key shares, decryption shares and ceremony
// transcripts.
//
// A blob is a fixed 80-byte header followed by polynomial coefficients:
//
//	magic "SLHE" | version u16 | kind u16 | parameter set [16]byte | level u32 |
//	count u32 | aux1 u64 | aux2 u64 | ref [32]byte | coefficients...
//
// All integers are little-endian; coefficients are u64, row after row, each row N
// coefficients modulo one prime. The shape of the payload (which polynomials, how many
// rows) is fixed by the kind, the parameter set, the level and the count, so the exact
// size of a valid blob is known before any byte of the payload is read.
//
// Decoding never hands bytes to Lattigo: Open checks the SHA-256 digest (when the caller
// knows the expected one), the magic, version, kind and parameter set, and the exact
// size; Reader then copies coefficients into polynomials the caller allocated from the
// parameters, refusing any coefficient not below its prime. The caller validates the
// header fields it interprets (level, count, aux) before allocating. Decoding is
// therefore linear in the input, allocates nothing driven by untrusted lengths, and
// panics on no input.
//
// All functions are safe for concurrent use on distinct values.
package codec

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tuneinsight/lattigo/v6/ring"
	"github.com/tuneinsight/lattigo/v6/ring/ringqp"

	"github.com/statledger/statledger/crypto/params"
)

// Version is the format version written in every header.
const Version = 1

// HeaderSize is the size of a blob header in bytes.
const HeaderSize = 80

var magic = [4]byte{'S', 'L', 'H', 'E'}

// ErrFormat is wrapped by every decoding error: wrong magic, version, kind, parameter
// set, size, digest, header field or coefficient.
var ErrFormat = errors.New("codec: malformed blob")

// ErrDigest is wrapped (together with ErrFormat) when a blob's SHA-256 digest is not the
// expected one.
var ErrDigest = errors.New("codec: digest mismatch")

// Kind says what a blob holds.
type Kind uint16

// The blob kinds.
const (
	KindSubmission      Kind = 1  // encrypted cube: count ciphertexts at the top level
	KindResult          Kind = 2  // evaluated query result: count ciphertexts
	KindSwitched        Kind = 3  // result re-encrypted to the analyst's key
	KindPublicKey       Kind = 4  // collective public key
	KindGaloisKeys      Kind = 5  // collective rotation keys
	KindRound1          Kind = 6  // a holder's public ceremony message
	KindShamirShare     Kind = 7  // one Shamir share from holder aux1 to holder aux2
	KindThresholdKey    Kind = 8  // a holder's t-of-n secret key share
	KindDecryptionShare Kind = 9  // a holder's decryption share of a result
	KindAnalystSecret   Kind = 10 // an analyst's secret key
	KindAnalystPublic   Kind = 11 // an analyst's public key
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindSubmission:
		return "submission"
	case KindResult:
		return "result"
	case KindSwitched:
		return "switched result"
	case KindPublicKey:
		return "public key"
	case KindGaloisKeys:
		return "rotation keys"
	case KindRound1:
		return "ceremony round-1 message"
	case KindShamirShare:
		return "Shamir share"
	case KindThresholdKey:
		return "threshold key"
	case KindDecryptionShare:
		return "decryption share"
	case KindAnalystSecret:
		return "analyst secret key"
	case KindAnalystPublic:
		return "analyst public key"
	}
	return fmt.Sprintf("kind %d", uint16(k))
}

// Header is a blob's header.
type Header struct {
	Kind   Kind
	Params string
	Level  int
	Count  int
	Aux1   uint64
	Aux2   uint64
	Ref    [32]byte
}

// Digest returns the SHA-256 digest of data.
func Digest(data []byte) [32]byte { return sha256.Sum256(data) }

// PolyBytes returns the encoded size of p.
func PolyBytes(p ring.Poly) int { return 8 * len(p.Coeffs) * p.N() }

// QPBytes returns the encoded size of p.
func QPBytes(p ringqp.Poly) int {
	n := PolyBytes(p.Q)
	if p.P.Coeffs != nil {
		n += PolyBytes(p.P)
	}
	return n
}

// Writer builds a blob. Its methods must be called in the order the reader expects.
type Writer struct {
	buf []byte
}

// NewWriter starts a blob with header h and room for payload bytes.
// It returns an error if the parameter-set name is too long or a field is negative.
func NewWriter(h Header, payload int) (*Writer, error) {
	if len(h.Params) == 0 || len(h.Params) > params.MaxNameLength || h.Level < 0 || h.Count < 0 || payload < 0 {
		return nil, fmt.Errorf("write %s: invalid header", h.Kind)
	}
	buf := make([]byte, HeaderSize, HeaderSize+payload)
	copy(buf[0:4], magic[:])
	binary.LittleEndian.PutUint16(buf[4:], Version)
	binary.LittleEndian.PutUint16(buf[6:], uint16(h.Kind))
	copy(buf[8:24], h.Params)
	binary.LittleEndian.PutUint32(buf[24:], uint32(h.Level))
	binary.LittleEndian.PutUint32(buf[28:], uint32(h.Count))
	binary.LittleEndian.PutUint64(buf[32:], h.Aux1)
	binary.LittleEndian.PutUint64(buf[40:], h.Aux2)
	copy(buf[48:80], h.Ref[:])
	return &Writer{buf: buf}, nil
}

// Poly appends the coefficients of p.
func (w *Writer) Poly(p ring.Poly) {
	for _, row := range p.Coeffs {
		off := len(w.buf)
		w.buf = append(w.buf, make([]byte, 8*len(row))...)
		dst := w.buf[off:]
		for j, v := range row {
			binary.LittleEndian.PutUint64(dst[8*j:], v)
		}
	}
}

// QP appends the coefficients of p: its Q part then its P part.
func (w *Writer) QP(p ringqp.Poly) {
	w.Poly(p.Q)
	if p.P.Coeffs != nil {
		w.Poly(p.P)
	}
}

// Raw appends b verbatim (for payloads that are already blobs).
func (w *Writer) Raw(b []byte) { w.buf = append(w.buf, b...) }

// Bytes returns the blob.
func (w *Writer) Bytes() []byte { return w.buf }

// ParseHeader decodes the header of data without checking the payload. It returns an
// error wrapping ErrFormat for a short blob, a wrong magic or version, or an invalid
// parameter-set name.
func ParseHeader(data []byte) (Header, error) {
	if len(data) < HeaderSize {
		return Header{}, fmt.Errorf("blob of %d bytes is shorter than a header: %w", len(data), ErrFormat)
	}
	if [4]byte(data[0:4]) != magic {
		return Header{}, fmt.Errorf("not a statledger HE blob: %w", ErrFormat)
	}
	if v := binary.LittleEndian.Uint16(data[4:]); v != Version {
		return Header{}, fmt.Errorf("format version %d, want %d: %w", v, Version, ErrFormat)
	}
	name := data[8:24]
	end := 0
	for end < len(name) && name[end] != 0 {
		c := name[end]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return Header{}, fmt.Errorf("invalid parameter-set name: %w", ErrFormat)
		}
		end++
	}
	for _, c := range name[end:] {
		if c != 0 {
			return Header{}, fmt.Errorf("invalid parameter-set name: %w", ErrFormat)
		}
	}
	level := binary.LittleEndian.Uint32(data[24:])
	count := binary.LittleEndian.Uint32(data[28:])
	if level > 1<<16 || count > 1<<20 {
		return Header{}, fmt.Errorf("header level %d or count %d out of range: %w", level, count, ErrFormat)
	}
	h := Header{
		Kind:   Kind(binary.LittleEndian.Uint16(data[6:])),
		Params: string(name[:end]),
		Level:  int(level),
		Count:  int(count),
		Aux1:   binary.LittleEndian.Uint64(data[32:]),
		Aux2:   binary.LittleEndian.Uint64(data[40:]),
	}
	copy(h.Ref[:], data[48:80])
	return h, nil
}

// Open checks a blob and returns its header and a Reader of its payload. If digest is not
// nil, the blob's SHA-256 must equal it (checked first). The header must have the given
// kind and parameter set; check validates the header fields it depends on (level, count,
// aux) and returns the exact payload size those imply. Every error wraps ErrFormat (and
// ErrDigest for a digest mismatch).
func Open(data []byte, digest *[32]byte, kind Kind, set *params.Set, check func(Header) (int, error)) (Header, *Reader, error) {
	if digest != nil && Digest(data) != *digest {
		return Header{}, nil, fmt.Errorf("open %s: %w: %w", kind, ErrFormat, ErrDigest)
	}
	h, err := ParseHeader(data)
	if err != nil {
		return Header{}, nil, fmt.Errorf("open %s: %w", kind, err)
	}
	if h.Kind != kind {
		return Header{}, nil, fmt.Errorf("open %s: blob holds a %s: %w", kind, h.Kind, ErrFormat)
	}
	if h.Params != set.Name() {
		return Header{}, nil, fmt.Errorf("open %s: parameter set %s, want %s: %w", kind, h.Params, set.Name(), ErrFormat)
	}
	size, err := check(h)
	if err != nil {
		return Header{}, nil, fmt.Errorf("open %s: %w: %w", kind, err, ErrFormat)
	}
	if len(data) != HeaderSize+size {
		return Header{}, nil, fmt.Errorf("open %s: %d bytes, want %d: %w", kind, len(data), HeaderSize+size, ErrFormat)
	}
	return h, &Reader{data: data[HeaderSize:]}, nil
}

// Reader reads a payload checked by Open.
type Reader struct {
	data []byte
	off  int
}

// Poly fills p (allocated by the caller with the expected number of rows) from the
// payload; row i must hold coefficients below moduli[i]. It returns an error wrapping
// ErrFormat for a short payload or an out-of-range coefficient.
func (r *Reader) Poly(p ring.Poly, moduli []uint64) error {
	if len(p.Coeffs) > len(moduli) {
		return fmt.Errorf("polynomial has %d rows for %d moduli: %w", len(p.Coeffs), len(moduli), ErrFormat)
	}
	for i, row := range p.Coeffs {
		n := 8 * len(row)
		if len(r.data)-r.off < n {
			return fmt.Errorf("payload too short: %w", ErrFormat)
		}
		src := r.data[r.off : r.off+n]
		q := moduli[i]
		for j := range row {
			v := binary.LittleEndian.Uint64(src[8*j:])
			if v >= q {
				return fmt.Errorf("coefficient out of range: %w", ErrFormat)
			}
			row[j] = v
		}
		r.off += n
	}
	return nil
}

// QP fills p's Q part (moduli q) then its P part (moduli pm), as Poly.
func (r *Reader) QP(p ringqp.Poly, q, pm []uint64) error {
	if err := r.Poly(p.Q, q); err != nil {
		return err
	}
	if p.P.Coeffs != nil {
		return r.Poly(p.P, pm)
	}
	return nil
}

// Raw returns the next n payload bytes.
func (r *Reader) Raw(n int) ([]byte, error) {
	if n < 0 || len(r.data)-r.off < n {
		return nil, fmt.Errorf("payload too short: %w", ErrFormat)
	}
	b := r.data[r.off : r.off+n]
	r.off += n
	return b, nil
}

// Done returns an error wrapping ErrFormat unless the whole payload was read.
func (r *Reader) Done() error {
	if r.off != len(r.data) {
		return fmt.Errorf("%d trailing payload bytes: %w", len(r.data)-r.off, ErrFormat)
	}
	return nil
}

// Guard runs f and turns a panic into an error wrapping ErrFormat, so that no input can
// crash a caller even if a check above were incomplete.
func Guard(what string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: internal error on input: %w", what, ErrFormat)
		}
	}()
	return f()
}
