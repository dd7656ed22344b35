package answer

import (
	"strings"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
)

// The grammar of the names, written once: the builder makes the names with
// these functions, and Snapshot.Lookup takes query names apart by
// the same labels and keys. The names under a zone Z are:
//
//	svc.Z                     empty non-terminal while any service is served
//	N.svc.Z                   empty non-terminal while N has a served service
//	S.N.svc.Z                 the service (A, AAAA, SRV)
//	_port._proto.S.N.svc.Z    named-port SRV
//	_proto.S.N.svc.Z          empty non-terminal
//	H.C.S.N.svc.Z             headless endpoint; C may hold dots (KEP-2149)
//	C.S.N.svc.Z               empty non-terminal (and its dotted suffixes)
//	V.pin._zone.S.N.svc.Z     with scoped_names: zone V (or cluster V, under
//	V.prefer._zone.S.N.svc.Z  _cluster) of a headless service; V may hold dots
//
// Anything else is NXDOMAIN. A service's names are held by their prefix,
// the labels before S.N.svc.Z ("" for the service name itself).

// svcLabel is the label under the zone that every service name ends in.
const svcLabel = "svc"

// Labels of the scoped names (`scoped_names`), after the kubernetes
// plugin's zonal names: `ZONE.pin._zone.S…` and `C.pin._cluster.S…`.
const (
	scopeZone    = "_zone"
	scopeCluster = "_cluster"
	scopePin     = "pin"
	scopePrefer  = "prefer"
)

// serviceBase is a service's name less the zone, "S.N.svc", from its
// lower-cased name and namespace labels.
func serviceBase(name, namespace string) string {
	return name + "." + namespace + "." + svcLabel
}

// LookupKey is the key of a service in a snapshot, "S.N": its name and
// namespace lower-cased, as Lookup finds them in a query name.
func LookupKey(key object.ServiceKey) string {
	return strings.ToLower(key.Name) + "." + strings.ToLower(key.Namespace)
}

// namespaceOfKey is the namespace label of a lookup key.
func namespaceOfKey(key string) string { return key[strings.IndexByte(key, '.')+1:] }

// ownerName is the fully qualified name of prefix under a service whose
// name in the zone is owner.
func ownerName(prefix, owner string) string {
	if prefix == "" {
		return owner
	}
	return prefix + "." + owner
}

// endpointPrefix is the prefix of a headless endpoint's name, "H.C".
func endpointPrefix(host, cluster string) string { return host + "." + cluster }

// scopeRoots are the empty non-terminals `pin.SCOPE` and `prefer.SCOPE`
// that the scoped names of a scope lie under.
func scopeRoots(scope string) (pin, prefer string) {
	return scopePin + "." + scope, scopePrefer + "." + scope
}

// scopedPrefixes are the two prefixes that name VALUE in scope: the pin
// name and the prefer name.
func scopedPrefixes(value, scope string) (pin, prefer string) {
	// One concatenation each: the builder calls this per endpoint.
	return value + "." + scopePin + "." + scope, value + "." + scopePrefer + "." + scope
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

// isScopedPrefer reports whether prefix is `VALUE.prefer._zone` or
// `VALUE.prefer._cluster`.
func isScopedPrefer(prefix string) bool {
	return strings.HasSuffix(prefix, "."+scopePrefer+"."+scopeZone) || strings.HasSuffix(prefix, "."+scopePrefer+"."+scopeCluster)
}

// isScopedPin reports whether prefix is `VALUE.pin._zone` or
// `VALUE.pin._cluster`.
func isScopedPin(prefix string) bool {
	return strings.HasSuffix(prefix, "."+scopePin+"."+scopeZone) || strings.HasSuffix(prefix, "."+scopePin+"."+scopeCluster)
}

// isScoped reports whether prefix lies in the scoped names, which answer
// any VALUE and so are left out of zone transfers.
func isScoped(prefix string) bool {
	return prefix == scopeZone || prefix == scopeCluster ||
		strings.HasSuffix(prefix, "."+scopeZone) || strings.HasSuffix(prefix, "."+scopeCluster)
}

// under reports whether prefix lies below the prefix root ("V.root").
func under(prefix, root string) bool {
	return len(prefix) > len(root) && prefix[len(prefix)-len(root)-1] == '.' && strings.HasSuffix(prefix, root)
}
