package clusterset

import (
	"context"
	"testing"

	"github.com/miekg/dns"
)

// TestQueryPathAllocations holds the query path to the allocation counts
// the README promises: one for a ClusterSetIP answer and one for a
// negative answer (the reply message itself), and no more than the reply's
// own slices for a headless answer, however many endpoints it lists.
func TestQueryPathAllocations(t *testing.T) {
	cs := newTestPlugin(t, "clusterset", benchSource())
	limits := map[string]float64{
		"ClusterSetIP A":           1,
		"NXDOMAIN":                 1,
		"headless A 10 endpoints":  3,
		"headless A 250 endpoints": 3,
	}
	for _, bc := range serveDNSBenchCases {
		limit, ok := limits[bc.name]
		if !ok {
			continue
		}
		t.Run(bc.name, func(t *testing.T) {
			r := new(dns.Msg)
			r.SetQuestion(bc.qname, bc.qtype)
			w := &answerCounter{}
			ctx := context.Background()
			allocs := testing.AllocsPerRun(200, func() {
				if _, err := cs.ServeDNS(ctx, w, r); err != nil {
					t.Fatal(err)
				}
			})
			if w.answers != bc.want {
				t.Fatalf("%d answers, want %d", w.answers, bc.want)
			}
			if allocs > limit {
				t.Errorf("%v allocations per query, want at most %v", allocs, limit)
			}
		})
	}
}
