package answer

import (
	"cmp"
	"math"
	"net/netip"
	"slices"
	"strings"
)

// shape is the zone-independent form of a service's names while they are
// built: per name prefix, its addresses and SRV targets. Two prefixes may
// share one node (a zone's `pin` and `prefer` names).
type shape map[string]*shapeNode

type shapeNode struct {
	v4, v6 []rankedAddr
	srv    []srvTarget
	// aggregate marks the names that gather every endpoint (the service
	// name and its named-port SRV names): `prefer … restrict` cuts those.
	aggregate bool
	// why explains the node's empty address set, when it has one.
	why Reason
	// host and cluster are set on an endpoint's name `H.C`, which goes
	// in the service's hostTable, at index entry.
	host, cluster string
	entry         int32
}

// rankedAddr is an address and its locality tier (lower is preferred).
type rankedAddr struct {
	addr netip.Addr
	tier uint16
}

// srvTarget is an SRV record's target (a name prefix, "" for the service
// name), port and locality tier, which becomes the record's priority.
type srvTarget struct {
	target string
	port   uint16
	tier   uint16
}

// node returns the node for prefix, creating it and every ancestor up to the
// service name: ancestors are empty non-terminals (docs/dns-contract.md rows 10, 11).
func (s shape) node(prefix string) *shapeNode {
	n, ok := s[prefix]
	if !ok {
		n = &shapeNode{}
		s[prefix] = n
	}
	s.ancestors(prefix)
	return n
}

// endpoint returns the node of an endpoint's name, making it and its
// ancestors. Those are the cluster and its dotted suffixes: named by parts
// of the cluster's string, which the snapshot holds anyway, rather than of
// the endpoint's name, which it does not.
func (s shape) endpoint(e endpointAddr) *shapeNode {
	n, ok := s[e.prefix]
	if !ok {
		n = &shapeNode{}
		s[e.prefix] = n
		s.node(e.cluster)
	}
	n.host, n.cluster = e.host, e.cluster
	return n
}

// ancestors creates the empty non-terminals above prefix.
func (s shape) ancestors(prefix string) {
	for p := prefix; p != ""; {
		i := strings.IndexByte(p, '.')
		if i < 0 {
			p = ""
		} else {
			p = p[i+1:]
		}
		if _, ok := s[p]; ok {
			break
		}
		s[p] = &shapeNode{}
	}
}

func (n *shapeNode) addAddr(a netip.Addr, tier uint16) {
	if a.Is4() {
		n.v4 = append(n.v4, rankedAddr{a, tier})
	} else {
		n.v6 = append(n.v6, rankedAddr{a, tier})
	}
}

// add puts an endpoint's address and its bare-name SRV targets in a scoped
// node.
func (n *shapeNode) add(e endpointAddr, tier uint16) {
	n.addAddr(e.addr, tier)
	for _, p := range e.ports {
		n.srv = append(n.srv, srvTarget{target: e.prefix, port: p.port, tier: tier})
	}
}

func (n *shapeNode) empty() bool { return len(n.v4) == 0 && len(n.v6) == 0 && len(n.srv) == 0 }

// bound orders and de-duplicates the node's addresses and SRV targets (by
// tier, then numerically), keeps only the best tier when restrict is set,
// and keeps at most limit of each (IPv4 first), reporting whether it cut
// any for the limit.
func (n *shapeNode) bound(limit int, restrict bool) (cut bool) {
	n.order()
	best := n.bestTier()
	if restrict && n.aggregate {
		n.keepTier(best)
	}
	if best > 0 && best != math.MaxUint16 {
		// SRV priorities count from 0 (RFC 2782 clients compare them only
		// with each other): the nearest endpoints there are come first.
		for i := range n.srv {
			n.srv[i].tier -= best
		}
	}
	return n.limit(limit)
}

// order sorts and de-duplicates the addresses and SRV targets.
func (n *shapeNode) order() {
	n.v4 = rankedUnique(n.v4)
	n.v6 = rankedUnique(n.v6)
	slices.SortFunc(n.srv, func(x, y srvTarget) int {
		if x.tier != y.tier {
			return cmp.Compare(x.tier, y.tier)
		}
		if x.target != y.target {
			return strings.Compare(x.target, y.target)
		}
		return cmp.Compare(x.port, y.port)
	})
	// A target's tier follows from its cluster: equal targets and ports
	// are neighbours.
	n.srv = slices.CompactFunc(n.srv, func(x, y srvTarget) bool { return x.target == y.target && x.port == y.port })
}

// bestTier is the lowest tier of the node's records, MaxUint16 for none.
func (n *shapeNode) bestTier() uint16 {
	best := uint16(math.MaxUint16)
	for _, a := range n.v4 {
		best = min(best, a.tier)
	}
	for _, a := range n.v6 {
		best = min(best, a.tier)
	}
	for _, t := range n.srv {
		best = min(best, t.tier)
	}
	return best
}

// keepTier keeps the records of tier best only: the best tier of the
// service, not of each family, so an AAAA query is NODATA when the
// nearest endpoints have no IPv6 address, as it would be were the others
// not there.
func (n *shapeNode) keepTier(best uint16) {
	n.v4 = slices.DeleteFunc(n.v4, func(a rankedAddr) bool { return a.tier != best })
	n.v6 = slices.DeleteFunc(n.v6, func(a rankedAddr) bool { return a.tier != best })
	n.srv = slices.DeleteFunc(n.srv, func(t srvTarget) bool { return t.tier != best })
}

// limit keeps at most limit addresses (IPv4 first) and limit SRV targets,
// reporting whether it cut any; zero or less is no limit.
func (n *shapeNode) limit(limit int) (cut bool) {
	if limit <= 0 {
		return false
	}
	if len(n.v4)+len(n.v6) > limit {
		n.v4 = n.v4[:min(len(n.v4), limit)]
		n.v6 = n.v6[:limit-len(n.v4)]
		cut = true
	}
	if len(n.srv) > limit {
		n.srv = n.srv[:limit]
		cut = true
	}
	return cut
}

// rankedUnique orders addresses by tier, then numerically, keeping each
// address once at its best tier (an address may be in two clusters).
func rankedUnique(addrs []rankedAddr) []rankedAddr {
	ranked := slices.ContainsFunc(addrs, func(a rankedAddr) bool { return a.tier != addrs[0].tier })
	if !ranked {
		// One tier, as without `prefer`: numerical order is all there is.
		slices.SortFunc(addrs, func(x, y rankedAddr) int { return x.addr.Compare(y.addr) })
		return slices.CompactFunc(addrs, func(x, y rankedAddr) bool { return x.addr == y.addr })
	}
	slices.SortFunc(addrs, func(x, y rankedAddr) int {
		if c := x.addr.Compare(y.addr); c != 0 {
			return c
		}
		return cmp.Compare(x.tier, y.tier)
	})
	addrs = slices.CompactFunc(addrs, func(x, y rankedAddr) bool { return x.addr == y.addr })
	slices.SortStableFunc(addrs, func(x, y rankedAddr) int { return cmp.Compare(x.tier, y.tier) })
	return addrs
}
