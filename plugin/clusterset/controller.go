package clusterset

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/internal/answer"
	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
	"github.com/clusterset-dns/clusterset/plugin/clusterset/object/convert"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	mcsv1alpha1 "sigs.k8s.io/mcs-api/pkg/apis/v1alpha1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
	mcsclientset "sigs.k8s.io/mcs-api/pkg/client/clientset/versioned"
)

// serviceIndex indexes EndpointSlices by the key of the service they are
// labelled for, so that reading one service's slices is a lookup and not a
// scan of every slice in the cluster.
const serviceIndex = "service"

// Discovery retry timing: quick enough to catch an API server that is just
// starting, slow enough not to hammer one that is down; the log is limited
// so that an unreachable server does not flood it.
const (
	discoveryInitialDelay = 500 * time.Millisecond
	discoveryMaxDelay     = 10 * time.Second
	discoveryLogInterval  = time.Minute
)

var _ answer.Source = (*watcher)(nil)

// watcher is the watch side: informers that keep trimmed ServiceImports,
// EndpointSlices, Namespaces and, when the Corefile asks, ClusterProperties,
// and tell the builder which service keys changed. It does no DNS work
// itself.
type watcher struct {
	opts watchOptions
	// notify receives the key of every service whose data changed, with the
	// time the change was seen (for the programming latency metric). It is
	// called from informer goroutines and must not block for long.
	notify func(key object.ServiceKey, seen time.Time)

	// The informers are published once they exist; the ServiceImport one
	// only after discovery answered, which may be long after start.
	imports    atomic.Pointer[watchedKind]
	slices     atomic.Pointer[watchedKind]
	namespaces atomic.Pointer[watchedKind]
	// properties is the ClusterProperty watch (clusterproperty.go), only
	// when opts.clusterProperties.
	properties propertyWatch

	// mu orders start and stop, which setup may call from different
	// goroutines (startup, shutdown on reload).
	mu      sync.Mutex
	started bool
	stopped bool
	cancel  context.CancelFunc
	// ctx is the watcher's: every informer runs under it until stop.
	ctx context.Context
	// running counts every goroutine start made, so stop can wait for them.
	running sync.WaitGroup

	health watchHealth
	// restarts orders the watch restarts of restart.go.
	restarts restartState
	// checkInterval overrides consistencyInterval in tests.
	checkInterval time.Duration
	// predecessor is the watcher of the instance a reload replaces, whose
	// objects this one's informers reuse (reuse.go) until the first
	// snapshot; nil otherwise.
	predecessor atomic.Pointer[watcher]
}

// watchedKind is one informer with the registration of the watcher's
// handlers on it. Both must have synced: the informer's store is full, and
// the handlers have been told about everything in it.
type watchedKind struct {
	informer     cache.SharedIndexInformer
	registration cache.ResourceEventHandlerRegistration
	handlers     cache.ResourceEventHandler

	// resource names the kind in logs and metrics.
	resource string
	// list lists the kind from the API, with the watch's selector, for the
	// consistency check.
	list func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error)
	// remake builds a fresh informer of the same kind, to relist.
	remake func() (*watchedKind, error)

	// held is what the informer's transform may reuse (reuse.go).
	held *heldObjects

	// stopRun and done stop this informer alone and tell when it has.
	stopRun context.CancelFunc
	done    chan struct{}
}

// synced reports whether the store is complete and every initial object has
// been notified.
func (k *watchedKind) synced() bool {
	return k.informer.HasSynced() && k.registration.HasSynced()
}

// newWatcher returns a watcher that does nothing until start.
func newWatcher(opts watchOptions, notify func(key object.ServiceKey, seen time.Time)) *watcher {
	return &watcher{opts: opts, notify: notify}
}

// start builds the clients from the options and starts watching. Its errors
// are configuration errors; an unreachable API server is not one, the
// watches retry in the background.
func (w *watcher) start() error {
	kube, mcs, dyn, err := newClients(w.opts)
	if err != nil {
		return err
	}
	return w.startWithClients(kube, mcs, dyn)
}

