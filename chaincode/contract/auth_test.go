package contract

import (
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/statledger/statledger/chaincode/ledger"
)

// roleIdentities returns, for every role, an identity that has exactly that role: a
// certificate whose statledger.role attribute narrows its organisation's roles.
func roleIdentities(t *testing.T) map[ledger.Role]identity {
	return map[ledger.Role]identity{
		ledger.RoleMember:    newIdentity(t, hospAMSP, "member-only", "member"),
		ledger.RoleProvider:  newIdentity(t, hospAMSP, "provider-only", "provider"),
		ledger.RoleAnalyst:   newIdentity(t, statMSP, "analyst-only", "analyst"),
		ledger.RoleWorker:    newIdentity(t, statMSP, "worker-only", "worker"),
		ledger.RoleAuditor:   newIdentity(t, regMSP, "auditor", ""),
		ledger.RoleKeyHolder: newIdentity(t, hospBMSP, "keyholder-only", "keyholder"),
	}
}

// wellFormedArgs returns arguments of the right number and shape for tx, which pass the
// gate's argument checks; the records they name do not exist.
func wellFormedArgs(tx ledger.Transaction) []string {
	args := make([]string, len(tx.Args))
	for i, a := range tx.Args {
		switch a.Kind {
		case ledger.ArgJSON:
			args[i] = "{}"
		case ledger.ArgID:
			args[i] = "no-such-record"
		case ledger.ArgText:
			args[i] = "a reason"
		case ledger.ArgInt:
			args[i] = "60"
		}
	}
	return args
}

func TestAuthorizationMatrixEveryTransactionAndRole(t *testing.T) {
	f, c := setup(t, nil)
	ids := roleIdentities(t)
	noRole := map[string]identity{
		"an organisation outside the consortium":    c.outsider,
		"a certificate naming a role its org lacks": newIdentity(t, statMSP, "not-an-auditor", "auditor"),
	}
	for _, tx := range ledger.Transactions {
		args := wellFormedArgs(tx)
		call := func(id identity) error {
			if tx.Evaluate {
				_, err := f.evaluate(id, tx.Name, args...)
				return err
			}
			_, err := f.submit(id, tx.Name, args...)
			return err
		}
		for _, role := range ledger.AllRoles {
			allowed := slices.Contains(tx.Roles, role)
			t.Run(tx.Name+" by "+string(role), func(t *testing.T) {
				err := call(ids[role])
				if !allowed {
					requireCode(t, ledger.CodeForbidden, err)
					require.Contains(t, err.Error(), tx.Name+" needs the ")
					return
				}
				require.NotEqual(t, ledger.CodeForbidden, ledger.CodeOf(err), "%v", err)
				if err != nil {
					require.Contains(t, []ledger.Code{ledger.CodeNotFound, ledger.CodeInvalid, ledger.CodeConflict}, ledger.CodeOf(err), "%v", err)
				}
			})
		}
		for name, id := range noRole {
			t.Run(tx.Name+" by "+name, func(t *testing.T) {
				requireCode(t, ledger.CodeForbidden, call(id))
			})
		}
	}
}

func TestEveryTransactionOfTheTableIsAContractMethodAndNoOther(t *testing.T) {
	f := newFabric(t)
	meta := contractMetadata(t, f)
	var names, evaluate []string
	for _, tx := range meta.Contracts[ContractName].Transactions {
		names = append(names, tx.Name)
		if slices.Contains(tx.Tag, "EVALUATE") {
			evaluate = append(evaluate, tx.Name)
		}
	}
	var want []string
	for _, tx := range ledger.Transactions {
		want = append(want, tx.Name)
	}
	require.ElementsMatch(t, want, names)
	require.ElementsMatch(t, ledger.EvaluateTransactions(), evaluate)
	require.True(t, meta.Contracts[ContractName].Default)
}

func TestTransactionsWorkQualifiedAndWithALowerCaseInitial(t *testing.T) {
	f, c := setup(t, nil)
	for _, fn := range []string{"GetConsortium", ContractName + ":GetConsortium", "getConsortium"} {
		got := read[ledger.Consortium](f, c.reg, fn)
		require.Equal(t, 1, got.Version, fn)
	}
}

