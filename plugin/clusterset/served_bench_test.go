package clusterset

import (
	"context"
	"net"
	"slices"
	"testing"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/metrics"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/request"
	"github.com/miekg/dns"
)

// BenchmarkServeDNSAsServed drives ServeDNS the way a CoreDNS server does
// a UDP query: on a fresh goroutine (miekg/dns starts one per query),
// through the CoreDNS server's own ServeDNS (its ScrubWriter) and the
// prometheus plugin's recorder, with the reply packed as the UDP writer
// packs it. Unlike BenchmarkServeDNS it pays for every stack the path
// needs: a frame that makes the goroutine's stack grow shows up here as
// time per query (runtime.newstack in its CPU profile).
func BenchmarkServeDNSAsServed(b *testing.B) {
	benchmarkAsServed(b, newTestPlugin(b, "clusterset", benchSource()))
}

// BenchmarkReplayAsServed is the ceiling of BenchmarkServeDNSAsServed: a
// handler that writes again the reply ours gave to the same question (a
// map lookup and a copy of the message) on the same path. The ratio of the
// two is what the query path costs above the least any plugin serving
// these answers could cost; make bench measures the same on the wire.
func BenchmarkReplayAsServed(b *testing.B) {
	cs := newTestPlugin(b, "clusterset", benchSource())
	rp := &replayHandler{answers: map[dns.Question]*dns.Msg{}}
	for _, bc := range serveDNSBenchCases {
		m := capturedReply(b, cs, servedQuery(bc))
		rp.answers[m.Question[0]] = m
	}
	benchmarkAsServed(b, rp)
}

// servedQuery is the query of a benchmark case as the AsServed benchmarks
// send it.
func servedQuery(bc benchCase) *dns.Msg {
	r := new(dns.Msg)
	r.SetQuestion(bc.qname, bc.qtype)
	r.SetEdns0(dns.DefaultMsgSize, false)
	return r
}

// capturedReply is ours's reply to r as the ScrubWriter let it out (fitted
// to r's buffer), less the OPT record the ScrubWriter added, which it adds
// again to the replay.
func capturedReply(b *testing.B, cs *ClusterSet, r *dns.Msg) *dns.Msg {
	rec := dnstest.NewRecorder(&test.ResponseWriter{})
	if _, err := cs.ServeDNS(context.Background(), request.NewScrubWriter(r, rec), r); err != nil {
		b.Fatal(err)
	}
	m := rec.Msg.Copy()
	extra := m.Extra[:0:0]
	for _, rr := range m.Extra {
		if rr.Header().Rrtype != dns.TypeOPT {
			extra = append(extra, rr)
		}
	}
	m.Answer, m.Ns, m.Extra = slices.Clip(m.Answer), slices.Clip(m.Ns), extra
	return m
}

// benchmarkAsServed times h behind a CoreDNS server and the prometheus
// plugin on each benchmark case, one fresh goroutine per query.
func benchmarkAsServed(b *testing.B, h plugin.Handler) {
	m := metrics.New("localhost:0")
	m.AddZone("clusterset.local.")
	config := &dnsserver.Config{Zone: "clusterset.local.", ListenHosts: []string{""}, Port: "53", Transport: "dns"}
	config.AddPlugin(func(next plugin.Handler) plugin.Handler { m.Next = next; return m })
	config.AddPlugin(func(plugin.Handler) plugin.Handler { return h })
	server, err := dnsserver.NewServer("dns://:53", []*dnsserver.Config{config})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.WithValue(context.Background(), dnsserver.Key{}, server)
	for _, bc := range serveDNSBenchCases {
		b.Run(bc.name, func(b *testing.B) {
			r := servedQuery(bc)
			w := &packingWriter{}
			done := make(chan struct{})
			b.ReportAllocs()
			for b.Loop() {
				go func() {
					server.ServeDNS(ctx, w, r)
					done <- struct{}{}
				}()
				<-done
			}
			if w.answers != bc.want && !w.truncated {
				b.Fatalf("%d answers, want %d", w.answers, bc.want)
			}
		})
	}
}

// replayHandler writes a copy of a captured reply with the query's ID.
type replayHandler struct {
	answers map[dns.Question]*dns.Msg
}

func (p *replayHandler) Name() string { return "replay" }

func (p *replayHandler) ServeDNS(_ context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	m, ok := p.answers[r.Question[0]]
	if !ok {
		return dns.RcodeServerFailure, nil
	}
	reply := *m
	reply.Id = r.Id
	return dns.RcodeSuccess, w.WriteMsg(&reply)
}

// packingWriter packs each reply into a buffer of its own, as the server's
// UDP writer does before it sends, and keeps the answer count.
type packingWriter struct {
	buf       [dns.MaxMsgSize]byte
	answers   int
	truncated bool
}

func (w *packingWriter) WriteMsg(m *dns.Msg) error {
	if _, err := m.PackBuffer(w.buf[:]); err != nil {
		return err
	}
	w.answers, w.truncated = len(m.Answer), m.Truncated
	return nil
}

func (w *packingWriter) LocalAddr() net.Addr {
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53}
}
func (w *packingWriter) RemoteAddr() net.Addr {
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
}
func (w *packingWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *packingWriter) Close() error                { return nil }
func (w *packingWriter) TsigStatus() error           { return nil }
func (w *packingWriter) TsigTimersOnly(bool)         {}
func (w *packingWriter) Hijack()                     {}
