package test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/test/testbed"

	"github.com/miekg/dns"
)

// coreDNS is one running bin/coredns process.
type coreDNS struct {
	t        *testing.T
	proc     *testbed.Process
	corefile string
	// addr is the DNS listener, 127.0.0.1:port (UDP and TCP).
	addr string
	// healthAddr, readyAddr and metricsAddr are the HTTP listeners the
	// environment gives the Corefile (used only if it names them).
	healthAddr, readyAddr, metricsAddr string
}

// serverEnv is what a test adds to or changes in a Corefile's environment.
type serverEnv map[string]string

// startCoreDNS copies corefile-examples/<example> (or, when example is an
// absolute path, that file) into a temporary directory, applies edit to its
// text (nil: none), and starts bin/coredns with it on free loopback ports.
// The environment gives DNS_PORT, KUBECONFIG (the least-privileged coredns
// user), HEALTH_ADDR, READY_ADDR, METRICS_ADDR and UPSTREAM (a stub
// resolver on loopback); env overrides or adds to them. It waits until the
// DNS port answers and stops the process (by PID) in t.Cleanup.
func startCoreDNS(t *testing.T, example string, env serverEnv, edit func(string) string) *coreDNS {
	t.Helper()
	c := launchCoreDNS(t, example, env, edit)
	c.waitListening()
	return c
}

