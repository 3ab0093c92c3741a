package cli_test

import (
	"testing"

	"github.com/statledger/statledger/client/cli"
)

func TestAuditRefusesBadScopesBeforeConnecting(t *testing.T) {
	p := newProfileDir(t, goodProfile)
	env := map[string]string{"STATLEDGER_PROFILE": p.path}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a malformed dataset ID", []string{"audit", "--dataset", "bad id"}, "--dataset"},
		{"a malformed query ID", []string{"audit", "--query", "q/1"}, "--query"},
		{"a dataset ID that is too long", []string{"audit", "--dataset", string(make([]byte, 300))}, "--dataset"},
		{"an argument instead of a flag", []string{"audit", "q-1"}, `unknown command "q-1" for "statledger audit"`},
		{"an unknown flag", []string{"audit", "--all"}, "unknown flag: --all"},
		{"a flag without its value", []string{"audit", "--query"}, "flag needs an argument: --query"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireFails(t, runCLI(env, tc.args...), cli.ExitUsage, tc.want)
		})
	}
}

func TestAuditNeedsAProfileAndAPeer(t *testing.T) {
	requireFails(t, runCLI(nil, "audit"), cli.ExitUsage, "no profile")
	p := newProfileDir(t, goodProfile)
	r := runCLI(map[string]string{"STATLEDGER_PROFILE": p.path}, "audit", "--dataset", "ds-1", "--query", "q-1")
	requireFails(t, r, cli.ExitFailure)
}

func TestAuditRefusesBadPeersBeforeConnecting(t *testing.T) {
	p := newProfileDir(t, goodProfile)
	env := map[string]string{"STATLEDGER_PROFILE": p.path}
	requireFails(t, runCLI(env, "audit", "--compare-peer", "org=HospitalA,port=7061"), cli.ExitUsage, "--compare-peer", `"port" is not a peer field`)
	requireFails(t, runCLI(env, "audit", "--compare-peer", "HospitalA"), cli.ExitUsage, "--compare-peer", "key=value")
	requireFails(t, runCLI(env, "audit", "--compare-peers=false", "--compare-peer", "org=HospitalA,endpoint=localhost:7061,tlsCAFile=ca.pem"), cli.ExitUsage, "--compare-peers=false skips")
	requireFails(t, runCLI(env, "audit", "--compare-peers=maybe"), cli.ExitUsage, "--compare-peers")
}
