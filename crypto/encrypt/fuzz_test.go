package encrypt_test

import (
	"bytes"
	"testing"

	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/encrypt"
	"github.com/statledger/statledger/policies"
)

// fuzzLayout is a one-ciphertext layout at N = 2^11.
func fuzzLayout(tb testing.TB) *cube.Layout {
	l, err := cube.NewLayout(policies.Schema{
		Dimensions: []policies.Dimension{{Name: "sex", Codes: []string{"F", "M"}}},
		Measures:   []policies.Measure{{Name: "age", Min: 0, Max: 110}},
	}, testSet.RowSlots())
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// FuzzDecode checks that no input makes Decode panic and that whatever it accepts
// encodes back to the same bytes.
func FuzzDecode(f *testing.F) {
	l := fuzzLayout(f)
	_, pk := testKeys(f)
	enc, err := encrypt.New(testSet, l, pk)
	if err != nil {
		f.Fatal(err)
	}
	c := l.NewCube(testSet.MaxAggregate())
	if err := c.Add([]int{1}, []int64{42}); err != nil {
		f.Fatal(err)
	}
	blob, err := enc.Encrypt(c)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(blob)
	f.Fuzz(func(t *testing.T, data []byte) {
		cts, err := encrypt.Decode(testSet, l, data, nil)
		if err != nil {
			return
		}
		again, err := encrypt.Encode(testSet, l, cts)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, data) {
			t.Fatal("accepted submission does not encode back to itself")
		}
	})
}
