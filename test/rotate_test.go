package test

// rotate: stub resolvers without TCP fallback (musl before 1.2.4, busybox
// nslookup, drill) keep the truncated UDP answer. With `rotate` each query
// turns a headless answer within its locality tiers, so that over many
// queries every endpoint is in such answers as often as any other, and the
// local endpoints still come first.

import (
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/clusterset-dns/clusterset/test/fixtures"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// rotateQueries is how many answers each client is asked for.
const rotateQueries = 1000

// rotateLocal and rotateRemote are the endpoints of the service "wide":
// 20 in the local cluster east.prod and 40 in west, the local ones last in
// numerical order so that the tier order cannot hold by accident.
var (
	rotateLocal  = numbered("10.60.9.", 20)
	rotateRemote = numbered("10.60.2.", 40)
)

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i+1)
	}
	return out
}

// loadRotateData writes the headless import "wide" in ns.
func loadRotateData(t *testing.T, ns string) {
	t.Helper()
	ctx := t.Context()
	must(t, bed.EnsureNamespace(ctx, ns))
	ports := []mcsv1beta1.ServicePort{fixtures.Port("http", corev1.ProtocolTCP, 80)}
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "wide", mcsv1beta1.Headless, nil, ports, "east.prod", "west")))
	eps := func(addrs []string) []fixtures.Endpoint {
		var out []fixtures.Endpoint
		for _, a := range addrs {
			out = append(out, fixtures.Endpoint{Addresses: []string{a}})
		}
		return out
	}
	applySlices(t, ns, []fixtures.SlicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80}}, []fixtures.Slice{
		{Service: "wide", Cluster: "west", Endpoints: eps(rotateRemote)},
		{Service: "wide", Cluster: "east.prod", Endpoints: eps(rotateLocal)},
	})
}

// tally counts how often each address came, and how often first.
type tally struct {
	seen, first map[string]int
	answers     int
	shortest    int // fewest addresses in one answer
}

func newTally() *tally { return &tally{seen: map[string]int{}, first: map[string]int{}, shortest: -1} }

func (ta *tally) add(addrs []string) {
	ta.answers++
	if ta.shortest < 0 || len(addrs) < ta.shortest {
		ta.shortest = len(addrs)
	}
	if len(addrs) > 0 {
		ta.first[addrs[0]]++
	}
	for _, a := range addrs {
		ta.seen[a]++
	}
}

// spreadOf returns the fewest and most appearances of want in counts, and
// their ratio (infinite when one never came).
func spreadOf(counts map[string]int, want []string) (lo, hi int, ratio float64) {
	lo = -1
	for _, w := range want {
		n := counts[w]
		hi = max(hi, n)
		if lo < 0 || n < lo {
			lo = n
		}
	}
	if lo == 0 {
		return lo, hi, math.Inf(1)
	}
	return lo, hi, float64(hi) / float64(lo)
}

// report logs a client's spread and fails when an endpoint of want never
// came or the spread exceeds 1.5.
func (ta *tally) report(t *testing.T, client string, want []string) {
	t.Helper()
	lo, hi, ratio := spreadOf(ta.seen, want)
	flo, fhi, fratio := spreadOf(ta.first, rotateLocal)
	t.Logf("%s: %d answers of %d+ addresses; each of the %d endpoints in %d to %d answers (spread %.2f); first address: each local endpoint %d to %d times (spread %.2f)",
		client, ta.answers, ta.shortest, len(want), lo, hi, ratio, flo, fhi, fratio)
	if lo == 0 || ratio > 1.5 {
		t.Errorf("%s: endpoints in %d to %d answers, want every one in some and a spread of at most 1.5", client, lo, hi)
	}
}

// checkTiers fails unless addrs holds the local endpoints turned round,
// then remote ones turned round, cut short anywhere.
func checkTiers(t *testing.T, client string, addrs []string) {
	t.Helper()
	n := min(len(addrs), len(rotateLocal))
	if !turnedRound(addrs[:n], rotateLocal) || !turnedRound(addrs[n:], rotateRemote) {
		t.Fatalf("%s: answer %v does not keep the local tier first, each tier in its order turned round", client, addrs)
	}
}

