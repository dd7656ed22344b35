package clusterset

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
	"github.com/clusterset-dns/clusterset/test/answers"
	"github.com/clusterset-dns/clusterset/test/fixtures"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/request"
	"github.com/miekg/dns"
)

// localitySource is a ClusterSet seen from cluster "east" in zone
// "us-east-1a" (region "us-east-1"): the headless service api has
// endpoints in east (two zones), in west (one in east's zone, one in its
// region, one far away) and in the dotted cluster west.dc.example.
func localitySource() *fakeSource {
	f := newFakeSource("demo")
	f.addImport("demo", "api", object.Headless, nil, fixtures.TCP("http", 80))
	http := []object.Port{fixtures.TCP("http", 80)}
	f.addSlice("demo", "api", "api-east", "east", object.AddressTypeIPv4, http,
		fixtures.Zoned(fixtures.Ready("e0", "10.1.0.9"), "us-east-1a"), fixtures.Zoned(fixtures.Ready("e1", "10.1.0.1"), "us-east-1b"))
	f.addSlice("demo", "api", "api-west", "west", object.AddressTypeIPv4, http,
		fixtures.Zoned(fixtures.Ready("w0", "10.2.0.3"), "us-east-1a"), fixtures.Zoned(fixtures.Ready("w1", "10.2.0.2"), "us-east-1c"),
		fixtures.Zoned(fixtures.Ready("w2", "10.2.0.1"), "eu-west-1a"))
	f.addSlice("demo", "api", "api-dc", "west.dc.example", object.AddressTypeIPv4, http,
		fixtures.Ready("d0", "10.3.0.1"))
	return f
}

// answerOrder returns the A or AAAA addresses of an answer in order.
func answerOrder(m *dns.Msg) []string {
	var out []string
	for _, rr := range m.Answer {
		switch rr := rr.(type) {
		case *dns.A:
			out = append(out, rr.A.String())
		case *dns.AAAA:
			out = append(out, rr.AAAA.String())
		case *dns.SRV:
			out = append(out, strconv.Itoa(int(rr.Priority))+" "+rr.Target)
		}
	}
	return out
}

