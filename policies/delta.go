package policies

import (
	"fmt"
	"strings"
)

// MaxDelta is the largest delta a policy with noise may set, written as a decimal.
const MaxDelta = "1e-3"

// maxDeltaExponent bounds the exponent of a delta, so that absurd inputs are refused early.
const maxDeltaExponent = 1000

// checkDelta parses a positive decimal such as "1e-9", "0.000001" or "5E-7" exactly,
// without floating point, and checks that it lies in (0, 1e-3].
func checkDelta(s string) error {
	if s == "" {
		return fmt.Errorf("must be set when noise is on (a decimal in (0, %s], such as 1e-9)", MaxDelta)
	}
	if len(s) > 32 {
		return fmt.Errorf("must be a decimal of at most 32 characters, such as 1e-9")
	}
	digits, exp, ok := parseDecimal(s)
	if !ok {
		return fmt.Errorf("%q is not a decimal number such as 1e-9", s)
	}
	if digits == "" {
		return fmt.Errorf("must be greater than 0")
	}
	// The value is digits × 10^exp with len(digits) significant digits; its order of
	// magnitude is len(digits)-1+exp.
	switch mag := len(digits) - 1 + exp; {
	case mag < -3:
		return nil
	case mag > -3:
		return fmt.Errorf("must be at most %s", MaxDelta)
	default:
		// In [1e-3, 1e-2): allowed only if exactly 1e-3.
		if strings.Trim(digits[1:], "0") != "" || digits[0] != '1' {
			return fmt.Errorf("must be at most %s", MaxDelta)
		}
		return nil
	}
}

// parseDecimal parses an unsigned decimal with optional fraction and exponent (such as
// "0.001", "1e-9", "2.5E-7") into its significant digits, without leading zeros, and a
// power of ten: the value is digits × 10^exp. digits is empty for zero.
func parseDecimal(s string) (digits string, exp int, ok bool) {
	mant, expPart, hasExp := strings.Cut(strings.ToLower(s), "e")
	whole, frac, hasDot := strings.Cut(mant, ".")
	if whole == "" || hasDot && frac == "" {
		return "", 0, false
	}
	if !allDigits(whole) || !allDigits(frac) {
		return "", 0, false
	}
	if hasExp {
		e, ok := parseSmallInt(expPart)
		if !ok {
			return "", 0, false
		}
		exp = e
	}
	digits = strings.TrimLeft(whole+frac, "0")
	exp -= len(frac)
	return digits, exp, true
}

// parseSmallInt parses an optionally signed integer of magnitude at most maxDeltaExponent.
func parseSmallInt(s string) (int, bool) {
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" || len(s) > 4 || !allDigits(s) {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		v = v*10 + int(s[i]-'0')
	}
	if v > maxDeltaExponent {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
