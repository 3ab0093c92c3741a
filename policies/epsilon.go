package policies

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// MicroPerEpsilon is the number of Epsilon units in a privacy loss of 1.
const MicroPerEpsilon = 1_000_000

// Epsilon is a privacy loss in millionths (micro-epsilon), so that budgets are exact
// integers on the ledger. In JSON and YAML it is written as a decimal number or string with
// at most six decimals, such as 0.5 or "1.25"; it marshals as a decimal string.
type Epsilon int64

// ParseEpsilon parses a decimal privacy loss such as "0.5" exactly, without floating point.
// It returns an error for negative values, more than six decimals or values too large.
func ParseEpsilon(s string) (Epsilon, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("epsilon: empty value")
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && frac == "") {
		return 0, fmt.Errorf("epsilon %q: not a decimal number", s)
	}
	if len(frac) > 6 {
		return 0, fmt.Errorf("epsilon %q: more than 6 decimals", s)
	}
	for _, part := range []string{whole, frac} {
		for _, c := range part {
			if c < '0' || c > '9' {
				return 0, fmt.Errorf("epsilon %q: not a non-negative decimal number", s)
			}
		}
	}
	if len(whole) > 9 {
		return 0, fmt.Errorf("epsilon %q: too large", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("epsilon %q: %w", s, err)
	}
	f := int64(0)
	if frac != "" {
		f, err = strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("epsilon %q: %w", s, err)
		}
	}
	return Epsilon(w*MicroPerEpsilon + f), nil
}

// String writes e as a decimal with no trailing zeros, such as "0.5".
func (e Epsilon) String() string {
	sign := ""
	v := int64(e)
	if v < 0 {
		sign, v = "-", -v
	}
	s := fmt.Sprintf("%s%d", sign, v/MicroPerEpsilon)
	if frac := v % MicroPerEpsilon; frac != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%06d", frac), "0")
	}
	return s
}

// MarshalJSON writes e as a decimal string.
func (e Epsilon) MarshalJSON() ([]byte, error) {
	return json.Marshal(e.String())
}

// UnmarshalJSON reads a decimal number or a decimal string.
func (e *Epsilon) UnmarshalJSON(data []byte) error {
	s := string(data)
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("epsilon: %w", err)
		}
	}
	v, err := ParseEpsilon(s)
	if err != nil {
		return err
	}
	*e = v
	return nil
}

// UnmarshalText reads a decimal string; YAML decoders use it for scalars.
func (e *Epsilon) UnmarshalText(text []byte) error {
	v, err := ParseEpsilon(string(text))
	if err != nil {
		return err
	}
	*e = v
	return nil
}

// MarshalText writes e as a decimal string, so that YAML encoders write "0.5" rather than
// the number of micro-epsilon.
func (e Epsilon) MarshalText() ([]byte, error) {
	return []byte(e.String()), nil
}
