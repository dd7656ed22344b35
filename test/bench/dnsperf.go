package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// perfRun is what one dnsperf run reports.
type perfRun struct {
	qps                   float64
	sent, completed, lost int64
	rcodes                string  // "NOERROR 90.00%, NXDOMAIN 10.00%"
	cpu                   float64 // the server's CPU use over the run, 1.0 = one CPU
	others                float64 // the rest of the server's CPU's use: other processes
	gen, genOthers        float64 // dnsperf's CPU use, and the rest of its CPU's
}

// usPerQuery is the server CPU time per answered query, in microseconds:
// unlike QPS, it hardly depends on what else competes for the CPUs.
func (r perfRun) usPerQuery() float64 {
	if r.qps == 0 {
		return 0
	}
	return r.cpu * 1e6 / r.qps
}

// dnsperfOpts are the knobs of one run.
type dnsperfOpts struct {
	file                 string
	duration             time.Duration
	clients, outstanding int
	rate                 float64 // -Q; 0 = as fast as it can
	verbose              string  // with -v, stdout goes to this file
	noEDNS               bool    // leave out -e: queries without an OPT record
}

// runDnsperf runs dnsperf against s, pinned to cpu, and returns its
// statistics and, with opts.verbose, every completed query's latency.
//
// dnsperf is run with -e (EDNS0) so that the SRV answers of headless
// services, with their glue, are not truncated (unless opts.noEDNS), and
// -t 2 (a query not answered in 2s is lost).
func runDnsperf(ctx context.Context, s *server, cpu string, opts dnsperfOpts) (perfRun, []time.Duration, error) {
	_, port, _ := strings.Cut(s.dnsAddr, ":")
	args := []string{"-s", "127.0.0.1", "-p", port, "-d", opts.file,
		"-l", strconv.FormatFloat(opts.duration.Seconds(), 'f', 3, 64),
		"-c", strconv.Itoa(opts.clients), "-q", strconv.Itoa(opts.outstanding), "-t", "2"}
	if !opts.noEDNS {
		args = append(args, "-e")
	}
	if opts.rate > 0 {
		args = append(args, "-Q", strconv.Itoa(int(math.Round(opts.rate))))
	}
	if opts.verbose != "" {
		args = append(args, "-v")
	}
	bin := "dnsperf"
	if cpu != "" {
		bin, args = "taskset", append([]string{"-c", cpu, "dnsperf"}, args...)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stderr = &stderr
	var out *os.File
	if opts.verbose != "" {
		f, err := os.Create(opts.verbose)
		if err != nil {
			return perfRun{}, nil, err
		}
		defer f.Close()
		out = f
		cmd.Stdout = f
	} else {
		cmd.Stdout = &stdout
	}
	cpu0 := cpuTime(s.pid())
	busy0, genBusy0 := cpuBusy(s.cpu), cpuBusy(cpu)
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return perfRun{}, nil, fmt.Errorf("dnsperf: %w\n%s%s", err, tail(stdout.String(), 2000), tail(stderr.String(), 2000))
	}
	wall := time.Since(start)
	used := cpuTime(s.pid()) - cpu0
	busy, genBusy := cpuBusy(s.cpu)-busy0, cpuBusy(cpu)-genBusy0
	gen := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()

	var r io.Reader = &stdout
	if out != nil {
		if _, err := out.Seek(0, io.SeekStart); err != nil {
			return perfRun{}, nil, err
		}
		r = out
	}
	run, lat, err := parseDnsperf(r)
	if err != nil {
		return run, nil, fmt.Errorf("dnsperf output: %w\n%s", err, tail(stderr.String(), 2000))
	}
	run.cpu = used.Seconds() / wall.Seconds()
	run.gen = gen.Seconds() / wall.Seconds()
	if busy > 0 {
		run.others = max(0, (busy-used).Seconds()/wall.Seconds())
	}
	if genBusy > 0 {
		run.genOthers = max(0, (genBusy-gen).Seconds()/wall.Seconds())
	}
	return run, lat, nil
}

