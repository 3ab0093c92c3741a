package records_test

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/statledger/statledger/client/records"
	"github.com/statledger/statledger/policies"
)

// A provider's upload: guess the format of the file, read it, and add each record to the
// cube (here, just count records by region).
func ExampleRead() {
	schema := policies.Schema{
		Dimensions: []policies.Dimension{{Name: "region", Codes: []string{"R01", "R02"}}},
		Measures:   []policies.Measure{{Name: "lengthOfStay", Min: 0, Max: 60}},
	}
	file := "region,lengthOfStay\nR01,3\nR02,70\nR01,0\n"

	br := bufio.NewReader(strings.NewReader(file))
	format := records.FormatOf("admissions.csv", br)
	byRegion := make([]int, 2)
	n, err := records.Read(br, format, schema, func(codes []int, values []int64) error {
		byRegion[codes[0]]++
		return nil
	})
	fmt.Println(format, n, err, byRegion)

	_, err = records.Read(strings.NewReader("region,lengthOfStay\nR03,1\n"), format, schema, func([]int, []int64) error { return nil })
	fmt.Println(err)
	// Output:
	// csv 3 <nil> [2 1]
	// line 2, column "region": value is not a code of the dimension
}
