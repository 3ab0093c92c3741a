package ledger_test

import (
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
)

func TestTheTableNamesEachTransactionOnceAndAuditorsWriteNothing(t *testing.T) {
	seen := map[string]bool{}
	for _, tx := range ledger.Transactions {
		require.False(t, seen[tx.Name], "%s is listed twice", tx.Name)
		seen[tx.Name] = true
		require.NotEmpty(t, tx.Roles, tx.Name)
		got, ok := ledger.LookupTransaction(tx.Name)
		require.True(t, ok)
		require.Equal(t, tx.Name, got.Name)
		if !tx.Evaluate {
			require.NotContains(t, tx.Roles, ledger.RoleAuditor, "%s writes; the auditor writes nothing", tx.Name)
		}
	}
	_, ok := ledger.LookupTransaction("DropTables")
	require.False(t, ok)
	require.Contains(t, ledger.EvaluateTransactions(), "GetConsortium")
	require.NotContains(t, ledger.EvaluateTransactions(), "ApproveQuery")
}

func TestAuthorize(t *testing.T) {
	tests := []struct {
		tx    string
		roles []ledger.Role
		want  string
	}{
		{"RequestQuery", []ledger.Role{ledger.RoleAnalyst}, ""},
		{"RequestQuery", []ledger.Role{ledger.RoleMember, ledger.RoleAnalyst}, ""},
		{"RequestQuery", []ledger.Role{ledger.RoleAuditor}, "FORBIDDEN: RequestQuery needs the analyst role; the caller from X has auditor"},
		{"RequestQuery", nil, "FORBIDDEN: RequestQuery needs the analyst role; the caller from X has no role in the consortium"},
		{"GetQueryHistory", []ledger.Role{ledger.RoleWorker, ledger.RoleProvider}, "FORBIDDEN: GetQueryHistory needs the auditor or member roles; the caller from X has worker, provider"},
		{"GetQueryHistory", []ledger.Role{ledger.RoleAuditor}, ""},
		{"PostDecryptionShare", []ledger.Role{ledger.RoleKeyHolder}, ""},
		{"PostDecryptionShare", []ledger.Role{ledger.RoleMember}, "FORBIDDEN: PostDecryptionShare needs the keyholder role; the caller from X has member"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s by %v", tt.tx, tt.roles), func(t *testing.T) {
			tx, ok := ledger.LookupTransaction(tt.tx)
			require.True(t, ok)
			err := tx.Authorize("X", tt.roles)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tt.want)
			require.ErrorIs(t, err, ledger.ErrForbidden)
		})
	}
}

func TestCheckArgs(t *testing.T) {
	tests := []struct {
		tx   string
		args []string
		want string
	}{
		{"ApproveQuery", []string{"q-1", "fine"}, ""},
		{"ApproveQuery", []string{"q-1", ""}, ""},
		{"ApproveQuery", []string{"q-1"}, "INVALID: ApproveQuery takes 2 arguments (queryID, reason), not 1"},
		{"ApproveQuery", []string{"q/1", "x"}, "INVALID: ApproveQuery: queryID must start with a letter or digit"},
		{"ApproveQuery", []string{"q-1", "a\x00b"}, "INVALID: ApproveQuery: reason must not hold control characters"},
		{"ApproveQuery", []string{"q-1", strings.Repeat("r", ledger.MaxReasonLength+1)}, "INVALID: ApproveQuery: reason is 1025 bytes long"},
		{"RequestQuery", []string{strings.Repeat(" ", ledger.MaxQueryJSON+1)}, "INVALID: RequestQuery: argument request is 65537 bytes long; the limit is 65536"},
		{"RequestQuery", []string{"not json is the decoder's business"}, ""},
		{"ClaimJob", []string{"q-1", "86400"}, ""},
		{"ClaimJob", []string{"q-1", "86401"}, "INVALID: ClaimJob: argument leaseSeconds must be a whole number from 1 to 86400"},
		{"ClaimJob", []string{"q-1", "0x10"}, "INVALID: ClaimJob: argument leaseSeconds must be a whole number from 1 to 86400"},
		{"ListSubmissions", []string{"ds", "", ""}, ""},
		{"ListSubmissions", []string{"ds", "2025", "00ab"}, ""},
		{"ListSubmissions", []string{"ds", "20 25", ""}, "INVALID: ListSubmissions: period must start with a letter or digit"},
		{"ListSubmissions", []string{"ds", "", "abc"}, "INVALID: ListSubmissions: bookmark must be at most 1024 hex digits"},
		{"ListSubmissions", []string{"ds", "", "AB"}, "INVALID: ListSubmissions: bookmark must be lowercase hex digits"},
		{"GetConsortium", nil, ""},
		{"GetConsortium", []string{""}, "INVALID: GetConsortium takes 0 arguments (), not 1"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s%q", tt.tx, tt.args), func(t *testing.T) {
			tx, ok := ledger.LookupTransaction(tt.tx)
			require.True(t, ok)
			err := tx.CheckArgs(tt.args)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ledger.ErrInvalid)
			require.True(t, strings.HasPrefix(err.Error(), tt.want), "%q does not start with %q", err, tt.want)
		})
	}
}

