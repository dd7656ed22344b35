package answer

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
)

// walkLimits is what the length of an endpoint's names is checked against.
type walkLimits struct {
	base        string // "S.N.svc"
	longestZone int
}

// fits reports whether prefix.S.N.svc.Z fits every zone.
func (w walkLimits) fits(prefix string) bool {
	return len(prefix)+1+len(w.base)+1+w.longestZone-1 <= maxNameLen
}

// serviceFits reports whether S.N.svc.Z fits every zone.
func (w walkLimits) serviceFits() bool {
	return len(w.base)+1+w.longestZone-1 <= maxNameLen
}

// endpointAddr is one ready, valid and permitted address of an endpoint.
type endpointAddr struct {
	addr netip.Addr
	// prefix is the endpoint's name prefix "H.C", and host its label H
	// (only when names are made).
	prefix  string
	host    string
	cluster string // lower-cased
	zone    string // lower-cased; empty when unset or not a DNS name
	ports   []slicePort
}

// walkFacts tells why a walk found fewer addresses than the slices hold.
type walkFacts struct {
	filtered    bool // some address was refused by the address policy
	unreachable bool // some cluster was left out as unreachable
}

// slicePort is an EndpointSlice port with the SRV name prefix it makes
// ("" when unnamed).
type slicePort struct {
	prefix string
	port   uint16
}

// readyEndpoints gathers the ready addresses of the service's slices in
// the clusters that serve it, skipping bad data piece by piece. When
// leaving the unreachable clusters out leaves nothing, it gathers them all:
// health fails open (failedOpen) rather than take a service away. names
// asks for the endpoints' name prefixes too.
func (sb *serviceBuild) readyEndpoints(names bool) ([]endpointAddr, walkFacts) {
	w := sb.walk(sb.loc.clusterFilter(sb.si, true), names)
	if len(w.eps) == 0 && w.facts.unreachable {
		// The second walk sees everything the first did: its skips stand
		// for both.
		w = sb.walk(sb.loc.clusterFilter(sb.si, false), names)
		sb.failedOpen = len(w.eps) > 0
	}
	sb.skips = append(sb.skips, w.skips...)
	return w.eps, w.facts
}

// endpointWalk is one pass over a service's slices: what it accepts, and
// what it found.
type endpointWalk struct {
	opts   *Options
	limits walkLimits
	// accept tells whether a cluster serves, and whether it is left out
	// as unreachable.
	accept func(cluster string) (ok bool, unreachable bool)
	// names asks for the endpoints' name prefixes.
	names bool
	eps   []endpointAddr
	facts walkFacts
	skips []Skip
}

// walkedSlice is a slice the walk accepted, with what its endpoints share.
type walkedSlice struct {
	es      *object.EndpointSlice
	want    func(netip.Addr) bool // the slice's address family
	cluster string
	ports   []slicePort
}

// walk gathers the addresses of the service's slices whose cluster accept
// takes.
func (sb *serviceBuild) walk(accept func(string) (bool, bool), names bool) endpointWalk {
	slicesOf := slices.Clone(sb.src.EndpointSlices(sb.si.Key()))
	// Map iteration and cache order vary; sorting keeps answers stable.
	slices.SortFunc(slicesOf, func(x, y *object.EndpointSlice) int { return cmp.Compare(x.Name, y.Name) })
	size := 0
	for _, es := range slicesOf {
		for _, ep := range es.Endpoints {
			size += ep.Addresses.Len()
		}
	}
	w := endpointWalk{opts: &sb.b.Opts, limits: sb.w, accept: accept, names: names, eps: make([]endpointAddr, 0, size)}
	for _, es := range slicesOf {
		w.slice(es)
	}
	return w
}

