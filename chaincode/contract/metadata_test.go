package contract

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"
	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// metadataJSON returns the chaincode's metadata as the system contract serves it,
// indented.
func metadataJSON(t *testing.T, f *fabric) []byte {
	t.Helper()
	out, err := f.evaluate(newCast(t).reg, contractapi.SystemContractName+":GetMetadata")
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, json.Indent(&buf, []byte(out), "", "  "))
	buf.WriteByte('\n')
	return buf.Bytes()
}

func contractMetadata(t *testing.T, f *fabric) metadata.ContractChaincodeMetadata {
	t.Helper()
	var meta metadata.ContractChaincodeMetadata
	require.NoError(t, json.Unmarshal(metadataJSON(t, f), &meta))
	return meta
}

// requireGolden compares got with testdata/name, which -update rewrites.
func requireGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(golden, got, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test -update to create it")
	require.Equal(t, string(want), string(got), "%s changed; if on purpose, run go test -update", name)
}

func TestMetadataMatchesTheGoldenFile(t *testing.T) {
	requireGolden(t, "metadata.golden.json", metadataJSON(t, newFabric(t)))
}

// TestTransactionTableMatchesTheGoldenFile writes the interface clients call, from
// ledger.Transactions, as a table: name, arguments in order, roles, submit or evaluate.
func TestTransactionTableMatchesTheGoldenFile(t *testing.T) {
	kinds := map[ledger.ArgKind]string{
		ledger.ArgJSON: "JSON", ledger.ArgID: "ID", ledger.ArgOptionalID: "ID or empty",
		ledger.ArgText: "text", ledger.ArgInt: "integer", ledger.ArgBookmark: "bookmark",
	}
	var b strings.Builder
	b.WriteString("| transaction | arguments, in order | roles | call |\n|---|---|---|---|\n")
	for _, tx := range ledger.Transactions {
		args := make([]string, len(tx.Args))
		for i, a := range tx.Args {
			args[i] = a.Name + " (" + kinds[a.Kind]
			if a.Max > 0 {
				args[i] += fmt.Sprintf(", ≤ %d", a.Max)
			}
			args[i] += ")"
		}
		roles := make([]string, len(tx.Roles))
		for i, r := range tx.Roles {
			roles[i] = string(r)
		}
		call := "submit"
		if tx.Evaluate {
			call = "evaluate"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", tx.Name, strings.Join(args, ", "), strings.Join(roles, ", "), call)
	}
	requireGolden(t, "transactions.golden.md", []byte(b.String()))
}
