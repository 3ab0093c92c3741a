package records

import (
	"fmt"
	"slices"
	"sort"

	"github.com/statledger/statledger/policies"
)

// FHIRElement names the FHIR R4 element that a dimension or measure is read from. Each
// record is one Encounter (an admission); Patient elements come from the Patient that
// Encounter.subject refers to, Condition elements from the Encounter's principal diagnosis,
// and Claim elements from the Claims whose items refer to the Encounter.
type FHIRElement string

// The elements the FHIR readers understand. Each says what it yields for a dimension and
// for a measure; using it for the other kind is a mapping error.
const (
	// ElementAddressState is Patient.address.state of the patient's home address (the
	// first address whose use is "home", else the first address). Dimension: the state,
	// translated by FHIRSource.Codes.
	ElementAddressState FHIRElement = "Patient.address.state"
	// ElementAddressPostalCode is Patient.address.postalCode of the patient's home
	// address. Dimension: the postal code, translated by FHIRSource.Codes (usually with
	// FHIRSource.PrefixMatch).
	ElementAddressPostalCode FHIRElement = "Patient.address.postalCode"
	// ElementGender is Patient.gender. Dimension: the administrative gender ("female",
	// "male", "other", "unknown"), translated by FHIRSource.Codes.
	ElementGender FHIRElement = "Patient.gender"
	// ElementBirthDate is Patient.birthDate, taken relative to Encounter.period.start.
	// Dimension: the age band (codes such as "15-29" or "75+", see ParseAgeBands) of the
	// age at admission. Measure: the age at admission in whole years.
	ElementBirthDate FHIRElement = "Patient.birthDate"
	// ElementConditionCode is Condition.code of the Encounter's principal diagnosis: the
	// Condition that Encounter.diagnosis ranks first (the lowest rank; without ranks, the
	// first listed), or else the first Condition whose Condition.encounter refers to the
	// Encounter. The code is the first coding whose system is one of
	// FHIRMapping.ICD10Systems. Dimension: the ICD-10 group (codes such as "I00-I99", see
	// ParseICD10Groups).
	ElementConditionCode FHIRElement = "Condition.code"
	// ElementPeriod is Encounter.period. Measure: the length of stay in whole days, the
	// date of period.end minus the date of period.start (0 for a same-day stay).
	ElementPeriod FHIRElement = "Encounter.period"
	// ElementExtension is the Encounter extension whose url is FHIRSource.URL. Measure:
	// its valueMoney.value, valueDecimal or valueInteger, rounded to a whole number.
	ElementExtension FHIRElement = "Encounter.extension"
	// ElementClaimTotal is Claim.total. Measure: the sum of total.value over the Claims
	// that refer to the Encounter through Claim.item.encounter, each rounded to a whole
	// number. A Claim must refer to exactly one Encounter.
	ElementClaimTotal FHIRElement = "Claim.total"
)

// ICD10System is the canonical code system of the WHO's ICD-10.
const ICD10System = "http://hl7.org/fhir/sid/icd-10"

// FHIRSource says where one dimension or measure of a schema comes from.
type FHIRSource struct {
	// Element is the FHIR element read.
	Element FHIRElement `json:"element" yaml:"element"`
	// Codes translates the values of ElementAddressState, ElementAddressPostalCode and
	// ElementGender into codes of the dimension, such as "female" to "F". Without Codes,
	// the value must be a code of the dimension itself; with Codes, a value that Codes
	// does not list is an unknown code.
	Codes map[string]string `json:"codes,omitempty" yaml:"codes,omitempty"`
	// PrefixMatch makes the keys of Codes prefixes of the value: the longest key that
	// starts the value wins. It suits postal codes, such as "75" for every postal code of
	// Paris.
	PrefixMatch bool `json:"prefixMatch,omitempty" yaml:"prefixMatch,omitempty"`
	// URL is the extension url of ElementExtension.
	URL string `json:"url,omitempty" yaml:"url,omitempty"`
	// Currency, if set, is the only currency a Money value (Claim.total or an
	// extension's valueMoney) may carry; a Money value without a currency is accepted.
	Currency string `json:"currency,omitempty" yaml:"currency,omitempty"`
}

