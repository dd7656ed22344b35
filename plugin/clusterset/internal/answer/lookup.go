package answer

import "github.com/miekg/dns"

// Kind is the kind of answer a name gets, as the file plugin's Result.
type Kind uint8

const (
	// Success: the name has records of the type asked.
	Success Kind = iota
	// NoData: the name exists without records of the type (RFC 2308 §2.2).
	NoData
	// NameError: the name does not exist (NXDOMAIN).
	NameError
	// NotReady: the answer depends on data not synced yet; no snapshot.
	NotReady
)

// Result is the answer Lookup finds for a question, in the shape of the
// file plugin's Lookup: the kind, the node whose records of the type asked
// are the answer section and whose glue is the additional section (the
// zone's SOA, from the snapshot, is the authority of a negative answer),
// and the reason for an empty answer when it is known. It is returned by
// value, so looking up costs no allocation.
type Result struct {
	Kind Kind
	// Node is set for Success and NoData; its records must not be modified.
	Node *Node
	// Why explains a NoData, NameError or NotReady when it is known.
	Why Reason
}

// Lookup answers a question of qtype for rel, the lower-cased query name
// less the zone with index zi (ending in a dot), from the snapshot s,
// which may be nil before the first sync. The names are those of the
// grammar (grammar.go). An ANY question succeeds at any name with records.
func (s *Snapshot) Lookup(zi int, rel string, qtype uint16) Result {
	if s == nil {
		return Result{Kind: NotReady, Why: ReasonNotSynced}
	}
	n, why := s.find(zi, rel)
	switch {
	case n == nil:
		return Result{Kind: NameError, Why: why}
	case n.has(qtype):
		return Result{Kind: Success, Node: n}
	}
	// The name exists without records of this type (docs/dns-contract.md rows 10-12).
	return Result{Kind: NoData, Node: n, Why: n.whyNoData(qtype)}
}

// has reports whether the node holds records of qtype (any, for ANY).
func (n *Node) has(qtype uint16) bool {
	switch qtype {
	case dns.TypeA:
		return len(n.a) > 0
	case dns.TypeAAAA:
		return len(n.aaaa) > 0
	case dns.TypeSRV:
		return len(n.srv) > 0
	case dns.TypeANY:
		return n.HasRecords()
	}
	return false
}

// find returns the node for rel, or nil and, when it is known, why the
// name does not exist.
func (s *Snapshot) find(zi int, rel string) (*Node, Reason) {
	p := parseName(rel)
	switch p.kind {
	case svcApex:
		if s.size > 0 {
			return emptyNonTerminal, ReasonNone
		}
		return nil, ReasonNone
	case namespaceENT:
		if s.namespaces[p.namespace] > 0 {
			return emptyNonTerminal, ReasonNone
		}
		return nil, ReasonNone
	case underService:
		svc := s.Service(p.key)
		if svc == nil {
			return nil, ReasonNone
		}
		if !svc.Serves() {
			return nil, svc.why
		}
		names := svc.zones[zi]
		if n := names[p.prefix]; n != nil {
			return n, ReasonNone
		}
		return scopedFallback(names, p.prefix), ReasonNone
	}
	return nil, ReasonNone
}

// noScopedEndpoints answers a pin name whose zone or cluster has no ready
// endpoint: the name exists (any value may be asked), with nothing in it.
var noScopedEndpoints = &Node{why: ReasonNoReadyEndpoints}

// scopedFallback answers the scoped names of a zone or cluster without
// endpoints of the service, which the builder cannot list: pin is NODATA,
// prefer widens to the service name's answer. A service has the scoped
// names exactly when its `pin.SCOPE` empty non-terminal exists.
func scopedFallback(names map[string]*Node, prefix string) *Node {
	for _, scope := range [...]string{scopeZone, scopeCluster} {
		pin, prefer := scopeRoots(scope)
		if under(prefix, pin) && names[pin] != nil {
			return noScopedEndpoints
		}
		if under(prefix, prefer) && names[prefer] != nil {
			return names[""]
		}
	}
	return nil
}

// whyNoData is the reason a query of qtype at n has no answer, if known:
// the node's own, or the family the import did not export.
func (n *Node) whyNoData(qtype uint16) Reason {
	switch {
	case n.why != ReasonNone:
		return n.why
	case qtype == dns.TypeA && len(n.aaaa) > 0:
		return ReasonNoIPv4
	case qtype == dns.TypeAAAA && len(n.a) > 0:
		return ReasonNoIPv6
	}
	return ReasonNone
}
