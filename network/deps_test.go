package network

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestImportsPointInward keeps package network a pure computation over the definition
// (STYLE.md): it may use the domain types, the policies and a YAML decoder, and nothing
// that talks to Fabric, Lattigo, the network or the client side.
func TestImportsPointInward(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").Output()
	require.NoError(t, err)
	allowed := map[string]bool{
		"github.com/statledger/statledger/network":          true,
		"github.com/statledger/statledger/chaincode/ledger": true,
		"github.com/statledger/statledger/policies":         true,
		"gopkg.in/yaml.v3": true,
	}
	for _, pkg := range strings.Fields(string(out)) {
		first, _, _ := strings.Cut(pkg, "/")
		if !strings.Contains(first, ".") {
			continue // standard library
		}
		require.True(t, allowed[pkg], "network imports %s", pkg)
	}
}
