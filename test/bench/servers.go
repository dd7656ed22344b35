package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clusterset-dns/clusterset/test/testbed"

	"github.com/miekg/dns"
)

// The three servers.
const (
	kindOurs   = "ours"
	kindInTree = "in-tree"
	kindFloor  = "floor"
)

// The ceiling phase's servers (ceiling.go): ours without prometheus in its
// block, and the replay of ours's answers with and without it.
const (
	kindOursBare   = "ours-bare"
	kindReplay     = "replay"
	kindReplayBare = "replay-bare"
)

// withPrometheus reports whether kind's server block has the prometheus
// plugin, which sits in front of every query's handler.
func withPrometheus(kind string) bool { return kind != kindOursBare && kind != kindReplayBare }

// isReplay reports whether kind is served by this program's replay plugin.
func isReplay(kind string) bool { return kind == kindReplay || kind == kindReplayBare }

// watches reports whether kind's server reads the API (through its proxy).
func watches(kind string) bool { return kind == kindOurs || kind == kindOursBare || kind == kindInTree }

// server is one bin/coredns process under test.
type server struct {
	kind                              string
	dnsAddr                           string
	readyAddr, metricsAddr, pprofAddr string
	corefile, logPath                 string
	proc                              *testbed.Process
	proxy                             *relistProxy // nil for the floor and the replays
	capture                           string       // the replays' capture file
	syncProfile                       chan error   // the sync's CPU profile is saved, with --syncprofile
	cpu                               string       // the CPU it is pinned to, "" if not

	syncTime time.Duration // start to ready and answering the last service
	syncCPU  time.Duration // CPU time used by then
	syncPeak int64         // VmHWM at that point: the peak RSS of the initial sync
	steady   memory        // after sync, after a forced GC
	checks   []string      // answers that differ from the data (for the notes)
}

// memory is one reading of a server's memory.
type memory struct {
	rss, heap int64 // bytes; heap is go_memstats_heap_inuse_bytes
}

func (s *server) pid() int { return s.proc.PID() }

// corefileFor returns the server block of kind.
func corefileFor(kind, kubeconfig string, s *server) string {
	var plugin string
	switch kind {
	case kindOurs, kindOursBare:
		plugin = fmt.Sprintf("    clusterset {\n        kubeconfig %s\n    }\n", kubeconfig)
	case kindInTree:
		plugin = fmt.Sprintf("    kubernetes %s {\n        kubeconfig %s\n        multicluster %s\n    }\n", zone, kubeconfig, zone)
	case kindFloor:
		plugin = "    erratic {\n        drop 0\n    }\n"
	case kindReplay, kindReplayBare:
		plugin = "    replay " + s.capture + "\n"
	}
	ready := ""
	if s.readyAddr != "" {
		ready = "    ready " + s.readyAddr + "\n"
	}
	prometheus := ""
	if withPrometheus(kind) {
		prometheus = "    prometheus " + s.metricsAddr + "\n"
	}
	_, port, _ := strings.Cut(s.dnsAddr, ":")
	return fmt.Sprintf("%s:%s {\n    bind 127.0.0.1\n%s%s%s    pprof %s\n}\n",
		zone, port, plugin, ready, prometheus, s.pprofAddr)
}

// startServers starts ours, in-tree and the floor one after the other,
// each alone on its CPU while it syncs, and returns them with a function
// that stops them all.
func startServers(ctx context.Context, cfg *config, bed *testbed.Bed, set *clusterSet, work string, cpus cpuPlan, logf func(string, ...any)) ([]*server, func(), error) {
	var servers []*server
	stop := func() {
		for _, s := range servers {
			if s.proc != nil {
				s.proc.Kill(5 * time.Second)
			}
			if s.proxy != nil {
				s.proxy.close()
			}
		}
	}
	for _, kind := range []string{kindOurs, kindInTree, kindFloor} {
		s, err := startServer(ctx, cfg, bed, set, work, cpus, kind, "", logf)
		if s != nil {
			servers = append(servers, s)
		}
		if err != nil {
			return servers, stop, err
		}
	}
	return servers, stop, nil
}