func TestPreferOrdersHeadlessAnswers(t *testing.T) {
	tests := []struct {
		name     string
		corefile string
		props    map[string]string
		a        []string
		srv      []string // first records of the bare-name SRV answer
	}{{
		name:     "no preference: numerical order",
		corefile: "clusterset",
		a:        []string{"10.1.0.1", "10.1.0.9", "10.2.0.1", "10.2.0.2", "10.2.0.3", "10.3.0.1"},
		srv:      []string{"0 d0.west.dc.example.api.demo.svc.clusterset.local."},
	}, {
		name:     "local cluster first",
		corefile: "clusterset {\n cluster_id east\n prefer local\n}",
		a:        []string{"10.1.0.1", "10.1.0.9", "10.2.0.1", "10.2.0.2", "10.2.0.3", "10.3.0.1"},
		srv:      []string{"0 e0.east.api.demo.svc.clusterset.local.", "0 e1.east.api.demo.svc.clusterset.local.", "1 d0.west.dc.example.api.demo.svc.clusterset.local."},
	}, {
		name:     "another cluster is local",
		corefile: "clusterset {\n cluster_id west.dc.example\n prefer local\n}",
		a:        []string{"10.3.0.1", "10.1.0.1", "10.1.0.9", "10.2.0.1", "10.2.0.2", "10.2.0.3"},
		srv:      []string{"0 d0.west.dc.example.api.demo.svc.clusterset.local.", "1 e0.east.api.demo.svc.clusterset.local."},
	}, {
		name:     "zone tiers",
		corefile: "clusterset {\n cluster_id east\n topology us-east-1a us-east-1\n prefer zone\n}",
		a:        []string{"10.1.0.9", "10.1.0.1", "10.2.0.3", "10.2.0.2", "10.2.0.1", "10.3.0.1"},
		srv:      []string{"0 e0.east.api.demo.svc.clusterset.local.", "1 e1.east.api.demo.svc.clusterset.local.", "2 w0.west.api.demo.svc.clusterset.local.", "3 w1.west.api.demo.svc.clusterset.local."},
	}, {
		name:     "restrict to the best tier",
		corefile: "clusterset {\n cluster_id east\n topology us-east-1a\n prefer zone restrict\n}",
		a:        []string{"10.1.0.9"},
		srv:      []string{"0 e0.east.api.demo.svc.clusterset.local."},
	}, {
		name:     "identity and topology from ClusterProperties",
		corefile: "clusterset {\n cluster_id\n topology\n prefer zone\n}",
		props:    map[string]string{object.PropertyClusterID: "west", object.PropertyZone: "us-east-1c", object.PropertyRegion: "us-east-1"},
		a:        []string{"10.2.0.2", "10.2.0.1", "10.2.0.3", "10.1.0.1", "10.1.0.9", "10.3.0.1"},
		srv:      []string{"0 w1.west.api.demo.svc.clusterset.local.", "1 w0.west.api.demo.svc.clusterset.local.", "1 w2.west.api.demo.svc.clusterset.local.", "3 e0.east.api.demo.svc.clusterset.local."},
	}, {
		name:     "identity property missing: fail open to one tier",
		corefile: "clusterset {\n cluster_id\n prefer local restrict\n}",
		a:        []string{"10.1.0.1", "10.1.0.9", "10.2.0.1", "10.2.0.2", "10.2.0.3", "10.3.0.1"},
		srv:      []string{"0 d0.west.dc.example.api.demo.svc.clusterset.local.", "0 e0.east.api.demo.svc.clusterset.local."},
	}, {
		name:     "identity property missing, zone known: no locality either",
		corefile: "clusterset {\n cluster_id\n topology us-east-1a\n prefer zone\n}",
		a:        []string{"10.1.0.1", "10.1.0.9", "10.2.0.1", "10.2.0.2", "10.2.0.3", "10.3.0.1"},
		srv:      []string{"0 d0.west.dc.example.api.demo.svc.clusterset.local.", "0 e0.east.api.demo.svc.clusterset.local."},
	}, {
		name:     "priorities count from the nearest tier there is",
		corefile: "clusterset {\n cluster_id north\n prefer local\n}",
		a:        []string{"10.1.0.1", "10.1.0.9", "10.2.0.1", "10.2.0.2", "10.2.0.3", "10.3.0.1"},
		srv:      []string{"0 d0.west.dc.example.api.demo.svc.clusterset.local.", "0 e0.east.api.demo.svc.clusterset.local."},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := localitySource()
			src.properties = tt.props
			cs := newTestPlugin(t, tt.corefile, src)
			m, _ := query(t, cs, "api.demo.svc.clusterset.local.", dns.TypeA, true)
			if got := answerOrder(m); !slices.Equal(got, tt.a) {
				t.Errorf("A order\n got %v\nwant %v", got, tt.a)
			}
			m, _ = query(t, cs, "api.demo.svc.clusterset.local.", dns.TypeSRV, true)
			got := answerOrder(m)
			if len(got) < len(tt.srv) || !slices.Equal(got[:len(tt.srv)], tt.srv) {
				t.Errorf("SRV order\n got %v\nwant prefix %v", got, tt.srv)
			}
			// The per-endpoint names are not cut by restrict.
			m, _ = query(t, cs, "w2.west.api.demo.svc.clusterset.local.", dns.TypeA, true)
			if got := answerOrder(m); !slices.Equal(got, []string{"10.2.0.1"}) {
				t.Errorf("endpoint name: got %v", got)
			}
		})
	}
}

func TestRestrictAcrossFamilies(t *testing.T) {
	f := newFakeSource("demo")
	f.addImport("demo", "db", object.Headless, nil)
	f.addSlice("demo", "db", "db-east", "east", object.AddressTypeIPv4, nil, fixtures.Ready("", "10.1.0.1"))
	f.addSlice("demo", "db", "db-west", "west", object.AddressTypeIPv6, nil, fixtures.Ready("", "fd00::1"))
	cs := newTestPlugin(t, "clusterset {\n cluster_id east\n prefer local restrict\n}", f)
	if m, _ := query(t, cs, "db.demo.svc.clusterset.local.", dns.TypeA, true); !slices.Equal(answerOrder(m), []string{"10.1.0.1"}) {
		t.Errorf("A: %v", answerOrder(m))
	}
	// The nearest endpoints have no IPv6 address: NODATA, not the far one.
	if m, _ := query(t, cs, "db.demo.svc.clusterset.local.", dns.TypeAAAA, true); m.Rcode != dns.RcodeSuccess || len(m.Answer) != 0 {
		t.Errorf("AAAA: %s %v, want NODATA", dns.RcodeToString[m.Rcode], m.Answer)
	}
}

