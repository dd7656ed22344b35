package clusterset

import (
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/internal/answer"
	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"

	"github.com/miekg/dns"
)

// syncPollInterval is how often the sync loop checks whether the watch
// caches have synced before it builds the first snapshot.
const syncPollInterval = 20 * time.Millisecond

// syncer is the update path: it takes the service keys the watch side
// queued, rebuilds those services and publishes a new snapshot when an
// answer changed. One goroutine runs it; the handler only loads current.
type syncer struct {
	build  answer.Builder
	zones  []zoneRecords
	source answer.Source
	queue  *changeQueue
	// synced reports whether every watch cache has synced.
	synced func() bool
	now    func() time.Time

	current atomic.Pointer[answer.Snapshot]
	// initialSerial is the serial served before the first snapshot, which
	// must come after it.
	initialSerial uint32
	// predecessor, when set, returns the snapshot of the instance this one
	// replaces on a reload, whose serial the first snapshot must pass;
	// firstPublished runs once that first snapshot is out.
	predecessor    func() *answer.Snapshot
	firstPublished func()

	// gauges publishes what the snapshots serve; nil publishes nothing.
	gauges *instanceGauges

	// lastLocality is the locality of the last batch, to log changes.
	lastLocality answer.Locality
	// skips holds, per service, the ids of the data its last build left
	// out, so each is logged and counted once per object version. Only the
	// run goroutine touches it.
	skips map[object.ServiceKey]map[string]struct{}
}

func newSyncer(b answer.Builder, zones []zoneRecords, source answer.Source, queue *changeQueue, synced func() bool) *syncer {
	return &syncer{
		build: b, zones: zones, source: source, queue: queue, synced: synced,
		now:   time.Now,
		skips: map[object.ServiceKey]map[string]struct{}{},
	}
}

// run builds the first snapshot once the caches synced, then applies queued
// changes until stop closes.
func (s *syncer) run(stop <-chan struct{}) {
	tick := time.NewTicker(syncPollInterval)
	for !s.synced() {
		select {
		case <-stop:
			tick.Stop()
			return
		case <-tick.C:
		}
	}
	tick.Stop()

	// Everything queued so far is covered by the full build.
	s.queue.drain()
	all := map[object.ServiceKey]time.Time{}
	for _, key := range s.source.ServiceKeys() {
		all[key] = time.Time{}
	}
	s.apply(all)

	for {
		batch, ok := s.queue.take(stop)
		if !ok {
			return
		}
		s.apply(batch)
	}
}

// apply rebuilds the services in batch and publishes a snapshot when one of
// their answers changed, or when none was published yet.
func (s *syncer) apply(batch map[object.ServiceKey]time.Time) {
	start := s.now()
	old := s.current.Load()
	first := old == nil
	if first {
		serial := s.initialSerial
		if s.predecessor != nil {
			if prev := s.predecessor(); prev != nil && prev.Serial() > serial {
				serial = prev.Serial()
			}
		}
		old = answer.NewSnapshot(serial)
	}
	changed := map[string]*answer.Service{}
	loc := answer.LocalityOf(&s.build.Opts, s.source)
	s.noteLocality(&loc, first)
	for key := range batch {
		ans, skips := s.build.BuildAt(key, s.source, &loc)
		s.noteSkips(key, skips)
		lookup := answer.LookupKey(key)
		if prev := old.Service(lookup); !prev.Equal(ans) {
			changed[lookup] = ans
		}
	}
	if len(changed) > 0 || first {
		serial := nextSerial(old.Serial(), start)
		soa := make([]dns.SOA, len(s.zones))
		for i := range s.zones {
			soa[i] = s.zones[i].soa(serial, s.build.Opts.TTL)
		}
		next := old.With(changed, serial, soa)
		s.current.Store(next)
		snapshotRebuilds.Inc()
		snapshotBuildDuration.Observe(s.now().Sub(start).Seconds())
		s.gauges.snapshotServed(next, first)
		if first {
			log.Infof("Serving %d imported services", next.Size())
			if s.firstPublished != nil {
				s.firstPublished()
			}
		}
	}
	done := s.now()
	for _, seen := range batch {
		if !seen.IsZero() && !first {
			programmingLatency.Observe(done.Sub(seen).Seconds())
		}
	}
}

// nextSerial is the SOA serial for a change made at now: the time in
// seconds, and always past the previous serial even when two changes share a
// second (RFC 1982 arithmetic is not needed: seconds since 1970 fit until
// 2106).
func nextSerial(prev uint32, now time.Time) uint32 {
	serial := uint32(now.Unix())
	if serial <= prev {
		serial = prev + 1
	}
	return serial
}

// noteSkips logs and counts the data a build of key left out that its
// previous build did not: a bad value stays skipped quietly until its object
// changes.
func (s *syncer) noteSkips(key object.ServiceKey, skips []answer.Skip) {
	prev := s.skips[key]
	if len(skips) == 0 {
		delete(s.skips, key)
		return
	}
	next := make(map[string]struct{}, len(skips))
	for _, sk := range skips {
		id := sk.ID()
		if _, dup := next[id]; dup {
			continue
		}
		next[id] = struct{}{}
		if _, seen := prev[id]; seen {
			continue
		}
		skippedTotal.WithLabelValues(sk.Reason).Inc()
		log.Warningf("Skipped %s (resourceVersion %s): %s %q", sk.Object, sk.Version, sk.Reason, sk.Detail)
	}
	s.skips[key] = next
}

// noteLocality logs the cluster identity and the unreachable clusters when
// they change, and publishes the unreachable count.
func (s *syncer) noteLocality(loc *answer.Locality, first bool) {
	prev := &s.lastLocality
	if first && loc.Cluster == "" && s.build.Opts.Locality.ClusterIDFromProperty {
		log.Warningf("No ClusterProperty %s yet: answers are not ordered by cluster until it exists", object.PropertyClusterID)
	}
	if loc.Cluster != prev.Cluster {
		if loc.Cluster == "" {
			log.Infof("This cluster's ID is not known: answers are not ordered by cluster")
		} else {
			log.Infof("This cluster's ID is %q", loc.Cluster)
		}
	}
	if loc.Zone != prev.Zone || loc.Region != prev.Region {
		log.Infof("This server's topology: zone %q, region %q", loc.Zone, loc.Region)
	}
	if !maps.Equal(loc.Unreachable, prev.Unreachable) {
		log.Infof("Clusters marked unreachable: %v", slices.Sorted(maps.Keys(loc.Unreachable)))
	}
	s.gauges.unreachable(len(loc.Unreachable))
	s.lastLocality = *loc
}
