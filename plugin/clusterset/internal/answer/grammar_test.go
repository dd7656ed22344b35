package answer

import (
	"strings"
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
	"github.com/clusterset-dns/clusterset/test/fixtures"

	"github.com/miekg/dns"
)

// oneService is a Source holding one import and its slices.
type oneService struct {
	si     *object.ServiceImport
	slices []*object.EndpointSlice
}

func (o *oneService) ServiceImport(key object.ServiceKey) *object.ServiceImport {
	if key != o.si.Key() {
		return nil
	}
	return o.si
}

func (o *oneService) EndpointSlices(key object.ServiceKey) []*object.EndpointSlice {
	if key != o.si.Key() {
		return nil
	}
	return o.slices
}

func (o *oneService) NamespaceServed(string) bool          { return true }
func (o *oneService) ServiceKeys() []object.ServiceKey     { return []object.ServiceKey{o.si.Key()} }
func (o *oneService) ClusterProperties() map[string]string { return nil }

// TestLookupParsesWhatTheBuilderNames: every name the builder makes is
// found again by Lookup, at the node the builder made for it, so that the
// grammar that writes the names and the one that reads them are one.
func TestLookupParsesWhatTheBuilderNames(t *testing.T) {
	const zone = "clusterset.local."
	src := &oneService{
		si: fixtures.TrimmedImport("Demo", "Web", object.Headless, nil, fixtures.TCP("http", 80)),
		slices: []*object.EndpointSlice{fixtures.TrimmedSlice("Demo", "Web", "web-east", "east.example", object.AddressTypeIPv4,
			[]object.Port{fixtures.TCP("http", 8080)},
			fixtures.Zoned(fixtures.Ready("web-0", "10.1.0.1"), "us-east-1a"),
			fixtures.Zoned(fixtures.Ready("", "10.1.0.2"), "a.b"),
		)},
	}
	b := Builder{Zones: []string{zone}, Opts: Options{TTL: 5, ScopedZone: true, ScopedCluster: true}}
	ans, skips := b.Build(src.si.Key(), src)
	if !ans.Serves() || len(skips) != 0 {
		t.Fatalf("the service serves nothing (skips %v)", skips)
	}
	snap := (&Snapshot{}).With(map[string]*Service{LookupKey(src.si.Key()): ans}, 1, []dns.SOA{{}})
	base := serviceBase("web", "demo")
	names := 0
	for prefix, n := range ans.Names() {
		names++
		rel := ownerName(prefix, base) + "."
		res := snap.Lookup(rel, dns.TypeA)
		if res.Kind != Success && res.Kind != NoData {
			t.Errorf("%s%s: kind %d, want the name to exist", rel, zone, res.Kind)
			continue
		}
		if res.Node != n {
			t.Errorf("%s%s: Lookup found another node than the builder made", rel, zone)
		}
		// The names the builder makes, the SRV targets, must be names
		// Lookup finds, with addresses for the glue.
		for _, rr := range n.Records(rel+zone, base+"."+zone, 5) {
			srv, ok := rr.(*dns.SRV)
			if !ok {
				continue
			}
			target, found := strings.CutSuffix(srv.Target, zone)
			if res := snap.Lookup(target, dns.TypeA); !found || res.Kind != Success {
				t.Errorf("%s%s: SRV target %s not found", rel, zone, srv.Target)
			}
		}
	}
	// The service, its port name, two endpoints under one cluster, and
	// the scoped names of two zones and one cluster, at least.
	if names < 10 {
		t.Fatalf("only %d names built", names)
	}
	for _, rel := range []string{"nope." + base + ".", "web-0.west." + base + "."} {
		if res := snap.Lookup(rel, dns.TypeA); res.Kind != NameError {
			t.Errorf("%s%s: kind %d, want NXDOMAIN", rel, zone, res.Kind)
		}
	}
}
