package clusterset

import (
	"context"
	"fmt"
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
	"github.com/clusterset-dns/clusterset/test/fixtures"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// benchSource is the data of the query-path benchmarks: a ClusterSetIP
// service, and headless services with 10 and 250 ready endpoints over
// three source clusters, among 1000 other services.
func benchSource() *fakeSource {
	f := newFakeSource("demo")
	f.addImport("demo", "web", object.ClusterSetIP, []string{"10.0.0.10"}, fixtures.TCP("http", 80))
	for _, n := range []int{10, 250} {
		name := fmt.Sprintf("h%d", n)
		f.addImport("demo", name, object.Headless, nil)
		for c, cluster := range []string{"east", "west", "north"} {
			var eps []object.Endpoint
			for i := c; i < n; i += 3 {
				eps = append(eps, fixtures.Ready(fmt.Sprintf("%s-%d", name, i), fmt.Sprintf("10.%d.%d.%d", 10+c, i/250, i%250+1)))
			}
			f.addSlice("demo", name, name+"-"+cluster, cluster, object.AddressTypeIPv4, []object.Port{fixtures.TCP("http", 8080)}, eps...)
		}
	}
	for i := range 1000 {
		f.addImport("demo", fmt.Sprintf("svc-%d", i), object.ClusterSetIP, []string{fmt.Sprintf("10.100.%d.%d", i/250, i%250+1)})
	}
	return f
}

// benchCase is one query of the ServeDNS benchmarks. Ours and the in-tree
// baseline (intree_bench_test.go) are timed on the same list.
type benchCase struct {
	name  string
	qname string
	qtype uint16
	want  int // answer records from this plugin
}

var serveDNSBenchCases = []benchCase{
	{"ClusterSetIP A", "web.demo.svc.clusterset.local.", dns.TypeA, 1},
	{"headless A 10 endpoints", "h10.demo.svc.clusterset.local.", dns.TypeA, 10},
	{"headless A 250 endpoints", "h250.demo.svc.clusterset.local.", dns.TypeA, 250},
	{"SRV named port", "_http._tcp.web.demo.svc.clusterset.local.", dns.TypeSRV, 1},
	{"NXDOMAIN", "nope.demo.svc.clusterset.local.", dns.TypeA, 0},
}

func BenchmarkServeDNS(b *testing.B) {
	cs := newTestPlugin(b, "clusterset", benchSource())
	for _, bc := range serveDNSBenchCases {
		b.Run(bc.name, func(b *testing.B) {
			if got := timeServeDNS(b, cs, bc); got != bc.want {
				b.Fatalf("%d answers, want %d", got, bc.want)
			}
		})
	}
}

// BenchmarkServeDNSRotate times the headless answers with and without
// `rotate`: the turned copy must cost what the plain one does, allocations
// included.
func BenchmarkServeDNSRotate(b *testing.B) {
	cases := []benchCase{
		{"headless A 10 endpoints", "h10.demo.svc.clusterset.local.", dns.TypeA, 10},
		{"headless A 250 endpoints", "h250.demo.svc.clusterset.local.", dns.TypeA, 250},
		{"headless SRV 250 endpoints", "_http._tcp.h250.demo.svc.clusterset.local.", dns.TypeSRV, 250},
	}
	for _, mode := range []struct{ name, corefile string }{
		{"plain", "clusterset"},
		{"rotate", "clusterset {\n rotate\n}"},
	} {
		cs := newTestPlugin(b, mode.corefile, benchSource())
		for _, bc := range cases {
			b.Run(mode.name+" "+bc.name, func(b *testing.B) {
				if got := timeServeDNS(b, cs, bc); got != bc.want {
					b.Fatalf("%d answers, want %d", got, bc.want)
				}
			})
		}
	}
}

// timeServeDNS times h answering bc and returns the answer count.
func timeServeDNS(b *testing.B, h plugin.Handler, bc benchCase) int {
	b.Helper()
	r := new(dns.Msg)
	r.SetQuestion(bc.qname, bc.qtype)
	w := &answerCounter{}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.ServeDNS(ctx, w, r); err != nil {
			b.Fatal(err)
		}
	}
	return w.answers
}

// answerCounter is a ResponseWriter that keeps only the size of the last
// answer, so the benchmark measures the plugin and not a recorder.
type answerCounter struct {
	test.ResponseWriter
	answers int
}

func (w *answerCounter) WriteMsg(m *dns.Msg) error {
	w.answers = len(m.Answer)
	return nil
}
