package convert

import (
	"fmt"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/cache"
	mcsv1alpha1 "sigs.k8s.io/mcs-api/pkg/apis/v1alpha1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// protocolTCP is what an unset port protocol means in both APIs, written out
// so that the builder never has to know about the default.
const protocolTCP = string(corev1.ProtocolTCP)

// trimMeta keeps only what the caches key on and what tells a change from a
// resync; labels, annotations and managedFields are most of an object's
// memory and no answer reads them.
func trimMeta(m *metav1.ObjectMeta) object.ObjectMeta {
	return object.ObjectMeta{Name: m.Name, Namespace: intern(m.Namespace), ResourceVersion: m.ResourceVersion}
}

// protocolOrTCP spells out the API default so that equal ports compare equal
// whether or not the writer set it.
func protocolOrTCP(p corev1.Protocol) string {
	if p == "" {
		return protocolTCP
	}
	return intern(string(p))
}

// ServiceImportFromV1beta1 trims a v1beta1 ServiceImport.
func ServiceImportFromV1beta1(si *mcsv1beta1.ServiceImport) *object.ServiceImport {
	ports := make([]object.Port, 0, len(si.Spec.Ports))
	for _, p := range si.Spec.Ports {
		ports = append(ports, object.Port{Name: intern(p.Name), Protocol: protocolOrTCP(p.Protocol), Port: p.Port})
	}
	return &object.ServiceImport{
		ObjectMeta:           trimMeta(&si.ObjectMeta),
		Type:                 intern(string(si.Spec.Type)),
		IPs:                  cloneStrings(si.Spec.IPs),
		Ports:                internPorts(ports),
		EndpointSlicesAbsent: si.Status.EndpointSliceObjects == mcsv1beta1.EndpointSliceObjectsAbsent,
		LocalTrafficOnly:     isLocalPolicy(si.Spec.InternalTrafficPolicy),
		TrafficDistribution:  intern(stringOrEmpty(si.Spec.TrafficDistribution)),
	}
}

// ServiceImportFromV1alpha1 trims a v1alpha1 ServiceImport; the shape is the
// v1beta1 one, so the result is too.
func ServiceImportFromV1alpha1(si *mcsv1alpha1.ServiceImport) *object.ServiceImport {
	ports := make([]object.Port, 0, len(si.Spec.Ports))
	for _, p := range si.Spec.Ports {
		ports = append(ports, object.Port{Name: intern(p.Name), Protocol: protocolOrTCP(p.Protocol), Port: p.Port})
	}
	return &object.ServiceImport{
		ObjectMeta:           trimMeta(&si.ObjectMeta),
		Type:                 intern(string(si.Spec.Type)),
		IPs:                  cloneStrings(si.Spec.IPs),
		Ports:                internPorts(ports),
		EndpointSlicesAbsent: si.Status.EndpointSliceObjects == mcsv1alpha1.EndpointSliceObjectsAbsent,
		LocalTrafficOnly:     isLocalPolicy(si.Spec.InternalTrafficPolicy),
		TrafficDistribution:  intern(stringOrEmpty(si.Spec.TrafficDistribution)),
	}
}

// isLocalPolicy reports whether an internalTrafficPolicy is Local. Unset
// means Cluster, as for a Service; any other value serves every cluster,
// the fail-open reading of a value this version does not know.
func isLocalPolicy(p *corev1.ServiceInternalTrafficPolicy) bool {
	return p != nil && *p == corev1.ServiceInternalTrafficPolicyLocal
}

// EndpointSliceFromV1 trims a discovery/v1 EndpointSlice. The service and
// cluster come from the MCS labels, which are the only labels an answer
// needs, so the labels themselves are dropped.
func EndpointSliceFromV1(es *discoveryv1.EndpointSlice) *object.EndpointSlice {
	cluster, hasCluster := es.Labels[object.LabelSourceCluster]
	endpoints := make([]object.Endpoint, 0, len(es.Endpoints))
	for i := range es.Endpoints {
		ep := &es.Endpoints[i]
		endpoints = append(endpoints, object.Endpoint{
			Addresses: object.NewAddresses(ep.Addresses...),
			Hostname:  stringOrEmpty(ep.Hostname),
			// An unset condition means ready (discovery/v1 API doc): a
			// producer that does not track readiness still serves.
			Ready: ep.Conditions.Ready == nil || *ep.Conditions.Ready,
			Zone:  intern(stringOrEmpty(ep.Zone)),
		})
	}
	ports := make([]object.Port, 0, len(es.Ports))
	for _, p := range es.Ports {
		// A nil port means "all ports" in the API: there is no number to put
		// in an SRV record.
		if p.Port == nil {
			continue
		}
		protocol := protocolTCP
		if p.Protocol != nil {
			protocol = protocolOrTCP(*p.Protocol)
		}
		ports = append(ports, object.Port{Name: intern(stringOrEmpty(p.Name)), Protocol: protocol, Port: *p.Port})
	}
	return &object.EndpointSlice{
		ObjectMeta:  trimMeta(&es.ObjectMeta),
		Service:     es.Labels[object.LabelServiceName],
		Cluster:     intern(cluster),
		HasCluster:  hasCluster,
		AddressType: intern(string(es.AddressType)),
		Endpoints:   endpoints,
		Ports:       internPorts(ports),
	}
}

// NamespaceFromV1 trims a Namespace to its name: its existence is all that
// namespace sameness asks, and the label filter runs on the server.
func NamespaceFromV1(ns *corev1.Namespace) *object.Namespace {
	return &object.Namespace{ObjectMeta: trimMeta(&ns.ObjectMeta)}
}

// ClusterPropertyFromUnstructured trims an about.k8s.io ClusterProperty
// (KEP-2149), read through the dynamic client because no Go client for the
// about-api is published. The value is spec.value as written, "" when it is
// missing or not a string (which the CRD's schema does not allow): the
// users of each property validate it.
func ClusterPropertyFromUnstructured(u *unstructured.Unstructured) *object.ClusterProperty {
	value, _, _ := unstructured.NestedString(u.Object, "spec", "value")
	return &object.ClusterProperty{
		ObjectMeta: object.ObjectMeta{Name: u.GetName(), ResourceVersion: u.GetResourceVersion()},
		Value:      value,
	}
}

// TransformServiceImport is the cache.TransformFunc of the ServiceImport
// informer: it accepts either API version because the version is chosen at
// run time.
func TransformServiceImport(obj any) (any, error) {
	return transform(obj, "ServiceImport", func(obj any) (any, bool) {
		switch o := obj.(type) {
		case *mcsv1beta1.ServiceImport:
			return ServiceImportFromV1beta1(o), true
		case *mcsv1alpha1.ServiceImport:
			return ServiceImportFromV1alpha1(o), true
		case *object.ServiceImport:
			return o, true
		}
		return nil, false
	})
}

// TransformEndpointSlice is the cache.TransformFunc of the EndpointSlice
// informer.
func TransformEndpointSlice(obj any) (any, error) {
	return transform(obj, "EndpointSlice", func(obj any) (any, bool) {
		switch o := obj.(type) {
		case *discoveryv1.EndpointSlice:
			return EndpointSliceFromV1(o), true
		case *object.EndpointSlice:
			return o, true
		}
		return nil, false
	})
}

// TransformNamespace is the cache.TransformFunc of the Namespace informer.
func TransformNamespace(obj any) (any, error) {
	return transform(obj, "Namespace", func(obj any) (any, bool) {
		switch o := obj.(type) {
		case *corev1.Namespace:
			return NamespaceFromV1(o), true
		case *object.Namespace:
			return o, true
		}
		return nil, false
	})
}

// TransformClusterProperty is the cache.TransformFunc of the ClusterProperty
// informer.
func TransformClusterProperty(obj any) (any, error) {
	return transform(obj, "ClusterProperty", func(obj any) (any, bool) {
		switch o := obj.(type) {
		case *unstructured.Unstructured:
			return ClusterPropertyFromUnstructured(o), true
		case *object.ClusterProperty:
			return o, true
		}
		return nil, false
	})
}

// IndexSliceByService is the cache.IndexFunc that indexes EndpointSlices by
// the key of the service they are labelled for. The transform lets only
// trimmed slices into the store; anything else is left unindexed rather
// than reported, because client-go panics on an index error.
func IndexSliceByService(obj any) ([]string, error) {
	es, ok := obj.(*object.EndpointSlice)
	if !ok {
		return nil, nil
	}
	return []string{es.Key().String()}, nil
}

// transform holds what the transforms share. client-go may hand a
// transform an object it already transformed (on a resync or a replace), so
// trimmed objects pass through; and it may hand it a tombstone, whose inner
// object must be trimmed too or the deleted object would keep its full size
// until the handlers are done with it.
func transform(obj any, kind string, convert func(any) (any, bool)) (any, error) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		if tombstone.Obj == nil {
			return tombstone, nil
		}
		inner, err := transform(tombstone.Obj, kind, convert)
		if err != nil {
			return nil, err
		}
		return cache.DeletedFinalStateUnknown{Key: tombstone.Key, Obj: inner}, nil
	}
	if out, ok := convert(obj); ok {
		return out, nil
	}
	return nil, fmt.Errorf("transforming %s: unexpected object type %T", kind, obj)
}

// cloneStrings copies so the trimmed object shares no backing array with the
// API object, which would otherwise stay reachable.
func cloneStrings(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	return append(make([]string, 0, len(in)), in...)
}

// stringOrEmpty reads an optional API string, where unset and empty mean the
// same to an answer.
func stringOrEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
