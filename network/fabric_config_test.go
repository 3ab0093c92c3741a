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

// fabricChaincodeName is the Fabric lifecycle's rule for chaincode names
// (core/chaincode/lifecycle/scc.go, ChaincodeNameRegExp, in the Fabric version we build),
// written out here so that the test does not merely repeat consortium.go.
var fabricChaincodeName = regexp.MustCompile(`^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$`)

// TestValidateRefusesWhatBreaksDownstream: definitions that cryptogen, configtxgen, the
// Fabric lifecycle or the chaincode's InitConsortium would refuse or misread are refused
// by Validate, with the field named.
func TestValidateRefusesWhatBreaksDownstream(t *testing.T) {
	tests := []struct {
		name   string
		change func(d *Definition)
		want   string
	}{
		{
			name:   "an MSP ID with a colon and a space, which would break configtx.yaml",
			change: func(d *Definition) { d.Orgs[3].MSPID = "Regulator: MSP" },
			want:   `orgs[3].mspID "Regulator: MSP"`,
		},
		{
			name:   "an MSP ID with a space, which the ledger refuses",
			change: func(d *Definition) { d.Orgs[3].MSPID = "Regulator MSP" },
			want:   `orgs[3].mspID "Regulator MSP"`,
		},
		{
			name:   "an MSP ID with a quote, which would unbalance the endorsement policy",
			change: func(d *Definition) { d.Orgs[0].MSPID = "Stat'OfficeMSP" },
			want:   `orgs[0].mspID "Stat'OfficeMSP"`,
		},
		{
			name:   "an organisation named Outsider, which cryptogen would be given twice",
			change: func(d *Definition) { d.Orgs[3].Name = OutsiderOrg.Name },
			want:   `orgs[3]: "Outsider" and "OutsiderMSP" are reserved`,
		},
		{
			name:   "organisations whose names differ only in case, which would share a domain",
			change: func(d *Definition) { d.Orgs[3].Name = "hospitala" },
			want:   `orgs[3].name "hospitala": differs from "HospitalA" only in case`,
		},
		{
			name:   "a role listed twice, which InitConsortium refuses",
			change: func(d *Definition) { d.Orgs[3].Roles = append(d.Orgs[3].Roles, d.Orgs[3].Roles[0]) },
			want:   `orgs[3].roles: role "auditor" is listed twice`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := demoDefinition(t)
			tc.change(&d)
			require.ErrorContains(t, d.Validate(), tc.want)
		})
	}
	for _, name := range []string{"stat.ledger", "stat--ledger", "statledger-", "stat-.ledger", "-statledger", "stat ledger", ""} {
		t.Run(fmt.Sprintf("chaincode name %q, which the Fabric lifecycle refuses", name), func(t *testing.T) {
			require.False(t, fabricChaincodeName.MatchString(name))
			d := demoDefinition(t)
			d.Chaincode = name
			require.ErrorContains(t, d.Validate(), fmt.Sprintf("chaincode %q", name))
		})
	}
	for _, name := range []string{"statledger", "Stat_Ledger", "stat-ledger-2", "1cc"} {
		t.Run(fmt.Sprintf("chaincode name %q, which the Fabric lifecycle accepts, is valid", name), func(t *testing.T) {
			require.True(t, fabricChaincodeName.MatchString(name))
			d := demoDefinition(t)
			d.Chaincode = name
			require.NoError(t, d.Validate())
		})
	}
}

// TestValidDefinitionsWorkDownstream: what Validate accepts, the chaincode accepts too, and
// the endorsement policy stays well formed.
func TestValidDefinitionsWorkDownstream(t *testing.T) {
	d := demoDefinition(t)
	d.Orgs[0].MSPID = "stat.office-MSP"
	require.NoError(t, d.Validate())
	require.NoError(t, d.LedgerConsortium().Validate(), "InitConsortium accepts the record")
	require.Equal(t, "OutOf(2,'stat.office-MSP.peer','HospitalAMSP.peer','HospitalBMSP.peer')", d.EndorsementPolicy())
}

