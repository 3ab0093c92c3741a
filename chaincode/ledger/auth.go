package ledger

import (
	"strconv"
	"strings"
)

// Caller describes who called a transaction: the organisation's MSP ID, the client
// identity (the certificate's subject and issuer, as cid.GetID gives them) and the roles
// the caller has, after the certificate's statledger.role attribute, if any, narrowed
// its organisation's roles.
type Caller struct {
	MSPID string `json:"mspID"`
	ID    string `json:"id"`
	Roles []Role `json:"roles"`
}

// ArgKind is the shape of a transaction argument.
type ArgKind int

// The argument shapes.
const (
	// ArgJSON is a JSON document of at most Arg.Max bytes, decoded by a Decode function.
	ArgJSON ArgKind = iota
	// ArgID is an ID checked by ValidateID.
	ArgID
	// ArgOptionalID is an ID checked by ValidateID, or empty.
	ArgOptionalID
	// ArgText is free text of at most Arg.Max bytes (a reason).
	ArgText
	// ArgInt is a decimal integer from 1 to Arg.Max.
	ArgInt
	// ArgBookmark is a List bookmark: empty or at most MaxBookmarkLength hex digits.
	ArgBookmark
)

// Arg describes one argument of a transaction.
type Arg struct {
	Name string
	Kind ArgKind
	Max  int
}

// Transaction describes one transaction of the contract: who may call it, its arguments
// and whether it only reads (an evaluate transaction).
type Transaction struct {
	Name     string
	Roles    []Role
	Args     []Arg
	Evaluate bool
}

// Role sets of the authorization table.
var (
	readers  = []Role{RoleMember, RoleProvider, RoleAnalyst, RoleWorker, RoleAuditor, RoleKeyHolder}
	auditors = []Role{RoleAuditor, RoleMember}
)

func jsonArg(name string, max int) Arg { return Arg{Name: name, Kind: ArgJSON, Max: max} }
func idArg(name string) Arg            { return Arg{Name: name, Kind: ArgID} }
func reasonArg() Arg                   { return Arg{Name: "reason", Kind: ArgText, Max: MaxReasonLength} }
func leaseArg() Arg                    { return Arg{Name: "leaseSeconds", Kind: ArgInt, Max: MaxLeaseSeconds} }
func bookmarkArg() Arg                 { return Arg{Name: "bookmark", Kind: ArgBookmark} }

