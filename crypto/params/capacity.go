package params

import (
	"fmt"
	"math/big"

	"github.com/statledger/statledger/policies"
)

// CheckCapacity reports whether every aggregate of a dataset with the given schema stays
// within s.MaxAggregate when at most maxProviders providers each submit at most
// maxRecordsPerProvider records: the largest is the sum of squares of the measure with the
// largest absolute bound (or the record count when there is no measure), taken over all
// records. It returns an error wrapping ErrCapacity when it could exceed, and a plain error
// for non-positive counts. Worker and chaincode-side code call it when a dataset is
// registered and when a query is frozen. Safe for concurrent use.
func (s *Set) CheckCapacity(schema policies.Schema, maxRecordsPerProvider, maxProviders int64) error {
	if maxRecordsPerProvider < 1 || maxProviders < 1 {
		return fmt.Errorf("check capacity: records per provider and providers must be positive")
	}
	worst := worstSquare(schema)
	total := new(big.Int).Mul(big.NewInt(maxRecordsPerProvider), big.NewInt(maxProviders))
	total.Mul(total, worst)
	if total.Cmp(new(big.Int).SetUint64(s.maxAgg)) > 0 {
		return fmt.Errorf("check capacity: %d records x %d providers with squared bound %s reach %s > %d under %s: %w",
			maxRecordsPerProvider, maxProviders, worst, total, s.maxAgg, s.name, ErrCapacity)
	}
	return nil
}

// MaxRecords returns the largest total number of records (over all providers) for which
// CheckCapacity accepts the schema: MaxAggregate divided by the largest squared measure
// bound. Safe for concurrent use.
func (s *Set) MaxRecords(schema policies.Schema) uint64 {
	worst := worstSquare(schema)
	return new(big.Int).Quo(new(big.Int).SetUint64(s.maxAgg), worst).Uint64()
}

// worstSquare returns the largest squared clipping bound of the schema's measures, at
// least 1 (the contribution of one record to a count).
func worstSquare(schema policies.Schema) *big.Int {
	worst := big.NewInt(1)
	for _, m := range schema.Measures {
		for _, b := range []int64{m.Min, m.Max} {
			v := new(big.Int).SetInt64(b)
			v.Mul(v, v)
			if v.Cmp(worst) > 0 {
				worst = v
			}
		}
	}
	return worst
}
