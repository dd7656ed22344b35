package test

// Locality: cluster_id (fixed, or from the KEP-2149 ClusterProperty
// and changing at run time), topology (fixed, or from the zone and region
// ClusterProperties), prefer local|zone [restrict], and the ServiceImport
// fields internalTrafficPolicy and trafficDistribution. The order of the
// answer is part of what is checked.

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/test/answers"
	"github.com/clusterset-dns/clusterset/test/fixtures"
	"github.com/clusterset-dns/clusterset/test/testbed"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// The tiered data set: the same endpoints in every service written by
// writeTiered, in three clusters and four zones. This server runs in
// cluster east.prod (a dotted cluster ID), zone us-east-1a, region
// us-east-1:
//
//	host cluster    zone        IPv4        IPv6           prefer zone tier
//	e1   east.prod  us-east-1a  10.20.1.3   fd00:20:1::3   0 local cluster, local zone
//	e2   east.prod  us-east-1b  10.20.1.1                  1 local cluster
//	w1   west       us-east-1a  10.20.2.2                  2 local zone
//	w2   west       us-east-1b  10.20.2.1                  3 local region
//	f1   far        eu-west-1a  10.20.0.10  fd00:20::10    4
//	f2   far        (none)      10.20.0.9                  4
//
// The addresses are chosen so that no tier order is the numeric order, and
// f1/f2 sort differently numerically (.9 < .10) than as text.
const (
	locCluster = "east.prod"
	locZone    = "us-east-1a"
	locRegion  = "us-east-1"
)

// writeTiered writes a headless ServiceImport name in ns (port http/TCP 80)
// with the endpoints above; edit, when not nil, changes the import first.
// only, when not empty, keeps the endpoints of those clusters.
func writeTiered(t *testing.T, ns, name string, edit func(*mcsv1beta1.ServiceImport), only ...string) {
	t.Helper()
	writeTieredOn(t, bed, ns, name, edit, only...)
}

