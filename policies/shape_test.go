package policies

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// parseAs parses data as a document of kind doc ("policy", "schema" or "query") and
// returns the parser's error.
func parseAs(doc string, data []byte) error {
	var err error
	switch doc {
	case docPolicy:
		_, err = ParsePolicy(data)
	case docSchema:
		_, err = ParseSchema(data)
	case docQuery:
		_, err = ParseQuery(data)
	default:
		panic("unknown document kind " + doc)
	}
	return err
}

func TestParseRefusesBadShapesNamingTheField(t *testing.T) {
	tests := []struct {
		name   string
		doc    string
		data   string
		field  string
		reason string
	}{
		{"a field repeated in a list item is refused", docQuery,
			"statistic: count\nfilters:\n- dimension: sex\n  dimension: sex\n  codes: [F]\n",
			"filters[0].dimension", "line 4: already set at line 3"},
		{"an unknown field in a nested mapping is refused", docPolicy,
			strings.Replace(policyYAML, "  minApprovals: 2", "  minApprovals: 2\n  quorum: 3", 1),
			"approval.quorum", "unknown field"},
		{"a long unknown field is named clipped", docQuery,
			strings.Repeat("x", 100) + ": 1\n",
			strings.Repeat("x", MaxNameLength) + "...", "line 1: unknown field"},
		{"a fraction in a list of integers is refused", docSchema,
			"dimensions: [{name: a, codes: [x]}]\nmeasures: [{name: m, min: 0, max: 9, histogramEdges: [1, 2.5]}]\n",
			"measures[0].histogramEdges[1]", `line 2: "2.5" must be a whole number`},
		{"a list where a single value belongs is refused", docQuery,
			"statistic: [count]\n", "statistic", "line 1: must be a single value, not a list"},
		{"a mapping where a list belongs is refused", docQuery,
			"statistic: count\ngroupBy: {sex: F}\n", "groupBy", "line 2: must be a list, not a mapping"},
		{"a single value where a mapping belongs is refused", docPolicy,
			strings.Replace(policyYAML, "approval:\n  minApprovals: 2\n  excludeRequester: true\n", "approval: 2\n", 1),
			"approval", "line 14: must be a mapping of fields, not a single value"},
		{"a single value where a list of mappings belongs is refused", docSchema,
			"dimensions: [sex]\n", "dimensions[0]", "must be a mapping of fields, not a single value"},
		{"deeply nested lists are refused at the first level too deep", docQuery,
			"groupBy: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n",
			"groupBy[0]", "line 1: must be a single value, not a list"},
		{"a merge key is refused", docQuery,
			"statistic: count\n<<: {measure: m}\n", "<<", "line 2: merge keys are not supported"},
		{"a nested merge key is refused", docQuery,
			"statistic: count\nfilters:\n- <<: {dimension: sex}\n  codes: [F]\n", "filters[0].<<", "line 3: merge keys are not supported"},
		{"an anchored key is refused", docPolicy,
			strings.Replace(policyYAML, "  minApprovals: 2", "  &k minApprovals: 2", 1),
			"approval", "line 15: anchors and aliases are not supported"},
		{"an alias is refused", docQuery,
			"statistic: count\nfilters: [{dimension: sex, codes: &c [F]}, {dimension: region, codes: *c}]\n",
			"filters[0].codes", "line 2: anchors and aliases are not supported"},
		{"a key that is a list is refused", docPolicy,
			"approval:\n  ? [minApprovals]\n  : 2\n", "approval", "line 2: a key must be a field name, not a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := parseAs(tt.doc, []byte(tt.data))
			require.ErrorIs(t, err, ErrMalformed)
			requireFieldError(t, err, tt.doc, tt.field, tt.reason)
			require.True(t, strings.HasPrefix(err.Error(), tt.doc+": malformed document: "+tt.doc+" field "), err.Error())
		})
	}
}

func TestParseRefusesBadShapesOfTheWholeDocument(t *testing.T) {
	tests := []struct {
		name   string
		data   string
		reason string
	}{
		{"a single value is refused", "count\n", "line 1: a query must be a mapping of fields, not a single value"},
		{"an anchored top-level mapping is refused", "&q {statistic: count}\n", "line 1: anchors and aliases are not supported"},
		{"an anchored top-level key is refused", "&k statistic: count\n", "line 1: anchors and aliases are not supported"},
		{"a top-level key that is a mapping is refused", "? {statistic: count}\n: 1\n", "line 1: a key must be a field name, not a mapping"},
		{"more than MaxDocumentNodes nodes are refused", "groupBy: [" + strings.Repeat("a, ", MaxDocumentNodes) + "a]\n",
			fmt.Sprintf("line 1: more than %d YAML nodes", MaxDocumentNodes)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseQuery([]byte(tt.data))
			require.ErrorIs(t, err, ErrMalformed)
			require.Contains(t, err.Error(), "query: malformed document: "+tt.reason)
			var fe *FieldError
			require.False(t, errors.As(err, &fe), "a problem of the whole document names no field: %v", err)
		})
	}
}

