package testnetwork

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func writeSample(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sample.yaml")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

func readTree(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var tree map[string]any
	require.NoError(t, yaml.Unmarshal(data, &tree))
	return tree
}

func TestLoadYAMLConfigBadInput(t *testing.T) {
	tests := []struct {
		name    string
		content string // "-" for no file
		want    string
	}{
		{name: "a missing sample says it could not be read", content: "-", want: "read sample config"},
		{name: "malformed YAML names the file", content: "peer: [unclosed\n", want: "parse sample config"},
		{name: "a list at the top level is refused", content: "- a\n- b\n", want: "parse sample config"},
		{name: "tabs for indentation are refused", content: "peer:\n\tid: x\n", want: "parse sample config"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "missing.yaml")
			if tc.content != "-" {
				path = writeSample(t, tc.content)
			}
			cfg, err := loadYAMLConfig(path)
			require.ErrorContains(t, err, tc.want)
			if tc.content != "-" {
				require.ErrorContains(t, err, path)
			}
			require.Nil(t, cfg)
		})
	}
}

func TestYAMLConfigSet(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		value any
		check func(t *testing.T, tree map[string]any)
	}{
		{
			name: "a leaf is replaced and its siblings kept", path: "peer.tls.enabled", value: true,
			check: func(t *testing.T, tree map[string]any) {
				peer := tree["peer"].(map[string]any)
				require.Equal(t, true, peer["tls"].(map[string]any)["enabled"])
				require.Equal(t, "jdoe", peer["id"])
				require.Equal(t, "7200s", peer["keepalive"].(map[string]any)["interval"])
			},
		},
		{
			name: "a missing branch is created", path: "ledger.snapshots.rootDir", value: "/state/snapshots",
			check: func(t *testing.T, tree map[string]any) {
				require.Equal(t, "/state/snapshots", tree["ledger"].(map[string]any)["snapshots"].(map[string]any)["rootDir"])
			},
		},
		{
			name: "a top-level key is set", path: "newKey", value: 7,
			check: func(t *testing.T, tree map[string]any) { require.Equal(t, 7, tree["newKey"]) },
		},
		{
			name: "an empty value replaces the Docker endpoint", path: "vm.endpoint", value: "",
			check: func(t *testing.T, tree map[string]any) {
				require.Equal(t, "", tree["vm"].(map[string]any)["endpoint"])
			},
		},
		{
			name: "a list of maps replaces a list", path: "chaincode.externalBuilders",
			value: []map[string]any{{"name": "b", "path": "/x"}},
			check: func(t *testing.T, tree map[string]any) {
				cc := tree["chaincode"].(map[string]any)
				require.Equal(t, []any{map[string]any{"name": "b", "path": "/x"}}, cc["externalBuilders"])
				require.Equal(t, "30s", cc["executetimeout"])
			},
		},
		{
			name: "a scalar in the way becomes a map", path: "operations.listenAddress.host", value: "127.0.0.1",
			check: func(t *testing.T, tree map[string]any) {
				require.Equal(t, map[string]any{"host": "127.0.0.1"}, tree["operations"].(map[string]any)["listenAddress"])
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := loadYAMLConfig(writeSample(t, sampleCoreYAML))
			require.NoError(t, err)
			cfg.set(tc.path, tc.value)
			out := filepath.Join(t.TempDir(), "core.yaml")
			require.NoError(t, cfg.write(out))
			tree := readTree(t, out)
			tc.check(t, tree)
			require.Contains(t, tree, "peer", "untouched sections survive")
		})
	}
}

func TestYAMLConfigRoundTripLosesNothing(t *testing.T) {
	path := writeSample(t, sampleOrdererYAML)
	cfg, err := loadYAMLConfig(path)
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "orderer.yaml")
	require.NoError(t, cfg.write(out))
	require.Equal(t, readTree(t, path), readTree(t, out))
}

func TestYAMLConfigWriteToAMissingDirectory(t *testing.T) {
	cfg, err := loadYAMLConfig(writeSample(t, sampleCoreYAML))
	require.NoError(t, err)
	require.Error(t, cfg.write(filepath.Join(t.TempDir(), "missing", "core.yaml")))
}

// TestYAMLConfigRefusesAnEmptySample: an empty, comment-only or null sample config would
// load as a nil map on which set panics; it is refused with an error naming the file.
func TestYAMLConfigRefusesAnEmptySample(t *testing.T) {
	for _, content := range []string{"", "# comment only\n", "null\n", "~\n"} {
		t.Run(fmt.Sprintf("a sample config of %q is refused", content), func(t *testing.T) {
			path := writeSample(t, content)
			cfg, err := loadYAMLConfig(path)
			require.ErrorContains(t, err, "is empty")
			require.ErrorContains(t, err, path)
			require.Nil(t, cfg)
		})
	}
}
