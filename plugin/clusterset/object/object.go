// Package object holds the trimmed copies of the API objects that the
// clusterset caches keep: only the fields an answer is built from, so the
// caches do not hold whole ServiceImports and EndpointSlices.
//
// The types embed an ObjectMeta of this package that carries only name,
// namespace and resource version, and implements metav1.Object, so that
// client-go's stores, key functions and apimeta.Accessor work on them
// unchanged.
//
// Endpoint addresses are held parsed when they are written as one canonical
// address, the usual case, and as written otherwise (Addresses), so that
// the builder validates and reports them exactly as written either way.
//
// Trimmed objects are read-only once converted: the strings that repeat
// across objects and the port lists are shared between them.
//
// The package is types only: it imports k8s.io/apimachinery's meta types
// (for metav1.Object) and nothing of client-go, k8s.io/api or mcs-api, so
// that the answer side can read these types without depending on the API.
// The conversion from the API types is the watch side's, in package
// convert.
package object

// Labels the MCS API puts on imported EndpointSlices (KEP-1645).
const (
	// LabelServiceName names the ServiceImport a slice belongs to.
	LabelServiceName = "multicluster.kubernetes.io/service-name"
	// LabelSourceCluster names the cluster the slice's endpoints live in.
	LabelSourceCluster = "multicluster.kubernetes.io/source-cluster"
)

// ServiceImport types (KEP-1645 `spec.type`).
const (
	ClusterSetIP = "ClusterSetIP"
	Headless     = "Headless"
)

// EndpointSlice address types the answers use; FQDN slices are ignored.
const (
	AddressTypeIPv4 = "IPv4"
	AddressTypeIPv6 = "IPv6"
)

// ServiceKey names one imported service: its namespace and name.
type ServiceKey struct {
	Namespace string
	Name      string
}

// String returns "namespace/name", the form client-go keys use.
func (k ServiceKey) String() string { return k.Namespace + "/" + k.Name }

// Port is a service or EndpointSlice port.
type Port struct {
	Name     string
	Protocol string // "TCP", "UDP" or "SCTP" as written by the API; empty means TCP
	Port     int32
}

// ServiceImport is the part of a multicluster.x-k8s.io ServiceImport
// (v1alpha1 or v1beta1, identical shapes) that answers depend on.
type ServiceImport struct {
	ObjectMeta

	// Type is spec.type as written; anything but ClusterSetIP or Headless is
	// an unknown type and serves nothing.
	Type string
	// IPs is spec.ips as written: the builder validates every entry.
	IPs   []string
	Ports []Port
	// EndpointSlicesAbsent is true when status.endpointSliceObjects is
	// "Absent": the implementation imports no EndpointSlices for it.
	EndpointSlicesAbsent bool
	// LocalTrafficOnly is true when spec.internalTrafficPolicy is "Local":
	// only the local cluster's endpoints serve.
	LocalTrafficOnly bool
	// TrafficDistribution is spec.trafficDistribution as written
	// ("PreferClose", "PreferSameZone", ...), empty when unset.
	TrafficDistribution string
}

// Key returns the ServiceImport's service key.
func (s *ServiceImport) Key() ServiceKey { return ServiceKey{Namespace: s.Namespace, Name: s.Name} }

// EndpointSlice is the part of a discovery.k8s.io/v1 EndpointSlice labelled
// for a multi-cluster service that answers depend on.
type EndpointSlice struct {
	ObjectMeta

	// Service is the value of LabelServiceName.
	Service string
	// Cluster is the value of LabelSourceCluster; HasCluster is false when
	// the label is missing (such a slice serves nothing).
	Cluster    string
	HasCluster bool
	// AddressType is addressType as written (IPv4, IPv6, FQDN, ...).
	AddressType string
	Endpoints   []Endpoint
	Ports       []Port
}

// Key returns the key of the service the slice belongs to.
func (e *EndpointSlice) Key() ServiceKey { return ServiceKey{Namespace: e.Namespace, Name: e.Service} }

// Endpoint is one endpoint of a slice.
type Endpoint struct {
	// Addresses are the endpoint's addresses: the builder validates each
	// one.
	Addresses Addresses
	// Hostname is empty when unset.
	Hostname string
	// Zone is empty when unset.
	Zone string
	// Ready is conditions.ready, with nil meaning ready.
	Ready bool
}

// Well-known ClusterProperty names (KEP-2149, and this project's).
const (
	// PropertyClusterID holds this cluster's ID in the ClusterSet.
	PropertyClusterID = "cluster.clusterset.k8s.io"
	// PropertyZone and PropertyRegion hold the topology zone and region the
	// cluster's DNS servers run in (property names cannot hold the "/" of
	// the node labels, so these are the project's own).
	PropertyZone   = "zone.clusterset-dns.io"
	PropertyRegion = "region.clusterset-dns.io"
	// PropertyUnreachableClusters is the default health source: a list of
	// cluster IDs, separated by commas or spaces, whose endpoints are left
	// out of answers.
	PropertyUnreachableClusters = "unreachable-clusters.clusterset-dns.io"
)

// ClusterProperty is the part of an about.k8s.io ClusterProperty that answers
// depend on: its name and spec.value.
type ClusterProperty struct {
	ObjectMeta

	Value string
}

// Namespace is a namespace that exists locally (and matches the
// namespace_labels selector when one is configured).
type Namespace struct {
	ObjectMeta
}
