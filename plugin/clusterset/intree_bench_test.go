package clusterset

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/kubernetes"
	kobject "github.com/coredns/coredns/plugin/kubernetes/object"
	"github.com/miekg/dns"
	api "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	mcs "sigs.k8s.io/mcs-api/pkg/apis/v1alpha1"
)

// Index names and functions of the in-tree controller's caches. They are
// unexported in plugin/kubernetes, so they are repeated here: the fake must
// index by the same key (object.ServiceImportKey / MultiClusterEndpointsKey,
// "name.namespace") or the in-tree lookups find nothing.
const (
	inTreeSvcImportIndex = "ServiceImportNameNamespace"
	inTreeMcEpIndex      = "MultiClusterEndpointsImportNameNamespace"
)

// errInTreeNext is what the in-tree plugin's Next returns: every benchmark
// query is in its zone, so reaching Next means the setup is wrong, and the
// benchmark loop fails on the error.
var errInTreeNext = errors.New("in-tree kubernetes plugin called its Next handler")

// inTreeAPIConn implements plugin/kubernetes's unexported dnsController over
// the same client-go indexers, index functions and lookup code that its real
// dnsControl uses, so the baseline pays the production cache cost (indexer
// lock, []any result, typed copy) rather than a map lookup that would
// flatter it. Only the multicluster and namespace lookups hold data; the
// rest return nothing because the benchmark queries only clusterset.local.
type inTreeAPIConn struct {
	svcImports cache.Indexer
	mcEps      cache.Indexer
	namespaces cache.Store
}

// newInTreeAPIConn converts src into the API objects an MCS controller
// writes (mcs ServiceImports, EndpointSlices labelled with service name and
// source cluster, namespaces) and runs them through the in-tree plugin's own
// exported converters, so the cache holds exactly what its informers would.
func newInTreeAPIConn(tb testing.TB, src *fakeSource) *inTreeAPIConn {
	tb.Helper()
	a := &inTreeAPIConn{
		svcImports: cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{inTreeSvcImportIndex: func(obj any) ([]string, error) {
			return []string{obj.(*kobject.ServiceImport).Index}, nil
		}}),
		mcEps: cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{inTreeMcEpIndex: func(obj any) ([]string, error) {
			return []string{obj.(*kobject.MultiClusterEndpoints).Index}, nil
		}}),
		namespaces: cache.NewStore(cache.MetaNamespaceKeyFunc),
	}
	add := func(store cache.Store, obj metav1.Object, err error) {
		if err != nil {
			tb.Fatal(err)
		}
		if err := store.Add(obj); err != nil {
			tb.Fatal(err)
		}
	}
	for ns := range src.namespaces {
		add(a.namespaces, &kobject.Namespace{Name: ns, Version: "1"}, nil)
	}
	for _, si := range src.imports {
		obj, err := kobject.ToServiceImport(toMCSServiceImport(si))
		add(a.svcImports, obj, err)
	}
	for _, list := range src.slices {
		for _, es := range list {
			obj, err := kobject.EndpointSliceToMultiClusterEndpoints(toDiscoverySlice(es))
			add(a.mcEps, obj, err)
		}
	}
	return a
}

// toMCSServiceImport turns our trimmed ServiceImport back into the
// v1alpha1 object the in-tree informer receives.
func toMCSServiceImport(si *object.ServiceImport) *mcs.ServiceImport {
	out := &mcs.ServiceImport{
		ObjectMeta: metav1.ObjectMeta{Namespace: si.Namespace, Name: si.Name, ResourceVersion: si.ResourceVersion},
		Spec:       mcs.ServiceImportSpec{Type: mcs.ServiceImportType(si.Type), IPs: slices.Clone(si.IPs)},
	}
	for _, p := range si.Ports {
		out.Spec.Ports = append(out.Spec.Ports, mcs.ServicePort{Name: p.Name, Protocol: apiProtocol(p.Protocol), Port: p.Port})
	}
	return out
}

