package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/client/cli"
	"github.com/statledger/statledger/crypto/params"
	"github.com/statledger/statledger/policies"
)

func TestDatasetRegisterRefusesAPolicyWhoseSumsCouldWrapAround(t *testing.T) {
	dir := t.TempDir()
	schema := filepath.Join("..", "..", "policies", "healthcare", "schema.yaml")
	data, err := os.ReadFile(filepath.Join("..", "..", "policies", "healthcare", "policy.yaml"))
	require.NoError(t, err)
	// 150,000 records × 13 submissions × 200,000² (costEUR's squared bound) exceeds
	// N14T58's MaxAggregate, which holds 1,801,439 such records.
	tooMany := filepath.Join(dir, "too-many.yaml")
	require.NoError(t, os.WriteFile(tooMany, bytes.Replace(data, []byte("maxSubmissions: 12"), []byte("maxSubmissions: 13"), 1), 0o600))
	register := func(policy string, extra ...string) cliResult {
		return runCLI(nil, append([]string{"dataset", "register", "--id", "ds-1", "--key", "key-1", "--schema", schema, "--policy", policy}, extra...)...)
	}
	requireFails(t, register(tooMany), cli.ExitFailure, tooMany, "maxRecordsPerSubmission × maxSubmissions", "150000 records x 13 providers",
		"under N14T58", params.ErrCapacity.Error())
	requireFails(t, register(tooMany, "--params", params.InsecureN11T58), cli.ExitFailure, "under InsecureN11T58", params.ErrCapacity.Error())
	requireFails(t, register(tooMany, "--params", "N99"), cli.ExitFailure, `parameter set "N99"`, params.ErrUnknown.Error())

	// The shipped policy fits, and registration goes on to need a profile.
	requireFails(t, register(filepath.Join("..", "..", "policies", "healthcare", "policy.yaml")), cli.ExitUsage, "no profile")
}

// TestShippedPoliciesFitTheProductionParameters checks every shipped policy's limits
// against its schema under N14T58: the sums of a query stay exact.
func TestShippedPoliciesFitTheProductionParameters(t *testing.T) {
	set := params.MustNamed(params.N14T58)
	files, err := filepath.Glob(filepath.Join("..", "..", "policies", "*", "policy*.yaml"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 4)
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(filepath.Dir(f), "schema.yaml"))
			require.NoError(t, err)
			schema, err := policies.ParseSchema(data)
			require.NoError(t, err)
			data, err = os.ReadFile(f)
			require.NoError(t, err)
			policy, err := policies.ParsePolicy(data)
			require.NoError(t, err)
			require.NoError(t, set.CheckCapacity(schema, policy.MaxRecordsPerSubmission, int64(policy.MaxSubmissions)))
			require.LessOrEqual(t, uint64(policy.MaxRecordsPerSubmission)*uint64(policy.MaxSubmissions), set.MaxRecords(schema))
		})
	}
}