// slice walks the ready endpoints of one slice, when its family answers
// and its source cluster is valid and serves.
func (w *endpointWalk) slice(es *object.EndpointSlice) {
	want, ok := w.family(es)
	if !ok {
		return
	}
	if !es.HasCluster {
		w.skip(es, SkipMissingCluster, "")
		return
	}
	cluster, ok := DNSSubdomain(es.Cluster)
	if !ok {
		w.skip(es, SkipInvalidCluster, es.Cluster)
		return
	}
	if ok, unreachable := w.accept(cluster); !ok {
		w.facts.unreachable = w.facts.unreachable || unreachable
		return
	}
	sl := walkedSlice{es: es, want: want, cluster: cluster, ports: w.ports(es)}
	for i := range es.Endpoints {
		if es.Endpoints[i].Ready {
			w.endpoint(&sl, &es.Endpoints[i])
		}
	}
}

// family returns the address family a slice answers with, or false for a
// slice that answers nothing.
func (w *endpointWalk) family(es *object.EndpointSlice) (func(netip.Addr) bool, bool) {
	switch es.AddressType {
	case object.AddressTypeIPv4:
		return netip.Addr.Is4, true
	case object.AddressTypeIPv6:
		return netip.Addr.Is6, true
	case "FQDN":
		// FQDN slices carry no address to answer with (contract, data table).
		return nil, false
	}
	w.skip(es, SkipUnsupportedFamily, es.AddressType)
	return nil, false
}

// endpoint walks the addresses of one ready endpoint.
func (w *endpointWalk) endpoint(sl *walkedSlice, ep *object.Endpoint) {
	host := ""
	if w.names && ep.Hostname != "" {
		var ok bool
		if host, ok = DNSLabel(ep.Hostname); !ok {
			w.skip(sl.es, SkipInvalidHostname, ep.Hostname)
			return
		}
	}
	zone, _ := DNSSubdomain(ep.Zone)
	for addr := range ep.Addresses.All() {
		w.address(sl, host, zone, addr)
	}
}

// address adds one address of an endpoint when it is valid, of the
// slice's family, permitted, and its name fits.
func (w *endpointWalk) address(sl *walkedSlice, host, zone string, addr object.Address) {
	a, ok := parseEndpointAddr(addr)
	if !ok || !sl.want(a) {
		w.skip(sl.es, SkipInvalidIP, addr.String())
		return
	}
	if !w.opts.Addresses.Permits(a) {
		w.skip(sl.es, SkipDisallowedIP, addr.String())
		w.facts.filtered = true
		return
	}
	e := endpointAddr{addr: a, cluster: sl.cluster, zone: zone, ports: sl.ports}
	if w.names {
		if host == "" {
			host = endpointHostname(a)
		}
		e.host, e.prefix = host, endpointPrefix(host, sl.cluster)
		if !w.limits.fits(e.prefix) {
			w.skip(sl.es, SkipNameTooLong, e.prefix)
			return
		}
	}
	w.eps = append(w.eps, e)
}

// ports returns the valid ports of a slice with their SRV name prefixes.
func (w *endpointWalk) ports(es *object.EndpointSlice) []slicePort {
	var ports []slicePort
	for _, p := range es.Ports {
		port, ok := validPort(p.Port)
		if !ok {
			w.skip(es, SkipInvalidPort, p.Name)
			continue
		}
		sp := slicePort{port: port}
		if p.Name != "" {
			if sp.prefix, ok = srvPrefix(p); !ok {
				w.skip(es, SkipInvalidPort, p.Name+"/"+p.Protocol)
				continue
			}
		}
		ports = append(ports, sp)
	}
	return ports
}

// skip records a piece of the slice left out.
func (w *endpointWalk) skip(es *object.EndpointSlice, reason, detail string) {
	w.skips = append(w.skips, Skip{Object: "EndpointSlice " + es.Namespace + "/" + es.Name, Version: es.ResourceVersion, Reason: reason, Detail: detail})
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
			if ep.Ready && ep.Addresses.Len() > 0 {
				return true
			}
		}
	}
	return false
}