// TestRenderedConfigKeepsEveryValue: names that YAML would read as another value, or that
// equal an anchor of the template, and paths with YAML syntax in them come back unchanged
// from the generated files.
func TestRenderedConfigKeepsEveryValue(t *testing.T) {
	for _, name := range []string{"Null", "True", "No", "Yes", "ChannelCapabilities", "OrdererCapabilities",
		"ApplicationCapabilities", "ApplicationDefaults", "OrdererDefaults", "ChannelDefaults", "org0", "org2", "ordererOrg"} {
		t.Run(fmt.Sprintf("an organisation named %s keeps its name, MSP ID and place in the profile", name), func(t *testing.T) {
			d := demoDefinition(t)
			d.Orgs[3].Name = name
			require.NoError(t, d.Validate())
			crypto, tx := renderInto(t, d, t.TempDir(), time.Second)
			require.Equal(t, name, crypto.PeerOrgs[3].Name)
			require.Equal(t, Domain(name), crypto.PeerOrgs[3].Domain)
			require.Equal(t, name, tx.Organizations[4].Name)
			profile := tx.Profiles["ApplicationChannel"]
			var ids, names []string
			for _, o := range profile.Application.Organizations {
				ids = append(ids, o.ID)
				names = append(names, o.Name)
			}
			require.Equal(t, []string{"StatOfficeMSP", "HospitalAMSP", "HospitalBMSP", "RegulatorMSP"}, ids)
			require.Equal(t, []string{"StatOffice", "HospitalA", "HospitalB", name}, names)
			require.Len(t, profile.Orderer.Organizations, 1)
			require.Equal(t, "OrdererMSP", profile.Orderer.Organizations[0].ID)
		})
	}
	for _, cryptoDir := range []string{"/tmp/run #2/crypto", "/tmp/a: b/crypto", `/tmp/"quoted" \back/crypto`, "/tmp/tab\there/crypto", "/tmp/ünï — 😀/crypto", "relative/crypto"} {
		t.Run(fmt.Sprintf("the crypto directory %q is kept whole in every path", cryptoDir), func(t *testing.T) {
			d := demoDefinition(t)
			d.Orderer.Nodes = 3
			tx, err := d.ConfigTx(cryptoDir, time.Second)
			require.NoError(t, err)
			var parsed configtxFile
			require.NoError(t, yaml.Unmarshal(tx, &parsed), "configtx.yaml:\n%s", tx)
			require.Equal(t, cryptoDir+"/ordererOrganizations/orderer.statledger.local/msp", parsed.Organizations[0].MSPDir)
			for i, o := range d.Orgs {
				require.Equal(t, cryptoDir+"/peerOrganizations/"+Domain(o.Name)+"/msp", parsed.Organizations[1+i].MSPDir)
			}
			for i, c := range parsed.Orderer.EtcdRaft.Consenters {
				cert := cryptoDir + "/ordererOrganizations/orderer.statledger.local/orderers/" + d.Layout().Orderers[i].Host + "/tls/server.crt"
				require.Equal(t, cert, c.ClientTLSCert)
				require.Equal(t, cert, c.ServerTLSCert)
			}
		})
	}
	t.Run("a crypto directory that is not valid UTF-8 is refused", func(t *testing.T) {
		_, err := demoDefinition(t).ConfigTx("/tmp/\xff/crypto", time.Second)
		require.ErrorContains(t, err, "not valid UTF-8")
	})
}

func TestQuoteYAML(t *testing.T) {
	for _, s := range []string{"", "plain", "Null", "~", "a: b", "x #y", `"'\`, "tab\tnew\nline\r", "\x00\x1f\x7f\u0085\u00a0", "ünï", "😀", "\ufeff\ufffe", "- [a, {b}] &c *d !e %f @g `h"} {
		t.Run(fmt.Sprintf("%q reads back unchanged", s), func(t *testing.T) {
			q, err := quoteYAML(s)
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(q, `"`) && strings.HasSuffix(q, `"`))
			for _, r := range q {
				require.True(t, r >= 0x20 && r < 0x7f, "only printable ASCII is written: %q", q)
			}
			var back struct {
				V string `yaml:"v"`
			}
			require.NoError(t, yaml.Unmarshal([]byte("v: "+q+"\n"), &back))
			require.Equal(t, s, back.V)
		})
	}
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
