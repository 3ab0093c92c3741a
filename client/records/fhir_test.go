package records

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/statledger/statledger/policies"
	"github.com/stretchr/testify/require"
)

// fixtureRecords are the records of testdata/admissions.json and admissions.ndjson.
var fixtureRecords = []record{
	{Codes: []string{"R03", "60-74", "F", "I00-I99"}, Values: []int64{4, 74, 1501}},
	{Codes: []string{"R10", "0-14", "M", "S00-T98"}, Values: []int64{0, 14, 9000}},
	{Codes: []string{"R03", "75+", "F", "OTHER"}, Values: []int64{39, 75, 0}},
}

func TestReadFHIRJoinsEncountersWithTheirPatientsConditionsAndClaims(t *testing.T) {
	s := healthcareSchema(t)
	for _, tc := range []struct {
		file string
		read func(r *bytes.Reader, s policies.Schema, fn Handler, opts ...Option) (int, error)
	}{
		{"testdata/admissions.json", func(r *bytes.Reader, s policies.Schema, fn Handler, opts ...Option) (int, error) {
			return ReadFHIRBundle(r, s, fn, opts...)
		}},
		{"testdata/admissions.ndjson", func(r *bytes.Reader, s policies.Schema, fn Handler, opts ...Option) (int, error) {
			return ReadFHIRNDJSON(r, s, fn, opts...)
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(tc.file)
			require.NoError(t, err)
			var got []record
			n, err := tc.read(bytes.NewReader(data), s, collect(s, &got))
			require.NoError(t, err)
			require.Equal(t, 3, n)
			require.Equal(t, fixtureRecords, got)
		})
	}
}

// Resources of one valid admission, with relative references.
const (
	resPatient   = `{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1950-03-02","address":[{"state":"R03"}]}`
	resEncounter = `{"resourceType":"Encounter","id":"e1","subject":{"reference":"Patient/p1"},"period":{"start":"2025-03-01","end":"2025-03-05"}}`
	resCondition = `{"resourceType":"Condition","id":"c1","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"I21.9"}]},"encounter":{"reference":"Encounter/e1"}}`
	resClaim     = `{"resourceType":"Claim","id":"cl1","total":{"value":100,"currency":"EUR"},"item":[{"encounter":[{"reference":"Encounter/e1"}]}]}`
)

// admission returns the resources of the valid admission, each changed by the pairs of
// old and new strings that occur in it.
func admission(replace ...string) []string {
	res := []string{resPatient, resEncounter, resCondition, resClaim}
	for i := range res {
		for k := 0; k < len(replace); k += 2 {
			res[i] = strings.Replace(res[i], replace[k], replace[k+1], 1)
		}
	}
	return res
}

