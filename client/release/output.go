package release

import (
	"fmt"
	"strings"

	"github.com/statledger/statledger/crypto/cube"
)

// CellsFromOutput assembles the cells of a decrypted result for New. out is the query
// plan's output description (cube.Plan.Output, which the result blob is bound to) and
// values the decrypted slots, one row per output ciphertext as the analyst's decryption
// returns them (centred signed integers). Count, sum and sum-of-squares components of a
// group fill one Cell; each histogram bin fills a Cell of its own. Cells come in the
// order of out.Cells. It returns an error wrapping ErrInvalid when a cell points outside
// values or out.Components, or a cell's component is given twice. Safe for concurrent use.
func CellsFromOutput(out cube.Output, values [][]int64) ([]Cell, error) {
	var cells []Cell
	index := map[string]int{} // group and bin -> position in cells
	filled := map[string]bool{}
	for i, oc := range out.Cells {
		if oc.Ciphertext < 0 || oc.Ciphertext >= len(values) {
			return nil, fmt.Errorf("%w: output cell %d is in ciphertext %d of %d", ErrInvalid, i, oc.Ciphertext, len(values))
		}
		if oc.Slot < 0 || oc.Slot >= len(values[oc.Ciphertext]) {
			return nil, fmt.Errorf("%w: output cell %d is in slot %d of %d", ErrInvalid, i, oc.Slot, len(values[oc.Ciphertext]))
		}
		if oc.Component < 0 || oc.Component >= len(out.Components) {
			return nil, fmt.Errorf("%w: output cell %d has component %d of %d", ErrInvalid, i, oc.Component, len(out.Components))
		}
		comp := out.Components[oc.Component]
		bin := 0
		if comp.Kind == cube.ComponentBin {
			bin = comp.Bin
		}
		key := fmt.Sprintf("%s\x00%d", strings.Join(oc.Group, "\x00"), bin)
		at, ok := index[key]
		if !ok {
			at = len(cells)
			index[key] = at
			cells = append(cells, Cell{Codes: append([]string{}, oc.Group...), Bin: bin})
		}
		if filled[key+"\x00"+string(comp.Kind)] {
			return nil, fmt.Errorf("%w: output cell %d repeats the %s of its group", ErrInvalid, i, comp.Kind)
		}
		filled[key+"\x00"+string(comp.Kind)] = true
		v := values[oc.Ciphertext][oc.Slot]
		switch comp.Kind {
		case cube.ComponentCount, cube.ComponentBin:
			cells[at].Count = v
		case cube.ComponentSum:
			cells[at].Sum = v
		case cube.ComponentSumSq:
			cells[at].SumSq = v
		default:
			return nil, fmt.Errorf("%w: output cell %d has unknown component kind %q", ErrInvalid, i, clip(string(comp.Kind)))
		}
	}
	return cells, nil
}
