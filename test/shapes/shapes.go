// Package shapes builds, for the tests and the benchmark, the objects that
// real Multi-Cluster Services implementations write into an importing
// cluster for one exported service: ServiceImports (multicluster.x-k8s.io
// v1beta1) and MCS EndpointSlices, each in the layout its implementation
// uses, not the layout the specification would suggest. The plugin README's
// "MCS implementations" section says what each one writes and which options
// serve it; the builders here are that section in code.
//
// Every builder is a plain function of a Service, the same description for
// every implementation, so that one test can write the same service in
// every shape and compare the answers.
package shapes

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// Labels every implementation puts on its EndpointSlices (KEP-1645).
const (
	LabelServiceName   = mcsv1beta1.LabelServiceName   // multicluster.kubernetes.io/service-name
	LabelSourceCluster = mcsv1beta1.LabelSourceCluster // multicluster.kubernetes.io/source-cluster
	LabelManagedBy     = discoveryv1.LabelManagedBy    // endpointslice.kubernetes.io/managed-by
)

// Service is one exported service as the ClusterSet sees it: its namespace
// and name (the same in every cluster), its ports, and each exporting
// cluster's part, in the order the clusters exported it.
type Service struct {
	Namespace, Name string
	Ports           []Port
	Members         []Member
}

// Port is one port of the exported Service.
type Port struct {
	Name     string
	Protocol corev1.Protocol
	Port     int32
}

// Member is one exporting cluster's part of a service.
type Member struct {
	Cluster string
	// ServiceIP is the exported Service's ClusterIP in that cluster
	// (ClusterSetIP services only).
	ServiceIP string
	// Pods are the Service's endpoints in that cluster.
	Pods []Pod
}

// Pod is one endpoint of the exported Service.
type Pod struct {
	// Hostname is the pod's hostname (a StatefulSet's pods have one).
	Hostname string
	// Address is the pod's IP, IPv4 or IPv6.
	Address  string
	Zone     string
	NotReady bool
}

// Objects is what an implementation writes into the importing cluster.
type Objects struct {
	Imports []*mcsv1beta1.ServiceImport
	Slices  []*discoveryv1.EndpointSlice
}

// Plus returns o with the objects of more appended.
func (o Objects) Plus(more ...Objects) Objects {
	for _, m := range more {
		o.Imports = append(o.Imports, m.Imports...)
		o.Slices = append(o.Slices, m.Slices...)
	}
	return o
}

// Namespaces returns every namespace the objects are in, each once, in
// order of appearance: the importing cluster must have them all
// (namespace sameness, KEP-1645).
func (o Objects) Namespaces() []string {
	var out []string
	seen := map[string]bool{}
	add := func(ns string) {
		if !seen[ns] {
			seen[ns] = true
			out = append(out, ns)
		}
	}
	for _, si := range o.Imports {
		add(si.Namespace)
	}
	for _, es := range o.Slices {
		add(es.Namespace)
	}
	return out
}

// serviceImport is the import every shape starts from: the service's type,
// its ports and the exporting clusters in status. No spec.ips, no
// spec.ipFamilies: the shapes add what their implementation writes.
func (s Service) serviceImport(typ mcsv1beta1.ServiceImportType) *mcsv1beta1.ServiceImport {
	si := &mcsv1beta1.ServiceImport{
		ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: s.Name},
		Spec:       mcsv1beta1.ServiceImportSpec{Type: typ, Ports: []mcsv1beta1.ServicePort{}},
	}
	for _, p := range s.Ports {
		si.Spec.Ports = append(si.Spec.Ports, mcsv1beta1.ServicePort{Name: p.Name, Protocol: p.Protocol, Port: p.Port})
	}
	for _, m := range s.Members {
		si.Status.Clusters = append(si.Status.Clusters, mcsv1beta1.ClusterStatus{Cluster: m.Cluster})
	}
	return si
}

// slicePorts are the service's ports as EndpointSlice ports.
func (s Service) slicePorts() []discoveryv1.EndpointPort {
	out := make([]discoveryv1.EndpointPort, 0, len(s.Ports))
	for _, p := range s.Ports {
		out = append(out, discoveryv1.EndpointPort{Name: ptr(p.Name), Protocol: ptr(p.Protocol), Port: ptr(p.Port)})
	}
	return out
}

// podSlices are one slice per address family of m's pods, as the
// implementations that copy endpoints write them; labels are the slices'
// labels, to which the source cluster is added.
func (s Service) podSlices(m Member, labels map[string]string, managedBy string) []*discoveryv1.EndpointSlice {
	var out []*discoveryv1.EndpointSlice
	for _, at := range []discoveryv1.AddressType{discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6} {
		var eps []discoveryv1.Endpoint
		for _, p := range m.Pods {
			if addressType(p.Address) != at {
				continue
			}
			ep := discoveryv1.Endpoint{Addresses: []string{p.Address}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(!p.NotReady)}}
			if p.Hostname != "" {
				ep.Hostname = ptr(p.Hostname)
			}
			if p.Zone != "" {
				ep.Zone = ptr(p.Zone)
			}
			eps = append(eps, ep)
		}
		if len(eps) == 0 {
			continue
		}
		out = append(out, &discoveryv1.EndpointSlice{
			ObjectMeta:  s.sliceMeta(m.Cluster, string(at), labels, managedBy),
			AddressType: at,
			Endpoints:   eps,
			Ports:       s.slicePorts(),
		})
	}
	return out
}

// sliceMeta names a slice S-xxxxx (xxxxx stable per implementation,
// cluster and part, as generated names are unique) and labels it.
func (s Service) sliceMeta(cluster, part string, labels map[string]string, managedBy string) metav1.ObjectMeta {
	l := map[string]string{LabelServiceName: s.Name, LabelSourceCluster: cluster, LabelManagedBy: managedBy}
	for k, v := range labels {
		l[k] = v
	}
	sum := sha256.Sum256([]byte(managedBy + "/" + s.Namespace + "/" + s.Name + "/" + cluster + "/" + part))
	return metav1.ObjectMeta{Namespace: s.Namespace, Name: s.Name + "-" + hex.EncodeToString(sum[:])[:5], Labels: l}
}

// anyReady reports whether m has a ready pod, or lists none.
func (m Member) anyReady() bool {
	for _, p := range m.Pods {
		if !p.NotReady {
			return true
		}
	}
	return len(m.Pods) == 0
}

// addressType is the slice address type of an IP.
func addressType(ip string) discoveryv1.AddressType {
	if a, err := netip.ParseAddr(ip); err == nil && a.Is6() && !a.Is4In6() {
		return discoveryv1.AddressTypeIPv6
	}
	return discoveryv1.AddressTypeIPv4
}

// ipFamilies are the families of ips, as a derived Service lists them.
func ipFamilies(ips []string) []corev1.IPFamily {
	var out []corev1.IPFamily
	for _, ip := range ips {
		f := corev1.IPv4Protocol
		if addressType(ip) == discoveryv1.AddressTypeIPv6 {
			f = corev1.IPv6Protocol
		}
		out = append(out, f)
	}
	return out
}

func boolString(b bool) string { return strconv.FormatBool(b) }

func ptr[T any](v T) *T { return &v }