func TestParseStillReadsNullsAsZeroValues(t *testing.T) {
	q, err := ParseQuery([]byte("statistic: count\nmeasure: ~\ngroupBy:\nfilters: null\nepsilon: 0.1\n"))
	require.NoError(t, err)
	require.Equal(t, Query{Statistic: StatCount, Epsilon: 100_000}, q)

	// A null mapping is decoded, then refused by Validate, not as malformed.
	_, err = ParsePolicy([]byte(strings.Replace(policyYAML, "approval:\n  minApprovals: 2\n  excludeRequester: true\n", "approval: ~\n", 1)))
	requireFieldError(t, err, docPolicy, "approval.minApprovals", "must be between 1 and")
	require.False(t, errors.Is(err, ErrMalformed))
}

// largestQuery returns a valid query document as large as the limits allow: MaxDimensions
// group-by dimensions and MaxDimensions filters of MaxCodes codes each.
func largestQuery() []byte {
	var b strings.Builder
	b.WriteString("statistic: histogram\nmeasure: m\nepsilon: 0.5\ngroupBy:\n")
	for i := range MaxDimensions {
		fmt.Fprintf(&b, "- g%d\n", i)
	}
	b.WriteString("filters:\n")
	for i := range MaxDimensions {
		fmt.Fprintf(&b, "- dimension: f%d\n  codes: [%s]\n", i, strings.Join(codes(MaxCodes), ","))
	}
	return []byte(b.String())
}

func TestParseAcceptsTheLargestDocumentsTheLimitsAllow(t *testing.T) {
	doc := largestQuery()
	require.LessOrEqual(t, len(doc), MaxDocumentSize)
	q, err := ParseQuery(doc)
	require.NoError(t, err)
	require.Len(t, q.Filters, MaxDimensions)
	var root yaml.Node
	require.NoError(t, yaml.Unmarshal(doc, &root))
	require.Greater(t, MaxDocumentNodes, 3*countNodes(&root)/2,
		"MaxDocumentNodes should leave room above the largest valid query")

	// A schema with as many dimensions, codes, measures and edges as each limit allows is
	// refused by Validate for its cube size, naming the field, not as malformed.
	var b strings.Builder
	b.WriteString("dimensions:\n")
	for i := range MaxDimensions {
		fmt.Fprintf(&b, "- name: d%d\n  codes: [%s]\n", i, strings.Join(codes(MaxCodes), ","))
	}
	b.WriteString("measures:\n")
	for i := range MaxMeasures {
		edges := make([]string, MaxHistogramEdges)
		for j := range edges {
			edges[j] = fmt.Sprint(j + 1)
		}
		fmt.Fprintf(&b, "- name: m%d\n  min: 0\n  max: 100\n  histogramEdges: [%s]\n", i, strings.Join(edges, ","))
	}
	_, err = ParseSchema([]byte(b.String()))
	requireFieldError(t, err, docSchema, "dimensions", "cells")
	require.False(t, errors.Is(err, ErrMalformed), "%v", err)
}

// countNodes returns the number of nodes of a syntax tree.
func countNodes(n *yaml.Node) int {
	total := 1
	for _, c := range n.Content {
		total += countNodes(c)
	}
	return total
}

// nested is a recursive type, deeper than any document type, to test the depth limit.
type nested struct {
	N []nested `yaml:"n"`
}

func TestCheckShapeRefusesNestingDeeperThanMaxDocumentDepth(t *testing.T) {
	doc := func(levels int) *yaml.Node {
		var root yaml.Node
		require.NoError(t, yaml.Unmarshal([]byte(strings.Repeat("{n: [", levels)+strings.Repeat("]}", levels)), &root))
		return &root
	}
	// Each level is a mapping and a list: the innermost list is at depth 2×levels.
	require.NoError(t, checkShape(docQuery, doc(MaxDocumentDepth/2), reflect.TypeFor[nested]()))
	err := checkShape(docQuery, doc(MaxDocumentDepth/2+1), reflect.TypeFor[nested]())
	requireFieldError(t, err, docQuery, strings.Repeat("n[0].", MaxDocumentDepth/2-1)+"n[0]",
		fmt.Sprintf("nested more than %d levels deep", MaxDocumentDepth))
}

