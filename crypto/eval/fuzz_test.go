package eval_test

import (
	"bytes"
	"testing"

	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/encrypt"
	"github.com/statledger/statledger/crypto/eval"
	"github.com/statledger/statledger/policies"
)

// FuzzSum checks that no submission bytes make Sum panic (the digest is computed from
// the input, so the fuzzer gets past it) and that a single accepted submission sums to
// itself.
func FuzzSum(f *testing.F) {
	fx := newFixture(f, "one-ciphertext cube", smallSchema())
	f.Add(fx.inputs[0].Data)
	f.Fuzz(func(t *testing.T, data []byte) {
		sum, err := eval.Sum(testSet, fx.layout, []eval.Input{{Data: data, Digest: codec.Digest(data)}}, 1)
		if err != nil {
			return
		}
		again, err := encrypt.Encode(testSet, fx.layout, sum)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, data) {
			t.Fatal("the sum of one accepted submission differs from it")
		}
	})
}

// FuzzDecodeResult checks that no input makes DecodeResult panic and that whatever it
// accepts encodes back to the same bytes.
func FuzzDecodeResult(f *testing.F) {
	fx := newFixture(f, "one-ciphertext cube", smallSchema())
	plan, err := fx.layout.Plan(policies.Query{Statistic: policies.StatCount, GroupBy: []string{"sex"}})
	if err != nil {
		f.Fatal(err)
	}
	res, err := fx.ev.Run(plan, fx.inputs)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(res.Data)
	f.Fuzz(func(t *testing.T, data []byte) {
		cts, err := eval.DecodeResult(testSet, plan.Output, data, nil)
		if err != nil {
			return
		}
		again, err := eval.EncodeResult(testSet, plan, cts)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, data) {
			t.Fatal("accepted result does not encode back to itself")
		}
	})
}
