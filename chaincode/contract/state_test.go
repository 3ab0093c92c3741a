package contract

import (
	"errors"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
)

func TestDrainClosesOnlyAnIteratorLeftBeforeItsEnd(t *testing.T) {
	items := func() []*queryresult.KV { return []*queryresult.KV{{Key: "a"}, {Key: "b"}, {Key: "c"}} }
	closes := 0
	it := &sliceIterator[*queryresult.KV]{items: items(), closed: func() { closes++ }}
	var seen []string
	require.NoError(t, drain(it, "thing", func(key string, _ []byte) error { seen = append(seen, key); return nil }))
	require.Equal(t, []string{"a", "b", "c"}, seen)
	require.Zero(t, closes, "the peer released the exhausted range itself")

	stopped := errors.New("stop")
	it = &sliceIterator[*queryresult.KV]{items: items(), closed: func() { closes++ }}
	err := drain(it, "thing", func(key string, _ []byte) error {
		if key == "b" {
			return stopped
		}
		return nil
	})
	require.ErrorIs(t, err, stopped)
	require.Equal(t, 1, closes, "a range left early is closed")
	require.Len(t, it.items, 1)
}

func TestDrainReportsAFailingCloseWithTheCause(t *testing.T) {
	it := &failingClose{sliceIterator[*queryresult.KV]{items: []*queryresult.KV{{Key: "a"}}}}
	err := drain(it, "thing", func(string, []byte) error { return ledger.Errorf(ledger.CodeInvalid, "bad entry") })
	require.Equal(t, ledger.CodeInvalid, ledger.CodeOf(err))
	require.ErrorContains(t, err, "list thing: peer gone")
}

type failingClose struct {
	sliceIterator[*queryresult.KV]
}

func (*failingClose) Close() error { return errors.New("peer gone") }
