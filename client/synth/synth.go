// Package synth generates synthetic hospital admissions for the shipped healthcare schema
// (policies/healthcare/schema.yaml) and writes them as CSV, FHIR R4 Bundle JSON or FHIR
// NDJSON, the inputs that package records reads. It serves demos, tests and benchmarks: no
// real person is behind any record.
//
// Generation is deterministic: a Generator seeded with a given seed (math/rand/v2's PCG)
// yields the same admissions, and the writers the same bytes, on every run with the same Go
// release. The distributions are plausible rather than calibrated: patients' ages are skewed
// towards the old, regions have population weights, diagnosis groups (ICD-10 chapters) have
// frequencies that depend on age and sex (pregnancies only for women of 15 to 49), the
// length of stay is a rounded-down log-normal whose median depends on the diagnosis and the
// age, and the cost grows with the stay. About one admission in twelve is a readmission of
// an earlier patient.
//
// Output is streamed: any number of admissions can be written in constant memory.
package synth

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Config says what to generate.
type Config struct {
	// Seed seeds the generator: the same seed gives the same admissions.
	Seed uint64
	// Records is the number of admissions Generate writes.
	Records int
	// Provider prefixes the FHIR resource ids, such as "HospitalA" in "HospitalA-e17", so
	// that the outputs of several providers do not collide. DefaultProvider by default.
	Provider string
	// Year is the calendar year of the admissions; DefaultYear by default.
	Year int
}

// Defaults of Config.
const (
	DefaultProvider = "H"
	DefaultYear     = 2025
)

// ErrConfig is wrapped by the errors of Config.Validate.
var ErrConfig = errors.New("invalid synth configuration")

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Provider == "" {
		c.Provider = DefaultProvider
	}
	if c.Year == 0 {
		c.Year = DefaultYear
	}
	return c
}

// Validate checks the configuration, with defaults applied to its zero fields: Records
// must not be negative, Provider must be 1 to 32 letters, digits, '-' or '.' (it becomes
// part of FHIR ids), and Year must be within 1900 to 9999. Errors wrap ErrConfig.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.Records < 0 {
		return fmt.Errorf("%w: records must not be negative", ErrConfig)
	}
	if len(c.Provider) > 32 {
		return fmt.Errorf("%w: provider must be at most 32 bytes long", ErrConfig)
	}
	for _, r := range c.Provider {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '.') {
			return fmt.Errorf("%w: provider must hold only letters, digits, '-' and '.'", ErrConfig)
		}
	}
	if c.Year < 1900 || c.Year > 9999 {
		return fmt.Errorf("%w: year must be within 1900 to 9999", ErrConfig)
	}
	return nil
}

// Patient is a synthetic patient.
type Patient struct {
	// Number is the 1-based number of the patient in the generator's output.
	Number int
	// Sex is the code of the schema's sex dimension: "F" or "M".
	Sex string
	// BirthDate is the date of birth, at midnight UTC.
	BirthDate time.Time
	// Region is the code of the region of residence, "R01" to "R10".
	Region string
	// PostalCode is the home postal code: five digits, the first two the region's number.
	PostalCode string
	// UUID is random; the FHIR Bundle writer uses it for the Patient's fullUrl.
	UUID [16]byte
}

// Admission is a synthetic hospital admission, one record of the healthcare schema.
type Admission struct {
	// Number is the 1-based number of the admission in the generator's output.
	Number int
	// Patient is the admitted patient.
	Patient Patient
	// FirstAdmission says whether this is the patient's first admission in the output;
	// the FHIR writers write the Patient resource with it.
	FirstAdmission bool
	// Admitted and Discharged are the start and end of the stay (UTC).
	Admitted, Discharged time.Time
	// LengthOfStay is the number of days between the dates of Admitted and Discharged.
	LengthOfStay int
	// Age is the patient's age at admission in whole years.
	Age int
	// ICD10 is the ICD-10 code of the principal diagnosis, such as "I21.9".
	ICD10 string
	// DiagnosisGroup is the code of the schema's diagnosisGroup dimension that ICD10 falls
	// in, such as "I00-I99".
	DiagnosisGroup string
	// CostCents is the cost of the stay in euro cents.
	CostCents int64
	// UUID is random; the FHIR Bundle writer derives the fullUrls of the admission's
	// Encounter, Condition and Claim from it.
	UUID [16]byte
}

// AgeBand returns the code of the schema's ageBand dimension for a.Age, such as "75+".
func (a *Admission) AgeBand() string {
	for _, b := range ageBands {
		if a.Age <= b.hi {
			return b.code
		}
	}
	return ageBands[len(ageBands)-1].code
}

// CostEUR returns the cost in whole euros, rounded half away from zero as the FHIR readers
// round Money values.
func (a *Admission) CostEUR() int64 {
	if a.CostCents < 0 {
		return -((-a.CostCents + 50) / 100)
	}
	return (a.CostCents + 50) / 100
}