func bundleOf(resources []string) string {
	var b strings.Builder
	b.WriteString(`{"resourceType":"Bundle","type":"collection","entry":[`)
	for i, r := range resources {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"resource":%s}`, r)
	}
	b.WriteString("]}")
	return b.String()
}

func ndjsonOf(resources []string) string {
	return strings.Join(resources, "\n") + "\n"
}

// secret is a record value that no error message may quote.
const secret = "XSECRETX"

// requireParseError checks that err is a *ParseError at place (an entry or a line), for
// field, wrapping want, and that its message does not quote the secret.
func requireParseError(t *testing.T, err error, want error, entry, line int, field string) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, want)
	var pe *ParseError
	require.True(t, errors.As(err, &pe), "%T %v", err, err)
	require.Equal(t, entry, pe.Entry, err.Error())
	require.Equal(t, line, pe.Line, err.Error())
	require.Equal(t, field, pe.Field, err.Error())
	require.NotContains(t, err.Error(), secret)
}

// fhirCases are bad inputs that both FHIR readers must refuse alike: at is the index of the
// resource at fault, which is its Bundle entry and, plus one, its NDJSON line.
var fhirCases = []struct {
	name      string
	resources []string
	opts      []Option
	want      error
	at        int
	field     string
}{
	{"a gender that is no code", admission(`"female"`, `"`+secret+`"`), nil, ErrUnknownCode, 0, "Patient.gender"},
	{"a gender of the wrong JSON type", admission(`"female"`, `{"x":1}`), nil, ErrSyntax, 0, "Patient.gender"},
	{"a region that is no code", admission(`"R03"`, `"`+secret+`"`), nil, ErrUnknownCode, 0, "Patient.address.state"},
	{"a patient without an address", admission(`,"address":[{"state":"R03"}]`, ``), nil, ErrMissingField, 0, "Patient.address"},
	{"an address without a state", admission(`"state":"R03"`, `"city":"`+secret+`"`), nil, ErrMissingField, 0, "Patient.address.state"},
	{"a patient without a birth date", admission(`"birthDate":"1950-03-02",`, ``), nil, ErrMissingField, 0, "Patient.birthDate"},
	{"a birth date that is not a date", admission(`"1950-03-02"`, `"`+secret+`"`), nil, ErrSyntax, 0, "Patient.birthDate"},
	{"a birth date with the year only", admission(`"1950-03-02"`, `"1950"`), nil, ErrSyntax, 0, "Patient.birthDate"},
	{"a patient born after the admission", admission(`"1950-03-02"`, `"2025-03-02"`), nil, ErrImplausible, 1, "Patient.birthDate"},
	{"two patients with the same id", append(admission(), resPatient), nil, ErrSyntax, 4, "Patient.id"},
	{"an encounter without a subject", admission(`"subject":{"reference":"Patient/p1"},`, ``), nil, ErrMissingField, 1, "Encounter.subject.reference"},
	{"a subject without a reference", admission(`{"reference":"Patient/p1"}`, `{"display":"`+secret+`"}`), nil, ErrMissingField, 1, "Encounter.subject.reference"},
	{"a subject that is a bare id", admission(`"Patient/p1"`, `"`+secret+`"`), nil, ErrSyntax, 1, "Encounter.subject.reference"},
	{"a subject that is not in the input", admission(`"Patient/p1"`, `"Patient/p2"`), nil, ErrUnresolved, 1, "Encounter.subject"},
	{"a second encounter whose subject is not in the input", append(admission(), strings.NewReplacer(`"e1"`, `"e2"`, `Patient/p1`, `Patient/p9`).Replace(resEncounter)), nil, ErrUnresolved, 4, "Encounter.subject"},
	{"an encounter without an end", admission(`,"end":"2025-03-05"`, ``), nil, ErrMissingField, 1, "Encounter.period.end"},
	{"an encounter without a period", admission(`,"period":{"start":"2025-03-01","end":"2025-03-05"}`, ``), nil, ErrMissingField, 1, "Encounter.period.start"},
	{"an encounter that ends before it starts", admission(`"2025-03-05"`, `"2025-02-05"`), nil, ErrImplausible, 1, "Encounter.period"},
	{"a start that is not a date", admission(`"2025-03-01"`, `"2025-02-30"`), nil, ErrSyntax, 1, "Encounter.period.start"},
	{"a period of the wrong JSON type", admission(`{"start":"2025-03-01","end":"2025-03-05"}`, `["`+secret+`"]`), nil, ErrSyntax, 1, "Encounter.period"},
	{"an encounter with no diagnosis", admission(`"encounter":{"reference":"Encounter/e1"}`, `"encounter":{"reference":"Encounter/e9"}`), nil, ErrMissingField, 1, "Condition.code"},
	{"a diagnosis that is not in the input", admission(`"period"`, `"diagnosis":[{"condition":{"reference":"Condition/c9"}}],"period"`), nil, ErrUnresolved, 1, "Encounter.diagnosis.condition"},
	{"a diagnosis with a negative rank", admission(`"period"`, `"diagnosis":[{"condition":{"reference":"Condition/c1"},"rank":-1}],"period"`), nil, ErrSyntax, 1, "Encounter.diagnosis.rank"},
	{"a condition without an ICD-10 coding", admission(`http://hl7.org/fhir/sid/icd-10`, `http://snomed.info/sct`), nil, ErrMissingField, 2, "Condition.code"},
	{"a condition whose code is not ICD-10", admission(`"I21.9"`, `"`+secret+`"`), nil, ErrUnknownCode, 2, "Condition.code"},
	{"an encounter without a claim", admission(`Encounter/e1"}]}]`, `Encounter/e9"}]}]`), nil, ErrUnresolved, 3, "Claim.item.encounter"},
	{"a claim without an encounter", admission(`,"item":[{"encounter":[{"reference":"Encounter/e1"}]}]`, ``), nil, ErrMissingField, 3, "Claim.item.encounter"},
	{"a claim for two encounters", admission(`[{"reference":"Encounter/e1"}]`, `[{"reference":"Encounter/e1"},{"reference":"Encounter/e2"}]`), nil, ErrSyntax, 3, "Claim.item.encounter"},
	{"a claim without a total", admission(`"total":{"value":100,"currency":"EUR"},`, ``), nil, ErrMissingField, 3, "Claim.total"},
	{"a claim in another currency", admission(`"EUR"`, `"USD"`), nil, ErrCurrency, 3, "Claim.total"},
	{"a claim total beyond the bound", admission(`"value":100`, `"value":1e16`), nil, ErrNotInteger, 3, "Claim.total"},
	{"a claim total that is a string", admission(`"value":100`, `"value":"`+secret+`"`), nil, ErrSyntax, 3, "Claim.total"},
	{"a resource without a resourceType", admission(`"resourceType":"Claim",`, ``), nil, ErrMissingField, 3, "Resource.resourceType"},
	{"a resourceType of the wrong JSON type", admission(`"resourceType":"Claim"`, `"resourceType":7`), nil, ErrSyntax, 3, "Resource.resourceType"},
	{"a nested Bundle", append(admission(), `{"resourceType":"Bundle"}`), nil, ErrSyntax, 4, "Resource.resourceType"},
	{"more encounters than the record limit", append(admission(), strings.Replace(resEncounter, `"e1"`, `"e2"`, 1)), []Option{WithMaxRecords(1)}, ErrTooManyRecords, 4, ""},
}

