package test

// scoped_names: ZONE.pin._zone.S.N.svc.Z, ZONE.prefer._zone…,
// C.pin._cluster… and C.prefer._cluster… for headless services.

import (
	"testing"

	"github.com/clusterset-dns/clusterset/test/answers"
	"github.com/clusterset-dns/clusterset/test/fixtures"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// loadScopedData writes, in namespace ns:
//
//	db   Headless, port pg/TCP 5432
//	     east             db-0 10.30.9.1 fd00:30:9::1  us-east-1a
//	                      db-1 10.30.9.2               us-east-1b
//	     west.dc.example  db-0 10.30.2.1               us-east-1a
//	                      db-1 10.30.2.2               eu-west-1.az1 (a dotted zone)
//	                      db-2 10.30.2.3               us-east-1a, not ready
//	vip  ClusterSetIP 10.100.30.1, a slice in east, zone us-east-1a
func loadScopedData(t *testing.T, ns string) {
	t.Helper()
	ctx := t.Context()
	must(t, bed.EnsureNamespace(ctx, ns))
	tcpP := corev1.ProtocolTCP
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "vip", mcsv1beta1.ClusterSetIP, []string{"10.100.30.1"},
		[]mcsv1beta1.ServicePort{fixtures.Port("http", tcpP, 80)}, "east")))
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "db", mcsv1beta1.Headless, nil,
		[]mcsv1beta1.ServicePort{fixtures.Port("pg", tcpP, 5432)}, "east", "west.dc.example")))
	pg := []fixtures.SlicePort{{Name: "pg", Protocol: tcpP, Port: 5432}}
	ep := func(host, zone, addr string) fixtures.Endpoint {
		return fixtures.Endpoint{Hostname: host, Zone: zone, Addresses: []string{addr}}
	}
	notReady := ep("db-2", "us-east-1a", "10.30.2.3")
	notReady.NotReady = true
	applySlices(t, ns, nil, []fixtures.Slice{
		{Service: "vip", Cluster: "east", Ports: []fixtures.SlicePort{{Name: "http", Protocol: tcpP, Port: 80}},
			Endpoints: []fixtures.Endpoint{ep("vip-0", "us-east-1a", "10.30.8.1")}},
		{Service: "db", Cluster: "east", Ports: pg, Endpoints: []fixtures.Endpoint{ep("db-0", "us-east-1a", "10.30.9.1"), ep("db-1", "us-east-1b", "10.30.9.2")}},
		{Service: "db", Cluster: "east", AddressType: discoveryv1.AddressTypeIPv6, Ports: pg, Endpoints: []fixtures.Endpoint{ep("db-0", "us-east-1a", "fd00:30:9::1")}},
		{Service: "db", Cluster: "west.dc.example", Ports: pg, Endpoints: []fixtures.Endpoint{
			ep("db-0", "us-east-1a", "10.30.2.1"), ep("db-1", "eu-west-1.az1", "10.30.2.2"), notReady}},
	})
}