// Generator draws admissions. It is not safe for concurrent use.
type Generator struct {
	rng      *rand.Rand
	year     int
	yearDays int
	n        int       // admissions drawn
	patients int       // patients drawn
	recent   []Patient // earlier patients aged 2 or more, for readmissions
	next     int       // slot of recent to overwrite when full
}

// readmissionRate is the share of admissions that readmit an earlier patient, and
// recentPatients how many earlier patients are candidates.
const (
	readmissionRate = 1.0 / 12
	recentPatients  = 4096
)

// NewGenerator returns a generator for cfg; cfg.Records is not used. It returns an error
// wrapping ErrConfig for an invalid configuration.
func NewGenerator(cfg Config) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	start := time.Date(cfg.Year, 1, 1, 0, 0, 0, 0, time.UTC)
	return &Generator{
		rng:      rand.New(rand.NewPCG(cfg.Seed, 0x5eed_ad31_5510_4a15)),
		year:     cfg.Year,
		yearDays: int(start.AddDate(1, 0, 0).Sub(start).Hours() / 24),
	}, nil
}

// Next returns the next admission.
func (g *Generator) Next() Admission {
	r := g.rng
	g.n++
	a := Admission{Number: g.n}
	day := r.IntN(g.yearDays)
	a.Admitted = time.Date(g.year, 1, 1+day, 6+r.IntN(16), r.IntN(60), 0, 0, time.UTC)

	if len(g.recent) > 0 && r.Float64() < readmissionRate {
		a.Patient = g.recent[r.IntN(len(g.recent))]
	} else {
		a.Patient = g.newPatient(a.Admitted)
		a.FirstAdmission = true
	}
	a.Age = ageAt(a.Patient.BirthDate, a.Admitted)
	if a.FirstAdmission && a.Age >= 2 {
		g.remember(a.Patient)
	}

	grp := &groups[pickWeighted(r, groupWeights(a.Age, a.Patient.Sex))]
	a.DiagnosisGroup = grp.code
	codes := grp.icd10
	if grp.code == "OTHER" && a.Age == 0 {
		codes = newbornCodes
	}
	a.ICD10 = codes[r.IntN(len(codes))]

	median := grp.losMedian * (0.6 + float64(a.Age)/100)
	los := int(median * math.Exp(0.85*r.NormFloat64()))
	a.LengthOfStay = min(max(los, 0), 365)
	if a.LengthOfStay == 0 {
		// A day case: out 30 minutes to 2 hours later, before midnight (admissions end
		// at 21:59).
		a.Discharged = a.Admitted.Add(time.Duration(30+r.IntN(90)) * time.Minute)
	} else {
		a.Discharged = time.Date(a.Admitted.Year(), a.Admitted.Month(), a.Admitted.Day()+a.LengthOfStay,
			8+r.IntN(10), r.IntN(60), 0, 0, time.UTC)
	}

	cost := (grp.baseCost + grp.dayCost*float64(a.LengthOfStay)) * math.Exp(0.25*r.NormFloat64())
	a.CostCents = int64(math.Round(cost * 100))
	a.UUID = randomUUID(r)
	return a
}

// newPatient draws a patient who is admitted at t.
func (g *Generator) newPatient(t time.Time) Patient {
	r := g.rng
	g.patients++
	p := Patient{Number: g.patients, Sex: "M"}
	if r.Float64() < 0.52 {
		p.Sex = "F"
	}
	band := &ageWeights[pickWeighted(r, ageWeightTable)]
	age := band.lo + r.IntN(5)
	// One to 365 days before the birthday of that age: never after t, even from 29 February.
	p.BirthDate = time.Date(t.Year()-age, t.Month(), t.Day()-1-r.IntN(365), 0, 0, 0, 0, time.UTC)
	reg := pickWeighted(r, regionWeights[:])
	p.Region = regionCodes[reg]
	p.PostalCode = fmt.Sprintf("%s%03d", regionCodes[reg][1:], r.IntN(1000))
	p.UUID = randomUUID(r)
	return p
}

// remember makes p a candidate for readmissions.
func (g *Generator) remember(p Patient) {
	if len(g.recent) < recentPatients {
		g.recent = append(g.recent, p)
		return
	}
	g.recent[g.next] = p
	g.next = (g.next + 1) % recentPatients
}

// ageAt returns the age in whole years at t of someone born on birth.
func ageAt(birth, t time.Time) int {
	age := t.Year() - birth.Year()
	if t.Month() < birth.Month() || (t.Month() == birth.Month() && t.Day() < birth.Day()) {
		age--
	}
	return age
}

// randomUUID returns a random version-4 UUID.
func randomUUID(r *rand.Rand) [16]byte {
	var u [16]byte
	hi, lo := r.Uint64(), r.Uint64()
	for i := range 8 {
		u[i] = byte(hi >> (56 - 8*i))
		u[8+i] = byte(lo >> (56 - 8*i))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

// pickWeighted returns an index drawn with probability proportional to weights[i].
func pickWeighted(r *rand.Rand, weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := r.Float64() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}