func TestReadFHIRBundleRefusesBadResources(t *testing.T) {
	s := healthcareSchema(t)
	for _, tc := range fhirCases {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			_, err := ReadFHIRBundle(strings.NewReader(bundleOf(tc.resources)), s, func([]int, []int64) error { calls++; return nil }, tc.opts...)
			requireParseError(t, err, tc.want, tc.at, 0, tc.field)
			require.Zero(t, calls, "no record is passed on before the input is checked")
		})
	}
}

func TestReadFHIRNDJSONRefusesBadResources(t *testing.T) {
	s := healthcareSchema(t)
	for _, tc := range fhirCases {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			_, err := ReadFHIRNDJSON(strings.NewReader(ndjsonOf(tc.resources)), s, func([]int, []int64) error { calls++; return nil }, tc.opts...)
			requireParseError(t, err, tc.want, -1, tc.at+1, tc.field)
			require.Zero(t, calls)
		})
	}
}

func TestReadFHIRBundleRefusesMalformedBundles(t *testing.T) {
	s := healthcareSchema(t)
	valid := bundleOf(admission())
	for _, tc := range []struct {
		name  string
		input string
		opts  []Option
		want  error
		entry int
		field string
	}{
		{"an empty input", "", nil, ErrSyntax, -1, ""},
		{"a JSON array", "[]", nil, ErrSyntax, -1, ""},
		{"malformed JSON between entries", strings.Replace(valid, "},\n{", "} {", 1), nil, ErrSyntax, 1, ""},
		{"malformed JSON inside an entry", strings.Replace(valid, `"gender":`, `"gender" `+secret, 1), nil, ErrSyntax, 0, ""},
		{"a truncated Bundle", valid[:strings.Index(valid, `"Encounter"`)], nil, ErrSyntax, 1, ""},
		{"a resource that is not a Bundle", strings.Replace(valid, `"Bundle"`, `"Patient"`, 1), nil, ErrSyntax, -1, "Bundle.resourceType"},
		{"a Bundle without a resourceType", strings.Replace(valid, `"resourceType":"Bundle",`, ``, 1), nil, ErrMissingField, -1, "Bundle.resourceType"},
		{"a resourceType at the end that is not Bundle", strings.Replace(valid, `"resourceType":"Bundle",`, ``, 1)[:len(valid)-len(`"resourceType":"Bundle",`)-1] + `,"resourceType":"Parameters"}`, nil, ErrSyntax, -1, "Bundle.resourceType"},
		{"entry twice", strings.Replace(valid, `"entry":[`, `"entry":[],"entry":[`, 1), nil, ErrSyntax, -1, "Bundle.entry"},
		{"an entry that is an object", `{"resourceType":"Bundle","entry":{}}`, nil, ErrSyntax, -1, "Bundle.entry"},
		{"an entry without a resource", strings.Replace(valid, `{"resource":`+resPatient+`}`, `{"fullUrl":"urn:uuid:1"}`, 1), nil, ErrMissingField, 0, "Resource.resourceType"},
		{"an entry that is a string", strings.Replace(valid, `{"resource":`+resPatient+`}`, `"`+secret+`"`, 1), nil, ErrSyntax, 0, ""},
		{"a fullUrl that names no resource", strings.Replace(valid, `{"resource":`+resPatient, `{"fullUrl":"`+secret+`","resource":`+resPatient, 1), nil, ErrSyntax, 0, "Bundle.entry.fullUrl"},
		{"two entries with the same fullUrl", strings.Replace(strings.Replace(valid, `{"resource":`+resPatient, `{"fullUrl":"urn:uuid:1","resource":`+resPatient, 1), `{"resource":`+resCondition, `{"fullUrl":"urn:uuid:1","resource":`+resCondition, 1), nil, ErrSyntax, 2, "Condition.id"},
		{"data after the Bundle", valid + ` {}`, nil, ErrSyntax, -1, ""},
		{"an entry longer than the limit", strings.Replace(valid, `"female"`, `"female","text":"`+strings.Repeat("x", 200)+`"`, 1), []Option{WithMaxLineBytes(150)}, ErrTooLarge, 0, ""},
		{"a Bundle longer than the limit", valid, []Option{WithMaxBundleBytes(int64(len(valid) - 1))}, ErrTooLarge, -1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadFHIRBundle(strings.NewReader(tc.input), s, func([]int, []int64) error { return nil }, tc.opts...)
			requireParseError(t, err, tc.want, tc.entry, 0, tc.field)
		})
	}
}