// TestScopedNames runs a server with `scoped_names` (both kinds) and the
// transfer plugin.
func TestScopedNames(t *testing.T) {
	const ns = "scoped"
	loadScopedData(t, ns)
	c := startCoreDNS(t, writeCorefile(t, `clusterset.local:{$DNS_PORT} {
    errors
    clusterset {
        kubeconfig {$KUBECONFIG}
        scoped_names
    }
    transfer {
        to *
    }
}
`), nil, nil)
	db := func(rel string) string { return fqdn(rel + ".db." + ns + ".svc") }
	svc := fqdn("db." + ns + ".svc")
	a := func(owner string, ips ...string) answers.Want { return answer(aRecords(owner, ips...)...) }
	srv := func(owner string, targets ...string) answers.Want {
		fqdns := make([]string, len(targets))
		for i, h := range targets {
			fqdns[i] = db(h)
		}
		return answer(srvRecords(owner, 5432, fqdns...)...)
	}
	all := []string{"10.30.2.1", "10.30.2.2", "10.30.9.1", "10.30.9.2"}
	allTargets := []string{"db-0.east", "db-1.east", "db-0.west.dc.example", "db-1.west.dc.example"}
	// The slice written last.
	expect(t, c, converge, db("db-1.west.dc.example"), "A", answer(db("db-1.west.dc.example")+" A 10.30.2.2"))

	t.Run("pin._zone serves the zone's ready endpoints", func(t *testing.T) {
		n := db("us-east-1a.pin._zone")
		expect(t, c, settle, n, "A", a(n, "10.30.2.1", "10.30.9.1"))
		expect(t, c, settle, n, "AAAA", answer(n+" AAAA fd00:30:9::1"))
		w := srv(n, "db-0.east", "db-0.west.dc.example")
		w.ExtraHas = []string{db("db-0.east") + " A 10.30.9.1", db("db-0.east") + " AAAA fd00:30:9::1", db("db-0.west.dc.example") + " A 10.30.2.1"}
		expect(t, c, settle, n, "SRV", w)
		n = db("us-east-1b.pin._zone")
		expect(t, c, settle, n, "A", a(n, "10.30.9.2"))
		expect(t, c, settle, n, "AAAA", nodata)
	})
	t.Run("a dotted zone is every label left of pin", func(t *testing.T) {
		n := db("eu-west-1.az1.pin._zone")
		expect(t, c, settle, n, "A", a(n, "10.30.2.2"))
		expect(t, c, settle, n, "SRV", srv(n, "db-1.west.dc.example"))
		expect(t, c, settle, db("az1.pin._zone"), "A", nodata)
	})
	t.Run("pin of a zone without ready endpoints is NODATA", func(t *testing.T) {
		for _, qtype := range []string{"A", "AAAA", "SRV"} {
			expect(t, c, settle, db("nowhere.pin._zone"), qtype, nodata)
		}
	})
	t.Run("prefer._zone serves the zone's endpoints when it has some", func(t *testing.T) {
		n := db("us-east-1a.prefer._zone")
		expect(t, c, settle, n, "A", a(n, "10.30.2.1", "10.30.9.1"))
		expect(t, c, settle, n, "SRV", srv(n, "db-0.east", "db-0.west.dc.example"))
	})
	t.Run("prefer._zone falls back to what the service name answers", func(t *testing.T) {
		n := db("nowhere.prefer._zone")
		expect(t, c, settle, n, "A", a(n, all...))
		expect(t, c, settle, n, "AAAA", answer(n+" AAAA fd00:30:9::1"))
		w := srv(n, allTargets...)
		w.ExtraHas = []string{db("db-1.west.dc.example") + " A 10.30.2.2"}
		expect(t, c, settle, n, "SRV", w)
		expect(t, c, settle, svc, "A", a(svc, all...))
	})
	t.Run("pin._cluster serves the cluster's ready endpoints, dotted IDs included", func(t *testing.T) {
		n := db("west.dc.example.pin._cluster")
		expect(t, c, settle, n, "A", a(n, "10.30.2.1", "10.30.2.2"))
		expect(t, c, settle, n, "AAAA", nodata)
		w := srv(n, "db-0.west.dc.example", "db-1.west.dc.example")
		w.Extra = []string{db("db-0.west.dc.example") + " A 10.30.2.1", db("db-1.west.dc.example") + " A 10.30.2.2"}
		expect(t, c, settle, n, "SRV", w)
		n = db("east.pin._cluster")
		expect(t, c, settle, n, "AAAA", answer(n+" AAAA fd00:30:9::1"))
		expect(t, c, settle, n, "SRV", srv(n, "db-0.east", "db-1.east"))
	})
	t.Run("pin of a cluster without ready endpoints is NODATA", func(t *testing.T) {
		expect(t, c, settle, db("nowhere.pin._cluster"), "A", nodata)
		expect(t, c, settle, db("dc.example.pin._cluster"), "A", nodata)
		expect(t, c, settle, db("west.pin._cluster"), "SRV", nodata)
	})
	t.Run("prefer._cluster", func(t *testing.T) {
		n := db("east.prefer._cluster")
		expect(t, c, settle, n, "A", a(n, "10.30.9.1", "10.30.9.2"))
		n = db("nowhere.prefer._cluster")
		expect(t, c, settle, n, "A", a(n, all...))
		expect(t, c, settle, n, "SRV", srv(n, allTargets...))
	})
	t.Run("other types at scoped names are NODATA", func(t *testing.T) {
		expect(t, c, settle, db("us-east-1a.pin._zone"), "TXT", nodata)
		expect(t, c, settle, db("east.prefer._cluster"), "MX", nodata)
		expect(t, c, settle, db("nowhere.prefer._zone"), "CNAME", nodata)
	})
	t.Run("the labels above the scoped names are empty non-terminals", func(t *testing.T) {
		for _, rel := range []string{"_zone", "pin._zone", "prefer._zone", "_cluster", "pin._cluster", "prefer._cluster"} {
			expect(t, c, settle, db(rel), "A", nodata)
			expect(t, c, settle, db(rel), "SRV", nodata)
		}
	})
	t.Run("names match case-insensitively and echo the query's case", func(t *testing.T) {
		n := "US-EAST-1B.Pin._ZONE.Db." + ns + ".svc.clusterset.local."
		expect(t, c, settle, n, "A", a(n, "10.30.9.2"))
		n = "West.DC.example.PIN._Cluster.db." + ns + ".svc.clusterset.local."
		expect(t, c, settle, n, "A", a(n, "10.30.2.1", "10.30.2.2"))
	})
	t.Run("a ClusterSetIP service has no scoped names", func(t *testing.T) {
		v := func(rel string) string { return fqdn(rel + ".vip." + ns + ".svc") }
		for _, rel := range []string{"us-east-1a.pin._zone", "us-east-1a.prefer._zone", "east.pin._cluster", "east.prefer._cluster", "_zone", "pin._cluster"} {
			expect(t, c, settle, v(rel), "A", nxdomain)
		}
		expect(t, c, settle, fqdn("vip."+ns+".svc"), "A", answer(fqdn("vip."+ns+".svc")+" A 10.100.30.1"))
	})
	t.Run("the per-endpoint names stay", func(t *testing.T) {
		expect(t, c, settle, db("db-1.west.dc.example"), "A", answer(db("db-1.west.dc.example")+" A 10.30.2.2"))
		expect(t, c, settle, db("db-2.west.dc.example"), "A", nxdomain)
	})
	t.Run("scoped names are not in zone transfers", func(t *testing.T) {
		rrs, soa := consistentTransfer(t, c.addr)
		checkTransferMatchesQueries(t, c, rrs, soa)
		for _, rr := range rrs {
			for _, l := range dns.SplitDomainName(rr.Header().Name) {
				if l == "_zone" || l == "_cluster" {
					t.Errorf("transferred %s", rr)
				}
			}
		}
		if !transferHas(rrs, db("db-0.west.dc.example"), dns.TypeA, "10.30.2.1") {
			t.Errorf("the transfer lacks %s A", db("db-0.west.dc.example"))
		}
	})
}

