package ledger_test

import (
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
)

// FuzzParseError checks the client's reading of chaincode error messages, which arrive
// from peers as free text: it never panics; what it finds is a known code followed by the
// rest of the message; and an *Error's own text parses back to the same code and message.
func FuzzParseError(f *testing.F) {
	for _, s := range []string{
		"CONFLICT: query q-1 is already approved",
		"rpc error: code = Aborted desc = failed to endorse: chaincode response 500, NOT_FOUND: dataset adm-2026",
		"BUDGET_EXCEEDED",
		"FORBIDDEN:",
		"NOTACODE: x",
		"xINVALID: glued to a word",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		e, ok := ledger.ParseError(msg)
		if !ok {
			require.Nil(t, e)
			require.Empty(t, ledger.CodeOf(stringError(msg)))
			return
		}
		require.Contains(t, ledger.Codes, e.Code)
		require.Contains(t, msg, string(e.Code))
		require.True(t, strings.HasSuffix(strings.TrimRightFunc(msg, unicode.IsSpace), e.Msg), "message %q is not the tail of %q", e.Msg, msg)
		require.Equal(t, e.Code, ledger.CodeOf(stringError(msg)))

		back, ok := ledger.ParseError(e.Error())
		require.True(t, ok)
		require.Equal(t, e.Code, back.Code)
		require.Equal(t, e.Msg, back.Msg)
	})
}

// stringError is an error that is nothing but its text, as a gateway error reaches CodeOf.
type stringError string

func (s stringError) Error() string { return string(s) }