// startWithClients starts the Namespace and EndpointSlice informers, the
// discovery that decides which ServiceImport version to watch and, with
// opts.clusterProperties, the one that waits for the ClusterProperty CRD.
// It returns without waiting for the network. dyn is only used for
// ClusterProperties and may be nil without them.
func (w *watcher) startWithClients(kube kubernetes.Interface, mcs mcsclientset.Interface, dyn dynamic.Interface) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		return errors.New("watcher already started")
	}
	if w.stopped {
		return errors.New("watcher already stopped")
	}
	if w.opts.clusterProperties && dyn == nil {
		return errors.New("watching ClusterProperties needs a dynamic client")
	}
	w.started = true
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	w.ctx = ctx
	w.health.setOnBack(func() { w.restartWatches(ctx) })

	namespaces, err := w.newNamespaceWatch(kube)
	if err != nil {
		cancel()
		return err
	}
	var sliceWatch *watchedKind
	if !w.opts.noEndpoints {
		if sliceWatch, err = w.newSliceWatch(kube); err != nil {
			cancel()
			return err
		}
	}

	w.namespaces.Store(namespaces)
	w.startKind(ctx, namespaces)
	if sliceWatch != nil {
		w.slices.Store(sliceWatch)
		w.startKind(ctx, sliceWatch)
	}
	w.run(ctx, func(ctx context.Context) { w.watchImports(ctx, kube.Discovery(), mcs) })
	if w.opts.clusterProperties {
		w.run(ctx, func(ctx context.Context) { w.watchClusterProperties(ctx, kube.Discovery(), dyn) })
	}
	w.run(ctx, func(ctx context.Context) { w.health.probe(ctx, kube.Discovery().RESTClient()) })
	w.run(ctx, w.checkConsistency)
	return nil
}

// startKind runs k's informer until ctx ends or k alone is stopped.
func (w *watcher) startKind(ctx context.Context, k *watchedKind) {
	if held := w.predecessorStore(k.resource); held != nil && k.held.replaced.Load() == nil {
		k.held.setReplaced(held)
	}
	ctx, k.stopRun = context.WithCancel(ctx)
	k.done = make(chan struct{})
	w.run(ctx, func(ctx context.Context) {
		defer close(k.done)
		k.informer.RunWithContext(ctx)
	})
}

// inheritFrom makes the informers of w reuse the objects of prev's (a
// reload's), including those started later; nil ends it, and lets prev's
// caches be freed once prev stops.
func (w *watcher) inheritFrom(prev *watcher) {
	w.predecessor.Store(prev)
	if prev != nil {
		return
	}
	for _, k := range w.kinds() {
		k.held.setReplaced(nil)
	}
}

// predecessorStore is the store of the predecessor's informer of resource,
// or nil.
func (w *watcher) predecessorStore(resource string) cache.Store {
	prev := w.predecessor.Load()
	if prev == nil {
		return nil
	}
	for _, k := range prev.kinds() {
		if k.resource == resource {
			return k.informer.GetStore()
		}
	}
	return nil
}

// kindPointers are where the informers are published.
func (w *watcher) kindPointers() []*atomic.Pointer[watchedKind] {
	return []*atomic.Pointer[watchedKind]{&w.imports, &w.slices, &w.namespaces, &w.properties.kind}
}

// kinds returns the informers that exist now.
func (w *watcher) kinds() []*watchedKind {
	var out []*watchedKind
	for _, ptr := range w.kindPointers() {
		if k := ptr.Load(); k != nil {
			out = append(out, k)
		}
	}
	return out
}

// run starts f in a goroutine that stop waits for.
func (w *watcher) run(ctx context.Context, f func(context.Context)) {
	w.running.Add(1)
	go func() {
		defer w.running.Done()
		f(ctx)
	}()
}

// stop stops every informer and the discovery, and returns once their
// goroutines have, so that a reload does not leak them. After stop, notify
// is not called again.
func (w *watcher) stop() {
	w.mu.Lock()
	w.stopped = true
	cancel := w.cancel
	w.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	w.running.Wait()
}

// hasSynced reports whether every watch has listed its objects and notified
// them, including the ServiceImport watch, which only exists once discovery
// answered, and the ClusterProperty watch unless its CRD was missing
// (propertiesSynced).
func (w *watcher) hasSynced() bool {
	if !w.propertiesSynced() {
		return false
	}
	kinds := []*watchedKind{w.imports.Load(), w.namespaces.Load()}
	if !w.opts.noEndpoints {
		kinds = append(kinds, w.slices.Load())
	}
	for _, k := range kinds {
		if k == nil || !k.synced() {
			return false
		}
	}
	return true
}

