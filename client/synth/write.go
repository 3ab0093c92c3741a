package synth

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"

	"github.com/statledger/statledger/client/records"
)

// Writer writes admissions in one of the formats of package records. Writers buffer their
// output; Close must be called at the end. A Writer is not safe for concurrent use.
type Writer interface {
	// Write writes one admission. Errors are those of the underlying io.Writer.
	Write(a *Admission) error
	// Close finishes the output (a Bundle's closing brackets) and flushes it; it does not
	// close the underlying io.Writer.
	Close() error
}

// CSVHeader is the header row of the CSV output: the healthcare schema's dimensions and
// measures, in schema order.
const CSVHeader = "region,ageBand,sex,diagnosisGroup,lengthOfStay,age,costEUR"

// NewWriter returns a Writer of format f to w: CSV with CSVHeader's columns (records.ReadCSV
// reads it with the healthcare schema), or a FHIR R4 Bundle or NDJSON of Patient,
// Encounter, Condition and Claim resources (records.ReadFHIRBundle and ReadFHIRNDJSON read
// it with records.DefaultFHIRMapping). The Bundle references resources by urn:uuid
// fullUrls, NDJSON by "Type/id". Sizes per admission are about 30 bytes of CSV, 1 KB of
// NDJSON and 1.4 KB of Bundle: beyond some 750,000 admissions a Bundle passes
// records.DefaultMaxBundleBytes, so use NDJSON (or CSV) for large outputs. provider prefixes the FHIR ids (see Config.Provider). It returns an error for an
// unknown format.
func NewWriter(w io.Writer, f records.Format, provider string) (Writer, error) {
	if err := (Config{Provider: provider}).Validate(); err != nil {
		return nil, err
	}
	if provider == "" {
		provider = DefaultProvider
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	switch f {
	case records.FormatCSV:
		return &csvWriter{w: bw}, nil
	case records.FormatFHIRBundle:
		return &fhirWriter{w: bw, provider: provider, bundle: true}, nil
	case records.FormatFHIRNDJSON:
		return &fhirWriter{w: bw, provider: provider}, nil
	}
	return nil, fmt.Errorf("synth: unknown output format %q", string(f))
}

// Generate writes cfg.Records admissions drawn from a Generator seeded with cfg.Seed to w in
// format f. It returns an error wrapping ErrConfig for an invalid configuration, an error
// for an unknown format, or the error of w. It is safe for concurrent use on different
// writers.
func Generate(w io.Writer, f records.Format, cfg Config) error {
	g, err := NewGenerator(cfg)
	if err != nil {
		return err
	}
	wr, err := NewWriter(w, f, cfg.Provider)
	if err != nil {
		return err
	}
	for range cfg.Records {
		a := g.Next()
		if err := wr.Write(&a); err != nil {
			return fmt.Errorf("synth: write admission %d: %w", a.Number, err)
		}
	}
	if err := wr.Close(); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}

// csvWriter writes CSV rows.
type csvWriter struct {
	w       *bufio.Writer
	started bool
	buf     []byte
}

func (c *csvWriter) Write(a *Admission) error {
	b := c.buf[:0]
	if !c.started {
		c.started = true
		b = append(b, CSVHeader+"\n"...)
	}
	b = append(b, a.Patient.Region...)
	b = append(b, ',')
	b = append(b, a.AgeBand()...)
	b = append(b, ',')
	b = append(b, a.Patient.Sex...)
	b = append(b, ',')
	b = append(b, a.DiagnosisGroup...)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(a.LengthOfStay), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(a.Age), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, a.CostEUR(), 10)
	b = append(b, '\n')
	c.buf = b
	_, err := c.w.Write(b)
	return err
}

func (c *csvWriter) Close() error {
	if !c.started {
		c.started = true
		if _, err := c.w.WriteString(CSVHeader + "\n"); err != nil {
			return err
		}
	}
	return c.w.Flush()
}

// fhirWriter writes the resources of each admission as Bundle entries or NDJSON lines. Both
// formats share the resources; they differ in how an entry is framed and in how one
// resource refers to another.
type fhirWriter struct {
	w        *bufio.Writer
	provider string
	bundle   bool
	entries  int
	buf      []byte
}

// The resource types the writer writes, with the letters of their ids and the byte that
// tells their fullUrls apart.
type resourceType struct {
	name, idLetter string
	tag            byte
}

var (
	typePatient   = resourceType{"Patient", "p", 0}
	typeEncounter = resourceType{"Encounter", "e", 1}
	typeCondition = resourceType{"Condition", "c", 2}
	typeClaim     = resourceType{"Claim", "cl", 3}
)

// The formats of the dates and times the writer writes.
const (
	fhirDate     = "2006-01-02"
	fhirDateTime = "2006-01-02T15:04:05Z"
)

