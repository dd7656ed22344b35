package clusterset

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
	"github.com/clusterset-dns/clusterset/test/answers"
	"github.com/clusterset-dns/clusterset/test/fixtures"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/request"
	"github.com/miekg/dns"
)

// contractSource is a ClusterSet shaped like the imports MCS
// implementations write: a VIP with no slices, dual stack, per-cluster
// headless slices, a dotted cluster ID, and bad data beside good.
func contractSource() *fakeSource {
	f := newFakeSource("demo", "other")
	f.addImport("demo", "web", object.ClusterSetIP, []string{"10.0.0.10"}, fixtures.TCP("http", 80), fixtures.TCP("", 8080))
	f.addImport("demo", "dual", object.ClusterSetIP, []string{"10.0.0.11", "fd00::11"}, fixtures.TCP("dns", 53), fixtures.UDP("dns", 53))
	f.addImport("demo", "v6only", object.ClusterSetIP, []string{"fd00::12"})
	f.addImport("demo", "novip", object.ClusterSetIP, nil, fixtures.TCP("http", 80))
	f.addImport("demo", "bad", object.ClusterSetIP, []string{"999.1.1.1", "10.0.0.13", "fe80::1%eth0"})
	f.addImport("demo", "weird", "LoadBalancer", []string{"10.0.0.14"})
	f.addImport("ghost", "web", object.ClusterSetIP, []string{"10.0.0.15"}) // namespace not present locally

	f.addImport("demo", "db", object.Headless, nil)
	mysql := []object.Port{fixtures.TCP("MySQL", 3306)}
	f.addSlice("demo", "db", "db-east", "east", object.AddressTypeIPv4, mysql,
		fixtures.Ready("db-0", "10.1.0.1"), fixtures.Ready("db-1", "10.1.0.2"), fixtures.Unready("db-2", "10.1.0.3"))
	f.addSlice("demo", "db", "db-west-v4", "west.prod", object.AddressTypeIPv4, mysql,
		fixtures.Ready("", "10.2.0.1"))
	f.addSlice("demo", "db", "db-west-v6", "west.prod", object.AddressTypeIPv6, mysql,
		fixtures.Ready("", "fd00:1::"))
	f.addSlice("demo", "db", "db-nolabel", "", object.AddressTypeIPv4, mysql, fixtures.Ready("x", "10.9.9.9"))
	f.addSlice("demo", "db", "db-fqdn", "east", "FQDN", mysql, fixtures.Ready("y", "db.example.com"))

	f.addImport("demo", "sleepy", object.Headless, nil)
	f.addSlice("demo", "sleepy", "sleepy-east", "east", object.AddressTypeIPv4, nil, fixtures.Unready("", "10.3.0.1"))

	f.addImport("demo", "v6db", object.Headless, nil)
	f.addSlice("demo", "v6db", "v6db-east", "east", object.AddressTypeIPv6, nil, fixtures.Ready("", "fd00::31"))

	absent := f.addImport("demo", "absent", object.Headless, nil)
	absent.EndpointSlicesAbsent = true
	f.addSlice("demo", "absent", "absent-east", "east", object.AddressTypeIPv4, nil, fixtures.Ready("", "10.4.0.1"))

	// A headless service reusing the same hostname in two families and two
	// clusters (StatefulSet pods with dual-stack addresses).
	f.addImport("other", "kv", object.Headless, nil, fixtures.TCP("client", 2379))
	peer := []object.Port{fixtures.TCP("peer", 2380)}
	f.addSlice("other", "kv", "kv-a4", "a", object.AddressTypeIPv4, peer, fixtures.Ready("kv-0", "10.5.0.1"))
	f.addSlice("other", "kv", "kv-a6", "a", object.AddressTypeIPv6, peer, fixtures.Ready("kv-0", "fd00::51"))
	f.addSlice("other", "kv", "kv-b4", "b", object.AddressTypeIPv4, peer, fixtures.Ready("kv-0", "10.5.0.2"))
	return f
}

