package codec_test

import (
	"bytes"
	"testing"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/schemes/bgv"

	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/params"
)

var fuzzSet = params.MustNamed(params.InsecureN11T58)

// fuzzRef is the header reference the fuzz targets expect.
var fuzzRef = [32]byte{1, 2, 3}

// validBlob returns a blob of one level-0 ciphertext of fuzzSet.
func validBlob(tb testing.TB) []byte {
	ct := bgv.NewCiphertext(fuzzSet.BGV(), 1, 0)
	for i, p := range ct.Value {
		for j := range p.Coeffs[0] {
			p.Coeffs[0][j] = uint64(i*7 + j)
		}
	}
	b, err := codec.EncodeCiphertexts(codec.KindResult, fuzzSet, fuzzRef, []*rlwe.Ciphertext{ct})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzDecodeCiphertexts checks that no input makes DecodeCiphertexts panic and that
// whatever it accepts encodes back to the same bytes.
func FuzzDecodeCiphertexts(f *testing.F) {
	f.Add(validBlob(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		cts, err := codec.DecodeCiphertexts(data, nil, codec.KindResult, fuzzSet, fuzzRef, 0, 1)
		if err != nil {
			return
		}
		again, err := codec.EncodeCiphertexts(codec.KindResult, fuzzSet, fuzzRef, cts)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, data) {
			t.Fatal("accepted blob does not encode back to itself")
		}
	})
}

// FuzzParseHeader checks that no input makes ParseHeader panic and that an accepted
// header is written back identically.
func FuzzParseHeader(f *testing.F) {
	f.Add(validBlob(f)[:codec.HeaderSize])
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := codec.ParseHeader(data)
		if err != nil {
			return
		}
		w, err := codec.NewWriter(h, 0)
		if err != nil {
			return // an empty parameter-set name parses but is not writable
		}
		if !bytes.Equal(w.Bytes(), data[:codec.HeaderSize]) {
			t.Fatal("accepted header does not encode back to itself")
		}
	})
}
