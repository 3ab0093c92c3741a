package testnetwork

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/statledger/statledger/network"
)

// generated reports whether the state directory already holds generated configuration.
func (n *Network) generated() bool {
	_, err := os.Stat(n.genesisBlock())
	return err == nil
}

func (n *Network) genesisBlock() string { return n.path("channel", "genesis.block") }

// generate writes crypto material, the genesis block, node configs, the external builder
// and the chaincode package into the state directory.
func (n *Network) generate(ctx context.Context) error {
	def := n.opts.Definition
	for _, dir := range []string{"config", "channel", "logs", "pids"} {
		if err := os.MkdirAll(n.path(dir), 0o755); err != nil {
			return fmt.Errorf("create state directory: %w", err)
		}
	}
	cryptoConfig, err := def.CryptoConfig()
	if err != nil {
		return err
	}
	if err := os.WriteFile(n.path("config", "crypto-config.yaml"), cryptoConfig, 0o644); err != nil {
		return fmt.Errorf("write crypto-config: %w", err)
	}
	if _, err := n.run(ctx, nil, n.fabricBin("cryptogen"), "generate",
		"--config", n.path("config", "crypto-config.yaml"), "--output", n.cryptoDir()); err != nil {
		return fmt.Errorf("generate crypto material: %w", err)
	}
	configTx, err := def.ConfigTx(n.cryptoDir(), n.opts.BatchTimeout)
	if err != nil {
		return err
	}
	if err := os.WriteFile(n.path("config", "configtx.yaml"), configTx, 0o644); err != nil {
		return fmt.Errorf("write configtx: %w", err)
	}
	if _, err := n.run(ctx, nil, n.fabricBin("configtxgen"), "-profile", "ApplicationChannel",
		"-channelID", n.layout.ChannelID, "-outputBlock", n.genesisBlock(),
		"-configPath", n.path("config")); err != nil {
		return fmt.Errorf("generate genesis block: %w", err)
	}
	for _, o := range n.layout.Orderers {
		if err := n.writeOrdererConfig(o); err != nil {
			return err
		}
	}
	for _, p := range n.layout.Peers {
		if err := n.writePeerConfig(p); err != nil {
			return err
		}
	}
	if err := n.installBuilder(); err != nil {
		return err
	}
	return n.writeChaincodePackage(n.statledgerChaincode())
}

func (n *Network) ordererConfigDir(o network.Orderer) string { return n.path("orderers", o.Name) }

func (n *Network) peerConfigDir(p network.Peer) string { return n.path("peers", p.Org.Name) }

func (n *Network) writeOrdererConfig(o network.Orderer) error {
	cfg, err := loadYAMLConfig(filepath.Join(n.opts.FabricDir, "config", "orderer.yaml"))
	if err != nil {
		return err
	}
	node := n.ordererNodeDir(o)
	dir := n.ordererConfigDir(o)
	tls := filepath.Join(node, "tls")
	settings := map[string]any{
		"General.ListenAddress":             "127.0.0.1",
		"General.ListenPort":                o.ListenPort,
		"General.TLS.Enabled":               true,
		"General.TLS.PrivateKey":            filepath.Join(tls, "server.key"),
		"General.TLS.Certificate":           filepath.Join(tls, "server.crt"),
		"General.TLS.RootCAs":               []string{filepath.Join(tls, "ca.crt")},
		"General.Cluster.ClientCertificate": filepath.Join(tls, "server.crt"),
		"General.Cluster.ClientPrivateKey":  filepath.Join(tls, "server.key"),
		"General.Cluster.RootCAs":           []string{filepath.Join(tls, "ca.crt")},
		"General.BootstrapMethod":           "none",
		"General.LocalMSPDir":               filepath.Join(node, "msp"),
		"General.LocalMSPID":                n.layout.OrdererMSPID,
		"FileLedger.Location":               filepath.Join(dir, "data"),
		"Consensus.WALDir":                  filepath.Join(dir, "data", "etcdraft", "wal"),
		"Consensus.SnapDir":                 filepath.Join(dir, "data", "etcdraft", "snapshot"),
		"Operations.ListenAddress":          "127.0.0.1:" + strconv.Itoa(o.OpsPort),
		"Operations.TLS.Enabled":            false,
		"Metrics.Provider":                  "prometheus",
		"Admin.ListenAddress":               "127.0.0.1:" + strconv.Itoa(o.AdminPort),
		"Admin.TLS.Enabled":                 true,
		"Admin.TLS.PrivateKey":              filepath.Join(tls, "server.key"),
		"Admin.TLS.Certificate":             filepath.Join(tls, "server.crt"),
		"Admin.TLS.RootCAs":                 []string{filepath.Join(tls, "ca.crt")},
		"Admin.TLS.ClientAuthRequired":      true,
		"Admin.TLS.ClientRootCAs":           []string{n.ordererTLSCA()},
		"ChannelParticipation.Enabled":      true,
	}
	for k, v := range settings {
		cfg.set(k, v)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create orderer directory: %w", err)
	}
	return cfg.write(filepath.Join(dir, "orderer.yaml"))
}

func (n *Network) writePeerConfig(p network.Peer) error {
	cfg, err := loadYAMLConfig(filepath.Join(n.opts.FabricDir, "config", "core.yaml"))
	if err != nil {
		return err
	}
	node := n.peerNodeDir(p)
	dir := n.peerConfigDir(p)
	tls := filepath.Join(node, "tls")
	addr := "127.0.0.1:" + strconv.Itoa(p.ListenPort)
	cc := "127.0.0.1:" + strconv.Itoa(p.ChaincodePort)
	settings := map[string]any{
		"peer.id":                      p.Host,
		"peer.networkId":               n.opts.Definition.Name,
		"peer.listenAddress":           addr,
		"peer.address":                 addr,
		"peer.chaincodeListenAddress":  cc,
		"peer.chaincodeAddress":        cc,
		"peer.gossip.bootstrap":        addr,
		"peer.gossip.endpoint":         addr,
		"peer.gossip.externalEndpoint": addr,
		// Peers join the channel one after the other: a peer that reaches another
		// organisation's anchor peer before that one has joined is refused, and tries again
		// only after reconnectInterval (25 s in the sample), so discovery could not plan an
		// endorsement for half a minute after start-up.
		"peer.gossip.reconnectInterval": "2s",
		"peer.tls.enabled":              true,
		"peer.tls.cert.file":            filepath.Join(tls, "server.crt"),
		"peer.tls.key.file":             filepath.Join(tls, "server.key"),
		"peer.tls.rootcert.file":        filepath.Join(tls, "ca.crt"),
		"peer.mspConfigPath":            filepath.Join(node, "msp"),
		"peer.localMspId":               p.Org.MSPID,
		"peer.fileSystemPath":           filepath.Join(dir, "data"),
		"ledger.snapshots.rootDir":      filepath.Join(dir, "data", "snapshots"),
		"operations.listenAddress":      "127.0.0.1:" + strconv.Itoa(p.OpsPort),
		"operations.tls.enabled":        false,
		"metrics.provider":              "prometheus",
		// No Docker here: an empty endpoint in core.yaml itself (an empty environment
		// variable does not override it) and an external builder for chaincode.
		"vm.endpoint": "",
		"chaincode.externalBuilders": []map[string]any{{
			"name": "statledger-ccaas",
			"path": n.builderDir(),
		}},
	}
	for k, v := range settings {
		cfg.set(k, v)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create peer directory: %w", err)
	}
	return cfg.write(filepath.Join(dir, "core.yaml"))
}
