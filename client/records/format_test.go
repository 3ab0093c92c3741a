package records

import (
	"bufio"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseFormat(t *testing.T) {
	for name, want := range map[string]Format{
		"csv": FormatCSV, " CSV ": FormatCSV, "fhir-bundle": FormatFHIRBundle, "bundle": FormatFHIRBundle, "json": FormatFHIRBundle,
		"fhir-ndjson": FormatFHIRNDJSON, "NDJSON": FormatFHIRNDJSON,
	} {
		got, err := ParseFormat(name)
		require.NoError(t, err, name)
		require.Equal(t, want, got, name)
	}
	_, err := ParseFormat("xml")
	require.Error(t, err)
}

func TestFormatOf(t *testing.T) {
	for _, tc := range []struct {
		name, file, head string
		want             Format
	}{
		{"a .csv name", "a.CSV", "{", FormatCSV},
		{"a .ndjson name", "a.ndjson", "", FormatFHIRNDJSON},
		{"a .jsonl name", "a.jsonl", "", FormatFHIRNDJSON},
		{"a .json name", "a.json", "", FormatFHIRBundle},
		{"CSV content", "-", "region,sex\n", FormatCSV},
		{"empty content", "-", "", FormatCSV},
		{"one resource per line", "-", "\xef\xbb\xbf{\"resourceType\":\"Patient\"}\r\n{}", FormatFHIRNDJSON},
		{"a pretty-printed Bundle", "-", "\n  {\n \"resourceType\": \"Bundle\"\n}", FormatFHIRBundle},
	} {
		t.Run(tc.name, func(t *testing.T) {
			br := bufio.NewReader(strings.NewReader(tc.head))
			require.Equal(t, tc.want, FormatOf(tc.file, br))
			rest, err := br.Peek(len(tc.head))
			require.NoError(t, err)
			require.Equal(t, tc.head, string(rest), "nothing is consumed")
		})
	}
}

func TestReadDispatchesOnTheFormat(t *testing.T) {
	s := healthcareSchema(t)
	count := func(f Format, input string) int {
		n, err := Read(strings.NewReader(input), f, s, func([]int, []int64) error { return nil })
		require.NoError(t, err)
		return n
	}
	require.Equal(t, 1, count(FormatCSV, csvHeader+"R01,75+,F,I00-I99,3,80,4200\n"))
	require.Equal(t, 1, count(FormatFHIRBundle, bundleOf(admission())))
	require.Equal(t, 1, count(FormatFHIRNDJSON, ndjsonOf(admission())))
	_, err := Read(strings.NewReader(""), Format("xml"), s, nil)
	require.Error(t, err)
}
