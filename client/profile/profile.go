// Package profile reads the statledger CLI's per-identity profile: which organisation and
// identity the user acts as, which peer to talk to, where the identity's certificate, key
// and key share live, where the blob store is, and the default output format.
//
// A profile is a small YAML file (JSON works too), decoded strictly: unknown or repeated
// fields, several documents, anchors and files over MaxSize are refused. Relative file
// paths in it are resolved against the directory of the profile file, so a profile can
// sit next to its crypto material. Secrets are never inline: the private key, the
// certificates and the key share are file paths, and Validate refuses PEM text in their
// place and passwords or tokens in the blob store URL.
//
// The CLI reads one profile per run: Load the file, Apply the environment (FromEnv, with
// the STATLEDGER_* variables listed in Fields) and then the flags the user set, in that
// order so flags win, then Validate. Resolve does all four. Validate reports every wrong
// field at once, each as a *FieldError that names the field and where its value came
// from.
//
// Example:
//
//	name: statoffice-analyst
//	org: StatOffice
//	mspID: StatOfficeMSP
//	peerEndpoint: localhost:7051
//	tlsCAFile: crypto/peer-tls-ca.pem
//	certFile: crypto/analyst-cert.pem
//	keyFile: crypto/analyst-key.pem
//	blobStoreURL: blobs            # a directory, or file:///..., s3://bucket?region=...
//	keySharePath: keys/share.age   # key holders only
//	ageIdentityFile: keys/age.key  # seals the key share at rest
//	output: table
//	peers:                         # auditors: other organisations' peers to compare with
//	  - org: HospitalA
//	    endpoint: localhost:7061
//	    tlsCAFile: crypto/hospitala-tls-ca.pem
//	    serverName: peer0.hospitala.example  # optional: the name in the peer's TLS certificate
//
// The peers list is the one field that is not a single value; it is set in the file or
// with AddPeer, not from the environment.
//
// The package reads files only in Load and CheckFiles and never logs. A Profile is a
// plain value, safe for concurrent reads.
package profile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxSize is the largest profile file, in bytes, that Load and Parse accept.
const MaxSize = 64 << 10

// Defaults of the optional fields: the demo network's channel and chaincode
// (network/consortium.yaml) and the CLI's text output.
const (
	DefaultChannel   = "statistics"
	DefaultChaincode = "statledger"
	DefaultOutput    = "table"
)

// Outputs are the values of the output field, the CLI's --output formats.
var Outputs = []string{"table", "json"}

// EnvProfile is the environment variable that names the profile file when the CLI's
// --profile flag is not given.
const EnvProfile = "STATLEDGER_PROFILE"

// ErrTooLarge is wrapped by Load and Parse errors for a profile longer than MaxSize.
var ErrTooLarge = errors.New("profile too large")

// ErrMalformed is wrapped by Load and Parse errors for a profile that is not one YAML
// mapping of known fields with string values, and by Apply errors for an unknown field.
var ErrMalformed = errors.New("malformed profile")

// Profile is one identity's CLI settings. Once loaded from a file, its paths are absolute
// and Channel, Chaincode and Output hold their defaults unless the file sets them.
type Profile struct {
	// Name names this profile, such as "statoffice-analyst".
	Name string `yaml:"name"`
	// Org is the organisation's name in the consortium, such as "StatOffice".
	Org string `yaml:"org"`
	// MSPID is the organisation's MSP ID, such as "StatOfficeMSP".
	MSPID string `yaml:"mspID"`
	// PeerEndpoint is the host:port of the organisation's peer gateway.
	PeerEndpoint string `yaml:"peerEndpoint"`
	// Channel is the channel of the statledger chaincode; optional in the file, with
	// default DefaultChannel.
	Channel string `yaml:"channel"`
	// Chaincode is the statledger chaincode's name; optional in the file, with default
	// DefaultChaincode.
	Chaincode string `yaml:"chaincode"`
	// TLSCAFile is the PEM file of the peer's TLS root CA.
	TLSCAFile string `yaml:"tlsCAFile"`
	// CertFile is the PEM file of the identity's signing certificate.
	CertFile string `yaml:"certFile"`
	// KeyFile is the PEM file of the identity's private key.
	KeyFile string `yaml:"keyFile"`
	// BlobStoreURL is the blob store: a file://, s3:// or mem:// URL, or a directory path,
	// which Load turns into an absolute file:// URL.
	BlobStoreURL string `yaml:"blobStoreURL"`
	// KeySharePath is the file of the organisation's secret key share; key holders only.
	KeySharePath string `yaml:"keySharePath,omitempty"`
	// AgeIdentityFile is the age identity file (X25519) that seals the key share and the
	// other secrets the CLI keeps at rest; key holders and analysts only.
	AgeIdentityFile string `yaml:"ageIdentityFile,omitempty"`
	// Output is the default output format, one of Outputs; optional in the file, with
	// default DefaultOutput.
	Output string `yaml:"output"`
	// Peers are other organisations' peers that an auditor compares the ledger's blocks
	// against, using this profile's identity; optional.
	Peers []Peer `yaml:"peers,omitempty"`

	// origin says where each field's value came from, by YAML key, for error messages.
	origin map[string]string
}

