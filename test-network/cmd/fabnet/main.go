// Command fabnet brings statledger's local Fabric network up and down:
//
//	fabnet up [--orderers 3]   start (or report) the network and wait until it is ready
//	fabnet down [--purge]      stop the processes it started; --purge removes all state
//	fabnet status              list the network's processes
//	fabnet bench               measure ledger throughput on the running network
//	                           (--loads put,query measures some loads only)
//	fabnet profiles            write a statledger CLI profile per organisation (an
//	                           auditor's lists every other peer, to compare the blocks)
//	fabnet truth QUERY-ID      a released table next to the plaintext truth (demo only)
//
// Paths default to the repository layout: network/consortium.yaml, test-network/state,
// .build/fabric and .build/bin.
//
// To profile the network under a bench load, set peer.profile.enabled (and a distinct
// listenAddress per peer) in test-network/state/peers/*/core.yaml and restart it with
// fabnet down and up; chaincode servers serve pprof when CHAINCODE_PROFILE_ADDRESS is set
// in fabnet up's environment (package ccserver; the first server to start takes it).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/statledger/statledger/network"
	testnetwork "github.com/statledger/statledger/test-network"
)

// Config holds the paths and options every subcommand uses.
type Config struct {
	DefinitionFile string
	StateDir       string
	FabricDir      string
	BinDir         string
	Orderers       int
	Timeout        time.Duration
}

func main() {
	os.Exit(execute(os.Args[1:]))
}

func execute(args []string) int {
	cfg := Config{}
	root := &cobra.Command{
		Use:           "fabnet",
		Short:         "Run statledger's local Fabric network as native processes",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&cfg.DefinitionFile, "definition", network.DefaultFile, "consortium definition file")
	pf.StringVar(&cfg.StateDir, "state", "test-network/state", "directory for generated state, ledgers and logs")
	pf.StringVar(&cfg.FabricDir, "fabric", ".build/fabric", "Fabric build (bin/ and config/)")
	pf.StringVar(&cfg.BinDir, "bin", ".build/bin", "statledger binaries (statledger-cc, ccaas-builder)")
	pf.DurationVar(&cfg.Timeout, "timeout", 3*time.Minute, "how long up may take")

	up := &cobra.Command{
		Use:   "up",
		Short: "Start the network (or report it running) and wait until the chaincode is ready",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runUp(cmd.Context(), cfg) },
	}
	up.Flags().IntVar(&cfg.Orderers, "orderers", 0, "number of Raft orderers, 1 or 3 (default: the definition's)")
	var purge bool
	down := &cobra.Command{
		Use:   "down",
		Short: "Stop the network's processes by PID; --purge also removes its state",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return runDown(cfg, purge) },
	}
	down.Flags().BoolVar(&purge, "purge", false, "remove ledgers, crypto material and logs")
	status := &cobra.Command{
		Use:   "status",
		Short: "List the network's processes",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return runStatus(cfg) },
	}
	bc := BenchConfig{}
	bench := &cobra.Command{
		Use:   "bench",
		Short: "Measure the contract's transactions per second next to a bare key-value get+put on the running network",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runBench(cmd.Context(), cfg, bc, os.Stdout) },
	}
	bench.Flags().IntVar(&bc.Clients, "clients", 32, "concurrent clients per load")
	bench.Flags().DurationVar(&bc.Duration, "duration", 10*time.Second, "length of one measurement")
	bench.Flags().IntVar(&bc.Rounds, "rounds", 3, "measurements per load, a multiple of the number of loads for a balanced order; medians are reported")
	bench.Flags().Float64Var(&bc.MaxOthers, "max-others", 0.03, "share of the CPU other programs may use during a measurement before it is repeated (at most twice; 0: never)")
	bench.Flags().StringSliceVar(&bc.Loads, "loads", nil, "loads to measure, of "+strings.Join(BenchLoads, ", ")+" (default all; ratios need put)")
	var profileDir, blobDir string
	profiles := &cobra.Command{
		Use:   "profiles",
		Short: "Write a statledger CLI profile per organisation of the network",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return runProfiles(cfg, profileDir, blobDir, os.Stdout) },
	}
	profiles.Flags().StringVar(&profileDir, "dir", ".build/profiles", "directory for the profiles and key shares")
	profiles.Flags().StringVar(&blobDir, "blobs", ".build/blobs", "blob store directory the profiles share")
	var truthFiles []string
	truth := &cobra.Command{
		Use:   "truth QUERY-ID",
		Short: "Print a released table next to the plaintext truth of the providers' record files (demo only)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, ids []string) error {
			return runTruth(cmd.Context(), cfg, ids[0], truthFiles, os.Stdout)
		},
	}
	truth.Flags().StringArrayVar(&truthFiles, "file", nil, "a provider's record file (repeat for each)")
	root.AddCommand(up, down, status, bench, profiles, truth)
	root.SetArgs(args)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "fabnet:", err)
		if strings.Contains(err.Error(), "unknown") || strings.Contains(err.Error(), "accepts") || strings.Contains(err.Error(), "invalid argument") {
			return 2
		}
		return 1
	}
	return 0
}