func TestServiceTrafficFields(t *testing.T) {
	src := localitySource()
	si := src.imports[object.ServiceKey{Namespace: "demo", Name: "api"}]

	si.LocalTrafficOnly = true
	cs := newTestPlugin(t, "clusterset {\n cluster_id east\n}", src)
	m, _ := query(t, cs, "api.demo.svc.clusterset.local.", dns.TypeA, true)
	if got := answerOrder(m); !slices.Equal(got, []string{"10.1.0.1", "10.1.0.9"}) {
		t.Errorf("internalTrafficPolicy Local: got %v", got)
	}
	if m, _ := query(t, cs, "w0.west.api.demo.svc.clusterset.local.", dns.TypeA, true); m.Rcode != dns.RcodeNameError {
		t.Errorf("internalTrafficPolicy Local: another cluster's endpoint name answered %s", dns.RcodeToString[m.Rcode])
	}
	// Unknown identity fails open.
	cs = newTestPlugin(t, "clusterset", src)
	if m, _ := query(t, cs, "api.demo.svc.clusterset.local.", dns.TypeA, true); len(m.Answer) != 6 {
		t.Errorf("internalTrafficPolicy Local without cluster_id: %d answers, want all 6", len(m.Answer))
	}

	si.LocalTrafficOnly = false
	si.TrafficDistribution = "PreferClose"
	cs = newTestPlugin(t, "clusterset {\n cluster_id east\n topology us-east-1a\n}", src)
	m, _ = query(t, cs, "api.demo.svc.clusterset.local.", dns.TypeA, true)
	if got := answerOrder(m); !slices.Equal(got, []string{"10.1.0.9", "10.1.0.1", "10.2.0.3", "10.2.0.1", "10.2.0.2", "10.3.0.1"}) {
		t.Errorf("trafficDistribution PreferClose: got %v", got)
	}
}

