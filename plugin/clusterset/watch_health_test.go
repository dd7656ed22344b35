package clusterset

import (
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	k8stesting "k8s.io/client-go/testing"
)

func TestWatchErrorsAreCountedUnlessRoutine(t *testing.T) {
	var h watchHealth
	handle := h.errorHandler("serviceimports.multicluster.x-k8s.io")
	counter := watchErrors.WithLabelValues("serviceimports.multicluster.x-k8s.io")
	before := testutil.ToFloat64(counter)

	handle(t.Context(), nil, io.EOF)
	handle(t.Context(), nil, apierrors.NewResourceExpired("too old"))
	if got := testutil.ToFloat64(counter) - before; got != 0 {
		t.Errorf("routine watch ends counted %v times", got)
	}
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: "multicluster.x-k8s.io", Resource: "serviceimports"}, "", errors.New("no RBAC"))
	handle(t.Context(), nil, forbidden)
	handle(t.Context(), nil, forbidden)
	if got := testutil.ToFloat64(counter) - before; got != 2 {
		t.Errorf("watch_errors_total grew by %v, want 2", got)
	}
	if got := h.logged["serviceimports.multicluster.x-k8s.io"].msg; got == "" {
		t.Errorf("the forbidden error was not logged")
	}
}

func TestAPIReachableFollowsTheProbe(t *testing.T) {
	g := testGauges(t, "dns://:53", "clusterset.local.")
	g.claim(false)
	h := watchHealth{gauges: g}
	reachable := apiReachable.WithLabelValues(g.labels.server, g.labels.zone)
	h.report(nil)
	if testutil.ToFloat64(reachable) != 1 {
		t.Errorf("api_reachable = 0 after an answer")
	}
	h.report(errors.New("connection refused"))
	if testutil.ToFloat64(reachable) != 0 || !h.down {
		t.Errorf("api_reachable = 1 after a failed probe")
	}
	h.report(nil)
	if testutil.ToFloat64(reachable) != 1 || h.down {
		t.Errorf("api_reachable = 0 after the server answers again")
	}
}

func TestARefusedWatchMakesTheWatcherNotPermittedUntilItStarts(t *testing.T) {
	api := newFakeAPI(t, true, namespace("ns", "1", nil), importBeta("ns", "web", "1", "10.0.0.1"))
	var refuse atomic.Bool
	refuse.Store(true)
	api.kube.PrependWatchReactor("endpointslices", func(k8stesting.Action) (bool, watch.Interface, error) {
		if refuse.Load() {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "discovery.k8s.io", Resource: "endpointslices"}, "", errors.New("no watch"))
		}
		return false, nil, nil
	})
	w := startWatcher(t, api, watchOptions{}, newNotifications(), false)
	deadline := time.Now().Add(eventTimeout)
	for w.permitted() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if w.permitted() {
		t.Fatalf("permitted while the EndpointSlice watch is refused")
	}
	refuse.Store(false)
	// The reflector retries after its backoff (under a second, then more).
	deadline = time.Now().Add(3 * eventTimeout)
	for !w.permitted() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !w.permitted() {
		t.Fatalf("still not permitted after the watch was allowed")
	}
}

func TestAProbeThatSeesTheAPIReturnWakesItsWaiters(t *testing.T) {
	var h watchHealth
	backs := 0
	h.setOnBack(func() { backs++ })
	h.report(nil)
	wake := h.backChan()
	h.report(errors.New("connection refused"))
	h.report(errors.New("connection refused"))
	select {
	case <-wake:
		t.Fatalf("woken while the API does not answer")
	default:
	}
	h.report(nil)
	select {
	case <-wake:
	default:
		t.Fatalf("not woken when the API answers again")
	}
	h.report(nil)
	if backs != 1 {
		t.Errorf("onBack ran %d times for one return, want 1", backs)
	}
	select {
	case <-h.backChan():
		t.Errorf("the next return's channel is already closed")
	default:
	}
}

func TestOnlyErrorsThatMayMeanAnOutageWakeTheProbe(t *testing.T) {
	gr := schema.GroupResource{Resource: "namespaces"}
	cases := []struct {
		err  error
		want bool
	}{
		{errors.New("dial tcp 127.0.0.1:6443: connect: connection refused"), true},
		{io.EOF, true},
		{apierrors.NewInternalError(errors.New("etcdserver: request timed out")), true},
		{apierrors.NewTooManyRequests("storage is (re)initializing", 1), true},
		{apierrors.NewServiceUnavailable("shutting down"), true},
		{apierrors.NewForbidden(gr, "", errors.New("no RBAC")), false},
		{apierrors.NewResourceExpired("too old resource version"), false},
		{apierrors.NewNotFound(gr, "x"), false},
	}
	for _, tc := range cases {
		if got := apiTrouble(tc.err); got != tc.want {
			t.Errorf("apiTrouble(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	var h watchHealth
	h.callFailed(t.Context(), apierrors.NewForbidden(gr, "", errors.New("no RBAC")))
	select {
	case <-h.troubleChan():
		t.Errorf("a refusal woke the probe")
	default:
	}
	h.callFailed(t.Context(), errors.New("connection refused"))
	select {
	case <-h.troubleChan():
	default:
		t.Errorf("a refused connection did not wake the probe")
	}
}
