package records

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseAgeBands(t *testing.T) {
	a, err := ParseAgeBands([]string{"0-14", "15-29", "30", "75+"})
	require.NoError(t, err)
	for age, want := range map[int]int{0: 0, 14: 0, 15: 1, 29: 1, 30: 2, 75: 3, 120: 3} {
		got, ok := a.Index(age)
		require.True(t, ok, age)
		require.Equal(t, want, got, age)
	}
	for _, age := range []int{-1, 31, 74} {
		_, ok := a.Index(age)
		require.False(t, ok, age)
	}
	for _, codes := range [][]string{
		{"0-14", "10-20"}, {"60+", "70+"}, {"15-10"}, {"a-b"}, {"-5"}, {"1000"}, {"+5"}, {"5-"}, {""}, {"1-+2"},
	} {
		_, err := ParseAgeBands(codes)
		require.Error(t, err, codes)
	}
}

func TestParseICD10Groups(t *testing.T) {
	g, err := ParseICD10Groups([]string{"A00-B99", "I21", "S00-T98", "other"})
	require.NoError(t, err)
	for code, want := range map[string]int{
		"A00": 0, "b99.9": 0, "I21": 1, "I21.4": 1, "I219": 1, "S72.0": 2, "T98": 2, "T99": 3, "I22": 3, "Z38.0": 3, "C61": 3,
	} {
		got, ok := g.Index(code)
		require.True(t, ok, code)
		require.Equal(t, want, got, code)
	}
	for _, code := range []string{"", "I2", "12A", "I2x", "I21-", "é21"} {
		_, ok := g.Index(code)
		require.False(t, ok, code)
	}

	noOther, err := ParseICD10Groups([]string{"I00-I99"})
	require.NoError(t, err)
	_, ok := noOther.Index("J18.9")
	require.False(t, ok)

	for _, codes := range [][]string{
		{"A00-B99", "B50-C10"}, {"I21", "I00-I99"}, {"OTHER", "_O"}, {"I99-I00"}, {"I0-I99"}, {"I00-I999"}, {"CHAPTER"}, {"I00-"},
	} {
		_, err := ParseICD10Groups(codes)
		require.Error(t, err, codes)
	}
}

func TestParseDate(t *testing.T) {
	for s, want := range map[string]int{
		"1970-01-01": 0, "1970-01-02": 1, "1969-12-31": -1, "2000-03-01": 11017, "2024-02-29T23:59:59+14:00": 19782,
	} {
		days, _, _, _, ok := parseDate(s)
		require.True(t, ok, s)
		require.Equal(t, want, days, s)
	}
	for _, s := range []string{"", "2024", "2024-03", "2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10", "2024-1-01", "2024-01-01X", "20x4-01-01", "2024/01/01"} {
		_, _, _, _, ok := parseDate(s)
		require.False(t, ok, s)
	}
}

func TestAgeAt(t *testing.T) {
	require.Equal(t, 74, ageAt(1950, 3, 2, 2025, 3, 1))
	require.Equal(t, 75, ageAt(1950, 3, 2, 2025, 3, 2))
	require.Equal(t, 0, ageAt(2000, 2, 29, 2001, 2, 28))
	require.Equal(t, 1, ageAt(2000, 2, 29, 2001, 3, 1))
	require.Equal(t, -1, ageAt(2025, 5, 1, 2025, 4, 30))
}

func TestParseMoney(t *testing.T) {
	for s, want := range map[string]int64{
		"0": 0, "4523.49": 4523, "4523.5": 4524, "-4523.5": -4524, "12e3": 12000, "1e15": 1_000_000_000_000_000, "0.49": 0,
	} {
		got, ok := parseMoney(s)
		require.True(t, ok, s)
		require.Equal(t, want, got, s)
	}
	for _, s := range []string{"", "x", "1.5e15", "-2e15", "NaN", "Inf"} {
		_, ok := parseMoney(s)
		require.False(t, ok, s)
	}
}

func TestRefKey(t *testing.T) {
	for ref, want := range map[string]string{
		"Patient/7":                              "Patient/7",
		"https://h.example/fhir/Patient/7":       "Patient/7",
		"Patient/7/_history/2":                   "Patient/7",
		"urn:uuid:0f4e70df-0676-4952-9d20-79d38": "urn:uuid:0f4e70df-0676-4952-9d20-79d38",
	} {
		got, ok := refKey(ref)
		require.True(t, ok, ref)
		require.Equal(t, want, got, ref)
	}
	for _, ref := range []string{"", "7", "#p1", "Patient/", "/7", "urn:", "a//7"} {
		_, ok := refKey(ref)
		require.False(t, ok, ref)
	}
}
