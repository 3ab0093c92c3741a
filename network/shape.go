package network

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// errEmpty is returned for a file with no content but comments, or only null.
var errEmpty = errors.New("the consortium definition is empty")

// decodeDocument reads the one YAML document of data as a syntax tree. It refuses an empty
// file and a file of more than one document (a second would otherwise be ignored).
func decodeDocument(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errEmpty
		}
		return nil, fmt.Errorf("decode: %w", err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, fmt.Errorf("decode: %w", err)
	default:
		return nil, fmt.Errorf("line %d: a second YAML document; a consortium definition is one document", max(next.Line, 1))
	}
	if len(root.Content) == 0 || isNull(root.Content[0]) {
		return nil, errEmpty
	}
	return &root, nil
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// checkShape walks the syntax tree of a document (a yaml.DocumentNode) alongside the Go type
// t that it decodes into, before the typed decoder sees it, in the manner of package
// policies. It refuses what the typed decoder refuses slowly (repeated and unknown keys:
// yaml.v3 compares a mapping's keys pairwise) or not at all (merge keys, on which yaml.v3
// v3.0.1 can panic; anchors and aliases), and values of the wrong kind. Its work is linear
// in the number of nodes, and it stops at the first problem.
func checkShape(root *yaml.Node, t reflect.Type) error {
	for _, n := range root.Content {
		if err := checkValue(n, t, ""); err != nil {
			return err
		}
	}
	return nil
}

func checkValue(n *yaml.Node, t reflect.Type, path string) error {
	if n.Anchor != "" || n.Kind == yaml.AliasNode {
		return shapeError(n, path, "anchors and aliases are not supported")
	}
	if isNull(n) {
		return nil // decodes as the zero value
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return shapeError(n, path, "cannot unmarshal %s into a mapping of fields", n.ShortTag())
		}
		return checkMapping(n, t, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return shapeError(n, path, "cannot unmarshal %s into a list", n.ShortTag())
		}
		for i, e := range n.Content {
			if err := checkValue(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	default:
		if n.Kind != yaml.ScalarNode {
			return shapeError(n, path, "cannot unmarshal %s into a single value", n.ShortTag())
		}
		return nil
	}
}

// checkMapping checks that every key of mapping node n names a distinct field of the struct
// type t, and checks each value against its field's type.
func checkMapping(n *yaml.Node, t reflect.Type, path string) error {
	seen := make(map[string]int, t.NumField()) // only field names, so at most NumField
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Anchor != "" || k.Kind == yaml.AliasNode {
			return shapeError(k, path, "anchors and aliases are not supported")
		}
		if k.Kind != yaml.ScalarNode {
			return shapeError(k, path, "a key must be a field name, not %s", k.ShortTag())
		}
		if k.ShortTag() == "!!merge" {
			return shapeError(k, path, "merge keys (<<) are not supported")
		}
		ft, ok := fieldType(t, k.Value)
		if !ok {
			return shapeError(k, path, "field %s not found", clip(k.Value))
		}
		if prev, ok := seen[k.Value]; ok {
			return shapeError(k, path, "mapping key %q already defined at line %d", k.Value, prev)
		}
		seen[k.Value] = k.Line
		if err := checkValue(v, ft, joinPath(path, k.Value)); err != nil {
			return err
		}
	}
	return nil
}

// fieldType returns the type of the field of struct type t that the YAML key name sets,
// following yaml.v3: the name in the field's yaml tag, or else the field's name in lower
// case; fields tagged "-" and unexported fields have no key.
func fieldType(t reflect.Type, name string) (reflect.Type, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "" {
			tag = strings.ToLower(f.Name)
		}
		if f.IsExported() && tag != "-" && tag == name {
			return f.Type, true
		}
	}
	return nil, false
}

func joinPath(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func shapeError(n *yaml.Node, path, format string, args ...any) error {
	where := path
	if where == "" {
		where = "the consortium definition"
	}
	return fmt.Errorf("line %d: %s (in %s)", n.Line, fmt.Sprintf(format, args...), where)
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}