// startServer starts a server of kind and waits until it answers the
// data; capture is the replays' capture file.
func startServer(ctx context.Context, cfg *config, bed *testbed.Bed, set *clusterSet, work string, cpus cpuPlan, kind, capture string, logf func(string, ...any)) (*server, error) {
	ports, err := testbed.FreePorts(4)
	if err != nil {
		return nil, err
	}
	at := func(p int) string { return "127.0.0.1:" + strconv.Itoa(p) }
	s := &server{
		kind:        kind,
		dnsAddr:     at(ports[0]),
		metricsAddr: at(ports[1]),
		pprofAddr:   at(ports[2]),
		corefile:    filepath.Join(work, "Corefile."+kind),
		logPath:     filepath.Join(work, "coredns."+kind+".log"),
		cpu:         cpus.server,
		capture:     capture,
	}
	kubeconfig := ""
	if watches(kind) {
		s.readyAddr = at(ports[3])
		if s.proxy, err = newRelistProxy(kind, bed, logf); err != nil {
			return nil, err
		}
		kubeconfig = filepath.Join(work, "kubeconfig."+kind)
		if err := s.proxy.writeKubeconfig(kubeconfig, bed.Token(testbed.AdminUser)); err != nil {
			return s, err
		}
	}
	if err := os.WriteFile(s.corefile, []byte(corefileFor(kind, kubeconfig, s)), 0o600); err != nil {
		return s, err
	}
	coredns, env := cfg.coredns, []string{"GOMAXPROCS=1"}
	if isReplay(kind) {
		if coredns, err = os.Executable(); err != nil {
			return s, err
		}
		env = append(env, asCoreDNSEnv+"=1")
	}
	bin, args := coredns, []string{"-conf", s.corefile}
	if cpus.server != "" {
		taskset, err := exec.LookPath("taskset")
		if err != nil {
			return s, err
		}
		bin, args = taskset, append([]string{"-c", cpus.server, coredns}, args...)
	}
	logf("%s: starting %s -conf %s (GOMAXPROCS=1, CPU %s)", kind, coredns, s.corefile, orAll(cpus.server))
	start := time.Now()
	if s.proc, err = testbed.StartProcess(bin, s.logPath, env, args...); err != nil {
		return s, err
	}
	if cfg.syncProfile != "" && watches(kind) && kind != kindOursBare {
		s.syncProfile = profileSync(ctx, s, cfg.syncProfile, cfg.syncProfileFor, logf)
	}
	if err := s.waitSynced(ctx, set, start, cfg.syncTimeout); err != nil {
		return s, fmt.Errorf("%s: %w\n%s", kind, err, s.proc.Tail(3000))
	}
	s.syncTime = time.Since(start)
	s.syncCPU = cpuTime(s.pid())
	if st, err := procStatus(s.pid()); err == nil {
		s.syncPeak = st.hwm
	}
	s.checks = s.checkAnswers(set)
	for _, c := range s.checks {
		logf("%s: NOTE: %s", kind, c)
	}
	logf("%s: synced in %v (%v CPU), pid %d, dns %s", kind, s.syncTime.Round(time.Millisecond), s.syncCPU.Round(time.Millisecond), s.pid(), s.dnsAddr)
	return s, nil
}

