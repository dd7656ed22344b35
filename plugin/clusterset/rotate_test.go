package clusterset

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/internal/answer"
	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
	"github.com/clusterset-dns/clusterset/test/fixtures"

	"github.com/miekg/dns"
)

// rotateSource is a headless service "wide" of 60 endpoints with a named
// port: 20 in the local cluster east (10.9.0.x) and 40 in west
// (10.2.0.x). The local addresses are last in numerical order, so that
// the tier order cannot hold by accident.
func rotateSource() *fakeSource {
	f := newFakeSource("demo")
	f.addImport("demo", "wide", object.Headless, nil, fixtures.TCP("http", 80))
	http := []object.Port{fixtures.TCP("http", 80)}
	var east, west []object.Endpoint
	for i := range 20 {
		east = append(east, fixtures.Ready(fmt.Sprintf("e%d", i), fmt.Sprintf("10.9.0.%d", i+1)))
	}
	for i := range 40 {
		west = append(west, fixtures.Ready(fmt.Sprintf("w%d", i), fmt.Sprintf("10.2.0.%d", i+1)))
	}
	f.addSlice("demo", "wide", "a-west", "west", object.AddressTypeIPv4, http, west...)
	f.addSlice("demo", "wide", "b-east", "east", object.AddressTypeIPv4, http, east...)
	return f
}

const wideName = "wide.demo.svc.clusterset.local."

// spread counts how often each of want appears in the answers and returns
// the highest and lowest count; a missing one counts zero.
func spread(seen map[string]int, want []string) (hi, lo int) {
	lo = -1
	for _, w := range want {
		n := seen[w]
		hi = max(hi, n)
		if lo < 0 || n < lo {
			lo = n
		}
	}
	return hi, lo
}

// isRotationOf reports whether got is a run of want taken round from some
// start (a rotation cut short).
func isRotationOf(got, want []string) bool {
	if len(got) == 0 {
		return true
	}
	start := slices.Index(want, got[0])
	if start < 0 {
		return false
	}
	for i, g := range got {
		if i >= len(want) || want[(start+i)%len(want)] != g {
			return false
		}
	}
	return true
}

// endpointAddrs lists a.b.c.1 to a.b.c.n.
func endpointAddrs(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i+1)
	}
	return out
}

// TestRotateSpreadsTruncatedAnswers asks 1000 times over UDP without EDNS,
// as a stub resolver without TCP fallback does, and keeps what the 512
// octets carry: every endpoint must be in some answers, none much more
// often than another, and every answer must keep the tier order.
func TestRotateSpreadsTruncatedAnswers(t *testing.T) {
	const queries = 1000
	east, west := endpointAddrs("10.9.0.", 20), endpointAddrs("10.2.0.", 40)
	all := slices.Concat(west, east) // numerical order: one tier

	t.Run("one tier: every endpoint gets its share", func(t *testing.T) {
		cs := newTestPlugin(t, "clusterset {\n rotate\n}", rotateSource())
		seen := map[string]int{}
		for range queries {
			m, _ := query(t, cs, wideName, dns.TypeA, false)
			if !m.Truncated || len(m.Answer) == 0 || len(m.Answer) >= 60 {
				t.Fatalf("TC=%v with %d records: the answer is not cut as on the wire", m.Truncated, len(m.Answer))
			}
			got := answerOrder(m)
			if !isRotationOf(got, all) {
				t.Fatalf("answer %v is not the numerical order turned round", got)
			}
			for _, a := range got {
				seen[a]++
			}
		}
		hi, lo := spread(seen, all)
		t.Logf("A, one tier of 60, %d queries: each endpoint in %d to %d answers (spread %.2f)", queries, lo, hi, float64(hi)/float64(max(lo, 1)))
		if lo == 0 {
			t.Fatalf("some endpoints were in no answer: %v", seen)
		}
		if float64(hi)/float64(lo) > 1.5 {
			t.Errorf("spread %d/%d is over 1.5", hi, lo)
		}
	})

	t.Run("prefer local: the local endpoints first in every answer, the rest turning", func(t *testing.T) {
		cs := newTestPlugin(t, "clusterset {\n cluster_id east\n prefer local\n rotate\n}", rotateSource())
		seen := map[string]int{}
		firsts := map[string]int{}
		for range queries {
			m, _ := query(t, cs, wideName, dns.TypeA, false)
			got := answerOrder(m)
			if !m.Truncated || len(got) <= len(east) {
				t.Fatalf("TC=%v with %d records: want a cut answer beyond the local tier", m.Truncated, len(got))
			}
			if !isRotationOf(got[:len(east)], east) || !isRotationOf(got[len(east):], west) {
				t.Fatalf("answer %v: want the 20 local endpoints turned round, then the others turned round", got)
			}
			firsts[got[0]]++
			for _, a := range got[len(east):] {
				seen[a]++
			}
		}
		hi, lo := spread(seen, west)
		t.Logf("A, prefer local, 20 local + 40 remote, %d queries: each remote endpoint in %d to %d answers (spread %.2f)", queries, lo, hi, float64(hi)/float64(max(lo, 1)))
		if lo == 0 || float64(hi)/float64(lo) > 1.5 {
			t.Errorf("remote endpoints in %d to %d answers, want each in some and a spread of at most 1.5", lo, hi)
		}
		// Clients that take the first address spread over the local tier.
		if hi, lo := spread(firsts, east); lo == 0 || float64(hi)/float64(lo) > 1.5 {
			t.Errorf("first address: each local endpoint first %d to %d times, want a spread of at most 1.5", lo, hi)
		}
	})

	t.Run("SRV: priorities kept, targets turning, glue in the targets' order", func(t *testing.T) {
		cs := newTestPlugin(t, "clusterset {\n cluster_id east\n prefer local\n rotate\n}", rotateSource())
		seen := map[string]int{}
		for i := range queries {
			m, _ := query(t, cs, "_http._tcp."+wideName, dns.TypeSRV, i%2 == 0)
			var targets []string
			prio := uint16(0)
			for _, rr := range m.Answer {
				srv := rr.(*dns.SRV)
				if srv.Priority < prio {
					t.Fatalf("SRV priorities out of order: %v", m.Answer)
				}
				prio = srv.Priority
				local := strings.Contains(srv.Target, ".east.")
				if local != (srv.Priority == 0) {
					t.Fatalf("SRV %s: the local cluster's priority is 0, the others' 1", srv)
				}
				targets = append(targets, srv.Target)
			}
			var glue []string
			for _, rr := range m.Extra {
				glue = append(glue, rr.Header().Name)
			}
			if len(glue) > 0 && !slices.Equal(glue, targets[:len(glue)]) {
				t.Fatalf("glue %v does not follow the targets %v", glue, targets)
			}
			if i%2 == 0 { // TCP: everything, glue included
				if len(targets) != 60 || len(glue) != 60 {
					t.Fatalf("TCP: %d SRV and %d glue records, want 60 of each", len(targets), len(glue))
				}
				continue
			}
			for _, target := range targets {
				seen[target]++
			}
		}
		want := make([]string, 0, 60)
		for i := range 20 {
			want = append(want, fmt.Sprintf("e%d.east.%s", i, wideName))
		}
		hi, lo := spread(seen, want)
		if lo == 0 || float64(hi)/float64(lo) > 1.5 {
			t.Errorf("local SRV targets in %d to %d truncated answers, want each in some and a spread of at most 1.5", lo, hi)
		}
	})

	t.Run("without rotate the answer keeps one order", func(t *testing.T) {
		cs := newTestPlugin(t, "clusterset", rotateSource())
		first, _ := query(t, cs, wideName, dns.TypeA, false)
		for range 10 {
			m, _ := query(t, cs, wideName, dns.TypeA, false)
			if !slices.Equal(answerOrder(m), answerOrder(first)) {
				t.Fatalf("answers %v and %v differ without rotate", answerOrder(first), answerOrder(m))
			}
		}
		if got := answerOrder(first); !slices.Equal(got, all[:len(got)]) {
			t.Fatalf("answer %v, want the numerical order", got)
		}
	})
}

