package clusterset

import (
	"testing"

	"github.com/miekg/dns"
)

func TestAReloadAnswersFromThePreviousInstanceUntilItSyncs(t *testing.T) {
	api := silentAPI(t)
	src := newFakeSource("ns")
	src.addImport("ns", "web", "ClusterSetIP", []string{"10.0.0.1"})
	corefile := "clusterset {\n endpoint " + api + "\n}"
	old := newTestPlugin(t, corefile, src)
	oldSerial := old.snapshot().Serial()
	if err := old.offerHandoff(); err != nil {
		t.Fatal(err)
	}

	t.Run("a different data source takes nothing", func(t *testing.T) {
		other, _ := startAgainst(t, silentAPI(t), "")
		if m, rcode := query(t, other, "web.ns.svc.clusterset.local.", dns.TypeA, false); rcode != dns.RcodeServerFailure {
			t.Errorf("rcode %s from an instance of another API server, want SERVFAIL (not synced): %v", dns.RcodeToString[rcode], m)
		}
	})

	// The new instance's API never answers: every answer is the old one's.
	next, _ := startAgainst(t, api, "")
	m, rcode := query(t, next, "web.ns.svc.clusterset.local.", dns.TypeA, false)
	if rcode != dns.RcodeSuccess || len(m.Answer) != 1 || m.Answer[0].(*dns.A).A.String() != "10.0.0.1" {
		t.Fatalf("after the reload: rcode %s, answer %v; want the previous instance's 10.0.0.1", dns.RcodeToString[rcode], m.Answer)
	}
	// Ready while it answers the old data: a reload must not take the
	// replicas out of their Service.
	if !next.Ready() {
		t.Errorf("Ready() = false while answering the previous instance's data")
	}
	// The old instance still runs until OnShutdown: its changes are served.
	src.addImport("ns", "web", "ClusterSetIP", []string{"10.0.0.2"})
	old.running.Load().syncer.apply(allKeys(src))
	m, _ = query(t, next, "web.ns.svc.clusterset.local.", dns.TypeA, false)
	if len(m.Answer) != 1 || m.Answer[0].(*dns.A).A.String() != "10.0.0.2" {
		t.Errorf("after a change in the old instance: %v, want 10.0.0.2", m.Answer)
	}

	// Its own first snapshot drops the old data, with a later serial.
	lc := next.running.Load()
	lc.syncer.source = src
	lc.syncer.apply(allKeys(src))
	if lc.inherited.Load() != nil {
		t.Errorf("the previous instance is still held after the first own snapshot")
	}
	if got := next.snapshot().Serial(); got <= oldSerial {
		t.Errorf("serial %d after the reload, want past %d", got, oldSerial)
	}
}
