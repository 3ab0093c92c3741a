package network

import (
	"bytes"
	"embed"
	"fmt"
	"text/template"
	"time"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{"domain": Domain}).ParseFS(templateFS, "templates/*.tmpl"))

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
// cryptoDir is cryptogen's output directory.
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