func TestErrorsKeepTheirCodeAcrossTheWire(t *testing.T) {
	cause := errors.New("disk full")
	tests := []struct {
		name string
		err  error
		code ledger.Code
		msg  string
	}{
		{"a plain code", ledger.Errorf(ledger.CodeConflict, "query %s is already released", "q-1"), ledger.CodeConflict, "CONFLICT: query q-1 is already released"},
		{"context keeps the code first", ledger.Prefix("PostResult", ledger.Errorf(ledger.CodeForbidden, "not the holder")), ledger.CodeForbidden, "FORBIDDEN: PostResult: not the holder"},
		{"a foreign error becomes internal", ledger.Prefix("write query", cause), ledger.CodeInternal, "INTERNAL: write query: disk full"},
		{"a wrapped cause", ledger.Errorf(ledger.CodeInternal, "read: %w", cause), ledger.CodeInternal, "INTERNAL: read: disk full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.EqualError(t, tt.err, tt.msg)
			require.Equal(t, tt.code, ledger.CodeOf(tt.err))
			wire := "rpc error: code = Aborted desc = failed to endorse transaction, see attached details: chaincode response 500, " + tt.err.Error()
			parsed, ok := ledger.ParseError(wire)
			require.True(t, ok)
			require.Equal(t, tt.code, parsed.Code)
			require.ErrorIs(t, parsed, &ledger.Error{Code: tt.code})
			require.Equal(t, tt.code, ledger.CodeOf(errors.New(wire)))
		})
	}
	require.ErrorIs(t, ledger.Prefix("x", cause), cause)
	require.Nil(t, ledger.Prefix("x", nil))
	require.Empty(t, ledger.CodeOf(nil))
	require.Empty(t, ledger.CodeOf(errors.New("NOT_FOUNDATION: no code here")))
	_, ok := ledger.ParseError("peer unavailable")
	require.False(t, ok)
	exact, ok := ledger.ParseError("BAD_STATE")
	require.True(t, ok)
	require.Equal(t, ledger.CodeBadState, exact.Code)
	require.NotErrorIs(t, ledger.Errorf(ledger.CodeConflict, "a"), ledger.ErrNotFound)
}

func TestValidators(t *testing.T) {
	ids := map[string]bool{
		"q-1": true, "HospitalAMSP": true, "2025.Q1_x": true, strings.Repeat("a", ledger.MaxIDLength): true,
		"": false, "-x": false, ".x": false, "a b": false, "a/b": false, "é": false, "a\x00": false, strings.Repeat("a", ledger.MaxIDLength+1): false,
	}
	for id, ok := range ids {
		require.Equal(t, ok, ledger.ValidateID("id", id) == nil, "%q", id)
	}
	digests := map[string]bool{digest("x"): true, strings.ToUpper(digest("x")): false, digest("x")[:63]: false, "": false}
	for d, ok := range digests {
		require.Equal(t, ok, ledger.ValidateDigest("d", d) == nil, "%q", d)
	}
	uris := map[string]bool{"file:///srv/blobs/ab": true, "s3://bucket/ab": true, "relative/path": false, "file:///a b": false, "": false, "s3://b/\x7f": false}
	for u, ok := range uris {
		require.Equal(t, ok, ledger.ValidateURI("u", u) == nil, "%q", u)
	}
	require.Regexp(t, "^q-[0-9a-f]{20}$", ledger.QueryID(stat, "k"))
	require.Regexp(t, "^s-[0-9a-f]{20}$", ledger.SubmissionID("tx"))
	require.NotEqual(t, ledger.SubmissionID("tx1"), ledger.SubmissionID("tx2"))
	require.Equal(t, "\x00query\x00q-1\x00", ledger.QueryKey("q-1"))
	require.Equal(t, "\x00live\x00ds\x002025\x00", ledger.LiveKey("ds", "2025"))
	require.Equal(t, "query.approved", ledger.EventName(ledger.RecordQuery, ledger.StatusApproved))
}

// TestTheDomainImportsOnlyTheStandardLibraryAndPolicies keeps package ledger free of
// Fabric, Lattigo and the client, so that everything imports it and it imports nothing.
func TestTheDomainImportsOnlyTheStandardLibraryAndPolicies(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range f.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			require.NoError(t, err)
			std := !strings.Contains(strings.SplitN(path, "/", 2)[0], ".")
			require.True(t, std || path == "github.com/statledger/statledger/policies", "%s imports %s", file, path)
		}
	}
}
