package answer

import (
	"bytes"
	"iter"
	"net"
	"slices"
	"strings"
)

// node holds the records of one of a service's names, compact: its
// addresses packed as bytes, its SRV records as (target, port, priority).
// It holds no owner name, so one node serves every zone. A node with no
// records is an empty non-terminal: the name exists, so a query for it is
// NODATA, not NXDOMAIN (RFC 8020). Nodes are immutable once published.
type node struct {
	v4, v6 []byte
	// aTiers and aaaaTiers tell where the locality tiers of v4 and v6 end;
	// the SRV records carry theirs as priorities.
	aTiers, aaaaTiers TierEnds
	srv               []SRV
	// glue4 and glue6 count the addresses of the SRV targets, each target
	// once, and targetNames the octets the endpoints' names among them take
	// before the service's name (dot included), hostTargets how many they
	// are: what a reply sizes its glue and its names by, counted once here.
	glue4, glue6, targetNames, hostTargets int32
	// why explains an empty answer at this name (`extended_errors`).
	why Reason
}

// Node is one name of a service as Lookup finds it: a stored node, or an
// entry of the service's hostTable (an endpoint's name, which has no
// node), and the service, whose names the SRV targets are. It is a small
// value, so that a lookup costs no allocation and little stack: the
// handler makes the reply's records from it, with the query's owner name,
// in the reply's own memory; it makes them anyway, because plugins later
// in the chain (rewrite, loadbalance) edit replies in place.
type Node struct {
	n   *node // nil for an endpoint's name
	svc *Service
	// host is the endpoint's entry in svc.hosts, when n is nil.
	host int32
}

// SRV is one SRV record as stored: its target is named, and its weight
// shared out, when the reply is made (Node.TargetName, Node.SRVWeight).
type SRV struct {
	// Target tells which of the service's names the record points at:
	// equal targets are the same name.
	Target   int32
	Port     uint16
	Priority uint16
}

// serviceTarget is the Target of a record that points at the service name
// itself (a ClusterSetIP service's); the others are endpoints' indexes in
// the service's hostTable.
const serviceTarget = -1

// Addrs are a name's addresses of one family, in the order they are
// served, packed (4 or 16 bytes each), with where their locality tiers end.
type Addrs struct {
	packed []byte
	width  int
	tiers  TierEnds
}

// Len is how many addresses there are.
func (a Addrs) Len() int {
	if a.width == 4 { // a shift, not a division
		return len(a.packed) >> 2
	}
	return len(a.packed) >> 4
}

// IP returns address i. It shares the snapshot's bytes, which are never
// written: the caller must not modify it.
func (a Addrs) IP(i int) net.IP {
	lo, hi := i*a.width, (i+1)*a.width
	return net.IP(a.packed[lo:hi:hi])
}

// Tiers tells where the locality tiers of the addresses end.
func (a Addrs) Tiers() TierEnds { return a.tiers }

// A returns the node's IPv4 addresses in the order they are served.
func (n *Node) A() Addrs {
	if n.n != nil {
		return Addrs{n.n.v4, 4, n.n.aTiers}
	}
	return n.svc.hosts.a(int(n.host))
}

// AAAA returns the node's IPv6 addresses in the order they are served.
func (n *Node) AAAA() Addrs {
	if n.n != nil {
		return Addrs{n.n.v6, 16, n.n.aaaaTiers}
	}
	return n.svc.hosts.aaaa(int(n.host))
}

// SRV returns the node's SRV records in the order they are served, a
// target's records together; their priorities are the locality tiers. The
// caller must not modify them. An endpoint's name has none.
func (n *Node) SRV() []SRV {
	if n.n == nil {
		return nil
	}
	return n.n.srv
}

// why is the reason for an empty answer stored at the node.
func (n *Node) why() Reason {
	if n.n == nil {
		return ReasonNone
	}
	return n.n.why
}

// SRVWeight is the weight of every SRV record of the node: the records
// are alternatives of equal standing (RFC 2782), 100 shared out as the
// kubernetes plugin does.
func (n *Node) SRVWeight() uint16 { return uint16(max(1, 100/max(1, len(n.SRV())))) }

// TargetName returns the name of an SRV target of the node, whose service
// is named service (fully qualified, lower-cased: the builder's spelling).
// An endpoint's name is written to b, which the caller sized with
// TargetNamesSize, and returned as a part of it; the service name is
// service itself.
func (n *Node) TargetName(b *strings.Builder, target int32, service string) string {
	if target == serviceTarget {
		return service
	}
	start := b.Len()
	n.svc.hosts.writeName(b, int(target))
	b.WriteByte('.')
	b.WriteString(service)
	return b.String()[start:]
}

