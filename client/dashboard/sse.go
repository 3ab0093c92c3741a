package dashboard

import (
	"slices"
	"sync"
)

// update is the message an open page receives when the view changes: it reads the
// overview again, and the detail of the query it shows.
type update struct {
	Version uint64   `json:"version"`
	Queries []string `json:"queries"`
}

// broker hands updates to the open event streams. A stream that has not taken its last
// update gets one update merging it with the new one.
type broker struct {
	max     int
	mu      sync.Mutex
	clients map[chan update]bool
	closed  bool
}

func newBroker(max int) *broker {
	return &broker{max: max, clients: map[chan update]bool{}}
}

// subscribe returns a channel of updates, closed by unsubscribe or closeAll, or false
// when max streams are open or the broker is closed.
func (b *broker) subscribe() (chan update, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || len(b.clients) >= b.max {
		return nil, false
	}
	c := make(chan update, 1)
	b.clients[c] = true
	return c, true
}

func (b *broker) unsubscribe(c chan update) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.clients[c] {
		delete(b.clients, c)
		close(c)
	}
}

// send hands u to every stream, merged with the update a stream has not taken yet.
func (b *broker) send(u update) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for c := range b.clients {
		m := u
		select {
		case old := <-c:
			m.Queries = mergeIDs(old.Queries, u.Queries)
		default:
		}
		c <- m
	}
}

// mergeIDs returns the IDs of a and b, each once, sorted.
func mergeIDs(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

// closeAll ends every stream and refuses new ones.
func (b *broker) closeAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for c := range b.clients {
		delete(b.clients, c)
		close(c)
	}
}
