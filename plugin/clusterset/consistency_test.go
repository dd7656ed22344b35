package clusterset

import (
	"errors"
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"

	"github.com/prometheus/client_golang/prometheus/testutil"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"
)

func TestConsistencyCheckRepairsMissedEvents(t *testing.T) {
	api := newFakeAPI(t, true,
		namespace("ns", "1", nil),
		importBeta("ns", "web", "1", "10.0.0.1"),
		endpointSlice("ns", "web-a", "web", "1"),
		endpointSlice("ns", "db-a", "db", "1"),
	)
	n := newNotifications()
	w := startWatcher(t, api, watchOptions{}, n, true)
	n.drain()

	t.Run("a cache equal to the API has no drift", func(t *testing.T) {
		if got := w.checkOnce(t.Context(), 0); got != 0 {
			t.Errorf("drift = %d, want 0", got)
		}
	})

	t.Run("a missed add, a missed delete and a missed update are found and repaired", func(t *testing.T) {
		slices := w.slices.Load().informer.GetStore()
		// Make the cache wrong behind the informer's back, as a lost event
		// would: web-a vanished, a slice the API never had appeared, and
		// db-a holds an old version.
		webA, _, _ := slices.GetByKey("ns/web-a")
		dbA, _, _ := slices.GetByKey("ns/db-a")
		if err := slices.Delete(webA); err != nil {
			t.Fatal(err)
		}
		ghost := *webA.(*object.EndpointSlice)
		ghost.Name, ghost.Service = "ghost", "ghost"
		if err := slices.Add(&ghost); err != nil {
			t.Fatal(err)
		}
		stale := *dbA.(*object.EndpointSlice)
		stale.ResourceVersion = "0"
		if err := slices.Update(&stale); err != nil {
			t.Fatal(err)
		}
		counter := driftTotal.WithLabelValues("endpointslices.discovery.k8s.io")
		before := testutil.ToFloat64(counter)

		if got := w.checkOnce(t.Context(), 0); got != 3 {
			t.Errorf("drift = %d, want 3", got)
		}
		if got := testutil.ToFloat64(counter) - before; got != 3 {
			t.Errorf("cache_drift_total grew by %v, want 3", got)
		}
		if got := sliceNames(w.EndpointSlices(key("ns", "web"))); len(got) != 1 || got[0] != "web-a" {
			t.Errorf("web slices after the relist = %v, want web-a", got)
		}
		if got := w.EndpointSlices(key("ns", "ghost")); len(got) != 0 {
			t.Errorf("the ghost slice survived the relist")
		}
		// Every service either cache knew is rebuilt, so the builder drops
		// the ghost and restores web.
		n.expect(t, key("ns", "web"), key("ns", "db"), key("ns", "ghost"))
		if got := w.checkOnce(t.Context(), 0); got != 0 {
			t.Errorf("drift after the repair = %d, want 0", got)
		}
	})
}

func TestConsistencyCheckReportsAListItCannotMake(t *testing.T) {
	api := newFakeAPI(t, true, namespace("ns", "1", nil), importBeta("ns", "web", "1", "10.0.0.1"))
	w := startWatcher(t, api, watchOptions{}, newNotifications(), true)
	api.kube.PrependReactor("list", "namespaces", func(k8stesting.Action) (bool, k8sruntime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "namespaces"}, "", errors.New("no list"))
	})
	counter := watchErrors.WithLabelValues("namespaces")
	before := testutil.ToFloat64(counter)
	w.checkOnce(t.Context(), 0)
	if got := testutil.ToFloat64(counter) - before; got != 1 {
		t.Errorf("watch_errors_total{namespaces} grew by %v, want 1", got)
	}
}
