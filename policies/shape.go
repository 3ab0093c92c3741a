package policies

import (
	"encoding"
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// textUnmarshaler is the interface of types, such as Epsilon, that YAML decoders fill from
// a single scalar even when their kind says otherwise.
var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// shapeChecker walks a document's syntax tree alongside the Go type the document decodes
// into, before the typed decoder sees it. It refuses what the typed decoder would refuse
// slowly or not at all: repeated keys (yaml.v3 compares the keys of a mapping pairwise, so
// a document of thousands of keys takes seconds to minutes), unknown keys, merge keys,
// anchors and aliases, values of the wrong kind, fractions where whole numbers belong,
// nesting deeper than MaxDocumentDepth and more than MaxDocumentNodes nodes. Its work is
// linear in the number of nodes, and it stops at the first problem. Problems at a field
// are *FieldError's naming the field.
type shapeChecker struct {
	doc   string
	nodes int
}

// checkShape checks the syntax tree of a whole document (a yaml.DocumentNode) that decodes
// into a value of type t.
func checkShape(doc string, root *yaml.Node, t reflect.Type) error {
	c := &shapeChecker{doc: doc}
	if err := c.count(root); err != nil {
		return err
	}
	for _, n := range root.Content {
		if err := c.value(n, t, "", "", 1); err != nil {
			return err
		}
	}
	return nil
}

// count counts one more node and refuses the document once it has too many.
func (c *shapeChecker) count(n *yaml.Node) error {
	c.nodes++
	if c.nodes > MaxDocumentNodes {
		return fmt.Errorf("line %d: more than %d YAML nodes (keys, values, lists and mappings)", n.Line, MaxDocumentNodes)
	}
	return nil
}

// fail returns a problem with node n at the field path: a *FieldError, or a plain error for
// the document as a whole (an empty path).
func (c *shapeChecker) fail(path string, n *yaml.Node, format string, args ...any) error {
	reason := fmt.Sprintf("line %d: ", n.Line) + fmt.Sprintf(format, args...)
	if path == "" {
		return fmt.Errorf("%s", reason)
	}
	return &FieldError{Document: c.doc, Field: path, Reason: reason}
}

// value checks node n, found at the field path under the mapping key key, at the given
// depth, against the type t it decodes into.
func (c *shapeChecker) value(n *yaml.Node, t reflect.Type, path, key string, depth int) error {
	if err := c.count(n); err != nil {
		return err
	}
	if depth > MaxDocumentDepth {
		return c.fail(path, n, "nested more than %d levels deep", MaxDocumentDepth)
	}
	if n.Anchor != "" || n.Kind == yaml.AliasNode {
		return c.fail(path, n, "anchors and aliases are not supported")
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil // decodes as the zero value, whatever t is
	}
	switch kindOf(t) {
	case yaml.MappingNode:
		if n.Kind != yaml.MappingNode {
			if path == "" {
				return c.fail(path, n, "a %s must be a mapping of fields, not %s", c.doc, kindName(n))
			}
			return c.fail(path, n, "must be a mapping of fields, not %s", kindName(n))
		}
		return c.mapping(n, t, path, depth)
	case yaml.SequenceNode:
		if n.Kind != yaml.SequenceNode {
			return c.fail(path, n, "must be a list, not %s", kindName(n))
		}
		for i, e := range n.Content {
			if err := c.value(e, t.Elem(), index(path, i), key, depth+1); err != nil {
				return err
			}
		}
		return nil
	default:
		if n.Kind != yaml.ScalarNode {
			return c.fail(path, n, "must be a single value, not %s", kindName(n))
		}
		if n.ShortTag() == "!!float" && !decimalFields[key] {
			return c.fail(path, n, "%q must be a whole number", clip(n.Value))
		}
		return nil
	}
}

// mapping checks the keys and values of mapping node n, which decodes into the struct type
// t: every key a distinct field name of t, each value of the field's type.
func (c *shapeChecker) mapping(n *yaml.Node, t reflect.Type, path string, depth int) error {
	// A hash set, so that repeated keys cost O(1) each. Keys are checked to be field
	// names before they are added, so it never holds more than t.NumField() names.
	seen := make(map[string]int, t.NumField())
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if err := c.count(k); err != nil {
			return err
		}
		if k.Anchor != "" || k.Kind == yaml.AliasNode {
			return c.fail(path, k, "anchors and aliases are not supported")
		}
		if k.Kind != yaml.ScalarNode {
			return c.fail(path, k, "a key must be a field name, not %s", kindName(k))
		}
		field := join(path, clip(k.Value))
		if k.Value == "<<" && k.ShortTag() == "!!merge" {
			return c.fail(field, k, "merge keys are not supported")
		}
		ft, ok := fieldType(t, k.Value)
		if !ok {
			return c.fail(field, k, "unknown field")
		}
		if prev, ok := seen[k.Value]; ok {
			if prev == k.Line {
				return c.fail(field, k, "already set earlier on this line")
			}
			return c.fail(field, k, "already set at line %d", prev)
		}
		seen[k.Value] = k.Line
		if err := c.value(v, ft, field, k.Value, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// kindOf returns the kind of YAML node a value of type t is decoded from. Kinds the
// document types do not use, such as maps and pointers, are taken as scalars, so that a
// field of such a type refuses every mapping and list: strict, never slow.
func kindOf(t reflect.Type) yaml.Kind {
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		return yaml.ScalarNode
	}
	switch t.Kind() {
	case reflect.Struct:
		return yaml.MappingNode
	case reflect.Slice, reflect.Array:
		return yaml.SequenceNode
	default:
		return yaml.ScalarNode
	}
}

// fieldType returns the type of the field of struct type t that the YAML key name sets,
// following the rules of yaml.v3: the name in the field's yaml tag, or else the field's
// name in lower case; fields tagged "-" and unexported fields have no key.
func fieldType(t reflect.Type, name string) (reflect.Type, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch tag {
		case "-":
			continue
		case "":
			tag = strings.ToLower(f.Name)
		}
		if tag == name {
			return f.Type, true
		}
	}
	return nil, false
}

// kindName names the kind of node n for an error message.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	default:
		return "a single value"
	}
}

// join appends a field name to a field path: join("approval", "minApprovals") is
// "approval.minApprovals".
func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
