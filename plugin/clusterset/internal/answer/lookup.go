package answer

import (
	"strings"

	"github.com/miekg/dns"
)

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
// are the answer section and whose SRV targets' addresses are the
// additional section (the zone's SOA, from the snapshot, is the authority
// of a negative answer), and the reason for an empty answer when it is
// known. It is returned by value, so looking up costs no allocation.
type Result struct {
	// Node is set for Success and NoData; its records must not be modified.
	Node Node
	// ServiceAt is where the service's name starts in the name looked up:
	// the SRV targets are named under it.
	ServiceAt int32
	Kind      Kind
	// Why explains a NoData, NameError or NotReady when it is known.
	Why Reason
}

// Lookup answers a question of qtype for rel, the lower-cased query name
// less the zone (ending in a dot), from the snapshot s, which may be nil
// before the first sync. The names are those of the grammar (grammar.go),
// the same in every zone. An ANY question succeeds at any name with
// records.
func (s *Snapshot) Lookup(rel string, qtype uint16) Result {
	if s == nil {
		return Result{Kind: NotReady, Why: ReasonNotSynced}
	}
	// The grammar (grammar.go) read from the right: the labels are cut off
	// the name in place, in this one function, since it runs on every
	// query.
	name := strings.TrimSuffix(rel, ".")
	i := strings.LastIndexByte(name, '.')
	if name[i+1:] != svcLabel {
		return Result{Kind: NameError}
	}
	if i < 0 { // svc.Z
		return nonTerminal(s.size > 0)
	}
	// name[:i] is "[PREFIX.]S.N".
	j := strings.LastIndexByte(name[:i], '.')
	if j < 0 { // N.svc.Z
		return nonTerminal(s.namespaces[name[:i]] > 0)
	}
	k := strings.LastIndexByte(name[:j], '.')
	svc := s.Service(name[k+1 : i]) // the lookup key "S.N"
	if svc == nil {
		return Result{Kind: NameError}
	}
	if !svc.Serves() {
		return Result{Kind: NameError, Why: svc.why}
	}
	prefix := ""
	if k >= 0 {
		prefix = name[:k]
	}
	n, ok := svc.lookup(prefix)
	if !ok {
		if n, ok = svc.scopedFallback(prefix); !ok {
			return Result{Kind: NameError}
		}
	}
	if n.has(qtype) {
		return Result{Kind: Success, Node: n, ServiceAt: int32(k + 1)}
	}
	// The name exists without records of this type (docs/dns-contract.md rows 10-12).
	return Result{Kind: NoData, Node: n, Why: n.whyNoData(qtype), ServiceAt: int32(k + 1)}
}

// nonTerminal answers an empty non-terminal: NODATA when it exists (RFC
// 8020), else NXDOMAIN.
func nonTerminal(exists bool) Result {
	if exists {
		return Result{Kind: NoData, Node: Node{n: emptyNonTerminal}}
	}
	return Result{Kind: NameError}
}

// has reports whether the node holds records of qtype (any, for ANY).
func (n *Node) has(qtype uint16) bool {
	if s := n.n; s != nil { // a stored name: read it directly
		switch qtype {
		case dns.TypeA:
			return len(s.v4) > 0
		case dns.TypeAAAA:
			return len(s.v6) > 0
		case dns.TypeSRV:
			return len(s.srv) > 0
		}
	}
	switch qtype {
	case dns.TypeA:
		return n.A().Len() > 0
	case dns.TypeAAAA:
		return n.AAAA().Len() > 0
	case dns.TypeSRV:
		return len(n.SRV()) > 0
	case dns.TypeANY:
		return n.HasRecords()
	}
	return false
}

// noScopedEndpoints answers a pin name whose zone or cluster has no ready
// endpoint: the name exists (any value may be asked), with nothing in it.
var noScopedEndpoints = &node{why: ReasonNoReadyEndpoints}

// scopedFallback answers the scoped names of a zone or cluster without
// endpoints of the service, which the builder cannot list: pin is NODATA,
// prefer widens to the service name's answer. A service has the scoped
// names exactly when its `pin.SCOPE` empty non-terminal exists.
func (a *Service) scopedFallback(prefix string) (Node, bool) {
	for _, scope := range [...]string{scopeZone, scopeCluster} {
		pin, prefer := scopeRoots(scope)
		if under(prefix, pin) && a.has(pin) {
			return Node{n: noScopedEndpoints, svc: a}, true
		}
		if under(prefix, prefer) && a.has(prefer) {
			return a.lookup("")
		}
	}
	return Node{}, false
}

// has reports whether the service has the name prefix.
func (a *Service) has(prefix string) bool {
	_, ok := a.lookup(prefix)
	return ok
}

// whyNoData is the reason a query of qtype at n has no answer, if known:
// the node's own, or the family the import did not export.
func (n *Node) whyNoData(qtype uint16) Reason {
	switch {
	case n.why() != ReasonNone:
		return n.why()
	case qtype == dns.TypeA && n.AAAA().Len() > 0:
		return ReasonNoIPv4
	case qtype == dns.TypeAAAA && n.A().Len() > 0:
		return ReasonNoIPv6
	}
	return ReasonNone
}
