package nodeimage

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// The name the client image's resolvers are asked for, and its address
// (TEST-NET-1, RFC 5737).
const (
	probeZone = "clusterset.test."
	probeName = "probe." + probeZone
	probeAddr = "192.0.2.7"
)

// nslookupA is how the MCS conformance suite reads nslookup's A/AAAA
// answers.
var nslookupA = regexp.MustCompile(`Name:.*\s*Address:\s*(.*)`)

// TestImagesInContainerd writes the pause and client images, imports them
// into a containerd of its own and runs them: the pause image stops at
// SIGTERM with status 0 as user 65535; in the client image (run with its
// default command, as a pod runs it) busybox, BIND's nslookup and glibc's
// getent start, resolve through /etc/resolv.conf from a DNS server the test
// runs, fail cleanly against a server that is not there, and PID 1 reaps an
// orphan and stops at SIGTERM.
func TestImagesInContainerd(t *testing.T) {
	c := startContainerd(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()

	start := time.Now()
	archives, err := WriteTestImages(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("images written in %v", time.Since(start).Round(time.Millisecond))
	for _, a := range []string{archives.Pause, archives.Client} {
		st, err := os.Stat(a)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %.1f MiB", filepath.Base(a), float64(st.Size())/(1<<20))
		start := time.Now()
		if err := c.Import(ctx, a); err != nil {
			t.Fatal(err)
		}
		t.Logf("imported %s in %v", filepath.Base(a), time.Since(start).Round(time.Millisecond))
	}
	out, err := c.Ctr(ctx, "images", "ls", "-q")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{PauseImage, ClientImage} {
		if !strings.Contains("\n"+out, "\n"+want+"\n") {
			t.Errorf("ctr images ls does not list %s:\n%s", want, out)
		}
	}

	t.Run("pause", func(t *testing.T) { testPause(t, ctx, c) })
	t.Run("client", func(t *testing.T) { testClient(t, ctx, c) })
}

func testPause(t *testing.T, ctx context.Context, c *testContainerd) {
	const id = "nodeimage-pause"
	args := append([]string{"--address", c.Address, "--namespace", Namespace, "run", "--rm", "--null-io"}, c.runArgs()...)
	run := exec.CommandContext(ctx, "ctr", append(args, PauseImage, id)...)
	var out strings.Builder
	run.Stdout, run.Stderr = &out, &out
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	var runErr error
	done := make(chan struct{})
	go func() { runErr = run.Wait(); close(done) }()
	defer func() {
		select {
		case <-done:
		default:
			run.Process.Kill() //nolint:errcheck // by PID, our ctr
			<-done
		}
	}()

	waitStatus(t, ctx, c, id, "RUNNING")
	pid := taskPID(t, ctx, c, id)
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^Uid:\s+65535\s`).Match(status) {
		t.Errorf("pause runs as:\n%s\nwant uid 65535", grepLine(string(status), "Uid:"))
	}

	if _, err := c.Ctr(ctx, "task", "kill", "--signal", "SIGTERM", id); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
		if runErr != nil {
			t.Errorf("pause after SIGTERM: %v, want exit status 0\n%s", runErr, out.String())
		}
	case <-time.After(20 * time.Second):
		t.Errorf("pause still running 20 s after SIGTERM (as PID 1, a signal without a handler is ignored)")
	}
}

func testClient(t *testing.T, ctx context.Context, c *testContainerd) {
	const id = "nodeimage-client"
	addrs := freeLoopbackAddrs(t, 2)
	resolver, dead := addrs[0], addrs[1]
	queries := serveProbe(t, resolver)

	resolv := filepath.Join(c.dir, "resolv.conf")
	body := "nameserver " + resolver + "\nsearch " + strings.TrimSuffix(probeZone, ".") + "\noptions timeout:2 attempts:2\n"
	if err := os.WriteFile(resolv, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	// The host's network namespace, where the test's server listens, but
	// joined by path rather than with --net-host, which would also mount
	// the host's resolv.conf and hosts over the image's and the test's.
	args := append([]string{"run", "--detach", "--null-io",
		"--with-ns", "network:/proc/" + strconv.Itoa(os.Getpid()) + "/ns/net",
		"--mount", "type=bind,src=" + resolv + ",dst=/etc/resolv.conf,options=rbind:ro"}, c.runArgs()...)
	if _, err := c.Ctr(ctx, append(args, ClientImage, id)...); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, ctx, c, id, "RUNNING")

	// expect runs argv in the container and checks its exit code and
	// that no library was missing; it returns the output.
	expect := func(code int, argv ...string) string {
		t.Helper()
		out, got := c.exec(ctx, id, argv...)
		if strings.Contains(out, "error while loading shared libraries") || strings.Contains(out, "not found") && got == 127 {
			t.Errorf("%q cannot start: %s", argv, out)
		} else if got != code {
			t.Errorf("%q: exit %d, want %d:\n%s", argv, got, code, out)
		}
		return out
	}

	if out := expect(0, "cat", "/proc/1/cmdline"); strings.TrimRight(out, "\x00") != pausePath {
		t.Errorf("PID 1 is %q, want the default command %s", out, pausePath)
	}
	if out := expect(0, "busybox"); !strings.Contains(out, "BusyBox v") {
		t.Errorf("busybox: %q, want its banner", out)
	}
	if out := expect(0, "sh", "-c", "echo $((6*7)) $(id -u)"); out != "42 0\n" {
		t.Errorf("sh: %q, want %q", out, "42 0\n")
	}
	if out := expect(0, "nslookup", "-version"); !strings.HasPrefix(out, "nslookup 9.") {
		t.Errorf("nslookup -version: %q, want BIND's nslookup 9.x", out)
	}
	for _, name := range []string{strings.TrimSuffix(probeName, "."), "probe"} {
		out := expect(0, "nslookup", name)
		if m := nslookupA.FindStringSubmatch(out); m == nil || strings.TrimSpace(m[1]) != probeAddr {
			t.Errorf("nslookup %s: want Address %s:\n%s", name, probeAddr, out)
		}
		out = expect(0, "getent", "ahosts", name)
		if !strings.HasPrefix(out, probeAddr+" ") {
			t.Errorf("getent ahosts %s: want %s:\n%s", name, probeAddr, out)
		}
	}
	if out := expect(0, "getent", "ahosts", "localhost"); !strings.Contains(out, "127.0.0.1 ") {
		t.Errorf("getent ahosts localhost: want 127.0.0.1 from /etc/hosts:\n%s", out)
	}
	// NXDOMAIN: getent's "key not found" status.
	if out := expect(2, "getent", "ahosts", "absent."+strings.TrimSuffix(probeZone, ".")); out != "" {
		t.Errorf("getent ahosts of an absent name printed %q", out)
	}
	if queries.Load() == 0 {
		t.Error("the test's DNS server saw no query")
	}
	out := expect(1, "nslookup", "-timeout=1", "-retry=1", strings.TrimSuffix(probeName, "."), dead)
	if !regexp.MustCompile(`connection refused|timed out|no servers could be reached`).MatchString(out) {
		t.Errorf("nslookup against %s, where nothing listens: want a connection error:\n%s", dead, out)
	}

	// An orphan (the background sleep of an exec'd shell that exited) is
	// adopted by PID 1, and reaped when it exits: no zombie stays.
	orphan := strings.TrimSpace(expect(0, "sh", "-c", "sleep 600 >/dev/null 2>&1 & echo $!"))
	if stat := expect(0, "cat", "/proc/"+orphan+"/stat"); len(strings.Fields(stat)) < 4 || strings.Fields(stat)[3] != "1" {
		t.Errorf("orphan %s: /proc/PID/stat %q, want parent 1", orphan, stat)
	}
	expect(0, "kill", orphan)
	for i := 0; ; i++ {
		stat, code := c.exec(ctx, id, "cat", "/proc/"+orphan+"/stat")
		if code != 0 {
			break // gone: reaped
		}
		if i == 50 {
			t.Errorf("orphan %s not reaped by PID 1 after it was killed: %s", orphan, stat)
			break
		}
		time.Sleep(200 * time.Millisecond)
	}

	if _, err := c.Ctr(ctx, "task", "kill", "--signal", "SIGTERM", id); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, ctx, c, id, "STOPPED")
	if out, err := c.Ctr(ctx, "task", "delete", id); err != nil {
		t.Errorf("task delete after SIGTERM: %v (want exit status 0)\n%s", err, out)
	}
	if _, err := c.Ctr(ctx, "containers", "delete", id); err != nil {
		t.Error(err)
	}
}

// waitStatus waits (at most 20 s, a bound on a hang) for id's task status.
func waitStatus(t *testing.T, ctx context.Context, c *testContainerd, id, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := c.taskStatus(ctx, id)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s is %q after 20 s, want %s", id, got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// taskPID is the host PID of id's init process (`ctr task ls`).
func taskPID(t *testing.T, ctx context.Context, c *testContainerd, id string) int {
	t.Helper()
	out, err := c.Ctr(ctx, "task", "ls")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == id {
			pid, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatalf("task ls: %q", line)
			}
			return pid
		}
	}
	t.Fatalf("task %s not listed:\n%s", id, out)
	return 0
}

// freeLoopbackAddrs finds n addresses of 127.0.0.0/8 where nothing listens
// on UDP port 53: the images' resolvers only speak to port 53, and the
// container shares the host's network namespace.
func freeLoopbackAddrs(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	for i := 1; i < 250 && len(addrs) < n; i++ {
		a := "127.83.0." + strconv.Itoa(i)
		pc, err := net.ListenPacket("udp", net.JoinHostPort(a, "53"))
		if err != nil {
			continue
		}
		pc.Close()
		addrs = append(addrs, a)
	}
	if len(addrs) < n {
		t.Fatalf("found %d free loopback addresses with UDP port 53, want %d", len(addrs), n)
	}
	return addrs
}

// serveProbe answers on addr:53 (UDP) for probeZone: probeName has A
// probeAddr and no AAAA, every other name is NXDOMAIN. It returns the
// count of queries seen.
func serveProbe(t *testing.T, addr string) *atomic.Int64 {
	t.Helper()
	count := new(atomic.Int64)
	mux := dns.NewServeMux()
	mux.HandleFunc(probeZone, func(w dns.ResponseWriter, r *dns.Msg) {
		count.Add(1)
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		q := r.Question[0]
		switch {
		case !strings.EqualFold(q.Name, probeName):
			m.Rcode = dns.RcodeNameError
		case q.Qtype == dns.TypeA:
			m.Answer = append(m.Answer, &dns.A{
				Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 5},
				A:   net.ParseIP(probeAddr),
			})
		}
		if m.Rcode != dns.RcodeSuccess || len(m.Answer) == 0 {
			m.Ns = append(m.Ns, &dns.SOA{
				Hdr: dns.RR_Header{Name: probeZone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 5},
				Ns:  "ns." + probeZone, Mbox: "hostmaster." + probeZone, Serial: 1, Refresh: 60, Retry: 60, Expire: 60, Minttl: 5,
			})
		}
		w.WriteMsg(m) //nolint:errcheck // the client retries
	})
	pc, err := net.ListenPacket("udp", net.JoinHostPort(addr, "53"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: mux}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe() //nolint:errcheck // stopped below
	<-started
	t.Cleanup(func() { srv.Shutdown() }) //nolint:errcheck // closing ours
	return count
}

func grepLine(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}
