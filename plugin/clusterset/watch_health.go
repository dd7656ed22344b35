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
// when the server stops or starts answering. While it does not answer, the
// probe asks every apiRecoveryProbeInterval, so that the watches restart
// (restart.go) within that much of its return.
const (
	watchErrorLogInterval    = time.Minute
	apiProbeInterval         = 10 * time.Second
	apiRecoveryProbeInterval = 500 * time.Millisecond
	apiProbeTimeout          = 5 * time.Second
)

// watchHealth logs and counts the errors of the watches and whether the API
// server answers. While the server is unreachable the caches keep the last
// data and the plugin keeps serving it; when it answers again, onBack
// restarts every watch.
type watchHealth struct {
	mu     sync.Mutex
	logged map[string]loggedError // by resource
	down   bool
	// forbidden holds the resources whose watch the API refused and has
	// not started since: the plugin is not ready while one is, because
	// its data may be stale with nothing to tell it so.
	forbidden map[string]bool
	// trouble wakes the probe when a list or watch failed in a way that
	// may mean the API server stopped answering.
	trouble chan struct{}
	// back is closed, and replaced, each time the server answers again
	// after the probe saw it not answering: whatever waits on the API
	// (discovery) retries at once.
	back chan struct{}
	// onBack runs at each such return, from the probe's goroutine.
	onBack func()
	// gauges publishes whether the API answers; nil publishes nothing.
	gauges *instanceGauges
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

// callFailed tells the probe that a list or watch request failed. An
// answer of the API server (a refusal, a conflict, an expired resource
// version) says nothing of its health; a transport error, a timeout or a
// 5xx/429 from an API server whose storage is down may mean it stopped
// answering, and the probe looks at once rather than at its next tick.
func (h *watchHealth) callFailed(ctx context.Context, err error) {
	if err == nil || ctx.Err() != nil || !apiTrouble(err) {
		return
	}
	select {
	case h.troubleChan() <- struct{}{}:
	default:
	}
}

// apiTrouble reports whether err may mean the API server does not serve
// requests: anything but a status it answered with, and the statuses of a
// server without storage (5xx, 429 while its caches initialize).
func apiTrouble(err error) bool {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return true
	}
	code := status.Status().Code
	return code >= 500 || code == 429
}

func (h *watchHealth) troubleChan() chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.trouble == nil {
		h.trouble = make(chan struct{}, 1)
	}
	return h.trouble
}

// backChan returns the channel closed at the API server's next return.
func (h *watchHealth) backChan() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.back == nil {
		h.back = make(chan struct{})
	}
	return h.back
}

// isDown reports whether the last probe failed.
func (h *watchHealth) isDown() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.down
}

// askAPI opens a watch of one Namespace and closes it at once. An API
// server serves a watch from its watch cache, which is ready only once it
// has listed etcd again after a restart of either; a list alone is served
// from etcd before then, and restarting the watches at that moment would
// only meet refusals and the back-off again.
func askAPI(ctx context.Context, client rest.Interface) error {
	body, err := client.Get().AbsPath("/api/v1/namespaces").
		Param("watch", "true").
		Param("fieldSelector", "metadata.name=default").
		Param("timeoutSeconds", "1").
		Stream(ctx)
	if err != nil {
		return err
	}
	return body.Close()
}

// probe asks the API server (askAPI) every apiProbeInterval until ctx ends,
// every apiRecoveryProbeInterval while it does not answer, and at once when
// a watch fails; it keeps coredns_clusterset_api_reachable and the log up
// to date. A nil client (fake clientsets) probes nothing.
func (h *watchHealth) probe(ctx context.Context, client rest.Interface) {
	if client == nil {
		return
	}
	trouble := h.troubleChan()
	for {
		asked := time.Now()
		reqCtx, cancel := context.WithTimeout(ctx, apiProbeTimeout)
		err := askAPI(reqCtx, client)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil && !apiTrouble(err) {
			// A refusal is an answer: the role may lack the list.
			err = nil
		}
		h.report(err)
		wait := apiProbeInterval
		if h.isDown() {
			wait = apiRecoveryProbeInterval
		}
		timer := time.NewTimer(time.Until(asked.Add(wait)))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		case <-trouble:
			timer.Stop()
			// Never more often than while down.
			if d := time.Until(asked.Add(apiRecoveryProbeInterval)); d > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(d):
				}
			}
		}
	}
}

// report records one probe's outcome and logs the transitions. At a
// return it wakes what waits on the API and runs onBack.
func (h *watchHealth) report(err error) {
	h.mu.Lock()
	wasDown := h.down
	h.down = err != nil
	var back chan struct{}
	if err == nil && wasDown {
		back = h.back
		h.back = make(chan struct{})
	}
	onBack := h.onBack
	h.mu.Unlock()
	switch {
	case err != nil && !wasDown:
		h.gauges.reachable(false)
		log.Errorf("The API server does not answer: %v; serving the last data until it does", err)
	case err == nil && wasDown:
		h.gauges.reachable(true)
		log.Infof("The API server answers again; restarting the watches")
		if back != nil {
			close(back)
		}
		if onBack != nil {
			onBack()
		}
	case err == nil:
		h.gauges.reachable(true)
	}
}
