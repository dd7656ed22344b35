package answer

// clusterSetIP shapes a ClusterSetIP service: its VIPs at the service name
// (served even with no endpoint, docs/dns-contract.md, the line "`S.N.svc.Z` A / AAAA, ClusterSetIP") and SRV records for its
// ports pointing at the service name (rows 4, 5). It has no per-endpoint
// names (docs/dns-contract.md, the line "`H.C.S.N.svc.Z` of a ClusterSetIP service"). With `answer endpoints`, an import without a VIP serves
// its endpoints' addresses at the service name instead.
func (sb *serviceBuild) clusterSetIP() (shape, Reason) {
	si := sb.si
	if sb.b.Opts.IgnoreEmptyService && !hasReadyEndpoint(sb.src.EndpointSlices(si.Key())) {
		return nil, ReasonNoReadyEndpoints
	}
	s := shape{}
	svc := s.node("")
	svc.aggregate = true
	filtered := sb.addVIPs(svc)
	if len(si.IPs) == 0 && sb.b.Opts.AnswerEndpoints {
		filtered = sb.addEndpointsAsVIP(svc)
	}
	if len(svc.v4) == 0 && len(svc.v6) == 0 && filtered {
		svc.why = ReasonAddressFiltered
	}
	sb.addPorts(s, svc)
	return s, ReasonNone
}

// addVIPs adds the valid and permitted spec.ips to the service name,
// reporting whether the address policy refused any.
func (sb *serviceBuild) addVIPs(svc *shapeNode) (filtered bool) {
	for _, ip := range sb.si.IPs {
		a, ok := parseAddr(ip)
		if !ok {
			sb.skip(SkipInvalidIP, ip)
			continue
		}
		if !sb.b.Opts.Addresses.Permits(a) {
			sb.skip(SkipDisallowedIP, ip)
			filtered = true
			continue
		}
		svc.addAddr(a, 0)
	}
	return filtered
}

// addEndpointsAsVIP adds the ready endpoints' addresses to the service
// name of an import without a VIP (`answer endpoints`), the local
// cluster's first, reporting whether the address policy refused any.
func (sb *serviceBuild) addEndpointsAsVIP(svc *shapeNode) (filtered bool) {
	eps, facts := sb.readyEndpoints(false)
	mode := sb.b.modeFor(sb.si, sb.loc, true)
	for _, e := range eps {
		svc.addAddr(e.addr, sb.loc.tier(mode, e.cluster, e.zone))
	}
	if len(eps) == 0 && !facts.filtered {
		svc.why = ReasonNoReadyEndpoints
	}
	return facts.filtered
}

// addPorts adds an SRV target at the service name for every valid port,
// and the `_port._proto` name of every named one.
func (sb *serviceBuild) addPorts(s shape, svc *shapeNode) {
	for _, p := range sb.si.Ports {
		port, ok := validPort(p.Port)
		if !ok {
			sb.skip(SkipInvalidPort, p.Name)
			continue
		}
		svc.srv = append(svc.srv, srvTarget{port: port})
		if p.Name == "" {
			// Unnamed ports have no SRV name (docs/dns-contract.md, the line "`_port._proto.S.N.svc.Z` SRV, ClusterSetIP").
			continue
		}
		prefix, ok := srvPrefix(p)
		if !ok {
			sb.skip(SkipInvalidPort, p.Name+"/"+p.Protocol)
			continue
		}
		n := s.node(prefix)
		n.srv = append(n.srv, srvTarget{port: port})
	}
}
