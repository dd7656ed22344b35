// Command demo is `make run`: it starts a local kube-apiserver and etcd
// (test/testbed), loads a small ClusterSet into namespace demo, starts
// bin/coredns on 127.0.0.1 with hack/demo/Corefile, checks that the server
// gives the documented answers, prints the dig commands to try, and stops
// everything it started (by PID) on Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/clusterset-dns/clusterset/test/fixtures"
	"github.com/clusterset-dns/clusterset/test/testbed"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// example is a dig command and the answer it must give.
type example struct {
	name, qtype string
	want        []string // dig +short lines, any order; SRV as "PORT TARGET"
	note        string
}

var examples = []example{
	{"web.demo.svc.clusterset.local", "A", []string{"10.100.10.1"}, "ClusterSetIP service imported from east and west: its VIP"},
	{"api.demo.svc.clusterset.local", "A", []string{"10.100.10.2"}, "dual-stack ClusterSetIP: the IPv4 VIP"},
	{"api.demo.svc.clusterset.local", "AAAA", []string{"fd00:10::2"}, "... and the IPv6 VIP"},
	{"_https._tcp.api.demo.svc.clusterset.local", "SRV", []string{"443 api.demo.svc.clusterset.local."}, "named port: priority weight port target"},
	{"db.demo.svc.clusterset.local", "A", []string{"10.10.1.10", "10.10.1.11", "10.10.2.10", "10.10.2.11"}, "headless: every ready endpoint in every cluster, this cluster's (east) first"},
	{"db-0.west.db.demo.svc.clusterset.local", "A", []string{"10.10.2.10"}, "one StatefulSet pod: HOSTNAME.CLUSTER.SERVICE"},
	{"_pg._tcp.db.demo.svc.clusterset.local", "SRV", []string{
		"5432 db-0.east.db.demo.svc.clusterset.local.", "5432 db-1.east.db.demo.svc.clusterset.local.",
		"5432 db-0.west.db.demo.svc.clusterset.local.", "5432 db-1.west.db.demo.svc.clusterset.local.",
	}, "one SRV record per endpoint"},
	{"west.pin._cluster.db.demo.svc.clusterset.local", "A", []string{"10.10.2.10", "10.10.2.11"}, "scoped name: only the endpoints in cluster west"},
	{"dns-version.clusterset.local", "TXT", []string{`"1.0.0"`}, "the MCS DNS schema version"},
	{"nosuch.demo.svc.clusterset.local", "A", nil, "not imported: NXDOMAIN (see status, and the reason in EDE for known ones, in dig without +short)"},
}

func main() {
	port := flag.Int("port", 1053, "DNS port on 127.0.0.1 (a free one is chosen when it is taken)")
	flag.Parse()
	if err := run(*port); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(port int) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	bin := filepath.Join(root, "bin", "coredns")
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%s is missing: run `make run` (it builds it) from the repository root", bin)
	}

	say("starting etcd and kube-apiserver %s on 127.0.0.1 ...", testbed.Version)
	bed, err := testbed.Start(ctx, testbed.Options{Logf: say})
	if err != nil {
		return err
	}
	defer func() {
		say("stopping kube-apiserver and etcd")
		bed.Stop()
	}()
	say("loading the demo ClusterSet into namespace demo")
	if err := load(ctx, bed); err != nil {
		return err
	}

	if !portFree(port) {
		ports, err := testbed.FreePorts(1)
		if err != nil {
			return err
		}
		say("port %d is taken; using %d", port, ports[0])
		port = ports[0]
	}
	hp, err := testbed.FreePorts(3)
	if err != nil {
		return err
	}
	addr := func(p int) string { return "127.0.0.1:" + strconv.Itoa(p) }
	env := []string{
		"DNS_PORT=" + strconv.Itoa(port),
		"KUBECONFIG=" + bed.Kubeconfig(testbed.AdminUser),
		"HEALTH_ADDR=" + addr(hp[0]),
		"READY_ADDR=" + addr(hp[1]),
		"METRICS_ADDR=" + addr(hp[2]),
	}
	corefile := filepath.Join(root, "hack", "demo", "Corefile")
	logPath := filepath.Join(bed.Dir, "coredns.log")
	say("starting %s -conf %s", bin, corefile)
	dnsProc, err := testbed.StartProcess(bin, logPath, env, "-conf", corefile)
	if err != nil {
		return err
	}
	defer func() {
		say("stopping coredns (pid %d)", dnsProc.PID())
		dnsProc.Kill(5 * time.Second)
	}()
	if err := waitReady(ctx, addr(hp[1]), dnsProc); err != nil {
		return fmt.Errorf("%w\n%s", err, dnsProc.Tail(4000))
	}
	dnsAddr := addr(port)
	failed := 0
	shown := make([][]string, len(examples)) // SRV: the server's +short lines
	for i, ex := range examples {
		var err error
		if shown[i], err = verify(ctx, dnsAddr, ex); err != nil {
			failed++
			say("CHECK FAILED: %s %s: %v", ex.name, ex.qtype, err)
		}
	}

	fmt.Printf("\nclusterset DNS is serving on %s (UDP and TCP). Try:\n\n", dnsAddr)
	for i, ex := range examples {
		fmt.Printf("  # %s\n  dig @127.0.0.1 -p %d %s %s +short\n", ex.note, port, ex.name, ex.qtype)
		lines := ex.want
		if shown[i] != nil {
			lines = shown[i] // SRV with the server's priority and weight
		}
		if len(lines) == 0 {
			fmt.Printf("      (no records: status NXDOMAIN)\n\n")
		} else {
			fmt.Printf("      %s\n\n", strings.Join(lines, "\n      "))
		}
	}
	fmt.Printf("  # the whole answer, with the AA flag and TTLs\n  dig @127.0.0.1 -p %d db.demo.svc.clusterset.local SRV\n\n", port)
	fmt.Printf("readiness http://%s/ready   health http://%s/health   metrics http://%s/metrics\n", addr(hp[1]), addr(hp[0]), addr(hp[2]))
	fmt.Printf("kubeconfig (admin) %s\ncoredns log %s\n", bed.Kubeconfig(testbed.AdminUser), logPath)
	if failed > 0 {
		fmt.Printf("\n%d of the answers above did not match (see CHECK FAILED)\n", failed)
	}
	fmt.Printf("\nPress Ctrl-C to stop.\n")

	select {
	case <-ctx.Done():
		fmt.Println()
	case <-dnsProc.Done():
		_, err := dnsProc.Exited()
		return fmt.Errorf("coredns exited: %v\n%s", err, dnsProc.Tail(4000))
	}
	return nil
}

