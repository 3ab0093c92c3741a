package contract

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
)

// FuzzInvoke calls the chaincode with a transaction of the table, or any name, by any
// member of the test cast, with any arguments, against a network with a consortium, a key,
// an active dataset and two submissions. Whatever comes in, the chaincode does not panic,
// succeeds with a JSON response, or fails with a message that starts with an error code.
func FuzzInvoke(f *testing.F) {
	for i, tx := range ledger.Transactions {
		args := wellFormedArgs(tx)
		args = append(args, "", "", "")
		f.Add(uint8(i), "", uint8(i), uint8(len(tx.Args)), args[0], args[1], args[2])
	}
	f.Add(uint8(0), "statledger:GetConsortium", uint8(0), uint8(0), "", "", "")
	f.Add(uint8(0), "getQuery", uint8(1), uint8(1), "q-1", "", "")
	f.Add(uint8(7), "", uint8(2), uint8(1), `{"idempotencyKey":"k","datasetID":"admissions","spec":{"statistic":"count","groupBy":["region"],"epsilon":"0.5"}}`, "", "")
	f.Add(uint8(7), "", uint8(0), uint8(1), jsonString(f, queryInput("fuzz")), "", "")
	net, c := setup(f, nil)
	ids := []identity{c.stat, c.stat2, c.hospA, c.hospB, c.reg, c.lab, c.outsider}
	codes := make([]string, len(ledger.Codes))
	for i, code := range ledger.Codes {
		codes[i] = string(code)
	}
	codePrefix := "^(" + strings.Join(codes, "|") + "): "
	f.Fuzz(func(t *testing.T, txIndex uint8, name string, caller, argc uint8, a0, a1, a2 string) {
		net.t = t
		fn := name
		if fn == "" {
			fn = ledger.Transactions[int(txIndex)%len(ledger.Transactions)].Name
		}
		args := []string{a0, a1, a2}[:int(argc)%4]
		s, resp := net.simulate(ids[int(caller)%len(ids)], fn, args...)
		if resp.GetStatus() == 200 {
			require.True(t, json.Valid(resp.GetPayload()), "%s returned %q", fn, resp.GetPayload())
			require.LessOrEqual(t, len(s.events), 1)
			return
		}
		require.Empty(t, s.events)
		msg := resp.GetMessage()
		if fn == "" || strings.Contains(fn, ":") {
			require.NotEmpty(t, msg) // the contract API routes these before the gate
			return
		}
		require.Regexp(t, codePrefix, msg)
	})
}