// answerCase is one question of the contract test and the reply it
// expects, every section exactly: answer and extra in the notation of
// package answers (SRV in full), the authority the zone SOA of a negative
// answer, TTLs ttl (0: the default).
type answerCase struct {
	name   string
	qname  string
	qtype  uint16
	rcode  int
	answer []string
	extra  []string
	ttl    uint32
}

func (tc answerCase) want() answers.Want {
	extra := tc.extra
	if extra == nil {
		extra = []string{} // none, rather than unchecked
	}
	return answers.Want{Rcode: tc.rcode, Answer: tc.answer, Extra: extra, TTL: tc.ttl}
}

func TestServeDNSContract(t *testing.T) {
	cs := newTestPlugin(t, "clusterset", contractSource())
	const (
		svc = ".svc.clusterset.local."
		web = "web.demo" + svc
		db  = "db.demo" + svc
		kv  = "kv.other" + svc
	)
	nodata := func(name, qname string, qtype uint16) answerCase {
		return answerCase{name: name, qname: qname, qtype: qtype, rcode: dns.RcodeSuccess}
	}
	nxdomain := func(name, qname string, qtype uint16) answerCase {
		return answerCase{name: name, qname: qname, qtype: qtype, rcode: dns.RcodeNameError}
	}
	cases := []answerCase{
		// Row 1.
		{name: "dns-version is the MCS schema 1.0.0", qname: "dns-version.clusterset.local.", qtype: dns.TypeTXT,
			answer: []string{`dns-version.clusterset.local. TXT "1.0.0"`}, ttl: 28800},
		nodata("dns-version has only TXT", "dns-version.clusterset.local.", dns.TypeA),
		// Row 2.
		{name: "the apex has an NS", qname: "clusterset.local.", qtype: dns.TypeNS,
			answer: []string{"clusterset.local. NS ns.dns.clusterset.local."},
			extra:  []string{"ns.dns.clusterset.local. A 127.0.0.1"}},
		nodata("the apex has no A", "clusterset.local.", dns.TypeA),
		nodata("dns.Z is an empty non-terminal", "dns.clusterset.local.", dns.TypeA),
		// Row 3.
		{name: "ClusterSetIP A is its VIP, with no slices", qname: web, qtype: dns.TypeA,
			answer: []string{web + " A 10.0.0.10"}},
		nodata("ClusterSetIP without an IPv6 VIP has no AAAA", web, dns.TypeAAAA),
		{name: "dual-stack ClusterSetIP serves A", qname: "dual.demo" + svc, qtype: dns.TypeA,
			answer: []string{"dual.demo" + svc + " A 10.0.0.11"}},
		{name: "dual-stack ClusterSetIP serves AAAA", qname: "dual.demo" + svc, qtype: dns.TypeAAAA,
			answer: []string{"dual.demo" + svc + " AAAA fd00::11"}},
		nodata("IPv6-only ClusterSetIP has no A", "v6only.demo"+svc, dns.TypeA),
		nodata("ClusterSetIP without VIPs is NODATA", "novip.demo"+svc, dns.TypeA),
		{name: "invalid VIPs are skipped, valid ones served", qname: "bad.demo" + svc, qtype: dns.TypeA,
			answer: []string{"bad.demo" + svc + " A 10.0.0.13"}},
		// Row 4.
		{name: "named port SRV points at the service, with its VIP as glue", qname: "_http._tcp." + web, qtype: dns.TypeSRV,
			answer: []string{"_http._tcp." + web + " SRV 0 100 80 " + web},
			extra:  []string{web + " A 10.0.0.10"}},
		nxdomain("a port of another protocol does not exist", "_http._udp."+web, dns.TypeSRV),
		nxdomain("an unnamed port has no SRV name", "_8080._tcp."+web, dns.TypeSRV),
		nodata("_proto is an empty non-terminal", "_tcp."+web, dns.TypeSRV),
		{name: "SRV with dual-stack glue", qname: "_dns._udp.dual.demo" + svc, qtype: dns.TypeSRV,
			answer: []string{"_dns._udp.dual.demo" + svc + " SRV 0 100 53 dual.demo" + svc},
			extra:  []string{"dual.demo" + svc + " A 10.0.0.11", "dual.demo" + svc + " AAAA fd00::11"}},
		// Row 5.
		{name: "bare SRV of a ClusterSetIP has one record per port", qname: web, qtype: dns.TypeSRV,
			answer: []string{web + " SRV 0 50 80 " + web, web + " SRV 0 50 8080 " + web},
			extra:  []string{web + " A 10.0.0.10"}},
		{name: "bare SRV merges a port number served over TCP and UDP", qname: "dual.demo" + svc, qtype: dns.TypeSRV,
			answer: []string{"dual.demo" + svc + " SRV 0 100 53 dual.demo" + svc},
			extra:  []string{"dual.demo" + svc + " A 10.0.0.11", "dual.demo" + svc + " AAAA fd00::11"}},
		{name: "bare SRV of a headless service has one record per endpoint", qname: db, qtype: dns.TypeSRV,
			answer: []string{
				db + " SRV 0 25 3306 10-2-0-1.west.prod." + db,
				db + " SRV 0 25 3306 db-0.east." + db,
				db + " SRV 0 25 3306 db-1.east." + db,
				db + " SRV 0 25 3306 fd00-1--0.west.prod." + db,
			},
			extra: []string{
				"10-2-0-1.west.prod." + db + " A 10.2.0.1",
				"db-0.east." + db + " A 10.1.0.1",
				"db-1.east." + db + " A 10.1.0.2",
				"fd00-1--0.west.prod." + db + " AAAA fd00:1::",
			}},
		// Row 6.
		{name: "headless A is every ready IPv4 endpoint of every cluster", qname: db, qtype: dns.TypeA,
			answer: []string{db + " A 10.1.0.1", db + " A 10.1.0.2", db + " A 10.2.0.1"}},
		{name: "headless AAAA is every ready IPv6 endpoint", qname: db, qtype: dns.TypeAAAA,
			answer: []string{db + " AAAA fd00:1::"}},
		nxdomain("headless without a ready endpoint is NXDOMAIN", "sleepy.demo"+svc, dns.TypeA),
		nxdomain("headless without a ready endpoint has no SRV either", "sleepy.demo"+svc, dns.TypeSRV),
		nodata("headless with only IPv6 endpoints has no A", "v6db.demo"+svc, dns.TypeA),
		{name: "headless A deduplicates an address seen twice", qname: kv, qtype: dns.TypeA,
			answer: []string{kv + " A 10.5.0.1", kv + " A 10.5.0.2"}},
		// Rows 7, 8.
		{name: "an endpoint name answers its addresses", qname: "db-0.east." + db, qtype: dns.TypeA,
			answer: []string{"db-0.east." + db + " A 10.1.0.1"}},
		nxdomain("a not-ready endpoint has no name", "db-2.east."+db, dns.TypeA),
		{name: "a dotted cluster ID serves endpoint names", qname: "10-2-0-1.west.prod." + db, qtype: dns.TypeA,
			answer: []string{"10-2-0-1.west.prod." + db + " A 10.2.0.1"}},
		{name: "an IPv6 hostname ending in '-' gets a 0", qname: "fd00-1--0.west.prod." + db, qtype: dns.TypeAAAA,
			answer: []string{"fd00-1--0.west.prod." + db + " AAAA fd00:1::"}},
		{name: "one hostname in two families answers A", qname: "kv-0.a." + kv, qtype: dns.TypeA,
			answer: []string{"kv-0.a." + kv + " A 10.5.0.1"}},
		{name: "one hostname in two families answers AAAA", qname: "kv-0.a." + kv, qtype: dns.TypeAAAA,
			answer: []string{"kv-0.a." + kv + " AAAA fd00::51"}},
		nxdomain("an endpoint in another cluster is not under this one", "kv-0.c."+kv, dns.TypeA),
		nxdomain("a slice without a source-cluster label serves nothing", "x.."+db, dns.TypeA),
		// Row 9.
		{name: "headless named-port SRV targets every ready endpoint", qname: "_mysql._tcp." + db, qtype: dns.TypeSRV,
			answer: []string{
				"_mysql._tcp." + db + " SRV 0 25 3306 10-2-0-1.west.prod." + db,
				"_mysql._tcp." + db + " SRV 0 25 3306 db-0.east." + db,
				"_mysql._tcp." + db + " SRV 0 25 3306 db-1.east." + db,
				"_mysql._tcp." + db + " SRV 0 25 3306 fd00-1--0.west.prod." + db,
			},
			extra: []string{
				"10-2-0-1.west.prod." + db + " A 10.2.0.1",
				"db-0.east." + db + " A 10.1.0.1",
				"db-1.east." + db + " A 10.1.0.2",
				"fd00-1--0.west.prod." + db + " AAAA fd00:1::",
			}},
		{name: "headless SRV glue holds both families of one target", qname: "_peer._tcp." + kv, qtype: dns.TypeSRV,
			answer: []string{
				"_peer._tcp." + kv + " SRV 0 50 2380 kv-0.a." + kv,
				"_peer._tcp." + kv + " SRV 0 50 2380 kv-0.b." + kv,
			},
			extra: []string{"kv-0.a." + kv + " A 10.5.0.1", "kv-0.a." + kv + " AAAA fd00::51", "kv-0.b." + kv + " A 10.5.0.2"}},
		nxdomain("a headless port only on the ServiceImport makes no SRV name", "_client._tcp."+kv, dns.TypeSRV),
		// Row 10.
		nodata("a cluster-scoped name is an empty non-terminal, never addresses", "east."+db, dns.TypeA),
		nodata("a dotted cluster ID is an empty non-terminal", "west.prod."+db, dns.TypeA),
		nodata("each suffix of a dotted cluster ID is an empty non-terminal", "prod."+db, dns.TypeA),
		nxdomain("an unknown cluster is NXDOMAIN", "north."+db, dns.TypeA),
		// Row 11.
		nodata("N.svc.Z is an empty non-terminal", "demo"+svc, dns.TypeA),
		nodata("svc.Z is an empty non-terminal", "svc.clusterset.local.", dns.TypeA),
		nxdomain("a namespace without services does not exist", "nothing"+svc, dns.TypeA),
		// Row 12.
		nodata("TXT at a service is NODATA", web, dns.TypeTXT),
		nodata("MX at an endpoint is NODATA", "db-0.east."+db, dns.TypeMX),
		nodata("HTTPS at a service is NODATA", web, dns.TypeHTTPS),
		nodata("CNAME at a service is NODATA", web, dns.TypeCNAME),
		{name: "ANY gets one HINFO (RFC 8482)", qname: db, qtype: dns.TypeANY,
			answer: []string{db + ` HINFO "RFC8482" ""`}},
		nxdomain("ANY at a name that does not exist is NXDOMAIN", "nope.demo"+svc, dns.TypeANY),
		{name: "ANY at the apex gets one HINFO", qname: "clusterset.local.", qtype: dns.TypeANY,
			answer: []string{`clusterset.local. HINFO "RFC8482" ""`}},
		{name: "ANY at dns-version gets one HINFO", qname: "dns-version.clusterset.local.", qtype: dns.TypeANY,
			answer: []string{`dns-version.clusterset.local. HINFO "RFC8482" ""`}},
		nodata("ANY at an empty non-terminal is NODATA", "east."+db, dns.TypeANY),
		// Row 13.
		nxdomain("a namespace not present locally serves nothing", "web.ghost"+svc, dns.TypeA),
		nxdomain("an unknown service is NXDOMAIN", "nope.demo"+svc, dns.TypeA),
		nxdomain("pod instead of svc is NXDOMAIN", "web.demo.pod.clusterset.local.", dns.TypeA),
		nxdomain("too many labels is NXDOMAIN", "a.b.c.d."+db, dns.TypeA),
		nxdomain("an unknown ServiceImport type serves nothing", "weird.demo"+svc, dns.TypeA),
		nxdomain("an unknown name under the zone is NXDOMAIN", "foo.clusterset.local.", dns.TypeA),
		// Row 14.
		nxdomain("a ClusterSetIP service has no endpoint names", "db-0.east."+web, dns.TypeA),
		nxdomain("a ClusterSetIP service has no cluster names", "east."+web, dns.TypeA),
		// Row 17.
		nxdomain("headless with endpointSliceObjects Absent is NXDOMAIN", "absent.demo"+svc, dns.TypeA),
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, overTCP := range []bool{false, true} {
				m, _ := query(t, cs, tc.qname, tc.qtype, overTCP)
				if err := answers.Check(m, tc.want()); err != nil {
					t.Errorf("over %s: %v", map[bool]string{false: "UDP", true: "TCP"}[overTCP], err)
				}
			}
		})
	}
}

