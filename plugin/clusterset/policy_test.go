package clusterset

import (
	"fmt"
	"slices"
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/internal/answer"
	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
	"github.com/clusterset-dns/clusterset/test/fixtures"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// hostileSource imports addresses no backend has: the node's loopback, the
// cloud metadata address, link-local, unspecified, multicast, broadcast.
func hostileSource() *fakeSource {
	f := newFakeSource("demo", "kube-system")
	f.addImport("demo", "vip", object.ClusterSetIP, []string{"127.0.0.1", "10.0.0.1", "::1"})
	f.addImport("demo", "meta", object.ClusterSetIP, []string{"169.254.169.254"})
	f.addImport("demo", "spread", object.ClusterSetIP, []string{"192.0.2.1", "fd00::1"})
	f.addImport("demo", "hl", object.Headless, nil)
	// The API validates EndpointSlice addresses, but not every API server
	// does, and a compromised peer writes what it likes.
	f.addSlice("demo", "hl", "hl-a", "a", object.AddressTypeIPv4, nil,
		fixtures.Ready("", "10.1.0.1"), fixtures.Ready("", "0.0.0.0"), fixtures.Ready("", "224.0.0.1"), fixtures.Ready("", "255.255.255.255"), fixtures.Ready("", "169.254.1.1"))
	f.addSlice("demo", "hl", "hl-b", "b", object.AddressTypeIPv6, nil,
		fixtures.Ready("", "fe80::1"), fixtures.Ready("", "ff02::1"), fixtures.Ready("", "fd00::2"))
	f.addImport("kube-system", "dns", object.ClusterSetIP, []string{"10.0.0.53"})
	return f
}

func TestAddressPolicy(t *testing.T) {
	const svc = ".demo.svc.clusterset.local."
	cases := []struct {
		name     string
		corefile string
		qname    string
		qtype    uint16
		want     []string // addresses
	}{
		{"loopback VIPs are never served by default", "clusterset", "vip" + svc, dns.TypeA, []string{"10.0.0.1"}},
		{"IPv6 loopback neither", "clusterset", "vip" + svc, dns.TypeAAAA, nil},
		{"the cloud metadata address neither", "clusterset", "meta" + svc, dns.TypeA, nil},
		{"nor link-local, unspecified, multicast or broadcast endpoints", "clusterset", "hl" + svc, dns.TypeA, []string{"10.1.0.1"}},
		{"nor IPv6 link-local or multicast endpoints", "clusterset", "hl" + svc, dns.TypeAAAA, []string{"fd00::2"}},
		{"allow_special_addresses serves them", "clusterset {\n allow_special_addresses\n}", "vip" + svc, dns.TypeA, []string{"10.0.0.1", "127.0.0.1"}},
		{"deny_addresses refuses a range", "clusterset {\n deny_addresses 192.0.2.0/24\n}", "spread" + svc, dns.TypeA, nil},
		{"allow_addresses serves only its ranges", "clusterset {\n allow_addresses 10.0.0.0/8 fd00::/8\n}", "spread" + svc, dns.TypeAAAA, []string{"fd00::1"}},
		{"allow_addresses refuses the rest", "clusterset {\n allow_addresses 10.0.0.0/8 fd00::/8\n}", "spread" + svc, dns.TypeA, nil},
		{"allow_addresses does not lift the special ones", "clusterset {\n allow_addresses 0.0.0.0/0\n}", "vip" + svc, dns.TypeA, []string{"10.0.0.1"}},
		{"a single address is its own prefix", "clusterset {\n deny_addresses 10.1.0.1\n}", "hl" + svc, dns.TypeA, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cs := newTestPlugin(t, tc.corefile, hostileSource())
			m, _ := query(t, cs, tc.qname, tc.qtype, false)
			if got := addresses(m); !slices.Equal(got, tc.want) {
				t.Errorf("addresses = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAddressPolicyCountsSkips(t *testing.T) {
	counter := skippedTotal.WithLabelValues(answer.SkipDisallowedIP)
	before := testutil.ToFloat64(counter)
	newTestPlugin(t, "clusterset", hostileSource())
	// vip: 2, meta: 1, hl: 4 IPv4 + 2 IPv6.
	if got := testutil.ToFloat64(counter) - before; got != 9 {
		t.Errorf("skipped_total{disallowed_ip} grew by %v, want 9", got)
	}
}

func TestDeniedNamespaces(t *testing.T) {
	const qname = "dns.kube-system.svc.clusterset.local."
	t.Run("kube-system is denied by default", func(t *testing.T) {
		cs := newTestPlugin(t, "clusterset", hostileSource())
		if m, _ := query(t, cs, qname, dns.TypeA, false); m.Rcode != dns.RcodeNameError {
			t.Errorf("rcode = %s, want NXDOMAIN", dns.RcodeToString[m.Rcode])
		}
	})
	t.Run("deny_namespaces without a name lifts the defaults", func(t *testing.T) {
		cs := newTestPlugin(t, "clusterset {\n deny_namespaces\n}", hostileSource())
		if got := addresses(mustQuery(t, cs, qname, dns.TypeA)); !slices.Equal(got, []string{"10.0.0.53"}) {
			t.Errorf("addresses = %v", got)
		}
	})
	t.Run("deny_namespaces replaces the defaults", func(t *testing.T) {
		cs := newTestPlugin(t, "clusterset {\n deny_namespaces demo\n}", hostileSource())
		if m := mustQuery(t, cs, "vip.demo.svc.clusterset.local.", dns.TypeA); m.Rcode != dns.RcodeNameError {
			t.Errorf("demo served: %v", m.Answer)
		}
		if m := mustQuery(t, cs, qname, dns.TypeA); len(m.Answer) != 1 {
			t.Errorf("kube-system not served: %v", m)
		}
	})
}

func TestMaxAddresses(t *testing.T) {
	f := newFakeSource("demo")
	f.addImport("demo", "big", object.Headless, nil)
	var eps []object.Endpoint
	for i := range 10 {
		eps = append(eps, fixtures.Ready(fmt.Sprintf("big-%d", i), fmt.Sprintf("10.7.0.%d", i+1)))
	}
	f.addSlice("demo", "big", "big-a", "a", object.AddressTypeIPv4, []object.Port{fixtures.TCP("http", 80)}, eps...)
	counter := skippedTotal.WithLabelValues(answer.SkipTooManyAddresses)
	before := testutil.ToFloat64(counter)
	cs := newTestPlugin(t, "clusterset {\n max_addresses 4\n}", f)

	if m := mustQuery(t, cs, "big.demo.svc.clusterset.local.", dns.TypeA); len(m.Answer) != 4 {
		t.Errorf("%d A records, want 4", len(m.Answer))
	}
	if m := mustQuery(t, cs, "_http._tcp.big.demo.svc.clusterset.local.", dns.TypeSRV); len(m.Answer) != 4 {
		t.Errorf("%d SRV records, want 4", len(m.Answer))
	}
	if m := mustQuery(t, cs, "big-9.a.big.demo.svc.clusterset.local.", dns.TypeA); len(m.Answer) != 1 {
		t.Errorf("an endpoint's own name is cut: %v", m)
	}
	// Two names were cut: the service name (its addresses and bare SRV) and
	// _http._tcp; one skip each.
	if got := testutil.ToFloat64(counter) - before; got != 2 {
		t.Errorf("skipped_total{too_many_addresses} grew by %v, want 2", got)
	}
}

func mustQuery(t *testing.T, cs *ClusterSet, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m, _ := query(t, cs, name, qtype, false)
	if m == nil {
		t.Fatalf("no reply to %s", name)
	}
	return m
}

// addresses returns the A and AAAA data of the answer, sorted.
func addresses(m *dns.Msg) []string {
	return slices.Sorted(slices.Values(answerOrder(m)))
}
