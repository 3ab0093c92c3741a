package cube

import (
	"errors"
	"fmt"
	"math/big"
)

// ErrFull is returned by Cube.Add when one more record could make a sum exceed the
// cube's capacity.
var ErrFull = errors.New("cube: capacity reached")

// ErrRecord is wrapped by Cube.Add errors about a malformed record.
var ErrRecord = errors.New("cube: invalid record")

// Cube is a provider's plaintext cube: exact integer aggregates of its clipped records.
// Not safe for concurrent mutation.
type Cube struct {
	l          *Layout
	data       []int64 // cell-major: data[cell*C+component]
	records    int64
	maxRecords int64
	dimStride  []int
}

// NewCube returns an empty cube. maxAggregate bounds every aggregate's absolute value
// (use the parameter set's MaxAggregate): the cube accepts at most maxAggregate divided
// by the largest squared measure bound records, so no sum ever overflows or leaves the
// plaintext range.
func (l *Layout) NewCube(maxAggregate uint64) *Cube {
	worst := big.NewInt(1)
	for _, m := range l.schema.Measures {
		for _, b := range []int64{m.Min, m.Max} {
			v := new(big.Int).SetInt64(b)
			if v.Mul(v, v).Cmp(worst) > 0 {
				worst = v
			}
		}
	}
	maxRec := new(big.Int).Quo(new(big.Int).SetUint64(maxAggregate), worst)
	if !maxRec.IsInt64() {
		maxRec.SetInt64(1 << 62)
	}
	c := &Cube{l: l, data: make([]int64, l.cells*len(l.comps)), maxRecords: maxRec.Int64()}
	c.dimStride = make([]int, len(l.schema.Dimensions))
	s := 1
	for i := len(c.dimStride) - 1; i >= 0; i-- {
		c.dimStride[i] = s
		s *= len(l.schema.Dimensions[i].Codes)
	}
	return c
}

// Layout returns the cube's layout.
func (c *Cube) Layout() *Layout { return c.l }

// Records returns the number of records added.
func (c *Cube) Records() int64 { return c.records }

// MaxRecords returns the number of records the cube accepts.
func (c *Cube) MaxRecords() int64 { return c.maxRecords }

// Add aggregates one record: codes[i] indexes schema.Dimensions[i].Codes and values[j]
// is measure j's value, clipped to [Min, Max]. It returns an error wrapping ErrRecord
// for a wrong number of codes or values or a code out of range, and ErrFull when the
// cube holds MaxRecords records. On error the cube is unchanged.
func (c *Cube) Add(codes []int, values []int64) error {
	dims := c.l.schema.Dimensions
	if len(codes) != len(dims) || len(values) != len(c.l.schema.Measures) {
		return fmt.Errorf("record has %d codes and %d values, want %d and %d: %w", len(codes), len(values), len(dims), len(c.l.schema.Measures), ErrRecord)
	}
	cell := 0
	for i, code := range codes {
		if uint(code) >= uint(len(dims[i].Codes)) {
			return fmt.Errorf("code %d of dimension %d out of range: %w", code, i, ErrRecord)
		}
		cell += code * c.dimStride[i]
	}
	if c.records >= c.maxRecords {
		return fmt.Errorf("after %d records: %w", c.records, ErrFull)
	}
	c.records++
	row := c.data[cell*len(c.l.comps) : (cell+1)*len(c.l.comps)]
	row[0]++
	for j := range values {
		m := &c.l.schema.Measures[j]
		v := min(max(values[j], m.Min), m.Max)
		base := c.l.measBase[j]
		row[base] += v
		row[base+1] += v * v
		if edges := m.HistogramEdges; len(edges) > 0 {
			bin := 0
			for bin < len(edges) && v >= edges[bin] {
				bin++
			}
			row[base+2+bin]++
		}
	}
	return nil
}

// Merge adds other's aggregates into c; both must come from the same layout. It returns
// ErrFull (and leaves c unchanged) if the records together exceed MaxRecords.
func (c *Cube) Merge(other *Cube) error {
	if other.l != c.l {
		return fmt.Errorf("merge cubes of different layouts: %w", ErrRecord)
	}
	if c.records > c.maxRecords-other.records {
		return fmt.Errorf("merge %d and %d records: %w", c.records, other.records, ErrFull)
	}
	c.records += other.records
	for i, v := range other.data {
		c.data[i] += v
	}
	return nil
}

// Value returns component comp of the cell with the given codes.
func (c *Cube) Value(comp int, codes []int) int64 {
	cell := 0
	for i, code := range codes {
		cell += code * c.dimStride[i]
	}
	return c.data[cell*len(c.l.comps)+comp]
}

// Slots returns the cube's slot vectors, one of 2R values per ciphertext, each value
// reduced into [0, t) (negative values as t - |v|). Unused slots are zero.
func (c *Cube) Slots(t uint64) [][]uint64 {
	l := c.l
	out := make([][]uint64, l.Ciphertexts())
	for i := range out {
		out[i] = make([]uint64, 2*l.rowSlots)
	}
	nd := len(l.schema.Dimensions)
	coord := make([]int, 1+nd)
	for cell := 0; cell < l.cells; cell++ {
		rem := cell
		for i := nd - 1; i >= 0; i-- {
			n := len(l.schema.Dimensions[i].Codes)
			coord[1+i] = rem % n
			rem /= n
		}
		for comp := range l.comps {
			v := c.data[cell*len(l.comps)+comp]
			if v == 0 {
				continue
			}
			coord[0] = comp
			b, off := l.position(coord)
			out[b/2][(b%2)*l.rowSlots+off] = reduce(v, t)
		}
	}
	return out
}

// reduce maps v to [0, t).
func reduce(v int64, t uint64) uint64 {
	if v >= 0 {
		return uint64(v) % t
	}
	r := uint64(-v) % t
	if r == 0 {
		return 0
	}
	return t - r
}
