package answer

import (
	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
)

// Builder turns the cached objects of one service into its answers, applying
// every rule of the MCS DNS contract (docs/dns-contract.md). It
// reads the source and nothing else, and holds no state between builds.
type Builder struct {
	// Zones are the plugin's zones, lower-cased and fully qualified: the
	// longest bounds the names. The records serve every zone alike.
	Zones []string
	Opts  Options
}

// Build returns the answers of the service key, or nil when it serves
// nothing (every name under it is NXDOMAIN), and the data it left out. It
// resolves the locality itself; the syncer resolves it once per batch.
func (b *Builder) Build(key object.ServiceKey, src Source) (*Service, []Skip) {
	loc := LocalityOf(&b.Opts, src)
	return b.BuildAt(key, src, &loc)
}

// BuildAt is Build at a resolved locality.
func (b *Builder) BuildAt(key object.ServiceKey, src Source, loc *Locality) (*Service, []Skip) {
	si := src.ServiceImport(key)
	if si == nil {
		return nil, nil
	}
	sb := serviceBuild{b: b, key: key, si: si, src: src, loc: loc}
	ans := sb.service()
	return ans, sb.skips
}

// serviceBuild is one build of one service: its inputs, the data left
// out so far, and whether health failed open. Its methods are the steps
// of a build.
type serviceBuild struct {
	b   *Builder
	key object.ServiceKey
	si  *object.ServiceImport
	src Source
	loc *Locality
	// w is what the length of the service's names is checked against, set
	// by admit.
	w walkLimits
	// skips is the data left out so far.
	skips []Skip
	// failedOpen is set when every cluster with endpoints is listed
	// unreachable and the endpoints were gathered from them anyway.
	failedOpen bool
}

// service builds the service's answers: admit the import, shape its names,
// bound them, and make their records, which serve every zone.
func (sb *serviceBuild) service() *Service {
	if why, ok := sb.admit(); !ok {
		return sb.unserved(why)
	}
	s, why := sb.shape()
	if s == nil {
		return sb.unserved(why)
	}
	sb.bound(s)
	ans := &Service{typ: sb.si.Type, failedOpen: sb.failedOpen}
	if sb.si.Type == object.Headless {
		ans.ready4, ans.ready6 = len(s[""].v4), len(s[""].v6)
	}
	sb.b.materialize(s, ans)
	return ans
}

// admit checks that the import may serve and that its names can be made:
// a served namespace, valid labels, a service name that fits every zone.
// It sets the name limits, or returns why the import serves nothing.
func (sb *serviceBuild) admit() (Reason, bool) {
	key := sb.key
	if !sb.src.NamespaceServed(key.Namespace) {
		// Namespace sameness: no local namespace, no answer (docs/dns-contract.md, the line "no ServiceImport").
		return ReasonNamespaceAbsent, false
	}
	if _, denied := sb.b.Opts.DeniedNamespaces[key.Namespace]; denied {
		sb.skip(SkipDeniedNamespace, key.Namespace)
		return ReasonNamespaceDenied, false
	}
	name, okName := DNSLabel(key.Name)
	namespace, okNamespace := DNSLabel(key.Namespace)
	if !okName || !okNamespace {
		sb.skip(SkipInvalidName, key.String())
		return ReasonNone, false
	}
	// The longest name under the service must fit every zone: check the
	// service name now and each longer name when it is made.
	sb.w = walkLimits{base: serviceBase(name, namespace), longestZone: sb.b.longestZone()}
	if !sb.w.serviceFits() {
		sb.skip(SkipNameTooLong, sb.w.base)
		return ReasonNone, false
	}
	return ReasonNone, true
}

// shape shapes the service's names by its type.
func (sb *serviceBuild) shape() (shape, Reason) {
	switch sb.si.Type {
	case object.ClusterSetIP:
		return sb.clusterSetIP()
	case object.Headless:
		return sb.headless()
	}
	sb.skip(SkipUnknownType, sb.si.Type)
	return nil, ReasonNone
}

// bound bounds every node of the shape (shapeNode.bound), each shared
// node once, and records the names cut for max_addresses.
func (sb *serviceBuild) bound(s shape) {
	// Only scoped names share nodes between prefixes; without them each
	// node is bounded once anyway, and a set to tell would cost a map.
	var bounded map[*shapeNode]bool
	if sb.b.sharesNodes() {
		bounded = make(map[*shapeNode]bool, len(s))
	}
	for prefix, n := range s {
		if bounded[n] {
			continue
		}
		if bounded != nil {
			bounded[n] = true
		}
		if n.bound(sb.b.Opts.MaxAddresses, sb.b.Opts.Locality.Restrict) {
			sb.skip(SkipTooManyAddresses, prefix)
		}
	}
}

// skip records a piece of the ServiceImport left out.
func (sb *serviceBuild) skip(reason, detail string) {
	sb.skips = append(sb.skips, Skip{Object: "ServiceImport " + sb.key.String(), Version: sb.si.ResourceVersion, Reason: reason, Detail: detail})
}

// unserved is what an import that serves nothing leaves in the snapshot: a
// record of why, when the reason is known and will be told to clients, or
// nothing.
func (sb *serviceBuild) unserved(why Reason) *Service {
	if why == ReasonNone || !sb.b.Opts.ExtendedErrors {
		return nil
	}
	return &Service{typ: sb.si.Type, why: why}
}

// longestZone is the length of the longest zone.
func (b *Builder) longestZone() int {
	longest := 0
	for _, z := range b.Zones {
		longest = max(longest, len(z))
	}
	return longest
}

// sharesNodes reports whether two prefixes of a shape may share one node:
// only with scoped names (a zone's pin and prefer names, prefer names that
// widen to the service).
func (b *Builder) sharesNodes() bool { return b.Opts.ScopedZone || b.Opts.ScopedCluster }

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
