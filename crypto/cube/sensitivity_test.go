package cube

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/policies"
)

func TestSensitivityOfEachStatistic(t *testing.T) {
	s := policies.Schema{
		Dimensions: []policies.Dimension{{Name: "region", Codes: []string{"N", "S"}}},
		Measures:   []policies.Measure{{Name: "stay", Min: 0, Max: 30, HistogramEdges: []int64{2, 7}}, {Name: "delta", Min: -50, Max: 20}},
	}
	out := func(cs ...Component) Output { return Output{Components: cs} }
	tests := []struct {
		name   string
		o      Output
		l1, l2 int64
	}{
		{"a count moves by one", out(Component{Kind: ComponentCount}), 1, 1},
		{"a sum moves by the larger bound", out(Component{Kind: ComponentSum, Measure: "delta"}), 50, 50},
		{"a mean releases count and sum", out(Component{Kind: ComponentCount}, Component{Kind: ComponentSum, Measure: "stay"}), 31, 31},
		{"a variance adds the sum of squares", out(Component{Kind: ComponentCount}, Component{Kind: ComponentSum, Measure: "stay"}, Component{Kind: ComponentSumSq, Measure: "stay"}), 931, 901},
		{"a record falls in one bin of a histogram", out(Component{Kind: ComponentBin, Measure: "stay"}, Component{Kind: ComponentBin, Measure: "stay", Bin: 1}, Component{Kind: ComponentBin, Measure: "stay", Bin: 2}), 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l1, l2, err := tt.o.Sensitivity(s)
			require.NoError(t, err)
			require.Equal(t, tt.l1, l1)
			require.Equal(t, tt.l2, l2)
			require.LessOrEqual(t, l2, l1)
		})
	}
	_, _, err := out(Component{Kind: ComponentSum, Measure: "nope"}).Sensitivity(s)
	require.ErrorIs(t, err, ErrQuery)
}
