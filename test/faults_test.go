package test

// Faults of the API side, on a test bed of their own, under a bounded query
// load (load_test.go), with the in-tree `kubernetes … { multicluster }`
// beside the plugin in the same run for comparison:
//
//   - kube-apiserver killed (SIGKILL) and started again, same port and etcd;
//   - etcd killed and started again, same data, the API server up;
//   - etcd compacted past every watch's resource version while the API
//     server is down;
//   - every connection to the API server cut, then let through again.
//
// After each outage a change is written as soon as the API takes it; the
// catch-up is the time from the start of that write (the first request
// the API served after the outage) to the first answer with the new data. Every answer must be the data before or after the change: no
// NXDOMAIN, no SERVFAIL, no timeout, never back to the old data once the
// new was served. The plugin must catch up; the in-tree plugin is only
// measured.
//
// FAULT_OUTAGES (durations, comma-separated; default 15s) and FAULT_RUNS
// (default 2) set the variants; `make faults` runs the long ones.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/test/fixtures"
	"github.com/clusterset-dns/clusterset/test/testbed"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

const (
	faultNamespace = "faults"
	// faultStableServices is how many names must keep their answer.
	faultStableServices = 8
	// faultCatchUpBound is how long the plugin may take to serve a change
	// written after an outage before the test fails: a bound that a
	// reflector waiting out its back-off (6 s to a minute after 15 s of
	// refused connections) misses, not a measurement.
	faultCatchUpBound = 5 * time.Second
	// inTreeCatchUpBound is how long the in-tree plugin is waited for.
	inTreeCatchUpBound = 3 * time.Minute
)

// Names of the servers compared.
const (
	kindClusterSet = "clusterset"
	kindInTree     = "in-tree"
)

// faultCorefiles are the two servers compared, without a cache so that
// every answer is the plugin's own.
var faultCorefiles = map[string]string{
	kindClusterSet: `clusterset.local:{$DNS_PORT} {
    ready {$READY_ADDR}
    prometheus {$METRICS_ADDR}
    clusterset {
        kubeconfig {$KUBECONFIG}
        extended_errors
    }
}
`,
	kindInTree: `clusterset.local:{$DNS_PORT} {
    ready {$READY_ADDR}
    kubernetes clusterset.local {
        kubeconfig {$KUBECONFIG}
        multicluster clusterset.local
    }
}
`,
}

// faultRate is the queries per second each server gets.
func faultRate() int {
	if v, err := strconv.Atoi(os.Getenv("FAULT_QPS")); err == nil && v > 0 {
		return v
	}
	return 1000
}

func faultRuns() int {
	if v, err := strconv.Atoi(os.Getenv("FAULT_RUNS")); err == nil && v > 0 {
		return v
	}
	return 2
}

func faultOutages(t *testing.T) []time.Duration {
	v := os.Getenv("FAULT_OUTAGES")
	if v == "" {
		return []time.Duration{15 * time.Second}
	}
	var out []time.Duration
	for _, s := range strings.Split(v, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil || d <= 0 {
			t.Fatalf("FAULT_OUTAGES: %q is not a duration", s)
		}
		out = append(out, d)
	}
	return out
}

// The ports of the services the load asks: the in-tree plugin answers a
// ClusterSetIP name per ServiceImport port and a headless one per
// EndpointSlice port, nothing without them.
var (
	faultPorts      = []mcsv1beta1.ServicePort{fixtures.Port("http", corev1.ProtocolTCP, 80)}
	faultSlicePorts = []fixtures.SlicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 8080}}
)

// faultBed is a test bed of the test's own (its servers are killed) with
// the RBAC of a deployment and the data the load asks.
type faultBed struct {
	*testbed.Bed
	names *loadNames
	// moving is the EndpointSlice behind names.moving.
	moving fixtures.Slice
	next   int
}

