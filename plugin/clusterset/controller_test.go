package clusterset

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
	"github.com/clusterset-dns/clusterset/test/fixtures"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	mcsv1alpha1 "sigs.k8s.io/mcs-api/pkg/apis/v1alpha1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
	mcsfake "sigs.k8s.io/mcs-api/pkg/client/clientset/versioned/fake"
)

// eventTimeout bounds every wait for the fake API's events to reach the
// handlers; quietPeriod is how long no further notification must come.
const (
	eventTimeout = 5 * time.Second
	quietPeriod  = 100 * time.Millisecond
)

// notifications records what the watcher notifies.
type notifications struct {
	keys chan object.ServiceKey
}

// newNotifications returns a recorder whose buffer is larger than any test
// needs, so notify never blocks an informer.
func newNotifications() *notifications {
	return &notifications{keys: make(chan object.ServiceKey, 1024)}
}

// notify is the watcher's notify function.
func (n *notifications) notify(key object.ServiceKey, _ time.Time) { n.keys <- key }

// expect waits for every key of want, then fails on any other key notified
// within quietPeriod.
func (n *notifications) expect(t *testing.T, want ...object.ServiceKey) {
	t.Helper()
	wanted := map[object.ServiceKey]bool{}
	missing := map[object.ServiceKey]bool{}
	for _, k := range want {
		wanted[k], missing[k] = true, true
	}
	deadline := time.After(eventTimeout)
	for len(missing) > 0 {
		select {
		case k := <-n.keys:
			if !wanted[k] {
				t.Errorf("notified %v, want only %v", k, want)
			}
			delete(missing, k)
		case <-deadline:
			t.Fatalf("not notified within %v: %v", eventTimeout, missing)
		}
	}
	quiet := time.After(quietPeriod)
	for {
		select {
		case k := <-n.keys:
			if !wanted[k] {
				t.Errorf("notified %v, want only %v", k, want)
			}
		case <-quiet:
			return
		}
	}
}

// drain forgets what has been notified so far.
func (n *notifications) drain() {
	for {
		select {
		case <-n.keys:
		default:
			return
		}
	}
}

// fakeAPI is an API server made of the fake clientsets: core, MCS, and
// dynamic for ClusterProperties.
type fakeAPI struct {
	kube *kubefake.Clientset
	mcs  *mcsfake.Clientset
	dyn  *dynamicfake.FakeDynamicClient
}

// mcsWithoutWatchList is the mcs fake clientset telling the reflector that it
// cannot stream lists. The kube fake says so itself; the mcs one, generated
// by an older client-gen, does not, and the reflector would wait forever
// for the bookmark that ends a streamed list.
type mcsWithoutWatchList struct{ *mcsfake.Clientset }

// IsWatchListSemanticsUnSupported is the reflector's optional interface.
func (mcsWithoutWatchList) IsWatchListSemanticsUnSupported() bool { return true }

// newFakeAPI returns fakes holding objs (core objects in the kube fake, MCS
// objects in the mcs fake, unstructured ClusterProperties in the dynamic
// fake) whose discovery serves v1beta1 ServiceImports when v1beta1 is true.
// Discovery serves no ClusterProperties until serveClusterProperties.
func newFakeAPI(t *testing.T, v1beta1 bool, objs ...k8sruntime.Object) *fakeAPI {
	t.Helper()
	var kubeObjs, mcsObjs, dynObjs []k8sruntime.Object
	for _, o := range objs {
		switch o.(type) {
		case *mcsv1beta1.ServiceImport, *mcsv1alpha1.ServiceImport:
			mcsObjs = append(mcsObjs, o)
		case *unstructured.Unstructured:
			dynObjs = append(dynObjs, o)
		default:
			kubeObjs = append(kubeObjs, o)
		}
	}
	api := &fakeAPI{
		kube: kubefake.NewClientset(kubeObjs...),
		mcs:  mcsfake.NewSimpleClientset(mcsObjs...),
		dyn: dynamicfake.NewSimpleDynamicClientWithCustomListKinds(k8sruntime.NewScheme(),
			map[schema.GroupVersionResource]string{clusterPropertyResource: "ClusterPropertyList"}, dynObjs...),
	}
	if v1beta1 {
		api.discovery().Resources = []*metav1.APIResourceList{importResources(mcsv1beta1.SchemeGroupVersion.String(), "serviceimports", "serviceexports")}
	}
	// The mcs fake's watch ignores the list's resource version, so objects
	// created between the initial list and the watch would be lost; watch
	// the way the kube fake does.
	tracker := api.mcs.Tracker()
	api.mcs.PrependWatchReactor("*", func(action k8stesting.Action) (bool, watch.Interface, error) {
		var opts metav1.ListOptions
		if wa, ok := action.(k8stesting.WatchActionImpl); ok {
			opts = wa.ListOptions
		}
		w, err := tracker.Watch(action.GetResource(), action.GetNamespace(), opts)
		return true, w, err
	})
	return api
}