// turnedRound reports whether got is a run of want from some start, going
// round.
func turnedRound(got, want []string) bool {
	if len(got) == 0 {
		return true
	}
	start := slices.Index(want, got[0])
	if start < 0 || len(got) > len(want) {
		return false
	}
	for i, g := range got {
		if want[(start+i)%len(want)] != g {
			return false
		}
	}
	return true
}

// TestRotateOverTheWire asks a server with `prefer local` and `rotate`
// for the 60 endpoints of "wide" over UDP without EDNS, as the wire
// carries it and as real stub resolvers see it.
func TestRotateOverTheWire(t *testing.T) {
	const ns = "rotate"
	loadRotateData(t, ns)
	name := fqdn("wide." + ns + ".svc")
	all := slices.Concat(rotateLocal, rotateRemote)
	corefile := localityCorefile("cluster_id east.prod", "prefer local", "rotate")
	var c *coreDNS
	if os.Geteuid() == 0 {
		// Port 53, for the stub resolvers below.
		c = startPort53CoreDNS(t, corefile)
	} else {
		c = startCoreDNS(t, writeCorefile(t, corefile), nil, nil)
	}
	expect(t, c, converge, name, "A", answer(aRecords(name, all...)...)) // TCP: all 60 (and the data synced)

	t.Run("miekg/dns over UDP without EDNS: truncated, turning, local first", func(t *testing.T) {
		ta := newTally()
		for range rotateQueries {
			r, err := ask(c.addr, name, dns.TypeA, udp, 0)
			must(t, err)
			if !r.Truncated || r.size > 512 || len(r.Answer) >= len(all) {
				t.Fatalf("TC=%v, %d octets, %d records: want a truncated answer of at most 512 octets", r.Truncated, r.size, len(r.Answer))
			}
			var addrs []string
			for _, rr := range r.Answer {
				addrs = append(addrs, rr.(*dns.A).A.String())
			}
			checkTiers(t, "wire", addrs)
			ta.add(addrs)
		}
		// Every answer carries all 20 local endpoints; the remote ones share
		// what room is left.
		ta.report(t, "wire, remote tier", rotateRemote)
		if lo, hi, ratio := spreadOf(ta.first, rotateLocal); lo == 0 || ratio > 1.5 {
			t.Errorf("first address: each local endpoint first %d to %d times, want a spread of at most 1.5", lo, hi)
		}
	})

	t.Run("stub resolvers: musl keeps the truncated answer, glibc retries over TCP", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root: the clients read /etc/resolv.conf, which only a private mount namespace can point at the server")
		}
		if _, err := exec.LookPath("unshare"); err != nil {
			t.Skip("needs unshare (util-linux) for a private mount namespace")
		}
		host := strings.TrimSuffix(name, ".")
		dir := t.TempDir()
		resolv := filepath.Join(dir, "resolv.conf")
		ip, _, err := net.SplitHostPort(c.addr)
		must(t, err)
		must(t, os.WriteFile(resolv, []byte("nameserver "+ip+"\noptions timeout:2 attempts:2\n"), 0o644))
		nsswitch := filepath.Join(dir, "nsswitch.conf")
		must(t, os.WriteFile(nsswitch, []byte("hosts: files dns\n"), 0o644))

		musl := buildResolveClient(t, dir, "musl-gcc", "-static")
		addrs := resolveInNamespace(t, musl, host, resolv, nsswitch)
		ta := newTally()
		for _, a := range addrs {
			checkTiers(t, "musl", a)
			ta.add(a)
		}
		if ta.shortest >= len(all) {
			t.Skipf("this musl got all %d addresses: it retries over TCP (musl 1.2.4 and later), so it is not a client without TCP fallback", len(all))
		}
		ta.report(t, "musl (static, UDP only)", rotateRemote)

		glibc := buildResolveClient(t, dir, "gcc")
		gaddrs := resolveInNamespace(t, glibc, host, resolv, nsswitch)
		gt := newTally()
		for _, a := range gaddrs {
			gt.add(a)
		}
		lo, hi, ratio := spreadOf(gt.seen, all)
		flo, fhi, fratio := spreadOf(gt.first, rotateLocal)
		t.Logf("glibc: %d answers of %d+ addresses; each of the %d endpoints in %d to %d answers (spread %.2f); first address: each local endpoint %d to %d times (spread %.2f)",
			gt.answers, gt.shortest, len(all), lo, hi, ratio, flo, fhi, fratio)
		if gt.shortest != len(all) {
			t.Errorf("glibc got %d addresses in some answer, want all %d: it retries a truncated answer over TCP", gt.shortest, len(all))
		}
	})
}

