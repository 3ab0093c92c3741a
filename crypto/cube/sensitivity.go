package cube

import (
	"fmt"
	"math/big"

	"github.com/statledger/statledger/policies"
)

// Sensitivity returns the L1 and L2 sensitivities of the released vector described by
// o: the largest change, over all released values together, that adding or removing
// one record can cause. A record falls in exactly one group (or none, when a filter
// excludes it) and, for a histogram, in exactly one bin; its measures are clipped to the
// schema's bounds, so a sum moves by at most B = max(|Min|, |Max|) and a sum of squares
// by at most B². Differential-privacy noise is calibrated from these (package dp).
// L2 is rounded up to an integer. It returns an error wrapping ErrQuery if a component
// names a measure the schema does not have, or if a sensitivity does not fit 63 bits.
func (o Output) Sensitivity(s policies.Schema) (l1, l2 int64, err error) {
	sum1, sum2 := new(big.Int), new(big.Int)
	bins := false
	for _, c := range o.Components {
		var d *big.Int
		switch c.Kind {
		case ComponentCount:
			d = big.NewInt(1)
		case ComponentBin:
			bins = true
			continue
		case ComponentSum, ComponentSumSq:
			m, _, ok := s.Measure(c.Measure)
			if !ok {
				return 0, 0, fmt.Errorf("%w: component of unknown measure %q", ErrQuery, clip(c.Measure))
			}
			b := new(big.Int).Abs(big.NewInt(m.Min))
			if hi := new(big.Int).Abs(big.NewInt(m.Max)); hi.Cmp(b) > 0 {
				b = hi
			}
			d = b
			if c.Kind == ComponentSumSq {
				d = new(big.Int).Mul(b, b)
			}
		default:
			return 0, 0, fmt.Errorf("%w: unknown component kind %q", ErrQuery, clip(string(c.Kind)))
		}
		sum1.Add(sum1, d)
		sum2.Add(sum2, new(big.Int).Mul(d, d))
	}
	if bins { // one bin changes by one
		sum1.Add(sum1, big.NewInt(1))
		sum2.Add(sum2, big.NewInt(1))
	}
	root := new(big.Int).Sqrt(sum2)
	if new(big.Int).Mul(root, root).Cmp(sum2) < 0 {
		root.Add(root, big.NewInt(1))
	}
	if !sum1.IsInt64() || !root.IsInt64() {
		return 0, 0, fmt.Errorf("%w: sensitivity does not fit 63 bits", ErrQuery)
	}
	return sum1.Int64(), root.Int64(), nil
}