// permitted reports whether every watch the API refused has started
// since: a refused watch leaves the data stale with nothing to say so.
func (w *watcher) permitted() bool { return w.health.permitted() }

// waitForSync waits until hasSynced or the timeout, whichever comes first.
func (w *watcher) waitForSync(timeout time.Duration) bool {
	const poll = 50 * time.Millisecond
	deadline := time.Now().Add(timeout)
	for {
		if w.hasSynced() {
			return true
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		time.Sleep(min(poll, left))
	}
}

// ServiceImport implements the serviceSource interface.
func (w *watcher) ServiceImport(key object.ServiceKey) *object.ServiceImport {
	imports := w.imports.Load()
	if imports == nil || !w.namespaceAllowed(key.Namespace) {
		return nil
	}
	obj, exists, err := imports.informer.GetIndexer().GetByKey(key.String())
	if err != nil || !exists {
		return nil
	}
	si, _ := obj.(*object.ServiceImport)
	return si
}

// EndpointSlices implements the serviceSource interface.
func (w *watcher) EndpointSlices(key object.ServiceKey) []*object.EndpointSlice {
	sliceWatch := w.slices.Load()
	if sliceWatch == nil || !w.namespaceAllowed(key.Namespace) {
		return nil
	}
	objs, err := sliceWatch.informer.GetIndexer().ByIndex(serviceIndex, key.String())
	if err != nil || len(objs) == 0 {
		return nil
	}
	out := make([]*object.EndpointSlice, 0, len(objs))
	for _, obj := range objs {
		if es, ok := obj.(*object.EndpointSlice); ok {
			out = append(out, es)
		}
	}
	return out
}

// NamespaceServed implements the serviceSource interface. The
// namespace_labels selector needs no check here: the Namespace watch runs
// with it on the server, so a namespace that stops matching is deleted from
// the store.
func (w *watcher) NamespaceServed(namespace string) bool {
	namespaces := w.namespaces.Load()
	if namespaces == nil || !w.namespaceAllowed(namespace) {
		return false
	}
	_, exists, err := namespaces.informer.GetStore().GetByKey(namespace)
	return err == nil && exists
}

// ServiceKeys implements the serviceSource interface. The keys are sorted so
// that a full rebuild walks services in the same order every time.
func (w *watcher) ServiceKeys() []object.ServiceKey {
	imports := w.imports.Load()
	if imports == nil {
		return nil
	}
	var keys []object.ServiceKey
	for _, k := range imports.informer.GetStore().ListKeys() {
		namespace, name, err := cache.SplitMetaNamespaceKey(k)
		if err != nil || !w.namespaceAllowed(namespace) {
			continue
		}
		keys = append(keys, object.ServiceKey{Namespace: namespace, Name: name})
	}
	slices.SortFunc(keys, func(a, b object.ServiceKey) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return keys
}

// namespaceAllowed applies the `namespaces` option, where an empty set
// allows all, and `exclude_namespaces`, which the watches also leave out on
// the server.
func (w *watcher) namespaceAllowed(namespace string) bool {
	if slices.Contains(w.opts.excludedNamespaces, namespace) {
		return false
	}
	if len(w.opts.namespaces) == 0 {
		return true
	}
	_, ok := w.opts.namespaces[namespace]
	return ok
}

// notifyKey tells the builder about key, unless its namespace is not
// served, in which case nothing it holds can change an answer.
func (w *watcher) notifyKey(key object.ServiceKey) {
	if !w.namespaceAllowed(key.Namespace) {
		return
	}
	w.notify(key, time.Now())
}

// newNamespaceWatch builds the Namespace informer, filtered on the server
// by namespace_labels so that the store holds exactly the namespaces served.
func (w *watcher) newNamespaceWatch(kube kubernetes.Interface) (*watchedKind, error) {
	selector := w.opts.namespaceLabels
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			opts.LabelSelector = selector
			return kube.CoreV1().Namespaces().List(ctx, opts)
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			opts.LabelSelector = selector
			return kube.CoreV1().Namespaces().Watch(ctx, opts)
		},
	}
	k, err := newWatchedKind("namespaces", lw, kube, &corev1.Namespace{}, nil, convert.TransformNamespace, &w.health, cache.ResourceEventHandlerFuncs{
		AddFunc:    w.onNamespaceAddOrDelete,
		DeleteFunc: w.onNamespaceAddOrDelete,
		// An update keeps the namespace in the store; only its existence
		// matters, so an update changes no answer.
	})
	if err != nil {
		return nil, err
	}
	k.remake = func() (*watchedKind, error) { return w.newNamespaceWatch(kube) }
	return k, nil
}

