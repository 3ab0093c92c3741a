package policies

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func TestParseEpsilonReadsDecimalsExactly(t *testing.T) {
	tests := []struct {
		in   string
		want Epsilon
	}{
		{"0", 0},
		{"1", MicroPerEpsilon},
		{"0.5", 500_000},
		{"1.25", 1_250_000},
		{"0.000001", 1},
		{"007.100", 7_100_000},
		{" 2 ", 2 * MicroPerEpsilon},
		{"999999999.999999", 999_999_999_999_999},
	}
	for _, tt := range tests {
		t.Run("reads "+tt.in, func(t *testing.T) {
			got, err := ParseEpsilon(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseEpsilonRefusesNonDecimals(t *testing.T) {
	for _, in := range []string{"", " ", "-1", "+1", ".5", "1.", "1.0000001", "1e-3", "0x10", "1,5", "NaN", "inf", "1000000000", "½"} {
		t.Run("refuses "+in, func(t *testing.T) {
			_, err := ParseEpsilon(in)
			require.Error(t, err)
		})
	}
}

func TestEpsilonStringRoundTrips(t *testing.T) {
	tests := []struct {
		e    Epsilon
		want string
	}{
		{0, "0"},
		{1, "0.000001"},
		{500_000, "0.5"},
		{2 * MicroPerEpsilon, "2"},
		{1_250_000, "1.25"},
		{-500_000, "-0.5"},
	}
	for _, tt := range tests {
		t.Run("writes "+tt.want, func(t *testing.T) {
			require.Equal(t, tt.want, tt.e.String())
			if tt.e >= 0 {
				back, err := ParseEpsilon(tt.e.String())
				require.NoError(t, err)
				require.Equal(t, tt.e, back)
			}
		})
	}
}

func TestEpsilonJSONAndYAMLRoundTrip(t *testing.T) {
	q := Query{Statistic: StatCount, Epsilon: 1_250_000}

	data, err := json.Marshal(q)
	require.NoError(t, err)
	require.JSONEq(t, `{"statistic":"count","groupBy":null,"epsilon":"1.25"}`, string(data))
	back, err := ParseQuery(data)
	require.NoError(t, err)
	require.Equal(t, q, back)

	var fromNumber Query
	require.NoError(t, json.Unmarshal([]byte(`{"statistic":"count","epsilon":1.25}`), &fromNumber))
	require.Equal(t, q.Epsilon, fromNumber.Epsilon)

	data, err = yaml.Marshal(q)
	require.NoError(t, err)
	require.Contains(t, string(data), `epsilon: "1.25"`)
	back, err = ParseQuery(data)
	require.NoError(t, err)
	require.Equal(t, q, back)
}

func FuzzEpsilon(f *testing.F) {
	for _, s := range []string{"0", "0.5", "1.25", "0.000001", "999999999.999999", "-1", "1e3", "", "00.10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseEpsilon(s)
		if err != nil {
			return
		}
		require.GreaterOrEqual(t, e, Epsilon(0))
		back, err := ParseEpsilon(e.String())
		require.NoError(t, err, "String of %d", e)
		require.Equal(t, e, back)

		var viaJSON Epsilon
		data, err := json.Marshal(e)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(data, &viaJSON))
		require.Equal(t, e, viaJSON)
	})
}