func say(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s demo: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// load writes the demo ClusterSet: web (ClusterSetIP from east and west,
// VIP only, as Cilium imports it), api (dual-stack ClusterSetIP) and db
// (headless StatefulSet db-0, db-1 in east and west, slices as the mcs-api
// controller writes them).
func load(ctx context.Context, bed *testbed.Bed) error {
	const ns = "demo"
	if err := bed.EnsureNamespace(ctx, ns); err != nil {
		return err
	}
	tcp := corev1.ProtocolTCP
	imports := []*mcsv1beta1.ServiceImport{
		fixtures.ServiceImport(ns, "web", mcsv1beta1.ClusterSetIP, []string{"10.100.10.1"}, []mcsv1beta1.ServicePort{fixtures.Port("http", tcp, 80)}, "east", "west"),
		fixtures.ServiceImport(ns, "api", mcsv1beta1.ClusterSetIP, []string{"10.100.10.2", "fd00:10::2"}, []mcsv1beta1.ServicePort{fixtures.Port("https", tcp, 443)}, "east", "west"),
		fixtures.ServiceImport(ns, "db", mcsv1beta1.Headless, nil, []mcsv1beta1.ServicePort{fixtures.Port("pg", tcp, 5432)}, "east", "west"),
	}
	for _, si := range imports {
		if err := bed.ApplyServiceImport(ctx, si); err != nil {
			return err
		}
	}
	for i, cluster := range []string{"east", "west"} {
		_, err := bed.ApplyEndpointSlice(ctx, fixtures.Slice{
			Namespace: ns, Service: "db", Cluster: cluster, AddressType: discoveryv1.AddressTypeIPv4,
			Ports: []fixtures.SlicePort{{Name: "pg", Protocol: tcp, Port: 5432}},
			Endpoints: []fixtures.Endpoint{
				{Hostname: "db-0", Addresses: []string{fmt.Sprintf("10.10.%d.10", i+1)}, Ready: true},
				{Hostname: "db-1", Addresses: []string{fmt.Sprintf("10.10.%d.11", i+1)}, Ready: true},
			},
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	l.Close()
	u, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	u.Close()
	return true
}

func waitReady(ctx context.Context, readyAddr string, p *testbed.Process) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if exited, err := p.Exited(); exited {
			return fmt.Errorf("coredns exited: %v", err)
		}
		resp, err := http.Get("http://" + readyAddr + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("coredns not ready within 60s")
}

// verify asks ex and compares with its expected +short lines (SRV
// priority and weight are not compared), retrying briefly while the
// server catches up with the data just written.
func verify(ctx context.Context, addr string, ex example) ([]string, error) {
	var last error
	for i := 0; i < 50; i++ {
		var shown []string
		shown, last = verifyOnce(addr, ex)
		if last == nil {
			return shown, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil, last
}

func verifyOnce(addr string, ex example) ([]string, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(ex.name), dns.StringToType[ex.qtype])
	m.SetEdns0(1232, false)
	resp, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, addr)
	if err != nil {
		return nil, err
	}
	var got, short []string
	for _, rr := range resp.Answer {
		s := strings.TrimSpace(strings.TrimPrefix(rr.String(), rr.Header().String()))
		short = append(short, s)
		if srv, ok := rr.(*dns.SRV); ok {
			s = fmt.Sprintf("%d %s", srv.Port, srv.Target)
		}
		got = append(got, s)
	}
	want := slices.Clone(ex.want)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return nil, fmt.Errorf("got %q (%s), want %q", got, dns.RcodeToString[resp.Rcode], want)
	}
	if len(want) == 0 && resp.Rcode != dns.RcodeNameError {
		return nil, fmt.Errorf("status %s, want NXDOMAIN", dns.RcodeToString[resp.Rcode])
	}
	if ex.qtype != "SRV" {
		return nil, nil
	}
	slices.Sort(short)
	return short, nil
}