func TestReadFHIRBundleSkipsAByteOrderMark(t *testing.T) {
	s := healthcareSchema(t)
	n, err := ReadFHIRBundle(strings.NewReader("\xef\xbb\xbf"+bundleOf(admission())), s, func([]int, []int64) error { return nil })
	require.NoError(t, err)
	require.Equal(t, 1, n)
}

func TestReadFHIRBundleTakesABundleOfExactlyTheLimit(t *testing.T) {
	s := healthcareSchema(t)
	valid := bundleOf(admission())
	n, err := ReadFHIRBundle(strings.NewReader(valid), s, func([]int, []int64) error { return nil }, WithMaxBundleBytes(int64(len(valid))))
	require.NoError(t, err)
	require.Equal(t, 1, n)
}

func TestReadFHIRNDJSONRefusesMalformedLines(t *testing.T) {
	s := healthcareSchema(t)
	lines := admission()
	for _, tc := range []struct {
		name  string
		input string
		opts  []Option
		want  error
		line  int
		field string
	}{
		{"malformed JSON", ndjsonOf(append(lines[:1:1], `{"resourceType":"Encounter",`+secret+`}`)), nil, ErrSyntax, 2, ""},
		{"a resource over two lines", ndjsonOf(append(lines[:1:1], `{"resourceType":`, `"Encounter"}`)), nil, ErrSyntax, 2, ""},
		{"a line that is an array", ndjsonOf(append(lines[:1:1], `["`+secret+`"]`)), nil, ErrSyntax, 2, ""},
		{"two resources on a line", ndjsonOf(append(lines[:1:1], resEncounter+resCondition)), nil, ErrSyntax, 2, ""},
		{"a line longer than the limit", ndjsonOf(append(lines[:1:1], `{"resourceType":"Basic","text":"`+strings.Repeat("x", 200)+`"}`)), []Option{WithMaxLineBytes(160)}, ErrLineTooLong, 2, ""},
		{"a Bundle", strings.ReplaceAll(bundleOf(lines), "\n", ""), nil, ErrSyntax, 1, "Resource.resourceType"},
		{"a pretty-printed Bundle", "{\n" + `"resourceType":"Bundle"` + "\n}\n", nil, ErrSyntax, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadFHIRNDJSON(strings.NewReader(tc.input), s, func([]int, []int64) error { return nil }, tc.opts...)
			requireParseError(t, err, tc.want, -1, tc.line, tc.field)
		})
	}
}

