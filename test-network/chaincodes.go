package testnetwork

import (
	"os"
	"path/filepath"
)

// chaincode describes one chaincode-as-a-service the network can deploy: the statledger
// contract, always, and the bare key-value chaincode the benchmarks compare it with, on
// request (DeployBenchChaincode).
type chaincode struct {
	name   string // chaincode name on the channel
	label  string // package label; the package ID is label:sha256(package)
	binary string // server executable in Options.BinDir
	port   int    // the server's listen port, shared by all peers
	// statledger is true for the statledger contract, whose consortium record the
	// network initialises (InitConsortium) once the definition is committed.
	statledger bool
}

// BenchChaincode is the name of the bare key-value chaincode (Put and Get, nothing else)
// that benchmarks measure next to the statledger contract on the same network.
const BenchChaincode = "benchkv"

// BenchChaincodeBinary is the bench chaincode's server executable in Options.BinDir.
const BenchChaincodeBinary = "benchkv-cc"

func (n *Network) statledgerChaincode() chaincode {
	return chaincode{
		name: n.layout.ChaincodeName, label: chaincodeLabel, binary: chaincodeServerBinary,
		port: n.layout.ChaincodePort, statledger: true,
	}
}

// benchChaincode listens one port above the statledger chaincode, inside the port span
// the layout reserves for the network.
func (n *Network) benchChaincode() chaincode {
	return chaincode{
		name: BenchChaincode, label: BenchChaincode + "_1", binary: BenchChaincodeBinary,
		port: n.layout.BenchChaincodePort,
	}
}

// nodeName is the chaincode server's node name: "chaincode" for statledger (so logs keep
// their name), "chaincode-<name>" for others.
func (c chaincode) nodeName() string {
	if c.statledger {
		return "chaincode"
	}
	return "chaincode-" + c.name
}

// dir holds the chaincode's package and TLS material; statledger's sits directly under
// chaincode/ as in networks generated before other chaincodes existed.
func (n *Network) chaincodeDir(c chaincode) string {
	if c.statledger {
		return n.path("chaincode")
	}
	return n.path("chaincode", c.name)
}

func (n *Network) chaincodePackage(c chaincode) string {
	return filepath.Join(n.chaincodeDir(c), c.name+".tar.gz")
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