// profileSync takes a CPU profile of s's first seconds, from the moment its
// pprof listener answers: its sync. The channel reports when it is saved.
func profileSync(ctx context.Context, s *server, dir string, seconds time.Duration, logf func(string, ...any)) chan error {
	done := make(chan error, 1)
	go func() {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			done <- err
			return
		}
		for !httpOK("http://" + s.pprofAddr + "/debug/pprof/") {
			select {
			case <-ctx.Done():
				done <- ctx.Err()
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
		path, _ := filepath.Abs(filepath.Join(dir, "sync."+s.kind+".pprof"))
		url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", s.pprofAddr, int(seconds.Seconds()))
		err := fetch(url, path, seconds+time.Minute)
		if err == nil {
			logf("%s: CPU profile of the first %v (the sync): %s", s.kind, seconds, path)
		}
		done <- err
	}()
	return done
}

func orAll(cpu string) string {
	if cpu == "" {
		return "any"
	}
	return cpu
}

// waitSynced waits until the server is ready (when it has a ready plugin)
// and answers the last ClusterSetIP and headless services with their data.
func (s *server) waitSynced(ctx context.Context, set *clusterSet, start time.Time, timeout time.Duration) error {
	deadline := start.Add(timeout)
	ready := s.readyAddr == ""
	lastCSIP, lastHeadless := lastOf(set, false), lastOf(set, true)
	for {
		if exited, err := s.proc.Exited(); exited {
			return fmt.Errorf("coredns exited: %v", err)
		}
		if !ready {
			ready = httpOK("http://" + s.readyAddr + "/ready")
		}
		if ready {
			if s.kind == kindFloor || isReplay(s.kind) {
				if answered(s.dnsAddr, probe()) {
					return nil
				}
			} else if s.answers(set, lastCSIP) && s.answers(set, lastHeadless) {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not synced after %v (ready: %v)", timeout, ready)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func lastOf(set *clusterSet, wantHeadless bool) int {
	for i := set.services - 1; i >= 0; i-- {
		if headless(i) == wantHeadless {
			return i
		}
	}
	return 0
}

// answers reports whether service i answers A with exactly its data as
// last written.
func (s *server) answers(set *clusterSet, i int) bool {
	got, err := queryA(s.dnsAddr, fqdn(i))
	if err != nil {
		return false
	}
	want := set.wantA(i)
	slices.Sort(got)
	slices.Sort(want)
	return slices.Equal(got, want)
}

// checkAnswers compares a few answers with the data and describes the
// differences. The floor answers anything and is not checked.
func (s *server) checkAnswers(set *clusterSet) []string {
	if s.kind == kindFloor || isReplay(s.kind) {
		return nil // they answer what they are given, not the data
	}
	var notes []string
	for _, i := range []int{0, 1, lastOf(set, false), lastOf(set, true)} {
		if !s.answers(set, i) {
			got, err := queryA(s.dnsAddr, fqdn(i))
			notes = append(notes, fmt.Sprintf("%s A: got %v %v", fqdn(i), got, err))
		}
	}
	m := new(dns.Msg)
	m.SetQuestion("nx-000000."+namespace+".svc."+zone+".", dns.TypeA)
	if r, err := exchange(s.dnsAddr, m); err != nil || r.Rcode != dns.RcodeNameError {
		notes = append(notes, fmt.Sprintf("a name that does not exist: %v, want NXDOMAIN", rcodeOr(r, err)))
	}
	for _, i := range []int{0, 1} {
		m := new(dns.Msg)
		m.SetQuestion("_"+portName+"._tcp."+fqdn(i), dns.TypeSRV)
		m.SetEdns0(4096, false)
		r, err := exchange(s.dnsAddr, m)
		want := 1
		if headless(i) {
			want = set.endpoints
		}
		if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != want {
			n := 0
			if r != nil {
				n = len(r.Answer)
			}
			notes = append(notes, fmt.Sprintf("_%s._tcp.%s SRV: %v with %d records, want %d", portName, fqdn(i), rcodeOr(r, err), n, want))
		}
	}
	return notes
}

func rcodeOr(r *dns.Msg, err error) string {
	if err != nil {
		return err.Error()
	}
	return dns.RcodeToString[r.Rcode]
}

func exchange(addr string, m *dns.Msg) (*dns.Msg, error) {
	c := &dns.Client{Timeout: 2 * time.Second}
	r, _, err := c.Exchange(m, addr)
	return r, err
}

// probe is the question a floor or replay server answers once it serves:
// the A of the first service, which the capture always holds.
func probe() dns.Question {
	return dns.Question{Name: fqdn(0), Qtype: dns.TypeA, Qclass: dns.ClassINET}
}

// answered reports whether addr answers q (with any rcode but SERVFAIL).
func answered(addr string, q dns.Question) bool {
	m := new(dns.Msg)
	m.SetQuestion(q.Name, q.Qtype)
	m.SetEdns0(4096, false)
	r, err := exchange(addr, m)
	return err == nil && r.Rcode != dns.RcodeServerFailure
}

// queryA returns the A addresses of name.
func queryA(addr, name string) ([]string, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	m.SetEdns0(4096, false)
	r, err := exchange(addr, m)
	if err != nil {
		return nil, err
	}
	if r.Rcode != dns.RcodeSuccess {
		return nil, errors.New(dns.RcodeToString[r.Rcode])
	}
	var out []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A.String())
		}
	}
	return out, nil
}

func httpOK(url string) bool { return httpOKWithin(url, 2*time.Second) }

// httpOKWithin is httpOK with its own timeout.
func httpOKWithin(url string, timeout time.Duration) bool {
	c := &http.Client{Timeout: timeout}
	resp, err := c.Get(url)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// measureMemory records each server's memory after a forced GC.
func measureMemory(ctx context.Context, servers []*server, logf func(string, ...any)) error {
	for _, s := range servers {
		m, err := s.settledMemory(ctx)
		if err != nil {
			return fmt.Errorf("%s: memory: %w", s.kind, err)
		}
		s.steady = m
		logf("%s: after sync: RSS %s, heap in use %s (initial sync peak RSS %s)", s.kind, mib(m.rss), mib(m.heap), mib(s.syncPeak))
	}
	return nil
}

// saveHeapProfiles saves the heap profile of ours and in-tree, taken after
// a GC, in cfg.heapprofile.
func saveHeapProfiles(cfg *config, servers []*server, logf func(string, ...any)) error {
	if err := os.MkdirAll(cfg.heapprofile, 0o755); err != nil {
		return err
	}
	for _, s := range servers {
		if s.kind == kindFloor {
			continue
		}
		path, _ := filepath.Abs(filepath.Join(cfg.heapprofile, "heap."+s.kind+".pprof"))
		if err := fetch("http://"+s.pprofAddr+"/debug/pprof/heap?gc=1", path, 30*time.Second); err != nil {
			return fmt.Errorf("%s: heap profile: %w", s.kind, err)
		}
		logf("%s: heap profile: %s (go tool pprof -sample_index inuse_space -top %s %s)", s.kind, path, cfg.coredns, path)
	}
	return nil
}

// settledMemory forces a GC through the pprof plugin, waits a moment, and
// reads RSS and the heap in use.
func (s *server) settledMemory(ctx context.Context) (memory, error) {
	// A GC of the in-tree plugin's heap at 500k endpoints, on one CPU,
	// takes seconds.
	if !httpOKWithin("http://"+s.pprofAddr+"/debug/pprof/heap?gc=1", 2*time.Minute) {
		return memory{}, errors.New("pprof heap?gc=1 failed")
	}
	select {
	case <-ctx.Done():
		return memory{}, ctx.Err()
	case <-time.After(500 * time.Millisecond):
	}
	heap, err := heapInuse(s.metricsAddr)
	if err != nil {
		return memory{}, err
	}
	st, err := procStatus(s.pid())
	if err != nil {
		return memory{}, err
	}
	return memory{rss: st.rss, heap: heap}, nil
}

// heapInuse reads go_memstats_heap_inuse_bytes from the prometheus plugin.
func heapInuse(metricsAddr string) (int64, error) {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_memstats_heap_inuse_bytes "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int64(f), err
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("no go_memstats_heap_inuse_bytes in /metrics")
}

type status struct{ rss, hwm int64 }

// procStatus reads VmRSS and VmHWM (peak RSS) of pid.
func procStatus(pid int) (status, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return status{}, err
	}
	var st status
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) < 1 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			st.rss = n * 1024
		case "VmHWM":
			st.hwm = n * 1024
		}
	}
	return st, nil
}

// resetPeak resets pid's VmHWM to its current RSS (Linux clear_refs 5).
func resetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// cpuTime is the user plus system CPU time pid has used.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	end := strings.LastIndexByte(s, ')')
	if end < 0 {
		return 0
	}
	f := strings.Fields(s[end+1:])
	// After the command: state(0) ppid ... utime(11) stime(12), in clock
	// ticks of USER_HZ, which is 100 on Linux.
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+k) * 10 * time.Millisecond
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