// resolveClientSource calls getaddrinfo N times for a name and prints each
// answer's IPv4 addresses on one line, in the order the resolver gives them.
const resolveClientSource = `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <arpa/inet.h>

int main(int argc, char **argv) {
	if (argc != 3) return 2;
	int n = atoi(argv[2]);
	struct addrinfo hints;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	for (int i = 0; i < n; i++) {
		struct addrinfo *res, *p;
		int err = getaddrinfo(argv[1], NULL, &hints, &res);
		if (err) {
			fprintf(stderr, "getaddrinfo: %s\n", gai_strerror(err));
			return 1;
		}
		for (p = res; p; p = p->ai_next) {
			char buf[INET_ADDRSTRLEN];
			if (p->ai_family != AF_INET) continue;
			inet_ntop(AF_INET, &((struct sockaddr_in *)p->ai_addr)->sin_addr, buf, sizeof buf);
			printf("%s%s", p == res ? "" : " ", buf);
		}
		printf("\n");
		freeaddrinfo(res);
	}
	return 0;
}
`

// buildResolveClient compiles resolveClientSource with cc (and flags) in
// dir; a missing compiler fails the test, as `make deps` installs it.
func buildResolveClient(t *testing.T, dir, cc string, flags ...string) string {
	t.Helper()
	src := filepath.Join(dir, "resolve.c")
	must(t, os.WriteFile(src, []byte(resolveClientSource), 0o644))
	bin := filepath.Join(dir, "resolve-"+cc)
	args := append(slices.Clone(flags), "-O2", "-o", bin, src)
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s (make deps installs musl-tools)", cc, args, err, out)
	}
	return bin
}

// resolveInNamespace runs client for host in a private mount namespace
// whose /etc/resolv.conf and /etc/nsswitch.conf are the given files; the
// namespace and its mounts go with the process. It returns the addresses
// of each answer.
func resolveInNamespace(t *testing.T, client, host, resolv, nsswitch string) [][]string {
	t.Helper()
	script := `mount --bind "$1" /etc/resolv.conf && mount --bind "$2" /etc/nsswitch.conf && exec "$3" "$4" "$5"`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
		resolv, nsswitch, client, host, strconv.Itoa(rotateQueries))
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s %s in a private mount namespace: %v\n%s", filepath.Base(client), host, err, stderr)
	}
	var answers [][]string
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		answers = append(answers, strings.Fields(line))
	}
	if len(answers) != rotateQueries {
		t.Fatalf("%s printed %d answers, want %d", filepath.Base(client), len(answers), rotateQueries)
	}
	return answers
}

// startPort53CoreDNS starts bin/coredns with corefile (a localityCorefile)
// on port 53 of a free loopback address other than 127.0.0.1, where stub
// resolvers, which know no other port, can reach it.
func startPort53CoreDNS(t *testing.T, corefile string) *coreDNS {
	t.Helper()
	ip := freeLoopback53(t)
	c := launchCoreDNS(t, writeCorefile(t, corefile), serverEnv{"DNS_PORT": "53"}, func(body string) string {
		return strings.Replace(body, "bind 127.0.0.1", "bind "+ip, 1)
	})
	c.addr = net.JoinHostPort(ip, "53")
	c.waitListening()
	return c
}

// freeLoopback53 returns a loopback address whose port 53 is free over UDP
// and TCP, at the moment of asking.
func freeLoopback53(t *testing.T) string {
	t.Helper()
	for i := range 200 {
		ip := fmt.Sprintf("127.%d.%d.%d", 53+i%150, 5+(os.Getpid()+i)%240, 2+i%250)
		if portFree(net.JoinHostPort(ip, "53")) {
			return ip
		}
	}
	t.Fatal("no loopback address with a free port 53")
	return ""
}