// FHIRMapping says how the FHIR readers fill a schema's dimensions and measures. Every
// dimension and measure of the schema must have a source; sources for names the schema does
// not have are ignored, so one mapping can serve several schemas.
type FHIRMapping struct {
	// Sources maps a dimension or measure name to its source.
	Sources map[string]FHIRSource `json:"sources" yaml:"sources"`
	// ICD10Systems are the code systems of Condition.code whose codes are ICD-10 codes
	// (national variants such as ICD-10-GM or ICD-10-CM included).
	ICD10Systems []string `json:"icd10Systems" yaml:"icd10Systems"`
}

// DefaultFHIRMapping returns the mapping for the shipped healthcare schema
// (policies/healthcare/schema.yaml): region from Patient.address.state (which must hold the
// region code itself), ageBand and age from Patient.birthDate at Encounter.period.start, sex
// from Patient.gender ("female" is F, "male" is M), diagnosisGroup from the principal
// diagnosis's ICD-10 chapter, lengthOfStay from Encounter.period, and costEUR from the
// Claims' total in euros. Each call returns a new mapping, which the caller may change.
func DefaultFHIRMapping() FHIRMapping {
	return FHIRMapping{
		Sources: map[string]FHIRSource{
			"region":         {Element: ElementAddressState},
			"ageBand":        {Element: ElementBirthDate},
			"sex":            {Element: ElementGender, Codes: map[string]string{"female": "F", "male": "M"}},
			"diagnosisGroup": {Element: ElementConditionCode},
			"lengthOfStay":   {Element: ElementPeriod},
			"age":            {Element: ElementBirthDate},
			"costEUR":        {Element: ElementClaimTotal, Currency: "EUR"},
		},
		ICD10Systems: []string{
			ICD10System,
			"http://hl7.org/fhir/sid/icd-10-cm",
			"http://fhir.de/CodeSystem/bfarm/icd-10-gm",
		},
	}
}

// fhirPlan is a mapping checked against a schema and compiled for reading.
type fhirPlan struct {
	dims  []dimPlan // one per schema dimension, in schema order
	meas  []measPlan
	icd10 []string // ICD-10 code systems

	patientDims int // dimensions read from the Patient alone (address, gender)
	extensions  int // measures read from Encounter extensions

	needPatient, needBirth, needAddress, needGender bool
	needStart, needEnd, needCondition, needClaim    bool
	claimCurrency                                   string
}

// dimPlan says how one dimension is filled.
type dimPlan struct {
	elem   FHIRElement
	slot   int            // patient-dimension slot of an address or gender element
	codes  map[string]int // FHIR value (or prefix) to code index; nil: the value is the code
	lookup codeLookup     // the dimension's codes, when codes is nil
	prefix []string       // keys of codes, longest first, with PrefixMatch
	bands  AgeBands       // for ElementBirthDate
	groups ICD10Groups    // for ElementConditionCode
}

// measPlan says how one measure is filled.
type measPlan struct {
	elem     FHIRElement
	slot     int // extension slot of ElementExtension
	url      string
	currency string
}

