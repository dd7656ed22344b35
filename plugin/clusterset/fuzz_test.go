package clusterset

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/internal/answer"
	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
	"github.com/clusterset-dns/clusterset/plugin/clusterset/object/convert"
	"github.com/clusterset-dns/clusterset/test/fixtures"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/request"
	"github.com/miekg/dns"
	discoveryv1 "k8s.io/api/discovery/v1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// fuzzCorefile turns on every option that adds names or shapes answers, so
// the fuzzers reach their code.
const fuzzCorefile = "clusterset {\n cluster_id east\n topology us-east-1a us-east-1\n prefer zone\n scoped_names\n answer endpoints\n extended_errors\n rotate\n}"

// fuzzSource is the contract data with endpoint zones, dotted ones too.
func fuzzSource() *fakeSource {
	f := contractSource()
	f.addSlice("demo", "db", "db-zoned", "north", object.AddressTypeIPv4, []object.Port{fixtures.TCP("MySQL", 3306)},
		fixtures.Zoned(fixtures.Ready("z-0", "10.7.0.1"), "us-east-1a"), fixtures.Zoned(fixtures.Ready("z-1", "10.7.0.2"), "eu.west.1b"))
	return f
}

// FuzzServeDNS sends arbitrary packets through ServeDNS, behind the
// ScrubWriter the server adds, against a populated snapshot: no panic, and
// every reply packs and fits the client's UDP buffer.
func FuzzServeDNS(f *testing.F) {
	for _, q := range []struct {
		name  string
		qtype uint16
	}{
		{"web.demo.svc.clusterset.local.", dns.TypeA},
		{"_mysql._tcp.db.demo.svc.clusterset.local.", dns.TypeSRV},
		{"db-0.east.db.demo.svc.clusterset.local.", dns.TypeAAAA},
		{"west.prod.db.demo.svc.clusterset.local.", dns.TypeANY},
		{"clusterset.local.", dns.TypeNS},
		{"x.svc.clusterset.local.", dns.TypeTXT},
		{"us-east-1a.pin._zone.db.demo.svc.clusterset.local.", dns.TypeSRV},
		{"west.prod.prefer._cluster.db.demo.svc.clusterset.local.", dns.TypeA},
		{"sleepy.demo.svc.clusterset.local.", dns.TypeA},
	} {
		m := new(dns.Msg)
		m.SetQuestion(q.name, q.qtype)
		m.SetEdns0(1232, false)
		packed, _ := m.Pack()
		f.Add(packed, false)
	}
	cs := newTestPlugin(f, fuzzCorefile, fuzzSource())
	f.Fuzz(func(t *testing.T, packet []byte, overTCP bool) {
		r := new(dns.Msg)
		if r.Unpack(packet) != nil {
			return // the server answers FORMERR before any plugin runs
		}
		rec := dnstest.NewRecorder(&test.ResponseWriter{TCP: overTCP})
		if _, err := cs.ServeDNS(context.Background(), request.NewScrubWriter(r, rec), r); err != nil {
			return
		}
		if rec.Msg == nil {
			return
		}
		out, err := rec.Msg.Pack()
		if err != nil {
			t.Fatalf("reply does not pack: %v\n%v", err, rec.Msg)
		}
		if !overTCP {
			state := request.Request{W: rec, Req: r}
			if len(out) > state.Size() {
				t.Fatalf("UDP reply of %d octets over the client's buffer of %d", len(out), state.Size())
			}
		}
	})
}

// FuzzLookup checks the name grammar on arbitrary names: lookup never
// panics, and whatever it finds is below `svc`.
func FuzzLookup(f *testing.F) {
	for _, s := range []string{"", "svc.", "demo.svc.", "web.demo.svc.", "a.b.c.d.db.demo.svc.", "..svc.", ".", "x.y", ".pin._zone.db.demo.svc.", "a.prefer._cluster.db.demo.svc."} {
		f.Add(s)
	}
	cs := newTestPlugin(f, fuzzCorefile, fuzzSource())
	snap := cs.snapshot()
	f.Fuzz(func(t *testing.T, rel string) {
		rel = strings.ToLower(rel)
		if !strings.HasSuffix(rel, ".") {
			rel += "."
		}
		res := snap.Lookup(rel, dns.TypeA)
		found := res.Kind == answer.Success || res.Kind == answer.NoData
		if found && !strings.HasSuffix(strings.TrimSuffix(rel, "."), "svc") {
			t.Fatalf("lookup(%q) found %v outside svc", rel, res.Node)
		}
	})
}

