// Package cube maps a dataset schema to the slots of BGV ciphertexts, aggregates a
// provider's records into a plaintext cube, and plans the homomorphic reduction of a
// query to exactly its output cells. It is plain Go: no Lattigo, no randomness.
//
// # Layout
//
// A cube has, for every cell of the cross-product of the schema's dimensions, the record
// count and, for each measure, the sum and the sum of squares of its clipped values and,
// when the measure has histogram edges, one count per bin. These values are its
// components, in this order: count; then per measure in schema order: sum, sum of
// squares, bins. The cube is a tensor with axes (component, dimension 0, ...,
// dimension k-1), the last axis varying fastest.
//
// A ciphertext has two rows of R slots (R = N/2) and rotations move slots within a row,
// so the tensor is cut into rows: the longest suffix of axes that fits in R slots is laid
// out contiguously in every row (the inner axes), the next axis (the split axis) keeps q
// = R / (inner size) of its codes per row, and the remaining outer axes and the rest of
// the split axis enumerate rows (blocks). Block b is row b%2 of ciphertext b/2. The
// layout depends only on the schema and R, so providers, workers, holders and auditors
// all derive the same one.
//
// # Query plans
//
// A query keeps some axes (its group-by dimensions and the component axis, restricted to
// the statistic's components) and sums the others out (restricted to filter codes). Plan
// lists, per output ciphertext, which blocks to add (after a row swap for blocks in row
// 1) with which rotations of the split axis, then the rotations that sum out the inner
// axes, then the 0/1 mask that keeps exactly the output cells. Every rotation moves a
// slot by a whole number of codes of one axis, so an output slot only ever receives
// contributions of the cells it aggregates (see the package tests).
//
// Layouts, cubes' read methods and plans are safe for concurrent use; a Cube is not safe
// for concurrent mutation (fill one per goroutine and Merge them).
package cube

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/statledger/statledger/policies"
)

// ErrLayout is returned when a schema cannot be laid out (an empty dimension, bad
// measure bounds, or a cube too large to index).
var ErrLayout = errors.New("cube: schema cannot be laid out")

// ErrQuery is wrapped by every error about a query that does not fit the schema.
var ErrQuery = errors.New("cube: invalid query for the schema")

// ComponentKind says what a component of a cell holds.
type ComponentKind string

// The component kinds.
const (
	ComponentCount ComponentKind = "count"
	ComponentSum   ComponentKind = "sum"
	ComponentSumSq ComponentKind = "sumsq"
	ComponentBin   ComponentKind = "bin"
)

// Component is one value stored per cell.
type Component struct {
	Kind ComponentKind `json:"kind"`
	// Measure is the measure's name (empty for the count).
	Measure string `json:"measure,omitempty"`
	// Bin is the histogram bin index for ComponentBin: bin i holds values in
	// [edge i-1, edge i), bin 0 everything below edge 0, the last bin everything from the
	// last edge up.
	Bin int `json:"bin,omitempty"`
}

// Layout is the deterministic slot layout of a schema's cube.
type Layout struct {
	schema   policies.Schema
	rowSlots int
	comps    []Component
	measBase []int // component index of each measure's sum
	sizes    []int // axis sizes: components, then dimensions
	cells    int
	split    int   // split axis
	q        int   // codes of the split axis per row
	hi       int   // rows per split-axis sweep: ceil(sizes[split]/q)
	inner    int   // product of the sizes of the axes after split
	stride   []int // in-row stride of axes >= split (split: inner)
	blocks   int
}

