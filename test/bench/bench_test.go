package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMain lets this test binary serve as the replay server, as the
// benchmark's own binary does (replay.go).
func TestMain(m *testing.M) {
	serveIfAsked()
	os.Exit(m.Run())
}

// TestSmoke runs the whole benchmark with tiny sizes so that it cannot rot:
// it must complete and print every row of the table. The numbers are not
// judged.
func TestSmoke(t *testing.T) {
	ensureDnsperf(t)
	var stdout, stderr bytes.Buffer
	args := []string{
		"--services", "20", "--endpoints", "3", "--duration", "2s", "--rounds", "1",
		"--updates", "10", "--queries", "1000",
	}
	err := run(t.Context(), args, &stdout, &stderr)
	if err != nil {
		t.Fatalf("bench %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	t.Logf("stdout:\n%s", stdout.String())
	for _, want := range []string{
		"ours/in-tree", "ours/floor",
		"ours/replay QPS", "lowest MemAvailable", "prometheus, EDNS", "no prometheus, no EDNS",
		"QPS, median of 1 x 2s",
		"latency p50 at", "latency p99 at",
		"sync: start to answering all",
		"RSS after sync", "Go heap in use after sync",
		"relist: force to last object sent", "peak RSS (x steady)",
		"propagation p50 (10 updates)", "propagation p99 (10 updates)",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the table has no %q\nstdout:\n%s\nstderr:\n%s", want, stdout.String(), stderr.String())
		}
	}
}

func TestLargeMode(t *testing.T) {
	c, err := parseFlags([]string{"--large"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.services != largeServices || !c.skip[phaseQPS] || !c.skip[phaseCeiling] || c.skip[phaseRelist] || c.skip[phaseMemory] {
		t.Errorf("--large: services %d, skip %v; want %d services, qps and ceiling skipped, memory and relist kept", c.services, c.skip, largeServices)
	}
	c, err = parseFlags([]string{"--large", "--services", "100000", "--skip", "relist"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.services != 100000 || c.skip[phaseQPS] || !c.skip[phaseRelist] {
		t.Errorf("--large with --services and --skip given: services %d, skip %v; want what was given", c.services, c.skip)
	}
}

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		ok   bool
	}{
		{name: "the defaults are valid", args: nil, ok: true},
		{name: "phases can be skipped", args: []string{"--skip", "qps,latency"}, ok: true},
		{name: "an unknown phase is refused", args: []string{"--skip", "nosuch"}},
		{name: "one service is too few", args: []string{"--services", "1"}},
		{name: "a sub-second run is refused", args: []string{"--duration", "500ms"}},
		{name: "positional arguments are refused", args: []string{"extra"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseFlags(tc.args, &bytes.Buffer{})
			if (err == nil) != tc.ok {
				t.Errorf("parseFlags(%q) error = %v, want ok=%v", tc.args, err, tc.ok)
			}
		})
	}
}

func TestParseDnsperf(t *testing.T) {
	out := `> NOERROR a.clusterset.local A 0.000428
> NXDOMAIN b.clusterset.local A 0.000107
Statistics:

  Queries sent:         2000
  Queries completed:    1990 (99.50%)
  Queries lost:         10 (0.50%)

  Response codes:       NOERROR 1800 (90.45%), NXDOMAIN 190 (9.55%)
  Average packet size:  request 47, response 64
  Run time (s):         2.000176
  Queries per second:   994.912008
`
	run, lat, err := parseDnsperf(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if run.sent != 2000 || run.completed != 1990 || run.lost != 10 || run.qps < 994 || run.qps > 995 {
		t.Errorf("statistics = %+v", run)
	}
	if run.rcodes != "NOERROR 90%, NXDOMAIN 10%" {
		t.Errorf("rcodes = %q", run.rcodes)
	}
	if len(lat) != 2 || lat[0].Microseconds() != 428 {
		t.Errorf("latencies = %v", lat)
	}
}

// ensureDnsperf installs the Debian package dnsperf when it is missing, as
// `make bench` does, and skips the test only when that is impossible.
func ensureDnsperf(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("dnsperf"); err == nil {
		return
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		t.Skip("dnsperf is not installed and there is no apt-get to install it (Debian package dnsperf)")
	}
	install := func() ([]byte, error) {
		cmd := exec.Command("apt-get", "install", "-y", "-qq", "--no-install-recommends", "dnsperf")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return cmd.CombinedOutput()
	}
	out, err := install()
	if err != nil {
		// The package lists may be missing or stale: refresh them once.
		if upd, uerr := exec.Command("apt-get", "update", "-qq").CombinedOutput(); uerr != nil {
			t.Skipf("dnsperf is not installed and apt-get update failed: %v\n%s", uerr, upd)
		}
		out, err = install()
	}
	if err != nil {
		t.Skipf("dnsperf is not installed and apt-get install dnsperf failed: %v\n%s", err, out)
	}
	if _, err := exec.LookPath("dnsperf"); err != nil {
		t.Skipf("apt-get installed dnsperf but it is not on PATH: %v", err)
	}
}