func TestNothingButInitConsortiumRunsBeforeTheConsortiumExists(t *testing.T) {
	f, c := newFabric(t), newCast(t)
	_, err := f.evaluate(c.stat, "GetConsortium")
	requireCode(t, ledger.CodeBadState, err)
	_, err = f.submit(c.reg, "InitConsortium", jsonString(t, testConsortium()))
	requireCode(t, ledger.CodeForbidden, err) // the auditor is not a member of what it defines
	_, err = f.submit(c.outsider, "InitConsortium", jsonString(t, testConsortium()))
	requireCode(t, ledger.CodeForbidden, err)
	initConsortium(f, c)
	_, err = f.submit(c.hospA, "InitConsortium", jsonString(t, testConsortium()))
	requireCode(t, ledger.CodeConflict, err)
}

func TestBadArgumentsAreInvalidNeverAPanic(t *testing.T) {
	f, c := setup(t, nil)
	ids := roleIdentities(t)
	ids[ledger.RoleMember] = c.hospA // InitConsortium's decoder runs before its CONFLICT
	badJSON := []string{"", "not json", "{", "[]", "null", "42", `"text"`, `{"unknown":1}`, `{} {}`, `{"id":`, "\xff\xfe", `{"id":"` + strings.Repeat("x", 70) + `"}`}
	badIDs := []string{"", "-leading-dash", "a/b", "a\x00b", "é", strings.Repeat("a", ledger.MaxIDLength+1)}
	for _, tx := range ledger.Transactions {
		id := ids[tx.Roles[0]]
		call := func(args ...string) error {
			s, resp := f.simulate(id, tx.Name, args...)
			_, err := result(s, resp)
			return err
		}
		good := wellFormedArgs(tx)
		t.Run(tx.Name+" with too many arguments", func(t *testing.T) {
			requireCode(t, ledger.CodeInvalid, call(append(good, "extra")...))
		})
		for i, a := range tx.Args {
			var bad []string
			switch a.Kind {
			case ledger.ArgJSON:
				bad = append(badJSON, strings.Repeat(" ", a.Max+1))
			case ledger.ArgID, ledger.ArgOptionalID:
				bad = badIDs[1:]
				if a.Kind == ledger.ArgID {
					bad = badIDs
				}
			case ledger.ArgText:
				bad = []string{strings.Repeat("r", a.Max+1), "bell\a", "\xff"}
			case ledger.ArgInt:
				bad = []string{"", "0", "-1", "1.5", "1e3", "86401", "99999999999999999999"}
			case ledger.ArgBookmark:
				bad = []string{"0", "zz", "ABCD", strings.Repeat("ab", ledger.MaxBookmarkLength)}
			}
			for _, v := range bad {
				args := slices.Clone(good)
				args[i] = v
				t.Run(tx.Name+" "+a.Name+" "+clip(v), func(t *testing.T) {
					requireCode(t, ledger.CodeInvalid, call(args...))
				})
			}
		}
	}
	t.Run("an unknown transaction", func(t *testing.T) {
		_, err := f.submit(c.stat, "DropTables")
		requireCode(t, ledger.CodeInvalid, err)
	})
	t.Run("a bookmark of another list", func(t *testing.T) {
		page := read[ledger.Page[ledger.Submission]](f, c.reg, "ListSubmissions", datasetA, "", "")
		require.Len(t, page.Items, 2)
		foreign := "00" + strings.Repeat("61", 4) // "\x00aaaa", before every dataset key
		_, err := f.evaluate(c.reg, "ListDatasets", foreign)
		requireCode(t, ledger.CodeInvalid, err)
		for _, bookmark := range []string{"zz", foreign, hex.EncodeToString([]byte(ledger.CompositeKey(ledger.ObjSubmission, datasetA)))} {
			_, err = f.evaluate(c.reg, "ListLiveSubmissions", datasetA, "", bookmark)
			requireCode(t, ledger.CodeInvalid, err)
			require.ErrorContains(t, err, "bookmark")
		}
	})
}

func TestAnUnreadableIdentityIsForbiddenNeverAPanic(t *testing.T) {
	f, c := setup(t, nil)
	notPEM, err := proto.Marshal(&msp.SerializedIdentity{Mspid: statMSP, IdBytes: []byte("not a certificate")})
	require.NoError(t, err)
	for name, creator := range map[string][]byte{"garbage bytes": []byte("\xff\x00garbage"), "no certificate": notPEM, "nothing": nil} {
		t.Run(name, func(t *testing.T) {
			id := c.stat
			id.creator = creator
			_, err := f.evaluate(id, "GetConsortium")
			requireCode(t, ledger.CodeForbidden, err)
		})
	}
}
