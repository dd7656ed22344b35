package test

// Every file of corefile-examples/ is listed in its README and starts; the
// locality and transfer examples (locality.Corefile, transfer.Corefile) do
// what their comments say. The examples per MCS implementation are run in
// implementations_test.go.

import (
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/clusterset-dns/clusterset/test/fixtures"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// exampleFiles lists corefile-examples/*.Corefile.
func exampleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "corefile-examples", "*.Corefile"))
	must(t, err)
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatal("no corefile-examples/*.Corefile")
	}
	return files
}

// TestEveryExampleStarts starts bin/coredns with each example (the
// variables of every example set) and checks that the README lists it and
// that it describes its environment variables.
func TestEveryExampleStarts(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot, "corefile-examples", "README.md"))
	must(t, err)
	for _, path := range exampleFiles(t) {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(string(readme), "| `"+name+"` |") {
				t.Errorf("corefile-examples/README.md does not list %s in its table", name)
			}
			body, err := os.ReadFile(path)
			must(t, err)
			if !strings.HasPrefix(string(body), "# ") {
				t.Errorf("%s does not start with a comment saying what it is for", name)
			}
			for _, v := range envVars(string(body)) {
				if !strings.Contains(string(body), "#   "+v) {
					t.Errorf("%s reads {$%s} but its comment does not describe it", name, v)
				}
			}
			c := startCoreDNS(t, name, serverEnv{"CLUSTERSET_SERVER": stubUpstream(t), "TRANSFER_TO": "*", "CLUSTER_ID": "c1"}, nil)
			if exited, err := c.proc.Exited(); exited {
				t.Fatalf("coredns exited: %v", err)
			}
			// Every example serves the zone, itself or through a forward.
			r, err := dig(c.addr, fqdn("dns-version"), "TXT", udp)
			must(t, err)
			if r.Rcode != dns.RcodeSuccess && !strings.Contains(name, "forward") {
				t.Errorf("dns-version TXT: %s\n%s", dns.RcodeToString[r.Rcode], r.text)
			}
		})
	}
}

// envVars returns the {$VAR} names a Corefile reads, outside comments.
func envVars(corefile string) []string {
	var vars []string
	seen := map[string]bool{}
	for _, line := range strings.Split(corefile, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for {
			i := strings.Index(line, "{$")
			if i < 0 {
				break
			}
			j := strings.Index(line[i:], "}")
			if j < 0 {
				break
			}
			v := line[i+2 : i+j]
			if !seen[v] {
				seen[v] = true
				vars = append(vars, v)
			}
			line = line[i+j:]
		}
	}
	return vars
}

// TestLocalityExample runs corefile-examples/locality.Corefile with the
// ClusterProperties a ClusterSet's tooling would write.
func TestLocalityExample(t *testing.T) {
	ctx := t.Context()
	const ns = "loc-example"
	noProperties(t, propClusterID, propZone, propRegion, propUnreachable)
	writeTiered(t, ns, "app", nil)
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "down", mcsv1beta1.Headless, nil,
		[]mcsv1beta1.ServicePort{fixtures.Port("http", corev1.ProtocolTCP, 80)}, "east.prod")))
	_, err := bed.ApplyEndpointSlice(ctx, fixtures.Slice{Namespace: ns, Service: "down", Cluster: "east.prod",
		Endpoints: []fixtures.Endpoint{{Addresses: []string{"10.20.3.1"}, NotReady: true}}})
	must(t, err)
	c := startCoreDNS(t, "locality.Corefile", nil, nil)
	s := tieredService(ns, "app")

	t.Run("/ready is 200 once synced", func(t *testing.T) {
		waitHTTPStatus(t, c.readyAddr, "/ready", http.StatusOK, converge)
	})
	t.Run("without ClusterProperties nothing is preferred", func(t *testing.T) {
		expectOrder(t, c, converge, s, numericA, numericAAAA, flatSRV)
	})
	setProperty(t, propClusterID, locCluster)
	setProperty(t, propZone, locZone)
	setProperty(t, propRegion, locRegion)
	t.Run("with the cluster ID, zone and region properties: prefer zone", func(t *testing.T) {
		expectOrder(t, c, converge, s, zoneA, zoneAAAA, zoneSRV)
	})
	t.Run("scoped names", func(t *testing.T) {
		n := s.name("us-east-1a.pin._zone")
		expect(t, c, settle, n, "A", answer(n+" A 10.20.1.3", n+" A 10.20.2.2"))
		n = s.name("west.pin._cluster")
		expect(t, c, settle, n, "A", answer(n+" A 10.20.2.1", n+" A 10.20.2.2"))
		expect(t, c, settle, s.name("eu-west-9z.pin._zone"), "A", nodata)
	})
	t.Run("extended errors", func(t *testing.T) {
		expectEDE(t, c, settle, fqdn("down."+ns+".svc"), dns.TypeA,
			edeWant{rcode: dns.RcodeNameError, code: edeOther, text: "clusterset: no ready endpoints"})
	})
	setProperty(t, propUnreachable, "west")
	t.Run("cluster health: an unreachable cluster leaves the answers", func(t *testing.T) {
		expect(t, c, converge, s.owner, "A", s.a("10.20.1.3", "10.20.1.1", "10.20.0.9", "10.20.0.10"))
		waitMetricValue(t, c.metricsAddr, gaugeUnreachable, 1, converge)
	})
}

// TestTransferExample runs corefile-examples/transfer.Corefile: the address
// in TRANSFER_TO may transfer the zone, any other is refused.
func TestTransferExample(t *testing.T) {
	const ns = "xfr-example"
	loadTransferData(t, ns)
	marker := fqdn("db-0.west.dc.example.db." + ns + ".svc")

	t.Run("TRANSFER_TO 127.0.0.1 may transfer", func(t *testing.T) {
		c := startCoreDNS(t, "transfer.Corefile", serverEnv{"TRANSFER_TO": "127.0.0.1"}, nil)
		expect(t, c, converge, marker, "A", answer(marker+" A 10.70.2.10"))
		rrs, soa := consistentTransfer(t, c.addr)
		checkTransferMatchesQueries(t, c, rrs, soa)
		if !transferHas(rrs, marker, dns.TypeA, "10.70.2.10") {
			t.Errorf("no %s A in the transfer", marker)
		}
	})
	t.Run("another address is refused", func(t *testing.T) {
		c := startCoreDNS(t, "transfer.Corefile", serverEnv{"TRANSFER_TO": "192.0.2.53"}, nil)
		expect(t, c, converge, marker, "A", answer(marker+" A 10.70.2.10"))
		rrs, err := transferZone(c.addr, zone)
		if err == nil || len(rrs) != 0 {
			t.Errorf("AXFR from 127.0.0.1 with `to 192.0.2.53`: %d records, error %v; want REFUSED", len(rrs), err)
		} else if !strings.Contains(err.Error(), "rcode: 5") {
			t.Logf("refused with: %v", err)
		}
	})
}