// TestScopedNamesOptions runs `scoped_names zone`, `scoped_names cluster`,
// no scoped_names, scoped_names with prefer (the fallback is the service
// name's answer, in its order), and the setup errors.
func TestScopedNamesOptions(t *testing.T) {
	const ns = "scoped-opt"
	loadScopedData(t, ns)
	db := func(rel string) string { return fqdn(rel + ".db." + ns + ".svc") }
	served := func(t *testing.T, c *coreDNS) {
		t.Helper()
		expect(t, c, converge, db("db-1.west.dc.example"), "A", answer(db("db-1.west.dc.example")+" A 10.30.2.2"))
	}
	corefile := func(options ...string) string { return writeCorefile(t, localityCorefile(options...)) }

	t.Run("scoped_names zone", func(t *testing.T) {
		c := startCoreDNS(t, corefile("scoped_names zone"), nil, nil)
		served(t, c)
		expect(t, c, settle, db("us-east-1b.pin._zone"), "A", answer(db("us-east-1b.pin._zone")+" A 10.30.9.2"))
		expect(t, c, settle, db("east.pin._cluster"), "A", nxdomain)
		expect(t, c, settle, db("_cluster"), "A", nxdomain)
	})
	t.Run("scoped_names cluster", func(t *testing.T) {
		c := startCoreDNS(t, corefile("scoped_names cluster"), nil, nil)
		served(t, c)
		expect(t, c, settle, db("east.pin._cluster"), "A", answer(db("east.pin._cluster")+" A 10.30.9.1", db("east.pin._cluster")+" A 10.30.9.2"))
		expect(t, c, settle, db("us-east-1b.pin._zone"), "A", nxdomain)
		expect(t, c, settle, db("_zone"), "A", nxdomain)
	})
	t.Run("scoped_names zone cluster is both", func(t *testing.T) {
		c := startCoreDNS(t, corefile("scoped_names zone cluster"), nil, nil)
		served(t, c)
		expect(t, c, settle, db("us-east-1b.pin._zone"), "A", answer(db("us-east-1b.pin._zone")+" A 10.30.9.2"))
		expect(t, c, settle, db("east.prefer._cluster"), "A", answer(db("east.prefer._cluster")+" A 10.30.9.1", db("east.prefer._cluster")+" A 10.30.9.2"))
	})
	t.Run("without scoped_names the names are NXDOMAIN, as before", func(t *testing.T) {
		c := startCoreDNS(t, corefile(), nil, nil)
		served(t, c)
		for _, rel := range []string{"us-east-1a.pin._zone", "nowhere.prefer._zone", "east.pin._cluster", "_zone", "pin._cluster"} {
			expect(t, c, settle, db(rel), "A", nxdomain)
		}
	})
	t.Run("the prefer fallback is the service name's answer, in its order", func(t *testing.T) {
		c := startCoreDNS(t, corefile("scoped_names", "cluster_id east", "prefer local"), nil, nil)
		served(t, c)
		for _, n := range []string{fqdn("db." + ns + ".svc"), db("nowhere.prefer._zone"), db("nowhere.prefer._cluster")} {
			expect(t, c, settle, n, "A", inOrder(n+" A 10.30.9.1", n+" A 10.30.9.2", n+" A 10.30.2.1", n+" A 10.30.2.2"))
			expect(t, c, settle, n, "SRV", srvInOrder(n+" SRV 0 5432 "+db("db-0.east"), n+" SRV 0 5432 "+db("db-1.east"),
				n+" SRV 1 5432 "+db("db-0.west.dc.example"), n+" SRV 1 5432 "+db("db-1.west.dc.example")))
		}
	})
	t.Run("with restrict, the prefer fallback is restricted like the service name; pin is not", func(t *testing.T) {
		c := startCoreDNS(t, corefile("scoped_names", "cluster_id east", "prefer local restrict"), nil, nil)
		served(t, c)
		for _, n := range []string{fqdn("db." + ns + ".svc"), db("nowhere.prefer._zone")} {
			expect(t, c, settle, n, "A", inOrder(n+" A 10.30.9.1", n+" A 10.30.9.2"))
		}
		n := db("west.dc.example.pin._cluster")
		expect(t, c, settle, n, "A", answer(n+" A 10.30.2.1", n+" A 10.30.2.2"))
	})
	t.Run("setup errors", func(t *testing.T) {
		t.Run("noendpoints with scoped_names", func(t *testing.T) {
			expectSetupError(t, localityCorefile("noendpoints", "scoped_names"), "scoped_names|noendpoints")
		})
		t.Run("an unknown kind of scoped name", func(t *testing.T) {
			expectSetupError(t, localityCorefile("scoped_names region"), "region")
		})
	})
}
