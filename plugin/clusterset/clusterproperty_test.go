package clusterset

import (
	"context"
	"errors"
	"maps"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	fakediscovery "k8s.io/client-go/discovery/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// clusterPropertyObject is an about.k8s.io ClusterProperty as the dynamic
// client returns it.
func clusterPropertyObject(name, value, rv string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{"value": value},
	}}
	u.SetGroupVersionKind(clusterPropertyResource.GroupVersion().WithKind("ClusterProperty"))
	u.SetName(name)
	u.SetResourceVersion(rv)
	u.SetLabels(map[string]string{"dropped": "yes"})
	return u
}

// serveClusterProperties makes discovery list the ClusterProperty CRD. Call
// it before the watcher starts: the fake discovery's list is not locked.
func (a *fakeAPI) serveClusterProperties() {
	a.discovery().Resources = append(a.discovery().Resources, &metav1.APIResourceList{
		GroupVersion: clusterPropertyResource.GroupVersion().String(),
		APIResources: []metav1.APIResource{{Name: clusterPropertyResource.Resource, Kind: "ClusterProperty"}},
	})
}

// dynamicActions counts the calls made to the dynamic fake.
func (a *fakeAPI) dynamicActions() int { return len(a.dyn.Actions()) }

func TestClusterPropertyWatchIsOffWithoutTheOption(t *testing.T) {
	api := newFakeAPI(t, true, namespace("ns", "1", nil), clusterPropertyObject(object.PropertyClusterID, "east", "1"))
	api.serveClusterProperties()
	w := startWatcher(t, api, watchOptions{}, newNotifications(), true)
	if got := w.ClusterProperties(); got != nil {
		t.Errorf("ClusterProperties() = %v, want nil", got)
	}
	if n := api.dynamicActions(); n != 0 {
		t.Errorf("%d calls to the dynamic client, want none", n)
	}
}

func TestClusterPropertyCRDAbsentFailsOpen(t *testing.T) {
	api := newFakeAPI(t, true, namespace("ns", "1", nil), importBeta("ns", "svc", "1", "10.0.0.1"))
	w := startWatcher(t, api, watchOptions{clusterProperties: true}, newNotifications(), false)
	if !w.waitForSync(eventTimeout) {
		t.Fatal("not synced while the ClusterProperty CRD is absent")
	}
	if got := w.ClusterProperties(); got != nil {
		t.Errorf("ClusterProperties() = %v, want nil", got)
	}
	if n := api.dynamicActions(); n != 0 {
		t.Errorf("%d calls to the dynamic client while the CRD is absent, want none", n)
	}
}

func TestClusterPropertyWatch(t *testing.T) {
	ctx := context.Background()
	api := newFakeAPI(t, true,
		namespace("ns", "1", nil), namespace("other", "1", nil),
		importBeta("ns", "svc", "1", "10.0.0.1"), importBeta("other", "web", "1", "10.0.0.2"),
		clusterPropertyObject(object.PropertyClusterID, "east", "1"),
	)
	api.serveClusterProperties()
	n := newNotifications()
	w := startWatcher(t, api, watchOptions{clusterProperties: true}, n, true)
	every := []object.ServiceKey{key("ns", "svc"), key("other", "web")}

	t.Run("the first sync already sees the properties", func(t *testing.T) {
		if got, want := w.ClusterProperties(), map[string]string{object.PropertyClusterID: "east"}; !maps.Equal(got, want) {
			t.Errorf("ClusterProperties() = %v, want %v", got, want)
		}
	})
	n.drain()

	properties := api.dyn.Resource(clusterPropertyResource)
	steps := []struct {
		name     string
		do       func(t *testing.T)
		notified []object.ServiceKey
		want     map[string]string
	}{
		{
			name: "changing the cluster ID notifies every service and serves the new value",
			do: func(t *testing.T) {
				must(t)(properties.Update(ctx, clusterPropertyObject(object.PropertyClusterID, "west", "2"), metav1.UpdateOptions{}))
			},
			notified: every,
			want:     map[string]string{object.PropertyClusterID: "west"},
		},
		{
			name: "an update that changes no value notifies nothing",
			do: func(t *testing.T) {
				must(t)(properties.Update(ctx, clusterPropertyObject(object.PropertyClusterID, "west", "3"), metav1.UpdateOptions{}))
			},
			want: map[string]string{object.PropertyClusterID: "west"},
		},
		{
			name: "creating a property notifies every service",
			do: func(t *testing.T) {
				must(t)(properties.Create(ctx, clusterPropertyObject(object.PropertyZone, "z1", "4"), metav1.CreateOptions{}))
			},
			notified: every,
			want:     map[string]string{object.PropertyClusterID: "west", object.PropertyZone: "z1"},
		},
		{
			name: "deleting the cluster ID removes it and notifies every service",
			do: func(t *testing.T) {
				must(t)(nil, properties.Delete(ctx, object.PropertyClusterID, metav1.DeleteOptions{}))
			},
			notified: every,
			want:     map[string]string{object.PropertyZone: "z1"},
		},
		{
			name: "deleting the last property leaves none",
			do: func(t *testing.T) {
				must(t)(nil, properties.Delete(ctx, object.PropertyZone, metav1.DeleteOptions{}))
			},
			notified: every,
		},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			step.do(t)
			n.expect(t, step.notified...)
			if got := w.ClusterProperties(); !maps.Equal(got, step.want) {
				t.Errorf("ClusterProperties() = %v, want %v", got, step.want)
			}
		})
	}
}