// discovery returns the fake discovery shared by both clientsets' users.
func (a *fakeAPI) discovery() *fakediscovery.FakeDiscovery {
	return a.kube.Discovery().(*fakediscovery.FakeDiscovery)
}

// importResources is a discovery answer for the MCS group version gv.
func importResources(gv string, resources ...string) *metav1.APIResourceList {
	list := &metav1.APIResourceList{GroupVersion: gv}
	for _, r := range resources {
		list.APIResources = append(list.APIResources, metav1.APIResource{Name: r, Namespaced: true})
	}
	return list
}

// startWatcher starts a watcher on api, stops it when the test ends, and
// waits for it to sync when sync is true.
func startWatcher(t *testing.T, api *fakeAPI, opts watchOptions, n *notifications, sync bool) *watcher {
	t.Helper()
	w := newWatcher(opts, n.notify)
	if err := w.startWithClients(api.kube, mcsWithoutWatchList{api.mcs}, api.dyn); err != nil {
		t.Fatalf("startWithClients: %v", err)
	}
	t.Cleanup(w.stop)
	if sync && !w.waitForSync(eventTimeout) {
		t.Fatalf("watcher not synced within %v", eventTimeout)
	}
	return w
}

// meta is the metadata of a test object; the fakes do not set resource
// versions, so every object carries one.
func meta(namespace, name, rv string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Namespace:       namespace,
		Name:            name,
		ResourceVersion: rv,
		Labels:          map[string]string{"app": name},
		Annotations:     map[string]string{"note": "dropped"},
		ManagedFields:   []metav1.ManagedFieldsEntry{{Manager: "test"}},
	}
}

// importBeta is a v1beta1 ClusterSetIP ServiceImport with port http/80.
func importBeta(namespace, name, rv string, ips ...string) *mcsv1beta1.ServiceImport {
	si := fixtures.ServiceImport(namespace, name, mcsv1beta1.ClusterSetIP, ips,
		[]mcsv1beta1.ServicePort{fixtures.Port("http", corev1.ProtocolTCP, 80)})
	si.ObjectMeta = meta(namespace, name, rv)
	return si
}

// importAlpha is a v1alpha1 Headless ServiceImport.
func importAlpha(namespace, name, rv string) *mcsv1alpha1.ServiceImport {
	si := fixtures.ServiceImportV1Alpha1(namespace, name, mcsv1alpha1.Headless, nil, nil)
	si.ObjectMeta = meta(namespace, name, rv)
	return si
}

// endpointSlice is an imported slice of service from cluster c1, without
// a managed-by label, with one endpoint whose readiness is unset.
func endpointSlice(namespace, name, service, rv string) *discoveryv1.EndpointSlice {
	es := fixtures.Slice{Namespace: namespace, Service: service, Cluster: "c1", Name: name, ManagedBy: "-",
		Endpoints: []fixtures.Endpoint{{Addresses: []string{"10.1.0.1"}}}}.Object()
	m := meta(namespace, name, rv)
	m.Labels = es.Labels
	es.ObjectMeta = m
	return es
}

// namespace is a Namespace with labels.
func namespace(name, rv string, labels map[string]string) *corev1.Namespace {
	n := fixtures.Namespace(name, labels)
	n.ObjectMeta = meta("", name, rv)
	n.Labels = labels
	return n
}

// key is a service key.
func key(namespace, name string) object.ServiceKey {
	return object.ServiceKey{Namespace: namespace, Name: name}
}

// must returns a function that fails the test on an API error, so that a
// client call's two results can be passed to it directly.
func must(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("fake API: %v", err)
		}
	}
}

