package test

// cluster_health: the clusters a ClusterProperty lists as
// unreachable are left out of every answer, failing open when that would
// leave a service with nothing; two gauges report it.

import (
	"testing"

	"github.com/clusterset-dns/clusterset/test/answers"
	"github.com/clusterset-dns/clusterset/test/fixtures"

	corev1 "k8s.io/api/core/v1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// Gauges of cluster_health.
const (
	gaugeUnreachable = "coredns_clusterset_unreachable_clusters"
	gaugeFailedOpen  = "coredns_clusterset_failed_open_services"
)

// loadHealthData writes, in namespace ns, with cluster IDs P-east, P-west
// and P-far (P = prefix) that no other test uses: the gauges count over
// every namespace.
//
//	h         Headless  P-east a 10.50.1.1, P-west b 10.50.2.1, P-far c 10.50.3.1
//	onlywest  Headless  P-west x 10.50.2.9
//	epc       ClusterSetIP without spec.ips (answer endpoints): P-east 10.50.1.5, P-west 10.50.2.5
func loadHealthData(t *testing.T, ns, prefix string) {
	t.Helper()
	ctx := t.Context()
	must(t, bed.EnsureNamespace(ctx, ns))
	tcpP := corev1.ProtocolTCP
	ports := []mcsv1beta1.ServicePort{fixtures.Port("http", tcpP, 80)}
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "h", mcsv1beta1.Headless, nil, ports, prefix+"-east", prefix+"-west", prefix+"-far")))
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "onlywest", mcsv1beta1.Headless, nil, ports, prefix+"-west")))
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "epc", mcsv1beta1.ClusterSetIP, nil, ports, prefix+"-east", prefix+"-west")))
	http := []fixtures.SlicePort{{Name: "http", Protocol: tcpP, Port: 80}}
	ep := func(host, addr string) []fixtures.Endpoint {
		return []fixtures.Endpoint{{Hostname: host, Addresses: []string{addr}}}
	}
	applySlices(t, ns, http, []fixtures.Slice{
		{Service: "epc", Cluster: prefix + "-east", Endpoints: []fixtures.Endpoint{{Addresses: []string{"10.50.1.5"}}}},
		{Service: "epc", Cluster: prefix + "-west", Endpoints: []fixtures.Endpoint{{Addresses: []string{"10.50.2.5"}}}},
		{Service: "onlywest", Cluster: prefix + "-west", Endpoints: ep("x", "10.50.2.9")},
		{Service: "h", Cluster: prefix + "-west", Endpoints: ep("b", "10.50.2.1")},
		{Service: "h", Cluster: prefix + "-far", Endpoints: ep("c", "10.50.3.1")},
		{Service: "h", Cluster: prefix + "-east", Endpoints: ep("a", "10.50.1.1")}, // last
	})
}

// healthCorefile is a server with cluster_health (property, or the default
// one when ""), answer endpoints and prometheus.
func healthCorefile(t *testing.T, property string) string {
	return writeCorefile(t, `clusterset.local:{$DNS_PORT} {
    errors
    prometheus {$METRICS_ADDR}
    clusterset {
        kubeconfig {$KUBECONFIG}
        cluster_health `+property+`
        answer endpoints
    }
}
`)
}