// TargetNamesSize is how many bytes TargetName writes for every target
// of the node once.
func (n *Node) TargetNamesSize(service string) int {
	if n.n == nil {
		return 0
	}
	return int(n.n.targetNames) + int(n.n.hostTargets)*len(service)
}

// GlueSize counts the addresses of the node's SRV targets, each target
// once: the additional section.
func (n *Node) GlueSize() (a, aaaa int) {
	if n.n == nil {
		return 0, 0
	}
	return int(n.n.glue4), int(n.n.glue6)
}

// Glue returns the addresses of an SRV target of the node, which go in
// the additional section, packed (as Addrs are): the reply reads them by
// the thousand, and slicing them costs less than a view each.
func (n *Node) Glue(target int32) (v4, v6 []byte) {
	if target == serviceTarget {
		root := n.svc.names[0].node // "" sorts first
		return root.v4, root.v6
	}
	return n.svc.hosts.addrs(int(target))
}

// HasRecords reports whether the node holds any record.
func (n *Node) HasRecords() bool { return n.A().Len() > 0 || n.AAAA().Len() > 0 || len(n.SRV()) > 0 }

// emptyNonTerminal is shared by every empty non-terminal name.
var emptyNonTerminal = &node{}

// name is one of a service's names but its endpoints': its prefix before
// `S.N.svc.Z` ("" for the service name itself, "_http._tcp", "_tcp",
// "east", "web.pin._zone") and its node, which two prefixes may share.
type name struct {
	prefix string
	node   *node
}

// Service is everything one imported service serves, in every zone.
type Service struct {
	// typ is the ServiceImport type, for the services gauge.
	typ string
	// ready4 and ready6 count the ready endpoint addresses a headless
	// service serves, for the endpoints gauge.
	ready4, ready6 int
	// names holds the service's names but its endpoints', sorted by
	// prefix; nil when the import serves nothing and is kept only to tell
	// why (every name under it NXDOMAIN).
	names []name
	// hosts holds the endpoints' names of a headless service; nil for
	// none.
	hosts *hostTable
	// why is the reason an import serves nothing, when names is nil.
	why Reason
	// failedOpen is set when every cluster with endpoints is listed
	// unreachable and the service is answered from them anyway.
	failedOpen bool
}

// Serves reports whether the answers hold any name.
func (a *Service) Serves() bool { return a != nil && a.names != nil }

// lookup returns the node of prefix, or false when the service has no
// such name.
func (a *Service) lookup(prefix string) (Node, bool) {
	if prefix == "" { // the name asked most, first in order
		return Node{n: a.names[0].node, svc: a}, true
	}
	// A binary search written out: no comparison function called per step.
	lo, hi := 1, len(a.names)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if a.names[mid].prefix < prefix {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(a.names) && a.names[lo].prefix == prefix {
		return Node{n: a.names[lo].node, svc: a}, true
	}
	if h, ok := a.hosts.find(prefix); ok {
		return Node{svc: a, host: int32(h)}, true
	}
	return Node{}, false
}

// Equal reports whether a and b serve the same answers. Both are built
// with the same options.
func (a *Service) Equal(b *Service) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.typ != b.typ || a.why != b.why || a.failedOpen != b.failedOpen || len(a.names) != len(b.names) {
		return false
	}
	for i := range a.names {
		x, y := &a.names[i], &b.names[i]
		if x.prefix != y.prefix || !x.node.equal(y.node) {
			return false
		}
	}
	return a.hosts.equal(b.hosts)
}

func (n *node) equal(o *node) bool {
	// The SRV targets are compared by index; the host tables, which name
	// them, are compared with the services.
	// The tiers count: the same order in other tiers rotates otherwise.
	return n.why == o.why && bytes.Equal(n.v4, o.v4) && bytes.Equal(n.v6, o.v6) && slices.Equal(n.srv, o.srv) &&
		slices.Equal(n.aTiers, o.aTiers) && slices.Equal(n.aaaaTiers, o.aaaaTiers)
}

// Names returns the service's names by prefix, in order, for tests and
// zone transfers; answers that serve nothing have none.
func (a *Service) Names() iter.Seq2[string, Node] {
	return func(yield func(string, Node) bool) {
		if !a.Serves() {
			return
		}
		type named struct {
			prefix string
			node   Node
		}
		all := make([]named, 0, len(a.names)+a.hosts.len())
		for _, n := range a.names {
			all = append(all, named{n.prefix, Node{n: n.node, svc: a}})
		}
		for h := range a.hosts.len() {
			all = append(all, named{a.hosts.prefix(h), Node{svc: a, host: int32(h)}})
		}
		slices.SortFunc(all, func(x, y named) int { return strings.Compare(x.prefix, y.prefix) })
		for _, n := range all {
			if !yield(n.prefix, n.node) {
				return
			}
		}
	}
}
