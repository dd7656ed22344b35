package clusterset

import (
	"cmp"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"

	"github.com/miekg/dns"
)

// builder turns the cached objects of one service into its answers, applying
// every rule of the MCS DNS contract (../shared/mcs-dns-contract.md). It
// reads the source and nothing else, and holds no state between builds.
type builder struct {
	// zones are the plugin's zones, lower-cased and fully qualified.
	zones []string
	opts  answerOptions
}

// skip records a piece of imported data left out of the answers.
type skip struct {
	object  string // "ServiceImport ns/name" or "EndpointSlice ns/name"
	version string // the object's resourceVersion
	reason  string // one of the skip* constants
	detail  string // the offending value
}

// id identifies the skip across rebuilds, so that it is logged and counted
// once per object version.
func (s skip) id() string {
	return s.object + "@" + s.version + "/" + s.reason + "/" + s.detail
}

// shape is the zone-independent form of a service's names while they are
// built: per name prefix, its addresses and SRV targets.
type shape map[string]*shapeNode

type shapeNode struct {
	v4, v6 []netip.Addr
	srv    []srvTarget
}

// srvTarget is an SRV record's target (a name prefix, "" for the service
// name) and port.
type srvTarget struct {
	target string
	port   uint16
}

// node returns the node for prefix, creating it and every ancestor up to the
// service name: ancestors are empty non-terminals (contract rows 10, 11).
func (s shape) node(prefix string) *shapeNode {
	n, ok := s[prefix]
	if !ok {
		n = &shapeNode{}
		s[prefix] = n
	}
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
	return n
}

