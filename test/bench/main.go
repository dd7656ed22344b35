// Command bench is `make bench`: a side-by-side benchmark of three CoreDNS
// servers built from the same bin/coredns, on the same data, under the same
// conditions:
//
//   - ours: the clusterset plugin (`clusterset { kubeconfig ... }`);
//   - in-tree: CoreDNS v1.15.0's `kubernetes clusterset.local { multicluster
//     clusterset.local }`;
//   - floor: `erratic { drop 0 }`, a CoreDNS that does nothing but answer.
//
// It starts the test-bed API server (test/testbed), loads a ClusterSet
// (--services ServiceImports, half ClusterSetIP with a VIP and half headless,
// each with --endpoints endpoints spread over --clusters source clusters, one
// EndpointSlice per service and cluster), then starts the servers one at a
// time (each pinned to CPU 0 with taskset and GOMAXPROCS=1) and measures:
//
//   - sync: from process start to ready and the last service answered;
//   - memory: RSS (/proc/PID/status) and Go heap in use (the prometheus
//     plugin's go_memstats_heap_inuse_bytes, after a GC forced through the
//     pprof plugin's /debug/pprof/heap?gc=1) once synced;
//   - QPS: dnsperf (pinned to CPU 1) on a mixed query file, alternating the
//     three servers for --rounds rounds of --duration, medians and ratios;
//   - ceiling: ours against a replay of its own answers (replay.go): a
//     CoreDNS, built into this program, whose only plugin writes the
//     message ours answered to the same question, with and without
//     prometheus in the block and EDNS in the queries;
//   - latency: p50/p99 at a fixed rate of half the floor's median QPS, from
//     dnsperf -v, which prints every query's latency;
//   - propagation: for --updates EndpointSlice updates, the time from the
//     start of the API write to the first answer of each server that shows
//     the new address (each server polled every millisecond with miekg/dns);
//   - relist: the peak RSS and heap while every watch of a server relists.
//     Each server talks to the API server through its own small HTTPS proxy
//     (proxy.go); to force a relist the proxy ends every watch stream and
//     answers the re-watch with 410 Gone ("too old resource version"), as an
//     API server does after its watch cache lost the history, so client-go
//     lists (or watch-lists) everything again.
//
// Progress goes to stderr, the table to stdout. Numbers are printed, never
// judged: these machines are noisy.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/clusterset-dns/clusterset/test/testbed"
)

// Phases that --skip can leave out. Sync always runs: the others need it.
const (
	phaseQPS         = "qps"
	phaseLatency     = "latency"
	phaseMemory      = "memory"
	phaseRelist      = "relist"
	phasePropagation = "propagation"
	phaseCeiling     = "ceiling"
)

var allPhases = []string{phaseQPS, phaseCeiling, phaseLatency, phaseMemory, phasePropagation, phaseRelist}

// config is the parsed command line.
type config struct {
	services, endpoints, clusters int
	rounds                        int
	duration                      time.Duration
	updates                       int
	rate                          float64
	workers                       int
	clients, outstanding          int
	queries                       int
	coredns                       string
	skip                          map[string]bool
	cpuprofile                    string
	heapprofile                   string
	syncProfile                   string
	syncProfileFor                time.Duration
	keep                          bool
	syncTimeout                   time.Duration
	pin                           bool
	large                         bool
	minAvailable                  int64 // bytes
}

