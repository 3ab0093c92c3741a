package cube

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/statledger/statledger/policies"
)

// Plan is the homomorphic reduction of a cube to one query's output cells.
type Plan struct {
	layout *Layout
	// Outputs are the output ciphertexts, each built from whole blocks of the input.
	Outputs []OutputBlock
	// Sums are the inner axes summed out, applied to every output after its sources are
	// added.
	Sums []AxisSum
	// Output describes where each released value lands.
	Output Output
}

// Layout returns the layout the plan was made for.
func (p *Plan) Layout() *Layout { return p.layout }

// OutputBlock is one output ciphertext: the sum of its sources, reduced by the plan's
// Sums, then multiplied by the mask.
type OutputBlock struct {
	Sources []Source
	// Mask lists the kept slots of row 0, ascending; every other slot becomes zero.
	Mask []int
}

// Source is one input block (row) added into an output: input ciphertext Block/2, swapped
// first if Block is odd, then the sum of its rotations to the left by Shifts.
type Source struct {
	Block  int
	Shifts []int
}

// AxisSum sums an inner axis out: output slot s receives the sum over the axis codes c
// in Codes of slot s + c*Stride. Full reports that Codes is 0..Size-1.
type AxisSum struct {
	Stride int
	Size   int
	Codes  []int
	Full   bool
}

// Output is the analyst's map from decrypted slots to table cells. It is plain data
// with JSON tags, safe to publish.
type Output struct {
	Statistic   policies.Statistic `json:"statistic"`
	Measure     string             `json:"measure,omitempty"`
	GroupBy     []string           `json:"groupBy"`
	Components  []Component        `json:"components"`
	Ciphertexts int                `json:"ciphertexts"`
	Cells       []OutputCell       `json:"cells"`
}

// Digest returns the SHA-256 digest of the output description's JSON encoding. Result
// blobs carry it, binding the decrypted slots to the cells they are labelled with.
func (o Output) Digest() [32]byte {
	// Marshalling plain structs of strings and integers cannot fail.
	b, _ := json.Marshal(o)
	return sha256.Sum256(b)
}

// NoiseSlots returns, for each output ciphertext, the slots that hold released cells,
// ascending: the only slots that receive differential-privacy noise at decryption.
func (o Output) NoiseSlots() [][]int {
	slots := make([][]int, o.Ciphertexts)
	for _, c := range o.Cells {
		if c.Ciphertext >= 0 && c.Ciphertext < len(slots) {
			slots[c.Ciphertext] = append(slots[c.Ciphertext], c.Slot)
		}
	}
	for _, s := range slots {
		slices.Sort(s)
	}
	return slots
}

// OutputCell is one released value: component Components[Component] of the group with
// codes Group (one per GroupBy dimension), found in Slot of output ciphertext Ciphertext.
type OutputCell struct {
	Group      []string `json:"group"`
	Component  int      `json:"component"`
	Ciphertext int      `json:"ciphertext"`
	Slot       int      `json:"slot"`
}