func TestServeDNSApexSOA(t *testing.T) {
	cs := newTestPlugin(t, "clusterset", contractSource())
	m, _ := query(t, cs, "clusterset.local.", dns.TypeSOA, false)
	if len(m.Answer) != 1 {
		t.Fatalf("answer = %v, want one SOA", m.Answer)
	}
	soa := m.Answer[0].(*dns.SOA)
	if soa.Ns != "ns.dns.clusterset.local." || soa.Mbox != "hostmaster.clusterset.local." || soa.Minttl != 5 || soa.Serial == 0 {
		t.Errorf("SOA = %v", soa)
	}
	if !m.Authoritative {
		t.Errorf("AA bit not set")
	}
}

func TestServeDNSEchoesTheQueryCase(t *testing.T) {
	cs := newTestPlugin(t, "clusterset", contractSource())
	t.Run("a positive answer is owned by the name as asked", func(t *testing.T) {
		m, _ := query(t, cs, "WEB.Demo.svc.ClusterSet.Local.", dns.TypeA, false)
		if len(m.Answer) != 1 || m.Answer[0].Header().Name != "WEB.Demo.svc.ClusterSet.Local." {
			t.Fatalf("answer = %v", m.Answer)
		}
		// The prepared record must not have been changed by the copy.
		m, _ = query(t, cs, "web.demo.svc.clusterset.local.", dns.TypeA, false)
		if m.Answer[0].Header().Name != "web.demo.svc.clusterset.local." {
			t.Fatalf("lower-case answer owner = %s", m.Answer[0].Header().Name)
		}
	})
	t.Run("port names match case-insensitively", func(t *testing.T) {
		m, _ := query(t, cs, "_MySQL._TCP.db.demo.svc.clusterset.local.", dns.TypeSRV, false)
		if len(m.Answer) != 4 || m.Answer[0].Header().Name != "_MySQL._TCP.db.demo.svc.clusterset.local." {
			t.Fatalf("answer = %v", m.Answer)
		}
	})
	t.Run("a negative answer's SOA is owned by the zone as asked", func(t *testing.T) {
		m, _ := query(t, cs, "Nope.Demo.svc.ClusterSet.LOCAL.", dns.TypeA, false)
		if m.Rcode != dns.RcodeNameError || len(m.Ns) != 1 || m.Ns[0].Header().Name != "ClusterSet.LOCAL." {
			t.Fatalf("reply = %v", m)
		}
	})
}

