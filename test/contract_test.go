package test

import (
	"context"
	"fmt"
	"testing"

	"github.com/clusterset-dns/clusterset/test/answers"
	"github.com/clusterset-dns/clusterset/test/fixtures"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// The rows checked here are those of docs/dns-contract.md: a subtest
// named "row N: ..." checks row N.
//
// The contract data set lives in namespace mcs. It is shaped like the
// imports real MCS implementations write:
//
//	vip     ClusterSetIP, dual stack, from east and west, no EndpointSlices
//	        (Cilium imports only the VIP)
//	v4, v6  ClusterSetIP, one family each
//	web     ClusterSetIP with per-cluster slices managed by Submariner
//	single  ClusterSetIP with one unnamed port
//	db      Headless from east, west and the dotted cluster west.dc.example:
//	        StatefulSet hostnames, dual stack, an endpoint without hostname,
//	        a not-ready endpoint, an address in two clusters; slices managed
//	        by the mcs-api controller
//	onlyv6  Headless with ready IPv6 endpoints only
//	down    Headless whose endpoints are all not ready
//	absent  Headless, status.endpointSliceObjects Absent
//	absentvip ClusterSetIP, status.endpointSliceObjects Absent
//	local-only  a plain Service, not imported
//	orphan  EndpointSlices without a ServiceImport
const ns = "mcs"

func loadContractData(t *testing.T, ctx context.Context) {
	t.Helper()
	must(t, bed.EnsureNamespace(ctx, ns))
	must(t, bed.EnsureNamespace(ctx, "emptyns"))
	tcp, udp := corev1.ProtocolTCP, corev1.ProtocolUDP
	port := fixtures.Port
	imports := []*mcsv1beta1.ServiceImport{
		fixtures.ServiceImport(ns, "vip", mcsv1beta1.ClusterSetIP, []string{"10.100.0.10", "fd00:100::10"},
			[]mcsv1beta1.ServicePort{port("http", tcp, 80), port("dns", udp, 53), port("tcp", tcp, 42), port("udp", udp, 42)}, "east", "west"),
		fixtures.ServiceImport(ns, "v4", mcsv1beta1.ClusterSetIP, []string{"10.100.0.11"}, []mcsv1beta1.ServicePort{port("http", tcp, 80)}, "east"),
		fixtures.ServiceImport(ns, "v6", mcsv1beta1.ClusterSetIP, []string{"fd00:100::12"}, []mcsv1beta1.ServicePort{port("http", tcp, 80)}, "east"),
		fixtures.ServiceImport(ns, "web", mcsv1beta1.ClusterSetIP, []string{"10.100.0.13"}, []mcsv1beta1.ServicePort{port("http", tcp, 80)}, "east", "west"),
		fixtures.ServiceImport(ns, "single", mcsv1beta1.ClusterSetIP, []string{"10.100.0.15"}, []mcsv1beta1.ServicePort{port("", tcp, 8080)}, "east"),
		fixtures.ServiceImport(ns, "db", mcsv1beta1.Headless, nil, []mcsv1beta1.ServicePort{port("pg", tcp, 5432)}, "east", "west", "west.dc.example"),
		fixtures.ServiceImport(ns, "onlyv6", mcsv1beta1.Headless, nil, []mcsv1beta1.ServicePort{port("http", tcp, 80)}, "east"),
		fixtures.ServiceImport(ns, "down", mcsv1beta1.Headless, nil, []mcsv1beta1.ServicePort{port("http", tcp, 80)}, "east"),
		fixtures.ServiceImport(ns, "absent", mcsv1beta1.Headless, nil, []mcsv1beta1.ServicePort{port("http", tcp, 80)}, "east"),
		fixtures.ServiceImport(ns, "absentvip", mcsv1beta1.ClusterSetIP, []string{"10.100.0.14"}, []mcsv1beta1.ServicePort{port("http", tcp, 80)}, "east"),
	}
	for _, si := range imports {
		if si.Name == "absent" || si.Name == "absentvip" {
			si.Status.EndpointSliceObjects = mcsv1beta1.EndpointSliceObjectsAbsent
		}
		must(t, bed.ApplyServiceImport(ctx, si))
	}

	pg := []fixtures.SlicePort{{Name: "pg", Protocol: tcp, Port: 5432}}
	http := []fixtures.SlicePort{{Name: "http", Protocol: tcp, Port: 80}}
	v6 := discoveryv1.AddressTypeIPv6
	ep := func(host string, addrs ...string) fixtures.Endpoint {
		return fixtures.Endpoint{Hostname: host, Addresses: addrs}
	}
	slices := []fixtures.Slice{
		{Service: "db", Cluster: "east", Ports: pg, Endpoints: []fixtures.Endpoint{
			ep("db-0", "10.1.0.10"),
			{Hostname: "db-1", Addresses: []string{"10.1.0.11"}, Ready: true},
			{Hostname: "db-2", Addresses: []string{"10.1.0.12"}, NotReady: true},
		}},
		{Service: "db", Cluster: "east", AddressType: v6, Ports: pg, Endpoints: []fixtures.Endpoint{ep("db-0", "fd00:1::10")}},
		{Service: "db", Cluster: "west", Ports: pg, Endpoints: []fixtures.Endpoint{
			ep("db-0", "10.2.0.10"), ep("", "10.2.0.20"), ep("db-9", "10.1.0.10"),
		}},
		{Service: "db", Cluster: "west", AddressType: v6, Ports: pg, Endpoints: []fixtures.Endpoint{ep("", "fd00:2::20"), ep("", "fd00:3::")}},
		{Service: "db", Cluster: "west.dc.example", Ports: pg, Endpoints: []fixtures.Endpoint{ep("db-0", "10.3.0.10")}},
		{Service: "onlyv6", Cluster: "east", AddressType: v6, Ports: http, Endpoints: []fixtures.Endpoint{ep("a", "fd00:4::1")}},
		{Service: "down", Cluster: "east", Ports: http, Endpoints: []fixtures.Endpoint{{Hostname: "a", Addresses: []string{"10.4.0.1"}, NotReady: true}}},
		{Service: "absent", Cluster: "east", Ports: http, Endpoints: []fixtures.Endpoint{ep("a", "10.4.0.2")}},
		{Service: "web", Cluster: "east", ManagedBy: fixtures.ManagedBySubmariner, Ports: http, Endpoints: []fixtures.Endpoint{ep("web-0", "10.6.0.1")}},
		{Service: "web", Cluster: "west", ManagedBy: fixtures.ManagedBySubmariner, Ports: http, Endpoints: []fixtures.Endpoint{ep("web-0", "10.7.0.1")}},
		// Pieces that must not show: an FQDN slice (ignored), a slice
		// without the source-cluster label (no cluster to name it by), a
		// slice of a service that is not imported.
		{Service: "db", Cluster: "east", Name: "db-east-fqdn", AddressType: discoveryv1.AddressTypeFQDN, Ports: pg, Endpoints: []fixtures.Endpoint{ep("db-7", "db-7.example.com")}},
		{Service: "db", Name: "db-nocluster", NoClusterLabel: true, Ports: pg, Endpoints: []fixtures.Endpoint{ep("db-8", "10.4.0.8")}},
		{Service: "orphan", Cluster: "east", Ports: http, Endpoints: []fixtures.Endpoint{ep("a", "10.4.0.9")}},
	}
	applySlices(t, ns, nil, slices)

	// A plain Service that is not exported: cluster.local has it,
	// clusterset.local must not (docs/dns-contract.md, "no ServiceImport; namespace absent here").
	_, err := bed.Kube.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "local-only"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
	}, metav1.CreateOptions{})
	if err != nil && !isAlreadyExists(err) {
		t.Fatal(err)
	}

	// Written last: once the sentinel is served, everything above is.
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "sentinel", mcsv1beta1.Headless, nil, nil, "east")))
	_, err = bed.ApplyEndpointSlice(ctx, fixtures.Slice{Namespace: ns, Service: "sentinel", Cluster: "east", Endpoints: []fixtures.Endpoint{ep("s", "10.9.9.9")}})
	must(t, err)
}

