package clusterset

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
	"github.com/clusterset-dns/clusterset/plugin/clusterset/object/convert"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
)

// The ClusterProperty watch. KEP-2149 (ClusterId for ClusterSet
// identification, https://github.com/kubernetes/enhancements/tree/master/keps/sig-multicluster/2149-clusterid)
// puts the cluster's identity in cluster-scoped about.k8s.io ClusterProperty
// objects; the cluster ID, the DNS servers' topology and the cluster health
// list are read from them when the Corefile asks (opts.clusterProperties).
//
// The about-api CRD is optional: where it is not installed the plugin
// answers as if no property were set (fail open), without holding up
// readiness, and keeps asking discovery so that the watch starts when the
// CRD is installed.

// clusterPropertyResource is the KEP-2149 ClusterProperty resource.
var clusterPropertyResource = schema.GroupVersionResource{Group: "about.k8s.io", Version: "v1alpha1", Resource: "clusterproperties"}

// clusterPropertiesName names the watch in logs and metrics, as the other
// kinds are named.
const clusterPropertiesName = "clusterproperties.about.k8s.io"

// errClusterPropertiesNotServed means the about-api CRD is not installed
// (yet).
var errClusterPropertiesNotServed = errors.New("the API serves no ClusterProperties (about.k8s.io/v1alpha1): is the about-api ClusterProperty CRD installed? Answering without cluster properties until it is")

// propertyWatch is the watcher's ClusterProperty state.
type propertyWatch struct {
	// kind is the informer, published once discovery found the CRD.
	kind atomic.Pointer[watchedKind]
	// values maps the name of every cached property to its value. It is
	// replaced, never modified, so ClusterProperties hands it out as is.
	values atomic.Pointer[map[string]string]
	// absentAtStart is set when discovery's first answer was that the CRD
	// is not installed: readiness then does not wait for the watch, neither
	// then nor when the CRD appears later.
	absentAtStart atomic.Bool
	// mu orders refreshes: the informer's handler and the consistency
	// check's relist may run one at the same time.
	mu sync.Mutex
}

// ClusterProperties implements the serviceSource interface: nil when the
// watch is off, the CRD is not installed or no property exists.
func (w *watcher) ClusterProperties() map[string]string {
	if v := w.properties.values.Load(); v != nil {
		return *v
	}
	return nil
}

// propertiesSynced reports whether the ClusterProperty watch does not hold
// up the first snapshot: it is off, discovery first found no CRD (fail
// open), or its informer has synced. While discovery has not answered it
// holds it up, so that where the CRD is installed the first snapshot
// already has the cluster ID; discovery failing is the API server being
// unreachable, which holds up the ServiceImport watch as well.
func (w *watcher) propertiesSynced() bool {
	if !w.opts.clusterProperties || w.properties.absentAtStart.Load() {
		return true
	}
	k := w.properties.kind.Load()
	return k != nil && k.synced()
}

// watchClusterProperties asks discovery whether the API serves
// ClusterProperties until it does, then runs their informer until ctx ends.
func (w *watcher) watchClusterProperties(ctx context.Context, dc discovery.DiscoveryInterface, dyn dynamic.Interface) {
	gv := clusterPropertyResource.GroupVersion().String()
	ok := retryDiscovery(ctx, w.health.backChan, func(ctx context.Context) error {
		served, err := servesResource(ctx, dc, gv, clusterPropertyResource.Resource)
		switch {
		case err != nil:
			return fmt.Errorf("discovering %s: %w", gv, err)
		case !served:
			w.properties.absentAtStart.Store(true)
			return errClusterPropertiesNotServed
		}
		return nil
	})
	if !ok {
		return
	}
	k, err := w.newPropertyWatch(dyn)
	if err != nil {
		// As for ServiceImports: only a started informer fails here.
		log.Errorf("watching ClusterProperties: %v", err)
		return
	}
	log.Infof("watching ClusterProperties %s", gv)
	w.properties.kind.Store(k)
	w.startKind(ctx, k)
}

// newPropertyWatch builds the ClusterProperty informer over the dynamic
// client. Every event refreshes the value map; refreshProperties tells
// whether anything changed.
func (w *watcher) newPropertyWatch(dyn dynamic.Interface) (*watchedKind, error) {
	resource := dyn.Resource(clusterPropertyResource)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			list, err := resource.List(ctx, opts)
			if err != nil {
				return nil, err
			}
			return list, nil
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			return resource.Watch(ctx, opts)
		},
	}
	// The kind lets the reflector reject objects of another kind, as the
	// typed informers do.
	example := &unstructured.Unstructured{}
	example.SetGroupVersionKind(clusterPropertyResource.GroupVersion().WithKind("ClusterProperty"))
	refresh := func(any) { w.refreshProperties() }
	k, err := newWatchedKind(clusterPropertiesName, lw, dyn, example, nil, convert.TransformClusterProperty, &w.health, cache.ResourceEventHandlerFuncs{
		AddFunc:    refresh,
		UpdateFunc: func(_, cur any) { refresh(cur) },
		DeleteFunc: refresh,
	})
	if err != nil {
		return nil, err
	}
	k.remake = func() (*watchedKind, error) { return w.newPropertyWatch(dyn) }
	return k, nil
}

// refreshProperties rebuilds the value map from the current informer's
// store and, when it changed, notifies every service: the cluster ID,
// topology and health decide the answers of any of them. A resync or an
// update of metadata alone changes no value and notifies nothing.
//
// Reading the store rather than the event's object makes the order of
// events and relists harmless: the map always matches a whole store.
func (w *watcher) refreshProperties() {
	k := w.properties.kind.Load()
	if k == nil {
		return
	}
	w.properties.mu.Lock()
	defer w.properties.mu.Unlock()
	var next map[string]string
	for _, obj := range k.informer.GetStore().List() {
		p, ok := obj.(*object.ClusterProperty)
		if !ok {
			continue
		}
		if next == nil {
			next = map[string]string{}
		}
		next[p.Name] = p.Value
	}
	if maps.Equal(w.ClusterProperties(), next) {
		return
	}
	if next == nil {
		w.properties.values.Store(nil)
	} else {
		w.properties.values.Store(&next)
	}
	now := time.Now()
	for _, key := range w.ServiceKeys() {
		w.notify(key, now)
	}
}