// launchCoreDNS is startCoreDNS without the wait: it returns as soon as
// the process runs, for a test that watches the server from its first
// moment.
func launchCoreDNS(t *testing.T, example string, env serverEnv, edit func(string) string) *coreDNS {
	t.Helper()
	src := example
	if !filepath.IsAbs(src) {
		src = filepath.Join(repoRoot, "corefile-examples", example)
	}
	text, err := os.ReadFile(src)
	if err != nil {
		t.Fatalf("reading %s: %v", src, err)
	}
	body := bindLoopback(string(text))
	if edit != nil {
		body = edit(body)
	}
	dir := t.TempDir()
	corefile := filepath.Join(dir, "Corefile")
	if err := os.WriteFile(corefile, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	ports, err := testbed.FreePorts(4)
	if err != nil {
		t.Fatal(err)
	}
	c := &coreDNS{
		t:           t,
		corefile:    corefile,
		addr:        "127.0.0.1:" + strconv.Itoa(ports[0]),
		healthAddr:  "127.0.0.1:" + strconv.Itoa(ports[1]),
		readyAddr:   "127.0.0.1:" + strconv.Itoa(ports[2]),
		metricsAddr: "127.0.0.1:" + strconv.Itoa(ports[3]),
	}
	vars := serverEnv{
		"DNS_PORT":     strconv.Itoa(ports[0]),
		"KUBECONFIG":   bed.Kubeconfig(coreDNSUser),
		"HEALTH_ADDR":  c.healthAddr,
		"READY_ADDR":   c.readyAddr,
		"METRICS_ADDR": c.metricsAddr,
		"UPSTREAM":     stubUpstream(t),
	}
	for k, v := range env {
		vars[k] = v
	}
	var envList []string
	for k, v := range vars {
		envList = append(envList, k+"="+v)
	}
	c.proc, err = testbed.StartProcess(coreDNSBin, filepath.Join(dir, "coredns.log"), envList, "-conf", corefile)
	if err != nil {
		t.Fatal(err)
	}
	childrenMu.Lock()
	children[c.proc] = struct{}{}
	childrenMu.Unlock()
	t.Cleanup(func() {
		c.proc.Kill(5 * time.Second)
		childrenMu.Lock()
		delete(children, c.proc)
		childrenMu.Unlock()
		if t.Failed() {
			t.Logf("coredns %s (pid %d) with %s:\n%s", example, c.proc.PID(), corefile, c.proc.Tail(6000))
		}
	})
	return c
}

// portFree reports whether addr (host:port) can be bound over both TCP
// and UDP right now.
func portFree(addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	defer l.Close()
	u, err := net.ListenPacket("udp", addr)
	if err != nil {
		return false
	}
	u.Close()
	return true
}

// bindLoopback adds `bind 127.0.0.1` to every server block listening on
// {$DNS_PORT}: the examples listen on every interface, the tests on
// loopback only.
func bindLoopback(corefile string) string {
	lines := strings.Split(corefile, "\n")
	var out []string
	for _, l := range lines {
		out = append(out, l)
		if !strings.HasPrefix(l, " ") && !strings.HasPrefix(l, "#") && strings.Contains(l, ":{$DNS_PORT}") && strings.HasSuffix(strings.TrimSpace(l), "{") {
			out = append(out, "    bind 127.0.0.1")
		}
	}
	return strings.Join(out, "\n")
}

// waitListening waits until the DNS port answers over UDP (any rcode).
func (c *coreDNS) waitListening() {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	m := new(dns.Msg)
	m.SetQuestion("dns-version.clusterset.local.", dns.TypeTXT)
	cl := &dns.Client{Net: "udp", Timeout: 300 * time.Millisecond}
	for time.Now().Before(deadline) {
		if exited, err := c.proc.Exited(); exited {
			c.t.Fatalf("coredns exited at start (%v):\n%s", err, c.proc.Tail(6000))
		}
		if _, _, err := cl.Exchange(m, c.addr); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("coredns did not answer on %s within 30s:\n%s", c.addr, c.proc.Tail(6000))
}

// httpGet returns the status code and body of http://addr/path.
func httpGet(addr, path string) (int, string, error) {
	cl := &http.Client{Timeout: 3 * time.Second}
	resp, err := cl.Get("http://" + addr + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// metric returns the value of the sample whose name and labels are exactly
// series (e.g. `coredns_clusterset_services{type="Headless"}`), or an
// error when absent.
func metric(addr, series string) (float64, error) {
	code, body, err := httpGet(addr, "/metrics")
	if err != nil {
		return 0, err
	}
	if code != http.StatusOK {
		return 0, fmt.Errorf("/metrics: HTTP %d", code)
	}
	wantName, wantLabels := splitSeries(series)
	var found []string
	var value float64
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		sample, v, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		name, labels := splitSeries(sample)
		if name != wantName || !isSubset(wantLabels, labels) {
			continue
		}
		found = append(found, sample)
		if value, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
			return 0, fmt.Errorf("%s: %w", sample, err)
		}
	}
	switch len(found) {
	case 0:
		return 0, fmt.Errorf("no sample %s on %s/metrics", series, addr)
	case 1:
		return value, nil
	default:
		return 0, fmt.Errorf("%s on %s/metrics names %d samples: %v", series, addr, len(found), found)
	}
}

// splitSeries splits a sample's series, `name{a="x",b="y"}`, into its
// name and its label pairs as written (`a="x"`). Label values in these
// tests hold no commas.
func splitSeries(series string) (string, []string) {
	name, rest, ok := strings.Cut(series, "{")
	if !ok {
		return series, nil
	}
	return name, strings.Split(strings.TrimSuffix(rest, "}"), ",")
}

// isSubset reports whether every pair of want is in have.
func isSubset(want, have []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// stubUpstream runs a loopback resolver that answers example.org. A
// 192.0.2.1, any TXT question with "stub", and everything else NXDOMAIN,
// standing in for the upstream of forward: tests send no traffic off the
// machine. It returns its address.
func stubUpstream(t *testing.T) string {
	t.Helper()
	ports, err := testbed.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		switch {
		case len(r.Question) != 1:
			m.Rcode = dns.RcodeFormatError
		case strings.EqualFold(r.Question[0].Name, "example.org.") && r.Question[0].Qtype == dns.TypeA:
			rr, _ := dns.NewRR("example.org. 60 IN A 192.0.2.1")
			m.Answer = append(m.Answer, rr)
		case r.Question[0].Qtype == dns.TypeTXT:
			m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: []string{"stub"}})
		default:
			m.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(m)
	})
	for _, netw := range []string{"udp", "tcp"} {
		started := make(chan struct{})
		srv := &dns.Server{Addr: addr, Net: netw, Handler: h, NotifyStartedFunc: func() { close(started) }}
		errc := make(chan error, 1)
		go func() { errc <- srv.ListenAndServe() }()
		select {
		case <-started:
		case err := <-errc:
			t.Fatalf("stub upstream %s/%s: %v", addr, netw, err)
		}
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
	return addr
}

// apiProxy is a TCP proxy to the API server that a test can switch
// between passing traffic, holding it (connections are accepted, nothing
// passes until the state changes), and cutting it (every connection is
// closed at once, new ones as soon as they arrive). It stands in for an API
// server that is slow to answer at start, or goes away and comes back.
type apiProxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	state   proxyState
	changed chan struct{} // closed and replaced on every state change
	piped   map[net.Conn]struct{}
}

