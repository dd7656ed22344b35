package clusterset

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

// How the watch side reports trouble with the API server: at most one log
// line per resource and minute for a repeated error, and a probe that tells
// when the server stops or starts answering.
const (
	watchErrorLogInterval = time.Minute
	apiProbeInterval      = 10 * time.Second
	apiProbeTimeout       = 5 * time.Second
)

// watchHealth logs and counts the errors of the watches and whether the API
// server answers. While the server is unreachable the caches keep the last
// data and the plugin keeps serving it; the reflectors relist when it comes
// back.
type watchHealth struct {
	mu     sync.Mutex
	logged map[string]loggedError // by resource
	down   bool
	// forbidden holds the resources whose watch the API refused and has
	// not started since: the plugin is not ready while one is, because
	// its data may be stale with nothing to tell it so.
	forbidden map[string]bool
}

// watchStarted records that the watch of resource started, which ends a
// refusal.
func (h *watchHealth) watchStarted(resource string) {
	h.mu.Lock()
	delete(h.forbidden, resource)
	h.mu.Unlock()
}

// permitted reports whether no watch is refused.
func (h *watchHealth) permitted() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.forbidden) == 0
}

type loggedError struct {
	msg string
	at  time.Time
}

// errorHandler returns the watch error handler of one resource's informer.
func (h *watchHealth) errorHandler(resource string) cache.WatchErrorHandlerWithContext {
	return func(_ context.Context, _ *cache.Reflector, err error) {
		if apierrors.IsForbidden(err) {
			h.mu.Lock()
			if h.forbidden == nil {
				h.forbidden = map[string]bool{}
			}
			h.forbidden[resource] = true
			h.mu.Unlock()
		}
		h.logError(resource, err)
	}
}

// logError counts and logs an error of resource's list or watch, at most
// once per watchErrorLogInterval for the same message.
func (h *watchHealth) logError(resource string, err error) {
	switch {
	case errors.Is(err, io.EOF), apierrors.IsResourceExpired(err), apierrors.IsGone(err):
		// The server closed the watch or the resource version expired:
		// routine, the reflector relists.
		return
	}
	watchErrors.WithLabelValues(resource).Inc()
	msg := err.Error()
	if apierrors.IsForbidden(err) {
		msg += " (the plugin's role needs list and watch on " + resource + ")"
	}
	h.mu.Lock()
	last, seen := h.logged[resource]
	now := time.Now()
	fresh := !seen || last.msg != msg || now.Sub(last.at) >= watchErrorLogInterval
	if fresh {
		if h.logged == nil {
			h.logged = map[string]loggedError{}
		}
		h.logged[resource] = loggedError{msg: msg, at: now}
	}
	h.mu.Unlock()
	if fresh {
		log.Errorf("Watching %s: %s; serving the last data until it recovers", resource, msg)
	}
}

// probe asks the API server for its version every apiProbeInterval until ctx
// ends, keeping coredns_clusterset_api_reachable and the log up to date. A
// nil client (fake clientsets) probes nothing.
func (h *watchHealth) probe(ctx context.Context, client rest.Interface) {
	if client == nil {
		return
	}
	tick := time.NewTicker(apiProbeInterval)
	defer tick.Stop()
	for {
		reqCtx, cancel := context.WithTimeout(ctx, apiProbeTimeout)
		err := client.Get().AbsPath("/version").Do(reqCtx).Error()
		cancel()
		if ctx.Err() != nil {
			return
		}
		h.report(err)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// report records one probe's outcome and logs the transitions.
func (h *watchHealth) report(err error) {
	h.mu.Lock()
	wasDown := h.down
	h.down = err != nil
	h.mu.Unlock()
	switch {
	case err != nil && !wasDown:
		apiReachable.Set(0)
		log.Errorf("The API server does not answer: %v; serving the last data until it does", err)
	case err == nil && wasDown:
		apiReachable.Set(1)
		log.Infof("The API server answers again")
	case err == nil:
		apiReachable.Set(1)
	}
}
