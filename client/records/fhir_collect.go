package records

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// The FHIR readers turn resources into records in two passes. While reading, a collector
// keeps a compact summary of each resource the plan needs (indices, dates and amounts:
// about a hundred bytes with its reference keys, never the JSON) and checks each element at
// once, so that an error names the entry or line at fault. At the end of input, when every
// reference can be resolved whatever the order of the resources, it joins each Encounter
// with its Patient, principal Condition and Claims, checks every record, and then passes
// them to the handler in the order of the Encounters. Both readers share the collector;
// they differ only in how they find resources in the input.

// kind is the type of a resource a collector keeps.
type kind uint8

const (
	kindNone kind = iota
	kindPatient
	kindEncounter
	kindCondition
)

// target is what a reference key resolves to: a resource kind and its index in the
// collector's slice of that kind.
type target struct {
	kind kind
	idx  int32
}

// date is a calendar date with its day number (days since 1970-01-01).
type date struct {
	days int32
	y    int16
	m, d uint8
}

// parseFHIRDate reads the date of a FHIR date or dateTime.
func parseFHIRDate(s string) (date, bool) {
	days, y, m, d, ok := parseDate(s)
	if !ok || y < 1 {
		return date{}, false
	}
	return date{days: int32(days), y: int16(y), m: uint8(m), d: uint8(d)}, true
}

type patient struct {
	at    int
	birth date
}

type encounter struct {
	at         int
	patient    int32 // reference id of Encounter.subject, or -1
	start, end date
	diagnosis  int32 // reference id of the principal Condition in Encounter.diagnosis, or -1
	linked     int32 // index of the first Condition whose Condition.encounter is this, or -1
	claims     int32 // number of Claims that refer to this Encounter
	cost       int64 // sum of their totals
}

type condition struct {
	at        int
	category  int   // ICD-10 category, as icdCategory gives it
	encounter int32 // reference id of Condition.encounter, or -1
}

type claim struct {
	at        int
	encounter int32   // reference id of the Encounter
	aliases   []int32 // other reference ids in Claim.item.encounter, which must name it too
	total     int64
}

// collector gathers the resources of one input. It is not safe for concurrent use.
type collector struct {
	plan       *fhirPlan
	bundle     bool // locations are Bundle entries, not lines
	maxRecords int

	refs    map[string]int32 // reference key to reference id
	targets []target         // by reference id

	patients     []patient
	patientCodes []int32 // plan.patientDims code indices per patient
	encounters   []encounter
	extValues    []int64 // plan.extensions values per encounter
	conditions   []condition
	claims       []claim

	feed jsonFeed // decodes resources and elements
}

func newCollector(plan *fhirPlan, bundle bool, maxRecords int) *collector {
	return &collector{plan: plan, bundle: bundle, maxRecords: maxRecords, refs: make(map[string]int32)}
}

// errAt builds a *ParseError for the entry or line at.
func (c *collector) errAt(at int, field string, err error) *ParseError {
	if c.bundle {
		return &ParseError{Entry: at, Field: field, Err: err}
	}
	return lineErr(at, field, err)
}

// ref returns the reference id of a reference key, creating it if new.
func (c *collector) ref(key string) int32 {
	if id, ok := c.refs[key]; ok {
		return id
	}
	id := int32(len(c.targets))
	c.refs[key] = id
	c.targets = append(c.targets, target{})
	return id
}

// refKey normalises a FHIR reference or fullUrl so that the forms that name one resource
// meet: "urn:uuid:…" and "urn:oid:…" stay as they are; "Patient/7",
// "https://example.org/fhir/Patient/7" and "Patient/7/_history/2" all become "Patient/7".
// It returns false for a reference that names no resource this way (a bare id, a
// contained "#id" reference, an empty string).
func refKey(ref string) (string, bool) {
	if strings.HasPrefix(ref, "urn:") {
		return ref, len(ref) > 4
	}
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref = ref[:i]
	}
	slash := strings.LastIndexByte(ref, '/')
	if slash <= 0 || slash == len(ref)-1 {
		return "", false
	}
	if prev := strings.LastIndexByte(ref[:slash], '/'); prev >= 0 {
		ref = ref[prev+1:]
	}
	if ref[0] == '/' || strings.HasPrefix(ref, "#") {
		return "", false
	}
	return ref, true
}

