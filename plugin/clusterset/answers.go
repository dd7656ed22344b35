package clusterset

import (
	"slices"

	"github.com/miekg/dns"
)

// node holds the records prepared for one owner name. The records are
// immutable once published: the handler copies them into each reply, because
// plugins later in the chain (rewrite, loadbalance) edit replies in place.
// A node with no records is an empty non-terminal: the name exists, so a
// query for it is NODATA, not NXDOMAIN (RFC 8020).
type node struct {
	a    []dns.A
	aaaa []dns.AAAA
	srv  []dns.SRV
	// aTiers and aaaaTiers tell where the locality tiers of a and aaaa
	// end; the SRV records carry theirs as priorities.
	aTiers, aaaaTiers tierEnds
	// glue holds the nodes of the SRV targets, whose addresses go in the
	// additional section: shared, not copied, so a headless service does
	// not hold every endpoint's records twice more.
	glue []*node
	// why explains an empty answer at this name (`extended_errors`).
	why reason
}

// hasRecords reports whether the node holds any record.
func (n *node) hasRecords() bool { return len(n.a) > 0 || len(n.aaaa) > 0 || len(n.srv) > 0 }

// emptyNonTerminal is shared by every empty non-terminal name.
var emptyNonTerminal = &node{}

// serviceAnswers is everything one imported service serves: per zone, a map
// from the name's prefix before `S.N.svc.Z` ("" for the service name itself,
// "_http._tcp", "_tcp", "web-0.east", "east") to its node.
type serviceAnswers struct {
	// typ is the ServiceImport type, for the services gauge.
	typ string
	// ready4 and ready6 count the ready endpoint addresses a headless
	// service serves, for the endpoints gauge.
	ready4, ready6 int
	// zones is indexed like the plugin's zones; nil when the import serves
	// nothing and is kept only to tell why (every name under it NXDOMAIN).
	zones []map[string]*node
	// why is the reason an import serves nothing, when zones is nil.
	why reason
	// failedOpen is set when every cluster with endpoints is listed
	// unreachable and the service is answered from them anyway.
	failedOpen bool
}

// serves reports whether the answers hold any name.
func (a *serviceAnswers) serves() bool { return a != nil && a.zones != nil }

// equal reports whether a and b serve the same answers. Both are built from
// the same zones and options, so the first zone stands for all of them.
func (a *serviceAnswers) equal(b *serviceAnswers) bool {
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

func (n *node) equal(o *node) bool {
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
