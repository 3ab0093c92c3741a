package contract

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"
	"github.com/stretchr/testify/require"
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

func TestMetadataMatchesTheGoldenFile(t *testing.T) {
	got := metadataJSON(t, newFabric(t))
	golden := filepath.Join("testdata", "metadata.golden.json")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(golden, got, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test -run TestMetadataMatchesTheGoldenFile -update to create it")
	require.Equal(t, string(want), string(got), "the contract's interface changed; if on purpose, run with -update")
}
