package clusterset

import (
	"strings"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
)

// preferMode is how aggregate answers are ordered (`prefer`).
type preferMode uint8

const (
	preferNone  preferMode = iota // one tier: addresses in numerical order
	preferLocal                   // the local cluster's endpoints, then the rest
	preferZone                    // the local cluster in the local zone, then by distance
)

// Traffic distribution values of a ServiceImport (KEP-4444, carried over to
// ServiceImport by KEP-1645) that ask for same-zone endpoints first.
const (
	trafficPreferClose    = "PreferClose"
	trafficPreferSameZone = "PreferSameZone"
)

// locality is where this server stands when a batch of services is built:
// the options as resolved against the ClusterProperties of the moment. Every
// field may be unknown (empty); an unknown field orders nothing and filters
// nothing, so a missing ClusterProperty fails open.
type locality struct {
	cluster string
	zone    string
	region  string
	// unreachable holds the clusters the health source lists.
	unreachable map[string]struct{}
}

// localityOf resolves the options against the source's ClusterProperties.
func localityOf(opts *answerOptions, src serviceSource) locality {
	o := &opts.locality
	loc := locality{cluster: o.clusterID, zone: o.zone, region: o.region}
	props := src.ClusterProperties()
	if o.clusterIDFromProperty {
		// KEP-2149: the value is the cluster's ID, a DNS subdomain; one that
		// is not cannot be compared with source-cluster labels, which are.
		if id, ok := dnsSubdomain(strings.TrimSpace(props[object.PropertyClusterID])); ok {
			loc.cluster = id
		}
	}
	if o.zoneFromProperty {
		loc.zone = strings.TrimSpace(props[object.PropertyZone])
		loc.region = strings.TrimSpace(props[object.PropertyRegion])
	}
	if opts.healthProperty != "" {
		for id := range strings.FieldsFuncSeq(props[opts.healthProperty], func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
			if id, ok := dnsSubdomain(id); ok {
				if loc.unreachable == nil {
					loc.unreachable = map[string]struct{}{}
				}
				loc.unreachable[id] = struct{}{}
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
func (l *locality) tier(mode preferMode, cluster, zone string) uint16 {
	local := l.cluster != "" && cluster == l.cluster
	switch mode {
	case preferLocal:
		if local {
			return 0
		}
		return 1
	case preferZone:
		sameZone := l.zone != "" && strings.EqualFold(zone, l.zone)
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
func (l *locality) inRegion(zone string) bool {
	r := l.region
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
func (b *builder) modeFor(si *object.ServiceImport, loc *locality, endpointsAsVIP bool) preferMode {
	mode := b.opts.locality.prefer
	if loc.cluster == "" {
		// Without the cluster's identity `prefer` fails open: the answers
		// are those of a server without locality.
		mode = preferNone
	}
	if (si.TrafficDistribution == trafficPreferClose || si.TrafficDistribution == trafficPreferSameZone) && loc.zone != "" {
		mode = preferZone
	}
	if endpointsAsVIP && mode == preferNone && loc.cluster != "" {
		mode = preferLocal
	}
	return mode
}

// clusterFilter decides which source clusters serve a service: with
// internalTrafficPolicy Local only the local one (KEP-1645 carries the
// Service field over; unknown identity fails open), and without the
// clusters the health source lists unless healthy is false.
func (l *locality) clusterFilter(si *object.ServiceImport, healthy bool) func(cluster string) (ok bool, unreachable bool) {
	return func(cluster string) (bool, bool) {
		if si.LocalTrafficOnly && l.cluster != "" && cluster != l.cluster {
			return false, false
		}
		if healthy {
			if _, out := l.unreachable[cluster]; out {
				return false, true
			}
		}
		return true, false
	}
}
