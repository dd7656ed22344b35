package clusterset

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Watch restarts. A client-go reflector whose API server went away retries
// with an exponential back-off (up to 30 s, with as much jitter again) that
// grows during the outage and is reset only after two minutes without a
// failure: when the server is back, a reflector may sleep most of a minute
// before it lists again, and the plugin answers from data that is that
// stale. So when the probe sees the API server answer again
// (watch_health.go), every informer is replaced by a fresh one, whose first
// list goes out at once. Each old informer keeps serving until its
// replacement has synced (relist, consistency.go), so the answers go from
// the old data to the new without a gap.

// restartState orders restarts: a new one (the API went away and came back
// again) abandons the one still waiting for its lists.
type restartState struct {
	mu     sync.Mutex
	cancel context.CancelFunc
}

// setOnBack sets what the probe runs when the API server answers again.
func (h *watchHealth) setOnBack(f func()) {
	h.mu.Lock()
	h.onBack = f
	h.mu.Unlock()
}

// restartWatches relists every informer that exists, all at once, in the
// background, and logs how long the lists took.
func (w *watcher) restartWatches(ctx context.Context) {
	w.restarts.mu.Lock()
	if w.restarts.cancel != nil {
		w.restarts.cancel()
	}
	ctx, cancel := context.WithCancel(ctx)
	w.restarts.cancel = cancel
	w.restarts.mu.Unlock()

	start := time.Now()
	var wg sync.WaitGroup
	var swapped atomic.Int32
	for _, ptr := range w.kindPointers() {
		if ptr.Load() == nil {
			// Not started yet: discovery starts it, and wakes at the
			// same return (retryDiscovery).
			continue
		}
		wg.Add(1)
		w.run(ctx, func(ctx context.Context) {
			defer wg.Done()
			if w.relist(ctx, ptr) {
				swapped.Add(1)
			}
		})
	}
	w.run(ctx, func(ctx context.Context) {
		wg.Wait()
		if ctx.Err() != nil {
			return
		}
		cancel()
		watchRestarts.Inc()
		log.Infof("Watches restarted: %d relisted in %v", swapped.Load(), time.Since(start).Round(time.Millisecond))
	})
}
