package records

import (
	"fmt"
	"strconv"
	"strings"
)

// AgeBands maps ages in whole years to the codes of an age-band dimension.
// It is immutable and safe for concurrent use.
type AgeBands struct {
	lo, hi []int // inclusive bounds of band i; hi is -1 for an open band such as "75+"
}

// ParseAgeBands reads age-band codes of the forms "15-29" (both ends included), "75+"
// and "0" (a single year). Bands must not overlap; gaps are allowed. It returns an error
// naming the first code that is not an age band.
func ParseAgeBands(codes []string) (AgeBands, error) {
	var a AgeBands
	for _, c := range codes {
		lo, hi, ok := parseBand(c)
		if !ok {
			return AgeBands{}, fmt.Errorf("age band %q: want a range such as 15-29, 75+ or 0", c)
		}
		for i := range a.lo {
			if overlaps(lo, hi, a.lo[i], a.hi[i]) {
				return AgeBands{}, fmt.Errorf("age band %q overlaps %q", c, codes[i])
			}
		}
		a.lo = append(a.lo, lo)
		a.hi = append(a.hi, hi)
	}
	return a, nil
}

func parseBand(c string) (lo, hi int, ok bool) {
	atoi := func(s string) (int, bool) {
		if s == "" || len(s) > 3 {
			return 0, false
		}
		n, err := strconv.Atoi(s)
		return n, err == nil && n >= 0 && s[0] != '+' && s[0] != '-'
	}
	if s, open := strings.CutSuffix(c, "+"); open {
		lo, ok = atoi(s)
		return lo, -1, ok
	}
	if a, b, rng := strings.Cut(c, "-"); rng {
		lo, ok1 := atoi(a)
		hi, ok2 := atoi(b)
		return lo, hi, ok1 && ok2 && lo <= hi
	}
	lo, ok = atoi(c)
	return lo, lo, ok
}

func overlaps(lo1, hi1, lo2, hi2 int) bool {
	if hi1 < 0 {
		hi1 = 1 << 30
	}
	if hi2 < 0 {
		hi2 = 1 << 30
	}
	return lo1 <= hi2 && lo2 <= hi1
}

// Index returns the index of the band that holds age, or false if none does.
func (a AgeBands) Index(age int) (int, bool) {
	for i, lo := range a.lo {
		if age >= lo && (a.hi[i] < 0 || age <= a.hi[i]) {
			return i, true
		}
	}
	return 0, false
}

// ICD10Groups maps ICD-10 codes to the codes of a diagnosis-group dimension.
// It is immutable and safe for concurrent use.
type ICD10Groups struct {
	lo, hi []int // inclusive category ranges, as letter*100 + two digits
	idx    []int // dimension code index of each range
	other  int   // code index of the catch-all group, or -1
}

// ParseICD10Groups reads diagnosis-group codes of the forms "I00-I99" or "S00-T98" (ranges
// of three-character ICD-10 categories, both ends included) and "I21" (one category), plus
// at most one catch-all code "OTHER" (any case) or "_O", which receives every category
// outside the ranges. Ranges must not overlap. It returns an error naming the first code
// of another form.
func ParseICD10Groups(codes []string) (ICD10Groups, error) {
	g := ICD10Groups{other: -1}
	for i, c := range codes {
		if strings.EqualFold(c, "OTHER") || c == "_O" {
			if g.other >= 0 {
				return ICD10Groups{}, fmt.Errorf("diagnosis group %q: a second catch-all group after %q", c, codes[g.other])
			}
			g.other = i
			continue
		}
		a, b, rng := strings.Cut(c, "-")
		if !rng {
			b = a
		}
		lo, ok1 := icdCategory(a)
		hi, ok2 := icdCategory(b)
		if !ok1 || !ok2 || len(a) != 3 || len(b) != 3 || lo > hi {
			return ICD10Groups{}, fmt.Errorf("diagnosis group %q: want an ICD-10 range such as I00-I99, a category such as I21, or OTHER", c)
		}
		for k := range g.lo {
			if lo <= g.hi[k] && g.lo[k] <= hi {
				return ICD10Groups{}, fmt.Errorf("diagnosis group %q overlaps %q", c, codes[g.idx[k]])
			}
		}
		g.lo = append(g.lo, lo)
		g.hi = append(g.hi, hi)
		g.idx = append(g.idx, i)
	}
	return g, nil
}

// icdCategory returns the three-character category of an ICD-10 code such as "I21.9",
// "I219" or "i21", as letter*100 + two digits.
func icdCategory(code string) (int, bool) {
	if len(code) < 3 {
		return 0, false
	}
	l := code[0]
	if 'a' <= l && l <= 'z' {
		l -= 'a' - 'A'
	}
	if l < 'A' || l > 'Z' || code[1] < '0' || code[1] > '9' || code[2] < '0' || code[2] > '9' {
		return 0, false
	}
	if len(code) > 3 && code[3] != '.' && (code[3] < '0' || code[3] > '9') && (code[3] < 'A' || code[3] > 'Z') {
		return 0, false
	}
	return int(l-'A')*100 + int(code[1]-'0')*10 + int(code[2]-'0'), true
}

// Index returns the index of the group of the ICD-10 code (such as "I21.9"), or false if
// code is not an ICD-10 code or falls in no group and there is no catch-all group.
func (g ICD10Groups) Index(code string) (int, bool) {
	c, ok := icdCategory(code)
	if !ok {
		return 0, false
	}
	return g.indexCategory(c)
}

// indexCategory returns the index of the group of an ICD-10 category as icdCategory gives it.
func (g ICD10Groups) indexCategory(c int) (int, bool) {
	for k, lo := range g.lo {
		if c >= lo && c <= g.hi[k] {
			return g.idx[k], true
		}
	}
	if g.other >= 0 {
		return g.other, true
	}
	return 0, false
}

// parseDate reads the date at the start of a FHIR date or dateTime ("2024-03-01" or
// "2024-03-01T10:00:00+01:00") and returns it as days since 1970-01-01, with the year.
// Partial dates ("2024", "2024-03") are refused.
func parseDate(s string) (days int, year, month, day int, ok bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' || (len(s) > 10 && s[10] != 'T') {
		return 0, 0, 0, 0, false
	}
	num := func(b string) (int, bool) {
		n := 0
		for i := 0; i < len(b); i++ {
			if b[i] < '0' || b[i] > '9' {
				return 0, false
			}
			n = n*10 + int(b[i]-'0')
		}
		return n, true
	}
	y, ok1 := num(s[:4])
	m, ok2 := num(s[5:7])
	d, ok3 := num(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, 0, 0, 0, false
	}
	return daysFromCivil(y, m, d), y, m, d, true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian date
// (H. Hinnant's algorithm).
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// ageAt returns the age in whole years on date (y, m, d) of someone born on (by, bm, bd).
func ageAt(by, bm, bd, y, m, d int) int {
	age := y - by
	if m < bm || (m == bm && d < bd) {
		age--
	}
	return age
}

// parseMoney reads a JSON decimal number such as 4523.5 or 12e3 and rounds it to a whole
// number, half away from zero. It refuses values beyond ±1e15, and NaN.
func parseMoney(s string) (int64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f <= 1e15 && f >= -1e15) { // NaN too
		return 0, false
	}
	if f < 0 {
		return -int64(-f + 0.5), true
	}
	return int64(f + 0.5), true
}