// sliceNames returns the names of slices, sorted.
func sliceNames(slices_ []*object.EndpointSlice) []string {
	var names []string
	for _, s := range slices_ {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	return names
}

func TestWatcherNotifiesChanges(t *testing.T) {
	ctx := context.Background()
	api := newFakeAPI(t, true,
		namespace("ns", "1", nil),
		importBeta("ns", "svc", "1", "10.0.0.1"),
		endpointSlice("ns", "svc-a", "svc", "1"),
	)
	n := newNotifications()
	w := startWatcher(t, api, watchOptions{}, n, true)

	t.Run("the initial list notifies what exists and serves it trimmed", func(t *testing.T) {
		n.expect(t, key("ns", "svc"))
		si := w.ServiceImport(key("ns", "svc"))
		if si == nil {
			t.Fatal("ServiceImport(ns/svc) = nil")
		}
		if si.GetLabels() != nil || si.GetAnnotations() != nil || si.GetManagedFields() != nil {
			t.Errorf("cached ServiceImport keeps metadata: %+v", si.ObjectMeta)
		}
		slices := w.EndpointSlices(key("ns", "svc"))
		if len(slices) != 1 || slices[0].GetLabels() != nil || slices[0].GetManagedFields() != nil || slices[0].Cluster != "c1" {
			t.Errorf("EndpointSlices(ns/svc) = %+v, want one trimmed slice from c1", slices)
		}
		if !w.NamespaceServed("ns") {
			t.Error("NamespaceServed(ns) = false")
		}
		if got, want := w.ServiceKeys(), []object.ServiceKey{key("ns", "svc")}; !reflect.DeepEqual(got, want) {
			t.Errorf("ServiceKeys() = %v, want %v", got, want)
		}
	})

	steps := []struct {
		name     string
		do       func(t *testing.T)
		notified []object.ServiceKey
		check    func(t *testing.T)
	}{
		{
			name: "creating a ServiceImport notifies its key and serves it",
			do: func(t *testing.T) {
				must(t)(api.mcs.MulticlusterV1beta1().ServiceImports("ns").Create(ctx, importBeta("ns", "web", "10", "10.0.0.2"), metav1.CreateOptions{}))
			},
			notified: []object.ServiceKey{key("ns", "web")},
			check: func(t *testing.T) {
				if si := w.ServiceImport(key("ns", "web")); si == nil || !reflect.DeepEqual(si.IPs, []string{"10.0.0.2"}) {
					t.Errorf("ServiceImport(ns/web) = %+v", si)
				}
				if got := w.ServiceKeys(); len(got) != 2 {
					t.Errorf("ServiceKeys() = %v, want two keys", got)
				}
			},
		},
		{
			name: "updating a ServiceImport notifies its key and serves the new version",
			do: func(t *testing.T) {
				must(t)(api.mcs.MulticlusterV1beta1().ServiceImports("ns").Update(ctx, importBeta("ns", "web", "11", "10.0.0.3"), metav1.UpdateOptions{}))
			},
			notified: []object.ServiceKey{key("ns", "web")},
			check: func(t *testing.T) {
				if si := w.ServiceImport(key("ns", "web")); si == nil || !reflect.DeepEqual(si.IPs, []string{"10.0.0.3"}) {
					t.Errorf("ServiceImport(ns/web) = %+v", si)
				}
			},
		},
		{
			name: "creating an EndpointSlice notifies its service",
			do: func(t *testing.T) {
				must(t)(api.kube.DiscoveryV1().EndpointSlices("ns").Create(ctx, endpointSlice("ns", "web-a", "web", "10"), metav1.CreateOptions{}))
			},
			notified: []object.ServiceKey{key("ns", "web")},
			check: func(t *testing.T) {
				if got := sliceNames(w.EndpointSlices(key("ns", "web"))); !reflect.DeepEqual(got, []string{"web-a"}) {
					t.Errorf("EndpointSlices(ns/web) = %v", got)
				}
			},
		},
		{
			name: "relabelling an EndpointSlice to another service notifies both",
			do: func(t *testing.T) {
				must(t)(api.kube.DiscoveryV1().EndpointSlices("ns").Update(ctx, endpointSlice("ns", "web-a", "db", "11"), metav1.UpdateOptions{}))
			},
			notified: []object.ServiceKey{key("ns", "web"), key("ns", "db")},
			check: func(t *testing.T) {
				if got := w.EndpointSlices(key("ns", "web")); got != nil {
					t.Errorf("EndpointSlices(ns/web) = %v, want nil", sliceNames(got))
				}
				if got := sliceNames(w.EndpointSlices(key("ns", "db"))); !reflect.DeepEqual(got, []string{"web-a"}) {
					t.Errorf("EndpointSlices(ns/db) = %v", got)
				}
			},
		},
		{
			name: "deleting an EndpointSlice notifies its service",
			do: func(t *testing.T) {
				must(t)(nil, api.kube.DiscoveryV1().EndpointSlices("ns").Delete(ctx, "web-a", metav1.DeleteOptions{}))
			},
			notified: []object.ServiceKey{key("ns", "db")},
			check: func(t *testing.T) {
				if got := w.EndpointSlices(key("ns", "db")); got != nil {
					t.Errorf("EndpointSlices(ns/db) = %v, want nil", sliceNames(got))
				}
			},
		},
		{
			name: "a ServiceImport in a namespace that does not exist is cached but its namespace not served",
			do: func(t *testing.T) {
				must(t)(api.mcs.MulticlusterV1beta1().ServiceImports("later").Create(ctx, importBeta("later", "api", "20"), metav1.CreateOptions{}))
			},
			notified: []object.ServiceKey{key("later", "api")},
			check: func(t *testing.T) {
				if w.NamespaceServed("later") {
					t.Error("NamespaceServed(later) = true before the namespace exists")
				}
			},
		},
		{
			name: "creating a namespace notifies every ServiceImport in it",
			do: func(t *testing.T) {
				must(t)(api.kube.CoreV1().Namespaces().Create(ctx, namespace("later", "21", nil), metav1.CreateOptions{}))
			},
			notified: []object.ServiceKey{key("later", "api")},
			check: func(t *testing.T) {
				if !w.NamespaceServed("later") {
					t.Error("NamespaceServed(later) = false")
				}
			},
		},
		{
			name: "updating a namespace notifies nothing",
			do: func(t *testing.T) {
				must(t)(api.kube.CoreV1().Namespaces().Update(ctx, namespace("later", "22", map[string]string{"x": "y"}), metav1.UpdateOptions{}))
			},
		},
		{
			name: "deleting a namespace notifies every ServiceImport in it",
			do: func(t *testing.T) {
				must(t)(nil, api.kube.CoreV1().Namespaces().Delete(ctx, "later", metav1.DeleteOptions{}))
			},
			notified: []object.ServiceKey{key("later", "api")},
			check: func(t *testing.T) {
				if w.NamespaceServed("later") {
					t.Error("NamespaceServed(later) = true after delete")
				}
			},
		},
		{
			name: "deleting a ServiceImport notifies its key and stops serving it",
			do: func(t *testing.T) {
				must(t)(nil, api.mcs.MulticlusterV1beta1().ServiceImports("ns").Delete(ctx, "web", metav1.DeleteOptions{}))
			},
			notified: []object.ServiceKey{key("ns", "web")},
			check: func(t *testing.T) {
				if si := w.ServiceImport(key("ns", "web")); si != nil {
					t.Errorf("ServiceImport(ns/web) = %+v after delete", si)
				}
			},
		},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			step.do(t)
			n.expect(t, step.notified...)
			if step.check != nil {
				step.check(t)
			}
		})
	}
}

