// Package network holds statledger's consortium definition (organisations, their roles, the
// key holders and the decryption threshold) and turns it into what a Fabric network needs:
// node layout and ports, cryptogen and configtxgen input, and the chaincode's initial
// consortium record. It only computes; starting processes is test-network's job.
package network

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/statledger/statledger/chaincode/ledger"
)

// DefaultFile is the demo consortium definition, relative to the repository root.
const DefaultFile = "network/consortium.yaml"

// maxDefinitionBytes bounds the definition file; real ones are a few KiB.
const maxDefinitionBytes = 1 << 20

// Definition is the declarative description of a consortium and its network.
type Definition struct {
	Name      string     `yaml:"name"`
	Channel   string     `yaml:"channel"`
	Chaincode string     `yaml:"chaincode"`
	Threshold int        `yaml:"threshold"`
	BasePort  int        `yaml:"basePort"`
	Orderer   OrdererOrg `yaml:"orderer"`
	Orgs      []Org      `yaml:"orgs"`
}

// OrdererOrg is the organisation that runs the Raft ordering service.
type OrdererOrg struct {
	Name  string `yaml:"name"`
	MSPID string `yaml:"mspID"`
	Nodes int    `yaml:"nodes"`
}

// Org is a consortium organisation with one peer.
type Org struct {
	Name      string        `yaml:"name"`
	MSPID     string        `yaml:"mspID"`
	Roles     []ledger.Role `yaml:"roles"`
	KeyHolder bool          `yaml:"keyHolder"`
}

var (
	namePattern    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,31}$`)
	channelPattern = regexp.MustCompile(`^[a-z][a-z0-9.-]{0,48}$`)
	knownRoles     = []ledger.Role{ledger.RoleMember, ledger.RoleProvider, ledger.RoleAnalyst, ledger.RoleWorker, ledger.RoleAuditor}
)

// Load reads and validates a definition file.
func Load(path string) (Definition, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Definition{}, fmt.Errorf("read consortium definition: %w", err)
	}
	d, err := Parse(data)
	if err != nil {
		return Definition{}, fmt.Errorf("consortium definition %s: %w", path, err)
	}
	return d, nil
}

// Parse decodes a definition strictly (unknown fields are errors) and validates it.
func Parse(data []byte) (Definition, error) {
	if len(data) > maxDefinitionBytes {
		return Definition{}, fmt.Errorf("definition is %d bytes, more than the %d allowed", len(data), maxDefinitionBytes)
	}
	var d Definition
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil {
		return Definition{}, fmt.Errorf("decode: %w", err)
	}
	if err := d.Validate(); err != nil {
		return Definition{}, err
	}
	return d, nil
}

// Validate checks names, roles, ports and the threshold.
func (d Definition) Validate() error {
	var errs []error
	if !namePattern.MatchString(strings.ReplaceAll(d.Name, "-", "")) {
		errs = append(errs, fmt.Errorf("name %q: letters, digits and dashes, starting with a letter", d.Name))
	}
	if !channelPattern.MatchString(d.Channel) {
		errs = append(errs, fmt.Errorf("channel %q: lower-case letters, digits, dots and dashes", d.Channel))
	}
	if !channelPattern.MatchString(d.Chaincode) {
		errs = append(errs, fmt.Errorf("chaincode %q: lower-case letters, digits, dots and dashes", d.Chaincode))
	}
	if d.BasePort < 1024 || d.BasePort > 65535-portSpan {
		errs = append(errs, fmt.Errorf("basePort %d: must be between 1024 and %d", d.BasePort, 65535-portSpan))
	}
	if !namePattern.MatchString(d.Orderer.Name) || d.Orderer.MSPID == "" {
		errs = append(errs, fmt.Errorf("orderer: needs a name (letters and digits) and an mspID"))
	}
	if d.Orderer.Nodes != 1 && d.Orderer.Nodes != 3 {
		errs = append(errs, fmt.Errorf("orderer.nodes %d: must be 1 or 3", d.Orderer.Nodes))
	}
	if len(d.Orgs) == 0 || len(d.Orgs) > maxOrgs {
		errs = append(errs, fmt.Errorf("orgs: between 1 and %d organisations", maxOrgs))
	}
	seen := map[string]bool{d.Orderer.Name: true, d.Orderer.MSPID: true}
	for i, o := range d.Orgs {
		if !namePattern.MatchString(o.Name) {
			errs = append(errs, fmt.Errorf("orgs[%d].name %q: letters and digits, starting with a letter", i, o.Name))
		}
		if o.MSPID == "" {
			errs = append(errs, fmt.Errorf("orgs[%d].mspID: required", i))
		}
		for _, key := range []string{o.Name, o.MSPID} {
			if seen[key] {
				errs = append(errs, fmt.Errorf("orgs[%d]: %q is used twice", i, key))
			}
			seen[key] = true
		}
		if len(o.Roles) == 0 {
			errs = append(errs, fmt.Errorf("orgs[%d].roles: at least one role", i))
		}
		for _, r := range o.Roles {
			if !slices.Contains(knownRoles, r) {
				errs = append(errs, fmt.Errorf("orgs[%d].roles: unknown role %q (known: %v)", i, r, knownRoles))
			}
		}
		if o.KeyHolder && !slices.Contains(o.Roles, ledger.RoleMember) {
			errs = append(errs, fmt.Errorf("orgs[%d]: a key holder must have the member role", i))
		}
	}
	if len(d.Members()) == 0 {
		errs = append(errs, errors.New("orgs: at least one organisation needs the member role"))
	}
	if n := len(d.KeyHolders()); d.Threshold < 1 || d.Threshold > n {
		errs = append(errs, fmt.Errorf("threshold %d: must be between 1 and the number of key holders (%d)", d.Threshold, n))
	}
	return errors.Join(errs...)
}

// Members returns the organisations with the member role, in definition order.
func (d Definition) Members() []Org {
	return d.orgsWith(func(o Org) bool { return slices.Contains(o.Roles, ledger.RoleMember) })
}

// KeyHolders returns the organisations that hold a decryption-key share.
func (d Definition) KeyHolders() []Org {
	return d.orgsWith(func(o Org) bool { return o.KeyHolder })
}

func (d Definition) orgsWith(keep func(Org) bool) []Org {
	var out []Org
	for _, o := range d.Orgs {
		if keep(o) {
			out = append(out, o)
		}
	}
	return out
}

// Org returns the organisation with the given name or MSP ID.
func (d Definition) Org(nameOrMSPID string) (Org, bool) {
	for _, o := range d.Orgs {
		if o.Name == nameOrMSPID || o.MSPID == nameOrMSPID {
			return o, true
		}
	}
	return Org{}, false
}

// LedgerConsortium is the chaincode's initial consortium record for this definition.
func (d Definition) LedgerConsortium() ledger.Consortium {
	c := ledger.Consortium{Name: d.Name, Threshold: d.Threshold}
	for _, o := range d.Orgs {
		c.Orgs = append(c.Orgs, ledger.Org{Name: o.Name, MSPID: o.MSPID, Roles: slices.Clone(o.Roles), KeyHolder: o.KeyHolder})
	}
	return c
}

// EndorsementPolicy is the chaincode's signature policy: a majority of the member
// organisations' peers.
func (d Definition) EndorsementPolicy() string {
	members := d.Members()
	principals := make([]string, len(members))
	for i, o := range members {
		principals[i] = fmt.Sprintf("'%s.peer'", o.MSPID)
	}
	return fmt.Sprintf("OutOf(%d,%s)", len(members)/2+1, strings.Join(principals, ","))
}
