package synth

// The healthcare schema's codes and the weights the generator draws them with. The codes
// must match policies/healthcare/schema.yaml, which a test checks.

// regionCodes are the codes of the region dimension; regionWeights their population shares.
var (
	regionCodes   = [...]string{"R01", "R02", "R03", "R04", "R05", "R06", "R07", "R08", "R09", "R10"}
	regionWeights = [len(regionCodes)]float64{18, 14, 12, 11, 10, 9, 8, 7, 6, 5}
)

// ageBands are the codes of the ageBand dimension with the highest age of each band.
var ageBands = [...]struct {
	code string
	hi   int
}{{"0-14", 14}, {"15-29", 29}, {"30-44", 44}, {"45-59", 59}, {"60-74", 74}, {"75+", 1 << 30}}

// ageWeights are the shares of admissions by five-year age group (the first age of the
// group): a few births and young children, few older children and young adults, then
// rising to a peak at 75 to 84, as in European hospital statistics.
var ageWeights = [...]struct {
	lo     int
	weight float64
}{
	{0, 6}, {5, 1.5}, {10, 1.5}, {15, 2.5}, {20, 3.5}, {25, 4.5}, {30, 5}, {35, 4.5},
	{40, 4.5}, {45, 5}, {50, 6}, {55, 7}, {60, 8}, {65, 9}, {70, 10}, {75, 10},
	{80, 9}, {85, 6}, {90, 3}, {95, 1}, {100, 0.2},
}

// ageWeightTable holds the weights of ageWeights, for pickWeighted.
var ageWeightTable = func() []float64 {
	w := make([]float64, len(ageWeights))
	for i, a := range ageWeights {
		w[i] = a.weight
	}
	return w
}()

// group is a diagnosis group: its code, typical ICD-10 codes, its weight among admissions
// of adults (pregnancies count only for women of 15 to 49) with multipliers for children
// and older people, the median length of stay in days at age 40, and the cost of a stay (a
// base plus a cost per day, in euros).
type group struct {
	code              string
	icd10             []string
	weight            float64
	child, old        float64
	losMedian         float64
	baseCost, dayCost float64
}

// groups are the codes of the diagnosisGroup dimension, in schema order.
var groups = [...]group{
	{"A00-B99", []string{"A09.9", "A41.9", "B34.9", "A08.4"}, 3, 2.5, 1.2, 4, 2500, 650},
	{"C00-D48", []string{"C34.9", "C50.9", "C18.9", "C61", "D25.9", "C67.9"}, 10, 0.2, 1.4, 5, 6000, 700},
	{"E00-E90", []string{"E11.9", "E86", "E87.1", "E10.1"}, 3, 0.8, 1.2, 4, 2500, 600},
	{"F00-F99", []string{"F10.2", "F32.9", "F20.0", "F05.9"}, 5, 0.5, 0.5, 12, 3000, 350},
	{"I00-I99", []string{"I21.9", "I50.9", "I63.9", "I48.9", "I10", "I70.2"}, 14, 0.1, 1.8, 5, 5500, 700},
	{"J00-J99", []string{"J18.9", "J44.1", "J20.9", "J45.9", "J96.0"}, 9, 2.5, 1.3, 5, 3500, 650},
	{"K00-K93", []string{"K35.8", "K80.2", "K56.7", "K40.9", "K57.3"}, 11, 0.8, 1, 3, 3800, 650},
	{"M00-M99", []string{"M17.1", "M16.1", "M54.5", "M48.0"}, 7, 0.3, 1.1, 4, 6500, 600},
	{"O00-O99", []string{"O80", "O82", "O70.0", "O47.9"}, 60, 0, 0, 2.5, 2200, 600},
	{"S00-T98", []string{"S72.0", "S06.0", "S82.8", "T81.4", "S52.5"}, 10, 1.2, 0.9, 4, 4500, 650},
	{"OTHER", []string{"N39.0", "R07.4", "L03.1", "G40.9", "N18.5", "R55", "H25.9"}, 21, 1, 1, 2.5, 2000, 600},
}

// newbornCodes replace the OTHER group's codes for patients under one year of age:
// births and perinatal conditions.
var newbornCodes = []string{"Z38.0", "P07.3", "P59.9"}

// The weights of the groups for four kinds of patients.
var (
	weightsChild     = groupTable(func(g group) float64 { return g.weight * g.child })
	weightsPregnancy = groupTable(func(g group) float64 { return g.weight })
	weightsAdult     = groupTable(func(g group) float64 {
		if g.code == "O00-O99" {
			return 0
		}
		return g.weight
	})
	weightsOld = groupTable(func(g group) float64 { return g.weight * g.old })
)

func groupTable(weight func(group) float64) []float64 {
	w := make([]float64, len(groups))
	for i, g := range groups {
		w[i] = weight(g)
	}
	return w
}

// groupWeights returns the weights of the diagnosis groups for a patient of age and sex.
func groupWeights(age int, sex string) []float64 {
	switch {
	case age < 15:
		return weightsChild
	case age >= 65:
		return weightsOld
	case sex == "F" && age <= 49:
		return weightsPregnancy
	}
	return weightsAdult
}
