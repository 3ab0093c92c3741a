package network

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.New("").
	Funcs(template.FuncMap{"domain": Domain, "q": quoteYAML}).
	ParseFS(templateFS, "templates/*.tmpl"))

// quoteYAML writes s as a YAML double-quoted scalar, so that no value (a name like Null, a
// path with " #" or ": " in it) can change the document's structure or read back as
// another type. Printable ASCII is written as is, '"' and '\' escaped, and everything
// else as a \u or \U escape, which YAML (and configtxgen's reader) decode. It refuses
// invalid UTF-8, which a YAML document cannot hold.
func quoteYAML(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%q is not valid UTF-8", clip(s))
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r <= 0xffff:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			fmt.Fprintf(&b, "\\U%08X", r)
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}

// OutsiderOrg is an organisation that cryptogen issues identities for but that is not on
// the channel; tests use it to prove that outsiders are refused.
var OutsiderOrg = Org{Name: "Outsider", MSPID: "OutsiderMSP"}

// CryptoConfig renders cryptogen's input: the orderer organisation with one identity per
// Raft node, every consortium organisation plus OutsiderOrg with one peer, an admin and
// one user, and loopback SANs on every TLS certificate.
func (d Definition) CryptoConfig() ([]byte, error) {
	orgs := append(append([]Org{}, d.Orgs...), OutsiderOrg)
	return render("crypto-config.yaml.tmpl", struct {
		Layout Layout
		Orgs   []Org
	}{d.Layout(), orgs})
}

// ConfigTx renders configtxgen's input for the application channel, whose genesis block
// names the orderer organisation and the consortium organisations (with anchor peers).
// cryptoDir is cryptogen's output directory; any path is quoted, and only one that is not
// valid UTF-8 is refused with an error.
func (d Definition) ConfigTx(cryptoDir string, batchTimeout time.Duration) ([]byte, error) {
	return render("configtx.yaml.tmpl", struct {
		Layout       Layout
		CryptoDir    string
		BatchTimeout string
	}{d.Layout(), cryptoDir, batchTimeout.String()})
}

func render(name string, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}
