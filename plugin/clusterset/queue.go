package clusterset

import (
	"sync"
	"time"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
)

// changeQueue coalesces the service keys the watch side reports: a key
// changed ten times before the builder gets to it is built once. It keeps the
// earliest time each key was seen, for the programming latency.
type changeQueue struct {
	mu      sync.Mutex
	pending map[object.ServiceKey]time.Time
	wake    chan struct{}
}

func newChangeQueue() *changeQueue {
	return &changeQueue{pending: map[object.ServiceKey]time.Time{}, wake: make(chan struct{}, 1)}
}

// add queues key, seen at the given time. It never blocks: the watch side's
// event handlers call it.
func (q *changeQueue) add(key object.ServiceKey, seen time.Time) {
	q.mu.Lock()
	if _, ok := q.pending[key]; !ok {
		q.pending[key] = seen
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// drain returns every queued key without waiting (possibly none).
func (q *changeQueue) drain() map[object.ServiceKey]time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	batch := q.pending
	q.pending = map[object.ServiceKey]time.Time{}
	return batch
}

// take waits for at least one queued key and returns all of them; ok is
// false when stop closed first.
func (q *changeQueue) take(stop <-chan struct{}) (batch map[object.ServiceKey]time.Time, ok bool) {
	for {
		if batch := q.drain(); len(batch) > 0 {
			return batch, true
		}
		select {
		case <-q.wake:
		case <-stop:
			return nil, false
		}
	}
}