// parseDnsperf reads dnsperf's statistics and, with -v, the per-query lines
// "> RCODE NAME TYPE LATENCY_SECONDS".
func parseDnsperf(r io.Reader) (perfRun, []time.Duration, error) {
	var run perfRun
	var lat []time.Duration
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	found := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "> ") {
			f := strings.Fields(line)
			if sec, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
				lat = append(lat, time.Duration(sec*float64(time.Second)))
			}
			continue
		}
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		first := strings.Fields(v + " ")
		switch k {
		case "Queries sent":
			run.sent, _ = strconv.ParseInt(first[0], 10, 64)
		case "Queries completed":
			run.completed, _ = strconv.ParseInt(first[0], 10, 64)
		case "Queries lost":
			run.lost, _ = strconv.ParseInt(first[0], 10, 64)
		case "Response codes":
			run.rcodes = rcodeShares(v)
		case "Queries per second":
			run.qps, _ = strconv.ParseFloat(first[0], 64)
			found = true
		}
	}
	if err := sc.Err(); err != nil {
		return run, nil, err
	}
	if !found {
		return run, nil, fmt.Errorf("no \"Queries per second\" in dnsperf's output")
	}
	return run, lat, nil
}

// rcodeShares turns "NOERROR 123 (90.00%), NXDOMAIN 12 (10.00%)" into
// "NOERROR 90%, NXDOMAIN 10%".
func rcodeShares(v string) string {
	var parts []string
	for _, p := range strings.Split(v, ",") {
		f := strings.Fields(p)
		if len(f) == 3 {
			pct, err := strconv.ParseFloat(strings.Trim(f[2], "(%)"), 64)
			if err == nil {
				parts = append(parts, fmt.Sprintf("%s %.0f%%", f[0], pct))
				continue
			}
		}
		parts = append(parts, strings.TrimSpace(p))
	}
	return strings.Join(parts, ", ")
}

// cpuBusy is the time CPU cpu ("0") has spent not idle, from /proc/stat;
// 0 when cpu is "" (not pinned).
func cpuBusy(cpu string) time.Duration {
	if cpu == "" {
		return 0
	}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || f[0] != "cpu"+cpu {
			continue
		}
		var busy int64
		for i, v := range f[1:] {
			n, _ := strconv.ParseInt(v, 10, 64)
			if i == 3 || i == 4 || i >= 7 { // idle, iowait; guest time is already in user
				continue
			}
			busy += n
		}
		return time.Duration(busy) * 10 * time.Millisecond
	}
	return 0
}

func tail(s string, n int) string {
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}

// runQPS alternates ours, in-tree and the floor at saturation for
// cfg.rounds rounds.
func runQPS(ctx context.Context, cfg *config, servers []*server, file, work string, cpus cpuPlan, res *results, logf func(string, ...any)) error {
	res.qps = map[string][]perfRun{}
	for round := 1; round <= cfg.rounds; round++ {
		for _, s := range servers {
			run, _, err := runDnsperf(ctx, s, cpus.load, dnsperfOpts{file: file, duration: cfg.duration, clients: cfg.clients, outstanding: cfg.outstanding})
			if err != nil {
				return fmt.Errorf("%s: %w", s.kind, err)
			}
			res.qps[s.kind] = append(res.qps[s.kind], run)
			logf("QPS round %d/%d %-7s %8.0f qps, server CPU %3.0f%% (%.1f us/query), others on its CPU %3.0f%%; dnsperf CPU %3.0f%%, others on its CPU %3.0f%%; lost %d/%d, %s",
				round, cfg.rounds, s.kind, run.qps, 100*run.cpu, run.usPerQuery(), 100*run.others, 100*run.gen, 100*run.genOthers, run.lost, run.sent, run.rcodes)
		}
	}
	return nil
}

