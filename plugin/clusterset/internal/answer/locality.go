package answer

import (
	"strings"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
)

// PreferMode is how aggregate answers are ordered (`prefer`).
type PreferMode uint8

const (
	PreferNone  PreferMode = iota // one tier: addresses in numerical order
	PreferLocal                   // the local cluster's endpoints, then the rest
	PreferZone                    // the local cluster in the local zone, then by distance
)

// Traffic distribution values of a ServiceImport (KEP-4444, carried over to
// ServiceImport by KEP-1645) that ask for same-zone endpoints first.
const (
	trafficPreferClose    = "PreferClose"
	trafficPreferSameZone = "PreferSameZone"
)

// Locality is where this server stands when a batch of services is built:
// the options as resolved against the ClusterProperties of the moment. Every
// field may be unknown (empty); an unknown field orders nothing and filters
// nothing, so a missing ClusterProperty fails open.
type Locality struct {
	Cluster string
	Zone    string
	Region  string
	// Unreachable holds the clusters the health source lists.
	Unreachable map[string]struct{}
}

// LocalityOf resolves the options against the source's ClusterProperties.
func LocalityOf(opts *Options, src Source) Locality {
	o := &opts.Locality
	loc := Locality{Cluster: o.ClusterID, Zone: o.Zone, Region: o.Region}
	props := src.ClusterProperties()
	if o.ClusterIDFromProperty {
		// KEP-2149: the value is the cluster's ID, a DNS subdomain; one that
		// is not cannot be compared with source-cluster labels, which are.
		if id, ok := DNSSubdomain(strings.TrimSpace(props[object.PropertyClusterID])); ok {
			loc.Cluster = id
		}
	}
	if o.ZoneFromProperty {
		loc.Zone = strings.TrimSpace(props[object.PropertyZone])
		loc.Region = strings.TrimSpace(props[object.PropertyRegion])
	}
	if opts.HealthProperty != "" {
		for id := range strings.FieldsFuncSeq(props[opts.HealthProperty], func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
			if id, ok := DNSSubdomain(id); ok {
				if loc.Unreachable == nil {
					loc.Unreachable = map[string]struct{}{}
				}
				loc.Unreachable[id] = struct{}{}
			}
		}
	}
	return loc
}

// tier ranks an endpoint of cluster (lower-cased) in zone for mode: lower
// is preferred. The tiers follow the distance a packet travels: the local
// cluster in this zone, the local cluster, another cluster in this zone,
// another cluster in this region, the rest. Cloud zone names begin with
// their region's (us-east-1a in us-east-1, europe-west1-b in europe-west1),
// which is how an endpoint, which carries only its zone, is placed in a
// region.
func (l *Locality) tier(mode PreferMode, cluster, zone string) uint16 {
	local := l.Cluster != "" && cluster == l.Cluster
	switch mode {
	case PreferLocal:
		if local {
			return 0
		}
		return 1
	case PreferZone:
		sameZone := l.Zone != "" && strings.EqualFold(zone, l.Zone)
		switch {
		case local && sameZone:
			return 0
		case local:
			return 1
		case sameZone:
			return 2
		case l.inRegion(zone):
			return 3
		}
		return 4
	}
	return 0
}

// inRegion reports whether zone lies in this server's region: it is the
// region's name followed by anything but a digit, so us-east-1a is in
// us-east-1 but us-east-10a is not.
func (l *Locality) inRegion(zone string) bool {
	r := l.Region
	if r == "" || len(zone) < len(r) || !strings.EqualFold(zone[:len(r)], r) {
		return false
	}
	return len(zone) == len(r) || zone[len(r)] < '0' || zone[len(r)] > '9'
}

// modeFor is the ordering of one service: the `prefer` option (none while
// the cluster ID is unknown), raised to
// zone order when the import asks for close endpoints and the local zone is
// known, and to local order for the endpoints of a VIP-less import (whose
// addresses are the clusters' Service IPs: the local one is closest).
func (b *Builder) modeFor(si *object.ServiceImport, loc *Locality, endpointsAsVIP bool) PreferMode {
	mode := b.Opts.Locality.Prefer
	if loc.Cluster == "" {
		// Without the cluster's identity `prefer` fails open: the answers
		// are those of a server without locality.
		mode = PreferNone
	}
	if (si.TrafficDistribution == trafficPreferClose || si.TrafficDistribution == trafficPreferSameZone) && loc.Zone != "" {
		mode = PreferZone
	}
	if endpointsAsVIP && mode == PreferNone && loc.Cluster != "" {
		mode = PreferLocal
	}
	return mode
}

// clusterFilter decides which source clusters serve a service: with
// internalTrafficPolicy Local only the local one (KEP-1645 carries the
// Service field over; unknown identity fails open), and without the
// clusters the health source lists unless healthy is false.
func (l *Locality) clusterFilter(si *object.ServiceImport, healthy bool) func(cluster string) (ok bool, unreachable bool) {
	return func(cluster string) (bool, bool) {
		if si.LocalTrafficOnly && l.Cluster != "" && cluster != l.Cluster {
			return false, false
		}
		if healthy {
			if _, out := l.Unreachable[cluster]; out {
				return false, true
			}
		}
		return true, false
	}
}
