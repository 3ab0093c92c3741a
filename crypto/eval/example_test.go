package eval_test

import (
	"fmt"

	"github.com/tuneinsight/lattigo/v6/core/rlwe"

	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/cube"
	"github.com/statledger/statledger/crypto/encrypt"
	"github.com/statledger/statledger/crypto/eval"
	"github.com/statledger/statledger/crypto/params"
	"github.com/statledger/statledger/policies"
)

// Example shows the flow from a provider's records to a worker's result: the layout
// comes from the dataset's schema, providers encrypt their cubes under the collective
// public key, and a worker sums the submissions and evaluates the query's plan with
// the collective rotation keys. (Here one party makes the keys, which only a test may.)
func Example() {
	set := params.MustNamed(params.InsecureN11T58)
	schema := policies.Schema{
		Dimensions: []policies.Dimension{{Name: "sex", Codes: []string{"F", "M"}}},
		Measures:   []policies.Measure{{Name: "age", Min: 0, Max: 110}},
	}
	layout, _ := cube.NewLayout(schema, set.RowSlots())
	kg := rlwe.NewKeyGenerator(set.RLWE())
	sk, pk := kg.GenKeyPairNew()
	keys := rlwe.NewMemEvaluationKeySet(nil, kg.GenGaloisKeysNew(set.GaloisElements(), sk)...)

	// A provider.
	c := layout.NewCube(set.MaxAggregate())
	_ = c.Add([]int{1}, []int64{42})
	enc, _ := encrypt.New(set, layout, pk)
	blob, _ := enc.Encrypt(c)

	// A worker: the digest comes from the ledger.
	ev, _ := eval.NewEvaluator(set, layout, keys)
	plan, _ := layout.Plan(policies.Query{Statistic: policies.StatMean, Measure: "age", GroupBy: []string{"sex"}})
	res, err := ev.Run(plan, []eval.Input{{Data: blob, Digest: codec.Digest(blob)}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(res.Data) == eval.ResultSize(set, res.Output.Ciphertexts), len(res.Output.Cells))
	// Output: true 4
}
