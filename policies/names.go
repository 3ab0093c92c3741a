package policies

import "fmt"

// checkName checks a dimension or measure name: 1 to MaxNameLength bytes, an ASCII letter
// first, then ASCII letters, digits, '_' or '-'.
func checkName(name string) error {
	if name == "" {
		return fmt.Errorf("must not be empty")
	}
	if len(name) > MaxNameLength {
		return fmt.Errorf("must be at most %d bytes long", MaxNameLength)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case isLetter(c):
		case i > 0 && (isDigit(c) || c == '_' || c == '-'):
		default:
			return fmt.Errorf("%q must start with a letter and hold only letters, digits, '_' and '-'", name)
		}
	}
	return nil
}

// checkCode checks a dimension code: 1 to MaxNameLength bytes of ASCII letters, digits and
// the punctuation '_', '-', '.', '+', ':', '/', which covers codes such as "75+",
// "A00-B99" or "HS:01-05" and keeps codes safe in CSV and SDMX output.
func checkCode(code string) error {
	if code == "" {
		return fmt.Errorf("must not be empty")
	}
	if len(code) > MaxNameLength {
		return fmt.Errorf("must be at most %d bytes long", MaxNameLength)
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		if isLetter(c) || isDigit(c) {
			continue
		}
		switch c {
		case '_', '-', '.', '+', ':', '/':
		default:
			return fmt.Errorf("%q must hold only letters, digits and the characters _ - . + : /", code)
		}
	}
	return nil
}

func isLetter(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