func TestScopedNames(t *testing.T) {
	src := localitySource()
	src.addImport("demo", "vip", object.ClusterSetIP, []string{"10.0.0.1"})
	cs := newTestPlugin(t, "clusterset {\n scoped_names\n}", src)
	const svc = ".api.demo.svc.clusterset.local."
	tests := []struct {
		name  string
		qtype uint16
		rcode int
		want  []string
	}{
		{"us-east-1a.pin._zone" + svc, dns.TypeA, dns.RcodeSuccess, []string{"10.1.0.9", "10.2.0.3"}},
		{"US-East-1a.prefer._zone" + svc, dns.TypeA, dns.RcodeSuccess, []string{"10.1.0.9", "10.2.0.3"}},
		{"nowhere.pin._zone" + svc, dns.TypeA, dns.RcodeSuccess, nil},
		{"nowhere.prefer._zone" + svc, dns.TypeA, dns.RcodeSuccess, []string{"10.1.0.1", "10.1.0.9", "10.2.0.1", "10.2.0.2", "10.2.0.3", "10.3.0.1"}},
		{"west.dc.example.pin._cluster" + svc, dns.TypeA, dns.RcodeSuccess, []string{"10.3.0.1"}},
		{"west.pin._cluster" + svc, dns.TypeA, dns.RcodeSuccess, []string{"10.2.0.1", "10.2.0.2", "10.2.0.3"}},
		{"dc.example.pin._cluster" + svc, dns.TypeA, dns.RcodeSuccess, nil},
		{"dc.example.prefer._cluster" + svc, dns.TypeA, dns.RcodeSuccess, []string{"10.1.0.1", "10.1.0.9", "10.2.0.1", "10.2.0.2", "10.2.0.3", "10.3.0.1"}},
		{"west.dc.example.pin._cluster" + svc, dns.TypeSRV, dns.RcodeSuccess, []string{"0 d0.west.dc.example.api.demo.svc.clusterset.local."}},
		{"west.dc.example.pin._cluster" + svc, dns.TypeTXT, dns.RcodeSuccess, nil},
		{"pin._zone" + svc, dns.TypeA, dns.RcodeSuccess, nil},
		{"_zone" + svc, dns.TypeA, dns.RcodeSuccess, nil},
		{"prefer._cluster" + svc, dns.TypeA, dns.RcodeSuccess, nil},
		{"x.other._zone" + svc, dns.TypeA, dns.RcodeNameError, nil},
		{"us-east-1a.pin._zone.vip.demo.svc.clusterset.local.", dns.TypeA, dns.RcodeNameError, nil},
	}
	for _, tt := range tests {
		m, _ := query(t, cs, tt.name, tt.qtype, true)
		if m.Rcode != tt.rcode || !slices.Equal(answerOrder(m), tt.want) {
			t.Errorf("%s %s: got %s %v, want %s %v", tt.name, dns.TypeToString[tt.qtype], dns.RcodeToString[m.Rcode], answerOrder(m), dns.RcodeToString[tt.rcode], tt.want)
		}
		if m.Rcode == dns.RcodeSuccess && len(m.Answer) == 0 && len(m.Ns) != 1 {
			t.Errorf("%s: NODATA without SOA", tt.name)
		}
	}
	// A pin name without endpoints says why, whether or not a deeper
	// dotted cluster made it exist already.
	for _, name := range []string{"dc.example.pin._cluster" + svc, "nowhere.pin._zone" + svc} {
		if e := edeOf(queryEDNS(t, newTestPlugin(t, "clusterset {\n scoped_names\n extended_errors\n}", src), name, dns.TypeA)); e == nil || e.ExtraText != "clusterset: no ready endpoints" {
			t.Errorf("%s: EDE %+v", name, e)
		}
	}
	m, _ := query(t, cs, "west.dc.example.pin._cluster"+svc, dns.TypeSRV, true)
	if got := answers.Set(m.Extra); !slices.Equal(got, []string{"d0.west.dc.example.api.demo.svc.clusterset.local. A 10.3.0.1"}) {
		t.Errorf("scoped SRV glue: %v", got)
	}

	// Off by default; and out of zone transfers.
	plain := newTestPlugin(t, "clusterset", src)
	if m, _ := query(t, plain, "us-east-1a.pin._zone"+svc, dns.TypeA, true); m.Rcode != dns.RcodeNameError {
		t.Errorf("without scoped_names: %s", dns.RcodeToString[m.Rcode])
	}
	for _, rr := range transferAll(t, cs, "clusterset.local.", 0) {
		if strings.Contains(rr.Header().Name, "._zone.") || strings.Contains(rr.Header().Name, "._cluster.") {
			t.Errorf("scoped name transferred: %s", rr)
		}
	}
}

func TestAnswerEndpoints(t *testing.T) {
	f := newFakeSource("demo")
	f.addImport("demo", "novip", object.ClusterSetIP, nil, fixtures.TCP("http", 80))
	f.addSlice("demo", "novip", "novip-west", "west", object.AddressTypeIPv4, nil, fixtures.Ready("", "10.96.2.1"))
	f.addSlice("demo", "novip", "novip-east", "east", object.AddressTypeIPv4, nil, fixtures.Ready("", "10.96.9.1"), fixtures.Unready("", "10.96.9.2"))
	f.addImport("demo", "vip", object.ClusterSetIP, []string{"10.0.0.1"})
	f.addSlice("demo", "vip", "vip-east", "east", object.AddressTypeIPv4, nil, fixtures.Ready("", "10.96.9.3"))
	f.addImport("demo", "idle", object.ClusterSetIP, nil)

	cs := newTestPlugin(t, "clusterset {\n cluster_id east\n answer endpoints\n extended_errors\n}", f)
	m, _ := query(t, cs, "novip.demo.svc.clusterset.local.", dns.TypeA, true)
	if got := answerOrder(m); !slices.Equal(got, []string{"10.96.9.1", "10.96.2.1"}) {
		t.Errorf("answer endpoints: got %v, want local first", got)
	}
	m, _ = query(t, cs, "_http._tcp.novip.demo.svc.clusterset.local.", dns.TypeSRV, true)
	if got := answerOrder(m); !slices.Equal(got, []string{"0 novip.demo.svc.clusterset.local."}) {
		t.Errorf("answer endpoints SRV: got %v", got)
	}
	m, _ = query(t, cs, "vip.demo.svc.clusterset.local.", dns.TypeA, true)
	if got := answerOrder(m); !slices.Equal(got, []string{"10.0.0.1"}) {
		t.Errorf("import with a VIP: got %v", got)
	}
	m = queryEDNS(t, cs, "idle.demo.svc.clusterset.local.", dns.TypeA)
	if m.Rcode != dns.RcodeSuccess || len(m.Answer) != 0 || edeOf(m) == nil || edeOf(m).ExtraText != "clusterset: no ready endpoints" {
		t.Errorf("no endpoints: %s %v %v", dns.RcodeToString[m.Rcode], m.Answer, edeOf(m))
	}

	vip := newTestPlugin(t, "clusterset", f)
	if m, _ := query(t, vip, "novip.demo.svc.clusterset.local.", dns.TypeA, true); m.Rcode != dns.RcodeSuccess || len(m.Answer) != 0 {
		t.Errorf("answer vip: %s %v, want NODATA", dns.RcodeToString[m.Rcode], m.Answer)
	}
}