// Peer is another organisation's peer, reached with the profile's identity.
type Peer struct {
	// Org names the organisation that runs the peer, such as "HospitalA".
	Org string `yaml:"org"`
	// Endpoint is the host:port of the peer.
	Endpoint string `yaml:"endpoint"`
	// TLSCAFile is the PEM file of the peer's TLS root CA.
	TLSCAFile string `yaml:"tlsCAFile"`
	// ServerName, when set, is the host name the peer's TLS certificate carries, for a
	// peer reached at an address its certificate does not name.
	ServerName string `yaml:"serverName,omitempty"`
}

// peersKey is the YAML key of Profile.Peers.
const peersKey = "peers"

// peerKeys are the YAML keys of a Peer.
var peerKeys = []string{"org", "endpoint", "tlsCAFile", "serverName"}

// Field describes one profile field: its YAML key, its environment variable, whether it
// is a file path and whether Validate requires it (Load fills in the defaults of channel,
// chaincode and output, so a file need not set them).
type Field struct {
	// Key is the field's YAML key, such as "mspID".
	Key string
	// Env is the environment variable that overrides it, such as "STATLEDGER_MSP_ID".
	Env string
	// Path says the field is a file path.
	Path bool
	// Required says Validate refuses the field empty.
	Required bool
}

// Fields lists every profile field that takes a single value, in file order; the peers
// list follows them.
var Fields = []Field{
	{Key: "name", Env: "STATLEDGER_NAME", Required: true},
	{Key: "org", Env: "STATLEDGER_ORG", Required: true},
	{Key: "mspID", Env: "STATLEDGER_MSP_ID", Required: true},
	{Key: "peerEndpoint", Env: "STATLEDGER_PEER_ENDPOINT", Required: true},
	{Key: "channel", Env: "STATLEDGER_CHANNEL", Required: true},
	{Key: "chaincode", Env: "STATLEDGER_CHAINCODE", Required: true},
	{Key: "tlsCAFile", Env: "STATLEDGER_TLS_CA_FILE", Path: true, Required: true},
	{Key: "certFile", Env: "STATLEDGER_CERT_FILE", Path: true, Required: true},
	{Key: "keyFile", Env: "STATLEDGER_KEY_FILE", Path: true, Required: true},
	{Key: "blobStoreURL", Env: "STATLEDGER_BLOB_STORE_URL", Required: true},
	{Key: "keySharePath", Env: "STATLEDGER_KEY_SHARE_PATH", Path: true},
	{Key: "ageIdentityFile", Env: "STATLEDGER_AGE_IDENTITY_FILE", Path: true},
	{Key: "output", Env: "STATLEDGER_OUTPUT", Required: true},
}

// field returns a pointer to the field with YAML key key, or nil if there is none.
func (p *Profile) field(key string) *string {
	switch key {
	case "name":
		return &p.Name
	case "org":
		return &p.Org
	case "mspID":
		return &p.MSPID
	case "peerEndpoint":
		return &p.PeerEndpoint
	case "channel":
		return &p.Channel
	case "chaincode":
		return &p.Chaincode
	case "tlsCAFile":
		return &p.TLSCAFile
	case "certFile":
		return &p.CertFile
	case "keyFile":
		return &p.KeyFile
	case "blobStoreURL":
		return &p.BlobStoreURL
	case "keySharePath":
		return &p.KeySharePath
	case "ageIdentityFile":
		return &p.AgeIdentityFile
	case "output":
		return &p.Output
	}
	return nil
}