type proxyState int

const (
	proxyPass proxyState = iota
	proxyHold
	proxyCut
)

func newAPIProxy(t *testing.T, target string, state proxyState) *apiProxy {
	t.Helper()
	return newAPIProxyAt(t, "127.0.0.1:0", target, state)
}

// newAPIProxyAt is newAPIProxy listening on addr, for a test that first
// needs nothing to listen there.
func newAPIProxyAt(t *testing.T, addr, target string, state proxyState) *apiProxy {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p := &apiProxy{ln: ln, target: target, state: state, changed: make(chan struct{}), piped: map[net.Conn]struct{}{}}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); p.serve(c) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.set(proxyCut)
		wg.Wait()
	})
	return p
}

func (p *apiProxy) addr() string { return p.ln.Addr().String() }

// set switches the state; cutting closes every connection in flight.
func (p *apiProxy) set(s proxyState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state = s
	close(p.changed)
	p.changed = make(chan struct{})
	if s == proxyCut {
		for c := range p.piped {
			c.Close()
		}
	}
}

func (p *apiProxy) serve(c net.Conn) {
	for {
		p.mu.Lock()
		st, changed := p.state, p.changed
		p.mu.Unlock()
		switch st {
		case proxyCut:
			c.Close()
			return
		case proxyHold:
			<-changed
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			return
		}
		p.mu.Lock()
		if p.state != proxyPass { // changed meanwhile
			p.mu.Unlock()
			up.Close()
			continue
		}
		p.piped[c], p.piped[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		done := make(chan struct{})
		go func() { _, _ = io.Copy(up, c); up.Close(); close(done) }()
		_, _ = io.Copy(c, up)
		c.Close()
		<-done
		p.mu.Lock()
		delete(p.piped, c)
		delete(p.piped, up)
		p.mu.Unlock()
		return
	}
}

// expectSetupError runs bin/coredns with the Corefile text (the usual
// environment: DNS_PORT, KUBECONFIG) and wants it to refuse to start: exit
// with an error within 30 s, its output holding every part (a part "a|b"
// is either a or b).
func expectSetupError(t *testing.T, corefile string, parts ...string) {
	t.Helper()
	path := writeCorefile(t, bindLoopback(corefile))
	ports, err := testbed.FreePorts(1)
	must(t, err)
	env := []string{"DNS_PORT=" + strconv.Itoa(ports[0]), "KUBECONFIG=" + bed.Kubeconfig(coreDNSUser)}
	proc, err := testbed.StartProcess(coreDNSBin, filepath.Join(t.TempDir(), "coredns.log"), env, "-conf", path)
	must(t, err)
	childrenMu.Lock()
	children[proc] = struct{}{}
	childrenMu.Unlock()
	defer func() {
		proc.Kill(5 * time.Second)
		childrenMu.Lock()
		delete(children, proc)
		childrenMu.Unlock()
	}()
	// It exits, or it serves: then it has started, which is the failure.
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	m := new(dns.Msg)
	m.SetQuestion("dns-version.clusterset.local.", dns.TypeTXT)
	cl := &dns.Client{Net: "udp", Timeout: 200 * time.Millisecond}
	deadline := time.Now().Add(30 * time.Second)
	for exited, _ := proc.Exited(); !exited; exited, _ = proc.Exited() {
		_, _, err := cl.Exchange(m, addr)
		if err == nil || time.Now().After(deadline) {
			t.Fatalf("coredns started with a Corefile that should be a setup error:\n%s\n%s", corefile, proc.Tail(3000))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := proc.Exited(); err == nil {
		t.Errorf("coredns exited with status 0, want a setup error:\n%s", proc.Tail(3000))
	}
	out := proc.Log()
	for _, p := range parts {
		found := false
		for _, alt := range strings.Split(p, "|") {
			found = found || strings.Contains(out, alt)
		}
		if !found {
			t.Errorf("coredns output lacks %q:\n%s", p, proc.Tail(3000))
		}
	}
}