// excludedFields is the field selector that leaves the namespaces of
// exclude_namespaces out of a watch, on the server.
func (w *watcher) excludedFields() string {
	terms := make([]string, 0, len(w.opts.excludedNamespaces))
	for _, ns := range w.opts.excludedNamespaces {
		terms = append(terms, "metadata.namespace!="+ns)
	}
	return strings.Join(terms, ",")
}

// newSliceWatch builds the EndpointSlice informer, filtered on the server
// to slices that carry the MCS service-name label: the cluster's own
// Service slices, usually far more numerous, never reach the plugin.
func (w *watcher) newSliceWatch(kube kubernetes.Interface) (*watchedKind, error) {
	fields := w.excludedFields()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			opts.LabelSelector, opts.FieldSelector = object.LabelServiceName, fields
			return kube.DiscoveryV1().EndpointSlices(metav1.NamespaceAll).List(ctx, opts)
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			opts.LabelSelector, opts.FieldSelector = object.LabelServiceName, fields
			return kube.DiscoveryV1().EndpointSlices(metav1.NamespaceAll).Watch(ctx, opts)
		},
	}
	indexers := cache.Indexers{serviceIndex: convert.IndexSliceByService}
	k, err := newWatchedKind("endpointslices.discovery.k8s.io", lw, kube, &discoveryv1.EndpointSlice{}, indexers, convert.TransformEndpointSlice, &w.health, cache.ResourceEventHandlerFuncs{
		AddFunc:    w.onSliceAddOrDelete,
		UpdateFunc: w.onSliceUpdate,
		DeleteFunc: w.onSliceAddOrDelete,
	})
	if err != nil {
		return nil, err
	}
	k.remake = func() (*watchedKind, error) { return w.newSliceWatch(kube) }
	return k, nil
}

// newImportWatch builds the ServiceImport informer for the version
// discovery chose, filtered on the server by import_labels and
// exclude_namespaces so that imports left out never reach the store (nor
// the consistency check).
func (w *watcher) newImportWatch(mcs mcsclientset.Interface, version string) (*watchedKind, error) {
	selector, fields := w.opts.importLabels, w.excludedFields()
	var lw *cache.ListWatch
	var example runtime.Object
	switch version {
	case mcsv1beta1.SchemeGroupVersion.Version:
		example = &mcsv1beta1.ServiceImport{}
		lw = &cache.ListWatch{
			ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
				opts.LabelSelector, opts.FieldSelector = selector, fields
				return mcs.MulticlusterV1beta1().ServiceImports(metav1.NamespaceAll).List(ctx, opts)
			},
			WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
				opts.LabelSelector, opts.FieldSelector = selector, fields
				return mcs.MulticlusterV1beta1().ServiceImports(metav1.NamespaceAll).Watch(ctx, opts)
			},
		}
	default:
		example = &mcsv1alpha1.ServiceImport{}
		lw = &cache.ListWatch{
			ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
				opts.LabelSelector, opts.FieldSelector = selector, fields
				return mcs.MulticlusterV1alpha1().ServiceImports(metav1.NamespaceAll).List(ctx, opts)
			},
			WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
				opts.LabelSelector, opts.FieldSelector = selector, fields
				return mcs.MulticlusterV1alpha1().ServiceImports(metav1.NamespaceAll).Watch(ctx, opts)
			},
		}
	}
	indexers := cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}
	k, err := newWatchedKind("serviceimports.multicluster.x-k8s.io", lw, mcs, example, indexers, convert.TransformServiceImport, &w.health, cache.ResourceEventHandlerFuncs{
		AddFunc:    w.onImportAddOrDelete,
		UpdateFunc: w.onImportUpdate,
		DeleteFunc: w.onImportAddOrDelete,
	})
	if err != nil {
		return nil, err
	}
	k.remake = func() (*watchedKind, error) { return w.newImportWatch(mcs, version) }
	return k, nil
}