// Load reads the profile file at path (at most MaxSize bytes) and decodes it with Parse,
// resolving relative paths against the file's directory. It does not validate: apply
// overrides first, then call Validate. It returns the file's read error, or an error
// wrapping ErrTooLarge or ErrMalformed.
func Load(path string) (Profile, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Profile{}, fmt.Errorf("profile %s: %w", path, err)
	}
	f, err := os.Open(abs)
	if err != nil {
		return Profile{}, fmt.Errorf("read profile: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return Profile{}, fmt.Errorf("read profile %s: %w", abs, err)
	}
	p, err := parse(data, filepath.Dir(abs), "profile "+abs)
	if err != nil {
		return Profile{}, fmt.Errorf("profile %s: %w", abs, err)
	}
	return p, nil
}

// Parse decodes a profile document strictly: one YAML mapping of known fields, no anchors
// or aliases, at most MaxSize bytes. Relative paths (the file fields and a blobStoreURL
// that is a plain directory) are resolved against dir when dir is not empty. It does not
// validate. It returns an error wrapping ErrTooLarge or ErrMalformed.
func Parse(data []byte, dir string) (Profile, error) {
	return parse(data, dir, "profile")
}

func parse(data []byte, dir, source string) (p Profile, err error) {
	if len(data) > MaxSize {
		return Profile{}, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxSize)
	}
	defer func() {
		// yaml.v3 reports some malformed input by panicking.
		if r := recover(); r != nil {
			p, err = Profile{}, fmt.Errorf("%w: %v", ErrMalformed, r)
		}
	}()
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return Profile{}, fmt.Errorf("%w: the file is empty", ErrMalformed)
		}
		return Profile{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if err := dec.Decode(&yaml.Node{}); !errors.Is(err, io.EOF) {
		return Profile{}, fmt.Errorf("%w: more than one document", ErrMalformed)
	}
	if err := checkShape(&root); err != nil {
		return Profile{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	typed := yaml.NewDecoder(bytes.NewReader(data))
	typed.KnownFields(true)
	if err := typed.Decode(&p); err != nil {
		return Profile{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	p.origin = map[string]string{}
	for _, f := range Fields {
		v := p.field(f.Key)
		if *v != "" {
			p.origin[f.Key] = source
		}
		if f.Path && *v != "" {
			*v = resolve(dir, *v)
		}
	}
	p.BlobStoreURL = blobURL(dir, p.BlobStoreURL)
	for i := range p.Peers {
		p.origin[peerKey(i)] = source
		if p.Peers[i].TLSCAFile != "" {
			p.Peers[i].TLSCAFile = resolve(dir, p.Peers[i].TLSCAFile)
		}
	}
	for _, d := range []struct{ key, value string }{
		{"channel", DefaultChannel}, {"chaincode", DefaultChaincode}, {"output", DefaultOutput},
	} {
		if v := p.field(d.key); *v == "" {
			*v = d.value
			p.origin[d.key] = "default"
		}
	}
	return p, nil
}

// checkShape accepts a document that is one mapping of known, distinct field names to
// scalar values, without anchors or aliases: the only shape a profile has. It runs on the
// syntax tree before the typed decoder, which checks repeated keys in quadratic time and
// would spend minutes on a file of thousands of repeated lines.
func checkShape(root *yaml.Node) error {
	if len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a profile is a mapping of fields to values", root.Line)
	}
	m := root.Content[0]
	if m.Anchor != "" {
		return fmt.Errorf("line %d: anchors and aliases are not supported", m.Line)
	}
	return checkMapping(m, func(key string) bool {
		var p Profile
		return key == peersKey || p.field(key) != nil
	}, "a profile field", func(key string, v *yaml.Node) error {
		if key == peersKey {
			return checkPeers(v)
		}
		if v.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: every field takes a single value", v.Line)
		}
		return nil
	})
}

// checkMapping checks a mapping's keys: scalars, known, not repeated, no anchors or
// aliases; and each value with value.
func checkMapping(m *yaml.Node, known func(string) bool, what string, value func(key string, v *yaml.Node) error) error {
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		for _, n := range []*yaml.Node{k, v} {
			if n.Anchor != "" || n.Kind == yaml.AliasNode {
				return fmt.Errorf("line %d: anchors and aliases are not supported", n.Line)
			}
		}
		if k.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: every field takes a single value", k.Line)
		}
		if !known(k.Value) {
			return fmt.Errorf("line %d: field %q is not %s", k.Line, clip(k.Value), what)
		}
		if prev, ok := seen[k.Value]; ok {
			return fmt.Errorf("line %d: field %q is already set at line %d", k.Line, k.Value, prev)
		}
		seen[k.Value] = k.Line
		if err := value(k.Value, v); err != nil {
			return err
		}
	}
	return nil
}