func TestWatcherHandlers(t *testing.T) {
	si := fixtures.TrimmedImport("ns", "svc", "", nil)
	siNext := fixtures.AtVersion(fixtures.TrimmedImport("ns", "svc", "", nil), "2")
	es := fixtures.TrimmedSlice("ns", "svc", "s", "", "", nil)
	esNext := fixtures.AtVersion(fixtures.TrimmedSlice("ns", "svc", "s", "", "", nil), "2")
	esMoved := fixtures.AtVersion(fixtures.TrimmedSlice("ns", "other", "s", "", "", nil), "2")
	excluded := fixtures.TrimmedImport("hidden", "svc", "", nil)
	ns := fixtures.TrimmedNamespace("ns")
	tombstone := func(key string, obj any) cache.DeletedFinalStateUnknown {
		return cache.DeletedFinalStateUnknown{Key: key, Obj: obj}
	}

	tests := []struct {
		name  string
		event func(w *watcher)
		want  []object.ServiceKey
	}{
		{name: "a ServiceImport resync with the same resource version notifies nothing", event: func(w *watcher) { w.onImportUpdate(si, si) }},
		{name: "a ServiceImport update with a new resource version notifies its key", event: func(w *watcher) { w.onImportUpdate(si, siNext) }, want: []object.ServiceKey{key("ns", "svc")}},
		{name: "a ServiceImport tombstone notifies its key", event: func(w *watcher) { w.onImportAddOrDelete(tombstone("ns/svc", si)) }, want: []object.ServiceKey{key("ns", "svc")}},
		{name: "a tombstone without an object notifies nothing", event: func(w *watcher) { w.onImportAddOrDelete(tombstone("ns/svc", nil)) }},
		{name: "an EndpointSlice resync with the same resource version notifies nothing", event: func(w *watcher) { w.onSliceUpdate(es, es) }},
		{name: "an EndpointSlice update notifies its service once", event: func(w *watcher) { w.onSliceUpdate(es, esNext) }, want: []object.ServiceKey{key("ns", "svc")}},
		{name: "an EndpointSlice moved to another service notifies both", event: func(w *watcher) { w.onSliceUpdate(es, esMoved) }, want: []object.ServiceKey{key("ns", "svc"), key("ns", "other")}},
		{name: "an EndpointSlice tombstone notifies its service", event: func(w *watcher) { w.onSliceAddOrDelete(tombstone("ns/s", es)) }, want: []object.ServiceKey{key("ns", "svc")}},
		{name: "a Namespace tombstone notifies the ServiceImports in it", event: func(w *watcher) { w.onNamespaceAddOrDelete(tombstone("ns", ns)) }, want: []object.ServiceKey{key("ns", "svc"), key("ns", "web")}},
		{name: "an object of an unexpected type notifies nothing", event: func(w *watcher) { w.onSliceAddOrDelete(si) }},
		{name: "a ServiceImport in a namespace outside `namespaces` notifies nothing", event: func(w *watcher) { w.onImportAddOrDelete(excluded) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []object.ServiceKey
			w := newWatcher(watchOptions{namespaces: map[string]struct{}{"ns": {}}}, func(k object.ServiceKey, _ time.Time) { got = append(got, k) })
			// An informer that never runs still has a store the namespace
			// handler can read.
			imports, err := w.newImportWatch(mcsfake.NewSimpleClientset(), mcsv1beta1.SchemeGroupVersion.Version)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"svc", "web"} {
				if err := imports.informer.GetIndexer().Add(fixtures.TrimmedImport("ns", name, "", nil)); err != nil {
					t.Fatal(err)
				}
			}
			if err := imports.informer.GetIndexer().Add(fixtures.TrimmedImport("elsewhere", "x", "", nil)); err != nil {
				t.Fatal(err)
			}
			w.imports.Store(imports)

			tt.event(w)
			slices.SortFunc(got, func(a, b object.ServiceKey) int { return compareKeys(a, b) })
			want := slices.Clone(tt.want)
			slices.SortFunc(want, func(a, b object.ServiceKey) int { return compareKeys(a, b) })
			if !reflect.DeepEqual(got, want) {
				t.Errorf("notified %v, want %v", got, want)
			}
		})
	}
}

