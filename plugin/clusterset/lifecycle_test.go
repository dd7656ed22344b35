package clusterset

import (
	"net"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"

	"github.com/coredns/caddy"

	"github.com/miekg/dns"
)

// silentAPI is a TCP listener that accepts connections and never answers:
// an API server that is not there yet, without the quick refusal of a
// closed port.
func silentAPI(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	return "http://" + l.Addr().String()
}

// startAgainst parses corefile with the endpoint of api and runs
// OnStartup, returning the instance and how long OnStartup took.
func startAgainst(t *testing.T, api, options string) (*ClusterSet, time.Duration) {
	t.Helper()
	c := caddy.NewTestController("dns", "clusterset {\n endpoint "+api+"\n"+options+"}")
	c.ServerBlockKeys = []string{"clusterset.local.:53"}
	cs, err := parse(c)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	start := time.Now()
	if err := cs.OnStartup(); err != nil {
		t.Fatalf("OnStartup: %v", err)
	}
	took := time.Since(start)
	t.Cleanup(func() { _ = cs.OnShutdown() })
	return cs, took
}

func TestOnStartupAnswersBeforeTheFirstSync(t *testing.T) {
	api := silentAPI(t)
	t.Run("by default it does not wait for the API", func(t *testing.T) {
		cs, took := startAgainst(t, api, "")
		// The API never answers: any wait would last until a deadline.
		if took > time.Second {
			t.Errorf("OnStartup took %v with an API that never answers, want no wait", took)
		}
		if cs.Ready() {
			t.Errorf("Ready() before any sync")
		}
		m, rcode := query(t, cs, "web.ns.svc.clusterset.local.", dns.TypeA, false)
		if rcode != dns.RcodeServerFailure || (m != nil && m.Rcode != dns.RcodeServerFailure) {
			t.Errorf("rcode %s before the first sync, want SERVFAIL", dns.RcodeToString[rcode])
		}
	})
	t.Run("startup_timeout holds it until then", func(t *testing.T) {
		_, took := startAgainst(t, api, " startup_timeout 300ms\n")
		if took < 300*time.Millisecond {
			t.Errorf("OnStartup returned after %v, want the 300ms hold", took)
		}
	})
}

func TestAfterShutdownTheLastSnapshotStillAnswers(t *testing.T) {
	src := newFakeSource("ns")
	src.addImport("ns", "web", "ClusterSetIP", []string{"10.0.0.1"})
	cs := newTestPlugin(t, "clusterset", src)
	// A lifecycle as OnStartup makes it, over the fake source: a watcher
	// that never started and a sync loop that runs until stopped.
	lc := cs.running.Load()
	lc.watcher = newWatcher(cs.watch, func(object.ServiceKey, time.Time) {})
	lc.stop, lc.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(lc.done)
		<-lc.stop
	}()
	if !cs.Ready() {
		t.Fatal("not Ready before the shutdown")
	}

	if err := cs.OnShutdown(); err != nil {
		t.Fatal(err)
	}
	// What the server answers during the health plugin's lameduck wait.
	m, rcode := query(t, cs, "web.ns.svc.clusterset.local.", dns.TypeA, false)
	if rcode != dns.RcodeSuccess || len(m.Answer) != 1 || m.Answer[0].(*dns.A).A.String() != "10.0.0.1" {
		t.Errorf("after OnShutdown: rcode %s, answer %v; want the last snapshot's 10.0.0.1", dns.RcodeToString[rcode], m)
	}
	if cs.Ready() {
		t.Error("Ready() after OnShutdown: the readiness probe would not drain the pod")
	}
	if err := cs.OnShutdown(); err != nil {
		t.Errorf("a second OnShutdown: %v", err)
	}
}
