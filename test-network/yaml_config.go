package testnetwork

import (
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// yamlConfig is a Fabric sample configuration file loaded as a tree, so that a node's
// config can be derived from the sample by setting a few dotted paths.
type yamlConfig map[string]any

func loadYAMLConfig(path string) (yamlConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read sample config: %w", err)
	}
	// A plain map, not yamlConfig: yaml.v3 would give nested maps the named type too.
	var tree map[string]any
	if err := yaml.Unmarshal(data, &tree); err != nil {
		return nil, fmt.Errorf("parse sample config %s: %w", path, err)
	}
	if tree == nil {
		// Empty, comments only or null: nothing to derive a node's config from, and set
		// could not add to a nil map.
		return nil, fmt.Errorf("sample config %s is empty: it must be a mapping of settings", path)
	}
	return yamlConfig(tree), nil
}

// set assigns value at a dotted path such as "peer.tls.cert.file", creating maps on the way.
func (c yamlConfig) set(path string, value any) {
	keys := strings.Split(path, ".")
	node := map[string]any(c)
	for _, k := range keys[:len(keys)-1] {
		next, ok := node[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			node[k] = next
		}
		node = next
	}
	node[keys[len(keys)-1]] = value
}

func (c yamlConfig) write(path string) error {
	data, err := yaml.Marshal(map[string]any(c))
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return os.WriteFile(path, data, 0o644)
}
