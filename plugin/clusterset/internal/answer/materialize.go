package answer

import (
	"cmp"
	"slices"
	"strings"
)

// materializer makes the compact records of one shaped service. They
// hold no owner name, so one build serves every zone.
type materializer struct {
	s shape
	// Prefixes that share a shape node share its records too (a zone's pin
	// and prefer names; prefer names that widen to the service): made
	// maps a shape node to its records. It is nil when no node is shared
	// (no scoped names), which saves a map per build; reading a nil map
	// finds nothing.
	made map[*shapeNode]*node
	// rootSRV is the service name's SRV records, which a named port's
	// name shares when it has the same (one named port: the usual case).
	rootSRV []SRV
}

// materialize makes the records of the shaped service s into ans: its
// endpoints' names into a hostTable, its other names into nodes sorted by
// prefix. The materializer is made here, not in a constructor, so that it
// stays on the stack: only the records outlive the call.
func (b *Builder) materialize(s shape, ans *Service) {
	ans.hosts = hostTableOf(s)
	m := materializer{s: s}
	if b.sharesNodes() {
		m.made = make(map[*shapeNode]*node, len(s))
	}
	root := m.node(s[""])
	m.rootSRV = root.srv
	names := make([]name, 0, len(s)-ans.hosts.len())
	for prefix, sn := range s {
		if sn.cluster != "" {
			continue // in the hostTable
		}
		names = append(names, name{prefix, m.node(sn)})
	}
	slices.SortFunc(names, func(x, y name) int { return strings.Compare(x.prefix, y.prefix) })
	ans.names = names
}

// node returns the records of a shape node, made once per shape node.
func (m *materializer) node(sn *shapeNode) *node {
	if sn.empty() && sn.why == ReasonNone {
		return emptyNonTerminal
	}
	if n, ok := m.made[sn]; ok {
		return n
	}
	n := &node{
		v4: packAddrs(sn.v4, 4), v6: packAddrs(sn.v6, 16),
		aTiers: tierEndsOf(sn.v4), aaaaTiers: tierEndsOf(sn.v6),
		srv: m.srv(sn.srv), why: sn.why,
	}
	m.sizeTargets(n, sn.srv)
	if m.made != nil {
		m.made[sn] = n
	}
	return n
}

// srv makes the SRV records of targets, ordered and unique since bound.
func (m *materializer) srv(targets []srvTarget) []SRV {
	if len(targets) == 0 {
		return nil
	}
	rrs := make([]SRV, len(targets))
	for i, t := range targets {
		rrs[i] = SRV{Target: serviceTarget, Port: t.port, Priority: t.tier}
		if t.target != "" {
			rrs[i].Target = m.s[t.target].entry
		}
	}
	if slices.Equal(rrs, m.rootSRV) {
		return m.rootSRV
	}
	return rrs
}

// sizeTargets counts what the SRV targets of n put in a reply: their
// glue and the names of the endpoints among them.
func (m *materializer) sizeTargets(n *node, targets []srvTarget) {
	for i, t := range targets {
		if i > 0 && targets[i-1].target == t.target {
			continue // the target's other ports
		}
		tn := m.s[t.target]
		n.glue4, n.glue6 = n.glue4+int32(len(tn.v4)), n.glue6+int32(len(tn.v6))
		if t.target != "" {
			// "H.C." before the service's name.
			n.targetNames += int32(len(tn.host) + 1 + len(tn.cluster) + 1)
			n.hostTargets++
		}
	}
}

// packAddrs packs addresses of one family, width bytes each; nil for
// none.
func packAddrs(addrs []rankedAddr, width int) []byte {
	if len(addrs) == 0 {
		return nil
	}
	return appendPacked(make([]byte, 0, width*len(addrs)), addrs, width)
}

func appendPacked(dst []byte, addrs []rankedAddr, width int) []byte {
	for _, a := range addrs {
		if width == 4 {
			b := a.addr.As4()
			dst = append(dst, b[:]...)
		} else {
			b := a.addr.As16()
			dst = append(dst, b[:]...)
		}
	}
	return dst
}

// hostTableOf makes the hostTable of the endpoints' names in s, and sets
// each one's entry; nil when s has none.
func hostTableOf(s shape) *hostTable {
	var eps []*shapeNode
	v4, v6 := 0, 0
	for _, sn := range s {
		if sn.cluster != "" {
			eps = append(eps, sn)
			v4, v6 = v4+len(sn.v4), v6+len(sn.v6)
		}
	}
	if len(eps) == 0 {
		return nil
	}
	slices.SortFunc(eps, func(x, y *shapeNode) int {
		return cmp.Or(strings.Compare(x.cluster, y.cluster), strings.Compare(x.host, y.host))
	})
	t := &hostTable{hosts: make([]host, len(eps)), v4: make([]byte, 0, 4*v4), v6: make([]byte, 0, 16*v6)}
	for i, sn := range eps {
		sn.entry = int32(i)
		if i == 0 || sn.cluster != eps[i-1].cluster {
			t.clusters = append(t.clusters, sn.cluster)
			t.starts = append(t.starts, int32(i))
		}
		t.hosts[i] = host{label: sn.host, v4: int32(len(t.v4) / 4), v6: int32(len(t.v6) / 16)}
		if sn.derived() {
			t.hosts[i].label = "" // made again from the address
		}
		t.v4 = appendPacked(t.v4, sn.v4, 4)
		t.v6 = appendPacked(t.v6, sn.v6, 16)
		if a, aaaa := tierEndsOf(sn.v4), tierEndsOf(sn.v6); a != nil || aaaa != nil {
			t.tiered = append(t.tiered, hostTiers{int32(i), a, aaaa})
		}
	}
	t.starts = append(t.starts, int32(len(eps)))
	return t
}

// derived reports whether the label of an endpoint's name is its first
// address's (hostTable.firstAddr), which need not be held then.
func (n *shapeNode) derived() bool {
	first := n.v6
	if len(n.v4) > 0 {
		first = n.v4
	}
	var buf [maxDerivedLabel]byte
	return string(appendEndpointHostname(buf[:0], first[0].addr)) == n.host
}