func TestReadFHIRPassesOnTheHandlersError(t *testing.T) {
	s := healthcareSchema(t)
	stop := errors.New("stop")
	handler := func([]int, []int64) error { return stop }
	n, err := ReadFHIRBundle(strings.NewReader(bundleOf(admission())), s, handler)
	require.ErrorIs(t, err, stop)
	require.Zero(t, n)
	require.Contains(t, err.Error(), "Bundle.entry[1]")
	n, err = ReadFHIRNDJSON(strings.NewReader(ndjsonOf(admission())), s, handler)
	require.ErrorIs(t, err, stop)
	require.Zero(t, n)
	require.Contains(t, err.Error(), "line 2")
}

func TestReadFHIRSkipsResourcesTheMappingDoesNotNeed(t *testing.T) {
	// Only sex and length of stay: Conditions and Claims are not read, however broken.
	s := policies.Schema{
		Dimensions: []policies.Dimension{{Name: "sex", Codes: []string{"F", "M"}}},
		Measures:   []policies.Measure{{Name: "lengthOfStay", Min: 0, Max: 60}},
	}
	res := admission(`"I21.9"`, `"`+secret+`"`, `"EUR"`, `"USD"`)
	var got []record
	n, err := ReadFHIRNDJSON(strings.NewReader(ndjsonOf(res)), s, collect(s, &got))
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, []record{{Codes: []string{"F"}, Values: []int64{4}}}, got)
}