func TestClusterHealth(t *testing.T) {
	src := localitySource()
	src.addImport("demo", "westonly", object.Headless, nil)
	src.addSlice("demo", "westonly", "westonly-west", "west", object.AddressTypeIPv4, nil, fixtures.Ready("", "10.8.0.1"))
	src.properties = map[string]string{object.PropertyUnreachableClusters: "west, west.dc.example nonsense_id"}
	cs := newTestPlugin(t, "clusterset {\n cluster_health\n}", src)
	m, _ := query(t, cs, "api.demo.svc.clusterset.local.", dns.TypeA, true)
	if got := answerOrder(m); !slices.Equal(got, []string{"10.1.0.1", "10.1.0.9"}) {
		t.Errorf("unreachable clusters dropped: got %v", got)
	}
	m, _ = query(t, cs, "westonly.demo.svc.clusterset.local.", dns.TypeA, true)
	if got := answerOrder(m); !slices.Equal(got, []string{"10.8.0.1"}) {
		t.Errorf("fail open: got %v", got)
	}
	if n := cs.snapshot().Counts().FailedOpen; n != 1 {
		t.Errorf("failed open services = %d, want 1", n)
	}
	// Another property name, and no property at all: nothing dropped.
	cs = newTestPlugin(t, "clusterset {\n cluster_health health.example.org\n}", src)
	if m, _ := query(t, cs, "api.demo.svc.clusterset.local.", dns.TypeA, true); len(m.Answer) != 6 {
		t.Errorf("no health property: %d answers, want 6", len(m.Answer))
	}
}

func queryEDNS(t *testing.T, cs *ClusterSet, name string, qtype uint16) *dns.Msg {
	t.Helper()
	r := new(dns.Msg)
	r.SetQuestion(name, qtype)
	r.SetEdns0(1232, false)
	rec := dnstest.NewRecorder(&test.ResponseWriter{TCP: true})
	w := request.NewScrubWriter(r, rec)
	if _, err := cs.ServeDNS(context.Background(), w, r); err != nil {
		t.Fatal(err)
	}
	if rec.Msg == nil {
		t.Fatalf("%s: nothing written", name)
	}
	return rec.Msg
}

func edeOf(m *dns.Msg) *dns.EDNS0_EDE {
	opt := m.IsEdns0()
	if opt == nil {
		return nil
	}
	for _, o := range opt.Option {
		if e, ok := o.(*dns.EDNS0_EDE); ok {
			return e
		}
	}
	return nil
}