func (f *fhirWriter) Write(a *Admission) error {
	b := f.buf[:0]
	if f.bundle && f.entries == 0 {
		b = fmt.Appendf(b, `{"resourceType":"Bundle","id":"%s-synth","type":"collection","entry":[`, f.provider)
	}
	p := &a.Patient
	if a.FirstAdmission {
		b = f.begin(b, typePatient, p.Number, p.UUID)
		gender := "male"
		if p.Sex == "F" {
			gender = "female"
		}
		b = append(b, `,"gender":"`...)
		b = append(b, gender...)
		b = append(b, `","birthDate":"`...)
		b = p.BirthDate.AppendFormat(b, fhirDate)
		b = append(b, `","address":[{"use":"home","postalCode":"`...)
		b = append(b, p.PostalCode...)
		b = append(b, `","state":"`...)
		b = append(b, p.Region...)
		b = append(b, `"}]}`...)
		b = f.end(b)
	}

	b = f.begin(b, typeEncounter, a.Number, a.UUID)
	b = append(b, `,"status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"}`...)
	b = append(b, ',')
	b = f.reference(b, "subject", typePatient, p.Number, p.UUID)
	b = append(b, `,"period":{"start":"`...)
	b = a.Admitted.AppendFormat(b, fhirDateTime)
	b = append(b, `","end":"`...)
	b = a.Discharged.AppendFormat(b, fhirDateTime)
	b = append(b, `"},"diagnosis":[{`...)
	b = f.reference(b, "condition", typeCondition, a.Number, a.UUID)
	b = append(b, `,"rank":1}]}`...)
	b = f.end(b)

	b = f.begin(b, typeCondition, a.Number, a.UUID)
	b = append(b, `,"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"`...)
	b = append(b, a.ICD10...)
	b = append(b, `"}]},`...)
	b = f.reference(b, "subject", typePatient, p.Number, p.UUID)
	b = append(b, ',')
	b = f.reference(b, "encounter", typeEncounter, a.Number, a.UUID)
	b = append(b, '}')
	b = f.end(b)

	b = f.begin(b, typeClaim, a.Number, a.UUID)
	b = append(b, `,"status":"active","use":"claim",`...)
	b = f.reference(b, "patient", typePatient, p.Number, p.UUID)
	b = append(b, `,"created":"`...)
	b = a.Discharged.AppendFormat(b, fhirDate)
	b = append(b, `","total":{"value":`...)
	b = appendCents(b, a.CostCents)
	b = append(b, `,"currency":"EUR"},"item":[{"sequence":1,"encounter":[{"reference":"`...)
	b = f.appendRef(b, typeEncounter, a.Number, a.UUID)
	b = append(b, `"}]}]}`...)
	b = f.end(b)

	f.buf = b
	_, err := f.w.Write(b)
	return err
}

func (f *fhirWriter) Close() error {
	if f.bundle {
		if f.entries == 0 {
			if _, err := fmt.Fprintf(f.w, `{"resourceType":"Bundle","id":"%s-synth","type":"collection","entry":[`, f.provider); err != nil {
				return err
			}
		}
		if _, err := f.w.WriteString("\n]}\n"); err != nil {
			return err
		}
	}
	return f.w.Flush()
}

// begin opens a resource (and, in a Bundle, its entry) up to its id.
func (f *fhirWriter) begin(b []byte, t resourceType, n int, uuid [16]byte) []byte {
	if f.bundle {
		if f.entries > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n"+`{"fullUrl":"`...)
		b = appendUUID(b, uuid, t.tag)
		b = append(b, `","resource":`...)
	}
	f.entries++
	b = append(b, `{"resourceType":"`...)
	b = append(b, t.name...)
	b = append(b, `","id":"`...)
	b = f.appendID(b, t, n)
	return append(b, '"')
}

// end closes a Bundle entry or an NDJSON line; the resource itself is already closed.
func (f *fhirWriter) end(b []byte) []byte {
	if f.bundle {
		return append(b, '}')
	}
	return append(b, '\n')
}

// reference appends `"name":{"reference":"…"}`.
func (f *fhirWriter) reference(b []byte, name string, t resourceType, n int, uuid [16]byte) []byte {
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `":{"reference":"`...)
	b = f.appendRef(b, t, n, uuid)
	return append(b, `"}`...)
}

// appendRef appends the reference to a resource: its fullUrl in a Bundle, Type/id in NDJSON.
func (f *fhirWriter) appendRef(b []byte, t resourceType, n int, uuid [16]byte) []byte {
	if f.bundle {
		return appendUUID(b, uuid, t.tag)
	}
	b = append(b, t.name...)
	b = append(b, '/')
	return f.appendID(b, t, n)
}

func (f *fhirWriter) appendID(b []byte, t resourceType, n int) []byte {
	b = append(b, f.provider...)
	b = append(b, '-')
	b = append(b, t.idLetter...)
	return strconv.AppendInt(b, int64(n), 10)
}

// appendUUID appends "urn:uuid:" and the UUID, its last byte xor tag so that the resources
// of one admission have distinct fullUrls.
func appendUUID(b []byte, u [16]byte, tag byte) []byte {
	u[15] ^= tag
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	b = append(b, "urn:uuid:"...)
	return append(b, s[:]...)
}

// appendCents appends an amount of cents as a decimal number of euros, such as 1234.05.
func appendCents(b []byte, cents int64) []byte {
	if cents < 0 {
		b = append(b, '-')
		cents = -cents
	}
	b = strconv.AppendInt(b, cents/100, 10)
	return append(b, '.', byte('0'+cents%100/10), byte('0'+cents%10))
}
