package contract

import (
	"fmt"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
)

// The cost of one endorsement of each transaction `fabnet bench` measures on the real
// network, in the chaincode alone: CPU time and allocations per call, the state calls a
// real shim would make to the peer (each a round trip on the peer's chaincode stream)
// and the bytes the transaction carries (written values, event and response), which
// every peer decodes and stores. The figures explain the throughput ratios of the ledger
// benchmark; `go test -bench . ./chaincode/contract/` prints them.

// benchEndorse runs tx once per iteration against the same committed state, without
// committing, and reports the round trips and transaction bytes of the last run.
func benchEndorse(b *testing.B, f *fabric, id identity, tx func(i int) (string, []string)) {
	b.Helper()
	b.ReportAllocs()
	var s *fakeStub
	var resp *peer.Response
	for i := 0; b.Loop(); i++ {
		fn, args := tx(i)
		s, resp = f.endorse(fmt.Sprintf("bench%08d", i), id, fn, args)
		_, err := result(s, resp)
		require.NoError(b, err)
	}
	size := len(resp.GetPayload())
	for _, v := range s.writes {
		size += len(v)
	}
	for _, e := range s.events {
		size += len(e.GetPayload())
	}
	b.ReportMetric(float64(s.roundTrips), "roundtrips/op")
	b.ReportMetric(float64(len(s.writes)), "writes/op")
	b.ReportMetric(float64(size), "txbytes/op")
}

func BenchmarkSubmitData(b *testing.B) {
	f, c := setup(b, nil)
	benchEndorse(b, f, c.hospA, func(i int) (string, []string) {
		in := submissionInput(fmt.Sprintf("p%d", i), fmt.Sprintf("bench blob %d", i))
		return "SubmitData", []string{jsonString(b, in)}
	})
}

func BenchmarkRequestQuery(b *testing.B) {
	f, c := setup(b, nil)
	benchEndorse(b, f, c.stat, func(i int) (string, []string) {
		return "RequestQuery", []string{jsonString(b, queryInput(fmt.Sprintf("idem-%d", i)))}
	})
}

func BenchmarkApproveQueryFirstApproval(b *testing.B) {
	f, c := setup(b, nil)
	q := must[ledger.Query](f, c.stat, "RequestQuery", jsonString(b, queryInput("idem")))
	benchEndorse(b, f, c.hospA, func(int) (string, []string) { return "ApproveQuery", []string{q.ID, "fine"} })
}

func BenchmarkApproveQueryCompletingApproval(b *testing.B) {
	f, c := setup(b, nil)
	q := must[ledger.Query](f, c.stat, "RequestQuery", jsonString(b, queryInput("idem")))
	must[ledger.Query](f, c.hospA, "ApproveQuery", q.ID, "fine")
	benchEndorse(b, f, c.hospB, func(int) (string, []string) { return "ApproveQuery", []string{q.ID, "fine"} })
}
