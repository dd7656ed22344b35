package test

// answer endpoints: a ClusterSetIP import without spec.ips, as
// some implementations write them (one endpoint per cluster holding that
// cluster's Service IP), answers with its ready endpoint addresses, local
// cluster first.

import (
	"testing"

	"github.com/clusterset-dns/clusterset/test/answers"
	"github.com/clusterset-dns/clusterset/test/fixtures"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// loadAnswerEndpointsData writes, in namespace ns, ClusterSetIP imports
// (port http/TCP 80) with one endpoint per cluster:
//
//	ep       no spec.ips; east.prod 10.40.9.1 (us-east-1a), west 10.40.2.1
//	         (us-east-1a), far 10.40.1.1 and fd00:40::1 (eu-west-1a)
//	epvip    spec.ips 10.100.40.1; east.prod 10.40.9.2
//	epdown   no spec.ips; east.prod 10.40.9.4, not ready
//	eplocal  no spec.ips, internalTrafficPolicy Local; east.prod 10.40.9.3,
//	         west 10.40.2.3
func loadAnswerEndpointsData(t *testing.T, ns string) {
	t.Helper()
	ctx := t.Context()
	must(t, bed.EnsureNamespace(ctx, ns))
	tcpP := corev1.ProtocolTCP
	ports := []mcsv1beta1.ServicePort{fixtures.Port("http", tcpP, 80)}
	local := corev1.ServiceInternalTrafficPolicyLocal
	for _, si := range []*mcsv1beta1.ServiceImport{
		fixtures.ServiceImport(ns, "ep", mcsv1beta1.ClusterSetIP, nil, ports, "east.prod", "west", "far"),
		fixtures.ServiceImport(ns, "epvip", mcsv1beta1.ClusterSetIP, []string{"10.100.40.1"}, ports, "east.prod"),
		fixtures.ServiceImport(ns, "epdown", mcsv1beta1.ClusterSetIP, nil, ports, "east.prod"),
		fixtures.ServiceImport(ns, "eplocal", mcsv1beta1.ClusterSetIP, nil, ports, "east.prod", "west"),
	} {
		if si.Name == "eplocal" {
			si.Spec.InternalTrafficPolicy = &local
		}
		must(t, bed.ApplyServiceImport(ctx, si))
	}
	http := []fixtures.SlicePort{{Name: "http", Protocol: tcpP, Port: 80}}
	one := func(zone, addr string) []fixtures.Endpoint {
		return []fixtures.Endpoint{{Zone: zone, Addresses: []string{addr}}}
	}
	applySlices(t, ns, http, []fixtures.Slice{
		{Service: "epvip", Cluster: "east.prod", Endpoints: one("us-east-1a", "10.40.9.2")},
		{Service: "epdown", Cluster: "east.prod", Endpoints: []fixtures.Endpoint{{Addresses: []string{"10.40.9.4"}, NotReady: true}}},
		{Service: "eplocal", Cluster: "east.prod", Endpoints: one("us-east-1a", "10.40.9.3")},
		{Service: "eplocal", Cluster: "west", Endpoints: one("us-east-1a", "10.40.2.3")},
		{Service: "ep", Cluster: "west", Endpoints: one("us-east-1a", "10.40.2.1")},
		{Service: "ep", Cluster: "far", Endpoints: one("eu-west-1a", "10.40.1.1")},
		{Service: "ep", Cluster: "far", AddressType: discoveryv1.AddressTypeIPv6, Endpoints: one("eu-west-1a", "fd00:40::1")},
		{Service: "ep", Cluster: "east.prod", Endpoints: one("us-east-1a", "10.40.9.1")}, // last
	})
}

// TestAnswerEndpoints runs servers with and without `answer endpoints`.
func TestAnswerEndpoints(t *testing.T) {
	const ns = "ansep"
	loadAnswerEndpointsData(t, ns)
	n := func(svc string) string { return fqdn(svc + "." + ns + ".svc") }
	a := func(svc string, ips ...string) answers.Want { return inOrder(aRecords(n(svc), ips...)...) }
	corefile := func(options ...string) string { return writeCorefile(t, localityCorefile(options...)) }

	t.Run("with cluster_id: the endpoint addresses, local cluster first", func(t *testing.T) {
		c := startCoreDNS(t, corefile("answer endpoints", "cluster_id east.prod"), nil, nil)
		expect(t, c, converge, n("ep"), "A", a("ep", "10.40.9.1", "10.40.1.1", "10.40.2.1"))
		expect(t, c, settle, n("ep"), "AAAA", answer(n("ep")+" AAAA fd00:40::1"))
		t.Run("SRV names keep the service name as target", func(t *testing.T) {
			w := answer(n("_http._tcp.ep") + " SRV 80 " + n("ep"))
			w.ExtraHas = []string{n("ep") + " A 10.40.9.1", n("ep") + " A 10.40.2.1", n("ep") + " AAAA fd00:40::1"}
			expect(t, c, settle, n("_http._tcp.ep"), "SRV", w)
			expect(t, c, settle, n("ep"), "SRV", answer(n("ep")+" SRV 80 "+n("ep")))
		})
		t.Run("a ClusterSetIP service still has no per-endpoint names", func(t *testing.T) {
			expect(t, c, settle, n("10-40-9-1.east.prod.ep"), "A", nxdomain)
			expect(t, c, settle, n("east.prod.ep"), "A", nxdomain)
		})
		t.Run("an import with a VIP serves the VIP", func(t *testing.T) {
			expect(t, c, settle, n("epvip"), "A", answer(n("epvip")+" A 10.100.40.1"))
		})
		t.Run("no ready endpoint is NODATA", func(t *testing.T) {
			expect(t, c, settle, n("epdown"), "A", nodata)
			expect(t, c, settle, n("epdown"), "AAAA", nodata)
		})
		t.Run("internalTrafficPolicy Local keeps the local cluster's endpoint", func(t *testing.T) {
			expect(t, c, settle, n("eplocal"), "A", a("eplocal", "10.40.9.3"))
		})
		t.Run("a change in the endpoints shows", func(t *testing.T) {
			ctx := t.Context()
			_, err := bed.ApplyEndpointSlice(ctx, fixtures.Slice{Namespace: ns, Service: "ep", Cluster: "west",
				Ports:     []fixtures.SlicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80}},
				Endpoints: []fixtures.Endpoint{{Zone: "us-east-1a", Addresses: []string{"10.40.2.1"}, NotReady: true}}})
			must(t, err)
			expect(t, c, converge, n("ep"), "A", a("ep", "10.40.9.1", "10.40.1.1"))
			_, err = bed.ApplyEndpointSlice(ctx, fixtures.Slice{Namespace: ns, Service: "ep", Cluster: "west",
				Ports:     []fixtures.SlicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80}},
				Endpoints: []fixtures.Endpoint{{Zone: "us-east-1a", Addresses: []string{"10.40.2.1"}}}})
			must(t, err)
			expect(t, c, converge, n("ep"), "A", a("ep", "10.40.9.1", "10.40.1.1", "10.40.2.1"))
		})
	})
	t.Run("without cluster_id: every cluster, in numeric order", func(t *testing.T) {
		c := startCoreDNS(t, corefile("answer endpoints"), nil, nil)
		expect(t, c, converge, n("ep"), "A", a("ep", "10.40.1.1", "10.40.2.1", "10.40.9.1"))
		expect(t, c, settle, n("eplocal"), "A", a("eplocal", "10.40.2.3", "10.40.9.3"))
	})
	t.Run("with prefer zone: ordered by tier", func(t *testing.T) {
		c := startCoreDNS(t, corefile("answer endpoints", "cluster_id east.prod", "topology us-east-1a us-east-1", "prefer zone"), nil, nil)
		expect(t, c, converge, n("ep"), "A", a("ep", "10.40.9.1", "10.40.2.1", "10.40.1.1"))
	})
	t.Run("with prefer local restrict: the local cluster's endpoint only", func(t *testing.T) {
		c := startCoreDNS(t, corefile("answer endpoints", "cluster_id east.prod", "prefer local restrict"), nil, nil)
		expect(t, c, converge, n("ep"), "A", a("ep", "10.40.9.1"))
	})
	for _, opt := range []string{"", "answer vip"} {
		desc := "by default"
		if opt != "" {
			desc = "with " + opt
		}
		t.Run(desc+" an import without spec.ips is NODATA", func(t *testing.T) {
			c := startCoreDNS(t, corefile(opt, "cluster_id east.prod"), nil, nil)
			expect(t, c, converge, n("epvip"), "A", answer(n("epvip")+" A 10.100.40.1"))
			expect(t, c, settle, n("ep"), "A", nodata)
			expect(t, c, settle, n("ep"), "AAAA", nodata)
			expect(t, c, settle, n("_http._tcp.ep"), "SRV", answer(n("_http._tcp.ep")+" SRV 80 "+n("ep")))
		})
	}
	t.Run("answer with an unknown mode is a setup error", func(t *testing.T) {
		expectSetupError(t, localityCorefile("answer both"), "both")
	})
}
