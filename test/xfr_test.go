package test

// Zone transfers: with the transfer plugin in the same
// server block, AXFR over TCP lists exactly the names and records the query
// path serves, between two copies of the SOA that a SOA query returns.

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/test/fixtures"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// transferCorefile serves the zone with the transfer plugin beside
// clusterset, open to any client.
const transferCorefile = `clusterset.local:{$DNS_PORT} {
    errors
    clusterset {
        kubeconfig {$KUBECONFIG}
    }
    transfer {
        to *
    }
}
`

// transferZone asks addr for an AXFR of zone over TCP and returns every
// record of every message, in order.
func transferZone(addr, zone string) ([]dns.RR, error) {
	m := new(dns.Msg)
	m.SetAxfr(zone)
	return transferIn(addr, m)
}

// transferIn runs the transfer request m (AXFR or IXFR) against addr.
func transferIn(addr string, m *dns.Msg) ([]dns.RR, error) {
	tr := &dns.Transfer{DialTimeout: 3 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 3 * time.Second}
	envs, err := tr.In(m, addr)
	if err != nil {
		return nil, err
	}
	var rrs []dns.RR
	var errs []error
	for e := range envs { // drain the channel even after an error
		if e.Error != nil {
			errs = append(errs, e.Error)
			continue
		}
		rrs = append(rrs, e.RR...)
	}
	return rrs, errors.Join(errs...)
}

// soaSerial asks addr for the zone's SOA over TCP.
func soaSerial(addr string) (*dns.SOA, error) {
	r, err := ask(addr, zone, dns.TypeSOA, tcp, 0)
	if err != nil {
		return nil, err
	}
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		return nil, fmt.Errorf("SOA query: rcode %s, %d answers\n%s", dns.RcodeToString[r.Rcode], len(r.Answer), r.text)
	}
	soa, ok := r.Answer[0].(*dns.SOA)
	if !ok {
		return nil, fmt.Errorf("SOA query answered %s", r.Answer[0])
	}
	return soa, nil
}

// consistentTransfer transfers the zone between two SOA queries, until both
// queries give the serial of the transfer (no change in between), and
// returns the records and that SOA.
func consistentTransfer(t *testing.T, addr string) ([]dns.RR, *dns.SOA) {
	t.Helper()
	var rrs []dns.RR
	var soa *dns.SOA
	must(t, poll(converge, func() (string, error) {
		before, err := soaSerial(addr)
		if err != nil {
			return "", err
		}
		if rrs, err = transferZone(addr, zone); err != nil {
			return "", fmt.Errorf("AXFR %s: %w", zone, err)
		}
		after, err := soaSerial(addr)
		if err != nil {
			return "", err
		}
		if before.Serial != after.Serial {
			return "", fmt.Errorf("the zone changed during the transfer (serial %d, then %d)", before.Serial, after.Serial)
		}
		soa = after
		return "", nil
	}))
	return rrs, soa
}

// rrKey is a transferred (owner, type) pair, the owner as written.
type rrKey struct {
	name  string
	rtype uint16
}

// groupRecords groups rrs by owner and type, in the order first seen.
func groupRecords(rrs []dns.RR) ([]rrKey, map[rrKey][]string) {
	var keys []rrKey
	sets := map[rrKey][]string{}
	for _, rr := range rrs {
		k := rrKey{rr.Header().Name, rr.Header().Rrtype}
		if _, ok := sets[k]; !ok {
			keys = append(keys, k)
		}
		sets[k] = append(sets[k], rr.String())
	}
	return keys, sets
}