// writeTieredOn is writeTiered on the test bed b.
func writeTieredOn(t *testing.T, b *testbed.Bed, ns, name string, edit func(*mcsv1beta1.ServiceImport), only ...string) {
	t.Helper()
	ctx := t.Context()
	must(t, b.EnsureNamespace(ctx, ns))
	tcpP := corev1.ProtocolTCP
	si := fixtures.ServiceImport(ns, name, mcsv1beta1.Headless, nil, []mcsv1beta1.ServicePort{fixtures.Port("http", tcpP, 80)}, "east.prod", "west", "far")
	if edit != nil {
		edit(si)
	}
	must(t, b.ApplyServiceImport(ctx, si))
	http := []fixtures.SlicePort{{Name: "http", Protocol: tcpP, Port: 80}}
	ep := func(host, zone, addr string) fixtures.Endpoint {
		return fixtures.Endpoint{Hostname: host, Zone: zone, Addresses: []string{addr}}
	}
	v6 := discoveryv1.AddressTypeIPv6
	for _, s := range []fixtures.Slice{
		{Cluster: "east.prod", Endpoints: []fixtures.Endpoint{ep("e1", "us-east-1a", "10.20.1.3"), ep("e2", "us-east-1b", "10.20.1.1")}},
		{Cluster: "east.prod", AddressType: v6, Endpoints: []fixtures.Endpoint{ep("e1", "us-east-1a", "fd00:20:1::3")}},
		{Cluster: "west", Endpoints: []fixtures.Endpoint{ep("w1", "us-east-1a", "10.20.2.2"), ep("w2", "us-east-1b", "10.20.2.1")}},
		{Cluster: "far", Endpoints: []fixtures.Endpoint{ep("f1", "eu-west-1a", "10.20.0.10"), ep("f2", "", "10.20.0.9")}},
		{Cluster: "far", AddressType: v6, Endpoints: []fixtures.Endpoint{ep("f1", "eu-west-1a", "fd00:20::10")}},
	} {
		if len(only) > 0 && !contains(only, s.Cluster) {
			continue
		}
		s.Namespace, s.Service, s.Ports = ns, name, http
		_, err := b.ApplyEndpointSlice(ctx, s)
		must(t, err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// tiered builds the expected answers of a service written by writeTiered.
type tiered struct{ owner string }

func tieredService(ns, name string) tiered { return tiered{fqdn(name + "." + ns + ".svc")} }

// a is the A answer with the addresses in this order.
func (s tiered) a(addrs ...string) answers.Want {
	var rrs []string
	for _, ip := range addrs {
		rrs = append(rrs, s.owner+" A "+ip)
	}
	return inOrder(rrs...)
}

func (s tiered) aaaa(addrs ...string) answers.Want {
	var rrs []string
	for _, ip := range addrs {
		rrs = append(rrs, s.owner+" AAAA "+ip)
	}
	return inOrder(rrs...)
}

// srv is the SRV answer at owner (the service name, or a prefix of it such
// as "_http._tcp") with targets written "PRIORITY HOST.CLUSTER", port 80.
func (s tiered) srv(prefix string, targets ...string) answers.Want {
	owner := s.owner
	if prefix != "" {
		owner = prefix + "." + s.owner
	}
	var rrs []string
	for _, x := range targets {
		prio, target, _ := strings.Cut(x, " ")
		rrs = append(rrs, fmt.Sprintf("%s SRV %s 80 %s.%s", owner, prio, target, s.owner))
	}
	return srvInOrder(rrs...)
}

// name is the FQDN of a name under the service.
func (s tiered) name(rel string) string { return rel + "." + s.owner }

// Expected answers per ordering, for the A, AAAA and SRV questions.
var (
	numericA    = []string{"10.20.0.9", "10.20.0.10", "10.20.1.1", "10.20.1.3", "10.20.2.1", "10.20.2.2"}
	numericAAAA = []string{"fd00:20::10", "fd00:20:1::3"}
	flatSRV     = []string{"0 e1.east.prod", "0 e2.east.prod", "0 f1.far", "0 f2.far", "0 w1.west", "0 w2.west"}

	localA    = []string{"10.20.1.1", "10.20.1.3", "10.20.0.9", "10.20.0.10", "10.20.2.1", "10.20.2.2"}
	localAAAA = []string{"fd00:20:1::3", "fd00:20::10"}
	localSRV  = []string{"0 e1.east.prod", "0 e2.east.prod", "1 f1.far", "1 f2.far", "1 w1.west", "1 w2.west"}

	zoneA    = []string{"10.20.1.3", "10.20.1.1", "10.20.2.2", "10.20.2.1", "10.20.0.9", "10.20.0.10"}
	zoneAAAA = []string{"fd00:20:1::3", "fd00:20::10"}
	zoneSRV  = []string{"0 e1.east.prod", "1 e2.east.prod", "2 w1.west", "3 w2.west", "4 f1.far", "4 f2.far"}
)

// expectOrder checks the aggregate names of a tiered service: A, AAAA,
// bare-name SRV and _http._tcp SRV, in order.
func expectOrder(t *testing.T, c *coreDNS, within time.Duration, s tiered, a, aaaa, srv []string) {
	t.Helper()
	expect(t, c, within, s.owner, "A", s.a(a...))
	expect(t, c, settle, s.owner, "AAAA", s.aaaa(aaaa...))
	expect(t, c, settle, s.owner, "SRV", s.srv("", srv...))
	expect(t, c, settle, s.name("_http._tcp"), "SRV", s.srv("_http._tcp", srv...))
}

// localityCorefile is a clusterset server with the given options.
func localityCorefile(options ...string) string {
	var b strings.Builder
	b.WriteString("clusterset.local:{$DNS_PORT} {\n    errors\n    clusterset {\n        kubeconfig {$KUBECONFIG}\n")
	for _, o := range options {
		b.WriteString("        " + o + "\n")
	}
	b.WriteString("    }\n}\n")
	return b.String()
}

// TestPreferOrdering runs servers with a fixed cluster_id and topology and
// each prefer mode, and checks the order of the aggregate answers: tiers
// in order, SRV priority = tier, numeric order within a tier.
func TestPreferOrdering(t *testing.T) {
	const ns = "loc-prefer"
	writeTiered(t, ns, "app", nil)
	s := tieredService(ns, "app")
	id, topo := "cluster_id "+locCluster, "topology "+locZone+" "+locRegion

	t.Run("without prefer the answers keep their numeric order", func(t *testing.T) {
		c := startCoreDNS(t, writeCorefile(t, localityCorefile(id, topo)), nil, nil)
		expectOrder(t, c, converge, s, numericA, numericAAAA, flatSRV)
	})
	t.Run("prefer none is the default order", func(t *testing.T) {
		c := startCoreDNS(t, writeCorefile(t, localityCorefile(id, topo, "prefer none")), nil, nil)
		expectOrder(t, c, converge, s, numericA, numericAAAA, flatSRV)
	})
	t.Run("prefer local puts the local cluster first", func(t *testing.T) {
		c := startCoreDNS(t, writeCorefile(t, localityCorefile(id, "prefer local")), nil, nil)
		expectOrder(t, c, converge, s, localA, localAAAA, localSRV)
	})
	t.Run("prefer zone orders by cluster, zone and region", func(t *testing.T) {
		c := startCoreDNS(t, writeCorefile(t, localityCorefile(id, topo, "prefer zone")), nil, nil)
		expectOrder(t, c, converge, s, zoneA, zoneAAAA, zoneSRV)
		t.Run("per-endpoint names are not reordered or restricted", func(t *testing.T) {
			expect(t, c, settle, s.name("w2.west"), "A", answer(s.name("w2.west")+" A 10.20.2.1"))
		})
	})
	t.Run("prefer zone with a topology zone without region has no region tier", func(t *testing.T) {
		c := startCoreDNS(t, writeCorefile(t, localityCorefile(id, "topology "+locZone, "prefer zone")), nil, nil)
		expect(t, c, converge, s.owner, "A", s.a("10.20.1.3", "10.20.1.1", "10.20.2.2", "10.20.0.9", "10.20.0.10", "10.20.2.1"))
		expect(t, c, settle, s.owner, "SRV", s.srv("", "0 e1.east.prod", "1 e2.east.prod", "2 w1.west", "4 f1.far", "4 f2.far", "4 w2.west"))
	})
	t.Run("prefer local restrict serves the local cluster only", func(t *testing.T) {
		c := startCoreDNS(t, writeCorefile(t, localityCorefile(id, "prefer local restrict")), nil, nil)
		expect(t, c, converge, s.owner, "A", s.a("10.20.1.1", "10.20.1.3"))
		expect(t, c, settle, s.owner, "AAAA", s.aaaa("fd00:20:1::3"))
		expect(t, c, settle, s.owner, "SRV", s.srv("", "0 e1.east.prod", "0 e2.east.prod"))
		expect(t, c, settle, s.name("_http._tcp"), "SRV", s.srv("_http._tcp", "0 e1.east.prod", "0 e2.east.prod"))
		t.Run("per-endpoint names of the other tiers stay", func(t *testing.T) {
			expect(t, c, settle, s.name("f1.far"), "A", answer(s.name("f1.far")+" A 10.20.0.10"))
			expect(t, c, settle, s.name("w1.west"), "A", answer(s.name("w1.west")+" A 10.20.2.2"))
		})
	})
	t.Run("prefer zone restrict serves the best tier only", func(t *testing.T) {
		c := startCoreDNS(t, writeCorefile(t, localityCorefile(id, topo, "prefer zone restrict")), nil, nil)
		expect(t, c, converge, s.owner, "A", s.a("10.20.1.3"))
		expect(t, c, settle, s.owner, "AAAA", s.aaaa("fd00:20:1::3"))
		srv := s.srv("", "0 e1.east.prod")
		srv.Extra = []string{s.name("e1.east.prod") + " A 10.20.1.3", s.name("e1.east.prod") + " AAAA fd00:20:1::3"}
		expect(t, c, settle, s.owner, "SRV", srv)
		expect(t, c, settle, s.name("_http._tcp"), "SRV", s.srv("_http._tcp", "0 e1.east.prod"))
	})
	t.Run("prefer zone restrict falls to the next tier when the best one has no ready endpoint", func(t *testing.T) {
		const name = "app-nolocal"
		writeTiered(t, ns, name, nil, "west", "far")
		s := tieredService(ns, name)
		c := startCoreDNS(t, writeCorefile(t, localityCorefile(id, topo, "prefer zone restrict")), nil, nil)
		expect(t, c, converge, s.owner, "A", s.a("10.20.2.2"))
		// Priorities count from the nearest tier present (plugin README).
		expect(t, c, settle, s.owner, "SRV", s.srv("", "0 w1.west"))
		// The best tier is the service's: w1 has no IPv6 address, so AAAA
		// is NODATA rather than the farther f1.
		expect(t, c, settle, s.owner, "AAAA", nodata)
	})

	t.Run("setup errors", func(t *testing.T) {
		for _, tc := range []struct {
			desc    string
			options []string
			option  string
		}{
			{"prefer local needs cluster_id", []string{"prefer local"}, "prefer"},
			{"prefer zone needs cluster_id", []string{topo, "prefer zone"}, "prefer"},
			{"an unknown prefer mode", []string{id, "prefer nearest"}, "nearest"},
			{"a cluster_id that is not a DNS subdomain", []string{"cluster_id East_Prod"}, "East_Prod"},
			{"cluster_id with two values", []string{"cluster_id east west"}, "cluster_id"},
		} {
			t.Run(tc.desc, func(t *testing.T) {
				expectSetupError(t, localityCorefile(tc.options...), tc.option)
			})
		}
	})
}

// TestClusterIDFromClusterProperty runs a server with `cluster_id` and no
// value: the ID comes from the ClusterProperty cluster.clusterset.k8s.io,
// and every change of it at run time reorders the answers. While the
// property is missing, nothing is preferred (fail open).
func TestClusterIDFromClusterProperty(t *testing.T) {
	const ns = "loc-property"
	noProperties(t, propClusterID, propZone, propRegion)
	writeTiered(t, ns, "app", nil)
	s := tieredService(ns, "app")
	c := startCoreDNS(t, writeCorefile(t, localityCorefile("cluster_id", "prefer local")), nil, nil)

	t.Run("without the property nothing is preferred", func(t *testing.T) {
		expectOrder(t, c, converge, s, numericA, numericAAAA, flatSRV)
	})
	t.Run("without the property a known zone orders nothing either: no locality at all", func(t *testing.T) {
		c := startCoreDNS(t, writeCorefile(t, localityCorefile("cluster_id", "topology "+locZone+" "+locRegion, "prefer zone")), nil, nil)
		expect(t, c, converge, s.owner, "A", s.a(numericA...))
	})
	setProperty(t, propClusterID, locCluster)
	t.Run("the property names the local cluster", func(t *testing.T) {
		expectOrder(t, c, converge, s, localA, localAAAA, localSRV)
	})
	changeProperty(t, propClusterID, "west")
	t.Run("a changed property reorders the answers", func(t *testing.T) {
		expectOrder(t, c, converge, s,
			[]string{"10.20.2.1", "10.20.2.2", "10.20.0.9", "10.20.0.10", "10.20.1.1", "10.20.1.3"},
			numericAAAA, // west has no IPv6 endpoint: one tier
			[]string{"0 w1.west", "0 w2.west", "1 e1.east.prod", "1 e2.east.prod", "1 f1.far", "1 f2.far"})
	})
	deleteProperty(t, propClusterID)
	t.Run("a deleted property is no local cluster again", func(t *testing.T) {
		expectOrder(t, c, converge, s, numericA, numericAAAA, flatSRV)
	})
}

// TestTopologyFromClusterProperties reads the zone and region from the
// ClusterProperties zone.clusterset-dns.io and region.clusterset-dns.io:
// with `topology` without a value, and without `topology` when the
// properties are watched anyway or `prefer zone` is set (see the plugin
// README). `topology ZONE REGION` wins over the properties.
func TestTopologyFromClusterProperties(t *testing.T) {
	const ns = "loc-topology"
	noProperties(t, propClusterID, propZone, propRegion)
	writeTiered(t, ns, "app", nil)
	s := tieredService(ns, "app")
	setProperty(t, propClusterID, locCluster)
	setProperty(t, propZone, locZone)
	setProperty(t, propRegion, locRegion)

	t.Run("zone and region from the properties without topology", func(t *testing.T) {
		c := startCoreDNS(t, writeCorefile(t, localityCorefile("cluster_id", "prefer zone")), nil, nil)
		expectOrder(t, c, converge, s, zoneA, zoneAAAA, zoneSRV)
		t.Run("a changed zone property reorders the answers", func(t *testing.T) {
			changeProperty(t, propZone, "us-east-1b")
			expect(t, c, converge, s.owner, "A", s.a("10.20.1.1", "10.20.1.3", "10.20.2.1", "10.20.2.2", "10.20.0.9", "10.20.0.10"))
			expect(t, c, settle, s.owner, "SRV", s.srv("", "0 e2.east.prod", "1 e1.east.prod", "2 w2.west", "3 w1.west", "4 f1.far", "4 f2.far"))
			changeProperty(t, propZone, locZone)
			expect(t, c, converge, s.owner, "A", s.a(zoneA...))
		})
	})
	t.Run("topology without a value reads the properties", func(t *testing.T) {
		c := startCoreDNS(t, writeCorefile(t, localityCorefile("cluster_id", "topology", "prefer zone")), nil, nil)
		expectOrder(t, c, converge, s, zoneA, zoneAAAA, zoneSRV)
		changeProperty(t, propRegion, "eu-west-1")
		// w2 (us-east-1b) leaves the region tier; f1 (eu-west-1a) joins it.
		expect(t, c, converge, s.owner, "A", s.a("10.20.1.3", "10.20.1.1", "10.20.2.2", "10.20.0.10", "10.20.0.9", "10.20.2.1"))
		expect(t, c, settle, s.owner, "SRV", s.srv("", "0 e1.east.prod", "1 e2.east.prod", "2 w1.west", "3 f1.far", "4 f2.far", "4 w2.west"))
		changeProperty(t, propRegion, locRegion)
		expect(t, c, converge, s.owner, "A", s.a(zoneA...))
	})
	t.Run("a fixed cluster_id still reads the topology from the properties", func(t *testing.T) {
		c := startCoreDNS(t, writeCorefile(t, localityCorefile("cluster_id "+locCluster, "cluster_health", "prefer zone")), nil, nil)
		expectOrder(t, c, converge, s, zoneA, zoneAAAA, zoneSRV)
	})
	t.Run("the topology option wins over the properties", func(t *testing.T) {
		c := startCoreDNS(t, writeCorefile(t, localityCorefile("cluster_id", "topology us-east-1b "+locRegion, "prefer zone")), nil, nil)
		expect(t, c, converge, s.owner, "A", s.a("10.20.1.1", "10.20.1.3", "10.20.2.1", "10.20.2.2", "10.20.0.9", "10.20.0.10"))
	})
}

// TestInternalTrafficPolicyLocal writes imports with
// spec.internalTrafficPolicy Local: only the local cluster's endpoints are
// served, at every name of the service; none ready locally is NXDOMAIN;
// with the local cluster unknown, every cluster is served (fail open).
func TestInternalTrafficPolicyLocal(t *testing.T) {
	const ns = "loc-itp"
	noProperties(t, propClusterID)
	local := corev1.ServiceInternalTrafficPolicyLocal
	itp := func(si *mcsv1beta1.ServiceImport) { si.Spec.InternalTrafficPolicy = &local }
	writeTiered(t, ns, "itp", itp)
	writeTiered(t, ns, "elsewhere", itp, "west", "far")
	s, elsewhere := tieredService(ns, "itp"), tieredService(ns, "elsewhere")

	t.Run("with a fixed cluster_id", func(t *testing.T) {
		c := startCoreDNS(t, writeCorefile(t, localityCorefile("cluster_id "+locCluster)), nil, nil)
		expect(t, c, converge, s.owner, "A", s.a("10.20.1.1", "10.20.1.3"))
		expect(t, c, settle, s.owner, "AAAA", s.aaaa("fd00:20:1::3"))
		expect(t, c, settle, s.owner, "SRV", s.srv("", "0 e1.east.prod", "0 e2.east.prod"))
		expect(t, c, settle, s.name("_http._tcp"), "SRV", s.srv("_http._tcp", "0 e1.east.prod", "0 e2.east.prod"))
		expect(t, c, settle, s.name("e1.east.prod"), "A", answer(s.name("e1.east.prod")+" A 10.20.1.3"))
		expect(t, c, settle, s.name("w1.west"), "A", nxdomain)
		expect(t, c, settle, s.name("f1.far"), "AAAA", nxdomain)
		expect(t, c, settle, s.name("west"), "A", nxdomain)
		t.Run("no ready endpoint in the local cluster: NXDOMAIN, like any headless service without one", func(t *testing.T) {
			expect(t, c, settle, elsewhere.owner, "A", nxdomain)
			expect(t, c, settle, elsewhere.owner, "SRV", nxdomain)
			expect(t, c, settle, elsewhere.name("w1.west"), "A", nxdomain)
		})
		t.Run("prefer and restrict change nothing more", func(t *testing.T) {
			c := startCoreDNS(t, writeCorefile(t, localityCorefile("cluster_id "+locCluster, "topology "+locZone+" "+locRegion, "prefer zone")), nil, nil)
			expect(t, c, converge, s.owner, "A", s.a("10.20.1.3", "10.20.1.1"))
			expect(t, c, settle, s.owner, "SRV", s.srv("", "0 e1.east.prod", "1 e2.east.prod"))
		})
	})
	t.Run("with the cluster ID from the ClusterProperty", func(t *testing.T) {
		c := startCoreDNS(t, writeCorefile(t, localityCorefile("cluster_id")), nil, nil)
		t.Run("unknown: every cluster is served", func(t *testing.T) {
			expect(t, c, converge, s.owner, "A", s.a(numericA...))
			expect(t, c, settle, elsewhere.owner, "A", elsewhere.a("10.20.0.9", "10.20.0.10", "10.20.2.1", "10.20.2.2"))
			expect(t, c, settle, s.name("w1.west"), "A", answer(s.name("w1.west")+" A 10.20.2.2"))
		})
		t.Run("known: the local cluster only", func(t *testing.T) {
			setProperty(t, propClusterID, "far")
			expect(t, c, converge, s.owner, "A", s.a("10.20.0.9", "10.20.0.10"))
			expect(t, c, settle, elsewhere.owner, "A", elsewhere.a("10.20.0.9", "10.20.0.10"))
			expect(t, c, settle, s.name("e1.east.prod"), "A", nxdomain)
		})
	})
	t.Run("without cluster_id every cluster is served", func(t *testing.T) {
		c := startCoreDNS(t, writeCorefile(t, localityCorefile()), nil, nil)
		expect(t, c, converge, s.owner, "A", s.a(numericA...))
		expect(t, c, settle, elsewhere.owner, "SRV", elsewhere.srv("", "0 f1.far", "0 f2.far", "0 w1.west", "0 w2.west"))
	})
}

// TestTrafficDistribution writes imports with spec.trafficDistribution
// PreferClose and PreferSameZone: each is ordered as `prefer zone`, whatever
// prefer says; restrict still applies only when configured.
func TestTrafficDistribution(t *testing.T) {
	const ns = "loc-td"
	td := func(v string) func(*mcsv1beta1.ServiceImport) {
		return func(si *mcsv1beta1.ServiceImport) { si.Spec.TrafficDistribution = &v }
	}
	writeTiered(t, ns, "close", td("PreferClose"))
	writeTiered(t, ns, "samezone", td("PreferSameZone"))
	writeTiered(t, ns, "plain", nil)
	id, topo := "cluster_id "+locCluster, "topology "+locZone+" "+locRegion

	t.Run("with prefer none", func(t *testing.T) {
		c := startCoreDNS(t, writeCorefile(t, localityCorefile(id, topo)), nil, nil)
		expectOrder(t, c, converge, tieredService(ns, "close"), zoneA, zoneAAAA, zoneSRV)
		expectOrder(t, c, settle, tieredService(ns, "samezone"), zoneA, zoneAAAA, zoneSRV)
		expectOrder(t, c, settle, tieredService(ns, "plain"), numericA, numericAAAA, flatSRV)
	})
	t.Run("with prefer local", func(t *testing.T) {
		c := startCoreDNS(t, writeCorefile(t, localityCorefile(id, topo, "prefer local")), nil, nil)
		expectOrder(t, c, converge, tieredService(ns, "close"), zoneA, zoneAAAA, zoneSRV)
		expectOrder(t, c, settle, tieredService(ns, "plain"), localA, localAAAA, localSRV)
	})
	t.Run("with prefer local restrict", func(t *testing.T) {
		c := startCoreDNS(t, writeCorefile(t, localityCorefile(id, topo, "prefer local restrict")), nil, nil)
		s := tieredService(ns, "close")
		expect(t, c, converge, s.owner, "A", s.a("10.20.1.3"))
		expect(t, c, settle, s.owner, "SRV", s.srv("", "0 e1.east.prod"))
		p := tieredService(ns, "plain")
		expect(t, c, settle, p.owner, "A", p.a("10.20.1.1", "10.20.1.3"))
	})
}

// TestClusterPropertyCRDInstalledLate runs a server that reads its cluster
// ID and health list from ClusterProperties against an API server without
// the ClusterProperty CRD: it is ready and answers without locality (fail
// open); once the CRD is installed and the property written, the answers
// are ordered, with no restart.
func TestClusterPropertyCRDInstalledLate(t *testing.T) {
	ctx := t.Context()
	b := testbed.StartT(t, testbed.Options{Users: []testbed.User{{Name: coreDNSUser}}})
	must(t, grantCoreDNS(ctx, b))
	const ns = "late-properties"
	writeTieredOn(t, b, ns, "app", nil)
	s := tieredService(ns, "app")
	c := startCoreDNS(t, writeCorefile(t, `clusterset.local:{$DNS_PORT} {
    errors
    ready {$READY_ADDR}
    clusterset {
        kubeconfig {$KUBECONFIG}
        cluster_id
        prefer local
        cluster_health
    }
}
`), serverEnv{"KUBECONFIG": b.Kubeconfig(coreDNSUser)}, nil)

	t.Run("without the CRD the server is ready and prefers nothing", func(t *testing.T) {
		waitHTTPStatus(t, c.readyAddr, "/ready", http.StatusOK, converge)
		expect(t, c, converge, s.owner, "A", s.a(numericA...))
	})
	must(t, b.InstallCRDFiles(ctx, filepath.Join(repoRoot, testbed.ClusterPropertyCRDPath)))
	must(t, poll(converge, func() (string, error) {
		// The first object after a CRD is Established may be refused
		// for a moment.
		return "", b.ApplyClusterProperty(ctx, propClusterID, locCluster)
	}))
	t.Run("once the CRD and the property exist, answers are ordered", func(t *testing.T) {
		expect(t, c, 40*time.Second, s.owner, "A", s.a(localA...))
		expect(t, c, settle, s.owner, "SRV", s.srv("", localSRV...))
	})
	must(t, b.ApplyClusterProperty(ctx, propUnreachable, "west"))
	t.Run("and the health property is read too", func(t *testing.T) {
		expect(t, c, converge, s.owner, "A", s.a("10.20.1.1", "10.20.1.3", "10.20.0.9", "10.20.0.10"))
	})
}