// toDiscoverySlice turns our trimmed EndpointSlice back into the labelled
// discovery/v1 object an MCS implementation imports.
func toDiscoverySlice(es *object.EndpointSlice) *discovery.EndpointSlice {
	labels := map[string]string{
		mcs.LabelServiceName:       es.Service,
		discovery.LabelServiceName: es.Service,
	}
	if es.HasCluster {
		labels[mcs.LabelSourceCluster] = es.Cluster
	}
	out := &discovery.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: es.Namespace, Name: es.Name, ResourceVersion: es.ResourceVersion, Labels: labels},
		AddressType: discovery.AddressType(es.AddressType),
	}
	for _, p := range es.Ports {
		name, proto, port := p.Name, apiProtocol(p.Protocol), p.Port
		out.Ports = append(out.Ports, discovery.EndpointPort{Name: &name, Protocol: &proto, Port: &port})
	}
	for _, e := range es.Endpoints {
		ready := e.Ready
		de := discovery.Endpoint{Addresses: e.Addresses.Strings(), Conditions: discovery.EndpointConditions{Ready: &ready}}
		if e.Hostname != "" {
			h := e.Hostname
			de.Hostname = &h
		}
		if e.Zone != "" {
			z := e.Zone
			de.Zone = &z
		}
		out.Endpoints = append(out.Endpoints, de)
	}
	return out
}

// apiProtocol defaults an empty protocol to TCP as the API server does on
// write; the in-tree plugin compares protocols literally, so an empty one
// would never match _tcp.
func apiProtocol(p string) api.Protocol {
	if p == "" {
		return api.ProtocolTCP
	}
	return api.Protocol(p)
}

// SvcImportIndex is dnsControl.SvcImportIndex: indexer lookup, then a typed copy.
func (a *inTreeAPIConn) SvcImportIndex(idx string) []*kobject.ServiceImport {
	os, err := a.svcImports.ByIndex(inTreeSvcImportIndex, idx)
	if err != nil {
		return nil
	}
	svcs := make([]*kobject.ServiceImport, 0, len(os))
	for _, o := range os {
		if s, ok := o.(*kobject.ServiceImport); ok {
			svcs = append(svcs, s)
		}
	}
	return svcs
}

// McEpIndex is dnsControl.McEpIndex: indexer lookup, then a typed copy.
func (a *inTreeAPIConn) McEpIndex(idx string) []*kobject.MultiClusterEndpoints {
	os, err := a.mcEps.ByIndex(inTreeMcEpIndex, idx)
	if err != nil {
		return nil
	}
	eps := make([]*kobject.MultiClusterEndpoints, 0, len(os))
	for _, o := range os {
		if e, ok := o.(*kobject.MultiClusterEndpoints); ok {
			eps = append(eps, e)
		}
	}
	return eps
}

// GetNamespaceByName is dnsControl.GetNamespaceByName: the in-tree plugin
// asks it on every query to decide whether the namespace is exposed.
func (a *inTreeAPIConn) GetNamespaceByName(name string) (*kobject.Namespace, error) {
	o, exists, err := a.namespaces.GetByKey(name)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, fmt.Errorf("namespace not found")
	}
	ns, ok := o.(*kobject.Namespace)
	if !ok {
		return nil, fmt.Errorf("found key but not namespace")
	}
	return ns, nil
}

// ServiceImportList lists the imports; only transfers and metrics use it.
func (a *inTreeAPIConn) ServiceImportList() []*kobject.ServiceImport {
	var out []*kobject.ServiceImport
	for _, o := range a.svcImports.List() {
		out = append(out, o.(*kobject.ServiceImport))
	}
	return out
}

// The cluster-local lookups hold no data: the benchmark asks only the
// multicluster zone, and an empty answer there shows up as a wrong count.

// ServiceList returns no cluster-local services.
func (a *inTreeAPIConn) ServiceList() []*kobject.Service { return nil }

// EndpointsList returns no cluster-local endpoints.
func (a *inTreeAPIConn) EndpointsList() []*kobject.Endpoints { return nil }

// SvcIndex returns no cluster-local services.
func (a *inTreeAPIConn) SvcIndex(string) []*kobject.Service { return nil }

// SvcIndexReverse returns no cluster-local services.
func (a *inTreeAPIConn) SvcIndexReverse(string) []*kobject.Service { return nil }

// SvcExtIndexReverse returns no cluster-local services.
func (a *inTreeAPIConn) SvcExtIndexReverse(string) []*kobject.Service { return nil }

// PodIndex returns no pods.
func (a *inTreeAPIConn) PodIndex(string) []*kobject.Pod { return nil }

// EpIndex returns no cluster-local endpoints.
func (a *inTreeAPIConn) EpIndex(string) []*kobject.Endpoints { return nil }

// EpIndexReverse returns no cluster-local endpoints.
func (a *inTreeAPIConn) EpIndexReverse(string) []*kobject.Endpoints { return nil }