// checkTransferMatchesQueries checks a transfer against the query path:
// SOA first and last with the serial the SOA query gave, no record twice,
// and every transferred (name, type) asked over TCP answers exactly the
// transferred records of that name and type, TTLs included.
func checkTransferMatchesQueries(t *testing.T, c *coreDNS, rrs []dns.RR, soa *dns.SOA) {
	t.Helper()
	if len(rrs) < 2 {
		t.Fatalf("transfer of %d records, want at least the two SOAs", len(rrs))
	}
	for i, at := range map[int]string{0: "first", len(rrs) - 1: "last"} {
		got, ok := rrs[i].(*dns.SOA)
		if !ok {
			t.Errorf("the %s record of the transfer is %s, want the SOA", at, rrs[i])
			continue
		}
		if got.String() != soa.String() {
			t.Errorf("the %s SOA of the transfer is %s, want what the SOA query gives: %s", at, got, soa)
		}
	}
	body := rrs[1 : len(rrs)-1]
	seen := map[string]bool{}
	for _, rr := range body {
		if rr.Header().Rrtype == dns.TypeSOA {
			t.Errorf("a SOA inside the transfer: %s", rr)
		}
		if s := strings.ToLower(rr.String()); seen[s] {
			t.Errorf("record transferred twice: %s", rr)
		} else {
			seen[s] = true
		}
		if !dns.IsSubDomain(zone, strings.ToLower(rr.Header().Name)) {
			t.Errorf("record outside the zone: %s", rr)
		}
	}
	keys, sets := groupRecords(rrs[:len(rrs)-1])
	for _, k := range keys {
		r, err := ask(c.addr, k.name, k.rtype, tcp, 0)
		if err != nil {
			t.Errorf("%s %s: %v", k.name, dns.TypeToString[k.rtype], err)
			continue
		}
		var got []string
		for _, rr := range r.Answer {
			got = append(got, rr.String())
		}
		exp := sets[k]
		slices.Sort(got)
		slices.Sort(exp)
		if r.Rcode != dns.RcodeSuccess || !r.Authoritative || !slices.Equal(got, exp) {
			t.Errorf("%s %s: rcode %s aa %v, answer\n  %s\nwant the transferred\n  %s",
				k.name, dns.TypeToString[k.rtype], dns.RcodeToString[r.Rcode], r.Authoritative,
				strings.Join(got, "\n  "), strings.Join(exp, "\n  "))
		}
	}
	t.Logf("%d records, %d (name, type) pairs, serial %d", len(rrs), len(keys), soa.Serial)
}

// transferHas reports whether rrs hold a record of owner and type whose
// rdata (the text after the type) is rdata, or any rdata when rdata is "".
func transferHas(rrs []dns.RR, owner string, rtype uint16, rdata string) bool {
	for _, rr := range rrs {
		h := rr.Header()
		if !strings.EqualFold(h.Name, owner) || h.Rrtype != rtype {
			continue
		}
		if rdata == "" || strings.TrimSpace(strings.TrimPrefix(rr.String(), h.String())) == rdata {
			return true
		}
	}
	return false
}

// loadTransferData writes the data set of the transfer tests in namespace
// ns: a dual-stack ClusterSetIP service with ports, a headless service in
// two clusters (one dotted) with and without hostnames, and a headless
// service without ready endpoints.
func loadTransferData(t *testing.T, ns string) {
	t.Helper()
	ctx := t.Context()
	must(t, bed.EnsureNamespace(ctx, ns))
	tcpP, udpP := corev1.ProtocolTCP, corev1.ProtocolUDP
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "vip", mcsv1beta1.ClusterSetIP, []string{"10.100.70.1", "fd00:170::1"},
		[]mcsv1beta1.ServicePort{fixtures.Port("http", tcpP, 80), fixtures.Port("dns", udpP, 53)}, "east", "west")))
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "db", mcsv1beta1.Headless, nil,
		[]mcsv1beta1.ServicePort{fixtures.Port("pg", tcpP, 5432)}, "east", "west.dc.example")))
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "down", mcsv1beta1.Headless, nil,
		[]mcsv1beta1.ServicePort{fixtures.Port("http", tcpP, 80)}, "east")))
	pg := []fixtures.SlicePort{{Name: "pg", Protocol: tcpP, Port: 5432}}
	applySlices(t, ns, nil, []fixtures.Slice{
		{Service: "db", Cluster: "east", Ports: pg, Endpoints: []fixtures.Endpoint{
			{Hostname: "db-0", Addresses: []string{"10.70.1.10"}},
			{Hostname: "db-1", Addresses: []string{"10.70.1.11"}, NotReady: true},
		}},
		{Service: "db", Cluster: "east", AddressType: discoveryv1.AddressTypeIPv6, Ports: pg, Endpoints: []fixtures.Endpoint{
			{Hostname: "db-0", Addresses: []string{"fd00:70:1::10"}},
		}},
		{Service: "db", Cluster: "west.dc.example", Ports: pg, Endpoints: []fixtures.Endpoint{
			{Hostname: "db-0", Addresses: []string{"10.70.2.10"}},
			{Addresses: []string{"10.70.2.20"}},
		}},
		{Service: "down", Cluster: "east", Endpoints: []fixtures.Endpoint{{Hostname: "a", Addresses: []string{"10.70.3.1"}, NotReady: true}}},
	})
}