// compareKeys orders keys for comparisons in tests.
func compareKeys(a, b object.ServiceKey) int {
	switch sa, sb := a.String(), b.String(); {
	case sa < sb:
		return -1
	case sa > sb:
		return 1
	}
	return 0
}

func TestWatcherImportVersion(t *testing.T) {
	tests := []struct {
		name      string
		resources []*metav1.APIResourceList
		want      string // which of the two imports below must be served
	}{
		{
			name:      "v1beta1 is watched when discovery lists v1beta1 serviceimports",
			resources: []*metav1.APIResourceList{importResources("multicluster.x-k8s.io/v1beta1", "serviceimports", "serviceexports"), importResources("multicluster.x-k8s.io/v1alpha1", "serviceimports")},
			want:      "beta",
		},
		{
			name:      "v1alpha1 is watched when the v1beta1 group version is not found",
			resources: []*metav1.APIResourceList{importResources("multicluster.x-k8s.io/v1alpha1", "serviceimports")},
			want:      "alpha",
		},
		{
			name:      "v1alpha1 is watched when v1beta1 is served without serviceimports",
			resources: []*metav1.APIResourceList{importResources("multicluster.x-k8s.io/v1beta1", "serviceexports"), importResources("multicluster.x-k8s.io/v1alpha1", "serviceimports")},
			want:      "alpha",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, false, namespace("ns", "1", nil), importBeta("ns", "beta", "1", "10.0.0.1"), importAlpha("ns", "alpha", "1"))
			api.discovery().Resources = tt.resources
			w := startWatcher(t, api, watchOptions{}, newNotifications(), true)
			if got := w.ServiceKeys(); !reflect.DeepEqual(got, []object.ServiceKey{key("ns", tt.want)}) {
				t.Errorf("ServiceKeys() = %v, want only ns/%s", got, tt.want)
			}
		})
	}
}

func TestWatcherWaitsForTheServiceImportCRD(t *testing.T) {
	api := newFakeAPI(t, true, namespace("ns", "1", nil), importBeta("ns", "svc", "1"))
	api.discovery().Resources = []*metav1.APIResourceList{importResources("multicluster.x-k8s.io/v1beta1", "serviceimports")}
	var installed atomic.Bool
	api.discovery().PrependReactor("get", "resource", func(k8stesting.Action) (bool, k8sruntime.Object, error) {
		if !installed.Load() {
			return true, nil, apierrors.NewNotFound(schema.GroupResource{Group: "multicluster.x-k8s.io"}, "")
		}
		return false, nil, nil
	})
	w := startWatcher(t, api, watchOptions{}, newNotifications(), false)
	if w.waitForSync(700 * time.Millisecond) {
		t.Fatalf("synced while the API serves no ServiceImports")
	}
	installed.Store(true)
	if !w.waitForSync(5 * time.Second) {
		t.Fatalf("not synced within 5s after the CRD appeared")
	}
	if got := w.ServiceKeys(); !reflect.DeepEqual(got, []object.ServiceKey{key("ns", "svc")}) {
		t.Errorf("ServiceKeys() = %v", got)
	}
}

func TestWatcherDiscoveryRetries(t *testing.T) {
	api := newFakeAPI(t, true, namespace("ns", "1", nil), importBeta("ns", "svc", "1"))
	var calls atomic.Int32
	api.discovery().PrependReactor("get", "resource", func(k8stesting.Action) (bool, k8sruntime.Object, error) {
		if calls.Add(1) == 1 {
			return true, nil, errors.New("connection refused")
		}
		return false, nil, nil
	})
	w := startWatcher(t, api, watchOptions{}, newNotifications(), false)

	t.Run("not synced while discovery fails", func(t *testing.T) {
		if w.hasSynced() {
			t.Error("hasSynced() = true before discovery answered")
		}
	})
	t.Run("synced once discovery answers on a retry", func(t *testing.T) {
		if !w.waitForSync(eventTimeout) {
			t.Fatalf("not synced after %d discovery calls", calls.Load())
		}
		if w.ServiceImport(key("ns", "svc")) == nil {
			t.Error("ServiceImport(ns/svc) = nil")
		}
	})
}

