package importdecode

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	mcsv1alpha1 "sigs.k8s.io/mcs-api/pkg/apis/v1alpha1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

var (
	v1beta1Kind  = mcsv1beta1.SchemeGroupVersion.WithKind(mcsv1beta1.ServiceImportKindName)
	v1alpha1Kind = mcsv1alpha1.SchemeGroupVersion.WithKind(mcsv1alpha1.ServiceImportKindName)
)

// build fills the Go type the standard decoder would return for f's type
// meta with the kept fields alone; any other type meta is left to the
// standard decoder (ok false).
func build(f *importFields) (runtime.Object, *schema.GroupVersionKind, bool) {
	if string(f.kind) != v1beta1Kind.Kind {
		return nil, nil, false
	}
	switch string(f.apiVersion) {
	case v1beta1Kind.GroupVersion().String():
		gvk := v1beta1Kind
		return buildV1beta1(f), &gvk, true
	case v1alpha1Kind.GroupVersion().String():
		gvk := v1alpha1Kind
		return buildV1alpha1(f), &gvk, true
	}
	return nil, nil, false
}

// objectMeta holds the metadata the transform keeps.
func objectMeta(f *importFields) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: f.name, Namespace: f.namespace, ResourceVersion: f.resourceVersion}
}

func buildV1beta1(f *importFields) *mcsv1beta1.ServiceImport {
	si := &mcsv1beta1.ServiceImport{ObjectMeta: objectMeta(f)}
	si.Spec.Type = mcsv1beta1.ServiceImportType(f.importType)
	si.Spec.IPs = f.ips
	if len(f.ports) > 0 {
		si.Spec.Ports = make([]mcsv1beta1.ServicePort, len(f.ports))
		for i, p := range f.ports {
			si.Spec.Ports[i] = mcsv1beta1.ServicePort{Name: p.name, Protocol: corev1.Protocol(p.protocol), Port: p.port}
		}
	}
	si.Spec.InternalTrafficPolicy = (*corev1.ServiceInternalTrafficPolicy)(f.internalTrafficPolicy)
	si.Spec.TrafficDistribution = f.trafficDistribution
	si.Status.EndpointSliceObjects = mcsv1beta1.EndpointSliceObjectsStatus(f.endpointSliceObjects)
	return si
}

func buildV1alpha1(f *importFields) *mcsv1alpha1.ServiceImport {
	si := &mcsv1alpha1.ServiceImport{ObjectMeta: objectMeta(f)}
	si.Spec.Type = mcsv1alpha1.ServiceImportType(f.importType)
	si.Spec.IPs = f.ips
	if len(f.ports) > 0 {
		si.Spec.Ports = make([]mcsv1alpha1.ServicePort, len(f.ports))
		for i, p := range f.ports {
			si.Spec.Ports[i] = mcsv1alpha1.ServicePort{Name: p.name, Protocol: corev1.Protocol(p.protocol), Port: p.port}
		}
	}
	si.Spec.InternalTrafficPolicy = (*corev1.ServiceInternalTrafficPolicy)(f.internalTrafficPolicy)
	si.Spec.TrafficDistribution = f.trafficDistribution
	si.Status.EndpointSliceObjects = mcsv1alpha1.EndpointSliceObjectsStatus(f.endpointSliceObjects)
	return si
}
