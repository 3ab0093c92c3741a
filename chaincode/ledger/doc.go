// Package ledger is statledger's on-ledger domain: every record the chaincode stores (the
// consortium, collective keys, datasets, budgets, submissions, queries with their approvals,
// jobs with their leases, results, decryption shares and releases), the key layout of the
// world state, the state transitions as pure functions, the authorization table, the
// argument decoders with their size limits, the event payloads and the error codes.
//
// The package imports only the standard library and the policies package. It has no
// clock, no randomness and no I/O: every function takes the transaction time and the
// records it needs and returns new records, so the same rules run in the chaincode and in
// the off-chain code (client, worker, audit) that imports it. All functions are safe for
// concurrent use; records are plain values and transitions never modify their inputs.
//
// Errors returned by this package are *Error values whose message starts with a stable
// code (NOT_FOUND, FORBIDDEN, INVALID, CONFLICT, BUDGET_EXCEEDED, BAD_STATE, INTERNAL).
// The chaincode returns them unchanged, and off-chain code turns a transaction's error
// message back into an *Error with ParseError, so that errors.Is(err, ErrBudgetExceeded)
// works across the wire.
package ledger
