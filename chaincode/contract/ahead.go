package contract

import (
	"github.com/statledger/statledger/chaincode/ledger"
)

// readsAhead names, for the transactions on the hot path of the statistics flow, the
// records their arguments alone say they will read. The gate reads them together with
// the consortium, in one call to the peer: each call is a round trip on the chaincode
// stream, which costs the peer and the chaincode more than the record it carries (see
// bench_test.go and `make bench`). A function gets the caller's MSP ID and arguments
// that passed ledger.Transaction.CheckArgs and returns the keys its transaction reads
// once past the access check, or nil when the arguments do not decode (the transaction
// then reports the error itself). A key read ahead is in the read set even where the
// transaction stops early (a resent query request returns the existing query without
// reading its dataset or budget); for a transaction that writes nothing that costs at
// most an MVCC conflict, which clients retry.
var readsAhead = map[string]func(caller string, args []string) []string{
	"SubmitData": func(caller string, args []string) []string {
		in, err := ledger.DecodeSubmissionInput(args[0])
		if err != nil {
			return nil
		}
		keys := []string{ledger.DatasetKey(in.DatasetID), ledger.LiveKey(in.DatasetID, in.Period)}
		for _, ct := range in.Ciphertexts {
			keys = append(keys, ledger.DigestKey(ct.Digest))
		}
		return keys
	},
	"RequestQuery": func(caller string, args []string) []string {
		in, err := ledger.DecodeQueryInput(args[0])
		if err != nil {
			return nil
		}
		keys := []string{ledger.QueryKey(ledger.QueryID(caller, in.IdempotencyKey)), ledger.DatasetKey(in.DatasetID), ledger.BudgetKey(in.DatasetID)}
		if in.Period != "" {
			keys = append(keys, ledger.LiveKey(in.DatasetID, in.Period))
		}
		return keys
	},
	"ApproveQuery": queryAhead,
	"RejectQuery":  queryAhead,
	"CancelQuery":  queryAhead,
}

// queryAhead reads the query a transaction's first argument names.
func queryAhead(_ string, args []string) []string {
	return []string{ledger.QueryKey(args[0])}
}
