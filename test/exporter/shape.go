package exporter

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clusterset-dns/clusterset/test/shapes"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// Shape is the way an MCS implementation lays out what it imports.
type Shape int

const (
	// LighthouseShape is Submariner Lighthouse's layout.
	LighthouseShape Shape = iota + 1
	// MCSAPIShape is the sigs.k8s.io/mcs-api reference controller's layout.
	MCSAPIShape
)

func (s Shape) String() string {
	switch s {
	case LighthouseShape:
		return "lighthouse"
	case MCSAPIShape:
		return "mcs-api"
	}
	return "Shape(" + strconv.Itoa(int(s)) + ")"
}

// ManagedBy is the endpointslice.kubernetes.io/managed-by value of the
// shape's controller, which tells its slices apart from everyone else's.
func (s Shape) ManagedBy() string {
	if s == LighthouseShape {
		return ManagedByLighthouse
	}
	return ManagedByMCSAPI
}

// Labels and values the shapes write.
const (
	// LabelServiceName and LabelSourceCluster are the KEP-1645 labels of an
	// imported EndpointSlice.
	LabelServiceName   = mcsv1beta1.LabelServiceName
	LabelSourceCluster = mcsv1beta1.LabelSourceCluster
	// LabelManagedBy names the controller of an EndpointSlice.
	LabelManagedBy = discoveryv1.LabelManagedBy

	// ManagedByLighthouse is Lighthouse's agent.
	ManagedByLighthouse = shapes.ManagedByLighthouse
	// LabelLighthouseSourceNamespace and LabelLighthouseIsHeadless are the
	// labels Lighthouse adds to its slices.
	LabelLighthouseSourceNamespace = shapes.LabelLighthouseSourceNamespace
	LabelLighthouseIsHeadless      = shapes.LabelLighthouseIsHeadless

	// ManagedByMCSAPI is this package in the mcs-api shape; it is no
	// vendor's name.
	ManagedByMCSAPI = "mcs-controller.test.clusterset-dns.io"
	// AnnotationDerivedService names, on a ServiceImport, the derived
	// Service whose ClusterIP is the import's spec.ips (mcs-api controller).
	AnnotationDerivedService = shapes.AnnotationDerivedService
)

// serviceKey names an exported service: namespace and name, the same in
// every cluster (namespace sameness, KEP-1645).
type serviceKey struct{ Namespace, Name string }

func (k serviceKey) String() string { return k.Namespace + "/" + k.Name }

// source is one cluster's export of a service: what the exporter read in
// that cluster.
type source struct {
	cluster string
	// since is the ServiceExport's creation time; the oldest export wins
	// conflicts (KEP-1645, "Constraints and Conflict Resolution").
	since   time.Time
	service *corev1.Service
	// slices are the Service's EndpointSlices as the cluster's
	// controller-manager wrote them, sorted by name.
	slices []*discoveryv1.EndpointSlice
}

// sortSources puts the oldest export first, cluster ID breaking ties (the
// timestamps have one-second resolution).
func sortSources(sources []source) {
	slices.SortFunc(sources, func(a, b source) int {
		if c := a.since.Compare(b.since); c != 0 {
			return c
		}
		return strings.Compare(a.cluster, b.cluster)
	})
}

// importType is the oldest export's: a Service with clusterIP None is
// headless.
func importType(sources []source) mcsv1beta1.ServiceImportType {
	if sources[0].service.Spec.ClusterIP == corev1.ClusterIPNone {
		return mcsv1beta1.Headless
	}
	return mcsv1beta1.ClusterSetIP
}

// mergedPorts is the union of the exported Services' ports by name, the
// oldest export's port winning a name two clusters define differently (a
// Service's port names are unique, and so must the derived Service's be).
func mergedPorts(sources []source) []mcsv1beta1.ServicePort {
	ports := []mcsv1beta1.ServicePort{}
	seen := map[string]bool{}
	for _, src := range sources {
		for _, p := range src.service.Spec.Ports {
			if seen[p.Name] {
				continue
			}
			seen[p.Name] = true
			ports = append(ports, mcsv1beta1.ServicePort{Name: p.Name, Protocol: protocolOrTCP(p.Protocol), AppProtocol: p.AppProtocol, Port: p.Port})
		}
	}
	return ports
}