// TestClusterHealth lists clusters in the default health property
// (unreachable-clusters.clusterset-dns.io) and checks the answers and the
// gauges after each change.
func TestClusterHealth(t *testing.T) {
	const ns = "health"
	noProperties(t, propUnreachable)
	loadHealthData(t, ns, "hc")
	c := startCoreDNS(t, healthCorefile(t, ""), nil, nil)
	n := func(rel string) string { return fqdn(rel + "." + ns + ".svc") }
	a := func(owner string, ips ...string) answers.Want { return answer(aRecords(owner, ips...)...) }
	srv := func(owner string, targets ...string) answers.Want {
		fqdns := make([]string, len(targets))
		for i, tg := range targets {
			fqdns[i] = n(tg)
		}
		return answer(srvRecords(owner, 80, fqdns...)...)
	}
	gauges := func(t *testing.T, unreachable, failedOpen float64) {
		t.Helper()
		waitMetricValue(t, c.metricsAddr, gaugeUnreachable, unreachable, converge)
		waitMetricValue(t, c.metricsAddr, gaugeFailedOpen, failedOpen, converge)
	}
	everything := func(t *testing.T) {
		t.Helper()
		expect(t, c, converge, n("h"), "A", a(n("h"), "10.50.1.1", "10.50.2.1", "10.50.3.1"))
		expect(t, c, settle, n("h"), "SRV", srv(n("h"), "a.hc-east.h", "b.hc-west.h", "c.hc-far.h"))
		expect(t, c, settle, n("b.hc-west.h"), "A", a(n("b.hc-west.h"), "10.50.2.1"))
		expect(t, c, settle, n("onlywest"), "A", a(n("onlywest"), "10.50.2.9"))
		expect(t, c, settle, n("epc"), "A", a(n("epc"), "10.50.1.5", "10.50.2.5"))
	}

	t.Run("without the property every cluster is served", func(t *testing.T) {
		everything(t)
		gauges(t, 0, 0)
	})
	setProperty(t, propUnreachable, "hc-west")
	t.Run("a listed cluster's endpoints leave every answer", func(t *testing.T) {
		expect(t, c, converge, n("h"), "A", a(n("h"), "10.50.1.1", "10.50.3.1"))
		expect(t, c, settle, n("h"), "SRV", srv(n("h"), "a.hc-east.h", "c.hc-far.h"))
		expect(t, c, settle, n("_http._tcp.h"), "SRV", srv(n("_http._tcp.h"), "a.hc-east.h", "c.hc-far.h"))
		expect(t, c, settle, n("b.hc-west.h"), "A", nxdomain)
		expect(t, c, settle, n("epc"), "A", a(n("epc"), "10.50.1.5"))
		t.Run("a service with endpoints only there fails open", func(t *testing.T) {
			expect(t, c, settle, n("onlywest"), "A", a(n("onlywest"), "10.50.2.9"))
			expect(t, c, settle, n("x.hc-west.onlywest"), "A", a(n("x.hc-west.onlywest"), "10.50.2.9"))
		})
		gauges(t, 1, 1)
	})
	changeProperty(t, propUnreachable, "hc-west, hc-far")
	t.Run("a list separated by a comma and a space", func(t *testing.T) {
		expect(t, c, converge, n("h"), "A", a(n("h"), "10.50.1.1"))
		expect(t, c, settle, n("c.hc-far.h"), "A", nxdomain)
		expect(t, c, settle, n("onlywest"), "A", a(n("onlywest"), "10.50.2.9"))
		gauges(t, 2, 1)
	})
	changeProperty(t, propUnreachable, "hc-east hc-west,hc-far")
	t.Run("every cluster of the services listed: all served (fail open)", func(t *testing.T) {
		everything(t)
		gauges(t, 3, 3)
	})
	deleteProperty(t, propUnreachable)
	t.Run("a deleted property leaves nothing out", func(t *testing.T) {
		everything(t)
		gauges(t, 0, 0)
	})
}

// TestClusterHealthProperty runs `cluster_health PROPERTY`: only that
// ClusterProperty counts.
func TestClusterHealthProperty(t *testing.T) {
	const ns = "health-prop"
	const prop = "health.test.clusterset-dns.io"
	noProperties(t, propUnreachable, prop)
	loadHealthData(t, ns, "hp")
	c := startCoreDNS(t, healthCorefile(t, prop), nil, nil)
	h := fqdn("h." + ns + ".svc")
	expect(t, c, converge, h, "A", answer(h+" A 10.50.1.1", h+" A 10.50.2.1", h+" A 10.50.3.1"))

	setProperty(t, propUnreachable, "hp-east")
	setProperty(t, prop, "hp-far")
	expect(t, c, converge, h, "A", answer(h+" A 10.50.1.1", h+" A 10.50.2.1"))
	waitMetricValue(t, c.metricsAddr, gaugeUnreachable, 1, converge)
}