// checkPeers checks the value of the peers field: a list of mappings of peer fields to
// single values.
func checkPeers(list *yaml.Node) error {
	if list.Kind != yaml.SequenceNode {
		return fmt.Errorf("line %d: field %q takes a list of peers, each with org, endpoint and tlsCAFile", list.Line, peersKey)
	}
	for _, item := range list.Content {
		if item.Anchor != "" || item.Kind == yaml.AliasNode {
			return fmt.Errorf("line %d: anchors and aliases are not supported", item.Line)
		}
		if item.Kind != yaml.MappingNode {
			return fmt.Errorf("line %d: a peer is a mapping of org, endpoint, tlsCAFile and serverName", item.Line)
		}
		err := checkMapping(item, func(key string) bool { return contains(peerKeys, key) }, "a peer field ("+strings.Join(peerKeys, ", ")+")",
			func(_ string, v *yaml.Node) error {
				if v.Kind != yaml.ScalarNode {
					return fmt.Errorf("line %d: every field takes a single value", v.Line)
				}
				return nil
			})
		if err != nil {
			return err
		}
	}
	return nil
}

// peerKey is the name of the i-th peer in error messages and origins: "peers[0]".
func peerKey(i int) string { return fmt.Sprintf("%s[%d]", peersKey, i) }

// resolve returns path made absolute against dir, if it is relative and dir is set, and
// cleaned. Values with line breaks (PEM text) are left alone for Validate to refuse.
func resolve(dir, path string) string {
	if strings.ContainsAny(path, "\r\n") {
		return path
	}
	if dir != "" && !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	return filepath.Clean(path)
}

