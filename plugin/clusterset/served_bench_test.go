package clusterset

import (
	"context"
	"net"
	"testing"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/metrics"
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
	cs := newTestPlugin(b, "clusterset", benchSource())
	m := metrics.New("localhost:0")
	m.AddZone("clusterset.local.")
	config := &dnsserver.Config{Zone: "clusterset.local.", ListenHosts: []string{""}, Port: "53", Transport: "dns"}
	config.AddPlugin(func(next plugin.Handler) plugin.Handler { m.Next = next; return m })
	config.AddPlugin(func(plugin.Handler) plugin.Handler { return cs })
	server, err := dnsserver.NewServer("dns://:53", []*dnsserver.Config{config})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.WithValue(context.Background(), dnsserver.Key{}, server)
	for _, bc := range serveDNSBenchCases {
		b.Run(bc.name, func(b *testing.B) {
			r := new(dns.Msg)
			r.SetQuestion(bc.qname, bc.qtype)
			r.SetEdns0(dns.DefaultMsgSize, false)
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
