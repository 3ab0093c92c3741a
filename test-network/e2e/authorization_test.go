package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/fabric"
)

// orgRoles are the demo consortium's roles (network/consortium.yaml), written out so that
// the test states its expectations instead of deriving them from the code under test.
var orgRoles = map[string][]ledger.Role{
	statOffice: {ledger.RoleMember, ledger.RoleAnalyst, ledger.RoleWorker, ledger.RoleKeyHolder},
	hospitalA:  {ledger.RoleMember, ledger.RoleProvider, ledger.RoleKeyHolder},
	hospitalB:  {ledger.RoleMember, ledger.RoleProvider, ledger.RoleWorker, ledger.RoleKeyHolder},
	regulator:  {ledger.RoleAuditor},
}

// placeholder is an argument of the right shape that names nothing on the ledger.
func placeholder(a ledger.Arg) string {
	switch a.Kind {
	case ledger.ArgJSON:
		return "{}"
	case ledger.ArgID:
		return "does-not-exist"
	case ledger.ArgText:
		return "authorization matrix"
	case ledger.ArgInt:
		return "60"
	default: // bookmarks and optional IDs
		return ""
	}
}

// TestAuthorizationMatrix calls every transaction as every organisation on the real
// network: an organisation without one of the transaction's roles gets FORBIDDEN; one
// with a role gets past the gate (any other outcome, such as NOT_FOUND for the
// placeholder arguments). The auditor may write nothing.
func TestAuthorizationMatrix(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	clients := map[string]*fabric.Client{}
	for _, org := range allOrgs {
		clients[org] = connectRaw(t, org, fabric.WithRetry(fabric.Retry{Attempts: 3, Backoff: 200 * time.Millisecond, MaxBackoff: time.Second}))
	}
	require.NotEmpty(t, ledger.Transactions)
	for _, tx := range ledger.Transactions {
		args := make([]string, len(tx.Args))
		for i, a := range tx.Args {
			args[i] = placeholder(a)
		}
		for _, org := range allOrgs {
			allowed := slices.ContainsFunc(orgRoles[org], func(r ledger.Role) bool { return slices.Contains(tx.Roles, r) })
			call := clients[org].Submit
			if tx.Evaluate {
				call = clients[org].Evaluate
			}
			_, err := call(ctx, tx.Name, args...)
			if !allowed {
				requireCode(t, err, ledger.CodeForbidden, tx.Name+" as "+org)
				continue
			}
			if err != nil {
				require.NotEqual(t, ledger.CodeForbidden, ledger.CodeOf(err), "%s as %s: %v", tx.Name, org, err)
				require.NotEqual(t, ledger.Code(""), ledger.CodeOf(err), "%s as %s: an error without a code: %v", tx.Name, org, err)
			}
			if org == regulator {
				require.True(t, tx.Evaluate, "the auditor may call the writing transaction %s", tx.Name)
			}
		}
	}
}