// Transactions is the authorization table: every transaction of the contract, the roles
// that may call it (any one suffices) and its arguments. The chaincode checks every call
// against it before anything else, and refuses transactions it does not list.
// InitConsortium is special: before a consortium exists, the caller must be a member of
// the consortium it defines (checked by InitConsortium); after, it is refused.
// Rules that depend on records (only the requester may release, only the lease holder may
// post a result, only a query's decryptors may post a share) are checked by the
// transitions.
var Transactions = []Transaction{
	{Name: "InitConsortium", Roles: []Role{RoleMember}, Args: []Arg{jsonArg("consortium", MaxConsortiumJSON)}},
	{Name: "ProposeConsortiumChange", Roles: []Role{RoleMember}, Args: []Arg{jsonArg("change", MaxConsortiumChangeJSON)}},
	{Name: "ApproveConsortiumChange", Roles: []Role{RoleMember}, Args: []Arg{idArg("changeID"), reasonArg()}},
	{Name: "RecordCollectiveKey", Roles: []Role{RoleKeyHolder}, Args: []Arg{jsonArg("key", MaxCollectiveKeyJSON)}},
	{Name: "RegisterDataset", Roles: []Role{RoleAnalyst}, Args: []Arg{jsonArg("dataset", MaxDatasetJSON)}},
	{Name: "ApproveDataset", Roles: []Role{RoleMember}, Args: []Arg{idArg("datasetID"), reasonArg()}},
	{Name: "SubmitData", Roles: []Role{RoleProvider}, Args: []Arg{jsonArg("submission", MaxSubmissionJSON)}},
	{Name: "RequestQuery", Roles: []Role{RoleAnalyst}, Args: []Arg{jsonArg("request", MaxQueryJSON)}},
	{Name: "ApproveQuery", Roles: []Role{RoleMember}, Args: []Arg{idArg("queryID"), reasonArg()}},
	{Name: "RejectQuery", Roles: []Role{RoleMember}, Args: []Arg{idArg("queryID"), reasonArg()}},
	{Name: "CancelQuery", Roles: []Role{RoleAnalyst}, Args: []Arg{idArg("queryID"), reasonArg()}},
	{Name: "ClaimJob", Roles: []Role{RoleWorker}, Args: []Arg{idArg("queryID"), leaseArg()}},
	{Name: "RenewLease", Roles: []Role{RoleWorker}, Args: []Arg{idArg("queryID"), leaseArg()}},
	{Name: "PostResult", Roles: []Role{RoleWorker}, Args: []Arg{jsonArg("result", MaxResultJSON)}},
	{Name: "PostDecryptionShare", Roles: []Role{RoleKeyHolder}, Args: []Arg{jsonArg("share", MaxShareJSON)}},
	{Name: "RecordRelease", Roles: []Role{RoleAnalyst}, Args: []Arg{jsonArg("release", MaxReleaseJSON)}},

	{Name: "GetCaller", Roles: readers, Evaluate: true},
	{Name: "GetConsortium", Roles: readers, Evaluate: true},
	{Name: "GetConsortiumChange", Roles: readers, Args: []Arg{idArg("changeID")}, Evaluate: true},
	{Name: "ListConsortiumChanges", Roles: readers, Args: []Arg{bookmarkArg()}, Evaluate: true},
	{Name: "GetCollectiveKey", Roles: readers, Args: []Arg{idArg("keyID")}, Evaluate: true},
	{Name: "ListCollectiveKeys", Roles: readers, Args: []Arg{bookmarkArg()}, Evaluate: true},
	{Name: "GetDataset", Roles: readers, Args: []Arg{idArg("datasetID")}, Evaluate: true},
	{Name: "ListDatasets", Roles: readers, Args: []Arg{bookmarkArg()}, Evaluate: true},
	{Name: "GetBudget", Roles: readers, Args: []Arg{idArg("datasetID")}, Evaluate: true},
	{Name: "GetSubmission", Roles: readers, Args: []Arg{idArg("submissionID")}, Evaluate: true},
	{Name: "ListSubmissions", Roles: readers, Args: []Arg{idArg("datasetID"), {Name: "period", Kind: ArgOptionalID}, bookmarkArg()}, Evaluate: true},
	{Name: "ListLiveSubmissions", Roles: readers, Args: []Arg{idArg("datasetID"), {Name: "period", Kind: ArgOptionalID}, bookmarkArg()}, Evaluate: true},
	{Name: "GetQuery", Roles: readers, Args: []Arg{idArg("queryID")}, Evaluate: true},
	{Name: "ListQueries", Roles: readers, Args: []Arg{idArg("datasetID"), bookmarkArg()}, Evaluate: true},
	{Name: "ListApprovals", Roles: readers, Args: []Arg{idArg("queryID")}, Evaluate: true},
	{Name: "GetJob", Roles: readers, Args: []Arg{idArg("queryID")}, Evaluate: true},
	{Name: "GetResult", Roles: readers, Args: []Arg{idArg("queryID"), idArg("workerMSPID")}, Evaluate: true},
	{Name: "ListResults", Roles: readers, Args: []Arg{idArg("queryID")}, Evaluate: true},
	{Name: "GetDecryptionShare", Roles: readers, Args: []Arg{idArg("queryID"), idArg("keyHolderMSPID")}, Evaluate: true},
	{Name: "ListDecryptionShares", Roles: readers, Args: []Arg{idArg("queryID")}, Evaluate: true},
	{Name: "GetRelease", Roles: readers, Args: []Arg{idArg("queryID")}, Evaluate: true},
	{Name: "ListReleases", Roles: readers, Args: []Arg{bookmarkArg()}, Evaluate: true},
	{Name: "GetQueryHistory", Roles: auditors, Args: []Arg{idArg("queryID")}, Evaluate: true},
	{Name: "GetDatasetHistory", Roles: auditors, Args: []Arg{idArg("datasetID")}, Evaluate: true},
}

