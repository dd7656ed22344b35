package answer

import (
	"cmp"
	"maps"
	"math"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"

	"github.com/miekg/dns"
)

// Builder turns the cached objects of one service into its answers, applying
// every rule of the MCS DNS contract (docs/dns-contract.md). It
// reads the source and nothing else, and holds no state between builds.
type Builder struct {
	// zones are the plugin's zones, lower-cased and fully qualified.
	Zones []string
	Opts  Options
}

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

// bound orders and de-duplicates the node's addresses and SRV targets (by
// tier, then numerically), keeps only the best tier when restrict is set,
// and keeps at most limit of each (IPv4 first), reporting whether it cut
// any for the limit.
func (n *shapeNode) bound(limit int, restrict bool) (cut bool) {
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
	if restrict && n.aggregate {
		// The best tier of the service, not of each family: an AAAA query
		// is NODATA when the nearest endpoints have no IPv6 address, as it
		// would be were the others not there.
		n.v4 = slices.DeleteFunc(n.v4, func(a rankedAddr) bool { return a.tier != best })
		n.v6 = slices.DeleteFunc(n.v6, func(a rankedAddr) bool { return a.tier != best })
		n.srv = slices.DeleteFunc(n.srv, func(t srvTarget) bool { return t.tier != best })
	}
	if best > 0 && best != math.MaxUint16 {
		// SRV priorities count from 0 (RFC 2782 clients compare them only
		// with each other): the nearest endpoints there are come first.
		for i := range n.srv {
			n.srv[i].tier -= best
		}
	}
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

func (n *shapeNode) addAddr(a netip.Addr, tier uint16) {
	if a.Is4() {
		n.v4 = append(n.v4, rankedAddr{a, tier})
	} else {
		n.v6 = append(n.v6, rankedAddr{a, tier})
	}
}

func (n *shapeNode) empty() bool { return len(n.v4) == 0 && len(n.v6) == 0 && len(n.srv) == 0 }

// Build returns the answers of the service key, or nil when it serves
// nothing (every name under it is NXDOMAIN), and the data it left out. It
// resolves the locality itself; the syncer resolves it once per batch.
func (b *Builder) Build(key object.ServiceKey, src Source) (*Service, []Skip) {
	loc := LocalityOf(&b.Opts, src)
	return b.BuildAt(key, src, &loc)
}

// BuildAt is build at a resolved locality.
func (b *Builder) BuildAt(key object.ServiceKey, src Source, loc *Locality) (*Service, []Skip) {
	si := src.ServiceImport(key)
	if si == nil {
		return nil, nil
	}
	if !src.NamespaceServed(key.Namespace) {
		// Namespace sameness: no local namespace, no answer (docs/dns-contract.md row 13).
		return b.unserved(si, ReasonNamespaceAbsent), nil
	}
	var skips []Skip
	ref := func(reason, detail string) {
		skips = append(skips, Skip{Object: "ServiceImport " + key.String(), Version: si.ResourceVersion, Reason: reason, Detail: detail})
	}
	if _, denied := b.Opts.DeniedNamespaces[key.Namespace]; denied {
		ref(SkipDeniedNamespace, key.Namespace)
		return b.unserved(si, ReasonNamespaceDenied), skips
	}
	name, okName := DNSLabel(key.Name)
	namespace, okNamespace := DNSLabel(key.Namespace)
	if !okName || !okNamespace {
		ref(SkipInvalidName, key.String())
		return nil, skips
	}
	// The longest name under the service must fit every zone: check the
	// service name now and each longer name when it is made.
	base := serviceBase(name, namespace)
	longestZone := 0
	for _, z := range b.Zones {
		longestZone = max(longestZone, len(z))
	}
	if len(base)+1+longestZone-1 > maxNameLen {
		ref(SkipNameTooLong, base)
		return nil, skips
	}
	w := walkLimits{base: base, longestZone: longestZone}

	var (
		s          shape
		why        Reason
		failedOpen bool
	)
	switch si.Type {
	case object.ClusterSetIP:
		s, why, failedOpen, skips = b.clusterSetIP(si, src, loc, w, skips)
	case object.Headless:
		s, why, failedOpen, skips = b.headless(si, src, loc, w, skips)
	default:
		ref(SkipUnknownType, si.Type)
		return nil, skips
	}
	if s == nil {
		return b.unserved(si, why), skips
	}
	// Only scoped names share nodes between prefixes; without them each
	// node is bounded once anyway, and a set to tell would cost a map.
	var bounded map[*shapeNode]bool
	if b.sharesNodes() {
		bounded = make(map[*shapeNode]bool, len(s))
	}
	for prefix, n := range s {
		if bounded != nil {
			if bounded[n] {
				continue
			}
			bounded[n] = true
		}
		if n.bound(b.Opts.MaxAddresses, b.Opts.Locality.Restrict) {
			ref(SkipTooManyAddresses, prefix)
		}
	}
	ans := &Service{typ: si.Type, failedOpen: failedOpen, zones: make([]map[string]*Node, len(b.Zones))}
	if si.Type == object.Headless {
		ans.ready4, ans.ready6 = len(s[""].v4), len(s[""].v6)
	}
	for i, z := range b.Zones {
		ans.zones[i] = b.materialize(s, base+"."+z)
	}
	return ans, skips
}

// sharesNodes reports whether two prefixes of a shape may share one node:
// only with scoped names (a zone's pin and prefer names, prefer names that
// widen to the service).
func (b *Builder) sharesNodes() bool { return b.Opts.ScopedZone || b.Opts.ScopedCluster }

// unserved is what an import that serves nothing leaves in the snapshot: a
// record of why, when the reason is known and will be told to clients, or
// nothing.
func (b *Builder) unserved(si *object.ServiceImport, why Reason) *Service {
	if why == ReasonNone || !b.Opts.ExtendedErrors {
		return nil
	}
	return &Service{typ: si.Type, why: why}
}

// clusterSetIP shapes a ClusterSetIP service: its VIPs at the service name
// (served even with no endpoint, docs/dns-contract.md row 3) and SRV records for its
// ports pointing at the service name (rows 4, 5). It has no per-endpoint
// names (docs/dns-contract.md row 14). With `answer endpoints`, an import without a VIP serves
// its endpoints' addresses at the service name instead.
func (b *Builder) clusterSetIP(si *object.ServiceImport, src Source, loc *Locality, w walkLimits, skips []Skip) (shape, Reason, bool, []Skip) {
	obj := "ServiceImport " + si.Namespace + "/" + si.Name
	if b.Opts.IgnoreEmptyService && !hasReadyEndpoint(src.EndpointSlices(si.Key())) {
		return nil, ReasonNoReadyEndpoints, false, skips
	}
	s := shape{}
	svc := s.node("")
	svc.aggregate = true
	filtered := false
	for _, ip := range si.IPs {
		a, ok := parseAddr(ip)
		if !ok {
			skips = append(skips, Skip{Object: obj, Version: si.ResourceVersion, Reason: SkipInvalidIP, Detail: ip})
			continue
		}
		if !b.Opts.Addresses.Permits(a) {
			skips = append(skips, Skip{Object: obj, Version: si.ResourceVersion, Reason: SkipDisallowedIP, Detail: ip})
			filtered = true
			continue
		}
		svc.addAddr(a, 0)
	}
	failedOpen := false
	if len(si.IPs) == 0 && b.Opts.AnswerEndpoints {
		var eps []endpointAddr
		var facts walkFacts
		eps, facts, failedOpen, skips = b.readyEndpoints(si, src, loc, w, false, skips)
		mode := b.modeFor(si, loc, true)
		for _, e := range eps {
			svc.addAddr(e.addr, loc.tier(mode, e.cluster, e.zone))
		}
		filtered = facts.filtered
		if len(eps) == 0 && !filtered {
			svc.why = ReasonNoReadyEndpoints
		}
	}
	if len(svc.v4) == 0 && len(svc.v6) == 0 && filtered {
		svc.why = ReasonAddressFiltered
	}
	for _, p := range si.Ports {
		port, ok := validPort(p.Port)
		if !ok {
			skips = append(skips, Skip{Object: obj, Version: si.ResourceVersion, Reason: SkipInvalidPort, Detail: p.Name})
			continue
		}
		svc.srv = append(svc.srv, srvTarget{port: port})
		if p.Name == "" {
			// Unnamed ports have no SRV name (docs/dns-contract.md row 4).
			continue
		}
		prefix, ok := srvPrefix(p)
		if !ok {
			skips = append(skips, Skip{Object: obj, Version: si.ResourceVersion, Reason: SkipInvalidPort, Detail: p.Name + "/" + p.Protocol})
			continue
		}
		n := s.node(prefix)
		n.srv = append(n.srv, srvTarget{port: port})
	}
	return s, ReasonNone, failedOpen, skips
}

// walkLimits is what the length of an endpoint's names is checked against.
type walkLimits struct {
	base        string // "S.N.svc"
	longestZone int
}

// fits reports whether prefix.S.N.svc.Z fits every zone.
func (w walkLimits) fits(prefix string) bool {
	return len(prefix)+1+len(w.base)+1+w.longestZone-1 <= maxNameLen
}

// endpointAddr is one ready, valid and permitted address of an endpoint.
type endpointAddr struct {
	addr netip.Addr
	// prefix is the endpoint's name prefix "H.C" (only when names are made).
	prefix  string
	cluster string // lower-cased
	zone    string // lower-cased; empty when unset or not a DNS name
	ports   []slicePort
}

// walkFacts tells why a walk found fewer addresses than the slices hold.
type walkFacts struct {
	filtered    bool // some address was refused by the address policy
	unreachable bool // some cluster was left out as unreachable
}

// readyEndpoints gathers the ready addresses of the service's slices in
// the clusters that serve it, skipping bad data piece by piece. When
// leaving the unreachable clusters out leaves nothing, it gathers them all:
// health fails open (failedOpen) rather than take a service away.
func (b *Builder) readyEndpoints(si *object.ServiceImport, src Source, loc *Locality, w walkLimits, names bool, skips []Skip) ([]endpointAddr, walkFacts, bool, []Skip) {
	eps, facts, walked := b.walk(si, src, loc.clusterFilter(si, true), w, names)
	if len(eps) == 0 && facts.unreachable {
		eps, facts, walked = b.walk(si, src, loc.clusterFilter(si, false), w, names)
		return eps, facts, len(eps) > 0, append(skips, walked...)
	}
	return eps, facts, false, append(skips, walked...)
}

func (b *Builder) walk(si *object.ServiceImport, src Source, accept func(string) (bool, bool), w walkLimits, names bool) ([]endpointAddr, walkFacts, []Skip) {
	slicesOf := slices.Clone(src.EndpointSlices(si.Key()))
	// Map iteration and cache order vary; sorting keeps answers stable.
	slices.SortFunc(slicesOf, func(x, y *object.EndpointSlice) int { return cmp.Compare(x.Name, y.Name) })
	size := 0
	for _, es := range slicesOf {
		for _, ep := range es.Endpoints {
			size += len(ep.Addresses)
		}
	}
	var (
		eps   = make([]endpointAddr, 0, size)
		facts walkFacts
		skips []Skip
	)
	for _, es := range slicesOf {
		obj := "EndpointSlice " + es.Namespace + "/" + es.Name
		bad := func(reason, detail string) {
			skips = append(skips, Skip{Object: obj, Version: es.ResourceVersion, Reason: reason, Detail: detail})
		}
		var want func(netip.Addr) bool
		switch es.AddressType {
		case object.AddressTypeIPv4:
			want = netip.Addr.Is4
		case object.AddressTypeIPv6:
			want = netip.Addr.Is6
		case "FQDN":
			// FQDN slices carry no address to answer with (contract, data table).
			continue
		default:
			bad(SkipUnsupportedFamily, es.AddressType)
			continue
		}
		if !es.HasCluster {
			bad(SkipMissingCluster, "")
			continue
		}
		cluster, ok := DNSSubdomain(es.Cluster)
		if !ok {
			bad(SkipInvalidCluster, es.Cluster)
			continue
		}
		if ok, unreachable := accept(cluster); !ok {
			facts.unreachable = facts.unreachable || unreachable
			continue
		}
		ports := b.slicePorts(es, bad)
		for _, ep := range es.Endpoints {
			if !ep.Ready {
				continue
			}
			host := ""
			if names && ep.Hostname != "" {
				if host, ok = DNSLabel(ep.Hostname); !ok {
					bad(SkipInvalidHostname, ep.Hostname)
					continue
				}
			}
			zone, _ := DNSSubdomain(ep.Zone)
			for _, raw := range ep.Addresses {
				a, ok := parseAddr(raw)
				if !ok || !want(a) {
					bad(SkipInvalidIP, raw)
					continue
				}
				if !b.Opts.Addresses.Permits(a) {
					bad(SkipDisallowedIP, raw)
					facts.filtered = true
					continue
				}
				e := endpointAddr{addr: a, cluster: cluster, zone: zone, ports: ports}
				if names {
					h := host
					if h == "" {
						h = endpointHostname(a)
					}
					e.prefix = endpointPrefix(h, cluster)
					if !w.fits(e.prefix) {
						bad(SkipNameTooLong, e.prefix)
						continue
					}
				}
				eps = append(eps, e)
			}
		}
	}
	return eps, facts, skips
}

// headless shapes a headless service from the ready endpoints of every
// source cluster (docs/dns-contract.md rows 5 to 9). No ready endpoint anywhere, or
// EndpointSlices reported Absent (docs/dns-contract.md row 17), and it serves nothing.
func (b *Builder) headless(si *object.ServiceImport, src Source, loc *Locality, w walkLimits, skips []Skip) (shape, Reason, bool, []Skip) {
	if si.EndpointSlicesAbsent {
		return nil, ReasonSlicesAbsent, false, skips
	}
	eps, facts, failedOpen, skips := b.readyEndpoints(si, src, loc, w, true, skips)
	if len(eps) == 0 {
		// No ready endpoint in any cluster: NXDOMAIN (docs/dns-contract.md row 6).
		if facts.filtered {
			return nil, ReasonAddressFiltered, false, skips
		}
		return nil, ReasonNoReadyEndpoints, false, skips
	}
	mode := b.modeFor(si, loc, false)
	s := shape{}
	svc := &shapeNode{aggregate: true}
	for _, e := range eps {
		tier := loc.tier(mode, e.cluster, e.zone)
		svc.addAddr(e.addr, tier)
		s.node(e.prefix).addAddr(e.addr, tier)
		for _, p := range e.ports {
			t := srvTarget{target: e.prefix, port: p.port, tier: tier}
			svc.srv = append(svc.srv, t)
			if p.prefix != "" {
				n := s.node(p.prefix)
				n.aggregate = true
				n.srv = append(n.srv, t)
			}
		}
		if b.Opts.ScopedZone && e.zone != "" {
			b.scoped(s, e.zone, scopeZone, w).add(e, tier)
		}
		if b.Opts.ScopedCluster {
			b.scoped(s, e.cluster, scopeCluster, w).add(e, tier)
		}
	}
	s[""] = svc
	if !b.sharesNodes() {
		return s, ReasonNone, failedOpen, skips
	}
	for _, scope := range b.scopes() {
		pin, prefer := scopeRoots(scope)
		s.node(pin)
		s.node(prefer)
	}
	// A zone or cluster with no endpoint of its own here, but with one in a
	// deeper dotted zone ("b" under "a.b"), was made an empty non-terminal
	// on the way: its prefer name widens to the whole service.
	// Its pin name has nothing, as any zone or cluster without endpoints.
	for prefix, n := range s {
		if !n.empty() {
			continue
		}
		switch {
		case isScopedPrefer(prefix):
			s[prefix] = svc
		case isScopedPin(prefix):
			s[prefix] = &shapeNode{why: ReasonNoReadyEndpoints}
		}
	}
	return s, ReasonNone, failedOpen, skips
}

// scopes lists the scoped-name labels in use.
func (b *Builder) scopes() []string {
	var out []string
	if b.Opts.ScopedZone {
		out = append(out, scopeZone)
	}
	if b.Opts.ScopedCluster {
		out = append(out, scopeCluster)
	}
	return out
}

// scoped returns the node shared by `VALUE.pin.SCOPE` and
// `VALUE.prefer.SCOPE`, or a throwaway node when those names would be too
// long to serve.
func (b *Builder) scoped(s shape, value, scope string, w walkLimits) *shapeNode {
	pin, prefer := scopedPrefixes(value, scope)
	if !w.fits(prefer) {
		return &shapeNode{}
	}
	n := s.node(pin)
	if existing, ok := s[prefer]; !ok || existing != n {
		s.ancestors(prefer)
		s[prefer] = n
	}
	return n
}

// add puts an endpoint's address and its bare-name SRV targets in a scoped
// node.
func (n *shapeNode) add(e endpointAddr, tier uint16) {
	n.addAddr(e.addr, tier)
	for _, p := range e.ports {
		n.srv = append(n.srv, srvTarget{target: e.prefix, port: p.port, tier: tier})
	}
}

// slicePort is an EndpointSlice port with the SRV name prefix it makes
// ("" when unnamed).
type slicePort struct {
	prefix string
	port   uint16
}

func (b *Builder) slicePorts(es *object.EndpointSlice, bad func(reason, detail string)) []slicePort {
	var ports []slicePort
	for _, p := range es.Ports {
		port, ok := validPort(p.Port)
		if !ok {
			bad(SkipInvalidPort, p.Name)
			continue
		}
		sp := slicePort{port: port}
		if p.Name != "" {
			if sp.prefix, ok = srvPrefix(p); !ok {
				bad(SkipInvalidPort, p.Name+"/"+p.Protocol)
				continue
			}
		}
		ports = append(ports, sp)
	}
	return ports
}

func validPort(p int32) (uint16, bool) {
	if p < 1 || p > 65535 {
		return 0, false
	}
	return uint16(p), true
}

func hasReadyEndpoint(slices []*object.EndpointSlice) bool {
	for _, es := range slices {
		if !es.HasCluster {
			continue
		}
		for _, ep := range es.Endpoints {
			if ep.Ready && len(ep.Addresses) > 0 {
				return true
			}
		}
	}
	return false
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

// materialize prepares the records of a shaped service under one zone;
// owner is the service's fully qualified name in that zone.
func (b *Builder) materialize(s shape, owner string) map[string]*Node {
	ttl := b.Opts.TTL
	// Each name is made once and shared by its records and by the SRV
	// records that target it: a headless endpoint's name would otherwise be
	// held three times.
	names := make(map[string]string, len(s))
	for prefix := range s {
		names[prefix] = ownerName(prefix, owner)
	}
	fqdn := func(prefix string) string { return names[prefix] }
	nodes := make(map[string]*Node, len(s))
	// Prefixes that share a shape node share its records too (a zone's pin
	// and prefer names; prefer names that widen to the service). The
	// records carry the name of the first prefix in order, which the
	// handler replaces with the query's name anyway. Without sharing, any
	// order will do and the bookkeeping is skipped.
	var (
		made     map[*shapeNode]*Node
		done     map[*Node]bool
		prefixes []string
	)
	if b.sharesNodes() {
		made = make(map[*shapeNode]*Node, len(s))
		done = make(map[*Node]bool, len(s))
		prefixes = slices.Sorted(maps.Keys(s))
	} else {
		prefixes = make([]string, 0, len(s))
		for prefix := range s {
			prefixes = append(prefixes, prefix)
		}
	}
	for _, prefix := range prefixes {
		sn := s[prefix]
		if sn.empty() && sn.why == ReasonNone {
			nodes[prefix] = emptyNonTerminal
			continue
		}
		if n, ok := made[sn]; ok {
			nodes[prefix] = n
			continue
		}
		name := fqdn(prefix)
		n := &Node{
			a: aRecords(name, sn.v4, ttl), aaaa: aaaaRecords(name, sn.v6, ttl),
			aTiers: tierEndsOf(sn.v4), aaaaTiers: tierEndsOf(sn.v6),
			why: sn.why,
		}
		nodes[prefix] = n
		if made != nil {
			made[sn] = n
		}
	}
	// SRV records and their glue come second: the glue of a target is its
	// address records, already made above.
	for _, prefix := range prefixes {
		sn := s[prefix]
		n := nodes[prefix]
		if len(sn.srv) == 0 || done[n] {
			continue
		}
		if done != nil {
			done[n] = true
		}
		targets := sn.srv    // ordered and unique since bound
		name := fqdn(prefix) // the first prefix of a shared node, as above
		// Equal weights: the records are alternatives of equal standing
		// (RFC 2782); 100 shared out as the kubernetes plugin does. The
		// priority is the locality tier, 0 unless `prefer` ranks them.
		weight := uint16(max(1, 100/len(targets)))
		n.srv = make([]dns.SRV, len(targets))
		for i, t := range targets {
			n.srv[i] = dns.SRV{
				Hdr:      dns.RR_Header{Name: name, Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: ttl},
				Priority: t.tier, Weight: weight, Port: t.port, Target: fqdn(t.target),
			}
		}
		// A target's records sort together unless tiers interleave them
		// (never: a target is one endpoint, in one tier).
		for i, t := range targets {
			if i > 0 && targets[i-1].target == t.target {
				continue
			}
			n.glue = append(n.glue, nodes[t.target])
		}
	}
	return nodes
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