func main() {
	serveIfAsked()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{skip: map[string]bool{}}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.services, "services", 2000, "ServiceImports to load: half ClusterSetIP with a VIP, half headless")
	fs.IntVar(&c.endpoints, "endpoints", 10, "endpoints per service, spread over the source clusters")
	fs.IntVar(&c.clusters, "clusters", 3, "source clusters (one EndpointSlice per service and cluster)")
	fs.IntVar(&c.rounds, "rounds", 3, "QPS rounds; each round runs ours, in-tree, floor in turn")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "length of each dnsperf run")
	fs.IntVar(&c.updates, "updates", 200, "EndpointSlice updates for the propagation figures")
	fs.Float64Var(&c.rate, "rate", 0, "queries per second for the latency runs (0: half the floor's median QPS)")
	fs.IntVar(&c.workers, "workers", 32, "concurrent API writes while loading")
	fs.IntVar(&c.clients, "clients", 4, "dnsperf -c: clients (sockets)")
	fs.IntVar(&c.outstanding, "outstanding", 200, "dnsperf -q: queries outstanding (above ~240 the server's default UDP receive buffer overflows and dnsperf loses queries)")
	fs.IntVar(&c.queries, "queries", 50000, "lines in the query file (dnsperf loops over it)")
	fs.StringVar(&c.coredns, "coredns", "", "the CoreDNS binary (default: $COREDNS_BIN, else bin/coredns of the module)")
	skip := fs.String("skip", "", "comma-separated phases to skip: "+strings.Join(allPhases, ","))
	fs.StringVar(&c.cpuprofile, "cpuprofile", "", "directory: after the QPS rounds, one extra saturated run per server (ours, in-tree) with a CPU profile saved there")
	fs.StringVar(&c.heapprofile, "heapprofile", "", "directory: after the memory phase, the heap profiles of ours and in-tree (after a GC) are saved there")
	fs.StringVar(&c.syncProfile, "syncprofile", "", "directory: a CPU profile of the first --syncprofile-for of ours and in-tree (their sync) is saved there")
	fs.DurationVar(&c.syncProfileFor, "syncprofile-for", 30*time.Second, "how long the sync profiles run")
	fs.BoolVar(&c.keep, "keep", false, "keep the work directory (logs, Corefiles, query file, kubeconfigs)")
	fs.DurationVar(&c.syncTimeout, "sync-timeout", 10*time.Minute, "how long a server may take to sync")
	fs.BoolVar(&c.pin, "pin", true, "pin the servers to CPU 0, dnsperf, the API server, etcd and this process to CPU 1")
	fs.BoolVar(&c.large, "large", false, fmt.Sprintf("large-scale mode: --services %d (500k endpoints) and --skip %s unless given; for memory, relist and sync time", largeServices, largeSkip))
	minAvailMiB := fs.Int64("min-available", 2048, "MiB: stop the run when the machine's MemAvailable falls below this")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	c.minAvailable = *minAvailMiB << 20
	if c.large {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		if !given["services"] {
			c.services = largeServices
		}
		if !given["skip"] {
			*skip = largeSkip
		}
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, p := range strings.Split(*skip, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !contains(allPhases, p) {
			return nil, fmt.Errorf("--skip: unknown phase %q (phases: %s)", p, strings.Join(allPhases, ","))
		}
		c.skip[p] = true
	}
	switch {
	case c.services < 2:
		return nil, errors.New("--services must be at least 2 (one ClusterSetIP, one headless)")
	case c.endpoints < 1:
		return nil, errors.New("--endpoints must be at least 1")
	case c.clusters < 1 || c.clusters > 26:
		return nil, errors.New("--clusters must be 1 to 26")
	case c.rounds < 1:
		return nil, errors.New("--rounds must be at least 1")
	case c.duration < time.Second:
		return nil, errors.New("--duration must be at least 1s")
	case c.updates < 1:
		return nil, errors.New("--updates must be at least 1")
	case c.workers < 1 || c.clients < 1 || c.outstanding < 1 || c.queries < 10:
		return nil, errors.New("--workers, --clients, --outstanding must be positive and --queries at least 10")
	}
	return c, nil
}

