package clusterset

import (
	"context"
	"net"
	"testing"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin/metrics"
	"github.com/coredns/coredns/request"
	"github.com/miekg/dns"
)

// BenchmarkServeDNSAsServed drives ServeDNS the way a CoreDNS server does
// a UDP query: on a fresh goroutine (miekg/dns starts one per query),
// behind the prometheus plugin's recorder and the server's ScrubWriter,
// with the reply packed as the UDP writer packs it. Unlike BenchmarkServeDNS
// it pays for every stack the path needs: a handler frame that grows the
// goroutine's stack shows up here as time per query.
func BenchmarkServeDNSAsServed(b *testing.B) {
	cs := newTestPlugin(b, "clusterset", benchSource())
	m := metrics.New("localhost:0")
	m.AddZone("clusterset.local.")
	m.Next = cs
	ctx := context.WithValue(context.Background(), dnsserver.Key{}, &dnsserver.Server{Addr: "dns://:53"})
	for _, bc := range serveDNSBenchCases {
		b.Run(bc.name, func(b *testing.B) {
			r := new(dns.Msg)
			r.SetQuestion(bc.qname, bc.qtype)
			w := &packingWriter{}
			done := make(chan struct{})
			b.ReportAllocs()
			for b.Loop() {
				go func() {
					sw := request.NewScrubWriter(r, w)
					if _, err := m.ServeDNS(ctx, sw, r); err != nil {
						b.Error(err)
					}
					done <- struct{}{}
				}()
				<-done
			}
			if w.answers != bc.want {
				b.Fatalf("%d answers, want %d", w.answers, bc.want)
			}
		})
	}
}

// packingWriter packs each reply into a buffer of its own, as the server's
// UDP writer does before it sends, and keeps the answer count.
type packingWriter struct {
	buf     [dns.MaxMsgSize]byte
	answers int
}

func (w *packingWriter) WriteMsg(m *dns.Msg) error {
	if _, err := m.PackBuffer(w.buf[:]); err != nil {
		return err
	}
	w.answers = len(m.Answer)
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