// ipFamilies is the union of the exported Services' families, the oldest
// export's first.
func ipFamilies(sources []source) []corev1.IPFamily {
	var fams []corev1.IPFamily
	for _, src := range sources {
		for _, f := range src.service.Spec.IPFamilies {
			if !slices.Contains(fams, f) {
				fams = append(fams, f)
			}
		}
	}
	return fams
}

func clusterStatus(sources []source) []mcsv1beta1.ClusterStatus {
	ids := make([]string, 0, len(sources))
	for _, src := range sources {
		ids = append(ids, src.cluster)
	}
	slices.Sort(ids)
	out := make([]mcsv1beta1.ClusterStatus, 0, len(ids))
	for _, id := range ids {
		out = append(out, mcsv1beta1.ClusterStatus{Cluster: id})
	}
	return out
}

// serviceImport is the import the shape writes for key. derived is the
// derived Service of an mcs-api ClusterSetIP import in the importing
// cluster, nil otherwise.
func (s Shape) serviceImport(key serviceKey, sources []source, derived *corev1.Service) *mcsv1beta1.ServiceImport {
	si := &mcsv1beta1.ServiceImport{
		ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name},
		Spec:       mcsv1beta1.ServiceImportSpec{Type: importType(sources), Ports: mergedPorts(sources)},
		Status:     mcsv1beta1.ServiceImportStatus{Clusters: clusterStatus(sources)},
	}
	switch {
	case s == LighthouseShape && si.Spec.Type == mcsv1beta1.Headless:
		si.Spec.Ports = []mcsv1beta1.ServicePort{}
	case s == MCSAPIShape && derived != nil:
		si.Annotations = map[string]string{AnnotationDerivedService: derived.Name}
		si.Spec.IPs = slices.Clone(derived.Spec.ClusterIPs[:min(2, len(derived.Spec.ClusterIPs))])
		si.Spec.IPFamilies = slices.Clone(derived.Spec.IPFamilies)
	case s == MCSAPIShape:
		si.Spec.IPFamilies = ipFamilies(sources)
	}
	return si
}

// derivedServiceName is the mcs-api controller's name for the Service it
// derives from a ServiceImport: stable per namespace and name.
func derivedServiceName(key serviceKey) string {
	return shapes.MCSAPIDerivedServiceName(key.Namespace, key.Name)
}

// derivedService is the selector-less ClusterIP Service whose ClusterIP an
// mcs-api ClusterSetIP import carries; the importing cluster's API server
// allocates that IP from its own service range.
func derivedService(key serviceKey, ports []mcsv1beta1.ServicePort) *corev1.Service {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: derivedServiceName(key)},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP},
	}
	for _, p := range ports {
		svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: p.Name, Protocol: p.Protocol, AppProtocol: p.AppProtocol, Port: p.Port})
	}
	return svc
}

// endpointSlices are the MCS slices the shape writes for key, from every
// source, in any importing cluster: the same in all of them.
func (s Shape) endpointSlices(key serviceKey, sources []source, logNote func(string)) []*discoveryv1.EndpointSlice {
	typ := importType(sources)
	var out []*discoveryv1.EndpointSlice
	for _, src := range sources {
		if s == LighthouseShape && typ == mcsv1beta1.ClusterSetIP {
			es, err := s.serviceIPSlice(key, src)
			if err != nil {
				logNote(err.Error())
				continue
			}
			out = append(out, es)
			continue
		}
		for _, from := range src.slices {
			out = append(out, s.copiedSlice(key, src.cluster, typ, from))
		}
	}
	return out
}

// serviceIPSlice is Lighthouse's slice for a ClusterSetIP service without a
// clusterset IP: one endpoint, the source cluster's Service ClusterIP, ready
// while the Service has a ready endpoint there.
func (s Shape) serviceIPSlice(key serviceKey, src source) (*discoveryv1.EndpointSlice, error) {
	ip := net.ParseIP(src.service.Spec.ClusterIP)
	if ip == nil {
		return nil, fmt.Errorf("cluster %s exports a Service without a ClusterIP (%q) into a ClusterSetIP import: its service IP slice is left out", src.cluster, src.service.Spec.ClusterIP)
	}
	addressType := discoveryv1.AddressTypeIPv4
	if ip.To4() == nil {
		addressType = discoveryv1.AddressTypeIPv6
	}
	ready := false
	for _, es := range src.slices {
		for _, ep := range es.Endpoints {
			// Unset means ready (discovery/v1 API), as consumers read it.
			if ep.Conditions.Ready == nil || *ep.Conditions.Ready {
				ready = true
			}
		}
	}
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  s.sliceMeta(key, src.cluster, false, "service-ip-"+string(addressType)),
		AddressType: addressType,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{src.service.Spec.ClusterIP},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
		}},
		Ports: []discoveryv1.EndpointPort{},
	}
	for _, p := range src.service.Spec.Ports {
		es.Ports = append(es.Ports, discoveryv1.EndpointPort{
			Name: ptr(p.Name), Protocol: ptr(protocolOrTCP(p.Protocol)), Port: ptr(p.Port), AppProtocol: p.AppProtocol,
		})
	}
	return es, nil
}

