package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"unicode/utf8"
)

// ValidateID checks an ID of the given kind ("dataset", "period", "MSP ID", ...): 1 to
// MaxIDLength bytes, an ASCII letter or digit first, then ASCII letters, digits, '.', '_'
// or '-'. IDs appear in keys, events and error messages, so they are kept plain. It
// returns an INVALID *Error.
func ValidateID(kind, id string) error {
	return validateToken(kind, id, MaxIDLength)
}

func validateToken(kind, s string, max int) error {
	if s == "" {
		return invalid("%s must not be empty", kind)
	}
	if len(s) > max {
		return invalid("%s is %d bytes long; the limit is %d", kind, len(s), max)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
		if alnum || (i > 0 && (c == '.' || c == '_' || c == '-')) {
			continue
		}
		return invalid("%s must start with a letter or digit and hold only letters, digits, '.', '_' and '-'", kind)
	}
	return nil
}

// ValidateDigest checks that d is a SHA-256 digest written as 64 lowercase hexadecimal
// digits. It returns an INVALID *Error naming what.
func ValidateDigest(what, d string) error {
	if len(d) != 2*sha256.Size {
		return invalid("%s must be a SHA-256 digest of 64 lowercase hex digits, not %d characters", what, len(d))
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if !(('0' <= c && c <= '9') || ('a' <= c && c <= 'f')) {
			return invalid("%s must be a SHA-256 digest of 64 lowercase hex digits", what)
		}
	}
	return nil
}

// Digest returns the SHA-256 digest of data as 64 lowercase hex digits.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// ValidateURI checks a blob URI: at most MaxURILength bytes, printable ASCII, an absolute
// URI with a scheme (such as "file:///srv/blobs/ab12..." or "s3://bucket/ab12...").
func ValidateURI(what, uri string) error {
	if uri == "" {
		return invalid("%s must not be empty", what)
	}
	if len(uri) > MaxURILength {
		return invalid("%s is %d bytes long; the limit is %d", what, len(uri), MaxURILength)
	}
	for i := 0; i < len(uri); i++ {
		if uri[i] <= ' ' || uri[i] >= 0x7f {
			return invalid("%s must be printable ASCII without spaces", what)
		}
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" {
		return invalid("%s must be an absolute URI with a scheme", what)
	}
	return nil
}

// validateText checks free text such as a reason or a title: valid UTF-8 without control
// characters other than newline and tab, at most max bytes. Empty text is allowed unless
// required is set.
func validateText(what, s string, max int, required bool) error {
	if s == "" {
		if required {
			return invalid("%s must not be empty", what)
		}
		return nil
	}
	if len(s) > max {
		return invalid("%s is %d bytes long; the limit is %d", what, len(s), max)
	}
	if !utf8.ValidString(s) {
		return invalid("%s must be valid UTF-8", what)
	}
	for _, r := range s {
		if r < ' ' && r != '\n' && r != '\t' || r == 0x7f {
			return invalid("%s must not hold control characters", what)
		}
	}
	return nil
}

// QueryID returns the ID of the query that the organisation mspID requests with the
// idempotency key key: "q-" and 20 hex digits of SHA-256 over both. The same key from the
// same organisation always names the same query, so a resent request finds it.
func QueryID(mspID, key string) string {
	return "q-" + Digest([]byte("statledger/query\x00" + mspID + "\x00" + key))[:20]
}

// SubmissionID returns the ID of the submission recorded by the transaction txID:
// "s-" and 20 hex digits of SHA-256 over the transaction ID.
func SubmissionID(txID string) string {
	return "s-" + Digest([]byte("statledger/submission\x00" + txID))[:20]
}

// sortedUnique returns a sorted copy of ss and whether ss held no duplicates.
func sortedUnique(ss []string) ([]string, bool) {
	out := append([]string(nil), ss...)
	sort.Strings(out)
	for i := 1; i < len(out); i++ {
		if out[i] == out[i-1] {
			return out, false
		}
	}
	return out, true
}

// contains reports whether ss holds s.
func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// insertSorted returns a copy of the sorted slice ss with s inserted in order.
func insertSorted(ss []string, s string) []string {
	i := sort.SearchStrings(ss, s)
	out := make([]string, 0, len(ss)+1)
	out = append(out, ss[:i]...)
	out = append(out, s)
	return append(out, ss[i:]...)
}
