package network

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// cryptoConfigFile is the part of cryptogen's input the tests read back.
type cryptoConfigFile struct {
	OrdererOrgs []struct {
		Name          string `yaml:"Name"`
		Domain        string `yaml:"Domain"`
		EnableNodeOUs bool   `yaml:"EnableNodeOUs"`
		Specs         []struct {
			Hostname string   `yaml:"Hostname"`
			SANS     []string `yaml:"SANS"`
		} `yaml:"Specs"`
	} `yaml:"OrdererOrgs"`
	PeerOrgs []struct {
		Name          string `yaml:"Name"`
		Domain        string `yaml:"Domain"`
		EnableNodeOUs bool   `yaml:"EnableNodeOUs"`
		Template      struct {
			Count int      `yaml:"Count"`
			SANS  []string `yaml:"SANS"`
		} `yaml:"Template"`
		Users struct {
			Count int `yaml:"Count"`
		} `yaml:"Users"`
	} `yaml:"PeerOrgs"`
}

type configtxPolicy struct {
	Type string `yaml:"Type"`
	Rule string `yaml:"Rule"`
}

type configtxOrg struct {
	Name             string                    `yaml:"Name"`
	ID               string                    `yaml:"ID"`
	MSPDir           string                    `yaml:"MSPDir"`
	Policies         map[string]configtxPolicy `yaml:"Policies"`
	OrdererEndpoints []string                  `yaml:"OrdererEndpoints"`
	AnchorPeers      []struct {
		Host string `yaml:"Host"`
		Port int    `yaml:"Port"`
	} `yaml:"AnchorPeers"`
}

// configtxFile is the part of configtxgen's input the tests read back.
type configtxFile struct {
	Organizations []configtxOrg `yaml:"Organizations"`
	Orderer       struct {
		OrdererType  string   `yaml:"OrdererType"`
		Addresses    []string `yaml:"Addresses"`
		BatchTimeout string   `yaml:"BatchTimeout"`
		EtcdRaft     struct {
			Consenters []struct {
				Host          string `yaml:"Host"`
				Port          int    `yaml:"Port"`
				ClientTLSCert string `yaml:"ClientTLSCert"`
				ServerTLSCert string `yaml:"ServerTLSCert"`
			} `yaml:"Consenters"`
		} `yaml:"EtcdRaft"`
	} `yaml:"Orderer"`
	Profiles map[string]struct {
		Orderer struct {
			Organizations []configtxOrg `yaml:"Organizations"`
		} `yaml:"Orderer"`
		Application struct {
			Organizations []configtxOrg `yaml:"Organizations"`
		} `yaml:"Application"`
	} `yaml:"Profiles"`
}

// renderInto writes both generated files into dir, as test-network does, and reads them
// back as YAML.
func renderInto(t *testing.T, d Definition, dir string, batchTimeout time.Duration) (cryptoConfigFile, configtxFile) {
	t.Helper()
	cc, err := d.CryptoConfig()
	require.NoError(t, err)
	cryptoDir := filepath.Join(dir, "crypto")
	tx, err := d.ConfigTx(cryptoDir, batchTimeout)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "crypto-config.yaml"), cc, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "configtx.yaml"), tx, 0o644))

	var crypto cryptoConfigFile
	data, err := os.ReadFile(filepath.Join(dir, "crypto-config.yaml"))
	require.NoError(t, err)
	require.NoError(t, strictYAML(data, &crypto), "crypto-config.yaml:\n%s", data)
	var configtx configtxFile
	data, err = os.ReadFile(filepath.Join(dir, "configtx.yaml"))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(data, &configtx), "configtx.yaml:\n%s", data)
	return crypto, configtx
}

func strictYAML(data []byte, v any) error {
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	return dec.Decode(v)
}