// maxDoc returns a document of prefix, as many copies of unit as fit in MaxDocumentSize,
// and suffix.
func maxDoc(prefix, unit, suffix string) []byte {
	n := (MaxDocumentSize - len(prefix) - len(suffix)) / len(unit)
	return []byte(prefix + strings.Repeat(unit, n) + suffix)
}

// maxDocDistinct is maxDoc with units made distinct by formatting their number with
// format.
func maxDocDistinct(prefix, format, suffix string) []byte {
	var b strings.Builder
	b.WriteString(prefix)
	for i := 0; ; i++ {
		unit := fmt.Sprintf(format, i)
		if b.Len()+len(unit)+len(suffix) > MaxDocumentSize {
			break
		}
		b.WriteString(unit)
	}
	b.WriteString(suffix)
	return []byte(b.String())
}

// hostileDocuments are documents of the largest size allowed, shaped to make a YAML
// decoder work hard, each with the kind of document it is parsed as. Before the syntax-tree
// check, yaml.v3's typed decoder spent 13 s on 44 KB of repeated keys, and minutes on the
// larger ones.
var hostileDocuments = []struct {
	name string
	doc  string
	data []byte
}{
	{"repeated keys", docQuery, maxDoc("", "measure: a\n", "")},
	{"repeated keys", docPolicy, maxDoc("", "minSubmissions: 1\n", "")},
	{"repeated JSON keys", docQuery, maxDoc(`{"measure": "a"`, `, "measure": "a"`, "}")},
	{"repeated keys in a list item", docSchema, maxDoc("dimensions:\n- name: a\n", "  name: a\n", "")},
	{"distinct unknown keys", docQuery, maxDocDistinct("", "k%d: 1\n", "")},
	{"distinct unknown JSON keys", docPolicy, maxDocDistinct("{", `"k%d": 1, `, `"k": 1}`)},
	{"deeply nested lists", docQuery, maxDoc("groupBy: [", strings.Repeat("[", 5000)+strings.Repeat("]", 5000)+", ", "a]")},
	{"lists nested deeper than yaml.v3 allows", docQuery, maxDoc("groupBy: ", "[", "")},
	{"mappings nested deeper than yaml.v3 allows", docSchema, maxDoc("dimensions: ", "{a: ", "")},
	{"block lists nested deeper than yaml.v3 allows", docPolicy, maxDoc("allowedDimensions:\n", "- ", "a\n")},
	{"a long list", docQuery, maxDoc("groupBy: [", "a,", "a]")},
	{"a long list of empty mappings", docSchema, maxDoc("dimensions: [", "{},", "{}]")},
}

func TestParseRefusesHostileDocumentsInLinearTime(t *testing.T) {
	for _, h := range hostileDocuments {
		t.Run(h.name+" in a "+h.doc, func(t *testing.T) {
			require.LessOrEqual(t, len(h.data), MaxDocumentSize)
			require.Greater(t, len(h.data), MaxDocumentSize*95/100)
			// The irreducible cost: yaml.v3 building the syntax tree, linear in the
			// size. Measured here, so that the bound follows the machine's speed, its
			// load and the race detector. Generous, since machines are noisy: parsing
			// is two linear passes, where the typed decoder's quadratic check took 13 s
			// on 44 KB and minutes on 256 KiB.
			start := time.Now()
			_ = yaml.Unmarshal(h.data, &yaml.Node{})
			bound := 2*time.Second + 4*time.Since(start)
			var err error
			var took time.Duration
			// A second try forgives a pause of the machine; a quadratic parser is slow
			// every time.
			for range 2 {
				start := time.Now()
				err = parseAs(h.doc, h.data)
				if took = time.Since(start); took < bound {
					break
				}
			}
			require.ErrorIs(t, err, ErrMalformed)
			// Refused by the syntax-tree check or yaml.v3's parser, never by the typed
			// decoder, whose errors list every offending key.
			require.NotContains(t, err.Error(), "unmarshal errors")
			require.Less(t, len(err.Error()), 300, "a short message: %s", err)
			require.Less(t, took, bound, "took %v, more than %v: %v", took, bound, err)
		})
	}
}

// BenchmarkParseHostile256KiB times refusing each of hostileDocuments.
func BenchmarkParseHostile256KiB(b *testing.B) {
	for _, h := range hostileDocuments {
		b.Run(strings.ReplaceAll(h.name+" in a "+h.doc, " ", "_"), func(b *testing.B) {
			b.SetBytes(int64(len(h.data)))
			for b.Loop() {
				if err := parseAs(h.doc, h.data); err == nil {
					b.Fatal("a hostile document was accepted")
				}
			}
		})
	}
}