func open(cfg Config) (*testnetwork.Network, error) {
	def, err := network.Load(cfg.DefinitionFile)
	if err != nil {
		return nil, err
	}
	if cfg.Orderers != 0 {
		def.Orderer.Nodes = cfg.Orderers
		if err := def.Validate(); err != nil {
			return nil, err
		}
	}
	return testnetwork.New(testnetwork.Options{
		Definition: def, StateDir: cfg.StateDir, FabricDir: cfg.FabricDir, BinDir: cfg.BinDir, Progress: os.Stdout,
	})
}

func runUp(ctx context.Context, cfg Config) error {
	n, err := open(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	started, err := n.Up(ctx)
	if err != nil {
		if started {
			return fmt.Errorf("%w\nnodes were started; `make network-down` stops them, logs are in %s/logs", err, n.StateDir())
		}
		return err
	}
	if !started {
		fmt.Println("the network is already running")
	}
	describe(n)
	return nil
}

func describe(n *testnetwork.Network) {
	l := n.Layout()
	fmt.Printf("channel %s, chaincode %s, endorsement %s\n", l.ChannelID, l.ChaincodeName, n.Definition().EndorsementPolicy())
	for _, o := range l.Orderers {
		fmt.Printf("  %-22s 127.0.0.1:%d  admin :%d  ops :%d\n", o.Name, o.ListenPort, o.AdminPort, o.OpsPort)
	}
	for _, p := range l.Peers {
		fmt.Printf("  %-22s 127.0.0.1:%d  ops :%d  (%s)\n", testnetwork.PeerNode(p.Org.Name), p.ListenPort, p.OpsPort, p.Org.MSPID)
	}
	fmt.Printf("  %-22s 127.0.0.1:%d\n", "chaincode", l.ChaincodePort)
	fmt.Printf("logs:       %s/logs\n", n.StateDir())
	fmt.Printf("identities: %s/crypto/peerOrganizations/<org>.statledger.local/users\n", n.StateDir())
}

func runDown(cfg Config, purge bool) error {
	n, err := open(cfg)
	if err != nil {
		return err
	}
	if err := n.Down(purge); err != nil {
		return err
	}
	if purge {
		fmt.Println("network stopped and its state removed")
	} else {
		fmt.Println("network stopped; its data is kept (`make network-down PURGE=1` removes it)")
	}
	return nil
}

func runStatus(cfg Config) error {
	n, err := open(cfg)
	if err != nil {
		return err
	}
	s, err := n.Status()
	if err != nil {
		return err
	}
	fmt.Printf("running: %s\nstopped: %s\n", strings.Join(s.Running, " "), strings.Join(s.Stopped, " "))
	return nil
}