func TestCryptoConfig(t *testing.T) {
	for _, nodes := range []int{1, 3} {
		t.Run(fmt.Sprintf("with %d orderers every organisation and the outsider get identities with loopback SANs", nodes), func(t *testing.T) {
			d := demoDefinition(t)
			d.Orderer.Nodes = nodes
			crypto, _ := renderInto(t, d, t.TempDir(), 200*time.Millisecond)

			require.Len(t, crypto.OrdererOrgs, 1)
			oo := crypto.OrdererOrgs[0]
			require.Equal(t, "Orderer", oo.Name)
			require.Equal(t, "orderer.statledger.local", oo.Domain)
			require.True(t, oo.EnableNodeOUs)
			require.Len(t, oo.Specs, nodes)
			for i, s := range oo.Specs {
				require.Equal(t, fmt.Sprintf("orderer%d", i), s.Hostname)
				require.Equal(t, []string{"localhost", "127.0.0.1"}, s.SANS)
			}

			wantOrgs := append(append([]Org{}, d.Orgs...), OutsiderOrg)
			require.Len(t, crypto.PeerOrgs, len(wantOrgs))
			for i, o := range wantOrgs {
				po := crypto.PeerOrgs[i]
				require.Equal(t, o.Name, po.Name)
				require.Equal(t, Domain(o.Name), po.Domain)
				require.True(t, po.EnableNodeOUs, o.Name)
				require.Equal(t, 1, po.Template.Count, o.Name)
				require.Equal(t, []string{"localhost", "127.0.0.1"}, po.Template.SANS, o.Name)
				require.Equal(t, 1, po.Users.Count, o.Name)
			}
		})
	}
}

func TestConfigTx(t *testing.T) {
	for _, nodes := range []int{1, 3} {
		t.Run(fmt.Sprintf("with %d orderers the channel names every organisation, its anchor peer, the consenters and the batch timeout", nodes), func(t *testing.T) {
			d := demoDefinition(t)
			d.Orderer.Nodes = nodes
			dir := t.TempDir()
			cryptoDir := filepath.Join(dir, "crypto")
			_, tx := renderInto(t, d, dir, 50*time.Millisecond)
			l := d.Layout()

			require.Len(t, tx.Organizations, 1+len(d.Orgs))
			oo := tx.Organizations[0]
			require.Equal(t, "Orderer", oo.Name)
			require.Equal(t, "OrdererMSP", oo.ID)
			require.Equal(t, filepath.Join(cryptoDir, "ordererOrganizations", "orderer.statledger.local", "msp"), oo.MSPDir)
			require.Len(t, oo.OrdererEndpoints, nodes)
			require.Empty(t, oo.AnchorPeers)

			for i, o := range d.Orgs {
				got := tx.Organizations[1+i]
				require.Equal(t, o.Name, got.Name)
				require.Equal(t, o.MSPID, got.ID)
				require.Equal(t, filepath.Join(cryptoDir, "peerOrganizations", Domain(o.Name), "msp"), got.MSPDir)
				require.Len(t, got.AnchorPeers, 1, o.Name)
				require.Equal(t, "127.0.0.1", got.AnchorPeers[0].Host)
				require.Equal(t, l.Peers[i].ListenPort, got.AnchorPeers[0].Port)
				require.Equal(t, fmt.Sprintf("OR('%s.peer')", o.MSPID), got.Policies["Endorsement"].Rule)
			}
			for _, o := range tx.Organizations {
				require.NotEqual(t, OutsiderOrg.Name, o.Name, "the outsider is not on the channel")
			}

			require.Equal(t, "etcdraft", tx.Orderer.OrdererType)
			require.Equal(t, "50ms", tx.Orderer.BatchTimeout)
			_, err := time.ParseDuration(tx.Orderer.BatchTimeout)
			require.NoError(t, err, "configtxgen reads the timeout as a Go duration")
			require.Len(t, tx.Orderer.Addresses, nodes)
			require.Len(t, tx.Orderer.EtcdRaft.Consenters, nodes)
			for i, c := range tx.Orderer.EtcdRaft.Consenters {
				o := l.Orderers[i]
				require.Equal(t, fmt.Sprintf("127.0.0.1:%d", o.ListenPort), tx.Orderer.Addresses[i])
				require.Equal(t, "127.0.0.1", c.Host)
				require.Equal(t, o.ListenPort, c.Port)
				cert := filepath.Join(cryptoDir, "ordererOrganizations", l.OrdererDomain, "orderers", o.Host, "tls", "server.crt")
				require.Equal(t, cert, c.ClientTLSCert)
				require.Equal(t, cert, c.ServerTLSCert)
			}

			profile, ok := tx.Profiles["ApplicationChannel"]
			require.True(t, ok, "the profile test-network asks configtxgen for")
			require.Len(t, profile.Orderer.Organizations, 1)
			require.Equal(t, "OrdererMSP", profile.Orderer.Organizations[0].ID)
			var appIDs []string
			for _, o := range profile.Application.Organizations {
				appIDs = append(appIDs, o.ID)
			}
			require.Equal(t, []string{"StatOfficeMSP", "HospitalAMSP", "HospitalBMSP", "RegulatorMSP"}, appIDs,
				"the profile's aliases resolve to the organisations, with anchor peers")
			for _, o := range profile.Application.Organizations {
				require.Len(t, o.AnchorPeers, 1, o.Name)
			}
		})
	}
}