// TestRotateLeavesTheSnapshotAlone checks that rotating copies: the
// prepared records keep their order, which transfers and the next query
// read.
func TestRotateLeavesTheSnapshotAlone(t *testing.T) {
	cs := newTestPlugin(t, "clusterset {\n cluster_id east\n prefer local\n rotate\n}", rotateSource())
	n := cs.snapshot().Lookup("wide.demo.svc.", dns.TypeA).Node
	before := recordStrings(n.Records(wideName, wideName, 5))
	for range 7 {
		query(t, cs, wideName, dns.TypeA, true)
		query(t, cs, wideName, dns.TypeSRV, true)
	}
	// In the order stored: the records as a transfer makes them.
	if after := recordStrings(n.Records(wideName, wideName, 5)); !slices.Equal(after, before) {
		t.Fatalf("the snapshot's records were reordered")
	}
	if want := (answer.TierEnds{20}); !slices.Equal(n.A().Tiers(), want) {
		t.Fatalf("tier ends %v, want %v", n.A().Tiers(), want)
	}
}

// recordStrings returns records in presentation form, in order.
func recordStrings(rrs []dns.RR) []string {
	out := make([]string, len(rrs))
	for i, rr := range rrs {
		out[i] = rr.String()
	}
	return out
}

// TestRotateCostsNoAllocation: a rotated answer is written into the copy
// every reply makes anyway.
func TestRotateCostsNoAllocation(t *testing.T) {
	plain := newTestPlugin(t, "clusterset {\n cluster_id east\n prefer local\n}", rotateSource())
	rotating := newTestPlugin(t, "clusterset {\n cluster_id east\n prefer local\n rotate\n}", rotateSource())
	for _, q := range []struct {
		name  string
		qtype uint16
	}{{wideName, dns.TypeA}, {"_http._tcp." + wideName, dns.TypeSRV}, {wideName, dns.TypeSRV}} {
		allocs := func(cs *ClusterSet) float64 {
			r := new(dns.Msg)
			r.SetQuestion(q.name, q.qtype)
			w := &answerCounter{}
			return testing.AllocsPerRun(100, func() {
				if _, err := cs.ServeDNS(t.Context(), w, r); err != nil {
					t.Fatal(err)
				}
			})
		}
		if p, r := allocs(plain), allocs(rotating); r != p {
			t.Errorf("%s %s: %v allocations rotated, %v without", q.name, dns.TypeToString[q.qtype], r, p)
		}
	}
}
