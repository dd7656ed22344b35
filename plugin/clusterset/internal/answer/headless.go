package answer

// headless shapes a headless service from the ready endpoints of every
// source cluster (docs/dns-contract.md rows 5 to 9). No ready endpoint anywhere, or
// EndpointSlices reported Absent (docs/dns-contract.md, the line "`status.endpointSliceObjects: Absent`"), and it serves nothing.
func (sb *serviceBuild) headless() (shape, Reason) {
	if sb.si.EndpointSlicesAbsent {
		return nil, ReasonSlicesAbsent
	}
	eps, facts := sb.readyEndpoints(true)
	if len(eps) == 0 {
		// No ready endpoint in any cluster: NXDOMAIN (docs/dns-contract.md, the line "`S.N.svc.Z` A / AAAA, headless").
		if facts.filtered {
			return nil, ReasonAddressFiltered
		}
		return nil, ReasonNoReadyEndpoints
	}
	s := shape{}
	svc := sb.addEndpoints(s, eps)
	s[""] = svc
	if sb.b.sharesNodes() {
		sb.completeScopes(s, svc)
	}
	return s, ReasonNone
}

// addEndpoints adds every endpoint to the shape: its address and SRV
// targets at the service name (returned), its own name, the named-port SRV
// names, and its zone's and cluster's scoped names.
func (sb *serviceBuild) addEndpoints(s shape, eps []endpointAddr) *shapeNode {
	mode := sb.b.modeFor(sb.si, sb.loc, false)
	svc := &shapeNode{aggregate: true}
	for _, e := range eps {
		tier := sb.loc.tier(mode, e.cluster, e.zone)
		svc.addAddr(e.addr, tier)
		s.endpoint(e).addAddr(e.addr, tier)
		for _, p := range e.ports {
			t := srvTarget{target: e.prefix, port: p.port, tier: tier}
			svc.srv = append(svc.srv, t)
			if p.prefix != "" {
				n := s.node(p.prefix)
				n.aggregate = true
				n.srv = append(n.srv, t)
			}
		}
		if sb.b.Opts.ScopedZone && e.zone != "" {
			sb.scoped(s, e.zone, scopeZone).add(e, tier)
		}
		if sb.b.Opts.ScopedCluster {
			sb.scoped(s, e.cluster, scopeCluster).add(e, tier)
		}
	}
	return svc
}

// completeScopes makes the `pin.SCOPE` and `prefer.SCOPE` roots, and
// answers the scoped names that got no endpoint of their own: a zone or
// cluster with none here, but with one in a deeper dotted zone ("b" under
// "a.b"), was made an empty non-terminal on the way. Its prefer name
// widens to the whole service; its pin name has nothing, as any zone or
// cluster without endpoints.
func (sb *serviceBuild) completeScopes(s shape, svc *shapeNode) {
	for _, scope := range sb.b.scopes() {
		pin, prefer := scopeRoots(scope)
		s.node(pin)
		s.node(prefer)
	}
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
}

// scoped returns the node shared by `VALUE.pin.SCOPE` and
// `VALUE.prefer.SCOPE`, or a throwaway node when those names would be too
// long to serve.
func (sb *serviceBuild) scoped(s shape, value, scope string) *shapeNode {
	pin, prefer := scopedPrefixes(value, scope)
	if !sb.w.fits(prefer) {
		return &shapeNode{}
	}
	n := s.node(pin)
	if existing, ok := s[prefer]; !ok || existing != n {
		s.ancestors(prefer)
		s[prefer] = n
	}
	return n
}