func TestWatcherSync(t *testing.T) {
	t.Run("hasSynced is false before start", func(t *testing.T) {
		w := newWatcher(watchOptions{}, newNotifications().notify)
		if w.hasSynced() {
			t.Error("hasSynced() = true")
		}
		if w.ServiceImport(key("ns", "svc")) != nil || w.EndpointSlices(key("ns", "svc")) != nil || w.NamespaceServed("ns") || w.ServiceKeys() != nil {
			t.Error("an unstarted watcher serves data")
		}
	})
	t.Run("waitForSync returns at its deadline when discovery never answers", func(t *testing.T) {
		api := newFakeAPI(t, true)
		api.discovery().PrependReactor("get", "resource", func(k8stesting.Action) (bool, k8sruntime.Object, error) {
			return true, nil, errors.New("connection refused")
		})
		w := startWatcher(t, api, watchOptions{}, newNotifications(), false)
		begin := time.Now()
		if w.waitForSync(200 * time.Millisecond) {
			t.Fatal("waitForSync() = true")
		}
		if elapsed := time.Since(begin); elapsed < 200*time.Millisecond || elapsed > 2*time.Second {
			t.Errorf("waitForSync took %v, want about 200ms", elapsed)
		}
	})
	t.Run("waitForSync returns at its deadline when a list never answers", func(t *testing.T) {
		api := newFakeAPI(t, true)
		release := make(chan struct{})
		defer close(release)
		api.kube.PrependReactor("list", "namespaces", func(k8stesting.Action) (bool, k8sruntime.Object, error) {
			<-release
			return true, nil, errors.New("stopped")
		})
		w := startWatcher(t, api, watchOptions{}, newNotifications(), false)
		if w.waitForSync(200 * time.Millisecond) {
			t.Fatal("waitForSync() = true")
		}
	})
	t.Run("noendpoints watches no EndpointSlices and still syncs", func(t *testing.T) {
		api := newFakeAPI(t, true, namespace("ns", "1", nil), endpointSlice("ns", "svc-a", "svc", "1"))
		w := startWatcher(t, api, watchOptions{noEndpoints: true}, newNotifications(), true)
		if got := w.EndpointSlices(key("ns", "svc")); got != nil {
			t.Errorf("EndpointSlices() = %v, want nil", sliceNames(got))
		}
		for _, a := range api.kube.Actions() {
			if a.GetResource().Resource == "endpointslices" {
				t.Errorf("EndpointSlices accessed: %v", a)
			}
		}
	})
}