// TestZoneTransfer transfers the zone from a server with
// `transfer { to * }` beside clusterset and compares it with the answers
// of the query path.
func TestZoneTransfer(t *testing.T) {
	const ns = "xfr"
	loadTransferData(t, ns)
	c := startCoreDNS(t, writeCorefile(t, transferCorefile), nil, nil)
	n := func(rel string) string { return fqdn(rel + "." + ns + ".svc") }
	// Written last, so once it is served the rest is.
	expect(t, c, converge, n("db-0.west.dc.example.db"), "A", answer(n("db-0.west.dc.example.db")+" A 10.70.2.10"))

	rrs, soa := consistentTransfer(t, c.addr)
	t.Run("the transfer is framed by the SOA of the SOA query and matches every query", func(t *testing.T) {
		checkTransferMatchesQueries(t, c, rrs, soa)
	})
	t.Run("names known to exist are transferred", func(t *testing.T) {
		for _, x := range []struct {
			owner string
			rtype uint16
			rdata string
		}{
			{zone, dns.TypeNS, "ns.dns." + zone},
			{fqdn("dns-version"), dns.TypeTXT, `"1.0.0"`},
			{n("vip"), dns.TypeA, "10.100.70.1"},
			{n("vip"), dns.TypeAAAA, "fd00:170::1"},
			{n("_http._tcp.vip"), dns.TypeSRV, ""},
			{n("_dns._udp.vip"), dns.TypeSRV, ""},
			{n("db"), dns.TypeA, "10.70.2.20"},
			{n("db"), dns.TypeAAAA, "fd00:70:1::10"},
			{n("db"), dns.TypeSRV, ""},
			{n("db-0.east.db"), dns.TypeA, "10.70.1.10"},
			{n("db-0.east.db"), dns.TypeAAAA, "fd00:70:1::10"},
			{n("db-0.west.dc.example.db"), dns.TypeA, "10.70.2.10"},
			{n("10-70-2-20.west.dc.example.db"), dns.TypeA, "10.70.2.20"},
			{n("_pg._tcp.db"), dns.TypeSRV, ""},
		} {
			if !transferHas(rrs, x.owner, x.rtype, x.rdata) {
				t.Errorf("no %s %s %s in the transfer", x.owner, dns.TypeToString[x.rtype], x.rdata)
			}
		}
	})
	t.Run("names that do not exist are not transferred", func(t *testing.T) {
		for _, owner := range []string{n("down"), n("a.east.down"), n("db-1.east.db"), n("east.db"), fqdn(ns + ".svc")} {
			for _, rr := range rrs {
				if strings.EqualFold(rr.Header().Name, owner) {
					t.Errorf("transferred %s", rr)
				}
			}
		}
	})
	t.Run("an IXFR from the current serial is the SOA alone (RFC 1995: no change)", func(t *testing.T) {
		m := new(dns.Msg)
		m.SetIxfr(zone, soa.Serial, soa.Ns, soa.Mbox)
		got, err := transferIn(c.addr, m)
		must(t, err)
		if len(got) != 1 || got[0].String() != soa.String() {
			t.Errorf("IXFR from serial %d: %v, want the SOA alone: %s", soa.Serial, got, soa)
		}
	})
	t.Run("a change shows in the next transfer with a new serial", func(t *testing.T) {
		ctx := t.Context()
		tcpP := corev1.ProtocolTCP
		must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "late", mcsv1beta1.ClusterSetIP, []string{"10.100.70.2"},
			[]mcsv1beta1.ServicePort{fixtures.Port("http", tcpP, 80)}, "east")))
		_, err := bed.ApplyEndpointSlice(ctx, fixtures.Slice{Namespace: ns, Service: "down", Cluster: "east",
			Endpoints: []fixtures.Endpoint{{Hostname: "a", Addresses: []string{"10.70.3.1"}}}})
		must(t, err)
		expect(t, c, converge, n("late"), "A", answer(n("late")+" A 10.100.70.2"))
		expect(t, c, converge, n("a.east.down"), "A", answer(n("a.east.down")+" A 10.70.3.1"))
		rrs2, soa2 := consistentTransfer(t, c.addr)
		if soa2.Serial == soa.Serial {
			t.Errorf("serial %d unchanged after the zone changed", soa.Serial)
		}
		checkTransferMatchesQueries(t, c, rrs2, soa2)
		for _, x := range []struct {
			owner string
			rtype uint16
			rdata string
		}{{n("late"), dns.TypeA, "10.100.70.2"}, {n("a.east.down"), dns.TypeA, "10.70.3.1"}, {n("down"), dns.TypeA, "10.70.3.1"}} {
			if !transferHas(rrs2, x.owner, x.rtype, x.rdata) {
				t.Errorf("no %s %s %s in the transfer after the change", x.owner, dns.TypeToString[x.rtype], x.rdata)
			}
		}
		m := new(dns.Msg)
		m.SetIxfr(zone, soa.Serial, soa.Ns, soa.Mbox)
		got, err := transferIn(c.addr, m)
		must(t, err)
		// An older serial: the plugin keeps no history, so the answer is
		// the whole zone (RFC 1995 §4 allows an AXFR-style reply).
		if len(got) != len(rrs2) {
			t.Errorf("IXFR from the old serial %d: %d records, want the %d of a full transfer", soa.Serial, len(got), len(rrs2))
		}
	})
}