// compile checks m against s and returns the reading plan. Errors wrap ErrUnmapped.
func (m FHIRMapping) compile(s policies.Schema) (*fhirPlan, error) {
	p := &fhirPlan{icd10: slices.Clone(m.ICD10Systems)}
	bad := func(name, format string, args ...any) error {
		return fmt.Errorf("FHIR mapping of %q: %w: %s", name, ErrUnmapped, fmt.Sprintf(format, args...))
	}
	for _, d := range s.Dimensions {
		src, ok := m.Sources[d.Name]
		if !ok {
			return nil, bad(d.Name, "the mapping has no source for this dimension")
		}
		dp := dimPlan{elem: src.Element, slot: -1}
		if src.URL != "" || src.Currency != "" {
			return nil, bad(d.Name, "url and currency apply to measures only")
		}
		if len(src.Codes) > 0 || src.PrefixMatch {
			switch src.Element {
			case ElementAddressState, ElementAddressPostalCode, ElementGender:
			default:
				return nil, bad(d.Name, "%s takes no codes", src.Element)
			}
		}
		switch src.Element {
		case ElementAddressState, ElementAddressPostalCode, ElementGender:
			p.needPatient = true
			p.needAddress = p.needAddress || src.Element != ElementGender
			p.needGender = p.needGender || src.Element == ElementGender
			dp.slot = p.patientDims
			p.patientDims++
			if src.Codes == nil {
				if src.PrefixMatch {
					return nil, bad(d.Name, "prefixMatch needs codes")
				}
				dp.lookup = newCodeLookup(d.Codes)
				break
			}
			dp.codes = make(map[string]int, len(src.Codes))
			for from, to := range src.Codes {
				i := d.CodeIndex(to)
				if i < 0 {
					return nil, bad(d.Name, "%q is not a code of the dimension", to)
				}
				dp.codes[from] = i
				if src.PrefixMatch {
					if from == "" {
						return nil, bad(d.Name, "an empty prefix")
					}
					dp.prefix = append(dp.prefix, from)
				}
			}
			// Longest prefix first; ties in a fixed order.
			sort.Slice(dp.prefix, func(i, j int) bool {
				a, b := dp.prefix[i], dp.prefix[j]
				return len(a) > len(b) || (len(a) == len(b) && a < b)
			})
		case ElementBirthDate:
			bands, err := ParseAgeBands(d.Codes)
			if err != nil {
				return nil, bad(d.Name, "%v", err)
			}
			dp.bands = bands
			p.needPatient, p.needBirth, p.needStart = true, true, true
		case ElementConditionCode:
			groups, err := ParseICD10Groups(d.Codes)
			if err != nil {
				return nil, bad(d.Name, "%v", err)
			}
			if len(p.icd10) == 0 {
				return nil, bad(d.Name, "the mapping lists no ICD-10 code system")
			}
			dp.groups = groups
			p.needCondition = true
		case "":
			return nil, bad(d.Name, "no element")
		default:
			return nil, bad(d.Name, "%s cannot fill a dimension", src.Element)
		}
		p.dims = append(p.dims, dp)
	}
	for _, ms := range s.Measures {
		src, ok := m.Sources[ms.Name]
		if !ok {
			return nil, bad(ms.Name, "the mapping has no source for this measure")
		}
		if len(src.Codes) > 0 || src.PrefixMatch {
			return nil, bad(ms.Name, "codes and prefixMatch apply to dimensions only")
		}
		if src.URL != "" && src.Element != ElementExtension {
			return nil, bad(ms.Name, "url applies to %s only", ElementExtension)
		}
		if src.Currency != "" && src.Element != ElementExtension && src.Element != ElementClaimTotal {
			return nil, bad(ms.Name, "currency applies to money elements only")
		}
		mp := measPlan{elem: src.Element, slot: -1, url: src.URL, currency: src.Currency}
		switch src.Element {
		case ElementBirthDate:
			p.needPatient, p.needBirth, p.needStart = true, true, true
		case ElementPeriod:
			p.needStart, p.needEnd = true, true
		case ElementExtension:
			if src.URL == "" {
				return nil, bad(ms.Name, "%s needs a url", src.Element)
			}
			mp.slot = p.extensions
			p.extensions++
		case ElementClaimTotal:
			if p.needClaim && p.claimCurrency != src.Currency {
				return nil, bad(ms.Name, "two Claim.total measures with different currencies")
			}
			p.needClaim, p.claimCurrency = true, src.Currency
		case "":
			return nil, bad(ms.Name, "no element")
		default:
			return nil, bad(ms.Name, "%s cannot fill a measure", src.Element)
		}
		p.meas = append(p.meas, mp)
	}
	return p, nil
}

// code returns the code index of a Patient value for dimension plan dp.
func (dp *dimPlan) code(value string) (int, bool) {
	switch {
	case dp.prefix != nil:
		for _, k := range dp.prefix {
			if len(value) >= len(k) && value[:len(k)] == k {
				return dp.codes[k], true
			}
		}
		return 0, false
	case dp.codes != nil:
		i, ok := dp.codes[value]
		return i, ok
	}
	return dp.lookup.index([]byte(value))
}

// isICD10 reports whether system is one of the plan's ICD-10 code systems.
func (p *fhirPlan) isICD10(system string) bool {
	return slices.Contains(p.icd10, system)
}
