package clusterset

import (
	"net"
	"slices"
	"strings"
	"sync"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/internal/answer"
	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/prometheus/client_golang/prometheus"
)

// Gauges per instance. Every gauge carries the labels of the instance that
// sets it, so that two server blocks with the directive each report their
// own. A reload makes a second instance with the same labels while the
// first still runs: the labels then have one publisher at a time, the
// newest instance, from its OnStartup on. The old one's values stay until
// the new one has its own (during the hand-off it answers the old one's
// data, so they are still true), and the old one publishes nothing more.

// gaugeLabels are the label values of one instance.
type gaugeLabels struct {
	server, zone string
}

// gaugePublishers holds, for each label set, the instance that publishes it.
var gaugePublishers = struct {
	mu sync.Mutex
	by map[gaugeLabels]*instanceGauges
}{by: map[gaugeLabels]*instanceGauges{}}

// instanceGauges sets the gauges of one instance. Its methods do nothing
// unless the instance is the publisher of its labels, and nothing on a nil
// receiver (the parts' unit tests run syncers of no instance).
type instanceGauges struct {
	labels gaugeLabels
}

// newInstanceGauges labels the gauges of the instance serving zones in the
// server block of config.
func newInstanceGauges(config *dnsserver.Config, zones []zoneRecords) *instanceGauges {
	return &instanceGauges{labels: gaugeLabels{server: serverLabel(config), zone: zoneLabel(zones)}}
}

// serverLabel is the server label CoreDNS's own metrics give the block's
// first listen address ("dns://:53", "dns://127.0.0.1:1053"), so that
// ours join theirs.
func serverLabel(config *dnsserver.Config) string {
	host := ""
	if len(config.ListenHosts) > 0 {
		host = config.ListenHosts[0]
	}
	transport := config.Transport
	if transport == "" {
		transport = "dns"
	}
	return transport + "://" + net.JoinHostPort(host, config.Port)
}

// zoneLabel is the instance's zones, sorted, separated by commas.
func zoneLabel(zones []zoneRecords) string {
	origins := make([]string, len(zones))
	for i := range zones {
		origins[i] = zones[i].origin
	}
	slices.Sort(origins)
	return strings.Join(origins, ",")
}

// claim makes g the publisher of its labels. Unless it answers from the
// data of the instance it replaces, it is not synced yet.
func (g *instanceGauges) claim(inherited bool) {
	if g == nil {
		return
	}
	gaugePublishers.mu.Lock()
	defer gaugePublishers.mu.Unlock()
	gaugePublishers.by[g.labels] = g
	if !inherited {
		apiSynced.WithLabelValues(g.labels.server, g.labels.zone).Set(0)
	}
}

// release removes g's series, if g still publishes them: the instance
// stops and no other took over.
func (g *instanceGauges) release() {
	if g == nil {
		return
	}
	gaugePublishers.mu.Lock()
	defer gaugePublishers.mu.Unlock()
	if gaugePublishers.by[g.labels] != g {
		return
	}
	delete(gaugePublishers.by, g.labels)
	match := prometheus.Labels{"server": g.labels.server, "zone": g.labels.zone}
	for _, v := range []*prometheus.GaugeVec{servicesServed, endpointsServed, apiReachable, unreachableClusters, failedOpenServices, apiSynced} {
		v.DeletePartialMatch(match)
	}
}

// publish runs set with g's label values if g is the publisher of its
// labels, under the lock that a claim takes, so that an instance replaced
// in between cannot overwrite its successor.
func (g *instanceGauges) publish(set func(server, zone string)) {
	if g == nil {
		return
	}
	gaugePublishers.mu.Lock()
	defer gaugePublishers.mu.Unlock()
	if gaugePublishers.by[g.labels] == g {
		set(g.labels.server, g.labels.zone)
	}
}

// snapshotServed publishes what snap serves; first says it is the
// instance's first snapshot, which makes it synced.
func (g *instanceGauges) snapshotServed(snap *answer.Snapshot, first bool) {
	n := snap.Counts()
	g.publish(func(server, zone string) {
		failedOpenServices.WithLabelValues(server, zone).Set(float64(n.FailedOpen))
		servicesServed.WithLabelValues(server, zone, object.ClusterSetIP).Set(float64(n.ByType[object.ClusterSetIP]))
		servicesServed.WithLabelValues(server, zone, object.Headless).Set(float64(n.ByType[object.Headless]))
		endpointsServed.WithLabelValues(server, zone, "IPv4").Set(float64(n.Ready4))
		endpointsServed.WithLabelValues(server, zone, "IPv6").Set(float64(n.Ready6))
		if first {
			apiSynced.WithLabelValues(server, zone).Set(1)
		}
	})
}

// unreachable publishes how many clusters are marked unreachable.
func (g *instanceGauges) unreachable(n int) {
	g.publish(func(server, zone string) { unreachableClusters.WithLabelValues(server, zone).Set(float64(n)) })
}

// reachable publishes whether the API server answers the probe.
func (g *instanceGauges) reachable(up bool) {
	v := 0.0
	if up {
		v = 1
	}
	g.publish(func(server, zone string) { apiReachable.WithLabelValues(server, zone).Set(v) })
}
