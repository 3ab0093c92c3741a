// Package network holds statledger's consortium definition (organisations, their roles, the
// key holders and the decryption threshold) and turns it into what a Fabric network needs:
// node layout and ports, cryptogen and configtxgen input, and the chaincode's initial
// consortium record. It only computes; starting processes is test-network's job.
package network

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/statledger/statledger/chaincode/ledger"
)

// DefaultFile is the demo consortium definition, relative to the repository root.
const DefaultFile = "network/consortium.yaml"

// maxDefinitionBytes bounds the definition file; real ones are a few KiB, and sixteen
// organisations fit in under 4 KiB.
const maxDefinitionBytes = 64 << 10

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
	// namePattern is the rule for organisation names, which become YAML values, domains
	// (lower-cased) and directory names.
	namePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,31}$`)
	// consortiumNamePattern is the rule for the consortium's name.
	consortiumNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,63}$`)
	channelPattern        = regexp.MustCompile(`^[a-z][a-z0-9.-]{0,48}$`)
	// chaincodePattern is the Fabric lifecycle's rule for chaincode names
	// (core/chaincode/lifecycle/scc.go, ChaincodeNameRegExp).
	chaincodePattern = regexp.MustCompile(`^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$`)
	knownRoles       = []ledger.Role{ledger.RoleMember, ledger.RoleProvider, ledger.RoleAnalyst, ledger.RoleWorker, ledger.RoleAuditor}
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

// Parse decodes a definition strictly and validates it. The data must be one YAML document
// of at most 64 KiB; unknown and repeated keys, merge keys, anchors and aliases are
// refused before the typed decode, in time linear in the size of the data. It returns a
// zero Definition with any error; an empty document gives an error saying so.
func Parse(data []byte) (Definition, error) {
	if len(data) > maxDefinitionBytes {
		return Definition{}, fmt.Errorf("definition is %d bytes, more than the %d allowed", len(data), maxDefinitionBytes)
	}
	root, err := decodeDocument(data)
	if err != nil {
		return Definition{}, err
	}
	if err := checkShape(root, reflect.TypeFor[Definition]()); err != nil {
		return Definition{}, err
	}
	var d Definition
	if err := root.Decode(&d); err != nil {
		return Definition{}, fmt.Errorf("decode: %w", err)
	}
	if err := d.Validate(); err != nil {
		return Definition{}, err
	}
	return d, nil
}

// Validate checks names, MSP IDs, roles, ports and the threshold, so that what it accepts
// also passes cryptogen, configtxgen, the Fabric lifecycle and the chaincode's
// InitConsortium. It reports every problem at once, as errors joined with errors.Join.
func (d Definition) Validate() error {
	var errs []error
	if !consortiumNamePattern.MatchString(d.Name) {
		errs = append(errs, fmt.Errorf("name %q: letters, digits and dashes, starting with a letter, at most 64", clip(d.Name)))
	}
	if !channelPattern.MatchString(d.Channel) {
		errs = append(errs, fmt.Errorf("channel %q: lower-case letters, digits, dots and dashes", clip(d.Channel)))
	}
	if !chaincodePattern.MatchString(d.Chaincode) {
		errs = append(errs, fmt.Errorf("chaincode %q: letters and digits, in groups joined by single dashes or underscores (Fabric's lifecycle rule)", clip(d.Chaincode)))
	}
	if d.BasePort < 1024 || d.BasePort > 65535-portSpan {
		errs = append(errs, fmt.Errorf("basePort %d: must be between 1024 and %d", d.BasePort, 65535-portSpan))
	}
	if !namePattern.MatchString(d.Orderer.Name) || d.Orderer.MSPID == "" {
		errs = append(errs, fmt.Errorf("orderer: needs a name (letters and digits) and an mspID"))
	} else if err := validateMSPID(d.Orderer.MSPID); err != nil {
		errs = append(errs, fmt.Errorf("orderer.mspID %w", err))
	}
	if d.Orderer.MSPID == OutsiderOrg.MSPID || strings.EqualFold(d.Orderer.Name, OutsiderOrg.Name) {
		errs = append(errs, fmt.Errorf("orderer: %q and %q are reserved for the test organisation outside the channel", OutsiderOrg.Name, OutsiderOrg.MSPID))
	}
	if d.Orderer.Nodes != 1 && d.Orderer.Nodes != 3 {
		errs = append(errs, fmt.Errorf("orderer.nodes %d: must be 1 or 3", d.Orderer.Nodes))
	}
	if len(d.Orgs) == 0 || len(d.Orgs) > maxOrgs {
		errs = append(errs, fmt.Errorf("orgs: between 1 and %d organisations", maxOrgs))
	}
	// seen holds every name and MSP ID, to refuse lookups that would be ambiguous;
	// folded holds names in lower case, as Domain writes them.
	seen := map[string]bool{d.Orderer.Name: true, d.Orderer.MSPID: true}
	folded := map[string]string{strings.ToLower(d.Orderer.Name): d.Orderer.Name}
	for i, o := range d.Orgs {
		if !namePattern.MatchString(o.Name) {
			errs = append(errs, fmt.Errorf("orgs[%d].name %q: letters and digits, starting with a letter", i, clip(o.Name)))
		}
		if o.MSPID == "" {
			errs = append(errs, fmt.Errorf("orgs[%d].mspID: required", i))
		} else if err := validateMSPID(o.MSPID); err != nil {
			errs = append(errs, fmt.Errorf("orgs[%d].mspID %w", i, err))
		}
		if strings.EqualFold(o.Name, OutsiderOrg.Name) || o.MSPID == OutsiderOrg.MSPID {
			errs = append(errs, fmt.Errorf("orgs[%d]: %q and %q are reserved for the test organisation outside the channel", i, OutsiderOrg.Name, OutsiderOrg.MSPID))
		}
		for _, key := range []string{o.Name, o.MSPID} {
			if seen[key] {
				errs = append(errs, fmt.Errorf("orgs[%d]: %q is used twice", i, clip(key)))
			}
			seen[key] = true
		}
		if other, ok := folded[strings.ToLower(o.Name)]; ok && other != o.Name {
			errs = append(errs, fmt.Errorf("orgs[%d].name %q: differs from %q only in case, and domains ignore case", i, clip(o.Name), clip(other)))
		}
		folded[strings.ToLower(o.Name)] = o.Name
		if len(o.Roles) == 0 {
			errs = append(errs, fmt.Errorf("orgs[%d].roles: at least one role", i))
		}
		for j, r := range o.Roles {
			if !slices.Contains(knownRoles, r) {
				errs = append(errs, fmt.Errorf("orgs[%d].roles: unknown role %q (known: %v)", i, clip(string(r)), knownRoles))
			} else if slices.Contains(o.Roles[:j], r) {
				errs = append(errs, fmt.Errorf("orgs[%d].roles: role %q is listed twice", i, r))
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

// validateMSPID applies the ledger's rule for IDs (ledger.ValidateID, what InitConsortium
// accepts) and refuses '_' as well, which Fabric's policy syntax does not allow in an MSP
// ID ('MSPID.role' must match [[:alnum:].-]+ before the role).
func validateMSPID(id string) error {
	if ledger.ValidateID("MSP ID", id) != nil || strings.Contains(id, "_") {
		return fmt.Errorf("%q: letters, digits, dots and dashes, starting with a letter or digit, at most %d", clip(id), ledger.MaxIDLength)
	}
	return nil
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
