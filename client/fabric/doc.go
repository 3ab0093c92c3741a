// Package fabric is statledger's one wrapper of the Hyperledger Fabric Gateway client: it
// connects an identity to its organisation's peer over TLS, submits and evaluates
// transactions on the statledger chaincode with bounded retries for the transient errors
// Fabric gives while it recovers (MVCC conflicts, no orderer, discovery warming up),
// turns chaincode errors into *ledger.Error values that match ledger's sentinels with
// errors.Is, and keeps the gateway's per-peer details in the message.
//
// For an auditor, it also reads the channel's chain as the connected peer itself serves
// it: ChainInfo (height and current block hash) and Blocks (a range of blocks, streamed),
// so that the same blocks can be compared across several organisations' peers.
//
// A Client is safe for concurrent use.
package fabric