func startFaultBed(t *testing.T) *faultBed {
	t.Helper()
	b := testbed.StartT(t, testbed.Options{Users: []testbed.User{{Name: coreDNSUser}}})
	must(t, grantCoreDNS(t.Context(), b))
	return writeFaultData(t, b, faultNamespace)
}

// writeFaultData writes, in namespace ns of b, the services the load asks.
func writeFaultData(t *testing.T, b *testbed.Bed, ns string) *faultBed {
	t.Helper()
	ctx := t.Context()
	must(t, b.EnsureNamespace(ctx, ns))
	fb := &faultBed{Bed: b, names: &loadNames{stable: map[string][]string{}}}
	for i := 0; i < faultStableServices; i++ {
		name := fmt.Sprintf("s%d", i)
		owner := fqdn(name + "." + ns + ".svc")
		if i%2 == 0 {
			vip := fmt.Sprintf("10.120.0.%d", i+1)
			must(t, b.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, name, mcsv1beta1.ClusterSetIP, []string{vip}, faultPorts, "east")))
			fb.names.stable[owner] = []string{vip}
			continue
		}
		must(t, b.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, name, mcsv1beta1.Headless, nil, faultPorts, "east")))
		addrs := []string{fmt.Sprintf("10.121.%d.1", i), fmt.Sprintf("10.121.%d.2", i)}
		_, err := b.ApplyEndpointSlice(ctx, fixtures.Slice{Namespace: ns, Service: name, Cluster: "east", Ports: faultSlicePorts,
			Endpoints: []fixtures.Endpoint{{Addresses: addrs[:1], Ready: true}, {Addresses: addrs[1:], Ready: true}}})
		must(t, err)
		fb.names.stable[owner] = addrs
	}
	must(t, b.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "moving", mcsv1beta1.Headless, nil, faultPorts, "east")))
	fb.names.moving = fqdn("moving." + ns + ".svc")
	fb.moving = fixtures.Slice{Namespace: ns, Service: "moving", Cluster: "east", Ports: faultSlicePorts}
	_, err := b.ApplyEndpointSlice(ctx, fb.movingTo(fb.address(0)))
	must(t, err)
	return fb
}

// address is the moving name's address in step i.
func (fb *faultBed) address(i int) string { return fmt.Sprintf("10.122.%d.%d", i/250, i%250+1) }

// movingTo is the moving slice with addr as its one endpoint.
func (fb *faultBed) movingTo(addr string) fixtures.Slice {
	s := fb.moving
	s.Endpoints = []fixtures.Endpoint{{Addresses: []string{addr}, Ready: true}}
	return s
}