// LookupTransaction returns the table entry of the transaction name.
func LookupTransaction(name string) (Transaction, bool) {
	for _, t := range Transactions {
		if t.Name == name {
			return t, true
		}
	}
	return Transaction{}, false
}

// EvaluateTransactions returns the names of the read-only transactions, in table order.
func EvaluateTransactions() []string {
	var out []string
	for _, t := range Transactions {
		if t.Evaluate {
			out = append(out, t.Name)
		}
	}
	return out
}

// Authorize returns nil when a caller with roles may call t, and otherwise a FORBIDDEN
// *Error such as "RequestQuery needs the analyst role; RegulatorMSP has auditor".
func (t Transaction) Authorize(mspID string, roles []Role) error {
	for _, r := range roles {
		for _, allowed := range t.Roles {
			if r == allowed {
				return nil
			}
		}
	}
	has := "no role in the consortium"
	if len(roles) > 0 {
		names := make([]string, len(roles))
		for i, r := range roles {
			names[i] = string(r)
		}
		has = strings.Join(names, ", ")
	}
	want := make([]string, len(t.Roles))
	for i, r := range t.Roles {
		want[i] = string(r)
	}
	noun := "role"
	if len(want) > 1 {
		noun = "roles"
	}
	return forbidden("%s needs the %s %s; the caller from %s has %s", t.Name, strings.Join(want, " or "), noun, mspID, has)
}

// CheckArgs checks the raw arguments of a call of t: their number, and each one's size
// and shape. JSON arguments are only size-checked here; their decoders check the rest.
// It returns an INVALID *Error.
func (t Transaction) CheckArgs(args []string) error {
	if len(args) != len(t.Args) {
		names := make([]string, len(t.Args))
		for i, a := range t.Args {
			names[i] = a.Name
		}
		return invalid("%s takes %d arguments (%s), not %d", t.Name, len(t.Args), strings.Join(names, ", "), len(args))
	}
	for i, a := range t.Args {
		v := args[i]
		switch a.Kind {
		case ArgJSON:
			if len(v) > a.Max {
				return invalid("%s: argument %s is %d bytes long; the limit is %d", t.Name, a.Name, len(v), a.Max)
			}
		case ArgID:
			if err := ValidateID(a.Name, v); err != nil {
				return Prefix(t.Name, err)
			}
		case ArgOptionalID:
			if v != "" {
				if err := ValidateID(a.Name, v); err != nil {
					return Prefix(t.Name, err)
				}
			}
		case ArgText:
			if err := validateText(a.Name, v, a.Max, false); err != nil {
				return Prefix(t.Name, err)
			}
		case ArgInt:
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > a.Max {
				return invalid("%s: argument %s must be a whole number from 1 to %d", t.Name, a.Name, a.Max)
			}
		case ArgBookmark:
			if err := validateBookmark(v); err != nil {
				return Prefix(t.Name, err)
			}
		}
	}
	return nil
}

func validateBookmark(b string) error {
	if len(b) > MaxBookmarkLength || len(b)%2 != 0 {
		return invalid("bookmark must be at most %d hex digits, as a List transaction returned it", MaxBookmarkLength)
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(('0' <= c && c <= '9') || ('a' <= c && c <= 'f')) {
			return invalid("bookmark must be lowercase hex digits, as a List transaction returned it")
		}
	}
	return nil
}