// lateDiscovery serves ClusterProperties only once installed is set, and
// everything else as the fake does.
type lateDiscovery struct {
	*fakediscovery.FakeDiscovery
	installed *atomic.Bool
}

func (d lateDiscovery) ServerResourcesForGroupVersionWithContext(ctx context.Context, gv string) (*metav1.APIResourceList, error) {
	if gv == clusterPropertyResource.GroupVersion().String() && !d.installed.Load() {
		return nil, apierrors.NewNotFound(clusterPropertyResource.GroupResource(), "")
	}
	return d.FakeDiscovery.ServerResourcesForGroupVersionWithContext(ctx, gv)
}

// kubeWithDiscovery is the kube fake with another discovery client; the
// embedded fake still tells the reflector it cannot stream lists.
type kubeWithDiscovery struct {
	*kubefake.Clientset
	dc discovery.DiscoveryInterfaces
}

func (k kubeWithDiscovery) Discovery() discovery.DiscoveryInterfaces { return k.dc }

func TestClusterPropertyCRDInstalledLater(t *testing.T) {
	api := newFakeAPI(t, true, namespace("ns", "1", nil), importBeta("ns", "svc", "1", "10.0.0.1"),
		clusterPropertyObject(object.PropertyClusterID, "east", "1"))
	api.serveClusterProperties()
	var installed atomic.Bool
	kube := kubeWithDiscovery{Clientset: api.kube, dc: lateDiscovery{FakeDiscovery: api.discovery(), installed: &installed}}
	n := newNotifications()
	w := newWatcher(watchOptions{clusterProperties: true}, n.notify)
	if err := w.startWithClients(kube, mcsWithoutWatchList{api.mcs}, api.dyn); err != nil {
		t.Fatalf("startWithClients: %v", err)
	}
	t.Cleanup(w.stop)
	if !w.waitForSync(eventTimeout) {
		t.Fatal("not synced while the ClusterProperty CRD is absent")
	}
	n.expect(t, key("ns", "svc"))

	installed.Store(true)
	deadline := time.Now().Add(eventTimeout)
	for w.ClusterProperties()[object.PropertyClusterID] != "east" {
		if !w.hasSynced() {
			t.Fatal("hasSynced() = false while the late ClusterProperty watch lists: readiness must not wait for it")
		}
		if time.Now().After(deadline) {
			t.Fatalf("ClusterProperties() = %v %v after the CRD appeared", w.ClusterProperties(), eventTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	n.expect(t, key("ns", "svc"))
}

func TestClusterPropertyRefusedWatch(t *testing.T) {
	api := newFakeAPI(t, true, namespace("ns", "1", nil), clusterPropertyObject(object.PropertyClusterID, "east", "1"))
	api.serveClusterProperties()
	var refuse atomic.Bool
	refuse.Store(true)
	api.dyn.PrependReactor("list", clusterPropertyResource.Resource, func(k8stesting.Action) (bool, k8sruntime.Object, error) {
		if refuse.Load() {
			return true, nil, apierrors.NewForbidden(clusterPropertyResource.GroupResource(), "", errors.New("no list"))
		}
		return false, nil, nil
	})
	w := startWatcher(t, api, watchOptions{clusterProperties: true}, newNotifications(), false)

	deadline := time.Now().Add(eventTimeout)
	for w.permitted() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if w.permitted() {
		t.Fatal("permitted while the ClusterProperty list is refused")
	}
	if w.hasSynced() {
		t.Error("hasSynced() = true while the served ClusterProperties cannot be listed")
	}

	refuse.Store(false)
	deadline = time.Now().Add(3 * eventTimeout)
	for !(w.permitted() && w.hasSynced()) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !w.permitted() || !w.hasSynced() {
		t.Fatalf("permitted %v, synced %v after the list was allowed", w.permitted(), w.hasSynced())
	}
	if got := w.ClusterProperties()[object.PropertyClusterID]; got != "east" {
		t.Errorf("cluster ID = %q, want east", got)
	}
}

func TestClusterPropertyConsistencyCheckRepairsMissedEvents(t *testing.T) {
	api := newFakeAPI(t, true, namespace("ns", "1", nil), importBeta("ns", "svc", "1", "10.0.0.1"),
		clusterPropertyObject(object.PropertyClusterID, "east", "1"))
	api.serveClusterProperties()
	n := newNotifications()
	w := startWatcher(t, api, watchOptions{clusterProperties: true}, n, true)
	n.drain()

	// A property the API never had reaches the cache, as a lost delete
	// would leave it.
	ghost := &object.ClusterProperty{ObjectMeta: object.ObjectMeta{Name: object.PropertyZone, ResourceVersion: "9"}, Value: "z9"}
	if err := w.properties.kind.Load().informer.GetStore().Add(ghost); err != nil {
		t.Fatal(err)
	}
	w.refreshProperties()
	n.expect(t, key("ns", "svc"))

	if got := w.checkOnce(t.Context(), 0); got != 1 {
		t.Errorf("drift = %d, want 1", got)
	}
	if got, want := w.ClusterProperties(), map[string]string{object.PropertyClusterID: "east"}; !maps.Equal(got, want) {
		t.Errorf("ClusterProperties() after the relist = %v, want %v", got, want)
	}
	n.expect(t, key("ns", "svc"))
}
