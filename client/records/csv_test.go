package records

import (
	"errors"
	"strings"
	"testing"

	"github.com/statledger/statledger/policies"
	"github.com/stretchr/testify/require"
)

const csvHeader = "region,ageBand,sex,diagnosisGroup,lengthOfStay,age,costEUR\n"

func TestReadCSVReadsRecords(t *testing.T) {
	s := healthcareSchema(t)
	for _, tc := range []struct {
		name  string
		input string
		want  []record
	}{
		{"a header alone has no records", csvHeader, nil},
		{"columns in schema order", csvHeader + "R01,75+,F,I00-I99,3,80,4200\nR10,0-14,M,OTHER,0,0,-5\n", []record{
			{Codes: []string{"R01", "75+", "F", "I00-I99"}, Values: []int64{3, 80, 4200}},
			{Codes: []string{"R10", "0-14", "M", "OTHER"}, Values: []int64{0, 0, -5}},
		}},
		{"columns in another order, with one the schema lacks", "id,costEUR,age,lengthOfStay,diagnosisGroup,sex,ageBand,region\n" +
			"x17,4200,80,3,I00-I99,F,75+,R01\n", []record{
			{Codes: []string{"R01", "75+", "F", "I00-I99"}, Values: []int64{3, 80, 4200}},
		}},
		{"a byte order mark, CRLF, blank lines and no final line end", "\xef\xbb\xbf\r\n" + strings.ReplaceAll(csvHeader, "\n", "\r\n") +
			"\r\n  \t \r\nR01,75+,F,I00-I99,3,80,4200\r\n\nR02,15-29,M,S00-T98,1,20,+900", []record{
			{Codes: []string{"R01", "75+", "F", "I00-I99"}, Values: []int64{3, 80, 4200}},
			{Codes: []string{"R02", "15-29", "M", "S00-T98"}, Values: []int64{1, 20, 900}},
		}},
		{"quoted fields and spaces around fields", ` "region" , ageBand,sex,diagnosisGroup,lengthOfStay,age,costEUR` + "\n" +
			` "R01" ,"75+", F ,"I00-I99",3, 80 ,"4200"` + "\n", []record{
			{Codes: []string{"R01", "75+", "F", "I00-I99"}, Values: []int64{3, 80, 4200}},
		}},
		{"a quoted quote in an ignored column", "note,region,ageBand,sex,diagnosisGroup,lengthOfStay,age,costEUR\n" +
			`"say ""hi"", then",R01,75+,F,I00-I99,3,80,4200` + "\n", []record{
			{Codes: []string{"R01", "75+", "F", "I00-I99"}, Values: []int64{3, 80, 4200}},
		}},
		{"the extremes of int64", csvHeader + "R01,75+,F,I00-I99,9223372036854775807,-9223372036854775808,0\n", []record{
			{Codes: []string{"R01", "75+", "F", "I00-I99"}, Values: []int64{9223372036854775807, -9223372036854775808, 0}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []record
			n, err := ReadCSV(strings.NewReader(tc.input), s, collect(s, &got))
			require.NoError(t, err)
			require.Equal(t, len(tc.want), n)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestReadCSVRefusesBadInput(t *testing.T) {
	s := healthcareSchema(t)
	row := "R01,75+,F,I00-I99,3,80,4200\n"
	for _, tc := range []struct {
		name  string
		input string
		opts  []Option
		want  error
		line  int
		field string
	}{
		{"an empty input", "", nil, ErrSyntax, 0, ""},
		{"blank lines only", "\n \n\t\n", nil, ErrSyntax, 3, ""},
		{"a header without a measure", "region,ageBand,sex,diagnosisGroup,lengthOfStay,age\n", nil, ErrMissingColumn, 1, ""},
		{"a header without a dimension", "ageBand,sex,diagnosisGroup,lengthOfStay,age,costEUR\n", nil, ErrMissingColumn, 1, ""},
		{"a column twice", strings.Replace(csvHeader, "\n", ",age\n", 1), nil, ErrSyntax, 1, ""},
		{"a code that is not in the dimension", csvHeader + row + secret + ",75+,F,I00-I99,3,80,4200\n", nil, ErrUnknownCode, 3, "region"},
		{"a code in the wrong case", csvHeader + "R01,75+,f,I00-I99,3,80,4200\n", nil, ErrUnknownCode, 2, "sex"},
		{"an empty code", csvHeader + "R01,,F,I00-I99,3,80,4200\n", nil, ErrUnknownCode, 2, "ageBand"},
		{"a measure that is not an integer", csvHeader + "R01,75+,F,I00-I99,3.5,80,4200\n", nil, ErrNotInteger, 2, "lengthOfStay"},
		{"a measure that is a secret word", csvHeader + "R01,75+,F,I00-I99,3," + secret + ",4200\n", nil, ErrNotInteger, 2, "age"},
		{"a measure beyond 64 bits", csvHeader + "R01,75+,F,I00-I99,3,80,9223372036854775808\n", nil, ErrNotInteger, 2, "costEUR"},
		{"an empty measure", csvHeader + "R01,75+,F,I00-I99,3,80,\n", nil, ErrNotInteger, 2, "costEUR"},
		{"a sign alone", csvHeader + "R01,75+,F,I00-I99,-,80,1\n", nil, ErrNotInteger, 2, "lengthOfStay"},
		{"too few fields", csvHeader + "R01,75+,F,I00-I99,3,80\n", nil, ErrSyntax, 2, ""},
		{"too many fields", csvHeader + "R01,75+,F,I00-I99,3,80,4200,1\n", nil, ErrSyntax, 2, ""},
		{"a quoted field not closed", csvHeader + `R01,"75+,F,I00-I99,3,80,4200` + "\n", nil, ErrSyntax, 2, ""},
		{"text after a closing quote", csvHeader + `R01,"75+"x,F,I00-I99,3,80,4200` + "\n", nil, ErrSyntax, 2, ""},
		{"a quote inside an unquoted field", csvHeader + `R01,7"5+,F,I00-I99,3,80,4200` + "\n", nil, ErrSyntax, 2, ""},
		{"a malformed header", `"region,ageBand` + "\n", nil, ErrSyntax, 1, ""},
		{"a line longer than the limit", csvHeader + row + "R01,75+,F,I00-I99,3,80," + strings.Repeat("1", 100) + "\n", []Option{WithMaxLineBytes(64)}, ErrLineTooLong, 3, ""},
		{"a header longer than the limit", strings.Repeat("x", 100) + "," + csvHeader, []Option{WithMaxLineBytes(64)}, ErrLineTooLong, 1, ""},
		{"more records than the limit", csvHeader + row + row + row, []Option{WithMaxRecords(2)}, ErrTooManyRecords, 4, ""},
		{"any record over a limit of none", csvHeader + row, []Option{WithMaxRecords(-1)}, ErrTooManyRecords, 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadCSV(strings.NewReader(tc.input), s, func([]int, []int64) error { return nil }, tc.opts...)
			requireParseError(t, err, tc.want, -1, tc.line, tc.field)
		})
	}
}

func TestReadCSVErrorsNameTheColumn(t *testing.T) {
	s := healthcareSchema(t)
	_, err := ReadCSV(strings.NewReader(csvHeader+"R01,75+,X,I00-I99,3,80,4200\n"), s, func([]int, []int64) error { return nil })
	require.EqualError(t, err, `line 2, column "sex": value is not a code of the dimension`)
}

func TestReadCSVStopsWhenTheHandlerFails(t *testing.T) {
	s := healthcareSchema(t)
	stop := errors.New("stop")
	calls := 0
	n, err := ReadCSV(strings.NewReader(csvHeader+"R01,75+,F,I00-I99,3,80,4200\nR01,75+,F,I00-I99,3,80,4200\n"), s,
		func([]int, []int64) error {
			calls++
			return stop
		})
	require.ErrorIs(t, err, stop)
	require.EqualError(t, err, "CSV line 2: stop")
	require.Zero(t, n)
	require.Equal(t, 1, calls)
}

func TestReadCSVReturnsTheReadersError(t *testing.T) {
	s := healthcareSchema(t)
	broken := errors.New("disk on fire")
	_, err := ReadCSV(&failingReader{data: csvHeader, err: broken}, s, func([]int, []int64) error { return nil })
	require.ErrorIs(t, err, broken)
	require.Contains(t, err.Error(), "read CSV line 2")
}

func TestReadCSVRefusesAnInvalidSchema(t *testing.T) {
	_, err := ReadCSV(strings.NewReader(csvHeader), policies.Schema{}, nil)
	var fe *policies.FieldError
	require.ErrorAs(t, err, &fe)
}

// failingReader returns data, then err.
type failingReader struct {
	data string
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}