// NewLayout returns the layout of schema's cube for rows of rowSlots slots. It returns an
// error wrapping ErrLayout for a schema with an empty dimension, a measure with Min > Max
// or unsorted histogram edges, or more than 2^31 cells.
func NewLayout(schema policies.Schema, rowSlots int) (*Layout, error) {
	l := &Layout{schema: schema, rowSlots: rowSlots}
	l.comps = append(l.comps, Component{Kind: ComponentCount})
	for _, m := range schema.Measures {
		if m.Min > m.Max {
			return nil, fmt.Errorf("measure %q has min above max: %w", m.Name, ErrLayout)
		}
		for i := 1; i < len(m.HistogramEdges); i++ {
			if m.HistogramEdges[i] <= m.HistogramEdges[i-1] {
				return nil, fmt.Errorf("measure %q has unsorted histogram edges: %w", m.Name, ErrLayout)
			}
		}
		l.measBase = append(l.measBase, len(l.comps))
		l.comps = append(l.comps, Component{Kind: ComponentSum, Measure: m.Name}, Component{Kind: ComponentSumSq, Measure: m.Name})
		if len(m.HistogramEdges) > 0 {
			for b := 0; b <= len(m.HistogramEdges); b++ {
				l.comps = append(l.comps, Component{Kind: ComponentBin, Measure: m.Name, Bin: b})
			}
		}
	}
	l.sizes = append(l.sizes, len(l.comps))
	l.cells = 1
	for _, d := range schema.Dimensions {
		if len(d.Codes) == 0 {
			return nil, fmt.Errorf("dimension %q has no codes: %w", d.Name, ErrLayout)
		}
		if l.cells > (1<<31)/len(d.Codes) {
			return nil, fmt.Errorf("cube too large: %w", ErrLayout)
		}
		l.cells *= len(d.Codes)
		l.sizes = append(l.sizes, len(d.Codes))
	}
	// The split axis is the outermost axis whose successors all fit in a row.
	l.inner = 1
	l.split = len(l.sizes) - 1
	for l.split > 0 && l.inner*l.sizes[l.split] <= rowSlots {
		l.inner *= l.sizes[l.split]
		l.split--
	}
	if rowSlots < 1 {
		return nil, fmt.Errorf("rows of %d slots: %w", rowSlots, ErrLayout)
	}
	l.q = min(l.sizes[l.split], rowSlots/l.inner)
	l.hi = (l.sizes[l.split] + l.q - 1) / l.q
	l.blocks = l.hi
	for a := 0; a < l.split; a++ {
		l.blocks *= l.sizes[a]
	}
	l.stride = make([]int, len(l.sizes))
	s := 1
	for a := len(l.sizes) - 1; a > l.split; a-- {
		l.stride[a] = s
		s *= l.sizes[a]
	}
	l.stride[l.split] = l.inner
	return l, nil
}

// Fingerprint returns the SHA-256 digest that identifies the layout: it covers exactly
// what places values in slots (the row size; dimension names and codes; measure names,
// bounds and histogram edges; all in order, length-prefixed), so two layouts with the
// same fingerprint place every value in the same slot. Encrypted cubes carry it, and a
// cube of another layout is refused.
func (l *Layout) Fingerprint() [32]byte {
	h := sha256.New()
	var buf [8]byte
	num := func(v uint64) {
		binary.LittleEndian.PutUint64(buf[:], v)
		h.Write(buf[:])
	}
	str := func(s string) {
		num(uint64(len(s)))
		h.Write([]byte(s))
	}
	str("statledger cube layout v1")
	num(uint64(l.rowSlots))
	num(uint64(len(l.schema.Dimensions)))
	for _, d := range l.schema.Dimensions {
		str(d.Name)
		num(uint64(len(d.Codes)))
		for _, c := range d.Codes {
			str(c)
		}
	}
	num(uint64(len(l.schema.Measures)))
	for _, m := range l.schema.Measures {
		str(m.Name)
		num(uint64(m.Min))
		num(uint64(m.Max))
		num(uint64(len(m.HistogramEdges)))
		for _, e := range m.HistogramEdges {
			num(uint64(e))
		}
	}
	return [32]byte(h.Sum(nil))
}

// Schema returns the schema the layout was built from.
func (l *Layout) Schema() policies.Schema { return l.schema }

// RowSlots returns the slots per row the layout was built for.
func (l *Layout) RowSlots() int { return l.rowSlots }

// Components returns the components of every cell, in layout order. The slice must not
// be modified.
func (l *Layout) Components() []Component { return l.comps }

// Cells returns the number of cells (the product of the dimensions' sizes).
func (l *Layout) Cells() int { return l.cells }

// Ciphertexts returns the number of ciphertexts of an encrypted cube.
func (l *Layout) Ciphertexts() int { return (l.blocks + 1) / 2 }

// Blocks returns the number of rows the cube occupies.
func (l *Layout) Blocks() int { return l.blocks }

// position returns the block and in-row offset of the tensor coordinate coord
// (component, then one code per dimension).
func (l *Layout) position(coord []int) (block, offset int) {
	outer := 0
	for a := 0; a < l.split; a++ {
		outer = outer*l.sizes[a] + coord[a]
	}
	c := coord[l.split]
	block = outer*l.hi + c/l.q
	offset = (c % l.q) * l.inner
	for a := l.split + 1; a < len(l.sizes); a++ {
		offset += coord[a] * l.stride[a]
	}
	return block, offset
}

// Slot returns the ciphertext index and slot (0 to 2R-1) of component comp of the cell
// with the given dimension codes. It panics if an index is out of range.
func (l *Layout) Slot(comp int, codes []int) (ciphertext, slot int) {
	coord := make([]int, 0, len(l.sizes))
	coord = append(coord, comp)
	coord = append(coord, codes...)
	b, off := l.position(coord)
	return b / 2, (b%2)*l.rowSlots + off
}
