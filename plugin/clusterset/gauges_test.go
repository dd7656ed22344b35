package clusterset

import (
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/internal/answer"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// testGauges is an instance's gauges under labels of the test's own, taken
// back when the test ends.
func testGauges(t *testing.T, server, zone string) *instanceGauges {
	t.Helper()
	g := &instanceGauges{labels: gaugeLabels{server: server + "/" + t.Name(), zone: zone}}
	t.Cleanup(g.release)
	return g
}

func synced(g *instanceGauges) float64 {
	return testutil.ToFloat64(apiSynced.WithLabelValues(g.labels.server, g.labels.zone))
}

// seriesOf counts the series of vec that carry g's labels.
func seriesOf(vec *prometheus.GaugeVec, g *instanceGauges) int {
	ch := make(chan prometheus.Metric, 64)
	go func() {
		vec.Collect(ch)
		close(ch)
	}()
	n := 0
	for m := range ch {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			continue
		}
		got := map[string]string{}
		for _, l := range pb.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if got["server"] == g.labels.server && got["zone"] == g.labels.zone {
			n++
		}
	}
	return n
}

func TestGaugesOfTwoServerBlocksApart(t *testing.T) {
	a := testGauges(t, "dns://:53", "clusterset.local.")
	b := testGauges(t, "dns://:1053", "clusterset.local.")
	a.claim(false)
	b.claim(false)
	a.snapshotServed(&answer.Snapshot{}, true)
	if got := synced(a); got != 1 {
		t.Errorf("a: synced = %v, want 1", got)
	}
	if got := synced(b); got != 0 {
		t.Errorf("b: synced = %v, want 0: a's first snapshot is not b's", got)
	}
	a.reachable(false)
	b.reachable(true)
	if got := testutil.ToFloat64(apiReachable.WithLabelValues(a.labels.server, a.labels.zone)); got != 0 {
		t.Errorf("a: api_reachable = %v, want 0", got)
	}
	if got := testutil.ToFloat64(apiReachable.WithLabelValues(b.labels.server, b.labels.zone)); got != 1 {
		t.Errorf("b: api_reachable = %v, want 1", got)
	}
}

func TestGaugesAcrossAReload(t *testing.T) {
	old := testGauges(t, "dns://:53", "clusterset.local.")
	old.claim(false)
	old.snapshotServed(&answer.Snapshot{}, true)
	old.unreachable(2)

	// The new instance answers the old one's data: still synced.
	next := &instanceGauges{labels: old.labels}
	t.Cleanup(next.release)
	next.claim(true)
	if got := synced(next); got != 1 {
		t.Errorf("synced = %v after the new instance took over with the old one's data, want 1", got)
	}
	// The old one, still running until its OnShutdown, no longer publishes.
	old.unreachable(5)
	old.release()
	if got := testutil.ToFloat64(unreachableClusters.WithLabelValues(old.labels.server, old.labels.zone)); got != 2 {
		t.Errorf("unreachable_clusters = %v, want 2: the replaced instance wrote after the new one took over", got)
	}
	next.unreachable(1)
	if got := testutil.ToFloat64(unreachableClusters.WithLabelValues(next.labels.server, next.labels.zone)); got != 1 {
		t.Errorf("unreachable_clusters = %v, want the new instance's 1", got)
	}

	// A reload to an instance without the old data starts unsynced.
	fresh := &instanceGauges{labels: old.labels}
	t.Cleanup(fresh.release)
	fresh.claim(false)
	if got := synced(fresh); got != 0 {
		t.Errorf("synced = %v for a new instance without data, want 0", got)
	}

	// Stopping the publisher takes its series away; a replaced one does not.
	next.release()
	if n := seriesOf(apiSynced, fresh); n != 1 {
		t.Errorf("%d synced series after a replaced instance stopped, want 1", n)
	}
	fresh.release()
	if n := seriesOf(apiSynced, fresh); n != 0 {
		t.Errorf("%d synced series left after the last instance stopped, want 0", n)
	}
}

func TestGaugeLabels(t *testing.T) {
	for _, tc := range []struct {
		config dnsserver.Config
		want   string
	}{
		{config: dnsserver.Config{ListenHosts: []string{""}, Port: "53"}, want: "dns://:53"},
		{config: dnsserver.Config{ListenHosts: []string{"127.0.0.1"}, Port: "1053", Transport: "dns"}, want: "dns://127.0.0.1:1053"},
		{config: dnsserver.Config{ListenHosts: []string{"::1", "127.0.0.1"}, Port: "53", Transport: "tls"}, want: "tls://[::1]:53"},
	} {
		if got := serverLabel(&tc.config); got != tc.want {
			t.Errorf("server label of %+v = %q, want %q", tc.config, got, tc.want)
		}
	}
	zones := []zoneRecords{{origin: "west.example."}, {origin: "clusterset.local."}}
	if got, want := zoneLabel(zones), "clusterset.local.,west.example."; got != want {
		t.Errorf("zone label = %q, want %q", got, want)
	}
}
