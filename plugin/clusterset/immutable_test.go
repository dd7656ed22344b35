package clusterset

import (
	"reflect"
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"

	"github.com/miekg/dns"
)

// untidySource is data the builder must sort, deduplicate, lower-case and
// filter: the places where sorting or trimming in place would reach into
// the informer's cache, whose objects the builder only borrows.
func untidySource() *fakeSource {
	f := newFakeSource("demo")
	f.properties = map[string]string{object.PropertyClusterID: "east", object.PropertyZone: "z1"}
	f.addImport("demo", "Web", object.ClusterSetIP, []string{"fd00::0:10", "10.0.0.10"}, udp("DNS", 53), tcp("http", 80), tcp("", 81))
	f.addImport("demo", "novip", object.ClusterSetIP, nil, tcp("http", 80))
	f.addSlice("demo", "novip", "novip-west", "west", object.AddressTypeIPv4, []object.Port{tcp("http", 80)},
		ready("", "10.2.0.9"), ready("", "10.2.0.1"))
	f.addImport("demo", "db", object.Headless, nil, tcp("sql", 5432))
	for _, cluster := range []string{"west", "east"} {
		z := map[string]string{"east": "z1", "west": "z2"}[cluster]
		eps := []object.Endpoint{
			{Addresses: object.NewAddresses("10.1.0.9", "10.1.0.3"), Hostname: "DB-1", Ready: true, Zone: z},
			{Addresses: object.NewAddresses("10.1.0.3"), Hostname: "db-0", Ready: true, Zone: z},
			{Addresses: object.NewAddresses("10.1.0.7"), Hostname: "db-2", Zone: z},
			{Addresses: object.NewAddresses("not-an-address", "0.0.0.0"), Ready: true, Zone: z},
		}
		f.addSlice("demo", "db", "db-"+cluster, cluster, object.AddressTypeIPv4,
			[]object.Port{tcp("sql", 5432), udp("sql", 5432), tcp("", 1)}, eps...)
		f.addSlice("demo", "db", "db-v6-"+cluster, cluster, object.AddressTypeIPv6,
			[]object.Port{tcp("sql", 5432)}, ready("", "FD00:0::1:1"), ready("", "fd00::1:1"))
	}
	return f
}

// TestBuildLeavesTheCacheAlone builds and serves untidy data under the
// options that reorder most (locality, scoped names, VIP-less answers) and
// checks that the source's objects are exactly as a second, untouched
// copy of the same data.
func TestBuildLeavesTheCacheAlone(t *testing.T) {
	for _, corefile := range []string{
		"clusterset",
		"clusterset {\n prefer zone\n cluster_id\n topology\n scoped_names\n answer endpoints\n}",
		"clusterset {\n prefer local restrict\n cluster_id east\n answer endpoints\n}",
	} {
		t.Run(corefile, func(t *testing.T) {
			used, untouched := untidySource(), untidySource()
			cs := newTestPlugin(t, corefile, used)
			for _, q := range []struct {
				name  string
				qtype uint16
			}{
				{"web.demo.svc.clusterset.local.", dns.TypeA},
				{"web.demo.svc.clusterset.local.", dns.TypeSRV},
				{"novip.demo.svc.clusterset.local.", dns.TypeA},
				{"db.demo.svc.clusterset.local.", dns.TypeA},
				{"db.demo.svc.clusterset.local.", dns.TypeAAAA},
				{"db.demo.svc.clusterset.local.", dns.TypeSRV},
				{"_sql._tcp.db.demo.svc.clusterset.local.", dns.TypeSRV},
				{"db-1.west.db.demo.svc.clusterset.local.", dns.TypeA},
			} {
				if _, rcode := query(t, cs, q.name, q.qtype, true); rcode != dns.RcodeSuccess {
					t.Fatalf("%s %s: rcode %s, want NOERROR (the data must serve)", q.name, dns.TypeToString[q.qtype], dns.RcodeToString[rcode])
				}
			}
			if !reflect.DeepEqual(used, untouched) {
				t.Errorf("building and serving changed the cached objects:\n got %+v\nwant %+v", used, untouched)
			}
		})
	}
}
