package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
)

// demoYAML is the committed demo definition; every bad-input case edits a copy of it.
func demoYAML(t testing.TB) string {
	t.Helper()
	data, err := os.ReadFile("consortium.yaml")
	require.NoError(t, err)
	return string(data)
}

func demoDefinition(t testing.TB) Definition {
	t.Helper()
	d, err := Load("consortium.yaml")
	require.NoError(t, err)
	return d
}

// edit replaces old by new in doc, failing the test when old is not there, so that a
// case never silently tests the unedited file.
func edit(t *testing.T, doc, old, new string) string {
	t.Helper()
	require.Contains(t, doc, old, "the edit must apply to the demo definition")
	return strings.Replace(doc, old, new, 1)
}

// orgsYAML writes n member organisations Org0..Org<n-1>, the first two key holders.
func orgsYAML(n int) string {
	var b strings.Builder
	b.WriteString("orgs:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {name: Org%d, mspID: Org%dMSP, roles: [member], keyHolder: %t}\n", i, i, i < 2)
	}
	return b.String()
}

const smallHeader = `name: small
channel: ch
chaincode: cc
threshold: 1
basePort: 20000
orderer: {name: Orderer, mspID: OrdererMSP, nodes: 1}
`

func TestParse(t *testing.T) {
	demo := demoYAML(t)
	demoOrgs := demo[strings.Index(demo, "orgs:"):]
	tests := []struct {
		name string
		doc  func(t *testing.T) string
		// want lists substrings the error must hold; none means the definition is valid.
		want []string
	}{
		{
			name: "the demo definition is valid",
			doc:  func(t *testing.T) string { return demo },
		},
		{
			name: "an unknown top-level field is refused and named",
			doc:  func(t *testing.T) string { return demo + "colour: blue\n" },
			want: []string{"field colour not found"},
		},
		{
			name: "a misspelt organisation field is refused and named",
			doc:  func(t *testing.T) string { return edit(t, demo, "keyHolder: false", "keyholder: false") },
			want: []string{"field keyholder not found"},
		},
		{
			name: "a misspelt orderer field is refused and named",
			doc:  func(t *testing.T) string { return edit(t, demo, "  nodes: 1", "  node: 1") },
			want: []string{"field node not found"},
		},
		{
			name: "a key given twice is refused with its line",
			doc:  func(t *testing.T) string { return edit(t, demo, "threshold: 2\n", "threshold: 2\nthreshold: 3\n") },
			want: []string{`mapping key "threshold" already defined`},
		},
		{
			name: "a word where a number belongs is refused with its line",
			doc:  func(t *testing.T) string { return edit(t, demo, "threshold: 2", "threshold: two") },
			want: []string{"cannot unmarshal", "`two`", "line "},
		},
		{
			name: "roles given as one word instead of a list are refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "roles: [auditor]", "roles: auditor") },
			want: []string{"cannot unmarshal"},
		},
		{
			name: "a list at the top level is refused",
			doc:  func(t *testing.T) string { return "- name: statledger\n" },
			want: []string{"cannot unmarshal !!seq"},
		},
		{
			name: "an empty file is refused as empty",
			doc:  func(t *testing.T) string { return "" },
			want: []string{"the consortium definition is empty"},
		},
		{
			name: "a file of comments only is refused as empty",
			doc:  func(t *testing.T) string { return "# nothing here\n" },
			want: []string{"the consortium definition is empty"},
		},
		{
			name: "a null document is refused as empty",
			doc:  func(t *testing.T) string { return "---\nnull\n" },
			want: []string{"the consortium definition is empty"},
		},
		{
			name: "a file over 64 KiB is refused before decoding",
			doc: func(t *testing.T) string {
				return demo + "# " + strings.Repeat("x", maxDefinitionBytes) + "\n"
			},
			want: []string{"more than the 65536 allowed"},
		},
		{
			name: "a file of exactly 64 KiB is read",
			doc: func(t *testing.T) string {
				return demo + "#" + strings.Repeat("x", maxDefinitionBytes-len(demo)-2) + "\n"
			},
		},
		{
			name: "a document that starts with an explicit marker is valid",
			doc:  func(t *testing.T) string { return "---\n" + demo },
		},
		{
			name: "a second YAML document is refused, not silently ignored",
			doc:  func(t *testing.T) string { return demo + "---\nthreshold: 3\n" },
			want: []string{"a second YAML document"},
		},
		{
			name: "a second, empty YAML document is refused too",
			doc:  func(t *testing.T) string { return demo + "---\n" },
			want: []string{"a second YAML document"},
		},
		{
			name: "a syntax error in a second document is refused",
			doc:  func(t *testing.T) string { return demo + "---\nthreshold: [\n" },
			want: []string{"decode"},
		},
		{
			name: "two organisations with one name are refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "name: HospitalB", "name: HospitalA") },
			want: []string{`orgs[2]: "HospitalA" is used twice`},
		},
		{
			name: "two organisations with one MSP ID are refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "mspID: HospitalBMSP", "mspID: HospitalAMSP") },
			want: []string{`orgs[2]: "HospitalAMSP" is used twice`},
		},
		{
			name: "an organisation named like the orderer organisation is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "name: Regulator", "name: Orderer") },
			want: []string{`orgs[3]: "Orderer" is used twice`},
		},
		{
			name: "an organisation with the orderer's MSP ID is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "mspID: RegulatorMSP", "mspID: OrdererMSP") },
			want: []string{`orgs[3]: "OrdererMSP" is used twice`},
		},
		{
			name: "an unknown role is refused and named",
			doc:  func(t *testing.T) string { return edit(t, demo, "roles: [auditor]", "roles: [auditor, admin]") },
			want: []string{`orgs[3].roles: unknown role "admin"`},
		},
		{
			name: "the keyholder role is not listed, it follows from keyHolder",
			doc:  func(t *testing.T) string { return edit(t, demo, "roles: [auditor]", "roles: [auditor, keyholder]") },
			want: []string{`orgs[3].roles: unknown role "keyholder"`},
		},
		{
			name: "an organisation without roles is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "roles: [auditor]", "roles: []") },
			want: []string{"orgs[3].roles: at least one role"},
		},
		{
			name: "a key holder without the member role is refused",
			doc: func(t *testing.T) string {
				return edit(t, demo, "roles: [auditor]\n    keyHolder: false", "roles: [auditor]\n    keyHolder: true")
			},
			want: []string{"orgs[3]: a key holder must have the member role"},
		},
		{
			name: "a consortium without a member is refused",
			doc: func(t *testing.T) string {
				return smallHeader + "orgs:\n  - {name: A, mspID: AMSP, roles: [provider]}\n"
			},
			want: []string{"orgs: at least one organisation needs the member role"},
		},
		{
			name: "an organisation without an MSP ID is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "    mspID: RegulatorMSP\n", "") },
			want: []string{"orgs[3].mspID: required"},
		},
		{
			name: "an organisation name with a space is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "name: HospitalB", "name: Hospital B") },
			want: []string{`orgs[2].name "Hospital B"`},
		},
		{
			name: "a threshold of zero is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "threshold: 2", "threshold: 0") },
			want: []string{"threshold 0: must be between 1 and the number of key holders (3)"},
		},
		{
			name: "a negative threshold is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "threshold: 2", "threshold: -1") },
			want: []string{"threshold -1"},
		},
		{
			name: "a threshold above the number of key holders is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "threshold: 2", "threshold: 4") },
			want: []string{"threshold 4: must be between 1 and the number of key holders (3)"},
		},
		{
			name: "a threshold equal to the number of key holders is valid",
			doc:  func(t *testing.T) string { return edit(t, demo, "threshold: 2", "threshold: 3") },
		},
		{
			name: "a privileged base port is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "basePort: 7050", "basePort: 80") },
			want: []string{"basePort 80: must be between 1024 and 65235"},
		},
		{
			name: "a base port too high for the port span is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "basePort: 7050", "basePort: 65236") },
			want: []string{"basePort 65236"},
		},
		{
			name: "the highest base port that fits the span is valid",
			doc:  func(t *testing.T) string { return edit(t, demo, "basePort: 7050", "basePort: 65235") },
		},
		{
			name: "the lowest unprivileged base port is valid",
			doc:  func(t *testing.T) string { return edit(t, demo, "basePort: 7050", "basePort: 1024") },
		},
		{
			name: "a missing base port is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "basePort: 7050\n", "") },
			want: []string{"basePort 0"},
		},
		{
			name: "three orderer nodes are valid",
			doc:  func(t *testing.T) string { return edit(t, demo, "  nodes: 1", "  nodes: 3") },
		},
		{
			name: "zero orderer nodes are refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "  nodes: 1", "  nodes: 0") },
			want: []string{"orderer.nodes 0: must be 1 or 3"},
		},
		{
			name: "two orderer nodes are refused (no Raft majority survives a loss)",
			doc:  func(t *testing.T) string { return edit(t, demo, "  nodes: 1", "  nodes: 2") },
			want: []string{"orderer.nodes 2: must be 1 or 3"},
		},
		{
			name: "five orderer nodes are refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "  nodes: 1", "  nodes: 5") },
			want: []string{"orderer.nodes 5"},
		},
		{
			name: "an orderer without an MSP ID is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "  mspID: OrdererMSP\n", "") },
			want: []string{"orderer: needs a name"},
		},
		{
			name: "no organisations are refused",
			doc:  func(t *testing.T) string { return edit(t, demo, demoOrgs, "orgs: []\n") },
			want: []string{"orgs: between 1 and 16 organisations"},
		},
		{
			name: "sixteen organisations fit the port span",
			doc:  func(t *testing.T) string { return smallHeader + orgsYAML(16) },
		},
		{
			name: "seventeen organisations do not fit the port span",
			doc:  func(t *testing.T) string { return smallHeader + orgsYAML(17) },
			want: []string{"orgs: between 1 and 16 organisations"},
		},
		{
			name: "an upper-case channel name is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "channel: statistics", "channel: Statistics") },
			want: []string{`channel "Statistics"`},
		},
		{
			name: "a missing chaincode name is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "chaincode: statledger\n", "") },
			want: []string{`chaincode ""`},
		},
		{
			name: "a consortium name with a space is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "name: statledger-demo", "name: statledger demo") },
			want: []string{`name "statledger demo"`},
		},
		{
			name: "every problem is reported at once, not only the first",
			doc: func(t *testing.T) string {
				doc := edit(t, demo, "threshold: 2", "threshold: 9")
				doc = edit(t, doc, "basePort: 7050", "basePort: 1")
				return edit(t, doc, "  nodes: 1", "  nodes: 2")
			},
			want: []string{"threshold 9", "basePort 1", "orderer.nodes 2"},
		},
		{
			name: "YAML anchors and aliases are refused, as in policy files",
			doc: func(t *testing.T) string {
				doc := edit(t, demo, "roles: [member, provider]\n", "roles: &hospital [member, provider]\n")
				return edit(t, doc, "roles: [member, provider, worker]", "roles: *hospital")
			},
			want: []string{"line 27: anchors and aliases are not supported (in orgs[1].roles)"},
		},
		{
			name: "a YAML merge key is refused",
			doc: func(t *testing.T) string {
				return smallHeader + "orgs:\n  - {name: A, mspID: AMSP, roles: [member], keyHolder: true}\n  - {<<: {keyHolder: true}, name: B, mspID: BMSP}\n"
			},
			want: []string{"line 9: merge keys (<<) are not supported (in orgs[1])"},
		},
		{
			name: "a merge key of a sequence, on which yaml.v3 panics, is refused",
			doc:  func(t *testing.T) string { return "orgs:\n  - {<<, [0]}\n" },
			want: []string{"merge keys (<<) are not supported"},
		},
		{
			name: "an unknown organisation field is refused with its line and place",
			doc:  func(t *testing.T) string { return edit(t, demo, "keyHolder: false", "keyholder: false") },
			want: []string{"line 38: field keyholder not found (in orgs[3])"},
		},
		{
			name: "a key given twice in an organisation is refused with both lines",
			doc: func(t *testing.T) string {
				return edit(t, demo, "    mspID: RegulatorMSP\n", "    mspID: RegulatorMSP\n    mspID: OtherMSP\n")
			},
			want: []string{`line 37: mapping key "mspID" already defined at line 36 (in orgs[3])`},
		},
		{
			name: "a list as a key is refused",
			doc:  func(t *testing.T) string { return demo + "[a]: 1\n" },
			want: []string{"a key must be a field name"},
		},
		{
			name: "a mapping where a number belongs is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "threshold: 2", "threshold: {a: 1}") },
			want: []string{"cannot unmarshal !!map into a single value (in threshold)"},
		},
		{
			name: "a null value decodes as the zero value",
			doc:  func(t *testing.T) string { return edit(t, demo, "threshold: 2", "threshold: ~") },
			want: []string{"threshold 0"},
		},
		{
			name: "a role listed twice is refused as InitConsortium would",
			doc:  func(t *testing.T) string { return edit(t, demo, "roles: [auditor]", "roles: [auditor, auditor]") },
			want: []string{`orgs[3].roles: role "auditor" is listed twice`},
		},
		{
			name: "an MSP ID with a quote, which breaks the policy syntax, is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "mspID: RegulatorMSP", `mspID: "Regulator'MSP"`) },
			want: []string{`orgs[3].mspID "Regulator'MSP": letters, digits, dots and dashes`},
		},
		{
			name: "an MSP ID with a colon and space, which breaks configtx.yaml, is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "mspID: RegulatorMSP", `mspID: "Regulator: MSP"`) },
			want: []string{`orgs[3].mspID "Regulator: MSP"`},
		},
		{
			name: "an MSP ID with a space, which the ledger refuses, is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "mspID: RegulatorMSP", `mspID: "Regulator MSP"`) },
			want: []string{`orgs[3].mspID "Regulator MSP"`},
		},
		{
			name: "an MSP ID with an underscore, which Fabric's policy syntax refuses, is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "mspID: RegulatorMSP", "mspID: Regulator_MSP") },
			want: []string{`orgs[3].mspID "Regulator_MSP"`},
		},
		{
			name: "an MSP ID longer than the ledger's 64 bytes is refused",
			doc: func(t *testing.T) string {
				return edit(t, demo, "mspID: RegulatorMSP", "mspID: "+strings.Repeat("M", 65))
			},
			want: []string{"orgs[3].mspID", "at most 64"},
		},
		{
			name: "an MSP ID with dots and dashes is valid",
			doc:  func(t *testing.T) string { return edit(t, demo, "mspID: RegulatorMSP", "mspID: regulator.example-MSP") },
		},
		{
			name: "an orderer MSP ID that breaks the policy syntax is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "mspID: OrdererMSP", `mspID: "Orderer'MSP"`) },
			want: []string{`orderer.mspID "Orderer'MSP"`},
		},
		{
			name: "two organisations whose names differ only in case are refused (same domain)",
			doc:  func(t *testing.T) string { return edit(t, demo, "name: Regulator", "name: hospitala") },
			want: []string{`orgs[3].name "hospitala": differs from "HospitalA" only in case`},
		},
		{
			name: "an organisation named like the orderer organisation but for case is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "name: Regulator", "name: ORDERER") },
			want: []string{`orgs[3].name "ORDERER": differs from "Orderer" only in case`},
		},
		{
			name: "an organisation named like the Outsider test organisation is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "name: Regulator", "name: Outsider") },
			want: []string{`orgs[3]: "Outsider" and "OutsiderMSP" are reserved`},
		},
		{
			name: "the Outsider name is reserved whatever its case",
			doc:  func(t *testing.T) string { return edit(t, demo, "name: Regulator", "name: OUTSIDER") },
			want: []string{`orgs[3]: "Outsider" and "OutsiderMSP" are reserved`},
		},
		{
			name: "the Outsider MSP ID is reserved",
			doc:  func(t *testing.T) string { return edit(t, demo, "mspID: RegulatorMSP", "mspID: OutsiderMSP") },
			want: []string{`orgs[3]: "Outsider" and "OutsiderMSP" are reserved`},
		},
		{
			name: "an orderer organisation named Outsider is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "  name: Orderer", "  name: Outsider") },
			want: []string{`orderer: "Outsider" and "OutsiderMSP" are reserved`},
		},
		{
			name: "an organisation named like a configtx.yaml anchor is valid (the templates generate their anchors)",
			doc:  func(t *testing.T) string { return edit(t, demo, "name: Regulator", "name: ChannelDefaults") },
		},
		{
			name: "an organisation named Null is valid when quoted (the templates quote names)",
			doc:  func(t *testing.T) string { return edit(t, demo, "name: Regulator", `name: "Null"`) },
		},
		{
			name: "an unquoted Null is YAML's null, so the name is missing",
			doc:  func(t *testing.T) string { return edit(t, demo, "name: Regulator", "name: Null") },
			want: []string{`orgs[3].name ""`},
		},
		{
			name: "a chaincode name with a dot is refused as the Fabric lifecycle would",
			doc:  func(t *testing.T) string { return edit(t, demo, "chaincode: statledger", "chaincode: stat.ledger") },
			want: []string{`chaincode "stat.ledger": letters and digits, in groups joined by single dashes or underscores`},
		},
		{
			name: "a chaincode name with two dashes in a row is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "chaincode: statledger", "chaincode: stat--ledger") },
			want: []string{`chaincode "stat--ledger"`},
		},
		{
			name: "a chaincode name ending in a dash is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "chaincode: statledger", "chaincode: statledger-") },
			want: []string{`chaincode "statledger-"`},
		},
		{
			name: "a chaincode name with upper case, dashes and underscores is valid, as in Fabric",
			doc:  func(t *testing.T) string { return edit(t, demo, "chaincode: statledger", "chaincode: Stat_ledger-2") },
		},
		{
			name: "a consortium name starting with a dash is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "name: statledger-demo", "name: -demo") },
			want: []string{`name "-demo": letters, digits and dashes, starting with a letter`},
		},
		{
			name: "a consortium name starting with a digit is refused",
			doc:  func(t *testing.T) string { return edit(t, demo, "name: statledger-demo", "name: 1demo") },
			want: []string{`name "1demo"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse([]byte(tc.doc(t)))
			if len(tc.want) == 0 {
				require.NoError(t, err)
				require.NoError(t, d.Validate(), "a parsed definition validates again")
				return
			}
			require.Error(t, err)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
			require.Equal(t, Definition{}, d, "a refused definition returns nothing half-decoded")
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte(strings.Replace(demoYAML(t), "threshold: 2", "threshold: 0", 1)), 0o644))
	empty := filepath.Join(dir, "empty.yaml")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))

	tests := []struct {
		name    string
		path    string
		want    []string
		wantErr error
	}{
		{name: "the demo definition loads", path: "consortium.yaml"},
		{name: "DefaultFile names the demo definition from the repository root", path: filepath.Join("..", DefaultFile)},
		{
			name: "a missing file says it could not be read", path: filepath.Join(dir, "missing.yaml"),
			want: []string{"read consortium definition"}, wantErr: fs.ErrNotExist,
		},
		{name: "a directory is refused", path: dir, want: []string{"read consortium definition"}},
		{name: "an invalid file names the file and the field", path: bad, want: []string{bad, "threshold 0"}},
		{name: "an empty file names the file", path: empty, want: []string{empty}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Load(tc.path)
			if len(tc.want) == 0 {
				require.NoError(t, err)
				require.Equal(t, "statledger-demo", d.Name)
				return
			}
			require.Error(t, err)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			}
		})
	}
}

func TestLoadLeavesTheFileUntouched(t *testing.T) {
	path := filepath.Join(t.TempDir(), "consortium.yaml")
	bad := []byte(strings.Replace(demoYAML(t), "nodes: 1", "nodes: 2", 1))
	require.NoError(t, os.WriteFile(path, bad, 0o644))
	_, err := Load(path)
	require.Error(t, err)
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, bad, after, "a refused definition is not rewritten")
}

func TestDemoDefinition(t *testing.T) {
	d := demoDefinition(t)
	require.Equal(t, "statistics", d.Channel)
	require.Equal(t, "statledger", d.Chaincode)
	require.Equal(t, 2, d.Threshold)
	require.Equal(t, 7050, d.BasePort)
	require.Equal(t, OrdererOrg{Name: "Orderer", MSPID: "OrdererMSP", Nodes: 1}, d.Orderer)

	names := func(orgs []Org) []string {
		var out []string
		for _, o := range orgs {
			out = append(out, o.Name)
		}
		return out
	}
	require.Equal(t, []string{"StatOffice", "HospitalA", "HospitalB", "Regulator"}, names(d.Orgs))
	require.Equal(t, []string{"StatOffice", "HospitalA", "HospitalB"}, names(d.Members()), "members in definition order")
	require.Equal(t, []string{"StatOffice", "HospitalA", "HospitalB"}, names(d.KeyHolders()), "key holders in definition order")
	require.Equal(t, []ledger.Role{ledger.RoleAuditor}, d.Orgs[3].Roles)
}

func TestDefinitionOrg(t *testing.T) {
	d := demoDefinition(t)
	tests := []struct {
		name   string
		lookup string
		want   string
		found  bool
	}{
		{name: "an organisation is found by name", lookup: "HospitalA", want: "HospitalAMSP", found: true},
		{name: "an organisation is found by MSP ID", lookup: "RegulatorMSP", want: "RegulatorMSP", found: true},
		{name: "the lookup is case-sensitive", lookup: "hospitala"},
		{name: "the orderer organisation is not a consortium organisation", lookup: "OrdererMSP"},
		{name: "an empty name finds nothing", lookup: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, ok := d.Org(tc.lookup)
			require.Equal(t, tc.found, ok)
			require.Equal(t, tc.want, o.MSPID)
		})
	}
}

func TestEndorsementPolicy(t *testing.T) {
	member := []ledger.Role{ledger.RoleMember}
	orgs := func(n int, roles []ledger.Role) []Org {
		var out []Org
		for i := range n {
			out = append(out, Org{Name: fmt.Sprintf("O%d", i), MSPID: fmt.Sprintf("O%dMSP", i), Roles: roles})
		}
		return out
	}
	tests := []struct {
		name string
		orgs []Org
		want string
	}{
		{name: "one member must endorse alone", orgs: orgs(1, member), want: "OutOf(1,'O0MSP.peer')"},
		{name: "two members both endorse", orgs: orgs(2, member), want: "OutOf(2,'O0MSP.peer','O1MSP.peer')"},
		{name: "three members need two", orgs: orgs(3, member), want: "OutOf(2,'O0MSP.peer','O1MSP.peer','O2MSP.peer')"},
		{name: "four members need three", orgs: orgs(4, member), want: "OutOf(3,'O0MSP.peer','O1MSP.peer','O2MSP.peer','O3MSP.peer')"},
		{name: "five members need three", orgs: orgs(5, member), want: "OutOf(3,'O0MSP.peer','O1MSP.peer','O2MSP.peer','O3MSP.peer','O4MSP.peer')"},
		{
			name: "organisations without the member role do not endorse",
			orgs: append(orgs(1, []ledger.Role{ledger.RoleAuditor}), Org{Name: "M", MSPID: "MMSP", Roles: member}),
			want: "OutOf(1,'MMSP.peer')",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, Definition{Orgs: tc.orgs}.EndorsementPolicy())
		})
	}
}

func TestEndorsementPolicyOfTheDemo(t *testing.T) {
	require.Equal(t, "OutOf(2,'StatOfficeMSP.peer','HospitalAMSP.peer','HospitalBMSP.peer')",
		demoDefinition(t).EndorsementPolicy())
}

func TestLedgerConsortium(t *testing.T) {
	d := demoDefinition(t)
	c := d.LedgerConsortium()
	require.Equal(t, ledger.Consortium{
		Name:      "statledger-demo",
		Threshold: 2,
		Orgs: []ledger.Org{
			{Name: "StatOffice", MSPID: "StatOfficeMSP", Roles: []ledger.Role{"member", "analyst", "worker"}, KeyHolder: true},
			{Name: "HospitalA", MSPID: "HospitalAMSP", Roles: []ledger.Role{"member", "provider"}, KeyHolder: true},
			{Name: "HospitalB", MSPID: "HospitalBMSP", Roles: []ledger.Role{"member", "provider", "worker"}, KeyHolder: true},
			{Name: "Regulator", MSPID: "RegulatorMSP", Roles: []ledger.Role{"auditor"}},
		},
	}, c)
	require.NoError(t, c.Validate(), "the chaincode accepts the record")
	require.Equal(t, len(d.Members())/2+1, c.Majority(), "the chaincode's majority is the endorsement policy's")

	// What InitConsortium receives decodes to the same record.
	record, err := json.Marshal(c)
	require.NoError(t, err)
	decoded, err := ledger.DecodeConsortium(string(record))
	require.NoError(t, err)
	require.Equal(t, c, decoded)

	// The record does not share role slices with the definition.
	c.Orgs[0].Roles[0] = ledger.RoleAuditor
	require.Equal(t, ledger.RoleMember, d.Orgs[0].Roles[0])
}

func TestValidateReportsAllProblemsAsOneError(t *testing.T) {
	err := Definition{}.Validate()
	require.Error(t, err)
	var joined interface{ Unwrap() []error }
	require.True(t, errors.As(err, &joined), "Validate joins its errors")
	require.GreaterOrEqual(t, len(joined.Unwrap()), 6, "name, channel, chaincode, basePort, orderer, nodes, orgs, member, threshold")
}
