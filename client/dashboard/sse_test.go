package dashboard

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A page that has not taken its last update gets one update naming the queries of both,
// so that a slow page misses no query that changed.
func TestAnUpdateNotYetTakenIsMergedWithTheNext(t *testing.T) {
	b := newBroker(2)
	c, ok := b.subscribe()
	require.True(t, ok)
	b.send(update{Version: 1, Queries: []string{"q-2", "q-1"}})
	b.send(update{Version: 2, Queries: []string{"q-3", "q-2"}})
	u := <-c
	require.Equal(t, uint64(2), u.Version)
	require.Equal(t, []string{"q-1", "q-2", "q-3"}, u.Queries)
	select {
	case extra := <-c:
		t.Fatalf("a second update waits: %+v", extra)
	default:
	}
	b.send(update{Version: 3, Queries: []string{"q-4"}})
	require.Equal(t, []string{"q-4"}, (<-c).Queries, "a taken update is not sent again")

	b.unsubscribe(c)
	_, open := <-c
	require.False(t, open, "unsubscribe closes the stream")
	b.send(update{Version: 4}) // no stream left: nothing blocks
	b.closeAll()
	_, ok = b.subscribe()
	require.False(t, ok, "a closed broker refuses new streams")
}
