package testnetwork

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/statledger/statledger/network"
)

// DefaultBatchTimeout is the orderer's batch timeout: short, so that a commit takes well
// under a quarter of a second (FABRIC-NOTES.md measured 0.28 s at 200 ms and 0.13 s at
// 50 ms); a query's eight transactions from request to release then fit in about a second.
const DefaultBatchTimeout = 100 * time.Millisecond

// Options says where a network's inputs are and where its state goes.
type Options struct {
	// Definition is the consortium to run.
	Definition network.Definition
	// StateDir receives generated configuration, ledgers, logs and PID files.
	StateDir string
	// FabricDir holds the Fabric build: bin/ (peer, orderer, configtxgen, cryptogen,
	// osnadmin) and config/ (Fabric's sample core.yaml and orderer.yaml).
	FabricDir string
	// BinDir holds statledger's own binaries: statledger-cc (the chaincode server) and
	// ccaas-builder (the external builder).
	BinDir string
	// BatchTimeout is the orderer batch timeout; zero means DefaultBatchTimeout.
	BatchTimeout time.Duration
	// Progress receives one line per step; nil discards them.
	Progress io.Writer
}

// Network is a local Fabric network described by Options.
type Network struct {
	opts   Options
	layout network.Layout
}

// New checks that the binaries the network needs exist and returns the network.
// It starts nothing.
func New(opts Options) (*Network, error) {
	if opts.BatchTimeout == 0 {
		opts.BatchTimeout = DefaultBatchTimeout
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	var err error
	for _, dir := range []*string{&opts.StateDir, &opts.FabricDir, &opts.BinDir} {
		if *dir, err = filepath.Abs(*dir); err != nil {
			return nil, fmt.Errorf("resolve path: %w", err)
		}
	}
	n := &Network{opts: opts, layout: opts.Definition.Layout()}
	var missing []error
	for _, bin := range []string{"peer", "orderer", "configtxgen", "cryptogen", "osnadmin"} {
		if _, err := os.Stat(n.fabricBin(bin)); err != nil {
			missing = append(missing, fmt.Errorf("fabric binary %s is missing (run `make fabric`)", n.fabricBin(bin)))
		}
	}
	for _, f := range []string{"core.yaml", "orderer.yaml"} {
		if _, err := os.Stat(filepath.Join(opts.FabricDir, "config", f)); err != nil {
			missing = append(missing, fmt.Errorf("fabric sample config %s is missing (run `make fabric`)", f))
		}
	}
	for _, bin := range []string{chaincodeServerBinary, builderBinary} {
		if _, err := os.Stat(filepath.Join(opts.BinDir, bin)); err != nil {
			missing = append(missing, fmt.Errorf("binary %s is missing (run `make build`)", filepath.Join(opts.BinDir, bin)))
		}
	}
	if err := errors.Join(missing...); err != nil {
		return nil, err
	}
	return n, nil
}

// Layout returns the network's nodes and ports.
func (n *Network) Layout() network.Layout { return n.layout }

// Definition returns the consortium definition the network runs.
func (n *Network) Definition() network.Definition { return n.opts.Definition }

// StateDir returns the directory that holds the network's generated state.
func (n *Network) StateDir() string { return n.opts.StateDir }

func (n *Network) progress(format string, args ...any) {
	fmt.Fprintf(n.opts.Progress, format+"\n", args...)
}

func (n *Network) fabricBin(name string) string {
	return filepath.Join(n.opts.FabricDir, "bin", name)
}

func (n *Network) path(elem ...string) string {
	return filepath.Join(append([]string{n.opts.StateDir}, elem...)...)
}
