package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/client/cli"
)

// workerRun runs the CLI with a profile whose peer and crypto material are not real,
// and returns the exit status and stderr.
func workerRun(t *testing.T, withProfile bool, args ...string) (int, string) {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{}
	if withProfile {
		for _, f := range []string{"ca.pem", "cert.pem", "key.pem"} {
			require.NoError(t, os.WriteFile(filepath.Join(dir, f), []byte("placeholder"), 0o600))
		}
		p := "name: worker\norg: StatOffice\nmspID: StatOfficeMSP\npeerEndpoint: localhost:1\n" +
			"tlsCAFile: ca.pem\ncertFile: cert.pem\nkeyFile: key.pem\nblobStoreURL: blobs\n"
		env["STATLEDGER_PROFILE"] = filepath.Join(dir, "worker.yaml")
		require.NoError(t, os.WriteFile(env["STATLEDGER_PROFILE"], []byte(p), 0o600))
	}
	var out, errb bytes.Buffer
	code := cli.Execute(args, &out, &errb, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	require.Empty(t, out.String(), "nothing on stdout when the command fails")
	return code, errb.String()
}

func TestWorkerRunRefusesBadUsageWithExitStatus2(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"the noun alone needs a verb", []string{"worker"}, "worker needs a command"},
		{"an unknown verb is refused", []string{"worker", "stop"}, `unknown command "stop"`},
		{"run takes no arguments", []string{"worker", "run", "q-1"}, "unknown command"},
		{"--once does not listen", []string{"worker", "run", "--once", "--listen", "127.0.0.1:9464"}, "not with --once"},
		{"--once keeps no checkpoint", []string{"worker", "run", "--once", "--checkpoint", "cp"}, "not with --once"},
		{"a lease under a second is refused", []string{"worker", "run", "--lease", "500ms"}, "lease 500ms"},
		{"a lease that is not a duration is refused", []string{"worker", "run", "--lease", "soon"}, "invalid argument"},
		{"negative concurrency is refused", []string{"worker", "run", "--concurrency", "-1"}, "concurrency -1"},
		{"a malformed dataset ID is refused", []string{"worker", "run", "--dataset", "no spaces"}, "dataset ID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stderr := workerRun(t, true, tc.args...)
			require.Equal(t, cli.ExitUsage, code, stderr)
			require.Contains(t, stderr, tc.want)
			require.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
		})
	}
}

func TestWorkerRunWithoutAProfileIsAUsageError(t *testing.T) {
	code, stderr := workerRun(t, false, "worker", "run", "--once")
	require.Equal(t, cli.ExitUsage, code)
	require.Contains(t, stderr, "no profile")
}

func TestWorkerRunWithUnreadableCredentialsFailsInOneLine(t *testing.T) {
	code, stderr := workerRun(t, true, "worker", "run", "--once")
	require.Equal(t, cli.ExitFailure, code)
	require.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
	require.True(t, strings.HasPrefix(stderr, "statledger: "), stderr)
}
