// Package testnetwork runs a real Hyperledger Fabric network on one machine as native
// processes, without Docker, in the manner of fabric-samples' test-network-nano-bash: one
// or three Raft orderers, one peer per consortium organisation, TLS everywhere, the
// application channel created through the channel participation API, and the statledger
// chaincode deployed as a service through the project's own external builder.
//
// Everything is generated from the consortium definition (package network) into a state
// directory. The fabnet command and the end-to-end test harness both use this package.
//
// A Network is not safe for concurrent use; the processes it starts outlive it and are
// stopped by PID.
package testnetwork
