// Package nettest gives end-to-end tests a real local Fabric network: it reuses the
// network `make network-up` started, if that one runs, and otherwise builds statledger's
// binaries and starts a fresh network in a temporary state directory, which Stop tears
// down and removes. Fabric's binaries must have been built (`make fabric`).
//
// Setting EnvBasePort (STATLEDGER_E2E_BASE_PORT) to a port number always starts a fresh
// network whose ports begin there, so that several test runs can share a machine.
// Setting EnvOrderers (STATLEDGER_E2E_ORDERERS) to 1 or 3 always starts a fresh network
// with that many Raft orderers.
package nettest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/statledger/statledger/client/fabric"
	"github.com/statledger/statledger/network"
	testnetwork "github.com/statledger/statledger/test-network"
)

// Environment variables that make Start build a fresh network unlike the default one.
const (
	// EnvBasePort moves a fresh network's ports.
	EnvBasePort = "STATLEDGER_E2E_BASE_PORT"
	// EnvOrderers sets the number of Raft orderers (1 or 3).
	EnvOrderers = "STATLEDGER_E2E_ORDERERS"
)

// Env is a running network for tests.
type Env struct {
	// Net is the network; tests may stop and start its nodes.
	Net *testnetwork.Network
	// Fresh says whether this Env started the network (and Stop will remove it).
	Fresh bool
	// StartTime is how long bringing the fresh network to readiness took.
	StartTime time.Duration
	// BinDir holds statledger's binaries, built by Start: the statledger CLI, the
	// chaincode servers and the chaincode builder.
	BinDir string
}

// Start returns a ready network. progress receives the network's step lines.
func Start(ctx context.Context, progress func(string, ...any)) (*Env, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	def, err := network.Load(filepath.Join(root, network.DefaultFile))
	if err != nil {
		return nil, err
	}
	reuse := true
	for name, field := range map[string]*int{EnvBasePort: &def.BasePort, EnvOrderers: &def.Orderer.Nodes} {
		v := os.Getenv(name)
		if v == "" {
			continue
		}
		if *field, err = strconv.Atoi(v); err != nil {
			return nil, fmt.Errorf("%s=%q: not a number", name, v)
		}
		if err := def.Validate(); err != nil {
			return nil, fmt.Errorf("%s=%q: %w", name, v, err)
		}
		reuse = false
	}
	binDir := filepath.Join(root, ".build", "bin")
	if err := buildBinaries(ctx, root, binDir); err != nil {
		return nil, err
	}
	opts := testnetwork.Options{
		Definition: def,
		StateDir:   filepath.Join(root, "test-network", "state"),
		FabricDir:  filepath.Join(root, ".build", "fabric"),
		BinDir:     binDir,
		Progress:   logWriter(progress),
	}
	if existing, err := testnetwork.New(opts); reuse && err == nil {
		if s, err := existing.Status(); err == nil && s.Up() {
			progress("reusing the network running in %s", opts.StateDir)
			return &Env{Net: existing, BinDir: binDir}, nil
		}
	}
	if opts.StateDir, err = os.MkdirTemp("", "statledger-e2e-"); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	n, err := testnetwork.New(opts)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	if _, err := n.Up(ctx); err != nil {
		_ = n.Down(false)
		return nil, fmt.Errorf("start network (state kept in %s): %w", opts.StateDir, err)
	}
	return &Env{Net: n, Fresh: true, StartTime: time.Since(t0), BinDir: binDir}, nil
}

// Stop tears down a network this Env started and removes its state; a reused network is
// left running.
func (e *Env) Stop() error {
	if !e.Fresh {
		return nil
	}
	return e.Net.Down(true)
}

// Connect returns a gateway client acting as the ordinary user of an organisation (name or
// MSP ID, or network.OutsiderOrg's), connected to that organisation's peer.
func (e *Env) Connect(org string, opts ...fabric.Option) (*fabric.Client, error) {
	return e.ConnectTo(org, e.Net.Layout().ChaincodeName, opts...)
}

// ConnectTo is Connect for another chaincode on the channel, such as
// testnetwork.BenchChaincode.
func (e *Env) ConnectTo(org, chaincode string, opts ...fabric.Option) (*fabric.Client, error) {
	id, err := e.Net.User(org)
	if err != nil {
		return nil, err
	}
	return fabric.Connect(id, fabric.Target{Channel: e.Net.Layout().ChannelID, Chaincode: chaincode}, opts...)
}

func buildBinaries(ctx context.Context, root, binDir string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", binDir+string(os.PathSeparator),
		"./client/cmd/statledger", "./chaincode/cmd/statledger-cc", "./chaincode/cmd/benchkv-cc", "./test-network/cmd/ccaas-builder")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build the statledger CLI, chaincode servers and builder: %w: %s", err, out)
	}
	return nil
}

// repoRoot finds the module root above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, network.DefaultFile)); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no statledger repository above the working directory")
		}
		dir = parent
	}
}

type logWriter func(string, ...any)

func (w logWriter) Write(p []byte) (int, error) {
	w("%s", string(p))
	return len(p), nil
}
