package answer

import (
	"maps"
	"net"
	"net/netip"
	"slices"

	"github.com/miekg/dns"
)

// materializer prepares the records of one shaped service under one zone.
type materializer struct {
	s   shape
	ttl uint32
	// names holds each prefix's fully qualified name, made once and shared
	// by its records and by the SRV records that target it: a headless
	// endpoint's name would otherwise be held three times.
	names map[string]string
	// prefixes is the order the names are made in.
	prefixes []string
	// Prefixes that share a shape node share its records too (a zone's pin
	// and prefer names; prefer names that widen to the service): made
	// maps a shape node to its records, srvMade the records whose SRV part
	// is made. Both are nil when no node is shared (no scoped names), which
	// saves two maps per build; reading a nil map finds nothing.
	made    map[*shapeNode]*Node
	srvMade map[*Node]bool
}

// materialize prepares the records of a shaped service under one zone;
// owner is the service's fully qualified name in that zone. The
// materializer and its maps are made here, not in a constructor, so that
// they stay on the stack: only the nodes outlive the call.
func (b *Builder) materialize(s shape, owner string) map[string]*Node {
	m := materializer{s: s, ttl: b.Opts.TTL, names: make(map[string]string, len(s)), prefixes: b.prefixOrder(s)}
	for prefix := range s {
		m.names[prefix] = ownerName(prefix, owner)
	}
	if b.sharesNodes() {
		m.made = make(map[*shapeNode]*Node, len(s))
		m.srvMade = make(map[*Node]bool, len(s))
	}
	// The nodes are not the materializer's: they outlive it, and its maps
	// need not (escape analysis does not tell a struct's fields apart).
	nodes := make(map[string]*Node, len(s))
	for _, prefix := range m.prefixes {
		nodes[prefix] = m.addresses(prefix)
	}
	// SRV records and their glue come second: the glue of a target is its
	// address records, already made above.
	for _, prefix := range m.prefixes {
		m.srv(nodes, prefix)
	}
	return nodes
}

// prefixOrder is the order the names of s are made in. The records of a
// shared node carry the name of its first prefix in order, which the
// handler replaces with the query's name anyway; without sharing, any
// order will do.
func (b *Builder) prefixOrder(s shape) []string {
	if b.sharesNodes() {
		return slices.Sorted(maps.Keys(s))
	}
	prefixes := make([]string, 0, len(s))
	for prefix := range s {
		prefixes = append(prefixes, prefix)
	}
	return prefixes
}

// addresses returns the node of prefix with its address records, or the
// node already made for the shape node it shares.
func (m *materializer) addresses(prefix string) *Node {
	sn := m.s[prefix]
	if sn.empty() && sn.why == ReasonNone {
		return emptyNonTerminal
	}
	if n, ok := m.made[sn]; ok {
		return n
	}
	name := m.names[prefix]
	n := &Node{
		a: aRecords(name, sn.v4, m.ttl), aaaa: aaaaRecords(name, sn.v6, m.ttl),
		aTiers: tierEndsOf(sn.v4), aaaaTiers: tierEndsOf(sn.v6),
		why: sn.why,
	}
	if m.made != nil {
		m.made[sn] = n
	}
	return n
}

// srv adds the SRV records of prefix and their glue to its node in nodes,
// once per node.
func (m *materializer) srv(nodes map[string]*Node, prefix string) {
	sn := m.s[prefix]
	n := nodes[prefix]
	if len(sn.srv) == 0 || m.srvMade[n] {
		return
	}
	if m.srvMade != nil {
		m.srvMade[n] = true
	}
	targets := sn.srv // ordered and unique since bound
	// The owner is the first prefix of a shared node, as above.
	n.srv = m.srvRecords(m.names[prefix], targets)
	// A target's records sort together unless tiers interleave them
	// (never: a target is one endpoint, in one tier).
	for i, t := range targets {
		if i > 0 && targets[i-1].target == t.target {
			continue
		}
		n.glue = append(n.glue, nodes[t.target])
	}
}

// srvRecords makes the SRV records of targets owned by name. Equal
// weights: the records are alternatives of equal standing (RFC 2782); 100
// shared out as the kubernetes plugin does. The priority is the locality
// tier, 0 unless `prefer` ranks them.
func (m *materializer) srvRecords(name string, targets []srvTarget) []dns.SRV {
	weight := uint16(max(1, 100/len(targets)))
	rrs := make([]dns.SRV, len(targets))
	for i, t := range targets {
		rrs[i] = dns.SRV{
			Hdr:      dns.RR_Header{Name: name, Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: m.ttl},
			Priority: t.tier, Weight: weight, Port: t.port, Target: m.names[t.target],
		}
	}
	return rrs
}

func aRecords(name string, addrs []rankedAddr, ttl uint32) []dns.A {
	return addressRecords(addrs, func(a netip.Addr) dns.A {
		b := a.As4()
		return dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl}, A: net.IP(b[:])}
	})
}

func aaaaRecords(name string, addrs []rankedAddr, ttl uint32) []dns.AAAA {
	return addressRecords(addrs, func(a netip.Addr) dns.AAAA {
		b := a.As16()
		return dns.AAAA{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: ttl}, AAAA: net.IP(b[:])}
	})
}

// addressRecords makes one record per address, nil for none.
func addressRecords[T any](addrs []rankedAddr, record func(netip.Addr) T) []T {
	if len(addrs) == 0 {
		return nil
	}
	rrs := make([]T, len(addrs))
	for i, a := range addrs {
		rrs[i] = record(a.addr)
	}
	return rrs
}