func TestServeDNSRepliesAreTheQuerysOwn(t *testing.T) {
	cs := newTestPlugin(t, "clusterset", contractSource())
	// A later plugin (rewrite) may edit the reply in place; the next
	// reply must not see it.
	m, _ := query(t, cs, "_mysql._tcp.db.demo.svc.clusterset.local.", dns.TypeSRV, false)
	for _, rr := range append(append(m.Answer, m.Extra...), m.Ns...) {
		rr.Header().Name = "rewritten.example."
	}
	m.Answer[0].(*dns.SRV).Target = "rewritten.example."
	m, _ = query(t, cs, "_mysql._tcp.db.demo.svc.clusterset.local.", dns.TypeSRV, false)
	for _, rr := range append(m.Answer, m.Extra...) {
		if rr.Header().Name == "rewritten.example." {
			t.Fatalf("the snapshot was changed through a reply: %v", rr)
		}
	}
	if m.Answer[0].(*dns.SRV).Target == "rewritten.example." {
		t.Fatalf("the snapshot's SRV target was changed through a reply")
	}
}

func TestServeDNSTruncatesOverUDP(t *testing.T) {
	f := newFakeSource("demo")
	f.addImport("demo", "big", object.Headless, nil)
	var eps []object.Endpoint
	for i := range 100 {
		eps = append(eps, fixtures.Ready(fmt.Sprintf("big-%d", i), fmt.Sprintf("10.7.%d.%d", i/250, i%250+1)))
	}
	f.addSlice("demo", "big", "big-east", "east", object.AddressTypeIPv4, []object.Port{fixtures.TCP("http", 80)}, eps...)
	cs := newTestPlugin(t, "clusterset", f)

	for _, qtype := range []uint16{dns.TypeA, dns.TypeSRV} {
		t.Run("UDP without EDNS0 is cut to 512 octets with TC set: "+dns.TypeToString[qtype], func(t *testing.T) {
			m, _ := query(t, cs, "big.demo.svc.clusterset.local.", qtype, false)
			if !m.Truncated {
				t.Errorf("TC not set")
			}
			packed, err := m.Pack()
			if err != nil {
				t.Fatalf("pack: %v", err)
			}
			if len(packed) > 512 {
				t.Errorf("UDP reply is %d octets, over 512", len(packed))
			}
			if len(m.Answer) == 0 {
				t.Errorf("no answer left at all")
			}
		})
		t.Run("TCP returns everything: "+dns.TypeToString[qtype], func(t *testing.T) {
			m, _ := query(t, cs, "big.demo.svc.clusterset.local.", qtype, true)
			if m.Truncated || len(m.Answer) != 100 {
				t.Errorf("TC=%v, %d answers, want 100", m.Truncated, len(m.Answer))
			}
		})
	}
}