// refID returns the reference id of the reference string of element field.
func (c *collector) refID(at int, ref, field string) (int32, error) {
	if ref == "" {
		return -1, c.errAt(at, field+".reference", ErrMissingField)
	}
	key, ok := refKey(ref)
	if !ok {
		return -1, c.errAt(at, field+".reference", errNotReference)
	}
	return c.ref(key), nil
}

// errNotReference is the cause of a reference string that names no resource.
var errNotReference = fmt.Errorf("%w: not a reference to a resource type and id, or to a urn", ErrSyntax)

// define makes the resource's keys (Type/id and the Bundle entry's fullUrl) resolve to t.
func (c *collector) define(at int, fullURL string, r *rawResource, t target) error {
	keys := [2]string{}
	if r.ID != "" {
		keys[0] = r.ResourceType + "/" + r.ID
	}
	if fullURL != "" {
		if k, ok := refKey(fullURL); ok {
			keys[1] = k
		} else {
			return c.errAt(at, "Bundle.entry.fullUrl", fmt.Errorf("%w: not a resource URL or urn", ErrSyntax))
		}
	}
	for _, k := range keys {
		if k == "" {
			continue
		}
		id := c.ref(k)
		if old := c.targets[id]; old.kind != kindNone && old != t {
			return c.errAt(at, r.ResourceType+".id", fmt.Errorf("%w: a second resource with the same id or fullUrl", ErrSyntax))
		}
		c.targets[id] = t
	}
	return nil
}

// checkCount refuses the resource if the input already holds maxRecords of its kind.
func (c *collector) checkCount(at, n int, resourceType string) error {
	if n >= c.maxRecords {
		return c.errAt(at, "", fmt.Errorf("%w: more than %d %s resources", ErrTooManyRecords, c.maxRecords, resourceType))
	}
	return nil
}

// add takes one resource of the input, found at entry or line at.
func (c *collector) add(at int, fullURL string, r *rawResource) error {
	switch r.ResourceType {
	case "":
		return c.errAt(at, "Resource.resourceType", ErrMissingField)
	case "Bundle":
		return c.errAt(at, "Resource.resourceType", fmt.Errorf("%w: a Bundle where a resource is expected", ErrSyntax))
	case "Patient":
		if c.plan.needPatient {
			return c.addPatient(at, fullURL, r)
		}
	case "Encounter":
		return c.addEncounter(at, fullURL, r)
	case "Condition":
		if c.plan.needCondition {
			return c.addCondition(at, fullURL, r)
		}
	case "Claim":
		if c.plan.needClaim {
			return c.addClaim(at, r)
		}
	}
	return nil
}

func (c *collector) addPatient(at int, fullURL string, r *rawResource) error {
	if err := c.checkCount(at, len(c.patients), "Patient"); err != nil {
		return err
	}
	p := patient{at: at}
	if c.plan.needBirth {
		if r.BirthDate == "" {
			return c.errAt(at, "Patient.birthDate", ErrMissingField)
		}
		var ok bool
		if p.birth, ok = parseFHIRDate(r.BirthDate); !ok {
			return c.errAt(at, "Patient.birthDate", fmt.Errorf("%w: not a full date", ErrSyntax))
		}
	}
	var addr fhirAddress
	if c.plan.needAddress {
		var err error
		if addr, err = c.homeAddress(at, r.Address); err != nil {
			return err
		}
	}
	for i := range c.plan.dims {
		dp := &c.plan.dims[i]
		var v string
		switch dp.elem {
		case ElementAddressState:
			v = addr.State
		case ElementAddressPostalCode:
			v = addr.PostalCode
		case ElementGender:
			v = r.Gender
		default:
			continue
		}
		if v == "" {
			return c.errAt(at, string(dp.elem), ErrMissingField)
		}
		idx, ok := dp.code(v)
		if !ok {
			return c.errAt(at, string(dp.elem), ErrUnknownCode)
		}
		c.patientCodes = append(c.patientCodes, int32(idx))
	}
	c.patients = append(c.patients, p)
	return c.define(at, fullURL, r, target{kindPatient, int32(len(c.patients) - 1)})
}