// waitContractData waits until c serves the sentinel written last.
func waitContractData(t *testing.T, c *coreDNS) {
	t.Helper()
	if err := poll(converge, func() (string, error) {
		r, err := dig(c.addr, fqdn("sentinel."+ns+".svc"), "A", udp)
		if err != nil {
			return "", err
		}
		return r.text, answers.Check(r.Msg, answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{fqdn("sentinel."+ns+".svc") + " A 10.9.9.9"}, AnyTTL: true})
	}); err != nil {
		t.Fatalf("the contract data set is not served within %v: %v", converge, err)
	}
}

// contractCase is one question and its answer per the contract.
type contractCase struct {
	row   string // the row(s) of docs/dns-contract.md
	name  string // relative to the zone unless it ends with a dot
	qtype string
	want  answers.Want
}

// contractCases are the wire-visible rows of the contract over the data
// of loadContractData.
func contractCases() []contractCase {
	n := func(rel string) string { return fqdn(rel + "." + ns + ".svc") }
	a := func(rel, ip string) string { return n(rel) + " A " + ip }
	aaaa := func(rel, ip string) string { return n(rel) + " AAAA " + ip }
	srv := func(owner string, port int, target string) string {
		return fmt.Sprintf("%s SRV %d %s", owner, port, target)
	}
	dbTargets := []string{"db-0.east", "db-1.east", "db-0.west", "db-9.west", "10-2-0-20.west", "fd00-2--20.west", "fd00-3--0.west", "db-0.west.dc.example"}
	dbSRV := func(owner string) []string {
		var s []string
		for _, h := range dbTargets {
			s = append(s, srv(owner, 5432, n(h+".db")))
		}
		return s
	}
	with := func(w answers.Want, f func(*answers.Want)) answers.Want { f(&w); return w }

	return []contractCase{
		// Row 1.
		{"1", "dns-version", "TXT", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{fqdn("dns-version") + ` TXT "1.0.0"`}, TTL: 28800}},
		{"1,12", "dns-version", "A", nodata},
		// Row 2.
		{"2", zone, "SOA", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{zone + " SOA"}, AnyTTL: true}},
		{"2", zone, "NS", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{zone + " NS ns.dns." + zone}, AnyTTL: true}},
		// Row 3: ClusterSetIP, dual stack, no slices (Cilium style).
		{"3", n("vip"), "A", answer(a("vip", "10.100.0.10"))},
		{"3", n("vip"), "AAAA", answer(aaaa("vip", "fd00:100::10"))},
		{"3", n("v4"), "AAAA", nodata},
		{"3", n("v6"), "A", nodata},
		{"3", n("v6"), "AAAA", answer(aaaa("v6", "fd00:100::12"))},
		{"3", n("web"), "A", answer(a("web", "10.100.0.13"))},
		// Row 4.
		{"4", n("_http._tcp.vip"), "SRV", with(answer(srv(n("_http._tcp.vip"), 80, n("vip"))), func(w *answers.Want) {
			w.ExtraHas = []string{a("vip", "10.100.0.10"), aaaa("vip", "fd00:100::10")}
		})},
		{"4,18", n("_HTTP._Tcp.vip"), "SRV", answer(srv(n("_HTTP._Tcp.vip"), 80, n("vip")))},
		{"4", n("_dns._udp.vip"), "SRV", answer(srv(n("_dns._udp.vip"), 53, n("vip")))},
		{"4", n("_http._udp.vip"), "SRV", nxdomain},
		{"4", n("_nope._tcp.vip"), "SRV", nxdomain},
		{"4", n("_http._tcp.web"), "SRV", answer(srv(n("_http._tcp.web"), 80, n("web")))},
		{"4,11", n("_tcp.single"), "SRV", nxdomain},
		// Row 5.
		{"5", n("vip"), "SRV", with(answer(srv(n("vip"), 80, n("vip")), srv(n("vip"), 53, n("vip")), srv(n("vip"), 42, n("vip"))), func(w *answers.Want) {
			w.ExtraHas = []string{a("vip", "10.100.0.10"), aaaa("vip", "fd00:100::10")}
		})},
		{"5,9", n("db"), "SRV", with(answer(dbSRV(n("db"))...), func(w *answers.Want) {
			w.ExtraHas = []string{a("db-0.east.db", "10.1.0.10"), aaaa("db-0.east.db", "fd00:1::10"), a("db-0.west.dc.example.db", "10.3.0.10")}
		})},
		// Row 6: headless across clusters, deduplicated, ready only.
		{"6", n("db"), "A", answer(a("db", "10.1.0.10"), a("db", "10.1.0.11"), a("db", "10.2.0.10"), a("db", "10.2.0.20"), a("db", "10.3.0.10"))},
		{"6", n("db"), "AAAA", answer(aaaa("db", "fd00:1::10"), aaaa("db", "fd00:2::20"), aaaa("db", "fd00:3::"))},
		{"6", n("onlyv6"), "A", nodata},
		{"6", n("onlyv6"), "AAAA", answer(aaaa("onlyv6", "fd00:4::1"))},
		{"6", n("down"), "A", nxdomain},
		{"6", n("down"), "AAAA", nxdomain},
		{"6", n("down"), "SRV", nxdomain},
		// Rows 7 and 8: per-endpoint names.
		{"7", n("db-0.east.db"), "A", answer(a("db-0.east.db", "10.1.0.10"))},
		{"7", n("db-0.east.db"), "AAAA", answer(aaaa("db-0.east.db", "fd00:1::10"))},
		{"7", n("db-1.east.db"), "A", answer(a("db-1.east.db", "10.1.0.11"))},
		{"7,12", n("db-1.east.db"), "AAAA", nodata},
		{"7", n("db-2.east.db"), "A", nxdomain},
		{"7", n("db-0.west.db"), "A", answer(a("db-0.west.db", "10.2.0.10"))},
		{"7", n("db-9.west.db"), "A", answer(a("db-9.west.db", "10.1.0.10"))},
		{"7", n("db-0.west.dc.example.db"), "A", answer(a("db-0.west.dc.example.db", "10.3.0.10"))},
		{"8", n("10-2-0-20.west.db"), "A", answer(a("10-2-0-20.west.db", "10.2.0.20"))},
		{"8", n("fd00-2--20.west.db"), "AAAA", answer(aaaa("fd00-2--20.west.db", "fd00:2::20"))},
		{"8", n("fd00-3--0.west.db"), "AAAA", answer(aaaa("fd00-3--0.west.db", "fd00:3::"))},
		// Row 9.
		{"9", n("_pg._tcp.db"), "SRV", with(answer(dbSRV(n("_pg._tcp.db"))...), func(w *answers.Want) {
			w.ExtraHas = []string{a("db-0.east.db", "10.1.0.10"), aaaa("fd00-3--0.west.db", "fd00:3::")}
		})},
		{"9", n("_pg._udp.db"), "SRV", nxdomain},
		// Rows 10 and 11: empty non-terminals.
		{"10", n("east.db"), "A", nodata},
		{"10", n("west.db"), "AAAA", nodata},
		{"10", n("west.dc.example.db"), "A", nodata},
		{"10", n("west.dc.example.db"), "SRV", nodata},
		{"11", n("dc.example.db"), "A", nodata},
		{"11", n("example.db"), "A", nodata},
		{"10", n("nowhere.db"), "A", nxdomain},
		{"10,14", n("east.vip"), "A", nxdomain},
		{"11", n("_tcp.vip"), "SRV", nodata},
		{"11", n("_udp.vip"), "A", nodata},
		{"11", n("_tcp.db"), "SRV", nodata},
		{"11", n("_udp.db"), "SRV", nxdomain},
		{"11", fqdn(ns + ".svc"), "A", nodata},
		{"11", fqdn("svc"), "A", nodata},
		{"11", fqdn("emptyns.svc"), "A", nxdomain},
		// Row 12: other types at existing names.
		{"12", n("vip"), "TXT", nodata},
		{"12", n("vip"), "MX", nodata},
		{"12", n("vip"), "HTTPS", nodata},
		{"12", n("db"), "CNAME", nodata},
		{"12", n("db-0.east.db"), "TXT", nodata},
		// Row 13.
		{"13", n("nosuch"), "A", nxdomain},
		{"13", n("local-only"), "A", nxdomain},
		{"13", fqdn("vip.nosuchns.svc"), "A", nxdomain},
		{"13", fqdn("vip." + ns + ".pod"), "A", nxdomain},
		{"13", n("db-5.east.db"), "A", nxdomain},
		{"13", n("db-0.nowhere.db"), "A", nxdomain},
		{"13", n("x.y.db-0.east.db"), "A", nxdomain},
		{"13", n("orphan"), "A", nxdomain},
		{"13", n("a.east.orphan"), "A", nxdomain},
		{"7", n("db-7.east.db"), "A", nxdomain},
		{"7", n("db-8.east.db"), "A", nxdomain},
		// Row 14.
		{"14", n("web-0.east.web"), "A", nxdomain},
		{"14", n("east.web"), "A", nxdomain},
		// Row 17.
		{"17", n("absent"), "A", nxdomain},
		{"17", n("a.east.absent"), "A", nxdomain},
		{"17", n("absentvip"), "A", answer(a("absentvip", "10.100.0.14"))},
		// Row 18: the owner echoes the query's case.
		{"18", "DB-0.East.Db.MCS.svc.ClusterSet.Local.", "A", answer("DB-0.East.Db.MCS.svc.ClusterSet.Local. A 10.1.0.10")},
		{"18", "Vip.Mcs.Svc.CLUSTERSET.local.", "AAAA", answer("Vip.Mcs.Svc.CLUSTERSET.local. AAAA fd00:100::10")},
		{"18", "db-0.WEST.DC.Example.db.mcs.svc.clusterset.local.", "A", answer("db-0.WEST.DC.Example.db.mcs.svc.clusterset.local. A 10.3.0.10")},
	}
}