func TestReadFHIRWithACustomMapping(t *testing.T) {
	s := policies.Schema{
		Dimensions: []policies.Dimension{
			{Name: "area", Codes: []string{"north", "paris", "south"}},
			{Name: "gender", Codes: []string{"female", "male", "other"}},
			{Name: "chapter", Codes: []string{"I", "J", "S00-T98", "OTHER"}},
		},
		Measures: []policies.Measure{
			{Name: "cost", Min: 0, Max: 1_000_000},
			{Name: "nurseHours", Min: 0, Max: 10_000},
		},
	}
	// "I" and "J" are not ICD-10 ranges: the mapping is refused.
	m := FHIRMapping{
		Sources: map[string]FHIRSource{
			"area":       {Element: ElementAddressPostalCode, PrefixMatch: true, Codes: map[string]string{"7": "north", "75": "paris", "1": "south"}},
			"gender":     {Element: ElementGender},
			"chapter":    {Element: ElementConditionCode},
			"cost":       {Element: ElementExtension, URL: "https://example.org/cost", Currency: "EUR"},
			"nurseHours": {Element: ElementExtension, URL: "https://example.org/nurse-hours"},
		},
		ICD10Systems: []string{ICD10System},
	}
	_, err := ReadFHIRNDJSON(strings.NewReader(""), s, nil, WithFHIRMapping(m))
	require.ErrorIs(t, err, ErrUnmapped)

	s.Dimensions[2].Codes = []string{"I00-I99", "J00-J99", "S00-T98", "OTHER"}
	res := admission(
		`"state":"R03"`, `"postalCode":"75011"`,
		`"period"`, `"extension":[{"url":"https://example.org/nurse-hours","valueInteger":17},{"url":"https://example.org/cost","valueMoney":{"value":2500.5,"currency":"EUR"}}],"period"`,
	)
	other := []string{
		strings.NewReplacer(`"p1"`, `"p2"`, `"female"`, `"other"`, `"state":"R03"`, `"postalCode":"7100"`).Replace(resPatient),
		strings.NewReplacer(`"e1"`, `"e2"`, `Patient/p1`, `Patient/p2`, `"period"`, `"extension":[{"url":"https://example.org/cost","valueDecimal":12.4},{"url":"https://example.org/nurse-hours","valueDecimal":3}],"period"`).Replace(resEncounter),
		strings.NewReplacer(`"c1"`, `"c2"`, `Encounter/e1`, `Encounter/e2`, `I21.9`, `J18.9`).Replace(resCondition),
	}
	var got []record
	n, err := ReadFHIRNDJSON(strings.NewReader(ndjsonOf(append(res, other...))), s, collect(s, &got), WithFHIRMapping(m))
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Equal(t, []record{
		{Codes: []string{"paris", "female", "I00-I99"}, Values: []int64{2501, 17}},
		{Codes: []string{"north", "other", "J00-J99"}, Values: []int64{12, 3}},
	}, got)

	for _, tc := range []struct {
		name, old, new string
		want           error
		field          string
	}{
		{"a postal code no prefix matches", `"postalCode":"75011"`, `"postalCode":"` + secret + `"`, ErrUnknownCode, "Patient.address.postalCode"},
		{"no extension with the url", `"url":"https://example.org/cost"`, `"url":"https://example.org/other"`, ErrMissingField, "Encounter.extension"},
		{"an extension in another currency", `"currency":"EUR"}}`, `"currency":"CHF"}}`, ErrCurrency, "Encounter.extension"},
		{"an extension without a value", `"valueInteger":17`, `"valueString":"` + secret + `"`, ErrMissingField, "Encounter.extension"},
		{"an extension of the wrong JSON type", `"extension":[`, `"extension":7,"x":[`, ErrSyntax, "Encounter.extension"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := strings.Replace(ndjsonOf(res), tc.old, tc.new, 1)
			_, err := ReadFHIRNDJSON(strings.NewReader(in), s, collect(s, &got), WithFHIRMapping(m))
			at := 2
			if strings.HasPrefix(tc.field, "Patient") {
				at = 1
			}
			requireParseError(t, err, tc.want, -1, at, tc.field)
		})
	}
}