func TestServeDNSBeforeTheFirstSync(t *testing.T) {
	cs := newTestPlugin(t, "clusterset", nil)
	cases := []struct {
		name  string
		qname string
		qtype uint16
		rcode int
	}{
		{"an imported name is SERVFAIL, never a false NXDOMAIN", "web.demo.svc.clusterset.local.", dns.TypeA, dns.RcodeServerFailure},
		{"an unknown name is SERVFAIL too", "nope.clusterset.local.", dns.TypeA, dns.RcodeServerFailure},
		{"dns-version is known already", "dns-version.clusterset.local.", dns.TypeTXT, dns.RcodeSuccess},
		{"the apex SOA is known already", "clusterset.local.", dns.TypeSOA, dns.RcodeSuccess},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, rcode := query(t, cs, tc.qname, tc.qtype, false)
			if m != nil {
				rcode = m.Rcode
			}
			if rcode != tc.rcode {
				t.Errorf("rcode = %s, want %s", dns.RcodeToString[rcode], dns.RcodeToString[tc.rcode])
			}
		})
	}
	if cs.Ready() {
		t.Errorf("Ready() = true before the first sync")
	}
}

func TestServeDNSPassesOtherZonesOn(t *testing.T) {
	cs := newTestPlugin(t, "clusterset", contractSource())
	_, rcode := query(t, cs, "web.demo.svc.cluster.local.", dns.TypeA, false)
	if rcode != dns.RcodeRefused {
		t.Errorf("rcode = %s, want the next plugin's REFUSED", dns.RcodeToString[rcode])
	}
}