// TestContract asks every wire-visible row of the contract of a server run
// from corefile-examples/clusterset-alone.Corefile, with dig over UDP and
// TCP.
func TestContract(t *testing.T) {
	ctx := t.Context()
	c := startCoreDNS(t, "clusterset-alone.Corefile", nil, nil)
	loadContractData(t, ctx)
	waitContractData(t, c)
	for _, tc := range contractCases() {
		name := tc.name
		if name[len(name)-1] != '.' {
			name = fqdn(name)
		}
		t.Run(fmt.Sprintf("row %s: %s %s", tc.row, name, tc.qtype), func(t *testing.T) {
			expect(t, c, settle, name, tc.qtype, tc.want)
		})
	}
	// docs/dns-contract.md, the PTR line of "Names and answers".
	t.Run("reverse names are not served by the clusterset server", func(t *testing.T) {
		r, err := dig(c.addr, "10.0.100.10.in-addr.arpa.", "PTR", udp)
		if err != nil {
			t.Fatal(err)
		}
		for _, rr := range r.Answer {
			t.Errorf("PTR answered: %s", rr)
		}
	})
}

// applySlices writes the EndpointSlices into namespace ns, each with ports
// unless ports is nil.
func applySlices(t *testing.T, ns string, ports []fixtures.SlicePort, slices []fixtures.Slice) {
	t.Helper()
	for _, s := range slices {
		s.Namespace = ns
		if ports != nil {
			s.Ports = ports
		}
		_, err := bed.ApplyEndpointSlice(t.Context(), s)
		must(t, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