func TestConfigTxBatchTimeouts(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		want    string
	}{
		{name: "the default of the local network", timeout: 200 * time.Millisecond, want: "200ms"},
		{name: "Fabric's sample timeout", timeout: 2 * time.Second, want: "2s"},
		{name: "a mixed duration", timeout: 1500 * time.Millisecond, want: "1.5s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, tx := renderInto(t, demoDefinition(t), t.TempDir(), tc.timeout)
			require.Equal(t, tc.want, tx.Orderer.BatchTimeout)
		})
	}
}

func TestRenderedConfigIsDeterministic(t *testing.T) {
	d := demoDefinition(t)
	a, err := d.ConfigTx("/state/crypto", time.Second)
	require.NoError(t, err)
	b, err := d.ConfigTx("/state/crypto", time.Second)
	require.NoError(t, err)
	require.Equal(t, a, b)
	c1, err := d.CryptoConfig()
	require.NoError(t, err)
	c2, err := d.CryptoConfig()
	require.NoError(t, err)
	require.Equal(t, c1, c2)
}

func TestRenderedConfigForEverySize(t *testing.T) {
	for _, orgs := range []int{1, maxOrgs} {
		t.Run(fmt.Sprintf("%d organisations render as valid YAML", orgs), func(t *testing.T) {
			d := definitionWith(t, 20000, 3, orgs)
			crypto, tx := renderInto(t, d, t.TempDir(), time.Second)
			require.Len(t, crypto.PeerOrgs, orgs+1)
			require.Len(t, tx.Profiles["ApplicationChannel"].Application.Organizations, orgs)
		})
	}
}

// TestRenderedConfigKnownGaps shows, for definitions Parse accepts today, what goes wrong
// downstream. Each is a reported bug; the case is skipped once it demonstrates the fault,
// and fails (so that its skip is removed) when the fault is gone.
func TestRenderedConfigKnownGaps(t *testing.T) {
	t.Run("an MSP ID with a colon and a space breaks configtx.yaml", func(t *testing.T) {
		d := demoDefinition(t)
		d.Orgs[3].MSPID = "Regulator: MSP"
		require.NoError(t, d.Validate())
		tx, err := d.ConfigTx("/state/crypto", time.Second)
		require.NoError(t, err)
		var parsed configtxFile
		if yaml.Unmarshal(tx, &parsed) != nil {
			t.Skip("BUG (reported): Validate accepts any non-empty mspID; configtx.yaml no longer parses")
		}
	})
	t.Run("an organisation named like a configtx anchor is replaced in the profile", func(t *testing.T) {
		d := demoDefinition(t)
		d.Orgs[3].Name = "ChannelCapabilities"
		require.NoError(t, d.Validate())
		_, tx := renderInto(t, d, t.TempDir(), time.Second)
		orgs := tx.Profiles["ApplicationChannel"].Application.Organizations
		if orgs[3].ID != "RegulatorMSP" {
			t.Skip("BUG (reported): org names share the template's anchor names; the profile's last organisation has lost its MSP ID")
		}
	})
	t.Run("an organisation named Outsider is issued identities twice", func(t *testing.T) {
		d := demoDefinition(t)
		d.Orgs[3].Name = OutsiderOrg.Name
		require.NoError(t, d.Validate())
		crypto, _ := renderInto(t, d, t.TempDir(), time.Second)
		domains := map[string]int{}
		for _, o := range crypto.PeerOrgs {
			domains[o.Domain]++
		}
		if domains[Domain(OutsiderOrg.Name)] > 1 {
			t.Skip("BUG (reported): OutsiderOrg's name is not reserved; crypto-config.yaml lists its domain twice")
		}
	})
	t.Run("organisations whose names differ only in case share a domain", func(t *testing.T) {
		d := demoDefinition(t)
		d.Orgs[3].Name = "hospitala"
		require.NoError(t, d.Validate())
		crypto, _ := renderInto(t, d, t.TempDir(), time.Second)
		domains := map[string]int{}
		for _, o := range crypto.PeerOrgs {
			domains[o.Domain]++
		}
		if domains["hospitala.statledger.local"] > 1 {
			t.Skip("BUG (reported): Validate compares names case-sensitively but Domain lower-cases them")
		}
	})
	t.Run("a state directory with ' #' in its path is cut short in configtx.yaml", func(t *testing.T) {
		d := demoDefinition(t)
		tx, err := d.ConfigTx("/tmp/run #2/crypto", time.Second)
		require.NoError(t, err)
		var parsed configtxFile
		require.NoError(t, yaml.Unmarshal(tx, &parsed))
		if !strings.HasPrefix(parsed.Organizations[0].MSPDir, "/tmp/run #2/crypto") {
			t.Skip("BUG (reported): paths are not quoted in configtx.yaml.tmpl; MSPDir became " + parsed.Organizations[0].MSPDir)
		}
	})
}