// homeAddress returns the first address whose use is home, else the first address.
func (c *collector) homeAddress(at int, raw []byte) (fhirAddress, error) {
	var addrs []fhirAddress
	if present(raw) {
		if err := c.feed.decodeElem(raw, &addrs); err != nil {
			return fhirAddress{}, c.errAt(at, "Patient.address", err)
		}
	}
	if len(addrs) == 0 {
		return fhirAddress{}, c.errAt(at, "Patient.address", ErrMissingField)
	}
	for _, a := range addrs {
		if a.Use == "home" {
			return a, nil
		}
	}
	return addrs[0], nil
}

func (c *collector) addEncounter(at int, fullURL string, r *rawResource) error {
	if err := c.checkCount(at, len(c.encounters), "Encounter"); err != nil {
		return err
	}
	plan := c.plan
	e := encounter{at: at, patient: -1, diagnosis: -1, linked: -1}
	if plan.needPatient {
		var err error
		if e.patient, err = c.refID(at, r.Subject.Reference, "Encounter.subject"); err != nil {
			return err
		}
	}
	if plan.needStart || plan.needEnd {
		p := r.Period
		var err error
		if e.start, err = c.periodDate(at, p.Start, "Encounter.period.start", plan.needStart); err != nil {
			return err
		}
		if e.end, err = c.periodDate(at, p.End, "Encounter.period.end", plan.needEnd); err != nil {
			return err
		}
		if plan.needEnd && e.end.days < e.start.days {
			return c.errAt(at, "Encounter.period", fmt.Errorf("%w: the end is before the start", ErrImplausible))
		}
	}
	if plan.needCondition {
		ds := r.Diagnosis
		best := -1
		for i, d := range ds {
			if d.Rank < 0 {
				return c.errAt(at, "Encounter.diagnosis.rank", fmt.Errorf("%w: not a positive integer", ErrSyntax))
			}
			if best < 0 || rankBefore(d.Rank, ds[best].Rank) {
				best = i
			}
		}
		if best >= 0 {
			var err error
			if e.diagnosis, err = c.refID(at, ds[best].Condition.Reference, "Encounter.diagnosis.condition"); err != nil {
				return err
			}
		}
	}
	if plan.extensions > 0 {
		if err := c.addExtensions(at, r.Extension); err != nil {
			return err
		}
	}
	c.encounters = append(c.encounters, e)
	return c.define(at, fullURL, r, target{kindEncounter, int32(len(c.encounters) - 1)})
}

// rankBefore reports whether rank a comes before rank b; 0 (no rank) comes last.
func rankBefore(a, b int) bool {
	return a != 0 && (b == 0 || a < b)
}

// periodDate reads Encounter.period.start or .end; a missing date is an error when needed.
func (c *collector) periodDate(at int, s, field string, needed bool) (date, error) {
	if !needed {
		return date{}, nil
	}
	if s == "" {
		return date{}, c.errAt(at, field, ErrMissingField)
	}
	d, ok := parseFHIRDate(s)
	if !ok {
		return date{}, c.errAt(at, field, fmt.Errorf("%w: not a full date", ErrSyntax))
	}
	return d, nil
}

// addExtensions appends the values of the plan's extension measures for one Encounter.
func (c *collector) addExtensions(at int, exts []fhirExtension) error {
	for _, mp := range c.plan.meas {
		if mp.elem != ElementExtension {
			continue
		}
		i := 0
		for i < len(exts) && exts[i].URL != mp.url {
			i++
		}
		if i == len(exts) {
			return c.errAt(at, "Encounter.extension", fmt.Errorf("%w: no extension with url %s", ErrMissingField, mp.url))
		}
		x := exts[i]
		var v int64
		var err error
		switch {
		case x.ValueMoney != nil:
			v, err = money(*x.ValueMoney, mp.currency)
		case x.ValueDecimal != "":
			v, err = amount(string(x.ValueDecimal))
		case x.ValueInteger != "":
			v, err = amount(string(x.ValueInteger))
		default:
			err = fmt.Errorf("%w: no valueMoney, valueDecimal or valueInteger", ErrMissingField)
		}
		if err != nil {
			return c.errAt(at, "Encounter.extension", err)
		}
		c.extValues = append(c.extValues, v)
	}
	return nil
}

