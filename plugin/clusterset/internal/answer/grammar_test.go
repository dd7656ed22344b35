package answer

import (
	"strings"
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"

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
		si: &object.ServiceImport{
			ObjectMeta: object.ObjectMeta{Namespace: "Demo", Name: "Web", ResourceVersion: "1"},
			Type:       object.Headless,
			Ports:      []object.Port{{Name: "http", Protocol: "TCP", Port: 80}},
		},
		slices: []*object.EndpointSlice{{
			ObjectMeta: object.ObjectMeta{Namespace: "Demo", Name: "web-east", ResourceVersion: "1"},
			Service:    "Web", Cluster: "east.example", HasCluster: true, AddressType: object.AddressTypeIPv4,
			Ports: []object.Port{{Name: "http", Protocol: "TCP", Port: 8080}},
			Endpoints: []object.Endpoint{
				{Addresses: object.NewAddresses("10.1.0.1"), Hostname: "web-0", Ready: true, Zone: "us-east-1a"},
				{Addresses: object.NewAddresses("10.1.0.2"), Ready: true, Zone: "a.b"},
			},
		}},
	}
	b := Builder{Zones: []string{zone}, Opts: Options{TTL: 5, ScopedZone: true, ScopedCluster: true}}
	ans, skips := b.Build(src.si.Key(), src)
	if !ans.Serves() || len(skips) != 0 {
		t.Fatalf("the service serves nothing (skips %v)", skips)
	}
	snap := (&Snapshot{}).With(map[string]*Service{LookupKey(src.si.Key()): ans}, 1, []dns.SOA{{}})
	base := serviceBase("web", "demo")
	names := 0
	for prefix, n := range ans.Names(0) {
		names++
		rel := ownerName(prefix, base) + "."
		res := snap.Lookup(0, rel, dns.TypeA)
		if res.Kind != Success && res.Kind != NoData {
			t.Errorf("%s%s: kind %d, want the name to exist", rel, zone, res.Kind)
			continue
		}
		if res.Node != n {
			t.Errorf("%s%s: Lookup found another node than the builder made", rel, zone)
		}
		// The records carry the name the builder made, which must be the
		// one looked up (a shared node carries its first prefix's name).
		if len(n.A()) > 0 && !strings.HasSuffix(n.A()[0].Hdr.Name, base+"."+zone) {
			t.Errorf("%s%s: records owned by %s", rel, zone, n.A()[0].Hdr.Name)
		}
	}
	// The service, its port name, two endpoints under one cluster, and
	// the scoped names of two zones and one cluster, at least.
	if names < 10 {
		t.Fatalf("only %d names built", names)
	}
	for _, rel := range []string{"nope." + base + ".", "web-0.west." + base + "."} {
		if res := snap.Lookup(0, rel, dns.TypeA); res.Kind != NameError {
			t.Errorf("%s%s: kind %d, want NXDOMAIN", rel, zone, res.Kind)
		}
	}
}