// FuzzParse feeds arbitrary Corefile blocks to the parser: it never
// panics, and every error names the file.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"clusterset",
		"clusterset clusterset.local {\n ttl 30\n namespaces a b\n}",
		"clusterset {\n allow_addresses 10.0.0.0/8\n deny_addresses ::1\n max_addresses 9\n}",
		"clusterset {\n cluster_id east\n topology a b\n prefer zone restrict\n scoped_names zone\n answer endpoints\n cluster_health\n extended_errors\n rotate\n}",
		"clusterset {\n namespace_labels env in (a,b)\n fallthrough\n ignore empty_service\n}",
		"clusterset {\n endpoint https://127.0.0.1:6443\n tls a b c\n}",
		"clusterset {\n exclude_namespaces a b\n import_labels !x.io/y,z in (a)\n}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, corefile string) {
		cs, err := parse(caddy.NewTestController("dns", corefile))
		if err != nil {
			if !strings.Contains(err.Error(), "Testfile") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		for _, z := range cs.zones {
			if !strings.HasSuffix(z.origin, ".") || z.origin != strings.ToLower(z.origin) {
				t.Fatalf("zone %q is not lower-case and fully qualified", z.origin)
			}
		}
		if cs.answers.TTL > maxTTL {
			t.Fatalf("ttl %d accepted", cs.answers.TTL)
		}
	})
}

// FuzzBuild converts arbitrary ServiceImport and EndpointSlice JSON the way
// the watch side does, builds the service, and checks that every address
// served parses and is one the policy permits.
func FuzzBuild(f *testing.F) {
	f.Add(`{"metadata":{"name":"web","namespace":"demo","resourceVersion":"1"},"spec":{"type":"ClusterSetIP","ips":["10.0.0.1","::1","x"],"ports":[{"name":"http","protocol":"TCP","port":80}]}}`,
		`{"metadata":{"name":"s","namespace":"demo","labels":{"multicluster.kubernetes.io/service-name":"web","multicluster.kubernetes.io/source-cluster":"east"}},"addressType":"IPv4","endpoints":[{"addresses":["10.1.0.1"],"hostname":"web-0"}],"ports":[{"name":"http","port":8080}]}`)
	f.Add(`{"metadata":{"name":"web","namespace":"demo"},"spec":{"type":"Headless"}}`,
		`{"metadata":{"name":"s","namespace":"demo","labels":{"multicluster.kubernetes.io/service-name":"web","multicluster.kubernetes.io/source-cluster":"a.b"}},"addressType":"IPv6","endpoints":[{"addresses":["fd00::1","fe80::1"],"conditions":{"ready":false}},{"addresses":["fd00::2"]}]}`)
	b := answer.Builder{Zones: []string{"clusterset.local."}, Opts: answer.Options{
		TTL: 5, MaxAddresses: 50,
		// Every answer-shaping option on, so the fuzzer reaches their code.
		Locality:        answer.LocalityOptions{ClusterID: "east", Zone: "z1", Region: "z", Prefer: answer.PreferZone},
		ScopedZone:      true,
		ScopedCluster:   true,
		AnswerEndpoints: true,
		HealthProperty:  "unreachable",
		ExtendedErrors:  true,
	}}
	// The default address policy refuses exactly the special addresses.
	special := func(a netip.Addr) bool { return !(&answer.AddressPolicy{}).Permits(a) }
	f.Fuzz(func(t *testing.T, importJSON, sliceJSON string) {
		var si mcsv1beta1.ServiceImport
		var es discoveryv1.EndpointSlice
		if json.Unmarshal([]byte(importJSON), &si) != nil || json.Unmarshal([]byte(sliceJSON), &es) != nil {
			return
		}
		imp := convert.ServiceImportFromV1beta1(&si)
		slice := convert.EndpointSliceFromV1(&es)
		src := newFakeSource(imp.Namespace)
		src.imports[imp.Key()] = imp
		src.slices[imp.Key()] = []*object.EndpointSlice{slice}
		src.properties = map[string]string{"unreachable": slice.Cluster}
		ans, _ := b.Build(imp.Key(), src)
		if !ans.Serves() {
			return
		}
		service := strings.ToLower(imp.Name+"."+imp.Namespace) + ".svc.clusterset.local."
		for name, n := range ans.Names() {
			if n.A().Len()+n.AAAA().Len() > b.Opts.MaxAddresses || len(n.SRV()) > b.Opts.MaxAddresses {
				t.Fatalf("%q serves more than max_addresses", name)
			}
			for i := range n.A().Len() {
				a, ok := netip.AddrFromSlice(n.A().IP(i))
				if !ok || !a.Is4() || special(a) {
					t.Fatalf("%q serves A %v", name, n.A().IP(i))
				}
			}
			for i := range n.AAAA().Len() {
				a, ok := netip.AddrFromSlice(n.AAAA().IP(i))
				if !ok || a.Is4In6() || special(a) {
					t.Fatalf("%q serves AAAA %v", name, n.AAAA().IP(i))
				}
			}
			// The names made: the name itself and its SRV targets.
			owner := service
			if name != "" {
				owner = name + "." + service
			}
			for _, rr := range n.Records(owner, service, 5) {
				if _, ok := dns.IsDomainName(rr.Header().Name); !ok {
					t.Fatalf("%q is not a domain name", rr.Header().Name)
				}
				if srv, ok := rr.(*dns.SRV); ok {
					if _, ok := dns.IsDomainName(srv.Target); !ok {
						t.Fatalf("%q is not a domain name", srv.Target)
					}
				}
			}
		}
	})
}