// amount rounds a JSON number to a whole number.
func amount(n string) (int64, error) {
	v, ok := parseMoney(n)
	if !ok {
		return 0, fmt.Errorf("%w: not a number within ±1e15", ErrNotInteger)
	}
	return v, nil
}

// money rounds a Money value to a whole number, checking its currency.
func money(m fhirMoney, currency string) (int64, error) {
	if m.Value == "" {
		return 0, fmt.Errorf("%w: no value", ErrMissingField)
	}
	if currency != "" && m.Currency != "" && m.Currency != currency {
		return 0, fmt.Errorf("%w: the mapping wants %s", ErrCurrency, currency)
	}
	return amount(string(m.Value))
}

func (c *collector) addCondition(at int, fullURL string, r *rawResource) error {
	if err := c.checkCount(at, len(c.conditions), "Condition"); err != nil {
		return err
	}
	cond := condition{at: at, encounter: -1}
	var cc fhirCodeableConcept
	if present(r.Code) {
		if err := c.feed.decodeElem(r.Code, &cc); err != nil {
			return c.errAt(at, "Condition.code", err)
		}
	}
	code := ""
	for _, cd := range cc.Coding {
		if cd.Code != "" && c.plan.isICD10(cd.System) {
			code = cd.Code
			break
		}
	}
	if code == "" {
		return c.errAt(at, "Condition.code", fmt.Errorf("%w: no ICD-10 coding", ErrMissingField))
	}
	var ok bool
	if cond.category, ok = icdCategory(code); !ok {
		return c.errAt(at, "Condition.code", fmt.Errorf("%w: not an ICD-10 code", ErrUnknownCode))
	}
	if r.Encounter.Reference != "" {
		var err error
		if cond.encounter, err = c.refID(at, r.Encounter.Reference, "Condition.encounter"); err != nil {
			return err
		}
	}
	c.conditions = append(c.conditions, cond)
	return c.define(at, fullURL, r, target{kindCondition, int32(len(c.conditions) - 1)})
}

func (c *collector) addClaim(at int, r *rawResource) error {
	if err := c.checkCount(at, len(c.claims), "Claim"); err != nil {
		return err
	}
	if !present(r.Total) {
		return c.errAt(at, "Claim.total", ErrMissingField)
	}
	var m fhirMoney
	if err := c.feed.decodeElem(r.Total, &m); err != nil {
		return c.errAt(at, "Claim.total", err)
	}
	total, err := money(m, c.plan.claimCurrency)
	if err != nil {
		return c.errAt(at, "Claim.total", err)
	}
	var items []fhirClaimItem
	if present(r.Item) {
		if err := c.feed.decodeElem(r.Item, &items); err != nil {
			return c.errAt(at, "Claim.item", err)
		}
	}
	cl := claim{at: at, encounter: -1, total: total}
	for _, it := range items {
		for _, ref := range it.Encounter {
			id, err := c.refID(at, ref.Reference, "Claim.item.encounter")
			if err != nil {
				return err
			}
			switch {
			case cl.encounter < 0:
				cl.encounter = id
			case id != cl.encounter && !slices.Contains(cl.aliases, id):
				cl.aliases = append(cl.aliases, id)
			}
		}
	}
	if cl.encounter < 0 {
		return c.errAt(at, "Claim.item.encounter", ErrMissingField)
	}
	c.claims = append(c.claims, cl)
	return nil
}

// resolve returns the index of the resource of kind k that reference id points to.
func (c *collector) resolve(id int32, k kind) (int32, bool) {
	if id < 0 {
		return 0, false
	}
	t := c.targets[id]
	return t.idx, t.kind == k
}