// StatisticComponents returns the cube components a statistic needs (indices into
// Layout.Components): count; count and sum (sum and mean: the count lets the release
// suppress cells with too few records); count, sum and sum of squares (variance); the
// bins (histogram). It returns an error wrapping ErrQuery for an unknown
// statistic, a missing or unknown measure, or a histogram of a measure without edges.
func (l *Layout) StatisticComponents(st policies.Statistic, measure string) ([]int, error) {
	if st == policies.StatCount {
		if measure != "" {
			return nil, fmt.Errorf("count takes no measure: %w", ErrQuery)
		}
		return []int{0}, nil
	}
	_, mi, ok := l.schema.Measure(measure)
	if !ok {
		return nil, fmt.Errorf("measure %q is not in the schema: %w", clip(measure), ErrQuery)
	}
	base := l.measBase[mi]
	switch st {
	case policies.StatSum, policies.StatMean:
		return []int{0, base}, nil
	case policies.StatVariance:
		return []int{0, base, base + 1}, nil
	case policies.StatHistogram:
		bins := l.schema.Measures[mi].Bins()
		if bins == 0 {
			return nil, fmt.Errorf("measure %q has no histogram edges: %w", measure, ErrQuery)
		}
		out := make([]int, bins)
		for i := range out {
			out[i] = base + 2 + i
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown statistic %q: %w", clip(string(st)), ErrQuery)
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// axisQuery is what a query does with one axis.
type axisQuery struct {
	grouped bool
	codes   []int // ascending, distinct
}

// Plan returns the reduction of the cube to query q's output cells. Filters restrict a
// dimension to their codes, group-by dimensions are kept, other dimensions are summed
// out, and the component axis keeps the statistic's components. It returns an error
// wrapping ErrQuery for an unknown dimension, code, measure or statistic, a dimension
// grouped or filtered twice, or an empty selection. Epsilon is not looked at.
func (l *Layout) Plan(q policies.Query) (*Plan, error) {
	dims := l.schema.Dimensions
	axes := make([]axisQuery, len(l.sizes))
	comps, err := l.StatisticComponents(q.Statistic, q.Measure)
	if err != nil {
		return nil, err
	}
	axes[0] = axisQuery{grouped: true, codes: comps}
	for i, d := range dims {
		axes[1+i].codes = make([]int, len(d.Codes))
		for c := range d.Codes {
			axes[1+i].codes[c] = c
		}
	}
	groupOrder := make([]int, 0, len(q.GroupBy))
	for _, g := range q.GroupBy {
		_, di, ok := l.schema.Dimension(g)
		if !ok {
			return nil, fmt.Errorf("group-by dimension %q is not in the schema: %w", clip(g), ErrQuery)
		}
		if axes[1+di].grouped {
			return nil, fmt.Errorf("dimension %q is grouped twice: %w", g, ErrQuery)
		}
		axes[1+di].grouped = true
		groupOrder = append(groupOrder, di)
	}
	filtered := make([]bool, len(dims))
	for _, f := range q.Filters {
		d, di, ok := l.schema.Dimension(f.Dimension)
		if !ok {
			return nil, fmt.Errorf("filter dimension %q is not in the schema: %w", clip(f.Dimension), ErrQuery)
		}
		if filtered[di] {
			return nil, fmt.Errorf("dimension %q is filtered twice: %w", d.Name, ErrQuery)
		}
		filtered[di] = true
		var sel []int
		for _, code := range f.Codes {
			c := d.CodeIndex(code)
			if c < 0 {
				return nil, fmt.Errorf("code %q is not a code of dimension %q: %w", clip(code), d.Name, ErrQuery)
			}
			sel = append(sel, c)
		}
		slices.Sort(sel)
		sel = slices.Compact(sel)
		if len(sel) == 0 {
			return nil, fmt.Errorf("filter on %q selects no code: %w", d.Name, ErrQuery)
		}
		axes[1+di].codes = sel
	}
	p := &Plan{layout: l}
	l.planSums(p, axes)
	l.planOutputs(p, axes)
	l.describe(p, axes, q, comps, groupOrder)
	return p, nil
}

// planSums lists the inner summed axes. Adjacent axes summed in full are merged into
// one sum over their combined extent (their slots are contiguous), which needs fewer
// rotations than summing them one after the other.
func (l *Layout) planSums(p *Plan, axes []axisQuery) {
	for a := l.split + 1; a < len(l.sizes); a++ {
		if axes[a].grouped {
			continue
		}
		full := len(axes[a].codes) == l.sizes[a]
		if n := len(p.Sums); full && n > 0 && p.Sums[n-1].Full && p.Sums[n-1].Stride == l.stride[a]*l.sizes[a] {
			prev := &p.Sums[n-1]
			prev.Stride = l.stride[a]
			prev.Size *= l.sizes[a]
			prev.Codes = make([]int, prev.Size)
			for c := range prev.Codes {
				prev.Codes[c] = c
			}
			continue
		}
		p.Sums = append(p.Sums, AxisSum{
			Stride: l.stride[a], Size: l.sizes[a], Codes: axes[a].codes, Full: full,
		})
	}
}

// outputKey identifies an output ciphertext: the codes of the grouped outer axes and,
// when the split axis is grouped, its row index.
func (l *Layout) planOutputs(p *Plan, axes []axisQuery) {
	split := axes[l.split]
	// his are the split-axis row indices an output ranges over.
	hiSet := func(codes []int) []int {
		var his []int
		for _, c := range codes {
			if h := c / l.q; len(his) == 0 || his[len(his)-1] != h {
				his = append(his, h)
			}
		}
		return his
	}
	splitHis := hiSet(split.codes)
	// Enumerate output keys: grouped outer codes (odometer), then split his if grouped.
	var outerGrouped, outerSummed []int
	for a := 0; a < l.split; a++ {
		if axes[a].grouped {
			outerGrouped = append(outerGrouped, a)
		} else {
			outerSummed = append(outerSummed, a)
		}
	}
	outHis := [][]int{splitHis}
	if split.grouped {
		outHis = outHis[:0]
		for _, h := range splitHis {
			outHis = append(outHis, []int{h})
		}
	}
	coord := make([]int, len(l.sizes))
	forEach(axes, outerGrouped, coord, func() {
		for _, his := range outHis {
			var ob OutputBlock
			forEach(axes, outerSummed, coord, func() {
				for _, h := range his {
					src := Source{Block: l.outerIndex(coord)*l.hi + h}
					if split.grouped {
						src.Shifts = []int{0}
					} else {
						for _, c := range split.codes {
							if c/l.q == h {
								src.Shifts = append(src.Shifts, (c%l.q)*l.inner)
							}
						}
					}
					ob.Sources = append(ob.Sources, src)
				}
			})
			ob.Mask = l.mask(axes, his)
			p.Outputs = append(p.Outputs, ob)
		}
	})
}

// mask lists the in-row offsets of an output's cells.
func (l *Layout) mask(axes []axisQuery, his []int) []int {
	offsets := []int{0}
	for a := l.split; a < len(l.sizes); a++ {
		var steps []int
		switch {
		case !axes[a].grouped:
			steps = []int{0}
		case a == l.split:
			for _, c := range axes[a].codes {
				if c/l.q == his[0] {
					steps = append(steps, (c%l.q)*l.inner)
				}
			}
		default:
			for _, c := range axes[a].codes {
				steps = append(steps, c*l.stride[a])
			}
		}
		next := make([]int, 0, len(offsets)*len(steps))
		for _, o := range offsets {
			for _, s := range steps {
				next = append(next, o+s)
			}
		}
		offsets = next
	}
	slices.Sort(offsets)
	return offsets
}

// outerIndex returns the mixed-radix index of the outer axes of coord.
func (l *Layout) outerIndex(coord []int) int {
	o := 0
	for a := 0; a < l.split; a++ {
		o = o*l.sizes[a] + coord[a]
	}
	return o
}

// forEach sets coord on the given axes to every combination of their selected codes,
// first axis slowest, and calls f for each.
func forEach(axes []axisQuery, which []int, coord []int, f func()) {
	if len(which) == 0 {
		f()
		return
	}
	a := which[0]
	for _, c := range axes[a].codes {
		coord[a] = c
		forEach(axes, which[1:], coord, f)
	}
}

// describe fills the analyst's output description.
func (l *Layout) describe(p *Plan, axes []axisQuery, q policies.Query, comps []int, groupOrder []int) {
	out := Output{Statistic: q.Statistic, Measure: q.Measure, GroupBy: slices.Clone(q.GroupBy), Ciphertexts: len(p.Outputs)}
	for _, c := range comps {
		out.Components = append(out.Components, l.comps[c])
	}
	if out.GroupBy == nil {
		out.GroupBy = []string{}
	}
	// Output ciphertext index of each (outer grouped codes, split row) in planOutputs order.
	index := map[int]int{}
	next := 0
	coord := make([]int, len(l.sizes))
	var outerGrouped []int
	for a := 0; a < l.split; a++ {
		if axes[a].grouped {
			outerGrouped = append(outerGrouped, a)
		}
	}
	forEach(axes, outerGrouped, coord, func() {
		key := l.outerIndex(coord) * l.hi
		if !axes[l.split].grouped {
			index[key] = next
			next++
			return
		}
		seen := -1
		for _, c := range axes[l.split].codes {
			if h := c / l.q; h != seen {
				index[key+h] = next
				next++
				seen = h
			}
		}
	})
	groupAxes := make([]int, len(groupOrder))
	for i, di := range groupOrder {
		groupAxes[i] = 1 + di
	}
	for a := range coord {
		coord[a] = 0
	}
	forEach(axes, groupAxes, coord, func() {
		group := make([]string, len(groupOrder))
		for i, di := range groupOrder {
			group[i] = l.schema.Dimensions[di].Codes[coord[1+di]]
		}
		for ci, c := range comps {
			coord[0] = c
			// Summed axes sit at code 0 in coord, so the block is the output's key.
			b, off := l.position(coord)
			key := b
			out.Cells = append(out.Cells, OutputCell{Group: group, Component: ci, Ciphertext: index[key], Slot: off})
		}
		coord[0] = 0
	})
	p.Output = out
}