func TestServeDNSFallthrough(t *testing.T) {
	cs := newTestPlugin(t, "clusterset {\n fallthrough\n}", contractSource())
	t.Run("NXDOMAIN goes to the next plugin", func(t *testing.T) {
		_, rcode := query(t, cs, "nope.demo.svc.clusterset.local.", dns.TypeA, false)
		if rcode != dns.RcodeRefused {
			t.Errorf("rcode = %s, want the next plugin's REFUSED", dns.RcodeToString[rcode])
		}
	})
	t.Run("NODATA does not", func(t *testing.T) {
		m, _ := query(t, cs, "web.demo.svc.clusterset.local.", dns.TypeAAAA, false)
		if m == nil || m.Rcode != dns.RcodeSuccess {
			t.Errorf("reply = %v, want NODATA", m)
		}
	})
}

func TestServeDNSSeveralZones(t *testing.T) {
	cs := newTestPlugin(t, "clusterset clusterset.local mcs.example.org", contractSource())
	m, _ := query(t, cs, "_http._tcp.web.demo.svc.mcs.example.org.", dns.TypeSRV, false)
	want := []string{"_http._tcp.web.demo.svc.mcs.example.org. SRV 0 100 80 web.demo.svc.mcs.example.org."}
	if got := answers.Set(m.Answer); !slices.Equal(got, want) {
		t.Errorf("answer = %q, want %q", got, want)
	}
	m, _ = query(t, cs, "clusterset.local.", dns.TypeSOA, false)
	if len(m.Answer) != 1 || m.Answer[0].(*dns.SOA).Ns != "ns.dns.clusterset.local." {
		t.Errorf("SOA of the first zone = %v", m.Answer)
	}
}