// run is the whole benchmark; main and the smoke test call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "%s bench: %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, a...))
	}
	if cfg.coredns == "" {
		if cfg.coredns, err = defaultCoreDNS(); err != nil {
			return err
		}
	}
	if _, err := os.Stat(cfg.coredns); err != nil {
		return fmt.Errorf("%s is missing: run `make build` (or `make bench`, which builds it)", cfg.coredns)
	}
	for _, tool := range []string{"dnsperf", "taskset"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is not installed: run `make bench` (it installs the Debian package dnsperf) or apt-get install dnsperf util-linux", tool)
		}
	}
	cpus := cpuPlan{server: "0", load: "1"}
	if runtime.NumCPU() < 2 {
		logf("only %d CPU: servers and dnsperf share CPU 0; the QPS figures mean little", runtime.NumCPU())
		cpus.load = "0"
	}
	if !cfg.pin {
		cpus = cpuPlan{}
	}

	work, err := os.MkdirTemp("", "clusterset-bench-")
	if err != nil {
		return err
	}
	defer func() {
		if cfg.keep || err != nil {
			logf("work directory kept: %s", work)
			return
		}
		os.RemoveAll(work)
	}()

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	mem := watchMemory(cancel, cfg.minAvailable, logf)
	defer mem.Stop()
	defer func() {
		if cause := context.Cause(ctx); err != nil && cause != nil && cause != context.Canceled {
			err = fmt.Errorf("%w (%v)", err, cause)
		}
	}()

	res := &results{cfg: cfg, coredns: cfg.coredns, cpus: cpus, loadavg: loadavg(), mem: mem}
	if l := res.loadavg; l != "" {
		var one float64
		if _, err := fmt.Sscanf(l, "%g", &one); err == nil && one > 1.5 {
			logf("WARNING: load average %s: other processes are busy, the figures will be noisy", l)
		}
	}
	begin := time.Now()

	logf("starting etcd and kube-apiserver %s on 127.0.0.1", testbed.Version)
	bed, err := testbed.Start(ctx, testbed.Options{Logf: logf})
	if err != nil {
		return err
	}
	defer func() {
		logf("stopping kube-apiserver and etcd")
		bed.Stop()
	}()

	set := newClusterSet(cfg)
	res.set = set
	logf("loading %s", set.describe())
	if res.loadTime, err = set.load(ctx, bed, cfg.workers, logf); err != nil {
		return err
	}
	logf("loaded %d objects in %v (%.0f writes/s)", set.objects(), res.loadTime.Round(time.Millisecond), float64(set.writes())/res.loadTime.Seconds())

	if cpus.load != "" {
		pinOthers(cpus.load, logf)
	}

	queryFile := filepath.Join(work, "queries.txt")
	if res.mix, err = set.writeQueryFile(queryFile, cfg.queries); err != nil {
		return err
	}

	servers, stopServers, err := startServers(ctx, cfg, bed, set, work, cpus, logf)
	defer stopServers()
	if err != nil {
		return err
	}
	res.servers = servers

	if !cfg.skip[phaseMemory] {
		if err := measureMemory(ctx, servers, logf); err != nil {
			return err
		}
		if cfg.heapprofile != "" {
			if err := saveHeapProfiles(cfg, servers, logf); err != nil {
				return err
			}
		}
	}
	if !cfg.skip[phaseQPS] {
		if err := runQPS(ctx, cfg, servers, queryFile, work, cpus, res, logf); err != nil {
			return err
		}
		if cfg.cpuprofile != "" {
			if err := profileServers(ctx, cfg, servers, queryFile, work, cpus, logf); err != nil {
				return err
			}
		}
	}
	if !cfg.skip[phaseCeiling] {
		if err := runCeiling(ctx, cfg, bed, set, queryFile, work, cpus, res, logf); err != nil {
			return err
		}
	}
	if !cfg.skip[phaseLatency] {
		if err := runLatency(ctx, cfg, servers, queryFile, work, cpus, res, logf); err != nil {
			return err
		}
	}
	if !cfg.skip[phasePropagation] {
		if err := runPropagation(ctx, cfg, bed, set, servers, res, logf); err != nil {
			return err
		}
	}
	if !cfg.skip[phaseRelist] {
		if err := runRelist(ctx, servers, res, logf); err != nil {
			return err
		}
	}
	for _, s := range servers {
		if s.syncProfile != nil {
			if err := <-s.syncProfile; err != nil {
				return fmt.Errorf("%s: sync profile: %w", s.kind, err)
			}
		}
	}
	res.bedPeaks = bedPeaks()
	res.total = time.Since(begin)
	logf("done in %v", res.total.Round(time.Second))
	res.print(stdout)
	return nil
}

// cpuPlan says where things run; empty strings mean unpinned.
type cpuPlan struct{ server, load string }

// defaultCoreDNS is $COREDNS_BIN, else bin/coredns at the module root.
func defaultCoreDNS() (string, error) {
	if env := os.Getenv("COREDNS_BIN"); env != "" {
		return env, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/clusterset-dns/clusterset\n") {
			return filepath.Join(dir, "bin", "coredns"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod of github.com/clusterset-dns/clusterset above the working directory: pass --coredns")
		}
		dir = parent
	}
}

// pinOthers moves the API server and etcd this process started, and this
// process, to cpu, so that only the servers under test run on the other.
// It changes CPU affinity only; it signals nothing.
func pinOthers(cpu string, logf func(string, ...any)) {
	self := os.Getpid()
	pids := []int{self}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil || pid == self {
			continue
		}
		ppid, comm := procParent(pid)
		if ppid == self && (comm == "etcd" || comm == "kube-apiserver") {
			pids = append(pids, pid)
		}
	}
	sort.Ints(pids)
	for _, pid := range pids {
		if out, err := exec.Command("taskset", "-a", "-p", "-c", cpu, fmt.Sprint(pid)).CombinedOutput(); err != nil {
			logf("taskset -a -p -c %s %d: %v: %s", cpu, pid, err, strings.TrimSpace(string(out)))
		}
	}
	logf("pinned this process, kube-apiserver and etcd (pids %v) to CPU %s", pids, cpu)
}

// procParent returns the parent PID and command name of pid.
func procParent(pid int) (int, string) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, ""
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return 0, ""
	}
	var state string
	var ppid int
	if _, err := fmt.Sscanf(s[end+1:], " %s %d", &state, &ppid); err != nil {
		return 0, ""
	}
	return ppid, s[open+1 : end]
}

// loadavg returns the three load averages of /proc/loadavg.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