// profileServers runs one more saturated run per server (not counted) while
// taking a CPU profile through the pprof plugin, and saves it.
func profileServers(ctx context.Context, cfg *config, servers []*server, file, work string, cpus cpuPlan, logf func(string, ...any)) error {
	if err := os.MkdirAll(cfg.cpuprofile, 0o755); err != nil {
		return err
	}
	for _, s := range servers {
		if s.kind == kindFloor {
			continue
		}
		secs := int(cfg.duration.Seconds()) - 1
		if secs < 1 {
			secs = 1
		}
		path, _ := filepath.Abs(filepath.Join(cfg.cpuprofile, "cpu."+s.kind+".pprof"))
		errc := make(chan error, 1)
		go func() {
			errc <- fetch(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", s.pprofAddr, secs), path, time.Duration(secs+30)*time.Second)
		}()
		run, _, err := runDnsperf(ctx, s, cpus.load, dnsperfOpts{file: file, duration: cfg.duration, clients: cfg.clients, outstanding: cfg.outstanding})
		if err != nil {
			return fmt.Errorf("%s: %w", s.kind, err)
		}
		if err := <-errc; err != nil {
			return fmt.Errorf("%s: CPU profile: %w", s.kind, err)
		}
		logf("%s: CPU profile of a saturated run (%.0f qps while profiled): %s (go tool pprof -top %s %s)", s.kind, run.qps, path, cfg.coredns, path)
	}
	return nil
}

func fetch(url, path string, timeout time.Duration) error {
	c := &http.Client{Timeout: timeout}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// latencyRun is one fixed-rate run with its latency percentiles. Lost
// queries count as infinitely slow, so a p99 with more than 1% lost is
// +Inf.
type latencyRun struct {
	perfRun
	rate     float64
	p50, p99 time.Duration
}

// runLatency drives each server at the same fixed rate (half the floor's
// median saturated QPS unless --rate) and takes p50/p99 from dnsperf -v.
func runLatency(ctx context.Context, cfg *config, servers []*server, file, work string, cpus cpuPlan, res *results, logf func(string, ...any)) error {
	rate := cfg.rate
	if rate == 0 {
		var floor []float64
		for _, r := range res.qps[kindFloor] {
			floor = append(floor, r.qps)
		}
		if len(floor) == 0 {
			for _, s := range servers {
				if s.kind == kindFloor {
					run, _, err := runDnsperf(ctx, s, cpus.load, dnsperfOpts{file: file, duration: cfg.duration, clients: cfg.clients, outstanding: cfg.outstanding})
					if err != nil {
						return err
					}
					floor = append(floor, run.qps)
				}
			}
		}
		rate = median(floor) / 2
	}
	res.latency = map[string]latencyRun{}
	for _, s := range servers {
		out := filepath.Join(work, "dnsperf-v."+s.kind+".txt")
		run, lat, err := runDnsperf(ctx, s, cpus.load, dnsperfOpts{file: file, duration: cfg.duration, clients: cfg.clients, outstanding: cfg.outstanding, rate: rate, verbose: out})
		if err != nil {
			return fmt.Errorf("%s: %w", s.kind, err)
		}
		os.Remove(out)
		lr := latencyRun{perfRun: run, rate: rate}
		lr.p50, lr.p99 = percentileWithLost(lat, run.lost, 0.50), percentileWithLost(lat, run.lost, 0.99)
		res.latency[s.kind] = lr
		logf("latency %-7s at %.0f qps: p50 %s p99 %s, %.0f qps answered, server CPU %3.0f%%, others on its CPU %3.0f%%, lost %d/%d",
			s.kind, rate, fmtDur(lr.p50), fmtDur(lr.p99), run.qps, 100*run.cpu, 100*run.others, run.lost, run.sent)
	}
	return nil
}

// percentileWithLost is the nearest-rank percentile of lat plus lost
// queries counted as +Inf.
func percentileWithLost(lat []time.Duration, lost int64, p float64) time.Duration {
	n := len(lat) + int(lost)
	if n == 0 {
		return 0
	}
	slices.Sort(lat)
	rank := int(math.Ceil(p*float64(n))) - 1
	if rank < 0 {
		rank = 0
	}
	if rank >= len(lat) {
		return time.Duration(math.MaxInt64)
	}
	return lat[rank]
}