// copiedSlice copies one source slice: its address type, its ports (the
// ports the pods listen on, which headless SRV records give), and of each
// endpoint what DNS can use of it in another cluster. The target reference,
// node name and hints name objects of the source cluster and are left out.
func (s Shape) copiedSlice(key serviceKey, cluster string, typ mcsv1beta1.ServiceImportType, from *discoveryv1.EndpointSlice) *discoveryv1.EndpointSlice {
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  s.sliceMeta(key, cluster, typ == mcsv1beta1.Headless, from.Name),
		AddressType: from.AddressType,
		Endpoints:   make([]discoveryv1.Endpoint, 0, len(from.Endpoints)),
		Ports:       make([]discoveryv1.EndpointPort, 0, len(from.Ports)),
	}
	for _, ep := range from.Endpoints {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses: slices.Clone(ep.Addresses),
			Conditions: discoveryv1.EndpointConditions{
				Ready:       clonePtr(ep.Conditions.Ready),
				Serving:     clonePtr(ep.Conditions.Serving),
				Terminating: clonePtr(ep.Conditions.Terminating),
			},
			Hostname: clonePtr(ep.Hostname),
			Zone:     clonePtr(ep.Zone),
		})
	}
	for _, p := range from.Ports {
		es.Ports = append(es.Ports, discoveryv1.EndpointPort{
			Name: clonePtr(p.Name), Protocol: clonePtr(p.Protocol), Port: clonePtr(p.Port), AppProtocol: clonePtr(p.AppProtocol),
		})
	}
	return es
}

// sliceMeta names and labels an MCS slice. The name is stable for one
// source cluster and part (a source slice, or Lighthouse's service IP
// slice), so that rewriting it is an update, never a second slice.
func (s Shape) sliceMeta(key serviceKey, cluster string, headless bool, part string) metav1.ObjectMeta {
	labels := map[string]string{
		LabelServiceName:   key.Name,
		LabelSourceCluster: cluster,
		LabelManagedBy:     s.ManagedBy(),
	}
	switch s {
	case LighthouseShape:
		labels[LabelLighthouseSourceNamespace] = key.Namespace
		labels[LabelLighthouseIsHeadless] = strconv.FormatBool(headless)
	case MCSAPIShape:
		// The mcs-api controller points its slices at the derived
		// Service, so that kube-proxy serves the derived ClusterIP.
		labels[discoveryv1.LabelServiceName] = derivedServiceName(key)
	}
	return metav1.ObjectMeta{Namespace: key.Namespace, Name: s.sliceName(key.Name, cluster, part), Labels: labels}
}

// maxNameLength is the longest object name the API accepts (a DNS
// subdomain, RFC 1123).
const maxNameLength = 253

// sliceName is S-C-xxxxx, xxxxx a hash of the shape's controller, the
// cluster and the part, so that two shapes' controllers never write the same
// slice; a long service and cluster are cut so that the name stays valid.
func (s Shape) sliceName(service, cluster, part string) string {
	suffix := "-" + shortHash(s.ManagedBy()+"/"+cluster+"/"+part, 5)
	prefix := service + "-" + cluster
	if len(prefix)+len(suffix) > maxNameLength {
		prefix = strings.TrimRight(prefix[:maxNameLength-len(suffix)], "-.")
	}
	return prefix + suffix
}

// shortHash is n lowercase base32 characters of the SHA-256 of s: valid in
// any DNS label.
func shortHash(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return strings.ToLower(base32.HexEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:]))[:n]
}

func protocolOrTCP(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

func ptr[T any](v T) *T { return &v }

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
