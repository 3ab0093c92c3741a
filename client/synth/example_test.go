package synth_test

import (
	"os"

	"github.com/statledger/statledger/client/records"
	"github.com/statledger/statledger/client/synth"
)

// Four synthetic admissions as CSV; the same seed always gives the same rows.
func ExampleGenerate() {
	cfg := synth.Config{Seed: 1, Records: 4, Provider: "HospitalA"}
	if err := synth.Generate(os.Stdout, records.FormatCSV, cfg); err != nil {
		panic(err)
	}
	// Output:
	// region,ageBand,sex,diagnosisGroup,lengthOfStay,age,costEUR
	// R07,45-59,M,I00-I99,5,59,7437
	// R01,0-14,M,OTHER,1,6,4067
	// R01,30-44,M,J00-J99,4,33,7421
	// R04,75+,F,S00-T98,22,79,24096
}