func TestWatcherFilters(t *testing.T) {
	ctx := context.Background()

	t.Run("watches select on the server: slices by the MCS service label, namespaces by namespace_labels", func(t *testing.T) {
		api := newFakeAPI(t, true)
		startWatcher(t, api, watchOptions{namespaceLabels: "mcs=on"}, newNotifications(), true)
		want := map[string]string{"endpointslices": object.LabelServiceName, "namespaces": "mcs=on"}
		listed := map[string]bool{}
		for _, a := range api.kube.Actions() {
			resource := a.GetResource().Resource
			selector, _, ok := restrictionsOf(a)
			if !ok {
				continue
			}
			listed[resource] = true
			if selector != want[resource] {
				t.Errorf("%s %s with selector %q, want %q", a.GetVerb(), resource, selector, want[resource])
			}
		}
		if !listed["endpointslices"] || !listed["namespaces"] {
			t.Errorf("listed or watched %v, want endpointslices and namespaces", listed)
		}
	})

	t.Run("ServiceImports are selected on the server by import_labels", func(t *testing.T) {
		real, bookkeeping := importBeta("demo", "web", "1"), importBeta("demo", "web-demo-c1", "1")
		bookkeeping.Labels[object.LabelServiceName] = "web"
		api := newFakeAPI(t, true, namespace("demo", "1", nil), real, bookkeeping)
		n := newNotifications()
		w := startWatcher(t, api, watchOptions{importLabels: "!" + object.LabelServiceName}, n, true)
		n.expect(t, key("demo", "web"))
		for _, a := range api.mcs.Actions() {
			selector, _, ok := restrictionsOf(a)
			if !ok {
				continue
			}
			if want := "!" + object.LabelServiceName; selector != want {
				t.Errorf("%s %s with selector %q, want %q", a.GetVerb(), a.GetResource().Resource, selector, want)
			}
		}
		if got, want := w.ServiceKeys(), []object.ServiceKey{key("demo", "web")}; !reflect.DeepEqual(got, want) {
			t.Errorf("ServiceKeys() = %v, want %v", got, want)
		}
	})

	t.Run("exclude_namespaces leaves those namespaces out on the server, and out of every answer", func(t *testing.T) {
		api := newFakeAPI(t, true, namespace("demo", "1", nil), namespace("agent", "1", nil),
			importBeta("demo", "web", "1"), importBeta("agent", "web-demo-c1", "1"), endpointSlice("agent", "web-demo-c1-x", "web-demo-c1", "1"))
		n := newNotifications()
		w := startWatcher(t, api, watchOptions{excludedNamespaces: []string{"agent", "broker"}}, n, true)
		n.expect(t, key("demo", "web"))
		const want = "metadata.namespace!=agent,metadata.namespace!=broker"
		actions := append(api.mcs.Actions(), api.kube.Actions()...)
		checked := map[string]bool{}
		for _, a := range actions {
			_, fields, ok := restrictionsOf(a)
			if !ok {
				continue
			}
			resource := a.GetResource().Resource
			if resource != "serviceimports" && resource != "endpointslices" {
				continue
			}
			checked[resource] = true
			if fields != want {
				t.Errorf("%s %s with field selector %q, want %q", a.GetVerb(), resource, fields, want)
			}
		}
		if !checked["serviceimports"] || !checked["endpointslices"] {
			t.Errorf("listed or watched %v, want serviceimports and endpointslices", checked)
		}
		// The fakes ignore field selectors: what they return anyway is not
		// served either.
		if w.ServiceImport(key("agent", "web-demo-c1")) != nil || w.EndpointSlices(key("agent", "web-demo-c1")) != nil || w.NamespaceServed("agent") {
			t.Error("namespace agent is served")
		}
		if got, want := w.ServiceKeys(), []object.ServiceKey{key("demo", "web")}; !reflect.DeepEqual(got, want) {
			t.Errorf("ServiceKeys() = %v, want %v", got, want)
		}
	})

	t.Run("namespace_labels leaves unlabelled namespaces unserved", func(t *testing.T) {
		api := newFakeAPI(t, true, namespace("on", "1", map[string]string{"mcs": "on"}), namespace("off", "1", nil))
		w := startWatcher(t, api, watchOptions{namespaceLabels: "mcs=on"}, newNotifications(), true)
		if !w.NamespaceServed("on") || w.NamespaceServed("off") {
			t.Errorf("NamespaceServed(on, off) = %v, %v; want true, false", w.NamespaceServed("on"), w.NamespaceServed("off"))
		}
	})

	t.Run("namespaces outside `namespaces` are neither notified nor served", func(t *testing.T) {
		api := newFakeAPI(t, true, namespace("in", "1", nil), namespace("out", "1", nil),
			importBeta("in", "svc", "1"), importBeta("out", "svc", "1"),
			endpointSlice("out", "svc-a", "svc", "1"))
		n := newNotifications()
		w := startWatcher(t, api, watchOptions{namespaces: map[string]struct{}{"in": {}}}, n, true)
		n.expect(t, key("in", "svc"))

		must(t)(api.mcs.MulticlusterV1beta1().ServiceImports("out").Create(ctx, importBeta("out", "new", "2"), metav1.CreateOptions{}))
		must(t)(api.kube.DiscoveryV1().EndpointSlices("out").Create(ctx, endpointSlice("out", "svc-b", "svc", "2"), metav1.CreateOptions{}))
		must(t)(api.mcs.MulticlusterV1beta1().ServiceImports("in").Create(ctx, importBeta("in", "new", "2"), metav1.CreateOptions{}))
		n.expect(t, key("in", "new"))

		if w.ServiceImport(key("out", "svc")) != nil || w.EndpointSlices(key("out", "svc")) != nil || w.NamespaceServed("out") {
			t.Error("namespace out is served")
		}
		if got, want := w.ServiceKeys(), []object.ServiceKey{key("in", "new"), key("in", "svc")}; !reflect.DeepEqual(got, want) {
			t.Errorf("ServiceKeys() = %v, want %v", got, want)
		}
	})
}