func TestExtendedErrors(t *testing.T) {
	f := contractSource()
	f.addImport("kube-system", "dns", object.ClusterSetIP, []string{"10.0.0.53"})
	f.namespaces["kube-system"] = true
	f.addImport("demo", "loop", object.ClusterSetIP, []string{"127.0.0.1"})
	f.addImport("demo", "hidden", object.Headless, nil)
	f.addSlice("demo", "hidden", "hidden-east", "east", object.AddressTypeIPv4, nil, fixtures.Ready("", "169.254.169.254"))
	cs := newTestPlugin(t, "clusterset {\n extended_errors\n}", f)
	tests := []struct {
		name  string
		qtype uint16
		rcode int
		code  uint16
		text  string
	}{
		{"dns.kube-system.svc.clusterset.local.", dns.TypeA, dns.RcodeNameError, dns.ExtendedErrorCodeBlocked, "clusterset: namespace denied by policy"},
		{"web.ghost.svc.clusterset.local.", dns.TypeA, dns.RcodeNameError, dns.ExtendedErrorCodeOther, "clusterset: namespace not present in this cluster"},
		{"loop.demo.svc.clusterset.local.", dns.TypeA, dns.RcodeSuccess, dns.ExtendedErrorCodeBlocked, "clusterset: addresses filtered by policy"},
		{"hidden.demo.svc.clusterset.local.", dns.TypeA, dns.RcodeNameError, dns.ExtendedErrorCodeBlocked, "clusterset: addresses filtered by policy"},
		{"sleepy.demo.svc.clusterset.local.", dns.TypeA, dns.RcodeNameError, dns.ExtendedErrorCodeOther, "clusterset: no ready endpoints"},
		{"_x._tcp.sleepy.demo.svc.clusterset.local.", dns.TypeSRV, dns.RcodeNameError, dns.ExtendedErrorCodeOther, "clusterset: no ready endpoints"},
		{"web.demo.svc.clusterset.local.", dns.TypeAAAA, dns.RcodeSuccess, dns.ExtendedErrorCodeOther, "clusterset: no IPv6 address exported"},
		{"v6only.demo.svc.clusterset.local.", dns.TypeA, dns.RcodeSuccess, dns.ExtendedErrorCodeOther, "clusterset: no IPv4 address exported"},
		{"absent.demo.svc.clusterset.local.", dns.TypeA, dns.RcodeNameError, dns.ExtendedErrorCodeOther, "clusterset: endpointSliceObjects is Absent"},
	}
	for _, tt := range tests {
		m := queryEDNS(t, cs, tt.name, tt.qtype)
		e := edeOf(m)
		if m.Rcode != tt.rcode || e == nil || e.InfoCode != tt.code || e.ExtraText != tt.text {
			t.Errorf("%s %s: got %s %+v, want %s EDE %d %q", tt.name, dns.TypeToString[tt.qtype], dns.RcodeToString[m.Rcode], e, dns.RcodeToString[tt.rcode], tt.code, tt.text)
		}
		if m.Rcode != dns.RcodeServerFailure && len(m.Ns) != 1 {
			t.Errorf("%s: negative answer without SOA", tt.name)
		}
		// Without EDNS in the query there is no OPT in the reply.
		if m, _ := query(t, cs, tt.name, tt.qtype, true); m.IsEdns0() != nil || m.Rcode != tt.rcode {
			t.Errorf("%s without EDNS: rcode %s, OPT %v", tt.name, dns.RcodeToString[m.Rcode], m.IsEdns0())
		}
	}
	// Unknown names and answers with records carry none.
	for _, name := range []string{"nothing.demo.svc.clusterset.local.", "web.demo.svc.clusterset.local."} {
		if m := queryEDNS(t, cs, name, dns.TypeA); edeOf(m) != nil {
			t.Errorf("%s: unexpected EDE %+v", name, edeOf(m))
		}
	}
	// Off unless asked for.
	plain := newTestPlugin(t, "clusterset", f)
	if m := queryEDNS(t, plain, "sleepy.demo.svc.clusterset.local.", dns.TypeA); edeOf(m) != nil || m.Rcode != dns.RcodeNameError {
		t.Errorf("without extended_errors: %s %+v", dns.RcodeToString[m.Rcode], edeOf(m))
	}

	// Before the first sync: SERVFAIL with Not Ready.
	unsynced := newTestPlugin(t, "clusterset {\n extended_errors\n}", nil)
	m := queryEDNS(t, unsynced, "web.demo.svc.clusterset.local.", dns.TypeA)
	if e := edeOf(m); m.Rcode != dns.RcodeServerFailure || e == nil || e.InfoCode != dns.ExtendedErrorCodeNotReady {
		t.Errorf("not synced: %s %+v", dns.RcodeToString[m.Rcode], e)
	}
}