// blobURL turns a blob store location that is a plain directory path into a file:// URL,
// resolving it against dir; URLs with a scheme are returned unchanged.
func blobURL(dir, loc string) string {
	if loc == "" || strings.Contains(loc, "://") || strings.ContainsAny(loc, "\r\n") {
		return loc
	}
	path := resolve(dir, loc)
	if !filepath.IsAbs(path) {
		return loc // no directory to resolve against: Validate reports it
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
}

// Override sets one field from outside the file: Key is the field's YAML key, Value its
// new value, Source says where it came from for error messages (such as
// "STATLEDGER_MSP_ID" or "flag --msp-id").
type Override struct {
	// Key is the YAML key of the field to set.
	Key string
	// Value is the field's new value.
	Value string
	// Source names where the value came from, for error messages.
	Source string
}

// FromEnv returns the overrides set in the environment, in Fields order: every STATLEDGER_*
// variable of Fields that lookup finds with a non-empty value. Pass os.LookupEnv.
func FromEnv(lookup func(string) (string, bool)) []Override {
	var out []Override
	for _, f := range Fields {
		if v, ok := lookup(f.Env); ok && v != "" {
			out = append(out, Override{Key: f.Key, Value: v, Source: f.Env})
		}
	}
	return out
}

// Apply sets the overridden fields, in order, so a later override of the same field wins.
// Relative paths in overrides are kept relative, that is relative to the working
// directory; a directory given as blobStoreURL becomes a file:// URL of its absolute path.
// It returns an error wrapping ErrMalformed for an unknown key, and changes nothing then.
func (p *Profile) Apply(overrides ...Override) error {
	for _, o := range overrides {
		if p.field(o.Key) == nil {
			return fmt.Errorf("%w: %s sets unknown field %q", ErrMalformed, o.Source, clip(o.Key))
		}
	}
	if p.origin == nil {
		p.origin = map[string]string{}
	}
	for _, o := range overrides {
		v := o.Value
		if o.Key == "blobStoreURL" {
			if wd, err := filepath.Abs("."); err == nil {
				v = blobURL(wd, v)
			}
		}
		*p.field(o.Key) = v
		p.origin[o.Key] = o.Source
	}
	return nil
}

// Resolve loads the profile file at path, applies the environment read through lookup
// (FromEnv) and then flags, and validates the result. It returns the errors of Load, Apply
// and Validate.
func Resolve(path string, lookup func(string) (string, bool), flags ...Override) (Profile, error) {
	p, err := Load(path)
	if err != nil {
		return Profile{}, err
	}
	if err := p.Apply(FromEnv(lookup)...); err != nil {
		return Profile{}, err
	}
	if err := p.Apply(flags...); err != nil {
		return Profile{}, err
	}
	if err := p.Validate(); err != nil {
		return Profile{}, err
	}
	return p, nil
}

// clip shortens a quoted value in an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// Patterns of the identifier fields.
var (
	// namePattern is a profile or organisation name.
	namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	// channelPattern is a Fabric channel name (as in network/consortium.go).
	channelPattern = regexp.MustCompile(`^[a-z][a-z0-9.-]{0,48}$`)
	// chaincodePattern is a Fabric chaincode name.
	chaincodePattern = regexp.MustCompile(`^[A-Za-z0-9]+([-_][A-Za-z0-9]+)*$`)
)

// secretParam matches URL query parameters that would carry credentials.
var secretParam = regexp.MustCompile(`(?i)secret|password|passwd|token|credential|signature`)

// blobSchemes are the blob store URL schemes statledger registers.
var blobSchemes = []string{"file", "s3", "mem"}

// FieldError says which profile field is wrong and why. Validate returns them joined.
type FieldError struct {
	// Field is the field's YAML key, such as "peerEndpoint".
	Field string
	// Source is where the value came from: "profile /path/to/file", an environment
	// variable, a flag, or empty when the field is unset.
	Source string
	// Reason says what is wrong, such as "must be set".
	Reason string
}

// Error returns a sentence such as
// `profile field "peerEndpoint" (from STATLEDGER_PEER_ENDPOINT): must be host:port`.
func (e *FieldError) Error() string {
	if e.Source == "" {
		return fmt.Sprintf("profile field %q: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("profile field %q (from %s): %s", e.Field, e.Source, e.Reason)
}

// Validate checks every field and returns nil, or every problem found joined with
// errors.Join, each a *FieldError: required fields set; name and org of letters, digits,
// '.', '_' and '-' (at most 64 bytes); an MSP ID of the same characters starting with a
// letter or digit; peerEndpoint host:port with a port from 1 to 65535; Fabric channel and
// chaincode names; file paths that are paths, not PEM text; a blob store URL with scheme file, s3 or mem and no
// password, token or secret in it; an output among Outputs; each peer with an org, an
// endpoint and a TLS CA file, an optional server name that is a host name, and no
// organisation or endpoint twice, counting the profile's own (errors name the field
// "peers[i].endpoint" and so on). It reads no file (see CheckFiles).
func (p Profile) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &FieldError{Field: key, Source: p.origin[key], Reason: fmt.Sprintf(format, args...)})
	}
	for _, f := range Fields {
		v := *p.field(f.Key)
		switch {
		case v == "" && f.Required:
			bad(f.Key, "must be set (in the profile, with %s or with a flag)", f.Env)
		case v == "":
		case f.Path:
			if reason := checkPath(v); reason != "" {
				bad(f.Key, "%s", reason)
			}
		}
	}
	for _, f := range []struct {
		key, value string
		re         *regexp.Regexp
		what       string
	}{
		{"name", p.Name, namePattern, "letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 bytes"},
		{"org", p.Org, namePattern, "letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 bytes"},
		{"mspID", p.MSPID, namePattern, "letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 bytes"},
		{"channel", p.Channel, channelPattern, "a Fabric channel name: lower-case letters, digits, '.' and '-', starting with a letter, at most 49 bytes"},
		{"chaincode", p.Chaincode, chaincodePattern, "a chaincode name: letters and digits, single '-' or '_' between them"},
	} {
		if f.value != "" && !f.re.MatchString(f.value) {
			bad(f.key, "%q is not valid: %s", clip(f.value), f.what)
		}
	}
	if p.PeerEndpoint != "" {
		if reason := checkEndpoint(p.PeerEndpoint); reason != "" {
			bad("peerEndpoint", "%s", reason)
		}
	}
	if p.BlobStoreURL != "" {
		if reason := checkBlobURL(p.BlobStoreURL); reason != "" {
			bad("blobStoreURL", "%s", reason)
		}
	}
	if p.Output != "" && !contains(Outputs, p.Output) {
		bad("output", "%q is not an output format (%s)", clip(p.Output), strings.Join(Outputs, ", "))
	}
	errs = append(errs, p.validatePeers()...)
	return errors.Join(errs...)
}