// bound sorts and de-duplicates the node's addresses and SRV targets and
// keeps at most limit of each (IPv4 first), reporting whether it cut any.
func (n *shapeNode) bound(limit int) (cut bool) {
	n.v4 = sortedUnique(n.v4)
	n.v6 = sortedUnique(n.v6)
	slices.SortFunc(n.srv, func(x, y srvTarget) int {
		return cmp.Or(cmp.Compare(x.target, y.target), cmp.Compare(x.port, y.port))
	})
	n.srv = slices.Compact(n.srv)
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

func (n *shapeNode) addAddr(a netip.Addr) {
	if a.Is4() {
		n.v4 = append(n.v4, a)
	} else {
		n.v6 = append(n.v6, a)
	}
}

// build returns the answers of the service key, or nil when it serves
// nothing (every name under it is NXDOMAIN), and the data it left out.
func (b *builder) build(key object.ServiceKey, src serviceSource) (*serviceAnswers, []skip) {
	si := src.ServiceImport(key)
	if si == nil || !src.NamespaceServed(key.Namespace) {
		// Namespace sameness: no local namespace, no answer (contract row 13).
		return nil, nil
	}
	var skips []skip
	ref := func(reason, detail string) {
		skips = append(skips, skip{object: "ServiceImport " + key.String(), version: si.ResourceVersion, reason: reason, detail: detail})
	}
	if _, denied := b.opts.deniedNamespaces[key.Namespace]; denied {
		ref(skipDeniedNamespace, key.Namespace)
		return nil, skips
	}
	name, okName := dnsLabel(key.Name)
	namespace, okNamespace := dnsLabel(key.Namespace)
	if !okName || !okNamespace {
		ref(skipInvalidName, key.String())
		return nil, skips
	}
	// The longest name under the service must fit every zone: check the
	// service name now and each longer name when it is made.
	base := name + "." + namespace + ".svc"
	longestZone := 0
	for _, z := range b.zones {
		longestZone = max(longestZone, len(z))
	}
	if len(base)+1+longestZone-1 > maxNameLen {
		ref(skipNameTooLong, base)
		return nil, skips
	}

	var s shape
	switch si.Type {
	case object.ClusterSetIP:
		s, skips = b.clusterSetIP(si, src, skips)
	case object.Headless:
		s, skips = b.headless(si, src, base, longestZone, skips)
	default:
		ref(skipUnknownType, si.Type)
		return nil, skips
	}
	if s == nil {
		return nil, skips
	}
	for prefix, n := range s {
		if n.bound(b.opts.maxAddresses) {
			ref(skipTooManyAddresses, prefix)
		}
	}
	ans := &serviceAnswers{typ: si.Type, zones: make([]map[string]*node, len(b.zones))}
	if si.Type == object.Headless {
		ans.ready4, ans.ready6 = len(s[""].v4), len(s[""].v6)
	}
	for i, z := range b.zones {
		ans.zones[i] = b.materialize(s, base+"."+z)
	}
	return ans, skips
}

// clusterSetIP shapes a ClusterSetIP service: its VIPs at the service name
// (served even with no endpoint, contract row 3) and SRV records for its
// ports pointing at the service name (rows 4, 5). It has no per-endpoint
// names (row 14).
func (b *builder) clusterSetIP(si *object.ServiceImport, src serviceSource, skips []skip) (shape, []skip) {
	obj := "ServiceImport " + si.Namespace + "/" + si.Name
	if b.opts.ignoreEmptyService && !hasReadyEndpoint(src.EndpointSlices(si.Key())) {
		return nil, skips
	}
	s := shape{}
	svc := s.node("")
	for _, ip := range si.IPs {
		a, ok := parseAddr(ip)
		if !ok {
			skips = append(skips, skip{object: obj, version: si.ResourceVersion, reason: skipInvalidIP, detail: ip})
			continue
		}
		if !b.opts.addresses.permits(a) {
			skips = append(skips, skip{object: obj, version: si.ResourceVersion, reason: skipDisallowedIP, detail: ip})
			continue
		}
		svc.addAddr(a)
	}
	for _, p := range si.Ports {
		port, ok := validPort(p.Port)
		if !ok {
			skips = append(skips, skip{object: obj, version: si.ResourceVersion, reason: skipInvalidPort, detail: p.Name})
			continue
		}
		svc.srv = append(svc.srv, srvTarget{port: port})
		if p.Name == "" {
			// Unnamed ports have no SRV name (contract row 4).
			continue
		}
		prefix, ok := srvPrefix(p)
		if !ok {
			skips = append(skips, skip{object: obj, version: si.ResourceVersion, reason: skipInvalidPort, detail: p.Name + "/" + p.Protocol})
			continue
		}
		n := s.node(prefix)
		n.srv = append(n.srv, srvTarget{port: port})
	}
	return s, skips
}

// headless shapes a headless service from the ready endpoints of every
// source cluster (contract rows 5 to 9). No ready endpoint anywhere, or
// EndpointSlices reported Absent (row 17), and it serves nothing.
func (b *builder) headless(si *object.ServiceImport, src serviceSource, base string, longestZone int, skips []skip) (shape, []skip) {
	if si.EndpointSlicesAbsent {
		return nil, skips
	}
	slicesOf := slices.Clone(src.EndpointSlices(si.Key()))
	// Map iteration and cache order vary; sorting keeps answers stable.
	slices.SortFunc(slicesOf, func(x, y *object.EndpointSlice) int { return cmp.Compare(x.Name, y.Name) })

	s := shape{}
	svc := &shapeNode{}
	for _, es := range slicesOf {
		obj := "EndpointSlice " + es.Namespace + "/" + es.Name
		bad := func(reason, detail string) {
			skips = append(skips, skip{object: obj, version: es.ResourceVersion, reason: reason, detail: detail})
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
			bad(skipUnsupportedFamily, es.AddressType)
			continue
		}
		if !es.HasCluster {
			bad(skipMissingCluster, "")
			continue
		}
		cluster, ok := dnsSubdomain(es.Cluster)
		if !ok {
			bad(skipInvalidCluster, es.Cluster)
			continue
		}
		ports := b.slicePorts(es, bad)
		for _, ep := range es.Endpoints {
			if !ep.Ready {
				continue
			}
			host := ""
			if ep.Hostname != "" {
				if host, ok = dnsLabel(ep.Hostname); !ok {
					bad(skipInvalidHostname, ep.Hostname)
					continue
				}
			}
			for _, raw := range ep.Addresses {
				a, ok := parseAddr(raw)
				if !ok || !want(a) {
					bad(skipInvalidIP, raw)
					continue
				}
				if !b.opts.addresses.permits(a) {
					bad(skipDisallowedIP, raw)
					continue
				}
				h := host
				if h == "" {
					h = endpointHostname(a)
				}
				prefix := h + "." + cluster
				if len(prefix)+1+len(base)+1+longestZone-1 > maxNameLen {
					bad(skipNameTooLong, prefix)
					continue
				}
				svc.addAddr(a)
				s.node(prefix).addAddr(a)
				for _, p := range ports {
					svc.srv = append(svc.srv, srvTarget{target: prefix, port: p.port})
					if p.prefix != "" {
						n := s.node(p.prefix)
						n.srv = append(n.srv, srvTarget{target: prefix, port: p.port})
					}
				}
			}
		}
	}
	if len(svc.v4) == 0 && len(svc.v6) == 0 {
		// No ready endpoint in any cluster: NXDOMAIN (contract row 6).
		return nil, skips
	}
	s[""] = svc
	return s, skips
}

// slicePort is an EndpointSlice port with the SRV name prefix it makes
// ("" when unnamed).
type slicePort struct {
	prefix string
	port   uint16
}

func (b *builder) slicePorts(es *object.EndpointSlice, bad func(reason, detail string)) []slicePort {
	var ports []slicePort
	for _, p := range es.Ports {
		port, ok := validPort(p.Port)
		if !ok {
			bad(skipInvalidPort, p.Name)
			continue
		}
		sp := slicePort{port: port}
		if p.Name != "" {
			if sp.prefix, ok = srvPrefix(p); !ok {
				bad(skipInvalidPort, p.Name+"/"+p.Protocol)
				continue
			}
		}
		ports = append(ports, sp)
	}
	return ports
}

// srvPrefix is the `_port._proto` prefix of a named port.
func srvPrefix(p object.Port) (string, bool) {
	portLabel, ok := srvPortLabel(p.Name)
	if !ok {
		return "", false
	}
	protoLabel, ok := srvProtoLabel(p.Protocol)
	if !ok {
		return "", false
	}
	return portLabel + "." + protoLabel, true
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

func sortedUnique(addrs []netip.Addr) []netip.Addr {
	slices.SortFunc(addrs, netip.Addr.Compare)
	return slices.Compact(addrs)
}

// materialize prepares the records of a shaped service under one zone;
// owner is the service's fully qualified name in that zone.
func (b *builder) materialize(s shape, owner string) map[string]*node {
	ttl := b.opts.ttl
	// Each name is made once and shared by its records and by the SRV
	// records that target it: a headless endpoint's name would otherwise be
	// held three times.
	names := make(map[string]string, len(s))
	for prefix := range s {
		if prefix == "" {
			names[prefix] = owner
		} else {
			names[prefix] = prefix + "." + owner
		}
	}
	fqdn := func(prefix string) string { return names[prefix] }
	nodes := make(map[string]*node, len(s))
	for prefix, sn := range s {
		if len(sn.v4) == 0 && len(sn.v6) == 0 && len(sn.srv) == 0 {
			nodes[prefix] = emptyNonTerminal
			continue
		}
		name := fqdn(prefix)
		n := &node{a: aRecords(name, sn.v4, ttl), aaaa: aaaaRecords(name, sn.v6, ttl)}
		nodes[prefix] = n
	}
	// SRV records and their glue come second: the glue of a target is its
	// address records, already made above.
	for prefix, sn := range s {
		if len(sn.srv) == 0 {
			continue
		}
		targets := sn.srv // sorted and unique since bound
		n := nodes[prefix]
		name := fqdn(prefix)
		// Equal weights: the records are alternatives of equal standing
		// (RFC 2782); 100 shared out as the kubernetes plugin does.
		weight := uint16(max(1, 100/len(targets)))
		n.srv = make([]dns.SRV, len(targets))
		for i, t := range targets {
			n.srv[i] = dns.SRV{
				Hdr:      dns.RR_Header{Name: name, Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: ttl},
				Priority: 0, Weight: weight, Port: t.port, Target: fqdn(t.target),
			}
		}
		for i, t := range targets {
			if i > 0 && targets[i-1].target == t.target {
				continue // sorted: a target's ports are neighbours
			}
			n.glue = append(n.glue, nodes[t.target])
		}
	}
	return nodes
}

func aRecords(name string, addrs []netip.Addr, ttl uint32) []dns.A {
	return addressRecords(addrs, func(a netip.Addr) dns.A {
		b := a.As4()
		return dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl}, A: net.IP(b[:])}
	})
}

func aaaaRecords(name string, addrs []netip.Addr, ttl uint32) []dns.AAAA {
	return addressRecords(addrs, func(a netip.Addr) dns.AAAA {
		b := a.As16()
		return dns.AAAA{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: ttl}, AAAA: net.IP(b[:])}
	})
}

// addressRecords makes one record per address, nil for none.
func addressRecords[T any](addrs []netip.Addr, record func(netip.Addr) T) []T {
	if len(addrs) == 0 {
		return nil
	}
	rrs := make([]T, len(addrs))
	for i, a := range addrs {
		rrs[i] = record(a)
	}
	return rrs
}