func TestFHIRMappingMustFitTheSchema(t *testing.T) {
	s := healthcareSchema(t)
	for _, tc := range []struct {
		name   string
		change func(m *FHIRMapping)
	}{
		{"a dimension without a source", func(m *FHIRMapping) { delete(m.Sources, "region") }},
		{"a measure without a source", func(m *FHIRMapping) { delete(m.Sources, "costEUR") }},
		{"a source without an element", func(m *FHIRMapping) { m.Sources["region"] = FHIRSource{} }},
		{"an unknown element", func(m *FHIRMapping) { m.Sources["region"] = FHIRSource{Element: "Patient.name"} }},
		{"a measure element for a dimension", func(m *FHIRMapping) { m.Sources["region"] = FHIRSource{Element: ElementPeriod} }},
		{"a dimension element for a measure", func(m *FHIRMapping) { m.Sources["age"] = FHIRSource{Element: ElementGender} }},
		{"codes that are not codes of the dimension", func(m *FHIRMapping) {
			m.Sources["sex"] = FHIRSource{Element: ElementGender, Codes: map[string]string{"female": "W"}}
		}},
		{"codes for the birth date", func(m *FHIRMapping) {
			m.Sources["ageBand"] = FHIRSource{Element: ElementBirthDate, Codes: map[string]string{"1": "75+"}}
		}},
		{"prefix matching without codes", func(m *FHIRMapping) {
			m.Sources["region"] = FHIRSource{Element: ElementAddressPostalCode, PrefixMatch: true}
		}},
		{"an empty prefix", func(m *FHIRMapping) {
			m.Sources["region"] = FHIRSource{Element: ElementAddressPostalCode, PrefixMatch: true, Codes: map[string]string{"": "R01"}}
		}},
		{"a url for a dimension", func(m *FHIRMapping) { m.Sources["region"] = FHIRSource{Element: ElementAddressState, URL: "u"} }},
		{"codes for a measure", func(m *FHIRMapping) {
			m.Sources["age"] = FHIRSource{Element: ElementBirthDate, Codes: map[string]string{"a": "b"}}
		}},
		{"a url for another element", func(m *FHIRMapping) { m.Sources["costEUR"] = FHIRSource{Element: ElementClaimTotal, URL: "u"} }},
		{"a currency for the length of stay", func(m *FHIRMapping) { m.Sources["lengthOfStay"] = FHIRSource{Element: ElementPeriod, Currency: "EUR"} }},
		{"an extension without a url", func(m *FHIRMapping) { m.Sources["costEUR"] = FHIRSource{Element: ElementExtension} }},
		{"two claim totals in different currencies", func(m *FHIRMapping) { m.Sources["age"] = FHIRSource{Element: ElementClaimTotal, Currency: "USD"} }},
		{"no ICD-10 code system", func(m *FHIRMapping) { m.ICD10Systems = nil }},
		{"age bands that are not age bands", func(m *FHIRMapping) { m.Sources["region"] = FHIRSource{Element: ElementBirthDate} }},
		{"groups that are not ICD-10 groups", func(m *FHIRMapping) { m.Sources["ageBand"] = FHIRSource{Element: ElementConditionCode} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := DefaultFHIRMapping()
			tc.change(&m)
			_, err := ReadFHIRBundle(strings.NewReader(bundleOf(admission())), s, nil, WithFHIRMapping(m))
			require.ErrorIs(t, err, ErrUnmapped)
			_, err = ReadFHIRNDJSON(strings.NewReader(ndjsonOf(admission())), s, nil, WithFHIRMapping(m))
			require.ErrorIs(t, err, ErrUnmapped)
		})
	}
}

func TestDefaultFHIRMappingReturnsAFreshMappingEachTime(t *testing.T) {
	m := DefaultFHIRMapping()
	m.Sources["sex"].Codes["female"] = "M"
	delete(m.Sources, "region")
	require.Equal(t, "F", DefaultFHIRMapping().Sources["sex"].Codes["female"])
	require.Contains(t, DefaultFHIRMapping().Sources, "region")
}

func TestReadFHIRRefusesAnInvalidSchema(t *testing.T) {
	_, err := ReadFHIRBundle(strings.NewReader(""), policies.Schema{}, nil)
	var fe *policies.FieldError
	require.ErrorAs(t, err, &fe)
	_, err = ReadFHIRNDJSON(strings.NewReader(""), policies.Schema{}, nil)
	require.ErrorAs(t, err, &fe)
}