// serverNamePattern is a DNS host name, as a TLS certificate names it.
var serverNamePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$`)

// validatePeers checks every peer: org, endpoint and tlsCAFile set and well formed, an
// optional server name that is a host name, and no organisation or endpoint twice
// (counting the profile's own).
func (p Profile) validatePeers() []error {
	var errs []error
	orgs := map[string]string{p.Org: "the profile's own organisation"}
	endpoints := map[string]string{p.PeerEndpoint: "the profile's own peerEndpoint"}
	for i, peer := range p.Peers {
		key := peerKey(i)
		bad := func(field, format string, args ...any) {
			errs = append(errs, &FieldError{Field: key + "." + field, Source: p.origin[key], Reason: fmt.Sprintf(format, args...)})
		}
		switch {
		case peer.Org == "":
			bad("org", "must be set: the organisation that runs the peer")
		case !namePattern.MatchString(peer.Org):
			bad("org", "%q is not valid: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 bytes", clip(peer.Org))
		case orgs[peer.Org] != "":
			bad("org", "%s is already %s: compare different organisations' peers", peer.Org, orgs[peer.Org])
		default:
			orgs[peer.Org] = "the organisation of " + key
		}
		switch {
		case peer.Endpoint == "":
			bad("endpoint", "must be set: the peer's host:port")
		case checkEndpoint(peer.Endpoint) != "":
			bad("endpoint", "%s", checkEndpoint(peer.Endpoint))
		case endpoints[peer.Endpoint] != "":
			bad("endpoint", "%s is already %s", peer.Endpoint, endpoints[peer.Endpoint])
		default:
			endpoints[peer.Endpoint] = "the endpoint of " + key
		}
		switch {
		case peer.TLSCAFile == "":
			bad("tlsCAFile", "must be set: the PEM file of the peer's TLS root CA")
		case checkPath(peer.TLSCAFile) != "":
			bad("tlsCAFile", "%s", checkPath(peer.TLSCAFile))
		}
		if peer.ServerName != "" && (len(peer.ServerName) > 253 || !serverNamePattern.MatchString(peer.ServerName)) {
			bad("serverName", "%q is not a host name", clip(peer.ServerName))
		}
	}
	return errs
}

// ParsePeer reads a peer given on a command line, as comma-separated key=value pairs
// with the keys of a peers entry in a profile:
// "org=HospitalA,endpoint=localhost:7061,tlsCAFile=hospitala-ca.pem[,serverName=peer0.hospitala.example]".
// A relative tlsCAFile is resolved against the working directory. It checks the syntax
// only (unknown, repeated or empty keys); Validate checks the values once the peer is in
// a profile. It returns an error wrapping ErrMalformed.
func ParsePeer(spec string) (Peer, error) {
	var peer Peer
	seen := map[string]bool{}
	for _, part := range strings.Split(spec, ",") {
		key, value, ok := strings.Cut(part, "=")
		key = strings.TrimSpace(key)
		switch {
		case !ok || key == "":
			return Peer{}, fmt.Errorf("%w: peer %q: want key=value pairs separated by commas (org=...,endpoint=...,tlsCAFile=...)", ErrMalformed, clip(spec))
		case !contains(peerKeys, key):
			return Peer{}, fmt.Errorf("%w: peer %q: %q is not a peer field (%s)", ErrMalformed, clip(spec), clip(key), strings.Join(peerKeys, ", "))
		case seen[key]:
			return Peer{}, fmt.Errorf("%w: peer %q: %s is given twice", ErrMalformed, clip(spec), key)
		}
		seen[key] = true
		switch key {
		case "org":
			peer.Org = value
		case "endpoint":
			peer.Endpoint = value
		case "tlsCAFile":
			peer.TLSCAFile = value
			if wd, err := filepath.Abs("."); err == nil && value != "" {
				peer.TLSCAFile = resolve(wd, value)
			}
		case "serverName":
			peer.ServerName = value
		}
	}
	return peer, nil
}

// AddPeer appends peers set outside the file, such as with a command-line flag; source
// names where they came from, for Validate's messages.
func (p *Profile) AddPeer(source string, peers ...Peer) {
	if p.origin == nil {
		p.origin = map[string]string{}
	}
	for _, peer := range peers {
		p.origin[peerKey(len(p.Peers))] = source
		p.Peers = append(p.Peers, peer)
	}
}

// checkPath returns why a file field's value is not acceptable, or "".
func checkPath(v string) string {
	switch {
	case strings.Contains(v, "-----BEGIN") || strings.ContainsAny(v, "\r\n"):
		return "must be the path of a file, not its contents: secrets are never written inline"
	case strings.ContainsRune(v, 0):
		return "must be a file path"
	}
	return ""
}

// checkEndpoint returns why a peer endpoint is not host:port, or "".
func checkEndpoint(v string) string {
	if strings.Contains(v, "://") {
		return fmt.Sprintf("%q must be host:port, without a scheme", clip(v))
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil || host == "" {
		return fmt.Sprintf("%q must be host:port, such as localhost:7051", clip(v))
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("port %q must be a number from 1 to 65535", clip(port))
	}
	return ""
}

// checkBlobURL returns why a blob store URL is not acceptable, or "". Its messages never
// quote the URL, which might hold a credential.
func checkBlobURL(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" {
		return "must be a URL such as file:///var/lib/statledger/blobs or s3://bucket?region=eu-west-1, or a directory"
	}
	if !contains(blobSchemes, u.Scheme) {
		return fmt.Sprintf("scheme %q is not supported (%s)", clip(u.Scheme), strings.Join(blobSchemes, ", "))
	}
	if _, hasPassword := u.User.Password(); hasPassword {
		return "must not hold a password: give object-store credentials through the environment or the provider's credential files"
	}
	for name := range u.Query() {
		if secretParam.MatchString(name) {
			return fmt.Sprintf("query parameter %q would put a secret in the profile: give credentials through the environment or the provider's credential files", clip(name))
		}
	}
	if u.Scheme == "file" && (u.Path == "" || !strings.HasPrefix(u.Path, "/") || u.Host != "") {
		return "a file:// URL needs an absolute path, such as file:///var/lib/statledger/blobs"
	}
	return ""
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// CheckFiles checks that every file field that is set, and every peer's TLS CA file,
// names an existing regular file,
// and returns every problem joined, each a *FieldError. Call it after Validate, before
// connecting; it says which file is missing rather than failing later on a TLS error.
func (p Profile) CheckFiles() error {
	var errs []error
	for _, f := range Fields {
		v := *p.field(f.Key)
		if !f.Path || v == "" {
			continue
		}
		if reason := checkFile(v); reason != "" {
			errs = append(errs, &FieldError{Field: f.Key, Source: p.origin[f.Key], Reason: reason})
		}
	}
	for i, peer := range p.Peers {
		if peer.TLSCAFile == "" {
			continue
		}
		if reason := checkFile(peer.TLSCAFile); reason != "" {
			errs = append(errs, &FieldError{Field: peerKey(i) + ".tlsCAFile", Source: p.origin[peerKey(i)], Reason: reason})
		}
	}
	return errors.Join(errs...)
}

// checkFile returns why path is not an existing regular file, or "".
func checkFile(path string) string {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Sprintf("%s does not exist", path)
	case err != nil:
		return fmt.Sprintf("%s cannot be read", path)
	case !st.Mode().IsRegular():
		return fmt.Sprintf("%s is not a regular file", path)
	}
	return ""
}