// emit joins the resources and passes each Encounter's record to fn, in input order. It
// returns the number of records passed.
func (c *collector) emit(fn Handler) (int, error) {
	plan := c.plan
	for _, cl := range c.claims {
		ei, ok := c.resolve(cl.encounter, kindEncounter)
		if !ok {
			return 0, c.errAt(cl.at, "Claim.item.encounter", ErrUnresolved)
		}
		for _, id := range cl.aliases {
			if other, ok := c.resolve(id, kindEncounter); !ok || other != ei {
				return 0, c.errAt(cl.at, "Claim.item.encounter", fmt.Errorf("%w: the Claim refers to more than one Encounter", ErrSyntax))
			}
		}
		e := &c.encounters[ei]
		if (cl.total > 0 && e.cost > maxSum-cl.total) || (cl.total < 0 && e.cost < -maxSum-cl.total) {
			return 0, c.errAt(cl.at, "Claim.total", fmt.Errorf("%w: the Encounter's Claims add up to more than %d", ErrNotInteger, int64(maxSum)))
		}
		e.cost += cl.total
		e.claims++
	}
	for i, cd := range c.conditions {
		if ei, ok := c.resolve(cd.encounter, kindEncounter); ok && c.encounters[ei].linked < 0 {
			c.encounters[ei].linked = int32(i)
		}
	}

	// Check every record before passing any on, so that an error means no record was.
	codes := make([]int, len(plan.dims))
	values := make([]int64, len(plan.meas))
	for n := range c.encounters {
		if err := c.record(n, codes, values); err != nil {
			return 0, err
		}
	}
	for n, e := range c.encounters {
		if err := c.record(n, codes, values); err != nil {
			return n, err
		}
		if err := fn(codes, values); err != nil {
			return n, fmt.Errorf("%s: %w", c.errAt(e.at, "", nil).place(), err)
		}
	}
	return len(c.encounters), nil
}

// record fills codes and values with the record of Encounter n.
func (c *collector) record(n int, codes []int, values []int64) error {
	plan := c.plan
	e := &c.encounters[n]
	var p patient
	var pcodes []int32
	if plan.needPatient {
		pi, ok := c.resolve(e.patient, kindPatient)
		if !ok {
			return c.errAt(e.at, "Encounter.subject", ErrUnresolved)
		}
		p = c.patients[pi]
		pcodes = c.patientCodes[int(pi)*plan.patientDims : int(pi+1)*plan.patientDims]
	}
	age := 0
	if plan.needBirth {
		age = ageAt(int(p.birth.y), int(p.birth.m), int(p.birth.d), int(e.start.y), int(e.start.m), int(e.start.d))
		if age < 0 {
			return c.errAt(e.at, "Patient.birthDate", fmt.Errorf("%w: the birth date is after the start of the encounter", ErrImplausible))
		}
	}
	for i := range plan.dims {
		dp := &plan.dims[i]
		switch dp.elem {
		case ElementBirthDate:
			idx, ok := dp.bands.Index(age)
			if !ok {
				return c.errAt(e.at, "Patient.birthDate", fmt.Errorf("%w: the age at admission is in no age band", ErrUnknownCode))
			}
			codes[i] = idx
		case ElementConditionCode:
			cd, err := c.principal(e)
			if err != nil {
				return err
			}
			idx, ok := dp.groups.indexCategory(cd.category)
			if !ok {
				return c.errAt(cd.at, "Condition.code", fmt.Errorf("%w: the ICD-10 code is in no group", ErrUnknownCode))
			}
			codes[i] = idx
		default:
			codes[i] = int(pcodes[dp.slot])
		}
	}
	for j, mp := range plan.meas {
		switch mp.elem {
		case ElementBirthDate:
			values[j] = int64(age)
		case ElementPeriod:
			values[j] = int64(e.end.days - e.start.days)
		case ElementExtension:
			values[j] = c.extValues[n*plan.extensions+mp.slot]
		case ElementClaimTotal:
			if e.claims == 0 {
				return c.errAt(e.at, "Claim.total", fmt.Errorf("%w: no Claim refers to the Encounter", ErrMissingField))
			}
			values[j] = e.cost
		}
	}
	return nil
}

// maxSum bounds the sum of an Encounter's Claim totals.
const maxSum = math.MaxInt64 / 2

// principal returns the principal diagnosis of e.
func (c *collector) principal(e *encounter) (condition, error) {
	if e.diagnosis >= 0 {
		ci, ok := c.resolve(e.diagnosis, kindCondition)
		if !ok {
			return condition{}, c.errAt(e.at, "Encounter.diagnosis.condition", ErrUnresolved)
		}
		return c.conditions[ci], nil
	}
	if e.linked >= 0 {
		return c.conditions[e.linked], nil
	}
	return condition{}, c.errAt(e.at, "Condition.code", fmt.Errorf("%w: no Condition is the Encounter's diagnosis", ErrMissingField))
}
