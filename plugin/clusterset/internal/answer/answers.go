package answer

import (
	"iter"
	"maps"
	"slices"

	"github.com/miekg/dns"
)

// Node holds the records prepared for one owner name. The records are
// immutable once published: the handler copies them into each reply, because
// plugins later in the chain (rewrite, loadbalance) edit replies in place.
// A node with no records is an empty non-terminal: the name exists, so a
// query for it is NODATA, not NXDOMAIN (RFC 8020).
type Node struct {
	a    []dns.A
	aaaa []dns.AAAA
	srv  []dns.SRV
	// aTiers and aaaaTiers tell where the locality tiers of a and aaaa
	// end; the SRV records carry theirs as priorities.
	aTiers, aaaaTiers TierEnds
	// glue holds the nodes of the SRV targets, whose addresses go in the
	// additional section: shared, not copied, so a headless service does
	// not hold every endpoint's records twice more.
	glue []*Node
	// why explains an empty answer at this name (`extended_errors`).
	why Reason
}

// HasRecords reports whether the node holds any record.
func (n *Node) HasRecords() bool { return len(n.a) > 0 || len(n.aaaa) > 0 || len(n.srv) > 0 }

// emptyNonTerminal is shared by every empty non-terminal name.
var emptyNonTerminal = &Node{}

// Service is everything one imported service serves: per zone, a map
// from the name's prefix before `S.N.svc.Z` ("" for the service name itself,
// "_http._tcp", "_tcp", "web-0.east", "east") to its node.
type Service struct {
	// typ is the ServiceImport type, for the services gauge.
	typ string
	// ready4 and ready6 count the ready endpoint addresses a headless
	// service serves, for the endpoints gauge.
	ready4, ready6 int
	// zones is indexed like the plugin's zones; nil when the import serves
	// nothing and is kept only to tell why (every name under it NXDOMAIN).
	zones []map[string]*Node
	// why is the reason an import serves nothing, when zones is nil.
	why Reason
	// failedOpen is set when every cluster with endpoints is listed
	// unreachable and the service is answered from them anyway.
	failedOpen bool
}

// Serves reports whether the answers hold any name.
func (a *Service) Serves() bool { return a != nil && a.zones != nil }

// Equal reports whether a and b serve the same answers. Both are built from
// the same zones and options, so the first zone stands for all of them.
func (a *Service) Equal(b *Service) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.typ != b.typ || a.why != b.why || a.failedOpen != b.failedOpen || len(a.zones) != len(b.zones) {
		return false
	}
	if len(a.zones) == 0 {
		return true
	}
	an, bn := a.zones[0], b.zones[0]
	if len(an) != len(bn) {
		return false
	}
	for name, x := range an {
		y, ok := bn[name]
		if !ok || !x.equal(y) {
			return false
		}
	}
	return true
}

func (n *Node) equal(o *Node) bool {
	// The glue follows from the SRV targets and their nodes, which the
	// service's comparison covers.
	// The tiers count: the same order in other tiers rotates otherwise.
	return n.why == o.why && equalA(n.a, o.a) && equalAAAA(n.aaaa, o.aaaa) && equalSRV(n.srv, o.srv) &&
		slices.Equal(n.aTiers, o.aTiers) && slices.Equal(n.aaaaTiers, o.aaaaTiers)
}

func equalA(x, y []dns.A) bool {
	return slices.EqualFunc(x, y, func(a, b dns.A) bool { return a.Hdr == b.Hdr && a.A.Equal(b.A) })
}

func equalAAAA(x, y []dns.AAAA) bool {
	return slices.EqualFunc(x, y, func(a, b dns.AAAA) bool { return a.Hdr == b.Hdr && a.AAAA.Equal(b.AAAA) })
}

func equalSRV(x, y []dns.SRV) bool { return slices.Equal(x, y) }

// A returns the node's A records in the order they are served; the
// caller copies them and must not modify them (nor those of AAAA and SRV).
func (n *Node) A() []dns.A { return n.a }

// AAAA returns the node's AAAA records in the order they are served.
func (n *Node) AAAA() []dns.AAAA { return n.aaaa }

// SRV returns the node's SRV records in the order they are served; their
// priorities are the locality tiers.
func (n *Node) SRV() []dns.SRV { return n.srv }

// ATiers tells where the locality tiers of A() end.
func (n *Node) ATiers() TierEnds { return n.aTiers }

// AAAATiers tells where the locality tiers of AAAA() end.
func (n *Node) AAAATiers() TierEnds { return n.aaaaTiers }

// Glue returns the nodes of the SRV targets, one per target in the order
// of SRV(): their addresses are the additional section.
func (n *Node) Glue() []*Node { return n.glue }

// Names returns the service's names under zone zi by prefix, in order,
// for tests and zone transfers; nil answers have none.
func (a *Service) Names(zi int) iter.Seq2[string, *Node] {
	return func(yield func(string, *Node) bool) {
		if !a.Serves() {
			return
		}
		names := a.zones[zi]
		for _, prefix := range slices.Sorted(maps.Keys(names)) {
			if !yield(prefix, names[prefix]) {
				return
			}
		}
	}
}