// GetNodeByName returns no node; only the local-IP NS answers use it.
func (a *inTreeAPIConn) GetNodeByName(context.Context, string) (*api.Node, error) {
	return nil, fmt.Errorf("no nodes")
}

// Run does nothing: the caches are filled before the plugin is built.
func (a *inTreeAPIConn) Run() {}

// HasSynced is true so NXDOMAIN is answered as NXDOMAIN, not SERVFAIL.
func (a *inTreeAPIConn) HasSynced() bool { return true }

// Stop does nothing: there is no informer to stop.
func (a *inTreeAPIConn) Stop() error { return nil }

// Modified returns a fixed time; it is only the SOA serial of negative answers.
func (a *inTreeAPIConn) Modified(kubernetes.ModifiedMode) int64 { return 3 }

// newInTreePlugin builds CoreDNS's own kubernetes plugin with the
// multicluster option for clusterset.local, serving src through the fake
// controller, with a Next that makes any fall-through an error.
func newInTreePlugin(tb testing.TB, src *fakeSource) *kubernetes.Kubernetes {
	tb.Helper()
	c := caddy.NewTestController("dns", "kubernetes cluster.local clusterset.local {\n multicluster clusterset.local\n}")
	c.Next() // ParseStanza expects the directive name already consumed, as kubernetesParse does.
	k, err := kubernetes.ParseStanza(c)
	if err != nil {
		tb.Fatalf("ParseStanza: %v", err)
	}
	k.APIConn = newInTreeAPIConn(tb, src)
	k.Next = plugin.HandlerFunc(func(context.Context, dns.ResponseWriter, *dns.Msg) (int, error) {
		return dns.RcodeServerFailure, errInTreeNext
	})
	return k
}

// inTreeCountsOnce logs the answer comparison once per test binary, not
// once per -count round.
var inTreeCountsOnce sync.Once

// BenchmarkInTreeMulticlusterServeDNS is the baseline for BenchmarkServeDNS:
// CoreDNS's in-tree `kubernetes { multicluster clusterset.local }` answering
// the same queries over the same data, for ns/op and allocs/op ratios.
func BenchmarkInTreeMulticlusterServeDNS(b *testing.B) {
	src := benchSource()
	k := newInTreePlugin(b, src)

	// The in-tree plugin may answer some names differently from ours; that
	// is logged, not failed, but every query must be answered without error
	// and at least one with records, or the fake is wrong and the timings
	// mean nothing.
	ours := newTestPlugin(b, "clusterset", benchSource())
	var total int
	var report string
	for _, bc := range serveDNSBenchCases {
		theirs, theirRcode := serveOnce(b, k, bc)
		mine, myRcode := serveOnce(b, ours, bc)
		total += theirs
		report += fmt.Sprintf("\n  %-26s ours %3d answers (%s), in-tree %3d answers (%s)",
			bc.name, mine, dns.RcodeToString[myRcode], theirs, dns.RcodeToString[theirRcode])
	}
	if total == 0 {
		b.Fatal("in-tree plugin answered no query: the fake controller is wrong")
	}
	inTreeCountsOnce.Do(func() { b.Logf("answer counts:%s", report) })

	for _, bc := range serveDNSBenchCases {
		b.Run(bc.name, func(b *testing.B) { timeServeDNS(b, k, bc) })
	}
}

// serveOnce answers one benchmark query and returns the answer count and
// rcode, failing on an error (including a call to the in-tree Next).
func serveOnce(tb testing.TB, h plugin.Handler, bc benchCase) (int, int) {
	tb.Helper()
	r := new(dns.Msg)
	r.SetQuestion(bc.qname, bc.qtype)
	w := &rcodeCounter{}
	rcode, err := h.ServeDNS(context.Background(), w, r)
	if err != nil {
		tb.Fatalf("%s: %v", bc.name, err)
	}
	if w.written {
		rcode = w.rcode
	}
	return w.answers, rcode
}

// rcodeCounter is an answerCounter that also keeps the written rcode, since
// the in-tree plugin writes negative answers itself and returns success.
type rcodeCounter struct {
	answerCounter
	rcode   int
	written bool
}

// WriteMsg records the answer count and rcode of m.
func (w *rcodeCounter) WriteMsg(m *dns.Msg) error {
	w.written, w.rcode = true, m.Rcode
	return w.answerCounter.WriteMsg(m)
}