// writeUntilTaken writes the moving slice with addr, again and again until
// the API takes it, and returns when the write it took began: its answer
// may reach the test after the change has reached the servers.
func (fb *faultBed) writeUntilTaken(t *testing.T, addr string) (began time.Time, took time.Duration) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		began = time.Now()
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		_, err := fb.ApplyEndpointSlice(ctx, fb.movingTo(addr))
		cancel()
		if err == nil {
			return began, time.Since(began)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API did not take a write within 2 minutes: %v\n%s", err, fb.Logs(4000))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// faultServers starts the two servers with kubeconfig, waits until both
// answer every name, and returns them as load targets.
func faultServers(t *testing.T, fb *faultBed, kubeconfig string, corefiles map[string]string) []*loadTarget {
	t.Helper()
	var targets []*loadTarget
	// The plugin first: runFault reads its metrics.
	for _, kind := range []string{kindClusterSet, kindInTree} {
		path := filepath.Join(t.TempDir(), "Corefile."+kind)
		must(t, os.WriteFile(path, []byte(corefiles[kind]), 0o600))
		c := startCoreDNS(t, path, serverEnv{"KUBECONFIG": kubeconfig}, nil)
		waitHTTPStatus(t, c.readyAddr, "/ready", http.StatusOK, converge)
		lt := &loadTarget{kind: kind, addr: c.addr, server: c}
		targets = append(targets, lt)
	}
	// Every name answered right, by both, before the load starts.
	must(t, poll(converge, func() (string, error) {
		for _, lt := range targets {
			probe := &loadTarget{kind: lt.kind, addr: lt.addr, before: fb.address(fb.next), after: fb.address(fb.next)}
			l := startLoad(fb.names, 200, probe)
			time.Sleep(200 * time.Millisecond)
			l.stop()
			if n := probe.counts.failures(); n > 0 || probe.counts.answered.Load() == 0 {
				return probe.firstWrong, fmt.Errorf("%s: %s", lt.kind, &probe.counts)
			}
		}
		return "", nil
	}))
	return targets
}

// faultResult is one server's figures over the runs of one fault.
type faultResult struct {
	catchUp []time.Duration
}

// runFault runs the fault runs times under load: inject must cause the
// outage and return once the API side is back; then the change is written
// and both servers are waited for.
func runFault(t *testing.T, fb *faultBed, targets []*loadTarget, label string, runs int, inject func(t *testing.T)) {
	t.Helper()
	restarts := func() float64 {
		v, _ := metric(targets[0].server.metricsAddr, "coredns_clusterset_watch_restarts_total")
		return v
	}
	restartsBefore := restarts()
	// writes are the durations of the writes that made the changes: the
	// API's own share of the catch-up.
	var writes []time.Duration
	results := map[string]*faultResult{}
	for _, lt := range targets {
		results[lt.kind] = &faultResult{}
		lt.expectMove(fb.address(fb.next), fb.address(fb.next))
	}
	load := startLoad(fb.names, faultRate(), targets...)
	stopped := false
	stop := func() {
		if !stopped {
			load.stop()
			stopped = true
		}
	}
	defer stop()
	time.Sleep(time.Second) // the load runs before the fault
	for run := 0; run < runs; run++ {
		before, after := fb.address(fb.next), fb.address(fb.next+1)
		for _, lt := range targets {
			lt.expectMove(before, after)
		}
		inject(t)
		written, took := fb.writeUntilTaken(t, after)
		writes = append(writes, took)
		fb.next++
		for _, lt := range targets {
			bound := faultCatchUpBound
			if lt.kind == kindInTree {
				bound = inTreeCatchUpBound
			}
			var seen time.Time
			// The write's own latency is the API's: the bound starts at
			// its answer.
			for deadline := written.Add(took + bound); ; {
				if seen = lt.caughtUp(); !seen.IsZero() || time.Now().After(deadline) {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			if seen.IsZero() {
				t.Errorf("%s, run %d: %s did not serve the change within %v of the write's answer", label, run+1, lt.kind, bound)
				return
			}
			d := seen.Sub(written)
			results[lt.kind].catchUp = append(results[lt.kind].catchUp, d)
			t.Logf("%s, run %d: %s caught up %v after the write began (the write took %v)", label, run+1, lt.kind, d.Round(time.Millisecond), took.Round(time.Millisecond))
		}
	}
	time.Sleep(time.Second) // and after it
	stop()
	for _, lt := range targets {
		cu := results[lt.kind].catchUp
		t.Logf("FAULT %s | %-10s | catch-up p50 %v p99 %v over %d runs | %s",
			label, lt.kind, percentile(cu, 0.50).Round(time.Millisecond), percentile(cu, 0.99).Round(time.Millisecond), len(cu), &lt.counts)
	}
	t.Logf("%s: the plugin restarted its watches %v times in %d runs; the writes took p50 %v p99 %v", label, restarts()-restartsBefore, runs,
		percentile(writes, 0.50).Round(time.Millisecond), percentile(writes, 0.99).Round(time.Millisecond))
	// What the plugin saw of the outages, for the reader of the run.
	for _, line := range strings.Split(targets[0].server.proc.Log(), "\n") {
		if strings.Contains(line, "The API server") || strings.Contains(line, "Watches restarted") {
			t.Logf("%s: %s", targets[0].kind, line)
		}
	}
	for _, lt := range targets {
		if lt.kind != kindClusterSet {
			continue
		}
		if n := lt.counts.failures(); n > 0 {
			t.Errorf("%s: %s answered %d queries wrong or not at all (%s); first: %s", label, lt.kind, n, &lt.counts, lt.firstWrong)
		}
	}
}

// percentile is the nearest-rank percentile of d.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(p*float64(len(s))+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// TestFaultAPIServerRestart kills kube-apiserver and starts it again.
func TestFaultAPIServerRestart(t *testing.T) {
	fb := startFaultBed(t)
	targets := faultServers(t, fb, fb.Kubeconfig(coreDNSUser), faultCorefiles)
	for _, outage := range faultOutages(t) {
		runFault(t, fb, targets, "kube-apiserver killed for "+outage.String(), faultRuns(), func(t *testing.T) {
			fb.KillAPIServer()
			time.Sleep(outage)
			must(t, fb.StartAPIServer(t.Context()))
		})
	}
}

// TestFaultEtcdRestart kills etcd under a running API server and starts it
// again with the same data.
func TestFaultEtcdRestart(t *testing.T) {
	fb := startFaultBed(t)
	targets := faultServers(t, fb, fb.Kubeconfig(coreDNSUser), faultCorefiles)
	for _, outage := range faultOutages(t) {
		runFault(t, fb, targets, "etcd killed for "+outage.String(), faultRuns(), func(t *testing.T) {
			fb.KillEtcd()
			time.Sleep(outage)
			must(t, fb.StartEtcd(t.Context()))
		})
	}
}

// TestFaultEtcdCompaction compacts etcd past every resource version the
// watches hold while the API server is down: when it is back, no watch can
// resume, every one must list again.
func TestFaultEtcdCompaction(t *testing.T) {
	fb := startFaultBed(t)
	targets := faultServers(t, fb, fb.Kubeconfig(coreDNSUser), faultCorefiles)
	for _, outage := range faultOutages(t) {
		runFault(t, fb, targets, "etcd compacted, kube-apiserver down for "+outage.String(), faultRuns(), func(t *testing.T) {
			fb.KillAPIServer()
			time.Sleep(outage)
			rev, err := fb.CompactEtcd(t.Context(), 100)
			must(t, err)
			t.Logf("etcd compacted at revision %d", rev)
			must(t, fb.StartAPIServer(t.Context()))
		})
	}
}

// TestFaultWatchesCut cuts every connection of both servers to the API
// server (a proxy in between closes them, and every new one at once), then
// lets them through again: the API server and its watch cache stay up.
func TestFaultWatchesCut(t *testing.T) {
	fb := startFaultBed(t)
	proxy := newAPIProxy(t, strings.TrimPrefix(fb.URL, "https://"), proxyPass)
	targets := faultServers(t, fb, kubeconfigVia(t, fb.Bed, proxy.addr()), faultCorefiles)
	for _, outage := range faultOutages(t) {
		runFault(t, fb, targets, "watches cut for "+outage.String(), faultRuns(), func(t *testing.T) {
			proxy.set(proxyCut)
			time.Sleep(outage)
			proxy.set(proxyPass)
		})
	}
}

// startWatch is what one server answered from its first moment.
type startWatch struct {
	kind                 string
	c                    *coreDNS
	launched, firstReply time.Time
	// Before the first reply (not listening yet) and after it.
	timeoutsBefore, timeoutsAfter int
	servfail, servfailWithEDE     int
	others                        []string
}

// TestFaultStartWhileAPIDown starts both servers while the API server is
// down. The plugin listens at once and answers SERVFAIL (with EDE 14 Not
// Ready) until its first sync, with /ready 503; no query times out once the
// process listens. The in-tree plugin is watched the same way.
func TestFaultStartWhileAPIDown(t *testing.T) {
	fb := startFaultBed(t)
	fb.KillAPIServer()
	var watches []*startWatch
	for _, kind := range []string{kindClusterSet, kindInTree} {
		path := filepath.Join(t.TempDir(), "Corefile."+kind)
		must(t, os.WriteFile(path, []byte(faultCorefiles[kind]), 0o600))
		sw := &startWatch{kind: kind, launched: time.Now()}
		sw.c = launchCoreDNS(t, path, serverEnv{"KUBECONFIG": fb.Kubeconfig(coreDNSUser)}, nil)
		watches = append(watches, sw)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		cl := &dns.Client{Net: "udp", Timeout: 500 * time.Millisecond}
		for ctx.Err() == nil {
			for _, sw := range watches {
				m := new(dns.Msg)
				m.SetQuestion(fb.names.moving, dns.TypeA)
				m.SetEdns0(1232, false)
				r, _, err := cl.Exchange(m, sw.c.addr)
				now := time.Now()
				switch {
				case err != nil && sw.firstReply.IsZero():
					sw.timeoutsBefore++
				case err != nil:
					sw.timeoutsAfter++
				default:
					if sw.firstReply.IsZero() {
						sw.firstReply = now
					}
					if r.Rcode == dns.RcodeServerFailure {
						sw.servfail++
						if hasEDE(r, dns.ExtendedErrorCodeNotReady) {
							sw.servfailWithEDE++
						}
					} else if len(sw.others) < 5 {
						sw.others = append(sw.others, dns.RcodeToString[r.Rcode])
					}
				}
			}
			time.Sleep(25 * time.Millisecond)
		}
	}()
	stopQueries := func() { cancel(); <-done }
	defer stopQueries()

	// The API stays down long enough for the in-tree plugin's 5 s start
	// wait to pass too.
	time.Sleep(10 * time.Second)
	for _, sw := range watches {
		if exited, err := sw.c.proc.Exited(); exited {
			t.Fatalf("%s exited: %v\n%s", sw.kind, err, sw.c.proc.Tail(3000))
		}
	}
	ours := watches[0]
	if code, body, err := httpGet(ours.c.readyAddr, "/ready"); err != nil || code != http.StatusServiceUnavailable {
		t.Errorf("/ready while the API is down: HTTP %d (%v) %s, want 503", code, err, body)
	}
	stopQueries()
	for _, sw := range watches {
		first := "never"
		if !sw.firstReply.IsZero() {
			first = sw.firstReply.Sub(sw.launched).Round(time.Millisecond).String()
		}
		t.Logf("STARTUP %-10s | first answer %s after the process started | %d queries unanswered before it, %d after | %d SERVFAIL (%d with EDE 14) | other answers %v",
			sw.kind, first, sw.timeoutsBefore, sw.timeoutsAfter, sw.servfail, sw.servfailWithEDE, sw.others)
	}
	if ours.firstReply.IsZero() {
		t.Fatalf("the plugin never answered while the API server was down")
	}
	if ours.timeoutsAfter > 0 || len(ours.others) > 0 || ours.servfail == 0 || ours.servfailWithEDE != ours.servfail {
		t.Errorf("before its first sync the plugin must answer every query SERVFAIL with EDE 14: %d timed out after it listened, answers other than SERVFAIL %v, %d SERVFAIL of which %d with the EDE",
			ours.timeoutsAfter, ours.others, ours.servfail, ours.servfailWithEDE)
	}

	must(t, fb.StartAPIServer(t.Context()))
	waitHTTPStatus(t, ours.c.readyAddr, "/ready", http.StatusOK, converge)
	moving := fb.names.moving
	expect(t, ours.c, converge, moving, "A", answer(moving+" A "+fb.address(0)))
}

// hasEDE reports whether r carries the Extended DNS Error code.
func hasEDE(r *dns.Msg, code uint16) bool {
	if opt := r.IsEdns0(); opt != nil {
		for _, o := range opt.Option {
			if e, ok := o.(*dns.EDNS0_EDE); ok && e.InfoCode == code {
				return true
			}
		}
	}
	return false
}
