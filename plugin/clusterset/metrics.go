package clusterset

import (
	"slices"

	"github.com/coredns/coredns/plugin"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// instanceLabels label every gauge with the instance that sets it
// (gauges.go): the CoreDNS server it runs in, as the server label of
// CoreDNS's own metrics spells it, and its zones.
var instanceLabels = []string{"server", "zone"}

var (
	servicesServed = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "services",
		Help:      "Imported services served, by type (ClusterSetIP or Headless).",
	}, slices.Concat(instanceLabels, []string{"type"}))

	endpointsServed = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "endpoints",
		Help:      "Ready endpoint addresses of headless services served, by address family (IPv4 or IPv6).",
	}, slices.Concat(instanceLabels, []string{"family"}))

	skippedTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "skipped_total",
		Help:      "Pieces of imported data skipped as invalid, by reason; counted once per object version.",
	}, []string{"reason"})

	snapshotRebuilds = promauto.NewCounter(prometheus.CounterOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "snapshot_rebuilds_total",
		Help:      "Answer snapshots published.",
	})

	snapshotBuildDuration = promauto.NewHistogram(prometheus.HistogramOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "snapshot_build_duration_seconds",
		Help:      "Time to rebuild the changed services and publish a snapshot.",
		Buckets:   prometheus.ExponentialBuckets(0.00005, 4, 10), // 50µs .. ~13s
	})

	programmingLatency = promauto.NewHistogram(prometheus.HistogramOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "programming_latency_seconds",
		Help:      "Time from a ServiceImport, EndpointSlice or Namespace change seen by the watch to the snapshot that serves it.",
		Buckets:   prometheus.ExponentialBuckets(0.0005, 2, 16), // 0.5ms .. ~16s
	})

	watchErrors = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "watch_errors_total",
		Help:      "Errors listing or watching the API, by resource (serviceimports, endpointslices, namespaces).",
	}, []string{"resource"})

	driftTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "cache_drift_total",
		Help:      "Objects the periodic consistency check found missing, extra or stale in the cache, by resource; each finding relists that resource.",
	}, []string{"resource"})

	apiReachable = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "api_reachable",
		Help:      "1 while the API server answers the plugin's probe, else 0.",
	}, instanceLabels)

	unreachableClusters = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "unreachable_clusters",
		Help:      "Clusters the cluster_health ClusterProperty lists as unreachable; their endpoints are left out of answers.",
	}, instanceLabels)

	failedOpenServices = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "failed_open_services",
		Help:      "Services answered from unreachable clusters because no other cluster had a ready endpoint.",
	}, instanceLabels)

	watchRestarts = promauto.NewCounter(prometheus.CounterOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "watch_restarts_total",
		Help:      "Times every watch was restarted at once because the API server answered again after an outage.",
	})

	apiSynced = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace,
		Subsystem: pluginName,
		Name:      "synced",
		Help:      "1 once every watch has synced and the first snapshot is served, else 0.",
	}, instanceLabels)
)
