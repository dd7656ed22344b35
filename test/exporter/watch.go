package exporter

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	mcsv1alpha1 "sigs.k8s.io/mcs-api/pkg/apis/v1alpha1"
	mcsinformers "sigs.k8s.io/mcs-api/pkg/client/informers/externalversions"
	mcslisters "sigs.k8s.io/mcs-api/pkg/client/listers/apis/v1alpha1"
)

// sourceSliceSelector picks the slices a cluster's own controllers write for
// its Services, not the MCS slices written into it (which the mcs-api shape
// also labels with a derived Service's name).
var sourceSliceSelector = discoveryv1.LabelServiceName + ",!" + LabelServiceName

// byService indexes source slices by namespace/service.
const byService = "service"

// member is one cluster's watches.
type member struct {
	Cluster
	kubeInformers  informers.SharedInformerFactory
	sliceInformers informers.SharedInformerFactory
	mcsInformers   mcsinformers.SharedInformerFactory

	services      corelisters.ServiceLister
	serviceExport mcslisters.ServiceExportLister
	sliceIndex    cache.Indexer
	synced        []cache.InformerSynced
}

func newMember(c Cluster, e *Exporter, namespace string) *member {
	m := &member{
		Cluster:       c,
		kubeInformers: informers.NewSharedInformerFactoryWithOptions(c.Kube, 0, informers.WithNamespace(namespace)),
		sliceInformers: informers.NewSharedInformerFactoryWithOptions(c.Kube, 0, informers.WithNamespace(namespace),
			informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = sourceSliceSelector })),
		mcsInformers: mcsinformers.NewSharedInformerFactoryWithOptions(c.MCS, 0, mcsinformers.WithNamespace(namespace)),
	}

	exports := m.mcsInformers.Multicluster().V1alpha1().ServiceExports()
	m.serviceExport = exports.Lister()
	exportInf := exports.Informer()
	// Every export event matters, deletions above all.
	_, _ = exportInf.AddEventHandler(keyHandler(func(obj any) []serviceKey {
		if key, ok := metaKey(obj); ok {
			return []serviceKey{key}
		}
		return nil
	}, e.enqueue))

	services := m.kubeInformers.Core().V1().Services()
	m.services = services.Lister()
	serviceInf := services.Informer()
	_, _ = serviceInf.AddEventHandler(keyHandler(func(obj any) []serviceKey {
		if key, ok := metaKey(obj); ok && e.exported(key) {
			return []serviceKey{key}
		}
		return nil
	}, e.enqueue))

	sliceInf := m.sliceInformers.Discovery().V1().EndpointSlices().Informer()
	_ = sliceInf.AddIndexers(cache.Indexers{byService: func(obj any) ([]string, error) {
		es, ok := obj.(*discoveryv1.EndpointSlice)
		if !ok {
			return nil, nil
		}
		return []string{es.Namespace + "/" + es.Labels[discoveryv1.LabelServiceName]}, nil
	}})
	m.sliceIndex = sliceInf.GetIndexer()
	_, _ = sliceInf.AddEventHandler(keyHandler(func(obj any) []serviceKey {
		es, ok := obj.(*discoveryv1.EndpointSlice)
		if !ok {
			return nil
		}
		key := serviceKey{Namespace: es.Namespace, Name: es.Labels[discoveryv1.LabelServiceName]}
		if e.exported(key) {
			return []serviceKey{key}
		}
		return nil
	}, e.enqueue))

	nsInf := m.kubeInformers.Core().V1().Namespaces().Informer()
	_, _ = nsInf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: func(obj any) {
		if ns, ok := obj.(*corev1.Namespace); ok {
			e.enqueueNamespace(ns.Name)
		}
	}})

	m.synced = []cache.InformerSynced{exportInf.HasSynced, serviceInf.HasSynced, sliceInf.HasSynced, nsInf.HasSynced}
	return m
}

// keyHandler turns every add, update and delete into the service keys keys
// finds in the object (both the old and the new one of an update, in case a
// label moved a slice to another service).
func keyHandler(keys func(obj any) []serviceKey, enqueue func(serviceKey)) cache.ResourceEventHandler {
	each := func(obj any) {
		if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = t.Obj
		}
		for _, k := range keys(obj) {
			enqueue(k)
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    each,
		UpdateFunc: func(old, cur any) { each(old); each(cur) },
		DeleteFunc: each,
	}
}

func metaKey(obj any) (serviceKey, bool) {
	o, ok := obj.(metav1.Object)
	if !ok {
		return serviceKey{}, false
	}
	return serviceKey{Namespace: o.GetNamespace(), Name: o.GetName()}, true
}

func (m *member) start(stop <-chan struct{}) {
	m.kubeInformers.Start(stop)
	m.sliceInformers.Start(stop)
	m.mcsInformers.Start(stop)
}

func (m *member) waitForSync(ctx context.Context) error {
	if !cache.WaitForCacheSync(ctx.Done(), m.synced...) {
		return fmt.Errorf("exporter: cluster %s: caches not synced: %w", m.ID, context.Cause(ctx))
	}
	return nil
}

// shutdown waits for the informers' goroutines, after their stop channel
// closed.
func (m *member) shutdown() {
	m.kubeInformers.Shutdown()
	m.sliceInformers.Shutdown()
	m.mcsInformers.Shutdown()
}

// export returns the cluster's ServiceExport of key, nil when there is none
// or it is being deleted.
func (m *member) export(key serviceKey) *mcsv1alpha1.ServiceExport {
	se, err := m.serviceExport.ServiceExports(key.Namespace).Get(key.Name)
	if err != nil || se.DeletionTimestamp != nil {
		return nil
	}
	return se
}

func (m *member) exports(key serviceKey) bool { return m.export(key) != nil }

func (m *member) exportsIn(ns string) []serviceKey {
	list, _ := m.serviceExport.ServiceExports(ns).List(labels.Everything())
	keys := make([]serviceKey, 0, len(list))
	for _, se := range list {
		keys = append(keys, serviceKey{Namespace: se.Namespace, Name: se.Name})
	}
	return keys
}

// source reads what the cluster exports of key from its caches. ok is
// false when it exports nothing; note says why an export is not usable yet.
func (m *member) source(key serviceKey) (src source, ok bool, note string) {
	se := m.export(key)
	if se == nil {
		return source{}, false, ""
	}
	svc, err := m.services.Services(key.Namespace).Get(key.Name)
	switch {
	case apierrors.IsNotFound(err):
		return source{}, false, fmt.Sprintf("cluster %s exports it but has no such Service: waiting for it", m.ID)
	case err != nil:
		return source{}, false, fmt.Sprintf("cluster %s: reading its Service: %v", m.ID, err)
	case svc.Spec.Type == corev1.ServiceTypeExternalName:
		// KEP-1645: ExternalName services cannot be exported.
		return source{}, false, fmt.Sprintf("cluster %s exports an ExternalName Service, which cannot be exported", m.ID)
	case svc.Spec.ClusterIP == "":
		return source{}, false, fmt.Sprintf("cluster %s: its Service has no clusterIP yet: waiting for it", m.ID)
	}
	objs, _ := m.sliceIndex.ByIndex(byService, key.String())
	var esl []*discoveryv1.EndpointSlice
	for _, o := range objs {
		if es, ok := o.(*discoveryv1.EndpointSlice); ok {
			esl = append(esl, es)
		}
	}
	slices.SortFunc(esl, func(a, b *discoveryv1.EndpointSlice) int { return strings.Compare(a.Name, b.Name) })
	return source{cluster: m.ID, since: se.CreationTimestamp.Time, service: svc, slices: esl}, true, ""
}