// newWatchedKind builds an informer without resync (a resync would only
// replay what the store already holds) and registers handlers on it.
// client is the clientset behind lw: the reflector asks it whether it
// supports streaming lists, which the fake clientsets do not.
func newWatchedKind(resource string, lw *cache.ListWatch, client any, example runtime.Object, indexers cache.Indexers, transform cache.TransformFunc, health *watchHealth, handlers cache.ResourceEventHandler) (*watchedKind, error) {
	// A watch that starts ends a refusal: the only success client-go
	// shows, so the ListWatch reports it.
	// A failure may be the API server going away: the probe looks at
	// once (watch_health.go).
	startWatch, list := lw.WatchFuncWithContext, lw.ListWithContextFunc
	lw.WatchFuncWithContext = func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
		wi, err := startWatch(ctx, opts)
		if err == nil {
			health.watchStarted(resource)
		}
		health.callFailed(ctx, err)
		return wi, err
	}
	lw.ListWithContextFunc = func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		obj, err := list(ctx, opts)
		health.callFailed(ctx, err)
		return obj, err
	}
	informer := cache.NewSharedIndexInformerWithOptions(
		cache.ToListWatcherWithWatchListSemantics(lw, client),
		example,
		cache.SharedIndexInformerOptions{ResyncPeriod: 0, Indexers: indexers},
	)
	held := &heldObjects{}
	held.setOwn(informer.GetStore())
	if err := informer.SetTransform(held.reusing(transform)); err != nil {
		return nil, fmt.Errorf("setting transform for %T: %w", example, err)
	}
	if err := informer.SetWatchErrorHandlerWithContext(health.errorHandler(resource)); err != nil {
		return nil, fmt.Errorf("setting watch error handler for %T: %w", example, err)
	}
	registration, err := informer.AddEventHandler(handlers)
	if err != nil {
		return nil, fmt.Errorf("adding handler for %T: %w", example, err)
	}
	return &watchedKind{informer: informer, registration: registration, handlers: handlers, resource: resource, list: list, held: held}, nil
}

// watchImports finds the ServiceImport version the API serves, then runs
// its informer until ctx ends. Discovery retries in here, not in start,
// so that CoreDNS starts (and reports not ready) while the API server is
// unreachable.
func (w *watcher) watchImports(ctx context.Context, dc discovery.DiscoveryInterface, mcs mcsclientset.Interface) {
	var version string
	ok := retryDiscovery(ctx, w.health.backChan, func(ctx context.Context) (err error) {
		version, err = importVersion(ctx, dc)
		return err
	})
	if !ok {
		return
	}
	imports, err := w.newImportWatch(mcs, version)
	if err != nil {
		// Only possible if the informer was already started, which a new
		// one is not: a bug, not a condition to retry.
		log.Errorf("watching ServiceImports: %v", err)
		return
	}
	log.Infof("watching ServiceImports %s", mcsv1beta1.GroupName+"/"+version)
	w.imports.Store(imports)
	w.startKind(ctx, imports)
}

// retryDiscovery calls ask with a capped exponential backoff until it
// returns nil (true) or ctx ends (false). Failures are logged at most once
// per discoveryLogInterval. The channel back returns is closed when the API
// server answers again after an outage: discovery then asks at once, not
// at the end of a backoff that grew while it was away.
func retryDiscovery(ctx context.Context, back func() <-chan struct{}, ask func(context.Context) error) bool {
	delay := discoveryInitialDelay
	var lastLog time.Time
	for {
		wake := back()
		err := ask(ctx)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		if now := time.Now(); now.Sub(lastLog) >= discoveryLogInterval {
			log.Warningf("%v; retrying", err)
			lastLog = now
		}
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return false
		case <-wake:
			timer.Stop()
			delay = discoveryInitialDelay
			continue
		case <-timer.C:
		}
		delay = min(2*delay, discoveryMaxDelay)
	}
}

