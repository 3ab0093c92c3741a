package network

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// FuzzParse feeds arbitrary bytes to the definition parser. The seed corpus is in
// testdata/fuzz/FuzzParse; run longer with
//
//	go test ./network -run '^$' -fuzz FuzzParse -fuzztime 60s
//
// A definition Parse accepts must validate again, survive a YAML round trip unchanged,
// lay out distinct ports inside its span, have a majority endorsement policy over its
// members, and render Fabric configuration that reads back with every organisation in its
// place; a refused one returns nothing. Parse must never panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(demoYAML(f)))
	f.Add([]byte(smallHeader + orgsYAML(3)))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			require.Equal(t, Definition{}, d, "a refused definition returns nothing")
			require.NotEmpty(t, err.Error())
			return
		}
		require.NoError(t, d.Validate())

		// Loses nothing: what was accepted encodes and parses back to the same definition.
		again, err := yaml.Marshal(d)
		require.NoError(t, err)
		back, err := Parse(again)
		require.NoError(t, err, "re-encoded definition:\n%s", again)
		require.Equal(t, d, back)

		l := d.Layout()
		ports := l.Ports()
		require.Len(t, ports, 2+3*d.Orderer.Nodes+3*len(d.Orgs))
		seen := map[int]bool{}
		for _, p := range ports {
			require.False(t, seen[p], "port %d twice", p)
			seen[p] = true
			require.GreaterOrEqual(t, p, d.BasePort)
			require.Less(t, p, d.BasePort+portSpan)
			require.LessOrEqual(t, p, 65535)
		}

		members := len(d.Members())
		need := members/2 + 1
		require.GreaterOrEqual(t, members, 1)
		require.LessOrEqual(t, need, members)
		require.True(t, strings.HasPrefix(d.EndorsementPolicy(), fmt.Sprintf("OutOf(%d,", need)))
		require.Equal(t, members, strings.Count(d.EndorsementPolicy(), ".peer'"))

		c := d.LedgerConsortium()
		require.Equal(t, d.Name, c.Name)
		require.Equal(t, d.Threshold, c.Threshold)
		require.Len(t, c.Orgs, len(d.Orgs))

		cc, err := d.CryptoConfig()
		require.NoError(t, err)
		tx, err := d.ConfigTx("/state/crypto", 200*time.Millisecond)
		require.NoError(t, err)
		var crypto cryptoConfigFile
		require.NoError(t, strictYAML(cc, &crypto), "crypto-config.yaml:\n%s", cc)
		require.Len(t, crypto.PeerOrgs, len(d.Orgs)+1)
		domains := map[string]bool{}
		for i, o := range append(slices.Clone(d.Orgs), OutsiderOrg) {
			require.Equal(t, o.Name, crypto.PeerOrgs[i].Name)
			require.False(t, domains[crypto.PeerOrgs[i].Domain], "domain %s twice", crypto.PeerOrgs[i].Domain)
			domains[crypto.PeerOrgs[i].Domain] = true
		}
		var configtx configtxFile
		require.NoError(t, yaml.Unmarshal(tx, &configtx), "configtx.yaml:\n%s", tx)
		require.Len(t, configtx.Organizations, len(d.Orgs)+1)
		require.Equal(t, "200ms", configtx.Orderer.BatchTimeout)
		app := configtx.Profiles["ApplicationChannel"].Application.Organizations
		require.Len(t, app, len(d.Orgs))
		for i, o := range d.Orgs {
			require.Equal(t, o.Name, app[i].Name)
			require.Equal(t, o.MSPID, app[i].ID)
			require.Equal(t, fmt.Sprintf("OR('%s.peer')", o.MSPID), app[i].Policies["Endorsement"].Rule)
		}
		require.NoError(t, c.Validate(), "InitConsortium accepts the record")
	})
}

// TestParseRefusesTheMergeKeyThatPanicsYAML: a merge key (<<) whose mapping has a sequence
// as a key makes gopkg.in/yaml.v3 v3.0.1's typed decoder hash a slice and panic (seeds
// merge-key-unhashable-panic*). Parse refuses merge keys in its syntax-tree walk, before
// the typed decoder runs.
func TestParseRefusesTheMergeKeyThatPanicsYAML(t *testing.T) {
	for _, data := range []string{"orgs:\n  - {<<, [0]}\n", "{<<: {[0]: 1}}\n", "orgs:\n  - <<: {[a]: 1}\n"} {
		t.Run(fmt.Sprintf("%q is refused, not a panic", data), func(t *testing.T) {
			d, err := Parse([]byte(data))
			require.ErrorContains(t, err, "merge keys (<<) are not supported")
			require.Equal(t, Definition{}, d)
		})
	}
}
