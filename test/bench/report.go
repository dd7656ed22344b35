package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// results gathers every figure for the table.
type results struct {
	cfg      *config
	set      *clusterSet
	coredns  string
	cpus     cpuPlan
	loadTime time.Duration
	mix      queryMix
	servers  []*server
	total    time.Duration
	loadavg  string

	qps          map[string][]perfRun
	latency      map[string]latencyRun
	prop         map[string][]time.Duration
	propTimeouts map[string]int
	apiWrite     []time.Duration
	relist       map[string]*relistResult
	ceiling      []ceilingRuns
	mem          *memoryWatch
	bedPeaks     map[string]int64 // peak RSS of kube-apiserver and etcd
}

func (r *results) server(kind string) *server {
	for _, s := range r.servers {
		if s.kind == kind {
			return s
		}
	}
	return nil
}

// row is one line of the table: a label, a cell per server, and the two
// ratios.
type row struct {
	label               string
	ours, inTree, floor string
	vsInTree, vsFloor   string
}

// print writes the table and its notes.
func (r *results) print(w io.Writer) {
	cfg, set := r.cfg, r.set
	fmt.Fprintf(w, "\nclusterset benchmark: %s\n", r.coredns)
	fmt.Fprintf(w, "data:    %s; loaded in %v\n", set.describe(), r.loadTime.Round(time.Millisecond))
	fmt.Fprintf(w, "queries: %s; %d-line file; dnsperf -c %d -q %d -e over UDP\n", r.mix, cfg.queries, cfg.clients, cfg.outstanding)
	if r.cpus.server != "" {
		fmt.Fprintf(w, "CPUs:    each server alone on CPU %s with GOMAXPROCS=1 (all three running, one driven at a time); dnsperf, kube-apiserver, etcd and this program on CPU %s\n", r.cpus.server, r.cpus.load)
	} else {
		fmt.Fprintf(w, "CPUs:    not pinned (--pin=false); servers run with GOMAXPROCS=1\n")
	}
	fmt.Fprintf(w, "load:    /proc/loadavg %s at the start\n", r.loadavg)
	if r.mem != nil {
		fmt.Fprintf(w, "machine: lowest MemAvailable %s during the run; peak RSS kube-apiserver %s, etcd %s\n",
			mib(r.mem.Lowest()), mib(r.bedPeaks["kube-apiserver"]), mib(r.bedPeaks["etcd"]))
	}
	fmt.Fprintln(w)

	var rows []row
	add := func(label, ours, inTree, floor, vsInTree, vsFloor string) {
		rows = append(rows, row{label, ours, inTree, floor, vsInTree, vsFloor})
	}
	if r.qps != nil {
		med := map[string]float64{}
		cpu := map[string]float64{}
		us := map[string]float64{}
		others := map[string]float64{}
		gen := map[string]float64{}
		genOthers := map[string]float64{}
		per := map[string]string{}
		for kind, runs := range r.qps {
			var q, c, u []float64
			var s []string
			for _, run := range runs {
				q = append(q, run.qps)
				c = append(c, run.cpu)
				u = append(u, run.usPerQuery())
				others[kind] = max(others[kind], run.others)
				gen[kind] = max(gen[kind], run.gen)
				genOthers[kind] = max(genOthers[kind], run.genOthers)
				s = append(s, fmt.Sprintf("%.0f", run.qps))
			}
			med[kind], cpu[kind], us[kind], per[kind] = median(q), median(c), median(u), strings.Join(s, " ")
		}
		add(fmt.Sprintf("QPS, median of %d x %v", cfg.rounds, cfg.duration), f0(med[kindOurs]), f0(med[kindInTree]), f0(med[kindFloor]),
			x(ratio(med[kindOurs], med[kindInTree])), x(ratio(med[kindOurs], med[kindFloor])))
		add("  each round", per[kindOurs], per[kindInTree], per[kindFloor], "", "")
		add("  server CPU while saturated (median)", pct(cpu[kindOurs]), pct(cpu[kindInTree]), pct(cpu[kindFloor]), "", "")
		add("  server CPU per query (median)", usq(us[kindOurs]), usq(us[kindInTree]), usq(us[kindFloor]),
			x(ratio(us[kindOurs], us[kindInTree])), x(ratio(us[kindOurs], us[kindFloor])))
		if r.cpus.server != "" {
			add("  other work on the server's CPU (max)", pct(others[kindOurs]), pct(others[kindInTree]), pct(others[kindFloor]), "", "")
			add("  dnsperf CPU / other work on its CPU (max)", pct(gen[kindOurs])+" / "+pct(genOthers[kindOurs]),
				pct(gen[kindInTree])+" / "+pct(genOthers[kindInTree]), pct(gen[kindFloor])+" / "+pct(genOthers[kindFloor]), "", "")
		}
	}
	if r.latency != nil {
		l := r.latency
		rate := l[kindOurs].rate
		add(fmt.Sprintf("latency p50 at %.0f qps", rate), fmtDur(l[kindOurs].p50), fmtDur(l[kindInTree].p50), fmtDur(l[kindFloor].p50),
			x(durRatio(l[kindOurs].p50, l[kindInTree].p50)), x(durRatio(l[kindOurs].p50, l[kindFloor].p50)))
		add(fmt.Sprintf("latency p99 at %.0f qps", rate), fmtDur(l[kindOurs].p99), fmtDur(l[kindInTree].p99), fmtDur(l[kindFloor].p99),
			x(durRatio(l[kindOurs].p99, l[kindInTree].p99)), x(durRatio(l[kindOurs].p99, l[kindFloor].p99)))
		lost := func(k string) string { return fmt.Sprintf("%d/%d", l[k].lost, l[k].sent) }
		add("  lost at that rate", lost(kindOurs), lost(kindInTree), lost(kindFloor), "", "")
	}
	ours, inTree, floor := r.server(kindOurs), r.server(kindInTree), r.server(kindFloor)
	if ours != nil && inTree != nil && floor != nil {
		add("sync: start to answering all", fmtDur(ours.syncTime), fmtDur(inTree.syncTime), fmtDur(floor.syncTime), x(durRatio(ours.syncTime, inTree.syncTime)), "")
		add("  CPU time used by then", fmtDur(ours.syncCPU), fmtDur(inTree.syncCPU), fmtDur(floor.syncCPU), x(durRatio(ours.syncCPU, inTree.syncCPU)), "")
		add("  peak RSS of the initial sync", mib(ours.syncPeak), mib(inTree.syncPeak), mib(floor.syncPeak), x(ratio(ours.syncPeak, inTree.syncPeak)), "")
		if ours.steady.rss > 0 {
			eps := float64(set.services * set.endpoints)
			per100k := func(s *server, f func(memory) int64) int64 {
				return int64(float64(f(s.steady)-f(floor.steady)) * 100000 / eps)
			}
			rss := func(m memory) int64 { return m.rss }
			heap := func(m memory) int64 { return m.heap }
			add("RSS after sync", mib(ours.steady.rss), mib(inTree.steady.rss), mib(floor.steady.rss), x(ratio(ours.steady.rss, inTree.steady.rss)), x(ratio(ours.steady.rss, floor.steady.rss)))
			add("Go heap in use after sync", mib(ours.steady.heap), mib(inTree.steady.heap), mib(floor.steady.heap), x(ratio(ours.steady.heap, inTree.steady.heap)), x(ratio(ours.steady.heap, floor.steady.heap)))
			add("  RSS over floor per 100k endpoints", mib(per100k(ours, rss)), mib(per100k(inTree, rss)), "", x(ratio(per100k(ours, rss), per100k(inTree, rss))), "")
			add("  heap over floor per 100k endpoints", mib(per100k(ours, heap)), mib(per100k(inTree, heap)), "", x(ratio(per100k(ours, heap), per100k(inTree, heap))), "")
		}
	}
	if r.relist != nil && r.relist[kindOurs] != nil && r.relist[kindInTree] != nil {
		o, t := r.relist[kindOurs], r.relist[kindInTree]
		add("relist: force to last object sent", fmtDur(o.took), fmtDur(t.took), "", x(durRatio(o.took, t.took)), "")
		add("  steady RSS before", mib(o.steady.rss), mib(t.steady.rss), "", "", "")
		add("  peak RSS (x steady)", fmt.Sprintf("%s (x%.2f)", mib(o.peakRSS), ratio(o.peakRSS, o.steady.rss)),
			fmt.Sprintf("%s (x%.2f)", mib(t.peakRSS), ratio(t.peakRSS, t.steady.rss)), "", x(ratio(o.peakRSS, t.peakRSS)), "")
		if ours != nil && inTree != nil && ours.steady.rss > 0 {
			add("  peak RSS / RSS after sync", fmt.Sprintf("x%.2f", ratio(o.peakRSS, ours.steady.rss)), fmt.Sprintf("x%.2f", ratio(t.peakRSS, inTree.steady.rss)), "", "", "")
		}
		add("  peak heap (x steady)", fmt.Sprintf("%s (x%.2f)", mib(o.peakHeap), ratio(o.peakHeap, o.steady.heap)),
			fmt.Sprintf("%s (x%.2f)", mib(t.peakHeap), ratio(t.peakHeap, t.steady.heap)), "", x(ratio(o.peakHeap, t.peakHeap)), "")
		add("  answering the data after", yes(o.answering), yes(t.answering), "", "", "")
	}
	if r.prop != nil {
		p := r.prop
		n := len(r.apiWrite)
		add(fmt.Sprintf("propagation p50 (%d updates)", n), fmtDur(percentile(p[kindOurs], 0.5)), fmtDur(percentile(p[kindInTree], 0.5)), "",
			x(durRatio(percentile(p[kindOurs], 0.5), percentile(p[kindInTree], 0.5))), "")
		add(fmt.Sprintf("propagation p99 (%d updates)", n), fmtDur(percentile(p[kindOurs], 0.99)), fmtDur(percentile(p[kindInTree], 0.99)), "",
			x(durRatio(percentile(p[kindOurs], 0.99), percentile(p[kindInTree], 0.99))), "")
		add("  max", fmtDur(slices.Max(append([]time.Duration{0}, p[kindOurs]...))), fmtDur(slices.Max(append([]time.Duration{0}, p[kindInTree]...))), "", "", "")
		add(fmt.Sprintf("  not seen within %v", propagationTimeout), fmt.Sprint(r.propTimeouts[kindOurs]), fmt.Sprint(r.propTimeouts[kindInTree]), "", "", "")
		add("  (API write itself p50 / p99)", fmt.Sprintf("%s / %s", fmtDur(percentile(r.apiWrite, 0.5)), fmtDur(percentile(r.apiWrite, 0.99))), "", "", "", "")
	}

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tours\tin-tree\tfloor\tours/in-tree\tours/floor")
	for _, rw := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", rw.label, dash(rw.ours), dash(rw.inTree), dash(rw.floor), rw.vsInTree, rw.vsFloor)
	}
	tw.Flush()

	r.printCeiling(w)

	fmt.Fprintln(w, "\nnotes:")
	if r.qps != nil {
		for _, kind := range []string{kindOurs, kindInTree, kindFloor} {
			if runs := r.qps[kind]; len(runs) > 0 {
				last := runs[len(runs)-1]
				fmt.Fprintf(w, "  %-7s answers at saturation: %s; lost %d/%d\n", kind, last.rcodes, last.lost, last.sent)
			}
		}
	}
	for _, c := range r.ceiling {
		if n := len(c.replay); n > 0 {
			// A question missing from the capture would show as SERVFAIL.
			fmt.Fprintf(w, "  replay  answers (%s): %s; ours: %s\n", c.variant, c.replay[n-1].rcodes, c.ours[len(c.ours)-1].rcodes)
		}
	}
	for _, s := range r.servers {
		for _, c := range s.checks {
			fmt.Fprintf(w, "  %-7s answer differs from the data: %s\n", s.kind, c)
		}
	}
	if r.relist != nil {
		for _, kind := range []string{kindOurs, kindInTree} {
			if rl := r.relist[kind]; rl != nil {
				fmt.Fprintf(w, "  %-7s relisted %s\n", kind, strings.Join(rl.resources, ", "))
				if rl.note != "" {
					fmt.Fprintf(w, "  %-7s relist: %s\n", kind, rl.note)
				}
			}
		}
	}
	fmt.Fprintln(w, "  the floor (erratic) answers every A query with one record and SRV with SERVFAIL, whatever the name")
	fmt.Fprintln(w, "  latency: dnsperf -v at a fixed rate (half the floor's median QPS unless --rate); lost queries count as infinitely slow")
	fmt.Fprintln(w, "  memory: RSS from /proc/PID/status; heap = go_memstats_heap_inuse_bytes after a GC forced with /debug/pprof/heap?gc=1")
	fmt.Fprintln(w, "  relist: each server's proxy ends its watches and answers the re-watch 410 Gone (Expired), so client-go relists everything")
	fmt.Fprintln(w, "  propagation: from the start of the EndpointSlice update to the first A answer holding the new address, polled every 1ms")
	fmt.Fprintf(w, "  total run time %v\n", r.total.Round(time.Second))
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func durRatio(a, b time.Duration) float64 {
	if a == time.Duration(math.MaxInt64) || b == time.Duration(math.MaxInt64) {
		return 0
	}
	return ratio(float64(a), float64(b))
}

