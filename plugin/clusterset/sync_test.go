package clusterset

import (
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/internal/answer"
	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// testSyncer returns a syncer over src whose clock the test moves.
func testSyncer(t *testing.T, src answer.Source) (*syncer, *time.Time) {
	t.Helper()
	cs := newTestPlugin(t, "clusterset", nil)
	s := cs.newSyncerFor(src, newChangeQueue(), func() bool { return true })
	clock := time.Unix(1_900_000_000, 0)
	s.now = func() time.Time { return clock }
	return s, &clock
}

func batchOf(ns, name string) map[object.ServiceKey]time.Time {
	return map[object.ServiceKey]time.Time{{Namespace: ns, Name: name}: {}}
}

func TestSyncerSerial(t *testing.T) {
	src := contractSource()
	s, clock := testSyncer(t, src)
	s.apply(allKeys(src))
	first := s.current.Load()
	if first == nil || first.Serial() != uint32(clock.Unix()) {
		t.Fatalf("first snapshot serial = %v, want the build time", first)
	}

	t.Run("rebuilding unchanged data publishes nothing", func(t *testing.T) {
		*clock = clock.Add(time.Minute)
		s.apply(allKeys(src))
		if s.current.Load() != first {
			t.Errorf("a new snapshot was published for unchanged data")
		}
	})
	t.Run("a change that alters no answer publishes nothing", func(t *testing.T) {
		*clock = clock.Add(time.Minute)
		es := src.slices[object.ServiceKey{Namespace: "demo", Name: "db"}][0]
		es.ResourceVersion = "2"
		es.Endpoints[2].Addresses = object.NewAddresses("10.1.0.99") // the not-ready endpoint
		s.apply(batchOf("demo", "db"))
		if s.current.Load() != first {
			t.Errorf("a new snapshot was published for a change no answer shows")
		}
	})
	t.Run("a visible change moves the serial to its time", func(t *testing.T) {
		*clock = clock.Add(time.Minute)
		src.imports[object.ServiceKey{Namespace: "demo", Name: "web"}].IPs = []string{"10.0.0.20"}
		s.apply(batchOf("demo", "web"))
		next := s.current.Load()
		if next == first || next.Serial() != uint32(clock.Unix()) || next.SOA(0).Serial != next.Serial() {
			t.Fatalf("serial = %d (SOA %d), want %d", next.Serial(), next.SOA(0).Serial, clock.Unix())
		}
		if next.Service("db.demo") != first.Service("db.demo") {
			t.Errorf("an unchanged service was rebuilt instead of shared")
		}
	})
	t.Run("two changes in one second still move the serial", func(t *testing.T) {
		before := s.current.Load().Serial()
		src.imports[object.ServiceKey{Namespace: "demo", Name: "web"}].IPs = []string{"10.0.0.21"}
		s.apply(batchOf("demo", "web"))
		if got := s.current.Load().Serial(); got != before+1 {
			t.Errorf("serial = %d, want %d", got, before+1)
		}
	})
	t.Run("a deleted service stops being served", func(t *testing.T) {
		delete(src.imports, object.ServiceKey{Namespace: "other", Name: "kv"})
		s.apply(batchOf("other", "kv"))
		snap := s.current.Load()
		if snap.Service("kv.other") != nil {
			t.Errorf("kv.other still served")
		}
		if snap.Lookup("other.svc.", dns.TypeA).Kind != answer.NameError {
			t.Errorf("namespace other still an empty non-terminal with no service")
		}
	})
}

func TestSyncerCountsSkipsOncePerObjectVersion(t *testing.T) {
	src := newFakeSource("demo")
	si := src.addImport("demo", "bad", object.ClusterSetIP, []string{"10.0.0.1", "not-an-ip"})
	s, _ := testSyncer(t, src)
	counter := skippedTotal.WithLabelValues(answer.SkipInvalidIP)
	before := testutil.ToFloat64(counter)

	s.apply(allKeys(src))
	s.apply(batchOf("demo", "bad"))
	s.apply(batchOf("demo", "bad"))
	if got := testutil.ToFloat64(counter) - before; got != 1 {
		t.Errorf("skipped_total{invalid_ip} grew by %v over three builds of one version, want 1", got)
	}
	si.ResourceVersion = "2"
	s.apply(batchOf("demo", "bad"))
	if got := testutil.ToFloat64(counter) - before; got != 2 {
		t.Errorf("skipped_total{invalid_ip} grew by %v after a new version, want 2", got)
	}
	cs := &ClusterSet{zones: []zoneRecords{newZoneRecords("clusterset.local.", 5)}, preSyncSOA: []dns.SOA{{}}}
	cs.running.Store(&lifecycle{syncer: s})
	m, _ := query(t, cs, "bad.demo.svc.clusterset.local.", dns.TypeA, false)
	if len(m.Answer) != 1 {
		t.Errorf("the valid VIP beside the bad one is not served: %v", m.Answer)
	}
}

func TestSyncerGauges(t *testing.T) {
	src := contractSource()
	s, _ := testSyncer(t, src)
	g := testGauges(t, "dns://:53", "clusterset.local.")
	g.claim(false)
	s.gauges = g
	s.apply(allKeys(src))
	server, zone := g.labels.server, g.labels.zone
	// sleepy (no ready endpoint) and absent serve nothing.
	for typ, want := range map[string]float64{object.ClusterSetIP: 5, object.Headless: 3} {
		if got := testutil.ToFloat64(servicesServed.WithLabelValues(server, zone, typ)); got != want {
			t.Errorf("services{type=%s} = %v, want %v", typ, got, want)
		}
	}
	// db: 3 IPv4 + 1 IPv6; v6db: 1 IPv6; kv: 2 IPv4 + 1 IPv6.
	for family, want := range map[string]float64{"IPv4": 5, "IPv6": 3} {
		if got := testutil.ToFloat64(endpointsServed.WithLabelValues(server, zone, family)); got != want {
			t.Errorf("endpoints{family=%s} = %v, want %v", family, got, want)
		}
	}
}

func TestChangeQueueCoalesces(t *testing.T) {
	q := newChangeQueue()
	k := object.ServiceKey{Namespace: "demo", Name: "web"}
	early := time.Unix(100, 0)
	q.add(k, early)
	q.add(k, early.Add(time.Second))
	stop := make(chan struct{})
	batch, ok := q.take(stop)
	if !ok || len(batch) != 1 || !batch[k].Equal(early) {
		t.Fatalf("batch = %v, want one key seen at the earliest time", batch)
	}
	close(stop)
	if _, ok := q.take(stop); ok {
		t.Errorf("take returned a batch from an empty queue after stop")
	}
}
