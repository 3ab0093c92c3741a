package ledger

import (
	"errors"
	"fmt"
	"strings"
)

// Code is the stable code at the start of every error message of the chaincode.
type Code string

// The error codes. Clients branch on them; the rest of a message is for people.
const (
	// CodeNotFound: a record the transaction needs does not exist.
	CodeNotFound Code = "NOT_FOUND"
	// CodeForbidden: the caller's organisation or role may not do this.
	CodeForbidden Code = "FORBIDDEN"
	// CodeInvalid: an argument is malformed, too large or breaks a rule of the policy.
	CodeInvalid Code = "INVALID"
	// CodeConflict: the record already exists or the action was already done.
	CodeConflict Code = "CONFLICT"
	// CodeBudgetExceeded: the dataset's remaining privacy budget is too small.
	CodeBudgetExceeded Code = "BUDGET_EXCEEDED"
	// CodeBadState: the record is not in a state that allows the action (yet).
	CodeBadState Code = "BAD_STATE"
	// CodeInternal: the world state could not be read or written, or holds a record
	// that does not decode; a fault of the peer or the chaincode, not of the caller.
	CodeInternal Code = "INTERNAL"
)

// Codes lists every error code, in a fixed order.
var Codes = []Code{CodeNotFound, CodeForbidden, CodeInvalid, CodeConflict, CodeBudgetExceeded, CodeBadState, CodeInternal}

// Sentinel errors, one per code. Every *Error matches the sentinel of its code with
// errors.Is, in the chaincode and, after ParseError, in the client.
var (
	ErrNotFound       = &Error{Code: CodeNotFound}
	ErrForbidden      = &Error{Code: CodeForbidden}
	ErrInvalid        = &Error{Code: CodeInvalid}
	ErrConflict       = &Error{Code: CodeConflict}
	ErrBudgetExceeded = &Error{Code: CodeBudgetExceeded}
	ErrBadState       = &Error{Code: CodeBadState}
	ErrInternal       = &Error{Code: CodeInternal}
)

// Error is an error with a stable code and a message a person understands, such as
// "BAD_STATE: query q-17 needs 1 more approval from a member other than StatOfficeMSP".
// Messages name records by ID and organisations by MSP ID; they never carry record
// values, keys or ciphertexts.
type Error struct {
	// Code is the stable code.
	Code Code
	// Msg is the sentence after the code.
	Msg string
	// Err is the underlying cause, if any; it is not part of the message unless Msg
	// says so.
	Err error
}

// Errorf returns an *Error with code c and a formatted message. A %w verb in format wraps
// its argument as the cause, as with fmt.Errorf.
func Errorf(c Code, format string, args ...any) *Error {
	wrapped := fmt.Errorf(format, args...)
	return &Error{Code: c, Msg: wrapped.Error(), Err: errors.Unwrap(wrapped)}
}

// Error returns "CODE: message", or just "CODE" for a sentinel.
func (e *Error) Error() string {
	if e.Msg == "" {
		return string(e.Code)
	}
	return string(e.Code) + ": " + e.Msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code and either no message (a
// sentinel) or the same message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Code == e.Code && (t.Msg == "" || t.Msg == e.Msg)
}

// CodeOf returns the code of err: the code of the first *Error in its chain, or, when
// there is none, the first code found in its message (see ParseError). It returns ""
// for nil and for errors that carry no code.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if p, ok := ParseError(err.Error()); ok {
		return p.Code
	}
	return ""
}

// ParseError finds a chaincode error in msg, a message as a client sees it (for example
// wrapped by the gateway as "... chaincode response 500, CONFLICT: query q-1 ..."), and
// returns it as an *Error, so that errors.Is(err, ErrConflict) holds for it. The code is
// the earliest "CODE: " (or a message that is exactly "CODE") in msg; the message is the
// rest of msg after it. ok is false when msg holds no code.
func ParseError(msg string) (e *Error, ok bool) {
	best, bestCode := -1, Code("")
	for _, c := range Codes {
		i := indexCode(msg, c)
		if i >= 0 && (best < 0 || i < best) {
			best, bestCode = i, c
		}
	}
	if best < 0 {
		return nil, false
	}
	rest := msg[best+len(bestCode):]
	rest = strings.TrimPrefix(rest, ":")
	return &Error{Code: bestCode, Msg: strings.TrimSpace(rest)}, true
}

// indexCode returns the index of code c in msg where it stands as a word followed by ':'
// or the end of msg, or -1.
func indexCode(msg string, c Code) int {
	from := 0
	for {
		i := strings.Index(msg[from:], string(c))
		if i < 0 {
			return -1
		}
		i += from
		end := i + len(c)
		startOK := i == 0 || !isWordByte(msg[i-1])
		endOK := end == len(msg) || msg[end] == ':'
		if startOK && endOK {
			return i
		}
		from = end
	}
}

func isWordByte(b byte) bool {
	return b == '_' || ('A' <= b && b <= 'Z') || ('a' <= b && b <= 'z') || ('0' <= b && b <= '9')
}

// Convenience constructors, one per code.

func notFound(format string, args ...any) *Error  { return Errorf(CodeNotFound, format, args...) }
func forbidden(format string, args ...any) *Error { return Errorf(CodeForbidden, format, args...) }
func invalid(format string, args ...any) *Error   { return Errorf(CodeInvalid, format, args...) }
func conflict(format string, args ...any) *Error  { return Errorf(CodeConflict, format, args...) }
func badState(format string, args ...any) *Error  { return Errorf(CodeBadState, format, args...) }
func overBudget(format string, args ...any) *Error {
	return Errorf(CodeBudgetExceeded, format, args...)
}

// Prefix returns err with context put in front of its message, keeping the code at the
// start: an *Error becomes "CODE: context: message" and wraps err; any other error becomes
// an INTERNAL *Error "INTERNAL: context: err" wrapping it. It returns nil for nil.
func Prefix(context string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) && e.Error() == err.Error() {
		return &Error{Code: e.Code, Msg: context + ": " + e.Msg, Err: err}
	}
	return &Error{Code: CodeInternal, Msg: context + ": " + err.Error(), Err: err}
}