func fmtDur(d time.Duration) string {
	switch {
	case d == time.Duration(math.MaxInt64):
		return "lost>1%"
	case d == 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	case d < 10*time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	default:
		return d.Round(100 * time.Millisecond).String()
	}
}

func f0(v float64) string {
	if v == 0 {
		return ""
	}
	return fmt.Sprintf("%.0f", v)
}

func usq(v float64) string {
	if v == 0 {
		return ""
	}
	return fmt.Sprintf("%.1f us", v)
}

func pct(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) }

func x(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

// printCeiling writes ours against the replay of its answers, variant by
// variant: medians of the rounds, and the two ratios the query path is
// judged by (1.00 is the ceiling).
func (r *results) printCeiling(w io.Writer) {
	if len(r.ceiling) == 0 {
		return
	}
	fmt.Fprintf(w, "\nceiling: ours against a replay of its own answers (median of %d x %v each)\n", r.cfg.rounds, r.cfg.duration)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tours QPS\treplay QPS\tours/replay QPS\tours CPU/query\treplay CPU/query\treplay/ours CPU per query")
	for _, c := range r.ceiling {
		oq, rq := medianOf(c.ours, perfRun.qpsOf), medianOf(c.replay, perfRun.qpsOf)
		ou, ru := medianOf(c.ours, perfRun.usPerQuery), medianOf(c.replay, perfRun.usPerQuery)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.variant, f0(oq), f0(rq), x(ratio(oq, rq)), usq(ou), usq(ru), x(ratio(ru, ou)))
	}
	tw.Flush()
}

func (r perfRun) qpsOf() float64 { return r.qps }

func medianOf(runs []perfRun, f func(perfRun) float64) float64 {
	v := make([]float64, 0, len(runs))
	for _, run := range runs {
		v = append(v, f(run))
	}
	return median(v)
}
