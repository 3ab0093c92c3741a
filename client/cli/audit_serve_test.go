package cli_test

import (
	"testing"

	"github.com/statledger/statledger/client/cli"
)

func TestAuditServeRefusesBadCommandLinesBeforeConnecting(t *testing.T) {
	p := newProfileDir(t, goodProfile)
	env := map[string]string{"STATLEDGER_PROFILE": p.path}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a listen address without a port", []string{"audit", "serve", "--listen", "127.0.0.1"}, `--listen "127.0.0.1": want host:port`},
		{"an empty listen address", []string{"audit", "serve", "--listen", ""}, `--listen "": want host:port`},
		{"a negative debounce", []string{"audit", "serve", "--debounce", "-1s"}, "debounce -1s: want a positive duration"},
		{"a debounce that is no duration", []string{"audit", "serve", "--debounce", "soon"}, `invalid argument "soon" for "--debounce"`},
		{"a negative retry", []string{"audit", "serve", "--retry", "-5s"}, "retry -5s: want a positive duration"},
		{"an argument", []string{"audit", "serve", "now"}, `unknown command "now" for "statledger audit serve"`},
		{"an unknown flag", []string{"audit", "serve", "--port", "80"}, "unknown flag: --port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireFails(t, runCLI(env, tc.args...), cli.ExitUsage, tc.want)
		})
	}
}

func TestAuditServeNeedsAProfileAndAPeer(t *testing.T) {
	requireFails(t, runCLI(nil, "audit", "serve"), cli.ExitUsage, "no profile")
	p := newProfileDir(t, goodProfile)
	r := runCLI(map[string]string{"STATLEDGER_PROFILE": p.path}, "audit", "serve", "--listen", "127.0.0.1:0")
	requireFails(t, r, cli.ExitFailure)
}