// TestServeDNSSeveralOPTIsFormErr sends a query with two OPT records,
// which RFC 6891 §6.1.1 answers with FORMERR; the server in front of the
// plugin does not check it.
func TestServeDNSSeveralOPTIsFormErr(t *testing.T) {
	cs := newTestPlugin(t, "clusterset", contractSource())
	for _, tcp := range []bool{false, true} {
		r := new(dns.Msg)
		r.SetQuestion("web.demo.svc.clusterset.local.", dns.TypeA)
		r.SetEdns0(1232, false)
		r.SetEdns0(4096, true)
		rec := dnstest.NewRecorder(&test.ResponseWriter{TCP: tcp})
		if _, err := cs.ServeDNS(context.Background(), request.NewScrubWriter(r, rec), r); err != nil {
			t.Fatal(err)
		}
		m := rec.Msg
		if m == nil || m.Rcode != dns.RcodeFormatError || len(m.Answer) != 0 || m.Authoritative {
			t.Fatalf("tcp %v: reply = %v, want FORMERR without answers or AA", tcp, m)
		}
		var opts int
		for _, rr := range m.Extra {
			if rr.Header().Rrtype == dns.TypeOPT {
				opts++
			}
		}
		if opts != 1 {
			t.Errorf("tcp %v: %d OPT records in the FORMERR, want the one of RFC 6891 §7", tcp, opts)
		}
	}
	// One OPT is the normal case.
	r := new(dns.Msg)
	r.SetQuestion("web.demo.svc.clusterset.local.", dns.TypeA)
	r.SetEdns0(1232, false)
	rec := dnstest.NewRecorder(&test.ResponseWriter{})
	if _, err := cs.ServeDNS(context.Background(), request.NewScrubWriter(r, rec), r); err != nil {
		t.Fatal(err)
	}
	if rec.Msg == nil || rec.Msg.Rcode != dns.RcodeSuccess || len(rec.Msg.Answer) != 1 {
		t.Errorf("one OPT: reply = %v, want the VIP", rec.Msg)
	}
}

func TestServeDNSAnswersOnlyQueries(t *testing.T) {
	cs := newTestPlugin(t, "clusterset", contractSource())
	t.Run("a response is dropped, not answered", func(t *testing.T) {
		r := new(dns.Msg)
		r.SetQuestion("web.demo.svc.clusterset.local.", dns.TypeA)
		r.Response = true
		rec := dnstest.NewRecorder(&test.ResponseWriter{})
		rcode, err := cs.ServeDNS(context.Background(), rec, r)
		if err != nil || rec.Msg != nil || !plugin.ClientWrite(rcode) {
			t.Errorf("rcode %s, err %v, reply %v: want nothing written and nothing for the server to write", dns.RcodeToString[rcode], err, rec.Msg)
		}
	})
	t.Run("a NOTIFY is NOTIMP", func(t *testing.T) {
		r := new(dns.Msg)
		r.SetNotify("clusterset.local.")
		rec := dnstest.NewRecorder(&test.ResponseWriter{})
		rcode, _ := cs.ServeDNS(context.Background(), rec, r)
		if rcode != dns.RcodeNotImplemented || rec.Msg != nil {
			t.Errorf("rcode %s, reply %v: want NOTIMP written by the server", dns.RcodeToString[rcode], rec.Msg)
		}
	})
}