// errServiceImportsNotServed means neither ServiceImport version is served:
// the mcs-api CRD is not installed (yet).
var errServiceImportsNotServed = errors.New("the API serves no ServiceImports (multicluster.x-k8s.io v1beta1 or v1alpha1): is the mcs-api ServiceImport CRD installed?")

// importVersion asks the API server which ServiceImport version to watch:
// v1beta1 where served, else v1alpha1. Neither served is an error, so that
// discovery keeps asking and the watch starts when the CRD appears.
func importVersion(ctx context.Context, dc discovery.DiscoveryInterface) (string, error) {
	for _, gv := range []string{mcsv1beta1.SchemeGroupVersion.String(), mcsv1alpha1.SchemeGroupVersion.String()} {
		served, err := servesResource(ctx, dc, gv, "serviceimports")
		if err != nil {
			return "", fmt.Errorf("discovering %s: %w", gv, err)
		}
		if served {
			return strings.TrimPrefix(gv, mcsv1beta1.GroupName+"/"), nil
		}
	}
	return "", errServiceImportsNotServed
}

// servesResource reports whether the group version gv has resource. A group
// version that is not found is a "no", any other error is not an answer.
func servesResource(ctx context.Context, dc discovery.DiscoveryInterface, gv, resource string) (bool, error) {
	var resources *metav1.APIResourceList
	var err error
	// The context variant lets stop cancel a request to a server that does
	// not answer.
	if dcc, ok := dc.(discovery.DiscoveryInterfaceWithContext); ok {
		resources, err = dcc.ServerResourcesForGroupVersionWithContext(ctx, gv)
	} else {
		resources, err = dc.ServerResourcesForGroupVersion(gv)
	}
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, err
	}
	for _, r := range resources.APIResources {
		if r.Name == resource {
			return true, nil
		}
	}
	return false, nil
}

// onImportAddOrDelete notifies the key of an added or deleted ServiceImport.
func (w *watcher) onImportAddOrDelete(obj any) {
	if si, ok := unwrapTombstone[*object.ServiceImport](obj); ok {
		w.notifyKey(si.Key())
	}
}

// onImportUpdate notifies the key of a changed ServiceImport; the key of an
// object cannot change, so one key is enough.
func (w *watcher) onImportUpdate(oldObj, newObj any) {
	old, okOld := oldObj.(*object.ServiceImport)
	cur, okNew := newObj.(*object.ServiceImport)
	if !okOld || !okNew || old.ResourceVersion == cur.ResourceVersion {
		return
	}
	w.notifyKey(cur.Key())
}

// onSliceAddOrDelete notifies the service an added or deleted slice belongs
// to.
func (w *watcher) onSliceAddOrDelete(obj any) {
	if es, ok := unwrapTombstone[*object.EndpointSlice](obj); ok {
		w.notifyKey(es.Key())
	}
}

// onSliceUpdate notifies the service of a changed slice, and also the
// service it left when its service-name label changed.
func (w *watcher) onSliceUpdate(oldObj, newObj any) {
	old, okOld := oldObj.(*object.EndpointSlice)
	cur, okNew := newObj.(*object.EndpointSlice)
	if !okOld || !okNew || old.ResourceVersion == cur.ResourceVersion {
		return
	}
	if old.Key() != cur.Key() {
		w.notifyKey(old.Key())
	}
	w.notifyKey(cur.Key())
}

// onNamespaceAddOrDelete notifies every ServiceImport in a namespace that
// appeared or went: namespace sameness makes them all appear or vanish.
func (w *watcher) onNamespaceAddOrDelete(obj any) {
	ns, ok := unwrapTombstone[*object.Namespace](obj)
	if !ok {
		return
	}
	imports := w.imports.Load()
	if imports == nil {
		// No ServiceImport watch yet: its initial list will notify them.
		return
	}
	objs, err := imports.informer.GetIndexer().ByIndex(cache.NamespaceIndex, ns.Name)
	if err != nil {
		return
	}
	for _, obj := range objs {
		if si, ok := obj.(*object.ServiceImport); ok {
			w.notifyKey(si.Key())
		}
	}
}

// unwrapTombstone returns the object of a delete event, which is the object
// itself or, when the watch missed the delete, the last state the cache
// knew wrapped in a DeletedFinalStateUnknown.
func unwrapTombstone[T any](obj any) (T, bool) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	t, ok := obj.(T)
	return t, ok
}
