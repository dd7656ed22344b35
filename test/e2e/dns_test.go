package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
)

const zone = "svc.clusterset.local"

// TestClusterSetIP: a ClusterSetIP service exported from cluster a resolves
// in cluster b to its ServiceImport's IP, and its named port to an SRV
// record pointing at the service name (KEP-1645 DNS, ClusterSetIP).
func TestClusterSetIP(t *testing.T) {
	w := need(t)
	name := "web.demo." + zone
	expectAddresses(t, w.b, name, func() []string { return importIPs(t, w.b, "web") })
	expectSRV(t, w.b, "_http._tcp."+name, []srv{{port: "80", target: name}})
}

// TestHeadless: a headless service exported from both clusters resolves to
// the ready pod addresses of every cluster; each StatefulSet pod has its
// hostname.cluster name, and the named port gives one SRV record per pod
// pointing at it.
func TestHeadless(t *testing.T) {
	w := need(t)
	name := "db.demo." + zone
	expectAddresses(t, w.b, name, func() []string { return values(readyPods(t, "db", w.a, w.b)) })

	pods := readyPods(t, "db", w.a, w.b)
	if len(pods) != 3 {
		t.Fatalf("ready db pods = %v, want db-0 and db-1 in a and db-0 in b", pods)
	}
	for host, ip := range pods {
		expectAddresses(t, w.b, host+".db.demo."+zone, func() []string { return []string{ip} })
	}

	var want []srv
	for host := range pods {
		want = append(want, srv{port: "5432", target: host + ".db.demo." + zone})
	}
	expectSRV(t, w.b, "_postgres._tcp."+name, want)
}

// TestLocalServiceStaysLocal: cluster b's own service web, which b does not
// export, is what web.demo.svc.cluster.local and the short name web answer
// in b, not the ServiceImport of a's web.
func TestLocalServiceStaysLocal(t *testing.T) {
	w := need(t)
	local := serviceIP(t, w.b, "web")
	expectAddresses(t, w.b, "web.demo.svc.cluster.local", func() []string { return []string{local} })
	expectAddresses(t, w.b, "web", func() []string { return []string{local} })
	if imported := importIPs(t, w.b, "web"); slices.Contains(imported, local) {
		t.Fatalf("the import's IP %v is the local service's %s: the test proves nothing", imported, local)
	}
}

// TestNotExported: a service of cluster a that is not exported has no name
// under clusterset.local, in either cluster.
func TestNotExported(t *testing.T) {
	w := need(t)
	name := "secret.demo." + zone
	out, err := w.b.Exec(t.Context(), demo, clientPod, "nslookup", name)
	if err == nil || !strings.Contains(out, "NXDOMAIN") {
		t.Errorf("nslookup %s = %q (error %v), want NXDOMAIN", name, out, err)
	}
	if _, err := getaddrinfoAddresses(t.Context(), w.b, name); err == nil {
		t.Errorf("getaddrinfo %s succeeded, want it not found", name)
	}
	// The service exists in a: the name must not leak from there either.
	if serviceIP(t, w.a, "secret") == "" {
		t.Fatal("cluster a has no service secret: the test proves nothing")
	}
}

// TestShortNames: with the clusterset.local search domain the pod spec
// adds, a short name finds an imported service that has no local one,
// through the search list kubelet wrote (ndots:5).
func TestShortNames(t *testing.T) {
	w := need(t)
	expectAddresses(t, w.b, "cache.demo", func() []string { return importIPs(t, w.b, "cache") })
}

// TestReadinessReachesOtherCluster: a pod in cluster a that fails its
// readiness probe leaves the answers in cluster b, and comes back when it
// passes again; a pod deleted in cluster b is replaced in the answers by
// the pod its StatefulSet makes anew.
func TestReadinessReachesOtherCluster(t *testing.T) {
	w := need(t)
	name := "db.demo." + zone
	current := func() []string { return values(readyPods(t, "db", w.a, w.b)) }
	before := readyPods(t, "db", w.a, w.b)
	gone := before["db-1.a"]
	if gone == "" {
		t.Fatalf("no ready db-1 in cluster a: %v", before)
	}

	setReady(t.Context(), t, w.a, "db-1", false)
	// Not t.Context(): it is canceled before cleanups run.
	t.Cleanup(func() { setReady(context.Background(), t, w.a, "db-1", true) })
	expectAddresses(t, w.b, name, func() []string {
		ips := values(before)
		return slices.DeleteFunc(ips, func(ip string) bool { return ip == gone })
	})

	setReady(t.Context(), t, w.a, "db-1", true)
	expectAddresses(t, w.b, name, func() []string { return values(before) })

	if err := w.b.Kube.CoreV1().Pods(demo).Delete(t.Context(), "db-0", deleteNow()); err != nil {
		t.Fatal(err)
	}
	// The answer must first lose the deleted pod's address, then gain the
	// new pod's: current() reads the pods as they are at each poll.
	expectAddresses(t, w.b, name, func() []string {
		ips := current()
		if len(ips) != 3 {
			return append(ips, "(waiting for the new db-0 in b)")
		}
		return ips
	})
}

// TestLighthouseShape: imports in the shape Submariner Lighthouse writes
// them. The headless one answers the pod addresses, with no ports in the
// import; the ClusterSetIP one has no VIP, so as shipped (`answer vip`) its
// name exists with no address (KEP-1645 gives it none). TestReloadUnderLoad
// then turns on `answer endpoints`, and it answers cluster a's Service IP.
func TestLighthouseShape(t *testing.T) {
	w := need(t)
	expectAddresses(t, w.b, "db.lh."+zone, func() []string { return values(readyPodsIn(t, lighthouseNS, "db", w.a)) })
	name := "web.lh." + zone
	if ips := importIPsIn(t, w.b, lighthouseNS, "web"); len(ips) != 0 {
		t.Fatalf("the Lighthouse-shaped import has spec.ips %v, want none", ips)
	}
	out, err := w.b.Exec(t.Context(), demo, clientPod, "nslookup", name+".")
	if err != nil || !strings.Contains(out, "No answer") || strings.Contains(out, "NXDOMAIN") {
		t.Errorf("nslookup %s = %q (error %v), want an empty answer (NODATA)", name, out, err)
	}
}