// fabricChaincodeName is the Fabric lifecycle's rule for chaincode names
// (core/chaincode/lifecycle/scc.go, ChaincodeNameRegExp, in the Fabric version we build).
var fabricChaincodeName = regexp.MustCompile(`^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$`)

// TestDownstreamKnownGaps shows what the chaincode and Fabric make of definitions that
// Validate accepts today. Each is a reported bug, skipped once it demonstrates the fault.
func TestDownstreamKnownGaps(t *testing.T) {
	t.Run("a role listed twice passes Validate but InitConsortium refuses the record", func(t *testing.T) {
		d := demoDefinition(t)
		d.Orgs[3].Roles = append(d.Orgs[3].Roles, d.Orgs[3].Roles[0])
		require.NoError(t, d.Validate())
		if d.LedgerConsortium().Validate() != nil {
			t.Skip("BUG (reported): Validate allows duplicate roles; ledger.Consortium.Validate does not")
		}
	})
	t.Run("an MSP ID the ledger refuses passes Validate", func(t *testing.T) {
		d := demoDefinition(t)
		d.Orgs[3].MSPID = "Regulator MSP"
		require.NoError(t, d.Validate())
		if d.LedgerConsortium().Validate() != nil {
			t.Skip("BUG (reported): Validate only checks that mspID is not empty")
		}
	})
	t.Run("an MSP ID with a quote breaks the endorsement policy's syntax", func(t *testing.T) {
		d := demoDefinition(t)
		d.Orgs[0].MSPID = "Stat'OfficeMSP"
		require.NoError(t, d.Validate())
		if strings.Count(d.EndorsementPolicy(), "'")%2 != 0 {
			t.Skip("BUG (reported): the policy has unbalanced quotes: " + d.EndorsementPolicy())
		}
	})
	for _, name := range []string{"stat.ledger", "stat--ledger", "statledger-", "stat-.ledger"} {
		t.Run(fmt.Sprintf("chaincode name %q passes Validate but not the Fabric lifecycle", name), func(t *testing.T) {
			d := demoDefinition(t)
			d.Chaincode = name
			require.NoError(t, d.Validate())
			if !fabricChaincodeName.MatchString(name) {
				t.Skip("BUG (reported): consortium.go checks chaincode names with the channel pattern, which allows '.' and repeated or trailing dashes")
			}
		})
	}
	t.Run("an organisation named Null loses its name in the generated YAML", func(t *testing.T) {
		d := demoDefinition(t)
		d.Orgs[3].Name = "Null"
		require.NoError(t, d.Validate())
		crypto, tx := renderInto(t, d, t.TempDir(), time.Second)
		if crypto.PeerOrgs[3].Name == "" || tx.Organizations[4].Name == "" {
			t.Skip("BUG (reported): names are not quoted in the templates; YAML reads Null as null")
		}
	})
}

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// TestGoldenConfig pins the generated files of the demo definition (one and three
// orderers), so that any change to the templates is seen in review. After an intended
// change: go test ./network -run TestGoldenConfig -update
func TestGoldenConfig(t *testing.T) {
	for _, nodes := range []int{1, 3} {
		d := demoDefinition(t)
		d.Orderer.Nodes = nodes
		cc, err := d.CryptoConfig()
		require.NoError(t, err)
		tx, err := d.ConfigTx("/state/crypto", 200*time.Millisecond)
		require.NoError(t, err)
		for name, got := range map[string][]byte{"crypto-config": cc, "configtx": tx} {
			t.Run(fmt.Sprintf("%s with %d orderers matches its golden file", name, nodes), func(t *testing.T) {
				path := filepath.Join("testdata", "golden", fmt.Sprintf("demo-%d-orderers.%s.yaml", nodes, name))
				if *update {
					require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
					require.NoError(t, os.WriteFile(path, got, 0o644))
				}
				want, err := os.ReadFile(path)
				require.NoError(t, err, "run with -update to create it")
				require.Equal(t, string(want), string(got))
			})
		}
	}
}
