package answer

import (
	"bytes"
	"iter"
	"net"
	"slices"
	"strings"
)

// Node is the records of one owner name, compact: its addresses packed as
// bytes, its SRV records as (target, port, priority). The handler makes
// the reply's records from it on the query path, with the query's owner
// name, into the reply's own memory; it makes them anyway, because plugins
// later in the chain (rewrite, loadbalance) edit replies in place. A node
// holds no owner name, so one node serves every zone. A node with no
// records is an empty non-terminal: the name exists, so a query for it is
// NODATA, not NXDOMAIN (RFC 8020).
//
// The service's names other than its endpoints' are stored as nodes; an
// endpoint's name (hostTable) is made into a Node value when it is looked
// up. Both are immutable once published.
type Node struct {
	v4, v6 []byte
	// aTiers and aaaaTiers tell where the locality tiers of v4 and v6 end;
	// the SRV records carry theirs as priorities.
	aTiers, aaaaTiers TierEnds
	srv               []SRV
	// svc is the service whose names the SRV targets are: their names and
	// their addresses (the glue) are its.
	svc *Service
	// why explains an empty answer at this name (`extended_errors`).
	why Reason
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
func (a Addrs) Len() int { return len(a.packed) / a.width }

// IP returns address i. It shares the snapshot's bytes, which are never
// written: the caller must not modify it.
func (a Addrs) IP(i int) net.IP {
	lo, hi := i*a.width, (i+1)*a.width
	return net.IP(a.packed[lo:hi:hi])
}

// Tiers tells where the locality tiers of the addresses end.
func (a Addrs) Tiers() TierEnds { return a.tiers }

// A returns the node's IPv4 addresses in the order they are served.
func (n *Node) A() Addrs { return Addrs{n.v4, 4, n.aTiers} }

// AAAA returns the node's IPv6 addresses in the order they are served.
func (n *Node) AAAA() Addrs { return Addrs{n.v6, 16, n.aaaaTiers} }

// SRV returns the node's SRV records in the order they are served, a
// target's records together; their priorities are the locality tiers. The
// caller must not modify them.
func (n *Node) SRV() []SRV { return n.srv }

// SRVWeight is the weight of every SRV record of the node: the records
// are alternatives of equal standing (RFC 2782), 100 shared out as the
// kubernetes plugin does.
func (n *Node) SRVWeight() uint16 { return uint16(max(1, 100/max(1, len(n.srv)))) }

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

// TargetNamesSize is at least how many bytes TargetName writes for every
// target of the node once.
func (n *Node) TargetNamesSize(service string) int {
	size := 0
	for i, r := range n.srv {
		if r.Target != serviceTarget && (i == 0 || n.srv[i-1].Target != r.Target) {
			size += n.svc.hosts.nameSize(int(r.Target)) + 1 + len(service)
		}
	}
	return size
}

// Glue returns the addresses of an SRV target of the node, which go in
// the additional section.
func (n *Node) Glue(target int32) (a, aaaa Addrs) {
	if target == serviceTarget {
		root := n.svc.names[0].node // "" sorts first
		return root.A(), root.AAAA()
	}
	v4, v6 := n.svc.hosts.addrs(int(target))
	return Addrs{v4, 4, nil}, Addrs{v6, 16, nil}
}

// HasRecords reports whether the node holds any record.
func (n *Node) HasRecords() bool { return len(n.v4) > 0 || len(n.v6) > 0 || len(n.srv) > 0 }

// emptyNonTerminal is shared by every empty non-terminal name.
var emptyNonTerminal = &Node{}

// name is one of a service's names but its endpoints': its prefix before
// `S.N.svc.Z` ("" for the service name itself, "_http._tcp", "_tcp",
// "east", "web.pin._zone") and its node, which two prefixes may share.
type name struct {
	prefix string
	node   *Node
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
// such name. An endpoint's node is made from its entry, by value: looking
// up costs no allocation.
func (a *Service) lookup(prefix string) (Node, bool) {
	i, ok := slices.BinarySearchFunc(a.names, prefix, func(n name, p string) int { return strings.Compare(n.prefix, p) })
	if ok {
		return *a.names[i].node, true
	}
	if h, ok := a.hosts.find(prefix); ok {
		return a.hosts.node(h), true
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

func (n *Node) equal(o *Node) bool {
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
		all := make([]name, 0, len(a.names)+a.hosts.len())
		all = append(all, a.names...)
		for h := range a.hosts.len() {
			n := a.hosts.node(h)
			all = append(all, name{a.hosts.prefix(h), &n})
		}
		slices.SortFunc(all, func(x, y name) int { return strings.Compare(x.prefix, y.prefix) })
		for _, n := range all {
			if !yield(n.prefix, *n.node) {
				return
			}
		}
	}
}