func TestWatcherStop(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T) *watcher
	}{
		{
			name: "stop after sync returns and leaves no goroutines",
			setup: func(t *testing.T) *watcher {
				return startWatcher(t, newFakeAPI(t, true, namespace("ns", "1", nil), importBeta("ns", "svc", "1")), watchOptions{}, newNotifications(), true)
			},
		},
		{
			name: "stop while discovery retries returns and leaves no goroutines",
			setup: func(t *testing.T) *watcher {
				api := newFakeAPI(t, true)
				api.discovery().PrependReactor("get", "resource", func(k8stesting.Action) (bool, k8sruntime.Object, error) {
					return true, nil, errors.New("connection refused")
				})
				return startWatcher(t, api, watchOptions{}, newNotifications(), false)
			},
		},
		{
			name: "stop with the ClusterProperty watch running returns and leaves no goroutines",
			setup: func(t *testing.T) *watcher {
				api := newFakeAPI(t, true, namespace("ns", "1", nil), clusterPropertyObject(object.PropertyClusterID, "east", "1"))
				api.serveClusterProperties()
				return startWatcher(t, api, watchOptions{clusterProperties: true}, newNotifications(), true)
			},
		},
		{
			name: "stop while ClusterProperty discovery waits for the CRD returns and leaves no goroutines",
			setup: func(t *testing.T) *watcher {
				return startWatcher(t, newFakeAPI(t, true), watchOptions{clusterProperties: true}, newNotifications(), true)
			},
		},
		{
			name:  "stop without start returns",
			setup: func(*testing.T) *watcher { return newWatcher(watchOptions{}, newNotifications().notify) },
		},
		{
			name: "stop after a failed start returns",
			setup: func(t *testing.T) *watcher {
				w := newWatcher(watchOptions{kubeconfig: filepath.Join(t.TempDir(), "missing")}, newNotifications().notify)
				if err := w.start(); err == nil {
					t.Fatal("start() with a missing kubeconfig succeeded")
				}
				return w
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := settledGoroutines()
			w := tt.setup(t)
			stopped := make(chan struct{})
			go func() {
				w.stop()
				w.stop()
				close(stopped)
			}()
			select {
			case <-stopped:
			case <-time.After(eventTimeout):
				t.Fatal("stop did not return")
			}
			waitForGoroutines(t, before)
			if err := w.startWithClients(kubefake.NewClientset(), mcsfake.NewSimpleClientset(), nil); err == nil {
				t.Error("start after stop succeeded")
			}
		})
	}
}

// settledGoroutines counts goroutines once those of earlier tests are gone.
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for range 20 {
		time.Sleep(10 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == n {
			return n
		}
		n = m
	}
	return n
}

// waitForGoroutines polls until no more goroutines run than before.
func waitForGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(eventTimeout)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWatcherRestConfig(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	const config = `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: "https://a.example:6443"}
- name: b
  cluster: {server: "https://b.example:6443"}
users:
- name: u
  user: {token: "t"}
contexts:
- name: ctx-a
  context: {cluster: a, user: u}
- name: ctx-b
  context: {cluster: b, user: u}
current-context: ctx-a
`
	if err := os.WriteFile(kubeconfig, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		opts     watchOptions
		wantHost string
		wantErr  bool
	}{
		{name: "a kubeconfig uses its current context", opts: watchOptions{kubeconfig: kubeconfig}, wantHost: "https://a.example:6443"},
		{name: "a kubeconfig context overrides the current one", opts: watchOptions{kubeconfig: kubeconfig, kubecontext: "ctx-b"}, wantHost: "https://b.example:6443"},
		{name: "an unknown context is an error", opts: watchOptions{kubeconfig: kubeconfig, kubecontext: "nope"}, wantErr: true},
		{name: "a missing kubeconfig is an error", opts: watchOptions{kubeconfig: kubeconfig + ".missing"}, wantErr: true},
		{name: "an endpoint is used as written", opts: watchOptions{endpoint: "http://127.0.0.1:8080", qps: 7, burst: 9}, wantHost: "http://127.0.0.1:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := restConfig(tt.opts)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got host %q, want an error", cfg.Host)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if cfg.Host != tt.wantHost || cfg.UserAgent != userAgent {
				t.Errorf("host %q, user agent %q; want %q, %q", cfg.Host, cfg.UserAgent, tt.wantHost, userAgent)
			}
			if tt.opts.qps > 0 && (cfg.QPS != tt.opts.qps || cfg.Burst != tt.opts.burst) {
				t.Errorf("qps %v burst %d, want %v %d", cfg.QPS, cfg.Burst, tt.opts.qps, tt.opts.burst)
			}
		})
	}

	t.Run("an endpoint with tls files uses them", func(t *testing.T) {
		cfg, err := restConfig(watchOptions{endpoint: "https://api:6443", tlsCert: "c.pem", tlsKey: "k.pem", tlsCA: "ca.pem"})
		if err != nil {
			t.Fatal(err)
		}
		if tls := cfg.TLSClientConfig; tls.CertFile != "c.pem" || tls.KeyFile != "k.pem" || tls.CAFile != "ca.pem" {
			t.Errorf("TLSClientConfig = %+v", tls)
		}
	})
}

// restrictionsOf returns the label and field selectors of a list or watch
// action; ok is false for any other action.
func restrictionsOf(a k8stesting.Action) (labels, fields string, ok bool) {
	switch a := a.(type) {
	case k8stesting.ListAction:
		r := a.GetListRestrictions()
		return r.Labels.String(), r.Fields.String(), true
	case k8stesting.WatchAction:
		r := a.GetWatchRestrictions()
		return r.Labels.String(), r.Fields.String(), true
	}
	return "", "", false
}
